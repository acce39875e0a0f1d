"""The 低保 demo case, staff side, in the real browser: the community verifies the household in the inbox
form, the sub-district leader approves, the notice period passes, and the person carries the 低保 tag."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from jiedao.applications import demo as applications_demo
from jiedao.applications import processing
from jiedao.applications import services as applications
from jiedao.applications.choices import ApplicationStatus
from jiedao.applications.models import Application, PublicNotice
from jiedao.catalog import demo as catalog_demo
from jiedao.core import demo
from jiedao.orgs.models import OrgUnit
from jiedao.registry import demo as registry_demo
from jiedao.registry import services as registry
from jiedao.registry.models import SpecialGroupTag
from jiedao.registry.tests import factories as people
from jiedao.workflow import demo as workflow_demo
from jiedao.workflow import services as workflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dibao_case():
    """Demo users and roles, one household in 柳浪社区, the catalog and processes, and the demo application."""
    demo.load()
    registry_demo.grant_role_permissions()
    community = OrgUnit.objects.get(division_code=applications_demo.COMMUNITY_CODE)
    clerk = people.staff(community)
    head = people.person(clerk, community, name="周桂芳", id_number=people.new_id_number(dt.date(1958, 2, 3)))
    spouse = people.person(
        clerk, community, name="吴大勇", id_number=people.new_id_number(dt.date(1956, 7, 9))
    )
    registry.household_create(
        actor=clerk,
        org=community,
        number="330110001001-9001",
        registered_address="柳浪路 1 号",
        head=head,
        members=[(spouse, "10")],
    )
    registry.tag_add(
        actor=clerk,
        person=spouse,
        group="disabled",
        valid_from=dt.date(2021, 3, 1),
        details={"type": "4", "grade": "2"},
    )
    workflow_demo.load()
    catalog_demo.load()
    applications_demo.load()
    return Application.objects.get(item__process_key="dibao"), head


def log_in(page, username):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/workbench/")


def open_task(page, name):
    page.goto("/workflow/inbox/")
    page.get_by_role("link", name=name).first.click()
    page.wait_for_url("**/workflow/tasks/*/")
    page.locator("#wf-form .fjs-form").wait_for()


def test_community_verifies_leader_approves_and_the_person_is_tagged(page, dibao_case):
    application, head = dibao_case

    log_in(page, "shequ")
    open_task(page, application.tracking_code)
    assert page.locator("h1").inner_text() == "社区入户核实"
    household = page.get_by_label("家庭成员（实有人口库）")
    assert "吴大勇" in household.input_value() and "残疾人" in household.input_value()
    page.get_by_label("家庭月收入合计（元）").fill("1500")
    page.get_by_label("符合低保条件", exact=True).check()
    page.get_by_label("核实意见").fill("已入户核实，家庭人均收入低于当地低保标准。")
    page.get_by_test_id("complete-form").get_by_role("button", name="提交").click()
    page.wait_for_url("**/workflow/inbox/")
    assert "已办理：社区入户核实" in page.locator("main").inner_text()

    log_in(page, "leader")
    open_task(page, application.tracking_code)
    assert page.locator("h1").inner_text() == "街道审核"
    page.get_by_label("同意（进入公示）").check()
    page.get_by_label("审核说明").fill("同意，进入公示。")
    page.get_by_test_id("complete-form").get_by_role("button", name="提交").click()
    page.wait_for_url("**/workflow/inbox/")

    notice = PublicNotice.objects.get(application=application)
    assert "周*芳" in notice.body
    # the notice period passes: the periodic jobs run 8 days later
    later = timezone.now() + dt.timedelta(days=8)
    assert workflow.fire_due_timers(now=later).failed == 0
    applications.notices_archive_run(now=later)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CONCLUDED_APPROVED
    assert processing.instance_for(application).status == "completed"
    assert SpecialGroupTag.objects.filter(person=head, group="dibao").exists()

    log_in(page, "shequ")
    page.goto(reverse("registry:person_detail", args=[head.pk]))
    assert "低保对象" in page.locator("main").inner_text()
