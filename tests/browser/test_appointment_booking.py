"""预约办理 in the real browser: a resident signs in by SMS code, picks an item, a working day and a slot with
places left, books, reads the booking code (the same as in the SMS) and cancels."""

import re

import pytest
from playwright.sync_api import expect

from jiedao.applications.tests.factories import make_item, make_resident
from jiedao.appointments import selectors, services
from jiedao.appointments.models import Appointment
from jiedao.appointments.tests.factories import HALL_ADMIN, WINDOW, booked_for_today, open_hall
from jiedao.core.crypto import mask_phone
from jiedao.core.testing import make_user
from jiedao.sms.models import OutboundMessage
from tests.browser.test_accessibility import MODES
from tests.browser.test_accessibility import PHONE as PHONE_SIZE
from tests.browser.test_accessibility import audit as resident_audit
from tests.browser.test_accessibility import visit as visit  # a fixture
from tests.browser.test_staff_accessibility import audit as staff_audit
from tests.browser.test_staff_accessibility import audit_all as staff_audit_all
from tests.browser.test_staff_accessibility import staff_page as staff_page  # a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = "13900004321"


def last_text(phone: str) -> str:
    return OutboundMessage.objects.filter(phone_masked=mask_phone(phone)).latest("id").body


def test_book_a_slot_and_cancel(page, tree):
    make_resident(phone=PHONE, name="钱晓燕")
    item = make_item(tree.subdistrict_a, name="居住证明开具")
    open_hall(tree.subdistrict_a, capacity=3)
    second_day = selectors.bookable_dates()[1]

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

    # 取消预约 asks first: answered 取消 (dismissed), the booking stays.
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    row.get_by_role("button", name="取消预约").click()
    page.wait_for_timeout(300)
    assert asked == [f"确定取消 {second_day:%Y-%m-%d} 14:00–14:30 的“居住证明开具”预约？"]
    booked.refresh_from_db()
    assert booked.status == "booked"
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="取消预约").click()
    expect(page.get_by_role("alert")).to_contain_text(f"已取消预约 {booked.code}。")
    expect(row).to_contain_text("已取消")


@pytest.mark.parametrize("mode", MODES)
def test_no_serious_wcag_violation_on_the_booking_pages(visit, tree, mode):
    options = MODES[mode]
    resident = make_resident(phone=PHONE, name="钱晓燕")
    item = make_item(tree.subdistrict_a, name="居住证明开具")
    [first, *_rest] = open_hall(tree.subdistrict_a, capacity=1)
    services.appointment_book(
        resident=make_resident(), item=item, day=selectors.bookable_dates()[0], slot_id=first.pk
    )
    problems: list[str] = []
    page = visit(**options, resident=resident)
    for url in ("/appointments/me/", f"/appointments/me/book/{item.pk}/"):
        page.goto(url)
        resident_audit(page, url, problems, phone=options["size"] == PHONE_SIZE)
    page.locator("#booking-form button[type=submit]").click()  # no slot chosen: the error above the slots
    page.wait_for_selector("#booking-form [role=alert]")
    resident_audit(page, "booking with an error", problems, phone=options["size"] == PHONE_SIZE)
    assert not problems, f"{mode}: {len(problems)} accessibility problems:\n" + "\n".join(problems)


def test_no_serious_wcag_violation_on_the_window_pages(staff_page, tree):
    item = make_item(tree.subdistrict_a, name="居住证明开具")
    [first, *_rest] = open_hall(tree.subdistrict_a)
    ahead = services.appointment_book(
        resident=make_resident(), item=item, day=selectors.bookable_dates()[0], slot_id=first.pk
    )
    booked_for_today(make_resident(name="孙立新"), item, _rest[-1])  # its row: 签到, then 窗口收件
    staff = make_user(tree.subdistrict_a, *WINDOW, *HALL_ADMIN, "appointments.cancel_appointment")
    page = staff_page(staff)
    problems: list[str] = []
    staff_audit_all(
        page,
        [
            "/appointments/staff/today/",
            "/appointments/staff/schedule/",
            f"/appointments/staff/today/?date={ahead.date:%Y-%m-%d}",  # another day: 取消 on the row
            f"/appointments/staff/{ahead.pk}/cancel/",
            "/appointments/staff/cancel-day/",
        ],
        problems,
    )
    page.goto(f"/appointments/staff/{ahead.pk}/cancel/")
    page.get_by_role("button", name="取消预约").click()  # no reason: the error under the field
    page.wait_for_selector("#id_reason[aria-invalid=true]")
    staff_audit(page, "hall cancel without a reason", problems)
    page.get_by_label("取消原因").fill("窗口系统升级")
    page.get_by_role("button", name="取消预约").click()
    expect(page.get_by_role("alert")).to_contain_text("已短信告知原因并请其重新预约")
    expect(page.get_by_test_id("hall-cancelled")).to_contain_text("窗口系统升级")
    staff_audit(page, "the day's page with the hall's cancellations", problems)
    page.goto(f"/appointments/staff/cancel-day/?date={ahead.date:%Y-%m-%d}")
    page.get_by_label("服务大厅（事项的实施单位）").select_option(str(tree.subdistrict_a.pk))
    page.get_by_label("取消原因").fill("停电临时闭厅")
    page.get_by_role("button", name="停止当日预约").click()
    expect(page.get_by_test_id("closure")).to_contain_text("当天已停止预约：停电临时闭厅")
    staff_audit(page, "a day the hall stopped, 恢复预约 offered", problems)
    page.goto("/appointments/staff/today/")
    page.get_by_role("button", name="签到", exact=True).click()  # no code: the error under the field
    page.wait_for_selector("#id_code[aria-invalid=true]")
    staff_audit(page, "check-in with an error", problems)
    page.get_by_role("button", name="签到 孙立新").click()
    expect(page.get_by_role("alert")).to_contain_text("孙立新 已签到")
    staff_audit(page, "checked in, 窗口收件 next", problems)
    page.get_by_role("link", name="窗口收件 孙立新").click()
    expect(page.get_by_role("heading", name="窗口收件登记")).to_be_visible()
    # Filled from the booking: the item booked, the name and the phone (never in the address).
    expect(page.get_by_test_id("walk-in-item")).to_contain_text("居住证明开具")
    expect(page.get_by_label("申请人姓名")).to_have_value("孙立新")
    assert re.search(r"/hall/staff/applications/new/\?appointment=\d+$", page.url)
    staff_audit(page, "窗口收件 filled from the booking", problems)
    assert not problems, f"{len(problems)} accessibility problems:\n" + "\n".join(problems)
