"""Counting attempts of public, anonymous actions (tracking look-ups, objections) per address.

Kept in the cache, not the database: a count is written on every attempt, and on SQLite a database write
per public request would queue every visitor behind one lock. Without JIEDAO_CACHE_URL each server process
counts on its own (the limit holds per process); with the shared Redis cache of a production install it
holds for the whole site. Login lockout stays in the database (accounts): it must survive restarts.
"""

from __future__ import annotations

import datetime as dt
import time

from django.core.cache import cache

from jiedao.core import crypto


def attempt(bucket: str, key: str, *, limit: int, window: dt.timedelta, now: float | None = None) -> bool:
    """Count one attempt of `key` (an address); False once it has used up `limit` attempts in this window."""
    seconds = max(int(window.total_seconds()), 1)
    slot = int(time.time() if now is None else now) // seconds
    # Hashed: the cache must not hold visitors' addresses in clear.
    counter = f"ratelimit:{bucket}:{crypto.blind_index(key)}:{slot}"
    try:
        count = cache.incr(counter)
    except ValueError:  # the first attempt in this slot: start it (unless another process just did) and count
        cache.add(counter, 0, seconds)
        try:
            count = cache.incr(counter)
        except ValueError:  # the cache dropped the slot again at once (evicted under a flood of addresses)
            count = 1
    return count <= limit
