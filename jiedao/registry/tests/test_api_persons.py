from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiedao.audit.models import AuditEvent
from jiedao.core.testing import api_client_for, make_user
from jiedao.registry import services
from jiedao.registry.choices import PersonStatus
from jiedao.registry.models import LifeEvent, Migrant, Person
from jiedao.registry.tests.factories import house, new_id_number, person, staff
from jiedao.registry.validators import compute_check_char

URL = "/api/v1/persons/"


@pytest.fixture
def clerk(tree):
    return staff(tree.community_a1)


@pytest.fixture
def api(clerk):
    return api_client_for(clerk)


def names(response):
    assert response.status_code == 200, response.content
    return sorted(row["name"] for row in response.json()["results"])


def wrong_check_char(number: str) -> str:
    return number[:17] + next(c for c in "0123456789X" if c != compute_check_char(number[:17]))


# --- search -------------------------------------------------------------------------------------------


def test_search_by_id_phone_pinyin_and_initials_stays_within_scope(tree, clerk, api):
    zhang = person(clerk, tree.community_a1, name="张三丰", phone="13811112222")
    person(clerk, tree.community_a1, name="李四")
    b_clerk = staff(tree.community_b1)
    other = person(b_clerk, tree.community_b1, name="张三", phone="13811112222")

    assert names(api.get(URL, {"q": zhang.id_number})) == ["张三丰"]
    assert names(api.get(URL, {"q": zhang.id_number.lower()})) == ["张三丰"]
    assert names(api.get(URL, {"q": "138 1111 2222"})) == ["张三丰"]  # the other holder is in b1
    assert names(api.get(URL, {"q": "zhangsan"})) == ["张三丰"]
    assert names(api.get(URL, {"q": "zs"})) == ["张三丰"]
    assert names(api.get(URL, {"q": "ZSF"})) == ["张三丰"]
    assert names(api.get(URL, {"q": "张三"})) == ["张三丰"]
    assert names(api.get(URL, {"q": other.id_number})) == []  # exists, but in another community
    assert names(api_client_for(b_clerk).get(URL, {"q": "zs"})) == ["张三"]


def test_filters(tree, clerk, api):
    home = house(clerk, tree.community_a1, street="幸福路88号")
    old = person(clerk, tree.community_a1, name="王老", house=home, id_number=new_id_number(date(1950, 1, 1)))
    young = person(
        clerk, tree.community_a1, name="刘青", id_number=new_id_number(date(2000, 1, 1), female=True)
    )
    in_grid = person(clerk, tree.grid_a1, name="赵网格", id_number=new_id_number(date(1990, 1, 1)))
    services.tag_add(actor=clerk, person=old, group="elderly_alone", valid_from=date(2025, 1, 1))
    services.migrant_register(
        actor=clerk,
        person=young,
        data=services.MigrantData(origin_address="安徽省阜阳市", arrival_date=date(2024, 1, 1)),
    )
    services.person_move_out(actor=clerk, person=in_grid, moved_on=date(2026, 1, 1), destination="杭州")

    assert names(api.get(URL, {"address": "福路88"})) == ["王老"]
    assert names(api.get(URL, {"age_min": 60})) == ["王老"]
    assert names(api.get(URL, {"age_max": 30})) == ["刘青"]
    assert names(api.get(URL, {"gender": "2"})) == ["刘青"]
    assert names(api.get(URL, {"tag": ["dibao", "elderly_alone"]})) == ["王老"]
    assert names(api.get(URL, {"migrant": "true"})) == ["刘青"]
    assert names(api.get(URL, {"migrant": "false"})) == ["王老", "赵网格"]
    assert names(api.get(URL, {"status": PersonStatus.MOVED_OUT})) == ["赵网格"]
    assert names(api.get(URL, {"org": tree.grid_a1.pk})) == ["赵网格"]
    assert names(api.get(URL, {"org": tree.community_a1.pk})) == ["刘青", "王老", "赵网格"]
    page = api.get(URL, {"limit": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]


def test_bad_filters_are_field_errors(api):
    response = api.get(URL, {"age_min": "abc", "status": "gone", "migrant": "maybe", "org": 999999})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"age_min", "status", "migrant", "org"}
    assert "不是有效的选项" in body["errors"]["status"][0]


