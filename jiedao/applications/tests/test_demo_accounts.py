"""The demo accounts can work the whole service hall: 首问登记, 代办, rating statistics and rectification pages,
every published item has staff who can accept and conclude it, every community has staff for the household
check, and applications registered or accepted at a window record that window for the statistics."""

from __future__ import annotations

import pytest

from jiedao.accounts.models import User
from jiedao.applications import demo, services
from jiedao.applications.choices import RatingLevel
from jiedao.applications.models import ServiceWindow
from jiedao.applications.tests import factories
from jiedao.catalog import demo as catalog_demo
from jiedao.catalog.models import ServiceItem
from jiedao.core import demo as core_demo
from jiedao.core.scope import scope_for
from jiedao.core.testing import client_for, make_user
from jiedao.orgs.choices import OrgLevel
from jiedao.orgs.models import OrgUnit
from jiedao.workflow import demo as workflow_demo


@pytest.fixture
def demo_site(db):
    users = core_demo.load()
    catalog_demo.load()
    demo.load_permissions()
    workflow_demo.load_permissions()
    demo.load_windows()
    return users


def user(username: str) -> User:
    return User.objects.get(username=username)


PAGES = {
    "window": [
        "/hall/staff/inquiries/",
        "/hall/staff/inquiries/new/",
        "/hall/staff/agency/",
        "/hall/staff/agency/new/",
        "/hall/staff/agency/mine/",
    ],
    "window2": ["/hall/staff/inquiries/new/", "/hall/staff/agency/new/"],
    "leader": [
        "/hall/staff/ratings/",
        "/hall/staff/rectifications/",
        "/hall/staff/agency/",
        "/hall/staff/agency/new/",
        "/hall/staff/inquiries/",
    ],
    "leader2": ["/hall/staff/ratings/", "/hall/staff/rectifications/"],
    "supervisor": ["/hall/staff/ratings/", "/hall/staff/rectifications/", "/hall/staff/applications/"],
    # 区领导: the whole district read-only, the time-limit colours of every open application included
    "quleader": ["/hall/staff/ratings/", "/hall/staff/rectifications/", "/hall/staff/applications/"],
    "approver": ["/hall/staff/inquiries/"],
}


@pytest.mark.parametrize(("username", "url"), [(u, url) for u, urls in PAGES.items() for url in urls])
def test_demo_accounts_reach_the_service_hall_pages(demo_site, username, url):
    assert client_for(user(username)).get(url).status_code == 200


def test_menus_show_the_pages_to_the_demo_roles(demo_site):
    html = client_for(user("window")).get("/hall/staff/inquiries/").content.decode()
    assert "首问登记" in html and "代办服务" in html and "/hall/staff/inquiries/new/" in html
    # a leader receives hand-offs but does not register visitors: no button that leads to a refusal
    html = client_for(user("leader")).get("/hall/staff/inquiries/").content.decode()
    assert "/hall/staff/inquiries/new/" not in html
    html = client_for(user("leader")).get("/hall/staff/ratings/").content.decode()
    assert "好差评统计" in html and "差评整改" in html


def test_community_staff_do_not_get_the_window_pages(demo_site):
    client = client_for(user("shequ"))
    assert client.get("/hall/staff/ratings/").status_code == 403
    assert client.get("/hall/staff/inquiries/new/").status_code == 403


def test_every_published_item_has_demo_staff_to_accept_and_conclude_it(demo_site):
    staff = list(User.objects.filter(username__in=[u for u, *_ in core_demo.DEMO_USERS]))
    items = ServiceItem.objects.filter(is_published=True).select_related("org")
    assert items.filter(org__name="望江街道").exists()
    for item in items:
        for permission in ("applications.accept_application", "applications.conclude_application"):
            assert any(scope_for(u, permission).covers_org(item.org_id) for u in staff), (
                item.code,
                permission,
            )


