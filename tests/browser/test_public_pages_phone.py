"""The public service hall (no staff login) on a 390 px phone, in normal and in elder mode (适老化): no page is
wider than the screen. A table wider than the screen scrolls in its own box, and that box is a named region
that can be focused (WCAG: a scrollable region must be reachable and scrollable from the keyboard and be
announced with a name)."""

import pytest
from django.test import Client

from jiedao.applications.tests.factories import CLERK_PERMISSIONS, make_resident, walk_in
from jiedao.applications.views import SESSION_EPOCH_KEY, SESSION_KEY
from jiedao.appointments.tests.factories import open_hall
from jiedao.catalog.tests.factories import make_announcement, make_item, make_material
from jiedao.core.testing import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390
TRACKED_PHONE = "13800138000"

# Boxes in <main> whose content is wider than they are and that scroll sideways: each described by what a
# screen reader needs to reach and name it.
SCROLL_BOXES = """() => [...document.querySelectorAll('main *')]
  .filter((el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX) && el.scrollWidth > el.clientWidth)
  .map((el) => {
    const labelledBy = (el.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean)
      .map((id) => (document.getElementById(id) || {}).textContent || '').join(' ').trim();
    return {
      what: el.className + ' > ' + (el.querySelector('caption') || el).textContent.trim().slice(0, 40),
      role: el.getAttribute('role'),
      tabindex: el.getAttribute('tabindex'),
      name: (el.getAttribute('aria-label') || '').trim() || labelledBy,
    };
  })"""


@pytest.fixture
def site(tree):
    """A published guide with materials (a long note, both downloads' links absent), a window-only item whose
    hall takes bookings, an announcement, and a walk-in application to track."""
    guide = make_item(
        tree.subdistrict_a,
        code="QB-MZ-001",
        name="最低生活保障（低保）申请",
        legal_basis="《社会救助暂行办法》（国务院令第649号）第九条至第十一条；《最低生活保障审核确认办法》",
        department="社会事务办公室（民政、残联、退役军人服务）",
        process_key="",
    )
    make_material(guide, name="户口簿", note="户主页及本人页，户籍不在本街道的提供居住证")
    make_material(guide, name="家庭成员收入证明（工资单、养老金发放记录等）", required=False)
    booked = make_item(tree.subdistrict_a, code="QB-SQ-001", name="居住证明开具", process_key="")
    open_hall(tree.subdistrict_a)
    announcement = make_announcement(
        tree.subdistrict_a, title="关于调整便民服务中心周六办理时间的通知", body="自下月起周六上午办理。"
    )
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    tracked = walk_in(clerk, make_item(tree.community_a1, name="居住证办理"), phone=TRACKED_PHONE)
    return {
        "pages": [
            "/",
            "/guide/",
            "/guide/?q=低保",
            f"/guide/{guide.code}/",
            f"/guide/{booked.code}/",
            "/catalog/power-list/",
            "/catalog/responsibility-list/",
            "/announcements/",
            f"/announcements/{announcement.pk}/",
            "/hall/",
            "/hall/track/",
            "/hall/notices/",
            f"/appointments/me/book/{booked.pk}/",
            "/appointments/me/",
        ],
        "tracking_code": tracked.tracking_code,
    }


@pytest.fixture
def phone_page(open_page, live_server):
    """A 390 x 844 page with a signed-in resident (the booking pages ask for one)."""
    resident = make_resident()
    client = Client()
    session = client.session
    session[SESSION_KEY] = resident.pk
    session[SESSION_EPOCH_KEY] = resident.session_epoch
    session.save()
    page = open_page(PHONE_WIDTH, 844, console=False)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return page


def fits(page) -> list[str]:
    """What is wrong with the page as it is now: wider than the phone, or a sideways-scrolling box that a
    keyboard or screen reader user cannot reach or would not know the name of."""
    problems = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE_WIDTH:
        problems.append(f"{page.url}: {width} px wide")
    for box in page.evaluate(SCROLL_BOXES):
        if box["role"] != "region" or box["tabindex"] != "0" or not box["name"]:
            problems.append(f"{page.url}: a scrolling box without a focusable named region: {box}")
    return problems


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_public_pages_fit_a_phone(phone_page, live_server, site, elder):
    page = phone_page
    if elder:
        page.context.add_cookies([{"name": "jiedao_elder", "value": "1", "url": live_server.url}])
    problems = []
    for path in site["pages"]:
        response = page.goto(path)
        assert response.status == 200, path
        assert page.locator("body.elder").count() == (1 if elder else 0), path
        problems += fits(page)
    # The tracking answer, as a resident sees it after a look-up.
    page.goto("/hall/track/")
    page.get_by_label("查询码").fill(site["tracking_code"])
    page.get_by_label("手机号码").fill(TRACKED_PHONE)
    page.get_by_role("button", name="查询").click()
    page.get_by_test_id("status").wait_for()
    problems += fits(page)
    assert problems == []