def test_org_filter_outside_scope_is_refused(tree, api):
    response = api.get(URL, {"org": tree.community_b1.pk})
    assert response.status_code == 400 and "不在您的管辖范围内" in response.json()["errors"]["org"][0]


@pytest.mark.parametrize("url", [URL, "/api/v1/households/", "/api/v1/migrants/", "/api/v1/houses/"])
def test_list_queries_do_not_grow_with_rows(tree, clerk, api, url):
    home = house(clerk, tree.community_a1)

    def add(n):
        for _ in range(n):
            someone = person(clerk, tree.community_a1, house=home)
            services.tag_add(actor=clerk, person=someone, group="dibao", valid_from=date(2025, 1, 1))
            services.migrant_register(
                actor=clerk,
                person=someone,
                data=services.MigrantData(origin_address="安徽省阜阳市", arrival_date=date(2024, 1, 1)),
            )
            services.household_create(
                actor=clerk,
                org=tree.community_a1,
                number=f"H{someone.pk}",
                registered_address="某地",
                head=someone,
            )

    def queries():
        with CaptureQueriesContext(connection) as context:
            assert api.get(url).status_code == 200
        return len(context)

    add(2)
    queries()  # warms the dictionary cache
    few = queries()
    add(5)
    assert queries() == few


# --- masking and reveal -------------------------------------------------------------------------------


def test_full_numbers_never_appear_in_list_or_detail(tree, clerk, api):
    number = new_id_number()
    someone = person(clerk, tree.community_a1, id_number=number, phone="13900001111")
    services.tag_add(
        actor=clerk,
        person=someone,
        group="disabled",
        valid_from=date(2025, 1, 1),
        evidence=f"残疾人证 {number}42",
        details={"type": "4", "grade": "2", "certificate": f"{number}42"},
    )
    services.migrant_register(
        actor=clerk,
        person=someone,
        data=services.MigrantData(
            origin_address="安徽省阜阳市", arrival_date=date(2024, 1, 1), permit_number=number
        ),
    )
    household = services.household_create(
        actor=clerk, org=tree.community_a1, number="H-1", registered_address="幸福路1号", head=someone
    )
    migrant = Migrant.objects.get(person=someone)
    responses = [
        api.get(URL),
        api.get(URL, {"q": number}),
        api.get(f"{URL}{someone.pk}/"),
        api.get("/api/v1/households/"),
        api.get(f"/api/v1/households/{household.pk}/"),
        api.get("/api/v1/migrants/"),
        api.get(f"/api/v1/migrants/{migrant.pk}/"),
    ]
    for response in responses:
        assert response.status_code == 200
        text = response.content.decode()
        assert number not in text and "13900001111" not in text, response.request["PATH_INFO"]
    detail = responses[2].json()
    assert detail["id_number_masked"] == someone.id_number_masked and detail["phone_masked"] == "139****1111"
    assert "id_number" not in detail and "phone" not in detail
    assert detail["household"]["number"] == "H-1" and detail["household"]["is_head"] is True
    assert detail["is_migrant"] is True and detail["tags"][0]["group_label"] == "残疾人"


def test_reveal_needs_the_permission_and_is_audited(tree, clerk, api):
    someone = person(clerk, tree.community_a1, phone="13900001111")
    url = f"{URL}{someone.pk}/reveal/"

    refused = api.post(url)
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert not AuditEvent.objects.filter(event_name="registry.person.revealed").exists()

    officer = staff(tree.community_a1, "registry.view_full_person")
    response = api_client_for(officer).post(url)
    assert response.status_code == 200
    assert response.json() == {"id_number": someone.id_number, "phone": "13900001111", "other_phones": []}
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(event_name="registry.person.revealed")
    assert event.actor == officer and event.target_id == str(someone.pk)

    far_officer = staff(tree.community_b1, "registry.view_full_person")
    assert api_client_for(far_officer).post(url).status_code == 404
    assert AuditEvent.objects.filter(event_name="registry.person.revealed").count() == 1


