import os
import shutil

import pytest


@pytest.fixture(autouse=True)
def _fresh_parameter_cache():
    """Per-process caches keyed by primary key: a rolled-back test gives its ids to the next test's rows
    (a parsed process definition cached under id 3 would be another test's process)."""
    from jiedao.dictionaries.selectors import clear_cache as clear_dictionaries
    from jiedao.parameters.services import clear_cache as clear_parameters
    from jiedao.workflow.bpmn import clear_cache as clear_process_models

    for clear in (clear_parameters, clear_dictionaries, clear_process_models):
        clear()
    yield
    for clear in (clear_parameters, clear_dictionaries, clear_process_models):
        clear()


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


# Fixtures that give a test the database, by name (a `django_db` mark gives it too).
_DATABASE_FIXTURES = ("db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback")


@pytest.fixture(autouse=True)
def _working_days_cover_this_year_and_next(request):
    """The system administrator's yearly duty, done: a year the holiday package does not know is marked
    "weekends only" (provisional), as the demo does. Without it every test that starts a time limit would
    fail from the day its deadline reaches a year the package does not cover (2027 from mid-December 2026,
    every deadline from 1 January). Tests of that refusal itself carry `calendar_as_shipped`."""
    if request.node.get_closest_marker("calendar_as_shipped"):
        return
    requested = [name for name in _DATABASE_FIXTURES if name in request.fixturenames]
    if not requested and request.node.get_closest_marker("django_db") is None:
        return
    for name in requested:
        request.getfixturevalue(name)  # the database as the test asked for it, before writing to it
    from django.utils import timezone

    from jiedao.workcalendar import services
    from jiedao.workcalendar.choices import YearStatus
    from jiedao.workcalendar.models import CalendarYear

    this_year = timezone.localdate().year
    for year in (this_year, this_year + 1):
        if not services.PACKAGE_FIRST_YEAR <= year <= services.PACKAGE_LAST_YEAR:
            CalendarYear.objects.get_or_create(
                year=year, defaults={"status": YearStatus.PROVISIONAL, "note": "测试：暂按周末计算"}
            )
    services.current_calendar()  # cached now, so a test counting its queries counts only its own


# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def chromium():
    """One Playwright and one Chromium for the whole run (per test process): Playwright's sync API cannot
    start while another instance is alive in the process, so every browser test shares this one."""
    if CHROMIUM is None:
        if os.environ.get("JIEDAO_BROWSER_REQUIRED") == "1":
            pytest.fail("chromium is not installed: browser tests cannot run (apt-get install chromium)")
        pytest.skip("chromium is not installed (CI installs it; locally: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium, live_server):
    """Open a page of a fresh browser context on the live server: Chinese locale, 10 s timeout, page errors
    (and, with `console`, console errors) collected in `page.problems`, signed in as `user` when given.
    Every context is closed after the test."""
    contexts = []

    def _open(width=1280, height=900, *, user=None, javascript=True, console=True):
        context = chromium.new_context(
            base_url=live_server.url,
            locale="zh-CN",
            viewport={"width": width, "height": height},
            java_script_enabled=javascript,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10000)
        page.problems = []
        if console:
            page.on("console", lambda message: message.type == "error" and page.problems.append(message.text))
        page.on("pageerror", lambda error: page.problems.append(str(error)))
        if user is not None:
            from jiedao.core.testing import sign_in

            sign_in(page, user, live_server)
        return page

    yield _open
    for context in contexts:
        context.close()
