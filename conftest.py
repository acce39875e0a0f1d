import pytest


@pytest.fixture(autouse=True)
def _fresh_parameter_cache():
    from jiedao.dictionaries.selectors import clear_cache as clear_dictionaries
    from jiedao.parameters.services import clear_cache as clear_parameters

    clear_parameters()
    clear_dictionaries()
    yield
    clear_parameters()
    clear_dictionaries()


@pytest.fixture
def tree(db):
    from jiedao.core.testing import build_tree

    return build_tree()


@pytest.fixture(autouse=True)
def _empty_cache():
    """A rolled-back test leaves cached public pages and rate-limit counts behind; the next test starts clean."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield


@pytest.fixture(autouse=True)
def _chinese_interface():
    """A test that switched to English (a request, a live-server thread) must not leave the next test in English."""
    from django.utils import translation

    yield
    translation.activate("zh-hans")
