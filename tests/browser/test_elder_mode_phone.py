"""Elder mode (适老化) on a 390 px phone: nothing wider than the screen, tables readable (they scroll instead
of squeezing columns to one character per line), headings larger than the text, placeholders visible."""

import pytest
from django.test import Client

from jiedao.applications import services
from jiedao.applications.tests.factories import CLERK_PERMISSIONS, make_item, make_resident, submit, walk_in
from jiedao.applications.views import SESSION_KEY
from jiedao.catalog.choices import ItemKind
from jiedao.core.testing import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390


@pytest.fixture
def phone_page(open_page, live_server, tree):
    resident = make_resident()
    client = Client()
    session = client.session
    session[SESSION_KEY] = resident.pk
    session.save()
    page = open_page(PHONE_WIDTH, 844, console=False)
    page.context.add_cookies(
        [
            {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url},
            {"name": "jiedao_elder", "value": "1", "url": live_server.url},
        ]
    )
    page.resident = resident
    return page


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def narrowest_cell(page) -> float:
    return page.evaluate(
        "Math.min(...[...document.querySelectorAll('main table td, main table th')]"
        ".filter(c => c.innerText.trim()).map(c => c.getBoundingClientRect().width))"
    )


def test_hall_pages_fit_a_phone_in_elder_mode(phone_page, tree):
    page = phone_page
    instant = make_item(
        tree.community_a1, name="居住证明开具（即办）", kind=ItemKind.INSTANT, promised_limit_days=0
    )
    # Applied for afresh: the resident's application of `instant` is open, and its page then offers no form.
    fresh = make_item(
        tree.community_a1, name="最低生活保障金申领", window_address="清波街道便民服务中心 3 号窗口"
    )
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    submit(page.resident, instant)
    walk_in(clerk, instant)

    page.goto("/hall/")
    assert "即时办结" in page.locator("main").inner_text()
    assert overflow(page) <= 0
    font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert narrowest_cell(page) >= 4 * font  # at least four characters a line, never one
    heading = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main h1')).fontSize)")
    assert heading > font

    page.goto("/hall/me/")
    assert overflow(page) <= 0
    assert narrowest_cell(page) >= 4 * font

    page.goto(f"/hall/me/apply/{fresh.pk}/")
    assert overflow(page) <= 0
    for selector in ("main h1", "main h2, main .h5, main legend, main label"):
        size = page.evaluate(f"parseFloat(getComputedStyle(document.querySelector('{selector}')).fontSize)")
        assert size >= font, selector

    page.goto("/hall/track/")
    colour = page.evaluate(
        "getComputedStyle(document.querySelector('input[type=text], input:not([type])'), '::placeholder').color"
    )
    assert colour not in ("rgb(0, 0, 0)", "rgba(0, 0, 0, 0)")


# Each control's label on one line: a flex row squeezed on a phone broke "Log out" into "Lo / g / o / ut".
LINES_OF = """(el) => {
  const range = document.createRange();
  range.selectNodeContents(el);
  return new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size;
}"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_resident_bar_and_print_buttons_keep_their_labels_on_one_line(
    phone_page, live_server, tree, language
):
    page = phone_page
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    application = submit(page.resident, make_item(tree.community_a1, name="最低生活保障金申领"))
    services.application_accept(actor=clerk, application=application)

    page.goto(f"/hall/me/applications/{application.pk}/")
    controls = page.locator(
        "[data-testid=resident-bar] a, [data-testid=resident-bar] button, [data-testid=notices] a"
    )
    assert controls.count() == 4
    for control in controls.all():
        assert control.evaluate(LINES_OF) == 1, control.inner_text()
    assert overflow(page) <= 0


def test_the_provisional_due_date_note_is_readable_in_elder_mode(phone_page, tree):
    """The note beside a provisional due date (暂按周末计算…) was Bootstrap's dark grey on the black page."""
    from jiedao.applications.tests.factories import local

    page = phone_page
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    item = make_item(tree.community_a1, promised_limit_days=48, statutory_limit_days=60)
    application = submit(page.resident, item, at=local(2026, 12, 7, 9))
    services.application_accept(actor=clerk, application=application, at=local(2026, 12, 7))
    for path in ("/hall/me/", f"/hall/me/applications/{application.pk}/"):
        page.goto(path)
        note = page.get_by_test_id("due-provisional-note").first
        assert "暂按周末计算" in note.inner_text()
        assert note.evaluate("el => getComputedStyle(el).color") == "rgb(255, 255, 0)", path
