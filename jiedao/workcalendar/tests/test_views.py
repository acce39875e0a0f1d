import datetime as dt

import pytest

from jiedao.audit.models import AuditEvent
from jiedao.core.menus import menu_for
from jiedao.core.scope import DataScope
from jiedao.core.testing import client_for, make_user
from jiedao.workcalendar.models import CalendarDay, CalendarYear

# These tests are about years the package does not cover: none is marked for them.
pytestmark = pytest.mark.calendar_as_shipped

VIEW, CHANGE = "workcalendar.view_calendarday", "workcalendar.change_calendarday"


@pytest.fixture
def admin(tree):
    return make_user(tree.district, VIEW, CHANGE, scope=DataScope.ALL)


def test_calendar_page_needs_the_view_permission(tree):
    stranger = make_user(tree.district, "orgs.view_orgunit")
    assert client_for(stranger).get("/calendar/").status_code == 403
    viewer = make_user(tree.district, VIEW, scope=DataScope.ALL)
    page = client_for(viewer).get("/calendar/?year=2026")
    assert page.status_code == 200
    html = page.content.decode()
    assert "国庆节调休上班" in html and 'data-date="2026-10-10" data-workday="1"' in html
    assert 'data-date="2026-10-05" data-workday="0"' in html
    assert "添加调整日" not in html  # no change permission, no edit controls


def test_menu_entry_shows_only_with_permission(tree):
    viewer = make_user(tree.district, VIEW, scope=DataScope.ALL)
    labels = [item["label"] for section in menu_for(viewer) for item in section["items"]]
    assert "工作日历" in labels
    other = make_user(tree.district, "orgs.view_orgunit")
    assert "工作日历" not in [item["label"] for section in menu_for(other) for item in section["items"]]


def test_uncovered_and_provisional_years_are_flagged(admin):
    client = client_for(admin)
    html = client.get("/calendar/?year=2027").content.decode()
    assert "未录入" in html and "2027年的法定节假日安排尚未录入" in html
    assert "暂按周六、周日休息和元旦（1月1日）" in html and 'data-date="2027-01-01" data-workday="0"' in html
    response = client.post("/calendar/years/2027/", {"status": "provisional", "note": "等待国务院通知"})
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2027).status == "provisional"
    html = client.get("/calendar/?year=2027").content.decode()
    assert "临时" in html and "暂按周六、周日休息和元旦" in html
    assert AuditEvent.objects.filter(event_code=1703, actor=admin).exists()


def test_browsing_a_far_year_leaves_no_standing_alert(admin):
    from jiedao.core.models import SystemAlert

    html = client_for(admin).get("/calendar/?year=2028").content.decode()
    assert "2028年的法定节假日安排尚未录入" in html  # the page itself says so
    assert not SystemAlert.objects.exists()
    assert (
        'data-testid="calendar-alert"' not in client_for(admin).get("/calendar/?year=2026").content.decode()
    )


def test_admin_adds_edits_and_deletes_an_override_day(admin):
    client = client_for(admin)
    assert client.get("/calendar/days/new/?date=2026-10-09").status_code == 200
    response = client.post(
        "/calendar/days/new/", {"date": "2026-10-09", "is_workday": "0", "reason": "防汛应急"}
    )
    assert response.status_code == 302 and response["Location"].endswith("?year=2026")
    day = CalendarDay.objects.get(date=dt.date(2026, 10, 9))
    assert not day.is_workday and day.updated_by == admin

    edit = client.get("/calendar/days/2026-10-09/")
    assert edit.status_code == 200 and "防汛应急" in edit.content.decode()
    client.post("/calendar/days/2026-10-09/", {"is_workday": "1", "reason": "恢复上班"})
    day.refresh_from_db()
    assert day.is_workday and day.reason == "恢复上班"

    client.post("/calendar/days/2026-10-09/delete/")
    assert not CalendarDay.objects.exists()
    assert list(AuditEvent.objects.order_by("id").values_list("event_code", flat=True)) == [1701, 1701, 1702]


def test_form_shows_chinese_errors(admin):
    response = client_for(admin).post(
        "/calendar/days/new/", {"date": "2026-10-09", "is_workday": "0", "reason": "  "}
    )
    assert response.status_code == 200
    assert "原因" in response.content.decode()
    published = client_for(admin).post("/calendar/years/2029/", {"status": "published"})
    assert published.status_code == 200 and "逐日录入" in published.content.decode()


def test_editing_pages_need_the_change_permission(tree):
    viewer = make_user(tree.district, VIEW, scope=DataScope.ALL)
    client = client_for(viewer)
    assert client.get("/calendar/days/new/").status_code == 403
    assert (
        client.post(
            "/calendar/days/new/", {"date": "2026-10-09", "is_workday": "0", "reason": "x"}
        ).status_code
        == 403
    )
    assert client.post("/calendar/days/2026-10-09/delete/").status_code == 403
    assert client.post("/calendar/years/2027/", {"status": "provisional"}).status_code == 403
    assert not CalendarDay.objects.exists() and not CalendarYear.objects.exists()


