"""数据质量核查: each check lists the records a clerk must look at (and not the sound ones), within the clerk's
scope and the checks their permissions allow; a check's list narrows by community and exports to Excel."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal

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
from jiedao.registry.choices import PersonStatus
from jiedao.registry.models import Household, HouseholdMember, Person
from jiedao.registry.selectors import shift_years
from jiedao.registry.tests.factories import house, new_id_number, person, staff

QUALITY = "/registry/quality/"


def born(age: int) -> date:
    return shift_years(timezone.localdate(), age) - timedelta(days=10)


def resident(actor, org, name, age, **kwargs) -> Person:
    return person(actor, org, name=name, id_number=new_id_number(born(age)), **kwargs)


def counts(client) -> dict[str, int]:
    """check key → the count the overview shows."""
    response = client.get(QUALITY)
    assert response.status_code == 200
    html = response.content.decode()
    found = {}
    for key, cell in re.findall(r'<tr data-check="([\w-]+)">.*?data-testid="count">(.*?)</td>', html, re.S):
        number = re.search(r">(\d+)<", cell)
        found[key] = int(number.group(1)) if number else 0
    return found


def listed(client, key: str, **params) -> str:
    response = client.get(f"{QUALITY}{key}/", params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def clerk(tree):
    return staff(tree.community_a1)


def test_each_check_lists_the_record_at_fault_and_not_the_sound_one(tree, clerk):
    today = timezone.localdate()
    a1 = tree.community_a1
    home = house(clerk, a1, room="101")
    # 百岁以上 / 老人未登记联系电话
    resident(clerk, a1, "寿星婆", 101, house=home, phone="13800000001")
    resident(clerk, a1, "九十九", 99, house=home, phone="13800000002")
    resident(clerk, a1, "无电话", 66, house=home)
    resident(clerk, a1, "有电话", 66, house=home, phone="13800000003")
    resident(clerk, a1, "有座机", 66, house=home, other_phones="0571-87001234")
    # 未关联房屋: a person with a house, and one 户在人不在 (a household member here, living elsewhere) are sound
    resident(clerk, a1, "住户甲", 30, house=home, phone="13800000004")
    resident(clerk, a1, "无房屋", 30, residence_address="临时住在亲戚家", phone="13800000005")
    away = resident(clerk, a1, "户在外", 30, phone="13800000006")
    services.household_create(
        actor=clerk, org=a1, number="330110001001-0100", registered_address="幸福路1号", head=away, members=[]
    )
    # 已死亡仍有有效标记: recorded dead outside the services (an old import), the 低保 tag still running
    dead = resident(clerk, a1, "已故者", 80, house=home, phone="13800000007")
    services.tag_add(actor=clerk, person=dead, group="dibao", valid_from=today - timedelta(days=400))
    Person.objects.filter(pk=dead.pk).update(
        status=PersonStatus.DECEASED, status_date=today - timedelta(days=30)
    )
    # 户主信息有误: the head of a household with members recorded moved out outside the services
    head = resident(clerk, a1, "老户主", 70, house=home, phone="13800000008")
    son = resident(clerk, a1, "儿子", 40, house=home, phone="13800000009")
    household = services.household_create(
        actor=clerk,
        org=a1,
        number="330110001001-0200",
        registered_address="幸福路2号",
        head=head,
        members=[(son, "20")],
    )
    Person.objects.filter(pk=head.pk).update(status=PersonStatus.MOVED_OUT, status_date=today)
    # 空挂户: a household left without any member
    lone = resident(clerk, a1, "独户", 50, house=home, phone="13800000010")
    empty = services.household_create(
        actor=clerk, org=a1, number="330110001001-0300", registered_address="幸福路3号", head=lone, members=[]
    )
    HouseholdMember.objects.filter(household=empty).delete()
    # 居住证已过期
    migrant = resident(clerk, a1, "外来工", 35, house=home, phone="13800000011")
    services.migrant_register(
        actor=clerk,
        person=migrant,
        data=services.MigrantData(
            origin_address="安徽省阜阳市",
            arrival_date=today - timedelta(days=800),
            permit_number="341200123",
            permit_valid_until=today - timedelta(days=12),
        ),
    )
    current = resident(clerk, a1, "新来的", 35, house=home, phone="13800000012")
    services.migrant_register(
        actor=clerk,
        person=current,
        data=services.MigrantData(
            origin_address="四川省南充市",
            arrival_date=today - timedelta(days=100),
            permit_valid_until=today + timedelta(days=200),
        ),
    )

    client = client_for(clerk)
    assert counts(client) == {
        "centenarians": 1,
        "tags-on-departed": 1,
        "elderly-without-phone": 1,
        "without-house": 1,
        "head-problems": 1,
        "empty-households": 1,
        "expired-permits": 1,
        "crowded-houses": 0,
    }
    html = listed(client, "centenarians")
    assert "寿星婆" in html and "101 岁，请入户核实是否健在" in html and "九十九" not in html
    html = listed(client, "elderly-without-phone")
    assert "无电话" in html and "66 岁，未登记任何联系电话" in html
    assert "有电话" not in html and "有座机" not in html
    html = listed(client, "without-house")
    assert "未关联房屋，现住址填写为“临时住在亲戚家”" in html
    assert "住户甲" not in html and "户在外" not in html
    html = listed(client, "tags-on-departed")
    assert f"已死亡（{today - timedelta(days=30):%Y-%m-%d}），仍有有效标记：低保" in html
    assert f'href="/registry/persons/{dead.pk}/"' in html
    html = listed(client, "head-problems")
    assert "户号 330110001001-0200" in html and "户主 老户主 已迁出，请变更户主" in html
    assert f'href="/registry/households/{household.pk}/"' in html
    html = listed(client, "empty-households")
    assert "户号 330110001001-0300" in html and "户内已无成员，请核实后销户" in html
    assert "-0200" not in html and "-0100" not in html
    html = listed(client, "expired-permits")
    assert "外来工" in html and "已过期 12 天" in html and "新来的" not in html
    exported_row = exported(client, "expired-permits")[1]
    assert exported_row[:3] == ("外来工", migrant.id_number_masked, migrant.phone_masked)
    assert Household.objects.count() == 3  # the checks only read


def test_a_crowded_flat_is_listed_by_the_area_per_person_parameter(tree, clerk):
    a1 = tree.community_a1
    small = house(clerk, a1, room="201")
    roomy = house(clerk, a1, room="202")
    for home, area in ((small, "19.5"), (roomy, "90")):
        services.house_update(
            actor=clerk,
            house=home,
            data=services.HouseData(
                building=home.building, unit=home.unit, room=home.room, area=Decimal(area)
            ),
        )
    for n in range(4):
        resident(clerk, a1, "租客" + "甲乙丙丁"[n], 25 + n, house=small, phone=f"1390000000{n}")
        resident(clerk, a1, "家人" + "甲乙丙丁"[n], 25 + n, house=roomy, phone=f"1390000001{n}")
    moved = resident(clerk, a1, "搬走的", 30, house=small, phone="13900000099")
    services.person_move_out(actor=clerk, person=moved, moved_on=timezone.localdate(), destination="杭州")

    client = client_for(clerk)
    html = listed(client, "crowded-houses")
    assert "住 4 人，建筑面积 19.5㎡，人均 4.9㎡" in html  # the one who moved out is not counted
    assert small.full_address in html and roomy.full_address not in html

    SystemParameter.objects.create(key="registry.crowded_area_per_person", value=4)
    clear_parameter_cache()
    assert counts(client)["crowded-houses"] == 0


def test_a_clerk_sees_only_the_problems_of_their_own_community(tree, clerk):
    resident(clerk, tree.community_a1, "本社区寿星", 102)
    other = staff(tree.community_b1)
    resident(other, tree.community_b1, "外社区寿星", 103)

    html = listed(client_for(clerk), "centenarians")
    assert "本社区寿星" in html and "外社区寿星" not in html
    assert counts(client_for(clerk))["centenarians"] == 1

    district = client_for(staff(tree.district))
    assert counts(district)["centenarians"] == 2
    html = listed(district, "centenarians", org=tree.community_b1.pk)
    assert "外社区寿星" in html and "本社区寿星" not in html and "共 1 条" in html
    # a community outside the clerk's scope is no choice of the filter: nothing is listed
    html = listed(client_for(clerk), "centenarians", org=tree.community_b1.pk)
    assert "外社区寿星" not in html and "共 0 条" in html


def test_checks_follow_the_permissions_of_the_records_they_read(tree):
    reader = make_user(tree.community_a1, "registry.view_person")
    client = client_for(reader)
    assert set(counts(client)) == {"centenarians", "elderly-without-phone", "without-house"}
    for hidden in (
        "tags-on-departed",
        "head-problems",
        "empty-households",
        "expired-permits",
        "crowded-houses",
    ):
        assert client.get(f"{QUALITY}{hidden}/").status_code == 404
        assert client.get(f"{QUALITY}{hidden}/export/").status_code == 404
    assert client.get(f"{QUALITY}no-such-check/").status_code == 404
    # the menu offers the page to a registry reader, not to someone without the person register
    assert f'href="{QUALITY}"' in client.get("/registry/persons/").content.decode()
    outsider = make_user(tree.community_a1, "registry.view_house")
    assert client_for(outsider).get(QUALITY).status_code == 403


def exported(client, key: str, **params) -> list[tuple]:
    response = client.get(f"{QUALITY}{key}/export/", params)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return list(sheet.iter_rows(values_only=True))


def test_a_checks_list_exports_to_excel_with_an_audit_event(tree, clerk):
    old = resident(
        clerk, tree.community_a1, "导出寿星", 100, phone="13800000001", residence_address="幸福路1号"
    )
    rows = exported(client_for(clerk), "centenarians", org=tree.community_a1.pk)
    assert rows[0] == ("姓名", "证件号码", "联系电话", "现住址", "所属社区/网格", "问题")
    assert rows[1] == (
        "导出寿星",
        old.id_number_masked,
        old.phone_masked,
        "幸福路1号",
        tree.community_a1.name,
        "100 岁，请入户核实是否健在",
    )
    assert old.id_number not in str(rows) and "13800000001" not in str(rows)
    event = AuditEvent.objects.get(event_name="registry.list.exported")
    assert event.actor == clerk and "数据质量核查-百岁以上在册人员" in event.message
    assert event.after["check"] == "centenarians" and event.after["rows"] == 1
    # a malformed filter goes back to the list with a Chinese message, nothing exported
    response = client_for(clerk).get(f"{QUALITY}centenarians/export/", {"org": "x"}, follow=True)
    assert "筛选条件有误，请修改后再导出。" in response.content.decode()
    assert AuditEvent.objects.filter(event_name="registry.list.exported").count() == 1


def test_the_api_gives_the_counts_and_each_checks_records_in_scope(tree, clerk):
    mine = resident(clerk, tree.community_a1, "接口寿星", 104)
    resident(staff(tree.community_b1), tree.community_b1, "外社区寿星", 103)
    api = api_client_for(clerk)

    overview = api.get("/api/v1/registry-quality/")
    assert overview.status_code == 200
    by_key = {row["key"]: row for row in overview.json()}
    assert by_key["centenarians"]["count"] == 1 and by_key["centenarians"]["title"] == "百岁以上在册人员"

    response = api.get("/api/v1/registry-quality/centenarians/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"] == [
        {
            "kind": "person",
            "record_id": mine.pk,
            "record": "接口寿星",
            "url": f"/registry/persons/{mine.pk}/",
            "org": tree.community_a1.name,
            "problem": "104 岁，请入户核实是否健在",
        }
    ]
    # another community's node is refused by name, not probed
    response = api.get("/api/v1/registry-quality/centenarians/", {"org": tree.community_b1.pk})
    assert response.status_code == 400 and "org" in response.json()["errors"]
    reader = api_client_for(make_user(tree.community_a1, "registry.view_person"))
    assert reader.get("/api/v1/registry-quality/expired-permits/").status_code == 404
    assert {row["key"] for row in reader.get("/api/v1/registry-quality/").json()} == {
        "centenarians",
        "elderly-without-phone",
        "without-house",
    }


def test_a_tag_ended_on_the_day_of_death_or_moving_out_is_not_listed_nor_offered_for_renewal(tree, clerk):
    """The services end a tag on the very day its holder died or moved out: that is sound, even on that day
    (the tag is still valid today). A tag running past the day is what the check is about."""
    today = timezone.localdate()
    a1 = tree.community_a1
    moved = resident(clerk, a1, "今天迁出", 40)
    dead = resident(clerk, a1, "昨天去世", 80)
    for who, until in ((moved, today + timedelta(days=200)), (dead, None)):
        services.tag_add(
            actor=clerk, person=who, group="dibao", valid_from=today - timedelta(days=100), valid_until=until
        )
    services.person_move_out(actor=clerk, person=moved, moved_on=today, destination="杭州")
    services.person_register_death(actor=clerk, person=dead, died_on=today - timedelta(days=1))
    # recorded moved out 30 days ago outside the services, its tag still running to 10 days ago
    stale = resident(clerk, a1, "旧迁出", 50)
    services.tag_add(
        actor=clerk,
        person=stale,
        group="tekun",
        valid_from=today - timedelta(days=300),
        valid_until=today - timedelta(days=10),
    )
    Person.objects.filter(pk=stale.pk).update(
        status=PersonStatus.MOVED_OUT, status_date=today - timedelta(days=30)
    )

    client = client_for(clerk)
    assert counts(client)["tags-on-departed"] == 1
    html = listed(client, "tags-on-departed")
    assert "旧迁出" in html and "仍有有效标记：特困" in html
    assert "今天迁出" not in html and "昨天去世" not in html

    page = client.get(f"/registry/persons/{moved.pk}/").content.decode()
    assert "低保" in page and 'data-testid="tag-renew"' not in page


def test_quality_exports_say_where_to_find_each_record_full_numbers_only_for_who_may_see_them(tree, clerk):
    a1 = tree.community_a1
    home = house(clerk, a1, room="501")
    services.house_update(
        actor=clerk,
        house=home,
        data=services.HouseData(building=home.building, unit=home.unit, room=home.room, area=Decimal("9")),
    )
    for n in range(3):
        resident(clerk, a1, "老人" + "甲乙丙"[n], 70 + n, house=home)
    lone = resident(clerk, a1, "独户主", 50, phone="13800000010")
    empty = services.household_create(
        actor=clerk, org=a1, number="330110001001-0300", registered_address="幸福路3号", head=lone, members=[]
    )
    Household.objects.filter(pk=empty.pk).update(house=home)
    HouseholdMember.objects.filter(household=empty).delete()

    client = client_for(clerk)
    with CaptureQueriesContext(connection) as three:
        rows = exported(client, "elderly-without-phone")
    assert rows[0] == ("姓名", "证件号码", "联系电话", "现住址", "所属社区/网格", "问题")
    by_name = {row[0]: row for row in rows[1:]}
    eldest = Person.objects.get(name="老人丙")
    assert by_name["老人丙"][1:4] == (eldest.id_number_masked, None, home.full_address)
    assert eldest.id_number not in str(rows)

    rows = exported(client, "empty-households")
    assert rows[0] == ("户号", "户籍地址", "实际居住地址", "所属社区/网格", "问题")
    assert rows[1] == (
        "330110001001-0300",
        "幸福路3号",
        home.full_address,
        a1.name,
        "户内已无成员，请核实后销户",
    )

    rows = exported(client, "crowded-houses")
    assert rows[0] == ("房屋地址", "所属社区/网格", "问题")
    assert rows[1][:2] == (home.full_address, a1.name)

    for n in range(3):  # more rows, no more queries
        resident(clerk, a1, "长者" + "甲乙丙"[n], 70 + n, house=home)
    with CaptureQueriesContext(connection) as six:
        assert len(exported(client, "elderly-without-phone")) == 7
    assert len(six.captured_queries) == len(three.captured_queries)

    officer = staff(a1, "registry.view_full_person")
    rows = exported(client_for(officer), "elderly-without-phone")
    assert {row[1] for row in rows[1:]} == {
        p.id_number for p in Person.objects.filter(status="living", phone_hash="")
    }
