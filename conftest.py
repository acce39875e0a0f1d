import pytest


@pytest.fixture(autouse=True)
def _fresh_parameter_cache():
    from jiedao.parameters.services import clear_cache

    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def tree(db):
    from jiedao.core.testing import build_tree

    return build_tree()
