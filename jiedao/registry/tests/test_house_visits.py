"""入户走访核查: a grid worker records a visit to a house (page and API); the house shows its visits and
最近核查; 待核查房屋 lists the houses never visited, overdue, or where nobody answered last time."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import OutOfScope, ValidationFailed
from jiedao.core.testing import ScopedModelContract, api_client_for, client_for, make_user
from jiedao.parameters.models import SystemParameter
from jiedao.parameters.services import clear_cache as clear_parameter_cache
from jiedao.registry import demo, services
from jiedao.registry.choices import VisitResult
from jiedao.registry.models import Building, House, HouseVisit
from jiedao.registry.tests.factories import house, staff

VISITS = ("registry.view_housevisit", "registry.add_housevisit")
DUE = "/registry/houses/due-for-visit/"


@pytest.fixture
def clerk(tree):
    return staff(tree.community_a1, *VISITS)


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def visit(actor, home, days_ago: int, result=VisitResult.CONFIRMED, note="") -> HouseVisit:
    data = services.VisitData(
        visited_on=timezone.localdate() - timedelta(days=days_ago), result=result, note=note
    )
    return services.house_visit_record(actor=actor, house=home, data=data)


def listed(client, **params) -> list[str]:
    """The addresses 待核查房屋 shows, in its order."""
    html = page(client.get(DUE, params))
    return re.findall(r'<a href="/registry/houses/\d+/">([^<]+)</a>', html)


def chinese_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def test_a_visit_recorded_on_the_house_page_shows_there_and_leaves_the_work_list(tree, clerk):
    home = house(clerk, tree.community_a1)
    client = client_for(clerk)
    assert listed(client) == ["幸福路12号3幢2单元301"]
    # reached from the menu, the house list and the home page's panel
    assert f'href="{DUE}"' in page(client.get("/registry/houses/"))
    workbench = page(client.get("/workbench/"))
    assert f'href="{DUE}"' in workbench and "从未核查、超过核查周期或上次无人应门的房屋" in workbench
    html = page(client.get(f"/registry/houses/{home.pk}/"))
    assert "最近核查：从未核查" in html and "尚无入户核查记录。" in html and "登记入户核查" in html
    assert (
        '<span class="badge text-bg-warning">待核查</span>' in html and '<details class="mt-3" open>' in html
    )

    today = timezone.localdate()
    response = client.post(
        f"/registry/houses/{home.pk}/visits/new/",
        {"visited_on": f"{today:%Y-%m-%d}", "result": "confirmed", "companion": "社区民警李军", "note": ""},
    )
    assert response.status_code == 302 and response["Location"] == f"/registry/houses/{home.pk}/"
    html = page(client.get(f"/registry/houses/{home.pk}/"))
    assert f"最近核查：{chinese_date(today)}（信息属实）" in html and ">待核查</span>" not in html
    assert "同行：社区民警李军" in html and clerk.full_name in html
    assert listed(client) == []

    recorded = HouseVisit.objects.get()
    assert recorded.visited_by == clerk and recorded.house == home
    event = AuditEvent.objects.get(event_name="registry.house.visited")
    assert event.actor == clerk and event.target_id == str(recorded.pk)
    assert event.org_id == tree.community_a1.pk
    assert event.after["result"] == "confirmed" and event.after["companion"] == "社区民警李军"


def test_the_same_visit_sent_twice_is_recorded_once(tree, clerk):
    """A double click on 保存 or an app retrying its request: the second save is refused, nothing doubled."""
    home = house(clerk, tree.community_a1)
    today = f"{timezone.localdate():%Y-%m-%d}"
    form = {"visited_on": today, "result": "no_answer", "companion": "", "note": "已留联系卡"}
    client = client_for(clerk)
    assert client.post(f"/registry/houses/{home.pk}/visits/new/", form).status_code == 302
    again = client.post(f"/registry/houses/{home.pk}/visits/new/", form)
    assert "这次核查已经登记过了，请勿重复提交。" in again.content.decode()
    retry = api_client_for(clerk).post("/api/v1/house-visits/", {"house": home.pk, **form}, format="json")
    assert retry.status_code == 409 and retry.json()["detail"] == "这次核查已经登记过了，请勿重复提交。"
    assert HouseVisit.objects.count() == 1
    assert AuditEvent.objects.filter(event_name="registry.house.visited").count() == 1
    # the evening's second knock that finds someone is another visit
    evening = {**form, "result": "confirmed", "note": ""}
    assert client.post(f"/registry/houses/{home.pk}/visits/new/", evening).status_code == 302
    assert HouseVisit.objects.count() == 2


def test_a_visit_recorded_through_the_api_is_listed_filtered_and_leaves_the_work_list(tree, clerk):
    home = house(clerk, tree.community_a1)
    other = house(clerk, tree.community_a1, room="302")
    api = api_client_for(clerk)
    today = timezone.localdate()
    response = api.post(
        "/api/v1/house-visits/",
        {"house": home.pk, "visited_on": f"{today:%Y-%m-%d}", "result": "no_answer", "note": "已留联系卡"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["house"] == home.pk and body["house_address"] == "幸福路12号3幢2单元301"
    assert body["result_display"] == "无人应门（需再访）" and body["visited_by"] == clerk.pk
    assert body["visited_by_name"] == clerk.full_name
    assert AuditEvent.objects.filter(event_name="registry.house.visited", target_id=str(body["id"])).exists()
    # 无人应门: still on the list, now with its last visit; a second visit that finds someone takes it off
    assert listed(client_for(clerk)) == ["幸福路12号3幢2单元302", "幸福路12号3幢2单元301"]
    api.post(
        "/api/v1/house-visits/",
        {"house": home.pk, "visited_on": f"{today:%Y-%m-%d}", "result": "confirmed"},
        format="json",
    )
    assert listed(client_for(clerk)) == ["幸福路12号3幢2单元302"]

    def ids(**params):
        response = api.get("/api/v1/house-visits/", params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert len(ids()) == 2 and len(ids(house=home.pk)) == 2 and ids(house=other.pk) == []
    assert len(ids(result="no_answer")) == 1
    assert len(ids(date_from=f"{today:%Y-%m-%d}", date_to=f"{today:%Y-%m-%d}")) == 2
    assert ids(date_to=f"{today - timedelta(days=1):%Y-%m-%d}") == []
    wrong = api.get("/api/v1/house-visits/", {"result": "maybe", "date_from": "昨天"})
    assert wrong.status_code == 400
    assert "不是有效的选项" in wrong.json()["errors"]["result"][0]
    assert "YYYY-MM-DD" in wrong.json()["errors"]["date_from"][0]


def test_the_work_list_holds_never_overdue_and_no_answer_houses_oldest_first(tree, clerk):
    never = house(clerk, tree.community_a1, room="101")
    overdue = house(clerk, tree.community_a1, room="102")
    recent = house(clerk, tree.community_a1, room="103")
    nobody_home = house(clerk, tree.community_a1, room="104")
    visited_again = house(clerk, tree.community_a1, room="105")
    elsewhere = house(staff(tree.community_a2), tree.community_a2, street="和平路1号", room="101")
    visit(clerk, overdue, 200)
    visit(clerk, recent, 10)
    visit(clerk, nobody_home, 300)
    visit(clerk, nobody_home, 5, VisitResult.NO_ANSWER)
    visit(clerk, visited_again, 250, VisitResult.NO_ANSWER)
    visit(clerk, visited_again, 20, VisitResult.VACANT)
    client = client_for(clerk)

    assert listed(client) == [never.full_address, overdue.full_address, nobody_home.full_address]
    html = page(client.get(DUE))
    assert "从未核查" in html and "无人应门（需再访）" in html and elsewhere.full_address not in html
    assert listed(client, reason="never") == [never.full_address]
    assert listed(client, reason="stale") == [overdue.full_address]
    assert listed(client, reason="no_answer") == [nobody_home.full_address]
    assert listed(client, q="104") == [nobody_home.full_address]
    assert listed(client, sort="address") == sorted(listed(client))

    # The cycle is a system parameter: at 7 days the house visited 10 days ago is due again.
    SystemParameter.objects.create(key="registry.visit_interval_days", value=7)
    clear_parameter_cache()
    assert recent.full_address in listed(client)
    assert visited_again.full_address in listed(client)

    # A sub-district leader reads the list of the whole subtree.
    leader = make_user(tree.subdistrict_a, "registry.view_house", "registry.view_housevisit")
    assert elsewhere.full_address in listed(client_for(leader))


def test_another_communitys_house_is_refused_and_nothing_is_written(tree, clerk):
    theirs = house(staff(tree.community_a2), tree.community_a2, street="和平路1号", room="101")
    today = f"{timezone.localdate():%Y-%m-%d}"
    client = client_for(clerk)
    assert client.get(f"/registry/houses/{theirs.pk}/").status_code == 404
    response = client.post(
        f"/registry/houses/{theirs.pk}/visits/new/", {"visited_on": today, "result": "confirmed"}
    )
    assert response.status_code == 404
    response = api_client_for(clerk).post(
        "/api/v1/house-visits/",
        {"house": theirs.pk, "visited_on": today, "result": "confirmed"},
        format="json",
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    with pytest.raises(OutOfScope):
        visit(clerk, theirs, 0)
    assert not HouseVisit.objects.exists()
    assert not AuditEvent.objects.filter(event_name="registry.house.visited").exists()

    # Without the permission to record visits: the history is shown, the form is not, and a post is refused.
    reader = staff(tree.community_a1, "registry.view_housevisit")
    mine = house(clerk, tree.community_a1)
    html = page(client_for(reader).get(f"/registry/houses/{mine.pk}/"))
    assert "入户核查记录" in html and "保存核查记录" not in html
    response = client_for(reader).post(f"/registry/houses/{mine.pk}/visits/new/", {"visited_on": today})
    assert response.status_code == 403 and not HouseVisit.objects.exists()


def test_a_future_date_a_mistyped_year_and_an_unexplained_correction_are_refused(tree, clerk):
    home = house(clerk, tree.community_a1)
    today = timezone.localdate()
    client = client_for(clerk)
    tomorrow = f"{today + timedelta(days=1):%Y-%m-%d}"
    html = page(
        client.post(
            f"/registry/houses/{home.pk}/visits/new/", {"visited_on": tomorrow, "result": "confirmed"}
        )
    )
    assert f"核查日期不能晚于今天（{today:%Y-%m-%d}）。" in html
    response = api_client_for(clerk).post(
        "/api/v1/house-visits/",
        {"house": home.pk, "visited_on": tomorrow, "result": "confirmed"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["visited_on"] == [f"核查日期不能晚于今天（{today:%Y-%m-%d}）。"]

    with pytest.raises(ValidationFailed) as refused:
        visit(clerk, home, 5 * 366)
    long_ago = today - timedelta(days=5 * 366)
    assert refused.value.errors["visited_on"] == [
        f"核查日期 {long_ago:%Y-%m-%d} 早于 5 年前，请检查年份是否填错。"
    ]
    with pytest.raises(ValidationFailed) as refused:
        visit(clerk, home, 0, VisitResult.CORRECTED)
    assert "请在备注中写明更正了哪些信息" in refused.value.errors["note"][0]
    response = api_client_for(clerk).post(
        "/api/v1/house-visits/", {"house": home.pk, "result": "perhaps"}, format="json"
    )
    errors = response.json()["errors"]
    assert errors["visited_on"] == ["请填写核查日期。"] and errors["result"] == ["请选择核查结果。"]
    assert not HouseVisit.objects.exists()
    assert not AuditEvent.objects.filter(event_name="registry.house.visited").exists()
    # a paper record of a visit from before the house was entered is taken
    assert visit(clerk, home, 400).visited_on == today - timedelta(days=400)


def test_the_work_list_and_the_api_read_in_a_fixed_number_of_queries(tree, clerk):
    client, api = client_for(clerk), api_client_for(clerk)

    def counted(reader, url) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert reader.get(url).status_code == 200
        return len(queries)

    def both() -> tuple[int, int]:
        return counted(client, DUE), counted(api, "/api/v1/house-visits/")

    def add_houses(rooms):
        for room in rooms:
            home = house(clerk, tree.community_a1, room=room)
            visit(clerk, home, 300)
            visit(clerk, home, 2, VisitResult.NO_ANSWER)

    add_houses(["101", "102"])
    both()  # the first request of a client reads its session or token once more
    few = both()
    add_houses([f"{n}01" for n in range(2, 12)])
    assert len(listed(client)) == 12
    assert both() == few


def test_the_demo_records_a_year_of_past_visits(db):
    from jiedao.core import demo as core_demo

    core_demo.load()
    totals = demo.load(persons_per_community=60)
    visits = list(HouseVisit.objects.select_related("house"))
    today = timezone.localdate()
    assert totals["visits"] == len(visits) > 0
    assert 0.3 < HouseVisit.objects.values("house").distinct().count() / House.objects.count() < 0.9
    assert all(
        today - timedelta(days=365) <= v.visited_on < today and v.visited_by is not None for v in visits
    )
    confirmed = sum(v.result == VisitResult.CONFIRMED for v in visits)
    assert confirmed > len(visits) / 2


class TestHouseVisitsAreScoped(ScopedModelContract):
    """A visit is seen where its house is: through the house's org."""

    view_permission = "registry.view_housevisit"
    api_list_url = "/api/v1/house-visits/"

    def make_object(self, org):
        if org.level < 3:  # houses are registered in communities; one at a higher node only by hand
            building = Building.objects.create(org=org, street_address=f"上级路{org.pk}号", name="1幢")
            home = House.objects.create(
                org=org, building=building, room="101", full_address=f"上级路{org.pk}号1幢101"
            )
            return HouseVisit.objects.create(
                house=home, visited_on=timezone.localdate(), result=VisitResult.CONFIRMED
            )
        clerk = staff(org, *VISITS)
        return visit(clerk, house(clerk, org, street=f"社区路{org.pk}号"), 0)

    def api_detail_url(self, obj):
        return f"/api/v1/house-visits/{obj.pk}/"
