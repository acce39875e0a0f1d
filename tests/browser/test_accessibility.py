"""Accessibility of the public site and the resident's pages (WCAG 2.1 A/AA, GB/T 37668).

axe-core (an npm development dependency, installed by `make setup`) checks every public and resident page and
the states a visitor meets (a form sent back with errors, a tracking result) in normal mode on a desktop
screen and in elder mode (适老化) on a phone, in Chinese and in English; a serious or critical violation fails
the test and is listed. The other tests check what axe cannot: errors tied to their fields and focused, the
focus after a look-up, nothing wider than a phone's screen, the language switch."""

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from jiedao.applications import services
from jiedao.applications.tests.factories import CLERK_PERMISSIONS, make_resident, submit, walk_in
from jiedao.applications.tests.factories import make_item as make_hall_item
from jiedao.applications.views import SESSION_KEY
from jiedao.catalog.choices import Availability
from jiedao.catalog.tests.factories import make_announcement, make_item, make_material
from jiedao.core.testing import make_user
from jiedao.sms.models import OutboundMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
# The pages forbid inline scripts (CSP script-src 'self'), so axe is loaded from the page's own origin: the
# browser answers this address with the npm file and the CSP stays in force while axe runs.
AXE_URL = "/__axe-core__/axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join(", ")}`);
}"""
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
PHONE = (375, 812)
DESKTOP = (1280, 900)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def site(tree):
    """A published guide (a material without downloads: its table has nothing else to focus), a window-only
    item, an announcement, a resident with an application awaiting correction, a concluded one to rate, and a
    walk-in application under public notice."""
    item = make_item(tree.subdistrict_a, code="QB-MZ-001", name="最低生活保障申请", process_key="")
    make_material(item, name="户口簿", note="户主页及本人页")
    # Applied for afresh (the resident's application of `item` is still open, and its page then offers no form).
    to_apply = make_item(tree.subdistrict_a, code="QB-MZ-002", name="特困人员救助供养申请", process_key="")
    make_material(to_apply, name="户口簿", note="户主页及本人页")
    make_item(
        tree.subdistrict_a,
        code="QB-SQ-001",
        name="居住证明开具",
        availability=Availability.OFFLINE,
        process_key="",
    )
    announcement = make_announcement(tree.subdistrict_a, title="本周停水通知")
    clerk = make_user(tree.subdistrict_a, *CLERK_PERMISSIONS)
    resident = make_resident()
    in_correction = submit(resident, item)
    services.application_request_correction(actor=clerk, application=in_correction, items=["补充户口簿"])
    finished = submit(resident, make_hall_item(tree.community_a1, name="居住证办理"))
    services.application_accept(actor=clerk, application=finished)
    services.application_conclude(actor=clerk, application=finished, outcome="approved")
    # the rating link of the conclusion SMS, opened on the applicant's phone
    rating_link = re.search(
        r"/r/[A-Za-z0-9_-]+", OutboundMessage.objects.get(purpose="applications.concluded").body
    )
    tracked = walk_in(clerk, make_hall_item(tree.community_a1, name="临时救助申请"), phone="13800138000")
    services.application_accept(actor=clerk, application=tracked)
    notice = services.notice_publish_proposed(tracked, actor=clerk)
    return {
        "item": item,
        "to_apply": to_apply,
        "resident": resident,
        "public": [
            "/",
            "/guide/",
            "/guide/?audience=person",
            "/guide/QB-MZ-001/",
            "/guide/QB-SQ-001/",
            "/announcements/",
            f"/announcements/{announcement.pk}/",
            "/catalog/power-list/",
            "/catalog/responsibility-list/",
            "/hall/",
            "/hall/track/",
            "/hall/notices/",
            f"/hall/notices/{notice.pk}/",
            "/hall/account/login/",
            rating_link.group(0),
            "/guide/NO-SUCH-ITEM/",  # the public 404
            "/no-such-page/",  # an unknown address: the general 404
        ],
        "resident_pages": [
            "/hall/",
            "/hall/me/",
            f"/hall/me/apply/{item.pk}/",
            f"/hall/me/applications/{in_correction.pk}/",
            f"/hall/me/applications/{finished.pk}/",
            "/hall/account/identity/",
            "/hall/me/phone/",
            "/hall/me/close/",  # with an application open: the list of what stops it
        ],
        "tracked": tracked,
    }


@pytest.fixture
def visit(open_page, live_server):
    """A page of a browser in the given mode, size and language, optionally signed in as a resident, that can
    run axe."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make setup installs the development dependencies)")

    def _visit(*, elder: bool, size: tuple[int, int], language: str = "zh-hans", resident=None):
        page = open_page(*size, console=False)
        cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
        if elder:
            cookies.append({"name": "jiedao_elder", "value": "1", "url": live_server.url})
        if resident is not None:
            client = Client()
            session = client.session
            session[SESSION_KEY] = resident.pk
            session.save()
            cookies.append(
                {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}
            )
        page.context.add_cookies(cookies)
        page.route(f"**{AXE_URL}", lambda route: route.fulfill(path=AXE, content_type="text/javascript"))
        return page

    return _visit


