"""The demo's 排队叫号: two lines at 清波街道's hall called by its window, loaded once however often it runs."""

from __future__ import annotations

import pytest

from jiedao.core.testing import make_user
from jiedao.orgs.models import OrgUnit
from jiedao.queueing import demo
from jiedao.queueing.models import QueueLine
from jiedao.queueing.tests.factories import LINE_ADMIN, make_window

pytestmark = pytest.mark.django_db


def test_the_demo_hall_gets_two_lines_once(tree):
    OrgUnit.objects.filter(pk=tree.subdistrict_a.pk).update(division_code=demo.HALL_CODE)
    window = make_window(tree.subdistrict_a, number="1号窗口")
    make_user(tree.subdistrict_a, *LINE_ADMIN, username="leader")
    demo.load()
    demo.load()
    lines = QueueLine.objects.filter(org=tree.subdistrict_a).order_by("prefix")
    assert [(line.prefix, line.name) for line in lines] == [("A", "社会救助"), ("B", "户籍与居住证明")]
    assert all(list(line.windows.all()) == [window] for line in lines)
