"""预约办理 in the real browser: a resident signs in by SMS code, picks an item, a working day and a slot with
places left, books, reads the booking code (the same as in the SMS) and cancels."""

import re

import pytest
from playwright.sync_api import expect

from jiedao.applications.tests.factories import make_item, make_resident
from jiedao.appointments import services
from jiedao.appointments.models import Appointment
from jiedao.appointments.tests.factories import open_hall
from jiedao.core.crypto import mask_phone
from jiedao.sms.models import OutboundMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = "13900004321"


def last_text(phone: str) -> str:
    return OutboundMessage.objects.filter(phone_masked=mask_phone(phone)).latest("id").body


def test_book_a_slot_and_cancel(page, tree):
    make_resident(phone=PHONE, name="钱晓燕")
    item = make_item(tree.subdistrict_a, name="居住证明开具")
    open_hall(tree.subdistrict_a, capacity=3)
    second_day = services.bookable_dates()[1]

    page.goto("/appointments/me/")
    page.get_by_label("手机号码").fill(PHONE)
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").fill(re.search(r"\d{6}", last_text(PHONE)).group())
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的预约")).to_be_visible()
    expect(page.get_by_text("您还没有预约。")).to_be_visible()

    page.get_by_role("listitem").filter(has_text="居住证明开具").get_by_role("link", name="预约").click()
    expect(page.get_by_role("heading", name="预约办理：居住证明开具")).to_be_visible()
    page.get_by_role("link", name=f"{second_day.month}月{second_day.day}日").click()
    expect(page.get_by_text(f"{second_day:%Y-%m-%d} 的时段")).to_be_visible()
    page.get_by_label(re.compile("下午 14:00–14:30")).check()
    page.get_by_role("button", name="确认预约").click()

    booked = Appointment.objects.get(item=item)
    expect(page.get_by_role("alert")).to_contain_text(f"预约成功，预约码：{booked.code}")
    assert booked.code in last_text(PHONE)
    row = page.get_by_test_id("appointment")
    expect(row).to_contain_text(f"{second_day:%Y-%m-%d} 14:00–14:30")
    expect(row).to_contain_text("已预约")

    row.get_by_role("button", name="取消预约").click()
    expect(page.get_by_role("alert")).to_contain_text(f"已取消预约 {booked.code}。")
    expect(row).to_contain_text("已取消")
