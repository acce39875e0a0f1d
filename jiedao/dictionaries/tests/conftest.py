import pytest


@pytest.fixture(autouse=True)
def _fresh_dictionary_cache():
    from jiedao.dictionaries.selectors import clear_cache

    clear_cache()
    yield
    clear_cache()
