"""户籍管理 pages: list and search, members with their relations, create, add / remove, head change, split,
merge — and 404 outside the clerk's community."""

import pytest

from jiedao.core.testing import ScopedModelContract, client_for
from jiedao.registry import services
from jiedao.registry.models import Household, HouseholdMember, LifeEvent
from jiedao.registry.tests.factories import house, new_id_number, person, staff


@pytest.fixture
def family(family, clerk, tree):
    """The shared family (conftest), living in a registered house."""
    household = family[0]
    household.house = house(clerk, tree.community_a1)
    household.save(update_fields=["house"])
    return family


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def relations(household) -> dict[str, str]:
    return dict(HouseholdMember.objects.filter(household=household).values_list("person__name", "relation"))


def test_list_searches_by_number_and_head_name(tree, clerk, family):
    other_head = person(clerk, tree.community_a1, name="赵四")
    services.household_create(
        actor=clerk,
        org=tree.community_a1,
        number="330110001001-0009",
        registered_address="别处",
        head=other_head,
    )
    client = client_for(clerk)
    html = page(client.get("/registry/households/"))
    assert "330110001001-0001" in html and "330110001001-0009" in html and "幸福路12号3幢2单元301" in html
    by_number = page(client.get("/registry/households/", {"q": "330110001001-0001"}))
    assert "王建国" in by_number and "赵四" not in by_number
    by_name = page(client.get("/registry/households/", {"q": "王建"}))
    assert "330110001001-0001" in by_name and "330110001001-0009" not in by_name
    assert "330110001001-0009" in page(client.get("/registry/households/", {"q": "zs"}))
    assert "<td>3</td>" in by_name  # member count


def test_detail_shows_members_with_relation_labels_and_masked_numbers(family, clerk):
    household, head, wife, son = family
    html = page(client_for(clerk).get(f"/registry/households/{household.pk}/"))
    members = html[html.index('data-testid="members"') :]
    for name, label in (("王建国", "户主"), ("刘桂兰", "配偶"), ("王小明", "子")):
        assert name in members and label in members
    assert head.id_number_masked in html and head.id_number not in html
    assert "明湖区幸福路12号" in html and "幸福路12号3幢2单元301" in html


def test_create_with_head_by_id_number(tree, clerk):
    head = person(clerk, tree.community_a1, name="孙一")
    client = client_for(clerk)
    form = page(client.get("/registry/households/new/"))
    assert "孙一" in form  # offered: living, in scope, not yet in a household
    data = {
        "org": tree.community_a1.pk,
        "number": "H-100",
        "kind": "1",
        "registered_address": "幸福路1号",
        "id_number": "110105194912310021",
    }
    assert "校验位错误" in page(client.post("/registry/households/new/", data))
    data["id_number"] = head.id_number
    response = client.post("/registry/households/new/", data)
    household = Household.objects.get(number="H-100")
    assert response.status_code == 302 and response["Location"] == f"/registry/households/{household.pk}/"
    assert household.head == head and relations(household) == {"孙一": "02"}
    # the same number again is refused next to the field, nothing saved
    other = person(clerk, tree.community_a1, name="孙二")
    data.update(id_number="", head=other.pk)
    assert "户号 H-100 已存在" in page(client.post("/registry/households/new/", data))
    assert Household.objects.count() == 1


def test_head_of_another_community_cannot_be_picked(tree, clerk):
    outsider = person(staff(tree.community_b1), tree.community_b1, name="外人")
    data = {
        "org": tree.community_a1.pk,
        "number": "H-101",
        "kind": "1",
        "registered_address": "幸福路1号",
        "id_number": outsider.id_number,
    }
    assert "未找到该证件号码" in page(client_for(clerk).post("/registry/households/new/", data))
    assert not Household.objects.exists()


def test_add_and_remove_members(tree, clerk, family):
    household = family[0]
    newcomer = person(clerk, tree.community_a1, name="李媳妇", id_number=new_id_number(female=True))
    client = client_for(clerk)
    detail = page(client.get(f"/registry/households/{household.pk}/"))
    assert "李媳妇" in detail  # a candidate for 添加户成员
    response = client.post(
        f"/registry/households/{household.pk}/members/add/", {"person": newcomer.pk, "relation": "21"}
    )
    assert response.status_code == 302 and relations(household)["李媳妇"] == "21"
    head = family[1]
    refused = client.post(f"/registry/households/{household.pk}/members/{head.pk}/remove/", follow=True)
    assert "不能移出户主" in page(refused) and "王建国" in relations(household)
    response = client.post(f"/registry/households/{household.pk}/members/{newcomer.pk}/remove/", follow=True)
    assert "已出户" in page(response) and "李媳妇" not in relations(household)