def test_every_sub_district_and_community_has_its_demo_staff(demo_site):
    roles_at: dict[str, set[str]] = {}
    for _user, role in demo_site:
        roles_at.setdefault(_user.org.name, set()).add(role)
    for sub in OrgUnit.objects.filter(level=OrgLevel.SUBDISTRICT):
        assert {"window-staff", "approver", "subdistrict-leader"} <= roles_at.get(sub.name, set()), sub.name
    for community in OrgUnit.objects.filter(level=OrgLevel.COMMUNITY):
        assert "community-staff" in roles_at.get(community.name, set()), community.name


def test_printed_demo_accounts_are_one_line_per_org_group(demo_site):
    lines = core_demo.account_lines(demo_site)
    assert len(lines) == 6  # heading, district, and per sub-district its center and its communities
    assert lines[1].startswith("  明湖区：") and "sysadmin（系统管理员）*" in lines[1]
    assert lines[2].startswith("  清波街道：") and "window（窗口人员）" in lines[2]
    assert lines[3].startswith("  清波街道各社区") and "shequ3（涌金社区）" in lines[3]
    assert lines[4].startswith("  望江街道：") and "window2（窗口人员）" in lines[4]
    assert "shequ6（秋涛社区）" in lines[5]
    printed = "\n".join(lines)
    for username, *_ in core_demo.DEMO_USERS:
        assert f"：{username}（" in printed or f"  {username}（" in printed, username


def test_the_demo_windows_and_their_staff(demo_site):
    qingbo = ServiceWindow.of(user("window"))
    wangjiang = ServiceWindow.of(user("window2"))
    assert str(qingbo) == "1号窗口 综合受理" and qingbo.org.name == "清波街道"
    assert wangjiang.org.name == "望江街道"
    assert ServiceWindow.of(user("shequ")) is None
    demo.load_windows()
    assert ServiceWindow.objects.count() == 2  # idempotent


def test_window_is_recorded_and_rated_per_window(demo_site):
    """Walk-in: the registering staff member's window; online: the accepting staff member's, if any (the
    pad at that window rates it), though 好差评统计 按窗口 counts it with the online applications."""
    window = user("window")
    counter = ServiceWindow.of(window)
    item = factories.make_item(OrgUnit.objects.get(name="清波街道"), kind="instant", promised_limit_days=0)
    walk_in = services.application_register_walk_in(
        actor=window,
        item=item,
        applicant_name="李四",
        applicant_id_number="11010119900307803X",
        applicant_phone="13900009999",
        uploads=factories.uploads(),
    )
    walk_in.refresh_from_db()
    assert walk_in.window == counter  # the registering staff member's window
    online = factories.submit(factories.make_resident(), item)
    assert online.window is None
    untouched = factories.submit(factories.make_resident(), item)
    elsewhere = make_user(item.org, "applications.accept_application", "applications.conclude_application")
    services.application_accept(actor=elsewhere, application=untouched)  # staff who work at no window
    untouched.refresh_from_db()
    assert untouched.window is None and untouched.is_concluded
    services.application_accept(actor=window, application=online)  # instant: concluded on the spot
    online.refresh_from_db()
    assert online.window == counter and online.is_concluded  # kept through the conclusion
    services.application_accept(actor=window, application=walk_in)
    factories.rate_by_link(walk_in, RatingLevel.VERY_SATISFIED)
    services.rating_submit(application=online, level=RatingLevel.UNSATISFIED, resident=online.resident)
    html = client_for(user("leader")).get("/hall/staff/ratings/").content.decode()
    by_window = html.split('data-testid="by-window"')[1].split("</table>")[0]
    assert "1号窗口 综合受理" in by_window and "清波街道" in by_window
    assert "<td>1</td><td>1</td><td>0</td><td>5.00</td>" in by_window  # the walk-in: 非常满意 (5)
    # The online application the window accepted is rated in the row of online applications, as 办件统计
    # counts it: 不满意 (2).
    assert '<td colspan="2">网上申请（未经窗口）</td><td>1</td><td>0</td><td>1</td><td>2.00</td>' in by_window
