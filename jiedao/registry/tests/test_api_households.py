from datetime import date

import pytest

from jiedao.core.testing import api_client_for
from jiedao.registry.models import Household, HouseholdMember, Person
from jiedao.registry.tests.factories import house, new_id_number, person, staff

URL = "/api/v1/households/"


@pytest.fixture
def clerk(tree):
    return staff(tree.community_a1)


@pytest.fixture
def api(clerk):
    return api_client_for(clerk)


@pytest.fixture
def people(tree, clerk):
    return {
        "head": person(clerk, tree.community_a1, name="王建国", id_number=new_id_number(date(1960, 1, 1))),
        "wife": person(
            clerk, tree.community_a1, name="刘桂兰", id_number=new_id_number(date(1962, 2, 2), female=True)
        ),
        "son": person(clerk, tree.community_a1, name="王小明", id_number=new_id_number(date(1988, 3, 3))),
    }


@pytest.fixture
def family(tree, clerk, api, people):
    home = house(clerk, tree.community_a1)
    response = api.post(
        URL,
        {
            "org": tree.community_a1.pk,
            "number": "330110001001-0001",
            "registered_address": "明湖区幸福路12号",
            "head": people["head"].pk,
            "house": home.pk,
            "members": [
                {"person": people["wife"].pk, "relation": "10"},
                {"person": people["son"].pk, "relation": "20"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return Household.objects.get(pk=response.json()["id"])


def relations(household):
    return dict(household.members.values_list("person__name", "relation"))


def test_create_returns_members_with_relations_and_no_full_numbers(api, family, people):
    response = api.get(f"{URL}{family.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["head_name"] == "王建国" and body["house_address"] == "幸福路12号3幢2单元301"
    members = {m["name"]: (m["relation"], m["relation_label"], m["is_head"]) for m in body["members"]}
    assert members == {
        "王建国": ("02", "户主", True),
        "刘桂兰": ("10", "配偶", False),
        "王小明": ("20", "子", False),
    }
    text = response.content.decode()
    assert all(p.id_number not in text for p in people.values())


def test_create_errors(tree, api, people, family):
    response = api.post(
        URL,
        {
            "org": tree.community_a1.pk,
            "number": family.number,
            "registered_address": "",
            "head": people["son"].pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) >= {"number", "registered_address"}
    nested = api.post(
        URL,
        {
            "org": tree.community_a1.pk,
            "number": "X",
            "registered_address": "某地",
            "head": people["son"].pk,
            "members": [{"person": people["wife"].pk}],
        },
        format="json",
    )
    assert nested.status_code == 400 and nested.json()["errors"]["members"] == [
        "第1项：relation：该字段是必填项。"
    ]
    sibling = api.post(
        URL,
        {"org": tree.community_a2.pk, "number": "Y", "registered_address": "某地", "head": people["son"].pk},
        format="json",
    )
    assert sibling.status_code == 404
    assert not Household.objects.filter(number__in=["X", "Y"]).exists()


def test_person_of_another_community_cannot_join(tree, family):
    outsider = person(staff(tree.community_b1), tree.community_b1, name="外人")
    district_api = api_client_for(staff(tree.district))  # sees both communities
    response = district_api.post(
        f"{URL}{family.pk}/add-member/", {"person": outsider.pk, "relation": "80"}, format="json"
    )
    assert response.status_code == 400
    assert "不能加入其他社区的户" in response.json()["errors"]["person"][0]
    assert not HouseholdMember.objects.filter(person=outsider).exists()


def test_community_user_cannot_even_name_a_person_of_another_community(tree, api, family):
    outsider = person(staff(tree.community_b1), tree.community_b1, name="外人")
    response = api.post(
        f"{URL}{family.pk}/add-member/", {"person": outsider.pk, "relation": "80"}, format="json"
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_add_and_remove_member(tree, clerk, api, family):
    lodger = person(clerk, tree.community_a1, name="赵四")
    response = api.post(
        f"{URL}{family.pk}/add-member/", {"person": lodger.pk, "relation": "99"}, format="json"
    )
    assert response.status_code == 200 and len(response.json()["members"]) == 4
    bad = api.post(f"{URL}{family.pk}/add-member/", {"person": lodger.pk, "relation": "ZZ"}, format="json")
    assert bad.status_code == 400 and "GB/T 4761" in bad.json()["errors"]["relation"][0]
    response = api.post(f"{URL}{family.pk}/remove-member/", {"person": lodger.pk}, format="json")
    assert response.status_code == 200 and len(response.json()["members"]) == 3
    head = api.post(f"{URL}{family.pk}/remove-member/", {"person": family.head_id}, format="json")
    assert head.status_code == 400 and head.json()["code"] == "is_head"


def test_change_head_split_merge(tree, api, family, people):
    response = api.post(
        f"{URL}{family.pk}/change-head/",
        {
            "new_head": people["wife"].pk,
            "old_head_relation": "10",
            "relations": {str(people["son"].pk): "20"},
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["head"] == people["wife"].pk
    assert relations(family) == {"王建国": "10", "刘桂兰": "02", "王小明": "20"}

    bad_key = api.post(
        f"{URL}{family.pk}/split/", {"new_head": people["son"].pk, "relations": {"abc": "20"}}, format="json"
    )
    assert bad_key.status_code == 400 and "不是人员编号" in bad_key.json()["errors"]["relations"][0]

    response = api.post(
        f"{URL}{family.pk}/split/",
        {"new_head": people["son"].pk, "new_number": "330110001001-0002"},
        format="json",
    )
    assert response.status_code == 201, response.content
    new = Household.objects.get(pk=response.json()["id"])
    assert [m["name"] for m in response.json()["members"]] == ["王小明"]
    assert relations(family) == {"王建国": "10", "刘桂兰": "02"}

    response = api.post(
        f"{URL}{new.pk}/merge/",
        {"target": family.pk, "relations": {str(people["son"].pk): "20"}},
        format="json",
    )
    assert response.status_code == 200 and response.json()["id"] == family.pk
    new.refresh_from_db()
    assert new.dissolved_on is not None and family.members.count() == 3
    same = api.post(f"{URL}{family.pk}/merge/", {"target": family.pk, "relations": {}}, format="json")
    assert same.status_code == 400 and "target" in same.json()["errors"]
    assert [row["number"] for row in api.get(URL, {"dissolved": "true"}).json()["results"]] == [new.number]


def test_update_and_list_filters(tree, clerk, api, family):
    response = api.patch(f"{URL}{family.pk}/", {"registered_address": "明湖区幸福路14号"}, format="json")
    assert response.status_code == 200 and response.json()["registered_address"] == "明湖区幸福路14号"
    family.refresh_from_db()
    assert family.house is not None and family.kind == "1"
    bad = api.patch(f"{URL}{family.pk}/", {"kind": "9"}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"]["kind"] == ["户别不正确。"]
    assert [r["number"] for r in api.get(URL, {"q": "330110001001"}).json()["results"]] == [family.number]
    assert api.get(URL, {"q": "999"}).json()["count"] == 0
    outsider = api_client_for(staff(tree.community_b1))
    assert outsider.patch(f"{URL}{family.pk}/", {"kind": "2"}, format="json").status_code == 404


def test_birth(tree, api, family):
    number = new_id_number(date(2026, 1, 9))
    response = api.post(
        f"{URL}{family.pk}/birth/", {"name": "王小宝", "id_number": number, "relation": "20"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert number not in response.content.decode()
    baby = Person.objects.get(pk=response.json()["id"])
    assert baby.org == tree.community_a1 and HouseholdMember.objects.get(person=baby).household == family
    assert response.json()["household"]["id"] == family.pk


def test_create_names_the_head_or_members_field_that_is_refused(tree):
    """A clerk of the whole sub-district lists a head or a member of another community: the 400 names the
    request's field (head / members), with every other error of the request, and nothing is written."""
    clerk = staff(tree.subdistrict_a)
    api = api_client_for(clerk)
    here = person(clerk, tree.community_a1, name="王建国", id_number=new_id_number(date(1960, 1, 1)))
    there = person(clerk, tree.community_a2, name="李四", id_number=new_id_number(date(1970, 1, 1)))
    body = {"org": tree.community_a1.pk, "number": "330110001001-0009", "registered_address": "幸福路12号"}

    response = api.post(URL, {**body, "head": there.pk, "number": "abc!"}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["head"] == [f"李四 属于{tree.community_a2.name}，不能加入其他社区的户。"]
    assert "number" in errors

    response = api.post(
        URL, {**body, "head": here.pk, "members": [{"person": there.pk, "relation": "20"}]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "members": [f"李四 属于{tree.community_a2.name}，不能加入其他社区的户。"]
    }
    assert not Household.objects.exists() and not HouseholdMember.objects.exists()


def test_create_page_shows_a_head_of_another_community_beside_the_head_field(tree, client):
    clerk = staff(tree.subdistrict_a)
    there = person(clerk, tree.community_a2, name="李四", id_number=new_id_number(date(1970, 1, 1)))
    client.force_login(clerk)

    response = client.post(
        "/registry/households/new/",
        {
            "org": tree.community_a1.pk,
            "number": "330110001001-0009",
            "registered_address": "幸福路12号",
            "kind": "1",
            "id_number": there.id_number,
        },
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors.get("head") == [f"李四 属于{tree.community_a2.name}，不能加入其他社区的户。"]
    assert not Household.objects.exists()


def test_a_birth_registered_in_another_community_is_refused_under_org(tree, family):
    clerk = staff(tree.subdistrict_a)
    baby = {"name": "王小宝", "id_number": new_id_number(date(2025, 6, 1)), "relation": "20"}

    response = api_client_for(clerk).post(
        f"{URL}{family.pk}/birth/", {**baby, "org": tree.community_a2.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "org": [f"新生儿须登记在户所在的社区（{family.org.name}）或其网格。"]
    }
    assert not Person.objects.filter(name="王小宝").exists()


def test_members_that_are_not_a_list_get_a_message_without_drf_internals(tree, api, people):
    response = api.post(
        URL,
        {
            "org": tree.community_a1.pk,
            "number": "330110001001-0002",
            "registered_address": "明湖区幸福路12号",
            "head": people["head"].pk,
            "members": "刘桂兰",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"members": ["期望为一个包含物件的列表，得到的类型是“str”。"]}
