"""Browser tests: Playwright driving Debian's chromium (installed by .ci/run) against the live test server."""

import pytest


@pytest.fixture
def page(open_page):
    return open_page(console=False)
