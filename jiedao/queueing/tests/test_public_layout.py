"""The public pages of 排队叫号 on the site's public layout: the visitor's ticket (on their phone) has the
site's menu, language switch and 长者模式 (large type); the kiosk keeps its full screen without the menu but
offers 长者模式 and the language; the display is a bare wall screen."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from jiedao.public.views import ELDER_COOKIE
from jiedao.queueing import services
from jiedao.queueing.tests.factories import hall_open_now, make_line, make_window, paired_kiosk

pytestmark = pytest.mark.django_db
ELDER_SWITCH = "长者模式（大字体）"
SITE_MENU = 'aria-label="网站导航"'


@pytest.fixture
def line(tree):
    return make_line(tree.subdistrict_a, "A", make_window(tree.subdistrict_a), name="社会救助")


def body_class(page: str) -> str:
    return re.search(r'<body class="([^"]*)"', page).group(1)


def test_the_visitors_ticket_is_a_page_of_the_public_site_with_the_elder_mode(tree, line):
    hall_open_now(tree.district)
    ticket = services.ticket_take(line=line)
    visitor = Client()
    page = visitor.get(f"/queue/t/{ticket.token}/").content.decode()
    assert SITE_MENU in page and ELDER_SWITCH in page and 'value="en"' in page
    assert body_class(page) == "public"
    assert "htmx.min.js" in page and f'hx-get="/queue/t/{ticket.token}/status/"' in page
    visitor.post("/elder-mode/", {"on": "1", "next": f"/queue/t/{ticket.token}/"})
    elder = visitor.get(f"/queue/t/{ticket.token}/").content.decode()
    assert body_class(elder) == "public elder" and "退出长者模式" in elder
    english = Client().get(f"/queue/t/{ticket.token}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'value="zh-hans"' in english


def test_the_kiosk_offers_large_type_and_the_language_but_no_way_out(tree, line):
    hall_open_now(tree.district)
    url = f"/queue/hall/{tree.subdistrict_a.division_code}/"
    kiosk = paired_kiosk(tree.subdistrict_a)
    for page in (kiosk.get(url).content.decode(), Client().get(url).content.decode()):  # unregistered too
        assert ELDER_SWITCH in page and 'value="en"' in page
        assert SITE_MENU not in page and "工作人员入口" not in page
    kiosk.cookies[ELDER_COOKIE] = "1"
    assert body_class(kiosk.get(url).content.decode()) == "public elder"
    taken = kiosk.post(url, {"line": line.pk})
    shown = kiosk.get(taken["Location"]).content.decode()
    assert "取号成功" in shown and body_class(shown) == "public elder"
    assert SITE_MENU not in shown and "退出长者模式" in shown


def test_the_display_is_a_bare_wall_screen(tree, line):
    page = Client().get(f"/queue/hall/{tree.subdistrict_a.division_code}/screen/").content.decode()
    assert body_class(page) == "public queue-screen"
    assert SITE_MENU not in page and ELDER_SWITCH not in page and "工作人员入口" not in page
    assert 'hx-trigger="every 4s"' in page and "htmx.min.js" in page
