"""Browser tests: Playwright driving Debian's chromium (installed by .ci/run) against the live test server."""

import pytest


@pytest.fixture(scope="session")
def browser(chromium):
    return chromium


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(10000)
    yield page
    context.close()
