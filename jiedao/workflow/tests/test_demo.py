import io

import pytest

from jiedao.accounts.models import User
from jiedao.core import demo as core_demo
from jiedao.core.exceptions import OutOfScope
from jiedao.core.scope import require
from jiedao.core.testing import client_for
from jiedao.workflow import demo, selectors
from jiedao.workflow.models import ProcessDefinition, ProcessInstance


def test_demo_is_idempotent_and_fills_the_inboxes(db):
    core_demo.load()
    out = io.StringIO()
    demo.load(stdout=out)
    demo.load(stdout=out)
    deployed = set(ProcessDefinition.objects.values_list("org__name", "key"))
    assert deployed == {
        ("清波街道", "countersign"),
        ("清波街道", "dibao"),
        ("清波街道", "joint_review"),
        ("清波街道", "leave"),
        ("清波街道", "service_review"),
        ("望江街道", "dibao"),  # by its own 党政办; no 纪检监察 there, so no joint review
        ("望江街道", "service_review"),
    }
    assert ProcessInstance.objects.count() == 2
    approver = User.objects.get(username="approver")
    todo = {t.name for t in selectors.todo_tasks(approver)}
    assert todo == {"部门负责人审批", "业务科室意见"}
    assert {t.name for t in selectors.todo_tasks(User.objects.get(username="supervisor"))} == {"纪检监察意见"}
    assert "已发布流程：清波街道 请销假" in out.getvalue()
    # a community of the other sub-district starts its own sub-district's processes, not 清波's
    from jiedao.workflow.services import deployed_definitions, startable_definitions

    other = deployed_definitions(User.objects.get(username="shequ2").org)
    assert {(d.org.name, d.key) for d in other} == {("望江街道", "dibao"), ("望江街道", "service_review")}
    assert {d.key for d in deployed_definitions(User.objects.get(username="shequ").org)} == {
        "leave",
        "joint_review",
        "countersign",
        "dibao",
        "service_review",
    }
    # 低保 and the service review run on applications: nobody starts them from 发起流程.
    assert {d.key for d in startable_definitions(User.objects.get(username="shequ").org)} == {
        "leave",
        "joint_review",
        "countersign",
    }


def test_the_demo_office_administers_its_communities_processes_and_a_community_clerk_does_not(db):
    """The demo's leave request runs at 柳浪社区 (the community clerk started it): 清波's 党政办, who maintains
    the processes, opens it, sees 改派 and gives the waiting step to another; the clerk who started it may not,
    nor 望江's 党政办 (another sub-district). The 党政办's other powers stay at its own node."""
    core_demo.load()
    demo.load()
    office, shequ, office2 = (User.objects.get(username=name) for name in ("office", "shequ", "office2"))
    instance = ProcessInstance.objects.get(definition__key="leave", initiator=shequ)
    assert instance.org == shequ.org and instance.org.name == "柳浪社区"
    task = instance.tasks.get(element_id="head")
    assert task.assignee.username == "approver"
    url = f"/workflow/instances/{instance.pk}/"

    version = task.version
    for outsider in (shequ, office2):
        page = client_for(outsider).get(url)
        assert page.status_code == 404 or 'data-testid="reassign-form"' not in page.content.decode()
        refused = client_for(outsider).post(
            url + "reassign/", {"task": task.pk, "to_user": "leader", "reason": "李卫东外出学习"}
        )
        assert refused.status_code in (403, 404)
    task.refresh_from_db()
    assert task.assignee.username == "approver" and task.version == version

    web = client_for(office)
    assert 'data-testid="reassign-form"' in web.get(url).content.decode()
    response = web.post(
        url + "reassign/", {"task": task.pk, "to_user": "leader", "reason": "李卫东外出学习"}, follow=True
    )
    assert "已改派：“部门负责人审批”交由 陈海燕 办理。" in response.content.decode()
    task.refresh_from_db()
    assert task.assignee.username == "leader"

    # Deploying processes stays at the 党政办's own node: not at a community.
    with pytest.raises(OutOfScope):
        require(office, "workflow.add_processdefinition", shequ.org)


def test_the_demo_leave_starts_after_the_day_the_demo_is_loaded(db, clock):
    """The leave request waits for approval: it starts a Monday at least a week after the demo's today, not
    on a fixed date that lies months in the past by the time the demo is shown."""
    import datetime as dt

    clock.set(2026, 12, 8)  # a Tuesday
    core_demo.load()
    demo.load()
    instance = ProcessInstance.objects.get(definition__key="leave")
    start = dt.date.fromisoformat(instance.data["start_date"])
    assert start == dt.date(2026, 12, 21) and start.weekday() == 0
    assert "12月21日起4天" in instance.title
    assert demo.demo_leave_start(dt.date(2027, 3, 1)) == dt.date(2027, 3, 8)
