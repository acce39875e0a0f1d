"""入户走访核查 on the 楼盘表: each room says in words whether it is due for a visit, by the rule of 待核查房屋
(the same rooms, never a second definition); the 概况 counts them and leads to the work list filtered to
the building; the API carries the same; 待核查房屋 exports to .xlsx for the printed round."""

from __future__ import annotations

import re
from datetime import date, timedelta
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from jiedao.audit.models import AuditEvent
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.parameters.models import SystemParameter
from jiedao.parameters.services import clear_cache as clear_parameter_cache
from jiedao.registry import services
from jiedao.registry.building_grid import building_grid
from jiedao.registry.choices import VisitResult
from jiedao.registry.models import Building, House
from jiedao.registry.selectors import houses_due_for_visit
from jiedao.registry.tests.factories import house, person, staff
from jiedao.registry.tests.test_building_grid import read_grid
from jiedao.registry.tests.test_house_visits import DUE, listed, page, visit
from jiedao.registry.tests.test_house_visits import clerk as clerk  # a fixture

EXPORT = "/registry/houses/due-for-visit/export/"
INJECTION = "=cmd|' /C calc'!A0"


@pytest.fixture
def block(tree, clerk):
    """幸福路12号3幢 with a room of each kind, and a room due in another building of the same community."""
    rooms = {
        "never": house(clerk, tree.community_a1, room="101"),
        "overdue": house(clerk, tree.community_a1, room="102"),
        "recent": house(clerk, tree.community_a1, room="201"),
        "nobody_home": house(clerk, tree.community_a1, room="202"),
        "visited_again": house(clerk, tree.community_a1, room="301"),
    }
    visit(clerk, rooms["overdue"], 200)
    visit(clerk, rooms["recent"], 10)
    visit(clerk, rooms["nobody_home"], 300)
    visit(clerk, rooms["nobody_home"], 5, VisitResult.NO_ANSWER)
    visit(clerk, rooms["visited_again"], 250, VisitResult.NO_ANSWER)
    visit(clerk, rooms["visited_again"], 20, VisitResult.VACANT)
    person(clerk, tree.community_a1, name="李四", house=rooms["recent"])
    house(clerk, tree.community_a1, building="4幢", room="101")  # due, but another building
    return rooms


def building_of(rooms) -> Building:
    return rooms["never"].building


def due_on_page(html) -> set[str]:
    """The rooms (unit and number, as a screen reader reads them) the grid marks 待核查, from each room's text."""
    rooms = [room for row in read_grid(html).rows for cell in row["cells"] for room in cell]
    return {room["text"].split()[0] for room in rooms if "待核查" in room["text"]}


def test_the_grid_marks_exactly_the_rooms_the_work_list_lists_and_links_to_them(clerk, block):
    client = client_for(clerk)
    building = building_of(block)
    html = page(client.get(f"/registry/buildings/{building.pk}/"))

    listed_here = set(listed(client, building=building.pk))
    assert listed_here == {block[k].full_address for k in ("never", "overdue", "nobody_home")}
    assert due_on_page(html) == {f"2单元{House.objects.get(full_address=a).room}" for a in listed_here}
    # the summary counts them and leads to the work list of this building only
    summary = re.search(r'data-testid="grid-visit-due">(.*?)</div>', html, re.S).group(1)
    assert "<dt" in summary and "待核查" in summary and ">3 <a" in summary
    link = f'href="{DUE}?building={building.pk}"'
    assert link in summary
    assert "幸福路12号4幢2单元101" in listed(client) and "幸福路12号4幢2单元101" not in listed_here

    # the rule is one: a shorter cycle makes the room visited 10 and 20 days ago due on both
    SystemParameter.objects.create(key="registry.visit_interval_days", value=7)
    clear_parameter_cache()
    html = page(client.get(f"/registry/buildings/{building.pk}/"))
    assert due_on_page(html) == {"2单元101", "2单元102", "2单元201", "2单元202", "2单元301"}
    assert len(listed(client, building=building.pk)) == 5


def last_visits_on_page(html) -> dict[str, tuple[str, str]]:
    """Each room's 最近核查 line by room number: (what is on the screen, what a screen reader reads out)."""
    found = {}
    for cell in re.findall(r'data-testid="grid-room">(.*?)</a>', html, re.S):
        room = re.search(r'text-decoration-underline">([^<]+)<', cell).group(1)
        line = re.search(
            r'data-testid="grid-last-visit">(.*?)</span>\s*(?:<span class="d-block|$)', cell, re.S
        )
        if line is None:
            continue
        shown = re.sub(r'<span class="visually-hidden">.*?</span>', "", line.group(1))
        spoken = re.sub(r'<span aria-hidden="true"[^>]*>.*?</span>', "", line.group(1))
        found[room] = tuple(" ".join(re.sub(r"<[^>]+>", " ", text).split()) for text in (shown, spoken))
    return found