# --- create and update --------------------------------------------------------------------------------


def test_create_derives_from_the_id_number_and_returns_masked_values(tree, api):
    number = new_id_number(date(1990, 3, 7), female=True)
    response = api.post(
        URL,
        {"name": "李秀英", "id_number": number, "org": tree.community_a1.pk, "phone": "138 0013 8000"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert number not in response.content.decode() and "13800138000" not in response.content.decode()
    assert (body["gender"], body["birth_date"], body["phone_masked"]) == ("2", "1990-03-07", "138****8000")
    created = Person.objects.get(pk=body["id"])
    assert created.id_number == number and created.phone == "13800138000"
    assert AuditEvent.objects.filter(event_name="registry.person.created").exists()


def test_wrong_check_character_is_a_field_error(tree, api):
    response = api.post(
        URL,
        {"name": "张三", "id_number": wrong_check_char(new_id_number()), "org": tree.community_a1.pk},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "校验位" in body["errors"]["id_number"][0] and body["detail"] == body["errors"]["id_number"][0]
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id_number", "11010519491231002", "应为18位"),
        ("id_number", "110105199002300021", "不存在"),
        ("phone", "not-a-number", "电话号码格式不正确"),
        ("phone", "12345", "电话号码格式不正确"),
        ("ethnicity", "99", "不是有效的代码"),
    ],
)
def test_invalid_input_gives_a_field_error_and_creates_nothing(tree, api, field, value, message):
    payload = {"name": "张三", "id_number": new_id_number(), "org": tree.community_a1.pk, field: value}
    response = api.post(URL, payload, format="json")
    assert response.status_code == 400
    assert any(message in m for m in response.json()["errors"][field])
    assert (
        not Person.objects.exists()
        and not AuditEvent.objects.filter(event_name__startswith="registry").exists()
    )


def test_all_errors_come_back_at_once(tree, api):
    response = api.post(URL, {"name": "", "id_number": "123", "phone": "abc"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) >= {"name", "id_number", "phone", "org"}


def test_sibling_communitys_org_or_house_is_not_found(tree, clerk, api):
    response = api.post(
        URL, {"name": "张三", "id_number": new_id_number(), "org": tree.community_a2.pk}, format="json"
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    far_house = house(staff(tree.community_a2), tree.community_a2, street="远方路1号")
    response = api.post(
        URL,
        {"name": "张三", "id_number": new_id_number(), "org": tree.community_a1.pk, "house": far_house.pk},
        format="json",
    )
    assert response.status_code == 404
    assert not Person.objects.exists()


def test_view_only_user_gets_403(tree):
    reader = make_user(tree.community_a1, "registry.view_person")
    response = api_client_for(reader).post(
        URL, {"name": "张三", "id_number": new_id_number(), "org": tree.community_a1.pk}, format="json"
    )
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_patch_changes_only_what_is_sent(tree, clerk, api):
    someone = person(clerk, tree.community_a1, name="张三", phone="13900001111", employment="街道办")
    response = api.patch(f"{URL}{someone.pk}/", {"name": "张三丰"}, format="json")
    assert response.status_code == 200, response.content
    someone.refresh_from_db()
    assert (someone.name, someone.phone, someone.employment) == ("张三丰", "13900001111", "街道办")
    assert someone.name_initials == "zsf"

    another = new_id_number(date(1975, 6, 1), female=True)
    response = api.put(f"{URL}{someone.pk}/", {"id_number": another, "phone": ""}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["gender"] == "2" and response.json()["birth_date"] == "1975-06-01"
    someone.refresh_from_db()
    assert (someone.id_number, someone.phone, someone.phone_masked) == (another, "", "")

    response = api.patch(f"{URL}{someone.pk}/", {"id_number": wrong_check_char(another)}, format="json")
    assert response.status_code == 400 and "校验位" in response.json()["errors"]["id_number"][0]


def test_update_out_of_scope_is_not_found(tree, clerk):
    someone = person(clerk, tree.community_a1)
    outsider = api_client_for(staff(tree.community_b1))
    assert outsider.patch(f"{URL}{someone.pk}/", {"name": "改名"}, format="json").status_code == 404
    assert outsider.post(f"{URL}{someone.pk}/death/", {"died_on": "2026-01-01"}).status_code == 404


# --- life events --------------------------------------------------------------------------------------


def test_address_move_out_move_in_and_timeline(tree, clerk, api):
    home = house(clerk, tree.community_a1)
    other = house(clerk, tree.community_a1, room="302")
    resident = person(clerk, tree.community_a1, house=home)

    response = api.post(f"{URL}{resident.pk}/address/", {"house": other.pk, "house_relation": "tenant"})
    assert response.status_code == 200, response.content
    assert response.json()["residence_address"] == other.full_address

    response = api.post(f"{URL}{resident.pk}/move-out/", {"moved_on": "2026-03-01", "destination": "杭州市"})
    assert response.status_code == 200 and response.json()["status"] == PersonStatus.MOVED_OUT
    again = api.post(f"{URL}{resident.pk}/move-out/", {"destination": "别处"})
    assert again.status_code == 400 and again.json()["code"] == "not_living"

    b_api = api_client_for(staff(tree.community_b1))
    payload = {"name": resident.name, "id_number": resident.id_number, "org": tree.community_b1.pk}
    response = b_api.post(f"{URL}move-in/", {**payload, "moved_on": "2026-04-01", "origin": "甲一社区"})
    assert response.status_code == 201, response.content
    assert response.json()["id"] == resident.pk and response.json()["status"] == PersonStatus.LIVING

    timeline = b_api.get(f"{URL}{resident.pk}/events/")
    assert timeline.status_code == 200
    kinds = [e["kind"] for e in sorted(timeline.json(), key=lambda e: e["id"])]
    assert kinds == ["registered", "address_change", "move_out", "move_in"]
    assert api.get(f"{URL}{resident.pk}/events/").status_code == 404  # now in b1


def test_move_in_needs_an_org(api):
    response = api.post(f"{URL}move-in/", {"name": "张三", "id_number": new_id_number()})
    assert response.status_code == 400 and "org" in response.json()["errors"]


def test_death_and_required_date(tree, clerk, api):
    someone = person(clerk, tree.community_a1)
    response = api.post(f"{URL}{someone.pk}/death/", {})
    assert response.status_code == 400 and response.json()["errors"]["died_on"] == ["该字段是必填项。"]
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    assert api.post(f"{URL}{someone.pk}/death/", {"died_on": future}).status_code == 400
    response = api.post(f"{URL}{someone.pk}/death/", {"died_on": "2026-01-02", "note": "病故"})
    assert response.status_code == 200 and response.json()["status"] == PersonStatus.DECEASED
    assert LifeEvent.objects.filter(person=someone, kind="death").exists()


def test_tags_add_and_end(tree, clerk, api):
    someone = person(clerk, tree.community_a1)
    response = api.post(
        f"{URL}{someone.pk}/tags/",
        {"group": "dibao", "valid_from": "2025-01-01", "evidence": "明民〔2025〕3号"},
        format="json",
    )
    assert response.status_code == 201, response.content
    tag_id = response.json()["id"]
    overlap = api.post(f"{URL}{someone.pk}/tags/", {"group": "dibao", "valid_from": "2025-06-01"})
    assert overlap.status_code == 400 and "已有" in overlap.json()["errors"]["group"][0]
    unknown = api.post(f"{URL}{someone.pk}/tags/", {"group": "nope", "valid_from": "2025-06-01"})
    assert unknown.status_code == 400 and "group" in unknown.json()["errors"]

    response = api.post(
        f"{URL}{someone.pk}/tags/{tag_id}/end/", {"valid_until": "2025-12-31", "reason": "收入超标"}
    )
    assert response.status_code == 200 and response.json()["valid_until"] == "2025-12-31"
    other = person(clerk, tree.community_a1, name="李四")
    assert api.post(f"{URL}{other.pk}/tags/{tag_id}/end/", {"valid_until": "2025-12-31"}).status_code == 404


def test_migrant_register_then_update_keeps_what_is_not_sent(tree, clerk, api):
    someone = person(clerk, tree.community_a1)
    url = f"{URL}{someone.pk}/migrant/"
    missing = api.post(url, {}, format="json")
    assert missing.status_code == 400 and set(missing.json()["errors"]) == {"arrival_date", "origin_address"}

    permit = new_id_number()
    response = api.post(
        url,
        {
            "origin_address": "安徽省阜阳市",
            "arrival_date": "2024-03-01",
            "permit_number": permit,
            "reason": "work",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert permit not in response.content.decode()
    assert response.json()["reason_label"] == "务工" and response.json()["person"]["id"] == someone.pk

    response = api.post(url, {"employer": "明湖科技"}, format="json")
    assert response.status_code == 200
    migrant = Migrant.objects.get(person=someone)
    assert (migrant.employer, migrant.permit_number, migrant.origin_address) == (
        "明湖科技",
        permit,
        "安徽省阜阳市",
    )
    bad = api.post(url, {"origin_region_code": "12"}, format="json")
    assert bad.status_code == 400 and "6 位数字" in bad.json()["errors"]["origin_region_code"][0]


def test_a_misspelt_group_or_an_upside_down_age_range_is_refused_not_answered_empty(tree, clerk, api):
    """?tag=dibo and ?age_min=60&age_max=20 answered an empty list, as if nobody matched."""
    person(clerk, tree.community_a1, name="王老", id_number=new_id_number(date(1950, 1, 1)))

    response = api.get(URL, {"tag": ["dibao", "dibo"], "age_min": "60", "age_max": "20"})

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["tag"][0].startswith("“dibo”不是有效的选项，可选：") and "dibao" in errors["tag"][0]
    assert errors["age_max"] == ["年龄上限不能小于下限。"]
    assert names(api.get(URL, {"tag": "dibao", "age_min": "20", "age_max": "90"})) == []
    assert names(api.get(URL, {"age_min": "60", "age_max": "90"})) == ["王老"]


def test_an_edit_cannot_move_a_person_to_another_community(tree, family):
    """PATCH {"org": <another community>} moved 王小明 out of community A1 while leaving him in his household there,
    out of sight of A1's clerks; a move between communities is 迁出 then 迁入. A grid of the same community is
    an ordinary edit, and the timeline says what changed."""
    household, _head, _wife, son = family
    clerk = staff(tree.subdistrict_a)
    api = api_client_for(clerk)
    before = list(LifeEvent.objects.filter(person=son).values_list("summary", flat=True))

    response = api.patch(f"{URL}{son.pk}/", {"org": tree.community_a2.pk}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "org": ["不能直接改到其他社区：请由原社区办理迁出，再由新社区办理迁入。"]
    }
    son.refresh_from_db()
    assert son.org == tree.community_a1 and son.membership.household == household
    assert list(LifeEvent.objects.filter(person=son).values_list("summary", flat=True)) == before

    response = api.patch(f"{URL}{son.pk}/", {"org": tree.grid_a1.pk}, format="json")
    assert response.status_code == 200, response.content
    assert LifeEvent.objects.filter(person=son).latest("pk").summary == "修改：所属组织"
