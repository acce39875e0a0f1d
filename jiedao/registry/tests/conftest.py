"""Fixtures shared by the registry tests: a community clerk, a three-person family household, and a small town
for the statistics."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from jiedao.registry import services
from jiedao.registry.selectors import shift_years
from jiedao.registry.tests.factories import new_id_number, person, staff


@pytest.fixture
def clerk(tree):
    return staff(tree.community_a1)


@pytest.fixture
def family(tree, clerk):
    """(household, head 王建国, wife 刘桂兰, son 王小明) in community A1."""
    head = person(clerk, tree.community_a1, name="王建国", id_number=new_id_number(date(1960, 1, 1)))
    wife = person(
        clerk, tree.community_a1, name="刘桂兰", id_number=new_id_number(date(1962, 2, 2), female=True)
    )
    son = person(clerk, tree.community_a1, name="王小明", id_number=new_id_number(date(1988, 3, 3)))
    household = services.household_create(
        actor=clerk,
        org=tree.community_a1,
        number="330110001001-0001",
        registered_address="明湖区幸福路12号",
        head=head,
        members=[(wife, "10"), (son, "20")],
    )
    return household, head, wife, son


def born(today, age):
    """A birth date that makes someone exactly `age` today (ten days past the birthday)."""
    return shift_years(today, age) - timedelta(days=10)


@pytest.fixture
def town(tree):
    """Eight living residents in three communities, one who moved out, households, migrants and tags.

    community_a1: p1 ♂30 (head), p2 ♀28 (spouse), p3 ♂2 (child), p5 ♂40 migrant from 安徽 — all in grid_a1;
                  p4 ♀90 living alone in the community itself (elderly_alone; an ended dibao tag); p6 moved out
    community_a2: q1 ♀45 migrant from 四川 (disabled), q2 ♂70
    community_b1: r1 ♂33 migrant from 安徽 (party member)
    """
    today = timezone.localdate()
    clerk = staff(tree.district)

    def resident(org, name, age, *, female=False):
        return person(clerk, org, name=name, id_number=new_id_number(born(today, age), female=female))

    p1 = resident(tree.grid_a1, "张伟", 30)
    p2 = resident(tree.grid_a1, "李娜", 28, female=True)
    p3 = resident(tree.grid_a1, "张小宝", 2)
    p4 = resident(tree.community_a1, "王秀英", 90, female=True)
    p5 = resident(tree.grid_a1, "刘强", 40)
    p6 = resident(tree.community_a1, "赵刚", 50)
    q1 = resident(tree.community_a2, "陈静", 45, female=True)
    q2 = resident(tree.community_a2, "周建国", 70)
    r1 = resident(tree.community_b1, "吴磊", 33)

    services.household_create(
        actor=clerk,
        org=tree.grid_a1,
        number="H-1",
        registered_address="幸福路1号",
        head=p1,
        members=[(p2, "10"), (p3, "20")],
    )
    services.household_create(
        actor=clerk, org=tree.community_a1, number="H-2", registered_address="幸福路2号", head=p4
    )
    services.person_move_out(actor=clerk, person=p6, moved_on=today, destination="上海市")
    for someone, code, address in ((p5, "340102", "安徽省合肥市瑶海区"), (q1, "510104", "四川省成都市锦江区"),
                                   (r1, "341202", "安徽省阜阳市颍州区")):  # fmt: skip
        services.migrant_register(
            actor=clerk,
            person=someone,
            data=services.MigrantData(
                origin_address=address, origin_region_code=code, arrival_date=today - timedelta(days=100)
            ),
        )
    year_ago = today - timedelta(days=365)
    services.tag_add(actor=clerk, person=p4, group="elderly_alone", valid_from=year_ago)
    services.tag_add(
        actor=clerk, person=p4, group="dibao", valid_from=year_ago, valid_until=today - timedelta(days=1)
    )
    services.tag_add(
        actor=clerk, person=q1, group="disabled", valid_from=year_ago, details={"type": "4", "grade": "3"}
    )
    services.tag_add(actor=clerk, person=r1, group="party_member", valid_from=year_ago)
    services.tag_add(actor=clerk, person=q2, group="veteran", valid_from=today + timedelta(days=5))  # not yet
    return tree