def _notice_post(**rows):
    data = {"replace": "on", "note": ""}
    for i, name in enumerate(["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节", "", ""]):
        data.update({f"name_{i}": name, f"rest_from_{i}": "", f"rest_to_{i}": "", f"work_{i}": ""})
    data.update(rows)
    return data


def test_admin_enters_a_whole_notice_on_one_page(admin):
    client = client_for(admin)
    page = client.get("/calendar/?year=2027").content.decode()
    assert 'data-testid="enter-notice"' in page
    form = client.get("/calendar/years/2027/notice/").content.decode()
    assert "录入2027年放假安排" in form and 'value="春节"' in form
    response = client.post(
        "/calendar/years/2027/notice/",
        _notice_post(
            rest_from_0="2027-01-01",
            rest_to_0="2027-01-03",
            rest_from_1="2027-02-06",
            rest_to_1="2027-02-13",
            work_1="2月14日（周日）、2月20日（周六）上班",
        ),
        follow=True,
    )
    html = response.content.decode()
    assert "已录入2027年放假安排：放假 11 天，调休上班 2 天" in html
    assert (
        'data-date="2027-02-14" data-workday="1"' in html
        and 'data-date="2027-02-10" data-workday="0"' in html
    )
    assert CalendarYear.objects.get(year=2027).status == "published"
    assert CalendarDay.objects.get(date=dt.date(2027, 2, 20)).reason == "春节调休上班"
    # Opening the form again shows what was entered, grouped by holiday, for a correction.
    again = client.get("/calendar/years/2027/notice/").content.decode()
    assert 'value="2027-02-06"' in again and "2027-02-14、2027-02-20" in again


def test_notice_form_errors_are_shown_in_chinese_on_their_row(admin):
    client = client_for(admin)
    response = client.post(
        "/calendar/years/2027/notice/",
        _notice_post(
            rest_from_1="2027-02-06",
            rest_to_1="2027-02-13",
            work_1="2月10日",
            rest_from_3="2027-05-01",
            rest_to_3="2027-04-28",
            work_3="2027-05-08",
        ),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "春节：2027-02-10 是星期三，调休上班日应为周六或周日。" in html
    assert "劳动节：放假结束日期不能早于开始日期。" in html
    unreadable = client.post(
        "/calendar/years/2027/notice/",
        _notice_post(rest_from_3="2027-05-01", rest_to_3="2027-05-05", work_3="五月八号"),
    ).content.decode()
    assert "劳动节：无法识别的日期：五月八号。" in unreadable
    assert not CalendarDay.objects.exists()
    empty = client.post("/calendar/years/2027/notice/", _notice_post()).content.decode()
    assert "请至少填写一个节日的放假日期。" in empty


def test_a_corrected_notice_replaces_its_new_year_days_in_the_december_before(admin):
    client = client_for(admin)
    client.post(
        "/calendar/years/2027/notice/",
        _notice_post(
            rest_from_0="2026-12-31", rest_to_0="2027-01-03", rest_from_1="2027-02-06", rest_to_1="2027-02-13"
        ),
    )
    # A local adjustment in that December is not part of the 2027 notice.
    client.post("/calendar/days/new/", {"date": "2026-12-14", "is_workday": "0", "reason": "防汛应急"})
    assert CalendarDay.objects.filter(date=dt.date(2026, 12, 31), is_workday=False).exists()
    # Reopening the form shows the whole 元旦 period, from the December before.
    form = client.get("/calendar/years/2027/notice/").content.decode()
    assert 'value="2026-12-31"' in form and 'value="2027-01-03"' in form
    # The corrected notice no longer rests on 2026-12-31: replacing takes that day away.
    response = client.post(
        "/calendar/years/2027/notice/",
        _notice_post(
            rest_from_0="2027-01-01", rest_to_0="2027-01-03", rest_from_1="2027-02-06", rest_to_1="2027-02-13"
        ),
    )
    assert response.status_code == 302
    assert not CalendarDay.objects.filter(date=dt.date(2026, 12, 31)).exists()
    assert CalendarDay.objects.filter(date=dt.date(2026, 12, 14), reason="防汛应急").exists()
    again = client.get("/calendar/years/2027/notice/").content.decode()
    assert 'value="2026-12-31"' not in again and 'value="2027-01-01"' in again


def test_a_provisional_year_with_entered_days_says_so(admin):
    client = client_for(admin)
    client.post(
        "/calendar/years/2027/notice/", _notice_post(rest_from_1="2027-02-06", rest_to_1="2027-02-13")
    )
    form = client.get("/calendar/years/2027/").content.decode()
    assert "这些调整日仍然生效" in form
    client.post("/calendar/years/2027/", {"status": "provisional", "note": ""})
    html = client.get("/calendar/?year=2027").content.decode()
    assert 'data-testid="provisional-with-days"' in html
    assert "2027年已录入 8 个调整日，但年度状态仍为“暂按周末和法定节日计算”" in html
    assert "2027年的法定节假日安排尚未录入，涉及该年度的期限" not in html