def test_each_room_shows_the_day_and_finding_of_its_last_visit(clerk, block):
    html = page(client_for(clerk).get(f"/registry/buildings/{building_of(block).pk}/"))
    today = timezone.localdate()

    def day(days_ago: int) -> tuple[str, str]:
        on = today - timedelta(days=days_ago)
        return f"{on:%Y-%m-%d}", f"{on.year}年{on.month}月{on.day}日"

    assert last_visits_on_page(html) == {
        "101": ("从未核查", "从未核查"),
        "102": (f"{day(200)[0]} 属实", f"最近核查：{day(200)[1]}（信息属实）"),
        "201": (f"{day(10)[0]} 属实", f"最近核查：{day(10)[1]}（信息属实）"),
        # the latest visit's finding, not the earlier one's
        "202": (f"{day(5)[0]} 无人应门", f"最近核查：{day(5)[1]}（无人应门（需再访））"),
        "301": (f"{day(20)[0]} 空置", f"最近核查：{day(20)[1]}（房屋空置）"),
    }
    assert "格中日期为最近一次入户核查的日期，其后为核查结果" in html


def test_without_the_permission_to_see_visits_the_grid_says_nothing_of_them(tree, block):
    reader = staff(tree.community_a1)  # houses, persons, no visits
    html = page(client_for(reader).get(f"/registry/buildings/{building_of(block).pk}/"))
    assert 'data-testid="grid-visit-due"' not in html and due_on_page(html) == set()
    assert last_visits_on_page(html) == {} and "最近核查" not in html
    assert building_grid(reader, building_of(block)).summary.visit_due is None


def test_the_api_grid_carries_the_same_rooms_and_count(clerk, block):
    api = api_client_for(clerk)
    building = building_of(block)
    response = api.get(f"/api/v1/buildings/{building.pk}/grid/")
    assert response.status_code == 200, response.content
    body = response.json()
    rooms = {
        room["full_address"]: room
        for unit in body["units"]
        for floor in unit["floors"]
        for room in floor["rooms"]
    }
    due = {address for address, room in rooms.items() if room["visit_due"]}
    assert due == set(listed(client_for(clerk), building=building.pk))
    assert body["summary"]["visit_due"] == 3
    today = timezone.localdate()
    assert rooms[block["never"].full_address]["last_visited_on"] is None
    assert (
        rooms[block["nobody_home"].full_address]["last_visited_on"] == f"{today - timedelta(days=5):%Y-%m-%d}"
    )
    assert rooms[block["recent"].full_address]["visit_due"] is False
    assert rooms[block["never"].full_address]["last_visit_result"] is None
    assert rooms[block["nobody_home"].full_address]["last_visit_result"] == "no_answer"
    assert rooms[block["visited_again"].full_address]["last_visit_result"] == "vacant"

    plain = api_client_for(staff(clerk.org))
    body = plain.get(f"/api/v1/buildings/{building.pk}/grid/").json()
    assert body["summary"]["visit_due"] is None
    plain_rooms = [room for unit in body["units"] for f in unit["floors"] for room in f["rooms"]]
    assert {
        (room["visit_due"], room["last_visited_on"], room["last_visit_result"]) for room in plain_rooms
    } == {(None, None, None)}


def test_the_building_filter_is_scoped_as_the_list(tree, clerk, block):
    client = client_for(clerk)
    building = building_of(block)
    html = page(client.get(DUE, {"building": building.pk}))
    assert f"楼栋：{building}" in html
    assert f'name="building" value="{building.pk}"' in html  # kept when the visible filters change
    elsewhere = house(staff(tree.community_a2), tree.community_a2, street="和平路1号", room="101")
    # another community's building is refused, never read as “no filter”
    assert listed(client, building=elsewhere.building.pk) == []
    assert listed(client, building=building.pk, reason="never") == [block["never"].full_address]
    leader = make_user(tree.subdistrict_a, "registry.view_house", "registry.view_housevisit")
    assert listed(client_for(leader), building=elsewhere.building.pk) == [elsewhere.full_address]


