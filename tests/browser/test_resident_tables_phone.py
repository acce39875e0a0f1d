"""A resident's tables on a 390 px phone: the service hall, 我的办件, 我的预约 and a guide's materials show every
row as a card, so the 在线申请 button, an application's 状态, 取消预约 and a guide's 下载空白表格 link are on the
screen without scrolling sideways (before, they were to the right of the screen, in a box few residents think
of scrolling)."""

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from playwright.sync_api import expect

from jiedao.applications.tests.factories import make_item, make_resident, submit
from jiedao.applications.views import SESSION_EPOCH_KEY, SESSION_KEY
from jiedao.appointments import selectors
from jiedao.appointments import services as appointments
from jiedao.appointments.tests.factories import open_hall
from jiedao.catalog.tests.factories import make_material

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390


def on_screen(locator) -> bool:
    """The element lies within the phone's width as the page is first shown (no sideways scrolling)."""
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH


@pytest.fixture
def resident_page(open_page, live_server):
    resident = make_resident(name="王秀兰")
    client = Client()
    session = client.session
    session[SESSION_KEY] = resident.pk
    session[SESSION_EPOCH_KEY] = resident.session_epoch
    session.save()
    page = open_page(PHONE_WIDTH, 844, console=False)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.resident = resident
    return page


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_the_residents_tables_fit_a_phone_row_by_row(resident_page, live_server, tree, elder):
    page = resident_page
    if elder:
        page.context.add_cookies([{"name": "jiedao_elder", "value": "1", "url": live_server.url}])
    item = make_item(
        tree.subdistrict_a,
        name="最低生活保障（低保）申请",
        window_address="清波街道便民服务中心 1号窗口（明湖区清波路 88 号一楼）",
    )
    material = make_material(item, name="最低生活保障申请书", note="申请人签字")
    material.blank_form.save("blank.xlsx", ContentFile(b"PK\x03\x04 blank"))
    application = submit(page.resident, item)

    page.goto("/hall/")
    expect(page.get_by_role("link", name="在线申请").first).to_be_visible()
    assert on_screen(page.get_by_role("link", name="在线申请").first)

    page.goto("/hall/me/")
    status = page.locator("td", has_text="已提交，待受理")
    expect(status).to_be_visible()
    assert on_screen(status)
    assert on_screen(page.get_by_role("link", name=application.tracking_code))
    # Each value is under its column's name.
    assert "状态" in status.evaluate("el => getComputedStyle(el, '::before').content")

    slot = open_hall(tree.subdistrict_a)[0]
    appointments.appointment_book(
        resident=page.resident, item=item, day=selectors.bookable_dates()[0], slot_id=slot.pk
    )
    page.goto("/appointments/me/")
    cancel = page.get_by_role("button", name="取消预约")
    expect(cancel).to_be_visible()
    assert on_screen(cancel)

    page.goto(f"/guide/{item.code}/")
    download = page.get_by_role("link", name="下载空白表格：最低生活保障申请书")
    expect(download).to_be_visible()
    assert on_screen(download)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def test_a_desktop_keeps_the_tables_as_tables(open_page, tree):
    make_item(tree.subdistrict_a, name="最低生活保障（低保）申请")
    page = open_page(1280, 900, console=False)
    page.goto("/hall/")
    expect(page.get_by_role("columnheader", name="办理方式")).to_be_visible()
