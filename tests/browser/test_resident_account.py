"""A resident's own account in the real browser: sign in by SMS code, withdraw an application not yet
accepted, move the account to a new mobile number, then close the account."""

import datetime as dt
import re

import pytest
from django.db.models import F
from playwright.sync_api import expect

from jiedao.applications.models import Application, Resident, SmsCode
from jiedao.applications.tests.factories import make_item, make_resident, submit
from jiedao.core.crypto import mask_phone
from jiedao.sms.models import OutboundMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OLD, NEW = "13900001234", "13700005678"


def sms_code(phone: str) -> str:
    body = OutboundMessage.objects.filter(phone_masked=mask_phone(phone)).latest("id").body
    return re.search(r"\d{6}", body).group()


def test_withdraw_change_phone_and_close(page, tree):
    resident = make_resident(phone=OLD, name="赵春梅")
    application = submit(resident, make_item(tree.subdistrict_a, name="居住证明开具"))

    page.goto("/hall/account/login/")
    page.get_by_label("手机号码").fill(OLD)
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").fill(sms_code(OLD))
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的办件")).to_be_visible()

    page.get_by_role("link", name=application.tracking_code).click()
    page.get_by_label("撤回原因（选填）").fill("已在别处办理")
    page.get_by_label("我确认撤回本申请。撤回后办理终止，如需办理须重新申请。").check()
    page.get_by_role("button", name="撤回申请").click()
    expect(page.get_by_role("alert")).to_contain_text("申请已撤回，办理终止")
    expect(page.locator("dl")).to_contain_text("已撤回")

    page.get_by_role("link", name="更换手机号").click()
    expect(page.get_by_role("heading", name="更换绑定手机号")).to_be_visible()
    page.get_by_label("新手机号码").fill(NEW)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_text("137****5678")).to_be_visible()
    page.get_by_label("短信验证码").fill(sms_code(NEW))
    page.get_by_role("button", name="确认更换").click()
    expect(page.get_by_role("alert")).to_contain_text("绑定手机号已更换为 137****5678")
    expect(page.get_by_text("赵春梅 · 137****5678")).to_be_visible()

    # One code per number per minute: as if the resident came back to close the account later.
    SmsCode.objects.update(created_at=F("created_at") - dt.timedelta(minutes=2))
    page.get_by_role("link", name="注销账号").click()
    page.get_by_label("我已了解注销后果，确认注销本账号。").check()
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").fill(sms_code(NEW))
    page.get_by_role("button", name="确认注销").click()
    expect(page.get_by_role("alert")).to_contain_text("账号已注销")
    assert not Resident.objects.exists()
    assert Application.objects.get().applicant_phone == NEW
    assert page.problems == []
