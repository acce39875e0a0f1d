"""Fixtures shared by the registry tests: a community clerk, a three-person family household, a small town
for the statistics, and a town of every 人户分离 category."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from jiedao.core.testing import make_user
from jiedao.orgs import services as org_services
from jiedao.orgs.choices import OrgLevel
from jiedao.registry import services
from jiedao.registry.selectors import shift_years
from jiedao.registry.services import duplicates
from jiedao.registry.tests.factories import house, new_id_number, person, staff


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


@pytest.fixture
def split_town(tree):
    """Persons of every category, and some in none.

    甲一社区 (its grid 甲一第一网格 counting as the community): household 甲一户 registered at the community itself.
      一致网格 (grid person, grid house) and 一致社区 (community person, grid house): members living here — 人户一致;
      户在外住: a member with no house here (lives in Shanghai) — 户在人不在;
      租住网格: a migrant in a community house, in no household — 人在户不在;
      无房无户: in neither; 已故 and 已迁出 were members living here; 留存记录 kept a duplicate's membership and house.
    甲二社区: grid 甲二第一网格, household 甲二户; 划入网格 (grid person, grid house) and 划出房屋 (community person,
      grid house) are its members — until the grid is moved to 甲一社区: 划入网格 then lives in 甲一社区 registered
      in 甲二社区 (人在户不在 there), 划出房屋 is registered in 甲二社区 living in 甲一社区 (户在人不在 in 甲二社区).
    乙一社区: 乙一致 (member, living here) and 乙租住 (living here, no household).
    """
    # before the clerk: a scope is read once per user
    grid_a2 = org_services.org_create(
        actor=make_user(tree.district, "orgs.add_orgunit"),
        name="甲二第一网格",
        level=OrgLevel.GRID,
        division_code="110105001002001",
        parent=tree.community_a2,
    )
    clerk = staff(tree.district, "registry.merge_person")
    today = timezone.localdate()
    grid_house = house(clerk, tree.grid_a1, street="幸福路1号")
    community_house = house(clerk, tree.community_a1, street="幸福路2号")

    def resident(org, name, home=None, **kwargs):
        return person(clerk, org, name=name, house=home, **kwargs)

    head = resident(tree.grid_a1, "一致网格", grid_house)
    members = [
        resident(tree.community_a1, "一致社区", grid_house),
        resident(tree.community_a1, "户在外住", residence_address="上海市浦东新区世纪大道1号"),
        resident(tree.community_a1, "已故", grid_house),
        resident(tree.grid_a1, "已迁出", grid_house),
        resident(tree.community_a1, "重复记录", grid_house),
    ]
    services.household_create(
        actor=clerk,
        org=tree.community_a1,
        number="A1-1",
        registered_address="幸福路1号",
        head=head,
        members=[(member, "10" if n == 0 else "20") for n, member in enumerate(members)],
    )
    by_name = {member.name: member for member in members}
    services.person_register_death(actor=clerk, person=by_name["已故"], died_on=today)
    services.person_move_out(actor=clerk, person=by_name["已迁出"], moved_on=today, destination="杭州市")
    kept = resident(tree.community_a1, "留存记录")
    duplicates.person_merge(actor=clerk, survivor=kept, merged=by_name["重复记录"])
    tenant = resident(tree.grid_a1, "租住网格", community_house)
    services.migrant_register(
        actor=clerk,
        person=tenant,
        data=services.MigrantData(origin_address="安徽省合肥市", arrival_date=date(2024, 3, 1)),
    )
    resident(tree.community_a1, "无房无户")

    a2_house = house(clerk, grid_a2, street="和平路9号")
    moving = resident(grid_a2, "划入网格", a2_house)
    staying = resident(tree.community_a2, "划出房屋", a2_house)
    services.household_create(
        actor=clerk,
        org=tree.community_a2,
        number="A2-1",
        registered_address="和平路9号",
        head=moving,
        members=[(staying, "20")],
    )
    org_services.org_move(
        actor=make_user(tree.district, "orgs.move_orgunit"),
        node=grid_a2,
        new_parent=tree.community_a1,
        division_code="110105001001002",
    )

    b_house = house(clerk, tree.community_b1, street="乙路3号")
    services.household_create(
        actor=clerk,
        org=tree.community_b1,
        number="B1-1",
        registered_address="乙路3号",
        head=resident(tree.community_b1, "乙一致", b_house),
    )
    resident(tree.community_b1, "乙租住", b_house)
    tree.grid_a2 = grid_a2
    return tree
