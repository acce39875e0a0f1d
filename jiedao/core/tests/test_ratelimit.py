import datetime as dt

import pytest

from jiedao.core import ratelimit

WINDOW = dt.timedelta(minutes=10)
START = 1_800_000_000.0  # on a 10-minute boundary


def test_an_address_is_refused_after_its_limit_and_others_are_not():
    for _ in range(3):
        assert ratelimit.attempt("track", "10.0.0.1", limit=3, window=WINDOW, now=START)
    assert not ratelimit.attempt("track", "10.0.0.1", limit=3, window=WINDOW, now=START + 60)
    assert ratelimit.attempt("track", "10.0.0.2", limit=3, window=WINDOW, now=START + 60)
    assert ratelimit.attempt("objection", "10.0.0.1", limit=3, window=WINDOW, now=START + 60)


def test_the_count_starts_again_in_the_next_window():
    for _ in range(4):
        ratelimit.attempt("track", "10.0.0.3", limit=3, window=WINDOW, now=START)
    assert not ratelimit.attempt("track", "10.0.0.3", limit=3, window=WINDOW, now=START + 599)
    assert ratelimit.attempt("track", "10.0.0.3", limit=3, window=WINDOW, now=START + 600)


def test_the_cache_never_holds_the_address_in_clear():
    from django.core.cache import cache

    ratelimit.attempt("track", "192.168.77.5", limit=3, window=WINDOW, now=START)
    assert not any("192.168.77.5" in key for key in cache._cache)


@pytest.mark.redis
def test_with_the_shared_redis_cache_two_server_processes_count_together(monkeypatch):
    from django.core.cache.backends.redis import RedisCache

    def process_cache():  # each web process opens its own connection to the same Redis database
        return RedisCache("redis://127.0.0.1:6379/14", {"KEY_PREFIX": "jiedao-test-ratelimit"})

    first, second = process_cache(), process_cache()
    first.clear()
    address = "10.9.9.9"
    monkeypatch.setattr(ratelimit, "cache", first)
    assert ratelimit.attempt("track", address, limit=3, window=WINDOW, now=START)
    assert ratelimit.attempt("track", address, limit=3, window=WINDOW, now=START)
    monkeypatch.setattr(ratelimit, "cache", second)
    assert ratelimit.attempt("track", address, limit=3, window=WINDOW, now=START)
    assert not ratelimit.attempt("track", address, limit=3, window=WINDOW, now=START)
    first.clear()