def audit(page, where: str, problems: list[str], *, phone: bool) -> None:
    """axe's serious and critical WCAG 2.1 A/AA violations on the page as it is now, and on a phone anything
    that makes the page wider than the screen (WCAG 1.4.10 reflow)."""
    page.add_script_tag(url=AXE_URL)
    problems.extend(f"{where}: {violation}" for violation in page.evaluate(RUN_AXE, WCAG_AA))
    if phone and (overflow := page.evaluate(OVERFLOW)) > 0:
        problems.append(f"{where}: {overflow}px wider than the screen")


MODES = {
    "normal-desktop": {"elder": False, "size": DESKTOP},
    "elder-phone": {"elder": True, "size": PHONE},
    "english-elder-phone": {"elder": True, "size": PHONE, "language": "en"},
}


@pytest.mark.parametrize("mode", MODES)
def test_no_serious_wcag_violation_on_public_and_resident_pages(visit, site, mode):
    options = MODES[mode]
    phone = options["size"] == PHONE
    problems: list[str] = []

    page = visit(**options)
    for url in site["public"]:
        page.goto(url)
        audit(page, url, problems, phone=phone)
    page.goto("/hall/account/login/")  # sent back with an error under the field
    page.locator("#id_phone").fill("123")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("#id_phone[aria-invalid=true]")
    audit(page, "login with an error", problems, phone=phone)
    page.locator("#id_phone").fill("13912345678")  # sign-up: the SMS code page, then a wrong code
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/hall/account/verify/")
    audit(page, "/hall/account/verify/", problems, phone=phone)
    page.locator("#id_code").fill("000000")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("main [role=alert]")
    audit(page, "SMS code with an error", problems, phone=phone)
    page.goto("/hall/track/")  # the result card filled in by the script
    page.locator("#id_code").fill(site["tracked"].tracking_code)
    page.locator("#id_phone").fill("13800138000")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("#track-result [data-testid=status]")
    audit(page, "tracking result", problems, phone=phone)

    page = visit(**options, resident=site["resident"])
    for url in site["resident_pages"]:
        page.goto(url)
        audit(page, url, problems, phone=phone)
    page.goto(f"/hall/me/apply/{site['to_apply'].pk}/")  # a required material missing
    page.locator("main form[enctype] button[type=submit]").click()
    page.wait_for_selector("main [aria-invalid=true]")
    audit(page, "application with an error", problems, phone=phone)

    assert not problems, f"{mode}: {len(problems)} accessibility problems:\n" + "\n".join(problems)


def described_by(page, selector: str) -> str:
    """The text a screen reader reads with the field: the elements its aria-describedby names (each must exist)."""
    return page.eval_on_selector(
        selector,
        """el => (el.getAttribute("aria-describedby") || "").split(/\\s+/).filter(Boolean)
              .map(id => { const d = document.getElementById(id); return d ? d.textContent.trim() : `[missing #${id}]`; })
              .join(" | ")""",
    )


def test_form_errors_are_read_with_their_field_and_focused(visit, site):
    page = visit(elder=True, size=PHONE)
    page.goto("/hall/account/login/")
    page.get_by_label("手机号码").fill("123")
    page.get_by_role("button", name="获取验证码").click()
    phone = page.get_by_label("手机号码")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_be_focused()  # the keyboard starts at the field to correct
    message = page.get_by_role("alert").inner_text()
    assert message and "[missing" not in described_by(page, "#id_phone")
    assert message in described_by(page, "#id_phone")

    page = visit(elder=False, size=DESKTOP, resident=site["resident"])
    page.goto(f"/hall/me/apply/{site['to_apply'].pk}/")
    field = page.get_by_label("户口簿（必须）")
    assert described_by(page, "#" + field.get_attribute("id")) == "户主页及本人页"  # the help text
    page.get_by_role("button", name="提交申请").click()
    expect(field).to_be_focused()
    assert described_by(page, "#" + field.get_attribute("id")) == (
        "户主页及本人页 | 请上传“户口簿”，这是必须提交的材料。"
    )


def test_tracking_moves_the_focus_to_the_answer(visit, site):
    page = visit(elder=True, size=PHONE)
    page.goto("/hall/track/")
    page.get_by_label("查询码").fill(site["tracked"].tracking_code)
    page.get_by_label("手机号码").fill("13900139000")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("alert")).to_be_focused()
    page.get_by_label("手机号码").fill("13800138000")
    page.get_by_label("查询码").fill(site["tracked"].tracking_code)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#track-result h2")).to_be_focused()
    card = page.locator("#track-result .card")
    colours = card.evaluate("c => [getComputedStyle(c).color, getComputedStyle(c).backgroundColor]")
    assert colours == ["rgb(255, 255, 0)", "rgb(0, 0, 0)"]  # elder mode reaches the card the script adds


def test_elder_mode_and_language_are_offered_on_a_phone_without_opening_the_menu(visit, site):
    page = visit(elder=False, size=(320, 640))  # also a 1280 px screen at 400 % zoom
    page.goto("/guide/QB-MZ-001/")
    expect(page.get_by_role("button", name="长者模式（大字体）")).to_be_visible()
    page.get_by_role("button", name="English").click()
    page.wait_for_url(re.compile(r"/guide/QB-MZ-001/$"))
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.evaluate(OVERFLOW) <= 0  # the English header (longer words) still fits
    expect(page.get_by_role("button", name="简体中文")).to_have_attribute("lang", "zh-Hans")
    page.get_by_role("button", name="简体中文").click()
    page.wait_for_url(re.compile(r"/guide/QB-MZ-001/$"))
    assert page.evaluate("document.documentElement.lang") == "zh-hans"