def test_change_head(family, clerk):
    household, head, wife, son = family
    client = client_for(clerk)
    data = {"new_head": wife.pk, "old_head_relation": "10", f"relation_{son.pk}": "20"}
    assert client.post(f"/registry/households/{household.pk}/head/", data).status_code == 302
    household.refresh_from_db()
    assert household.head == wife and relations(household) == {"刘桂兰": "02", "王建国": "10", "王小明": "20"}
    assert LifeEvent.objects.filter(person=son, kind="head_change").exists()


def test_split_and_merge(family, clerk):
    household, head, wife, son = family
    client = client_for(clerk)
    data = {"new_number": "330110001001-0002", "new_head": son.pk}
    response = client.post(f"/registry/households/{household.pk}/split/", data)
    new = Household.objects.get(number="330110001001-0002")
    assert response.status_code == 302 and response["Location"] == f"/registry/households/{new.pk}/"
    assert relations(new) == {"王小明": "02"} and set(relations(household)) == {"王建国", "刘桂兰"}
    # merging back needs the relation of every member to the new head
    html = page(client.post(f"/registry/households/{new.pk}/merge/", {"target_number": household.number}))
    assert "这个字段是必填项" in html or "必填" in html
    data = {"target_number": household.number, f"relation_{son.pk}": "20"}
    assert client.post(f"/registry/households/{new.pk}/merge/", data).status_code == 302
    new.refresh_from_db()
    assert new.dissolved_on is not None and relations(household)["王小明"] == "20"
    # a dissolved household no longer takes changes
    assert client.get(f"/registry/households/{new.pk}/split/").status_code == 404


def test_split_errors_are_shown(family, clerk):
    household, head, wife, son = family
    html = page(
        client_for(clerk).post(
            f"/registry/households/{household.pk}/split/",
            {"new_number": household.number, "new_head": son.pk},
        )
    )
    assert "请填写一个尚未使用的新户号" in html


def test_merge_into_an_unknown_or_foreign_household_is_refused(tree, clerk, family):
    household = family[0]
    b_clerk = staff(tree.community_b1)
    foreign = services.household_create(
        actor=b_clerk,
        org=tree.community_b1,
        number="B-1",
        registered_address="乙",
        head=person(b_clerk, tree.community_b1, name="乙户主"),
    )
    data = {
        "target_number": foreign.number,
        **{f"relation_{m.person_id}": "80" for m in household.members.all()},
    }
    assert "未找到在册的户 B-1" in page(
        client_for(clerk).post(f"/registry/households/{household.pk}/merge/", data)
    )


def test_other_communitys_clerk_gets_404(tree, family):
    household, head, *_ = family
    outsider = client_for(staff(tree.community_a2))
    for suffix in ("", "edit/", "members/add/", "head/", "split/", "merge/"):
        assert outsider.get(f"/registry/households/{household.pk}/{suffix}").status_code == 404, suffix
    assert outsider.post(f"/registry/households/{household.pk}/members/{head.pk}/remove/").status_code == 404


def test_edit(family, clerk):
    household = family[0]
    client = client_for(clerk)
    data = {"registered_address": "明湖区幸福路12号之一", "kind": "1", "house": "不存在"}
    assert "未找到房屋" in page(client.post(f"/registry/households/{household.pk}/edit/", data))
    data["house"] = ""
    assert client.post(f"/registry/households/{household.pk}/edit/", data).status_code == 302
    household.refresh_from_db()
    assert household.registered_address == "明湖区幸福路12号之一" and household.house is None


class TestHouseholdPagesAreScoped(ScopedModelContract):
    view_permission = "registry.view_household"

    def make_object(self, org):
        if org.level < 3:
            return Household.objects.create(org=org, number=f"X-{org.pk}", registered_address="某地")
        clerk = staff(org)
        return services.household_create(
            actor=clerk, org=org, number=f"N-{org.pk}", registered_address="某地", head=person(clerk, org)
        )

    def detail_url(self, obj):
        return f"/registry/households/{obj.pk}/"


def test_a_head_not_found_is_reported_with_the_forms_other_errors(tree, clerk):
    person(clerk, tree.community_a1, name="孙一")
    Household.objects.create(org=tree.community_a1, number="H-100", head=None, registered_address="幸福路1号")
    data = {
        "org": tree.community_a1.pk,
        "number": "H-100",
        "kind": "1",
        "registered_address": "幸福路1号",
        "id_number": "110105194912310021",
    }
    html = page(client_for(clerk).post("/registry/households/new/", data))
    # Both in one round: the clerk fixes the number and the ID number together.
    assert "校验位错误" in html and "户号 H-100 已存在" in html
    assert Household.objects.count() == 1