def test_the_grid_reads_the_due_rooms_within_its_queries(tree, clerk, django_assert_max_num_queries):
    def fill(name, floors, per_floor) -> Building:
        building = services.building_create(
            actor=clerk,
            data=services.BuildingData(
                org=tree.community_a1, street_address="和睦路8号", name=name, floors=floors
            ),
        )
        for floor in range(1, floors + 1):
            for number in range(1, per_floor + 1):
                home = services.house_create(
                    actor=clerk,
                    data=services.HouseData(building=building, unit="1单元", room=f"{floor}{number:02d}"),
                )
                if number % 2:
                    visit(clerk, home, 3 if number % 3 else 400)
        return building

    small, large = fill("1幢", 2, 2), fill("2幢", 20, 6)
    client = client_for(clerk)
    page(client.get(f"/registry/buildings/{small.pk}/"))  # the session and the user's scope, read once
    counted = {}
    for building in (small, large):
        with CaptureQueriesContext(connection) as queries:
            html = page(client.get(f"/registry/buildings/{building.pk}/"))
        counted[building.name] = len(queries)
    assert counted["1幢"] == counted["2幢"], counted
    due = houses_due_for_visit(clerk).filter(building=large)
    assert due_on_page(html) == {f"1单元{room}" for room in due.values_list("room", flat=True)}
    assert len(due_on_page(html)) == 80
    # every room's last visit is on the page, read with the rooms
    shown = last_visits_on_page(html)
    assert len(shown) == 120 and sum(text.endswith(" 属实") for text, _spoken in shown.values()) == 60

    building_grid(clerk, large)  # the user's permissions and the visit cycle, read once
    with django_assert_max_num_queries(3):  # rooms with their visits, tags, migrants
        grid = building_grid(clerk, large)
    assert grid.summary.visit_due == 80


def sheet_rows(response) -> list[list]:
    assert response.status_code == 200, response.status_code
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def test_the_work_list_exports_what_it_shows_with_its_filter_and_is_audited(tree, clerk, block):
    client = client_for(clerk)
    building = building_of(block)
    html = page(client.get(DUE, {"building": building.pk}))
    assert f'href="{EXPORT}?building={building.pk}"' in html

    rows = sheet_rows(client.get(EXPORT, {"building": building.pk}))
    assert rows[0] == ["地址", "所属社区/网格", "待核查原因", "最近核查日期", "最近核查结果", "住户数"]
    assert [row[0] for row in rows[1:]] == listed(client, building=building.pk)
    by_address = {row[0]: row for row in rows[1:]}
    community = tree.community_a1.name
    today = timezone.localdate()
    assert by_address[block["never"].full_address][1:] == [community, "从未核查", None, None, 0]
    overdue = by_address[block["overdue"].full_address]
    assert overdue[2:] == [
        "超过核查周期",
        overdue[3],
        "信息属实",
        0,
    ] and overdue[3].date() == today - timedelta(days=200)
    assert by_address[block["nobody_home"].full_address][2] == "上次无人应门"
    assert by_address[block["nobody_home"].full_address][4] == "无人应门（需再访）"

    event = AuditEvent.objects.filter(event_name="registry.list.exported").get()
    assert event.actor == clerk and event.after["rows"] == 3 and event.after["list"] == "house"
    assert event.after["filter"] == {"楼栋": str(building)}
    assert "待核查房屋 3 条" in event.message

    # the reason filter and the whole list; a filter of another community's building changes nothing
    rows = sheet_rows(client.get(EXPORT, {"reason": "no_answer"}))
    assert [row[0] for row in rows[1:]] == [block["nobody_home"].full_address]
    assert len(sheet_rows(client.get(EXPORT))) - 1 == len(listed(client)) == 4
    elsewhere = house(staff(tree.community_a2), tree.community_a2, street="和平路1号", room="101")
    response = client.get(EXPORT, {"building": elsewhere.building.pk})
    assert response.status_code == 302 and response["Location"].startswith(DUE)
    assert AuditEvent.objects.filter(event_name="registry.list.exported").count() == 3


def test_the_export_neutralises_formulas_and_needs_the_visit_permission(tree, clerk):
    home = house(clerk, tree.community_a1, room="101")
    House.objects.filter(pk=home.pk).update(full_address=INJECTION)  # as an old import might have stored it
    rows = sheet_rows(client_for(clerk).get(EXPORT))
    assert rows[1][0] == "'" + INJECTION
    assert client_for(staff(tree.community_a1)).get(EXPORT).status_code == 403
    assert (
        not AuditEvent.objects.filter(event_name="registry.list.exported", actor__isnull=False)
        .exclude(actor=clerk)
        .exists()
    )


def test_the_reason_names_both_when_overdue_and_nobody_answered(clerk, tree):
    home = house(clerk, tree.community_a1, room="101")
    visit(clerk, home, 400, VisitResult.NO_ANSWER)
    rows = sheet_rows(client_for(clerk).get(EXPORT))
    assert rows[1][2] == "超过核查周期、上次无人应门"
    assert isinstance(rows[1][3].date(), date)
