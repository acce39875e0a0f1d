"""Accessibility of the staff pages (WCAG 2.1 A/AA, GB/T 37668): the shared layout, the workbench, the
registry, the import pages, accounts, orgs, audit, parameters, the work calendar and the window's 窗口收件登记.

Clerks use these pages all day, some with a screen magnifier or a screen reader. axe-core (the npm development
dependency `test_accessibility.py` uses) checks every page as the demo role that works on it, in Chinese, on a
1280 px laptop and on a 1920 px desktop (and that nothing widens the page at 200 % and 400 % zoom); a serious or
critical violation fails the test and is listed. The other tests walk the main flows with the keyboard: the skip
link, the menu with a visible focus, a person opened from the list, the edit form sent back with an error, the
result table updated in place; and check what a screen reader reads of masked numbers, row actions, calendar
days and an import that ends."""

import re

import pyotp
import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from jiedao.applications import demo as applications_demo
from jiedao.audit.models import AuditEvent
from jiedao.catalog import demo as catalog_demo
from jiedao.catalog.models import ServiceItem
from jiedao.core import demo
from jiedao.core.testing import sign_in
from jiedao.orgs.models import OrgUnit
from jiedao.registry import demo as registry_demo
from jiedao.registry.models import Enterprise, House, Household, Person
from jiedao.registry.ui.persons import PersonListView
from jiedao.spreadsheets.models import ImportJob, ImportStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
AXE_URL = "/__axe-core__/axe.min.js"  # served by the browser from the npm file: the pages keep their CSP
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join(", ")}`);
}"""
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
# After the window is resized: the page's resize handlers (the statistics charts) have run two frames later.
SETTLED = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
LAPTOP = (1280, 800)
DESKTOP = (1920, 1080)
# What a screen reader reads of an element: its text without the parts hidden from assistive technology.
SPOKEN_TEXT = """el => {
  const copy = el.cloneNode(true);
  copy.querySelectorAll('[aria-hidden="true"]').forEach((hidden) => hidden.remove());
  return copy.textContent.replace(/\\s+/g, " ").trim();
}"""
# The focus indicator of the focused element: a solid outline at least 2 px wide (Bootstrap's own is a 25 %
# transparent glow, hard to find on a light grey menu for a clerk with low vision).
FOCUS_RING = """() => {
  const style = getComputedStyle(document.activeElement);
  return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
}"""


@pytest.fixture
def district():
    """The demo district with its roles and accounts, and a few people per community (households, houses,
    enterprises, migrants, special-group tags, life events)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make setup installs the development dependencies)")
    users = {user.username: user for user, _role in demo.load()}
    registry_demo.load(persons_per_community=6)
    community = users["shequ"].org
    in_community = {"org__path__startswith": community.path}
    return {
        "users": users,
        "person": Person.objects.filter(**in_community).order_by("pk").first(),
        "household": Household.objects.filter(**in_community).order_by("pk").first(),
        "house": House.objects.filter(**{"building__org__path__startswith": community.path}).first(),
        "enterprise": Enterprise.objects.filter(**in_community).first(),
    }


@pytest.fixture
def staff_page(open_page, live_server):
    """A laptop-sized page signed in as a demo account (past its second factor), that can run axe."""

    def _open(user=None):
        page = open_page(*LAPTOP, console=False)
        page.route(f"**{AXE_URL}", lambda route: route.fulfill(path=AXE, content_type="text/javascript"))
        if user is not None:
            sign_in(page, user, live_server)
        return page

    return _open


def audit(page, where: str, problems: list[str]) -> None:
    """axe's serious and critical WCAG 2.1 A/AA violations on the page as it is, on a laptop and on a desktop;
    and anything that makes the page wider than the laptop's screen at 200 % and 400 % zoom (WCAG 1.4.10: a
    data table may scroll sideways in its own box, the page may not)."""
    page.add_script_tag(url=AXE_URL)
    for size in (LAPTOP, DESKTOP):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        page.evaluate(SETTLED)
        problems.extend(f"{where} @{size[0]}: {violation}" for violation in page.evaluate(RUN_AXE, WCAG_AA))
    for zoom in (2, 4):
        page.set_viewport_size({"width": LAPTOP[0] // zoom, "height": LAPTOP[1] // zoom})
        page.evaluate(SETTLED)
        if (overflow := page.evaluate(OVERFLOW)) > 0:
            problems.append(f"{where} at {zoom}00 % zoom: {overflow}px wider than the screen")
    page.set_viewport_size({"width": LAPTOP[0], "height": LAPTOP[1]})


def audit_all(page, urls: list[str], problems: list[str]) -> None:
    for url in urls:
        response = page.goto(url)
        assert response.status == 200, f"{url}: {response.status}"
        audit(page, url, problems)


def test_no_serious_wcag_violation_when_signing_in(staff_page, district):
    """The login page, a wrong password, the second factor of a 三员 account, the workbench."""
    problems: list[str] = []
    page = staff_page()
    page.goto("/accounts/login/")
    audit(page, "login", problems)
    page.get_by_label("用户名").fill("sysadmin")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("main [role=alert]")
    audit(page, "login with an error", problems)
    page.get_by_label("用户名").fill("sysadmin")
    page.get_by_label("密码").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/two-factor/")
    audit(page, "two-factor", problems)
    page.get_by_label("动态口令").fill(pyotp.TOTP(district["users"]["sysadmin"].totp_secret).now())
    page.get_by_role("button", name="验证").click()
    page.wait_for_url("**/workbench/")
    audit(page, "/workbench/", problems)
    assert not problems, f"{len(problems)} accessibility problems:\n" + "\n".join(problems)


def system_admin(page, district, problems):
    """Users, the org tree, parameters, the work calendar, and a form sent back with errors."""
    qingbo = OrgUnit.objects.get(name="清波街道")
    shequ = district["users"]["shequ"]
    audit_all(
        page,
        [
            "/accounts/users/",
            "/accounts/users/new/",
            f"/accounts/users/{shequ.pk}/edit/",
            "/orgs/",
            f"/orgs/{qingbo.pk}/edit/",
            "/parameters/",
            "/calendar/",
            "/calendar/days/new/",
        ],
        problems,
    )
    page.goto("/parameters/")
    page.locator("main a[href^='/parameters/'][href$='/']").first.click()
    page.wait_for_selector("main form")
    audit(page, "a parameter's form", problems)
    page.goto(f"/orgs/{qingbo.pk}/new/")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("main [aria-invalid=true]")
    audit(page, "org form with errors", problems)


def security_admin(page, district, problems):
    """Roles and who holds them, the password change, binding a new authenticator."""
    shequ = district["users"]["shequ"]
    urls = [
        "/accounts/roles/",
        "/accounts/roles/new/",
        f"/accounts/users/{shequ.pk}/roles/",
        "/accounts/password/",
        "/accounts/two-factor/setup/",
    ]
    audit_all(page, urls, problems)


def auditor(page, district, problems):
    event = AuditEvent.objects.order_by("-pk").first()
    audit_all(page, ["/audit/", f"/audit/{event.pk}/", "/audit/verify/", "/accounts/login-log/"], problems)


def community_staff(page, district, problems):
    """The community's registry and its imports, the edit form with an error, a search updated in place."""
    person, household = district["person"], district["household"]
    house, enterprise = district["house"], district["enterprise"]
    shequ = district["users"]["shequ"]
    job = ImportJob.objects.create(
        org=shequ.org,
        created_by=shequ,
        spec_key="registry-persons",
        original_name="花名册.xlsx",
        stored_file="x/y.xlsx",
        status=ImportStatus.DONE,
        rows_processed=3,
        created_count=3,
    )
    audit_all(
        page,
        [
            "/workbench/",
            "/registry/persons/",
            f"/registry/persons/{person.pk}/",
            f"/registry/persons/{person.pk}/edit/",
            "/registry/persons/new/",
            "/registry/households/",
            f"/registry/households/{household.pk}/",
            "/registry/buildings/",
            f"/registry/buildings/{house.building_id}/",
            "/registry/houses/",
            f"/registry/houses/{house.pk}/",
            "/registry/enterprises/",
            f"/registry/enterprises/{enterprise.pk}/",
            "/registry/migrants/",
            "/registry/stats/",
            "/imports/",
            "/imports/new/registry-persons/",
            f"/imports/{job.pk}/",
        ],
        problems,
    )
    page.goto(f"/registry/persons/{person.pk}/edit/")
    page.get_by_label("姓名").fill("")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("main [aria-invalid=true]")
    audit(page, "person form with an error", problems)
    page.goto("/registry/persons/")
    page.get_by_label("姓名 / 证件号码 / 电话").press_sequentially("zzzz")
    expect(page.get_by_test_id("total")).to_have_text("共 0 条")
    audit(page, "person list after a search in place", problems)


def subdistrict_leader(page, district, problems):
    """Reads the registry and may reveal a full number (its button)."""
    audit_all(page, [f"/registry/persons/{district['person'].pk}/"], problems)


def window_staff(page, district, problems):
    """窗口收件登记: the item picker, then the form with the chosen item's materials (最低生活保障: the most)."""
    catalog_demo.load()
    applications_demo.load_permissions()
    item = ServiceItem.objects.get(code="QB-MZ-001")
    audit_all(
        page, ["/hall/staff/applications/new/", f"/hall/staff/applications/new/?item={item.pk}"], problems
    )


ROLES = {
    "sysadmin": system_admin,
    "secadmin": security_admin,
    "auditor": auditor,
    "shequ": community_staff,
    "leader": subdistrict_leader,
    "window": window_staff,
}


@pytest.mark.parametrize("username", ROLES)
def test_no_serious_wcag_violation_on_staff_pages(staff_page, district, username):
    """Each page as the demo account that works on it, one signed-in context per role."""
    problems: list[str] = []
    ROLES[username](staff_page(district["users"][username]), district, problems)
    assert not problems, f"{username}: {len(problems)} accessibility problems:\n" + "\n".join(problems)


def test_keyboard_reaches_the_content_and_the_menu_with_a_visible_focus(staff_page, district):
    page = staff_page(district["users"]["shequ"])
    page.goto("/workbench/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到主要内容")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # shown when focused
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    menu = page.get_by_role("navigation", name="主菜单")
    persons = menu.get_by_role("link", name="人口信息")
    for _ in range(30):  # the header's controls, then the menu
        page.keyboard.press("Tab")
        if persons.evaluate("el => el === document.activeElement"):
            break
    expect(persons).to_be_focused()
    assert page.evaluate(FOCUS_RING), "the focused menu entry has no visible outline"
    page.keyboard.press("Enter")
    page.wait_for_url("**/registry/persons/")
    expect(
        page.get_by_role("navigation", name="主菜单").get_by_role("link", name="人口信息")
    ).to_have_attribute("aria-current", "page")
    page.keyboard.press("Tab")  # the skip link again, then the brand in the blue header
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUS_RING), "the focused header link has no visible outline"


def test_search_is_announced_and_paging_keeps_the_keyboard_in_the_results(staff_page, district, monkeypatch):
    monkeypatch.setattr(PersonListView, "paginate_by", 2)
    page = staff_page(district["users"]["shequ"])
    page.goto("/registry/persons/")
    table = page.get_by_role("table", name="人口信息")  # the table is named by its caption
    expect(table).to_be_visible()
    results = page.locator("#results")
    assert results.get_attribute("aria-live") is None  # the whole table is not read out on every key
    status = page.get_by_role("status")
    page.get_by_label("姓名 / 证件号码 / 电话").press_sequentially("zzzz")
    expect(page.get_by_test_id("total")).to_have_text("共 0 条")
    expect(status).to_have_text("共 0 条")  # a short, polite announcement of the new result
    page.goto("/registry/persons/")
    page.get_by_role("link", name="下一页").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile(r"^第 2 / \d+ 页$"))).to_be_visible()
    expect(status).to_have_text(re.compile(r"^共 \d+ 条，第 2 / \d+ 页$"))
    # the link pressed is gone with the old table: the keyboard goes on from the new one, not from the top
    expect(page.get_by_role("region", name="人口信息")).to_be_focused()


def test_masked_numbers_are_read_as_such(staff_page, district):
    person = district["person"]
    page = staff_page(district["users"]["shequ"])
    page.goto("/registry/persons/")
    row = page.locator(f"tr[data-person-id='{person.pk}']")
    cell = row.get_by_role("cell").nth(3)
    expect(cell.locator("[aria-hidden=true]")).to_have_text(person.id_number_masked)  # shown as before
    number = person.id_number_masked
    spoken = cell.evaluate(SPOKEN_TEXT)
    assert "*" not in spoken, spoken  # not "star star star star star star star star"
    assert spoken == f"{' '.join(number[:6])}，中间 8 位已隐藏，{' '.join(number[-4:])}"
    page.goto(f"/registry/persons/{person.pk}/")
    assert "*" not in page.get_by_test_id("person-identity").evaluate(SPOKEN_TEXT)


def test_person_opened_from_the_list_and_an_edit_error_with_the_keyboard(staff_page, district):
    person = district["person"]
    page = staff_page(district["users"]["shequ"])
    page.goto("/registry/persons/")
    link = page.get_by_test_id("results-table").get_by_role("link", name=person.name).first
    for _ in range(40):
        page.keyboard.press("Tab")
        if link.evaluate("el => el === document.activeElement"):
            break
    expect(link).to_be_focused()
    assert page.evaluate(FOCUS_RING), "the focused person link has no visible outline"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/registry/persons/{person.pk}/")

    page.get_by_role("link", name="修改", exact=True).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/registry/persons/{person.pk}/edit/")
    name = page.get_by_label("姓名")
    name.fill("")
    name.press("Enter")  # sent with the keyboard, sent back with an error
    page.wait_for_load_state()
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_be_focused()  # the keyboard starts where the correction is needed
    error_id = f"{name.get_attribute('id')}_error"
    assert error_id in name.get_attribute("aria-describedby").split()
    assert page.locator(f"#{error_id}").inner_text().strip()


# Links and buttons in `main` whose names (as a screen reader lists them) are the same while they act on different
# things: "修改" twenty times in the org tree, each for another office.
SAME_NAME_OTHER_TARGET = """() => {
  const seen = new Map();
  const clashes = new Set();
  document.querySelectorAll("main a[href], main button").forEach((el) => {
    const copy = el.cloneNode(true);
    copy.querySelectorAll('[aria-hidden="true"]').forEach((hidden) => hidden.remove());
    const name = (el.getAttribute("aria-label") || copy.textContent).replace(/\\s+/g, " ").trim();
    const form = el.form;
    const target = el.tagName === "A" ? el.href : form ? form.action + new URLSearchParams(new FormData(form)) : "";
    if (seen.has(name) && seen.get(name) !== target) clashes.add(name);
    seen.set(name, target);
  });
  return [...clashes];
}"""


def test_each_row_action_names_its_record(staff_page, district):
    users = district["users"]
    clashes = {}
    page = staff_page(users["sysadmin"])
    for url in ("/orgs/", "/accounts/users/", "/parameters/"):
        page.goto(url)
        clashes[url] = page.evaluate(SAME_NAME_OTHER_TARGET)
    page = staff_page(users["secadmin"])
    for url in ("/accounts/roles/", "/accounts/users/"):
        page.goto(url)
        clashes[f"{url} (security)"] = page.evaluate(SAME_NAME_OTHER_TARGET)
    assert page.get_by_role("link", name="分配角色 张秀英").count() == 1
    assert {url: names for url, names in clashes.items() if names} == {}


def test_an_import_that_ends_says_so_in_the_page_title(staff_page, district):
    """The detail page polls a running import and reloads itself when the import ends: the title, the first thing
    a screen reader reads of the new page, says how it ended (the progress card is not read out every 2 s)."""
    shequ = district["users"]["shequ"]
    job = ImportJob.objects.create(
        org=shequ.org,
        created_by=shequ,
        spec_key="registry-persons",
        original_name="花名册.xlsx",
        stored_file="x/y.xlsx",
        status=ImportStatus.RUNNING,
        started_at=timezone.now(),
    )
    page = staff_page(shequ)
    page.goto(f"/imports/{job.pk}/")
    expect(page).to_have_title(re.compile(r"^导入任务（导入中）"))
    assert page.get_by_test_id("import-progress").get_attribute("aria-live") is None
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE, finished_at=timezone.now(), rows_processed=3, created_count=3
    )
    expect(page).to_have_title(re.compile(r"^导入任务（已完成）"), timeout=10000)  # the next poll reloads it


def test_calendar_days_say_what_they_are(staff_page, district):
    """The month tables show a rest day by its colour and a tooltip; a screen reader reads the day's kind."""
    page = staff_page(district["users"]["sysadmin"])
    page.goto("/calendar/?year=2026")
    january = page.get_by_role("table", name="1月")
    new_year = january.locator("td[data-date='2026-01-01']")
    saturday = january.locator("td[data-date='2026-01-10']")
    monday = january.locator("td[data-date='2026-01-12']")
    assert new_year.evaluate(SPOKEN_TEXT).startswith("1 休息日 · 元旦")
    assert saturday.evaluate(SPOKEN_TEXT) == "10 休息日 · 周末"
    assert monday.evaluate(SPOKEN_TEXT) == "12 工作日"


def test_revealing_a_number_leaves_the_keyboard_on_it(staff_page, district):
    """The button is replaced with the full numbers: the focus goes to them, not back to the top of the page."""
    person = district["person"]
    page = staff_page(district["users"]["leader"])  # a sub-district leader may see the full number
    page.goto(f"/registry/persons/{person.pk}/")
    page.get_by_role("button", name="显示完整号码").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("id-number")).to_have_text(person.id_number)
    expect(page.get_by_test_id("person-identity")).to_be_focused()
