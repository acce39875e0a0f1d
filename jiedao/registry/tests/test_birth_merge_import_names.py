"""A newborn takes the household's 户籍地址 and the family's house; merging a
household into itself shows the service's message; the person import applies the name rule."""

from datetime import date

import pytest

from jiedao.core.testing import client_for
from jiedao.registry import services
from jiedao.registry.models import Household, Person
from jiedao.registry.tests.factories import house, new_id_number, person, staff
from jiedao.registry.tests.test_household_forms import birth_post


@pytest.fixture
def clerk(tree):
    return staff(tree.community_a1)


@pytest.fixture
def family(tree, clerk):
    home = house(clerk, tree.community_a1)
    head = person(
        clerk, tree.community_a1, name="王建国", id_number=new_id_number(date(1960, 1, 1)), house=home
    )
    wife = person(
        clerk, tree.community_a1, name="刘桂兰", id_number=new_id_number(date(1962, 2, 2), female=True)
    )
    household = services.household_create(
        actor=clerk,
        org=tree.community_a1,
        number="330110001001-0001",
        registered_address="明湖区幸福路12号",
        head=head,
        members=[(wife, "10")],
    )
    return household, head, wife, home


def test_newborn_takes_the_household_address_and_the_heads_house(family, clerk):
    household, _head, _wife, home = family
    response = client_for(clerk).post(
        f"/registry/households/{household.pk}/birth/", birth_post(), follow=True
    )
    html = response.content.decode()
    newborn = Person.objects.get(name="王小宝")
    assert (newborn.hukou_address, newborn.house, newborn.house_relation) == (
        "明湖区幸福路12号",
        home,
        "family",
    )
    assert newborn.residence_address == home.full_address
    assert "明湖区幸福路12号" in html and home.full_address in html and "家庭成员" in html
    assert "未关联登记房屋" not in html


def test_newborn_takes_a_parents_house_when_the_head_has_none(tree, clerk):
    home = house(clerk, tree.community_a1, room="502")
    head = person(clerk, tree.community_a1, name="李老汉", id_number=new_id_number(date(1940, 1, 1)))
    son = person(clerk, tree.community_a1, name="李大", id_number=new_id_number(date(1970, 1, 1)), house=home)
    household = services.household_create(
        actor=clerk,
        org=tree.community_a1,
        number="330110001001-0002",
        registered_address="明湖区长寿路1号",
        head=head,
        members=[(son, "20")],
    )
    baby = services.person_register_birth(
        actor=clerk,
        household=household,
        relation="41",  # 孙子: the son's child
        data=services.PersonData(name="李小", id_number=new_id_number(date(2026, 1, 9)), org=None),
    )
    assert (baby.hukou_address, baby.house) == ("明湖区长寿路1号", home)


def test_addresses_given_for_the_newborn_are_kept(family, clerk, tree):
    household, *_ = family
    baby = services.person_register_birth(
        actor=clerk,
        household=household,
        relation="20",
        data=services.PersonData(
            name="王小宝",
            id_number=new_id_number(date(2026, 1, 9)),
            org=None,
            hukou_address="明湖区别处1号",
            residence_address="外祖母家",
        ),
    )
    assert (baby.hukou_address, baby.house, baby.residence_address) == ("明湖区别处1号", None, "外祖母家")


def test_merging_a_household_into_itself_shows_the_services_message(family, clerk):
    household = family[0]
    data = {
        "target_number": household.number,
        **{f"relation_{m.person_id}": "80" for m in household.members.all()},
    }
    html = client_for(clerk).post(f"/registry/households/{household.pk}/merge/", data).content.decode()
    assert "不能并入本户。" in html
    assert "未找到在册的户" not in html
    household.refresh_from_db()
    assert household.dissolved_on is None and Household.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_person_import_applies_the_name_rule(tree, settings, tmp_path):
    from jiedao.registry.tests.test_import_persons import errors_of, run, workbook

    settings.MEDIA_ROOT = tmp_path / "media"
    clerk = staff(tree.community_a1)
    rows = [
        [1, "=1+2", new_id_number(date(1990, 1, 1)), "男"],
        [2, "@SUM(1+1)", new_id_number(date(1991, 1, 1)), "男"],
        [3, "张 三", new_id_number(date(1992, 1, 1)), "男"],
        [4, "李四2", new_id_number(date(1993, 1, 1)), "男"],
    ]
    job = run(clerk, tree.community_a1, workbook(rows))
    charset = "姓名只能包含汉字、字母和间隔号（·）。"
    assert [(n, c, r) for n, c, _v, r in errors_of(job)] == [
        (4, "姓名", charset),
        (5, "姓名", charset),
        (7, "姓名", charset),
    ]
    assert list(Person.objects.values_list("name", flat=True)) == ["张三"]
