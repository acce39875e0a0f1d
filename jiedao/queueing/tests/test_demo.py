"""The demo's 排队叫号: two lines at 清波街道's hall called by its window, loaded once however often it runs."""

from __future__ import annotations

import io

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


def test_the_demo_says_how_to_register_a_kiosk(tree):
    OrgUnit.objects.filter(pk=tree.subdistrict_a.pk).update(division_code=demo.HALL_CODE)
    make_window(tree.subdistrict_a, number="1号窗口")
    make_user(tree.subdistrict_a, *LINE_ADMIN, username="leader")
    out = io.StringIO()
    demo.load(stdout=out)
    said = out.getvalue()
    assert "取号页面只能在已登记的取号机上使用" in said and "以 leader 登录" in said
    assert f"/queue/staff/halls/{tree.subdistrict_a.pk}/kiosks/" in said and "登记取号机" in said
