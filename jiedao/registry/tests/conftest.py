"""Fixtures shared by the registry tests: a community clerk and a three-person family household."""

from datetime import date

import pytest

from jiedao.registry import services
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
