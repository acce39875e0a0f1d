"""A newcomer logs in with each kind of demo account and sees only what that role may use."""

import pyotp
import pytest
from playwright.sync_api import expect

from jiedao.core import demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_accounts():
    return {user.username: user for user, _role in demo.load()}


def log_in(page, username, password=demo.DEMO_PASSWORD):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_community_staff_sees_own_community_only(page, demo_accounts):
    log_in(page, "shequ")
    page.wait_for_url("**/workbench/")
    assert "张秀英" in page.get_by_test_id("current-user").inner_text()
    sidebar = page.locator("#sidebar").inner_text()
    assert "用户管理" not in sidebar and "角色与权限" not in sidebar and "审计" not in sidebar


def test_system_admin_logs_in_with_totp_and_manages_the_org_tree(page, demo_accounts):
    admin = demo_accounts["sysadmin"]
    log_in(page, "sysadmin")
    page.wait_for_url("**/two-factor/")
    page.get_by_label("动态口令").fill(pyotp.TOTP(admin.totp_secret).now())
    page.get_by_role("button", name="验证").click()
    page.wait_for_url("**/workbench/")
    sidebar = page.locator("#sidebar")
    assert sidebar.get_by_role("link", name="组织机构").is_visible()
    assert sidebar.get_by_role("link", name="角色与权限").count() == 0
    sidebar.get_by_role("link", name="组织机构").click()
    tree = page.get_by_test_id("org-tree")
    assert "柳浪社区" in tree.inner_text() and "秋涛社区" in tree.inner_text()
    # a malformed code is refused with a Chinese message, then a good one is accepted
    page.goto(f"/orgs/{admin.org.children.get(name='清波街道').pk}/new/")
    page.get_by_label("名称").fill("新建测试社区")
    page.get_by_label("区划代码").fill("33011000100X")
    page.get_by_role("button", name="保存").click()
    assert "区划代码应为 12 位数字" in page.locator("main").inner_text()
    page.get_by_label("区划代码").fill("330110001009")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/orgs/")
    assert "新建测试社区" in page.get_by_test_id("org-tree").inner_text()


def test_wrong_password_shows_chinese_error_and_language_switch_works(page, demo_accounts):
    log_in(page, "window", "wrong-password")
    assert "用户名或密码错误" in page.locator("main").inner_text()
    log_in(page, "window")
    page.wait_for_url("**/workbench/")
    with page.expect_navigation():
        page.get_by_label("界面语言").select_option("en")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
