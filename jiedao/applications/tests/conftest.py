import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_process_models():
    """Compiled process models are cached by definition id, and a rolled-back test's ids come back in the
    next test (SQLite reuses them): without clearing, a test could run the previous test's process (the
    demo's 低保 in place of its own two-step review)."""
    from jiedao.workflow import bpmn

    bpmn.clear_cache()
    yield
    bpmn.clear_cache()
