"""流程代理 (工作委托): while a user is away, the steps that reach them reach the colleague they named too."""

import datetime as dt

import pytest

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.core.testing import client_for
from jiedao.workflow import proxies, services
from jiedao.workflow.choices import InstanceStatus, TaskStatus
from jiedao.workflow.models import TaskHistory, TaskProxy, WorkTask
from jiedao.workflow.tests.processes import complete, start_leave

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 9, 21)  # the `clock` fixture's day


def away(people, *, proxy=None, starts_on=MONDAY, days=5, hand_over_open=False):
    return proxies.proxy_set(
        actor=people.head,
        proxy=proxy or people.office1,
        starts_on=starts_on,
        ends_on=starts_on + dt.timedelta(days=days - 1),
        reason="年休假",
        hand_over_open=hand_over_open,
    )


def head_step(instance) -> WorkTask:
    return WorkTask.objects.get(instance=instance, element_id="head", status__in=("ready", "claimed"))


def test_the_proxy_handles_a_step_that_reaches_the_principal(leave, people, clock):
    away(people)
    instance = start_leave(people)
    task = head_step(instance)
    assert task.on_behalf_of == people.head
    assert set(task.candidates.values_list("username", flat=True)) == {"head", "head2", "office1"}

    web = client_for(people.office1)
    inbox = web.get("/workflow/inbox/").content.decode()
    assert 'data-testid="inbox-proxy"' in inbox and "代 李主任" in inbox
    page = web.get(f"/workflow/tasks/{task.pk}/").content.decode()
    assert "该待办原由 李主任 办理，您作为代理人可代为办理" in page
    # The principal's own inbox still lists it, without the 代 mark.
    assert "代 李主任" not in client_for(people.head).get("/workflow/inbox/").content.decode()

    complete(instance, "head", people.office1, {"outcome": "approve"})
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED and task.completed_by == people.office1
    assert instance.status == InstanceStatus.RUNNING and instance.current_step_names != "部门负责人审批"


def test_an_assigned_step_becomes_the_principals_and_the_proxys(leave, people, clock):
    """A step already claimed by the principal is handed over when the setting says so."""
    instance = start_leave(people)
    services.task_claim(actor=people.head, task=head_step(instance))
    away(people, hand_over_open=True)
    task = head_step(instance)
    assert task.assignee is None and task.status == TaskStatus.READY and task.on_behalf_of == people.head
    assert people.office1 in task.candidates.all() and people.head in task.candidates.all()
    note = TaskHistory.objects.get(task=task, opinion__startswith="流程代理")
    assert "李主任 委托 office1 代为办理（2026-09-21 至 2026-09-25）" in note.opinion
    complete(instance, "head", people.office1, {"outcome": "approve"})
    event = AuditEvent.objects.get(event_name="workflow.proxy.set")
    assert event.after["handed_over"] == 1


def test_outside_its_dates_or_once_cancelled_nothing_changes(leave, people, clock):
    later = away(people, starts_on=MONDAY + dt.timedelta(days=7))
    instance = start_leave(people)
    task = head_step(instance)
    assert task.on_behalf_of is None and people.office1 not in task.candidates.all()

    proxies.proxy_cancel(actor=people.head, setting=later)
    now = away(people)
    proxies.proxy_cancel(actor=people.head, setting=now)
    second = start_leave(people, applicant=people.applicant2)
    assert people.office1 not in head_step(second).candidates.all()
    with pytest.raises(ServiceError):
        proxies.proxy_cancel(actor=people.head, setting=now)
    assert AuditEvent.objects.filter(event_name="workflow.proxy.cancelled").count() == 2


def test_every_problem_is_reported_at_once(leave, people, clock):
    with pytest.raises(ValidationFailed) as caught:
        proxies.proxy_set(
            actor=people.head,
            proxy=people.head,
            starts_on=MONDAY - dt.timedelta(days=1),
            ends_on=MONDAY - dt.timedelta(days=2),
            reason=" ",
        )
    errors = caught.value.errors
    assert errors["proxy"] == ["不能委托给自己。"]
    assert errors["starts_on"] == ["开始日期不能早于今天。"]
    assert errors["ends_on"] == ["结束日期不能早于开始日期。"]
    assert errors["reason"] == ["请填写委托事由（如：休假、出差）。"]

    with pytest.raises(ValidationFailed) as caught:  # a user of another sub-district cannot see our processes
        away(people, proxy=people.outsider)
    assert "不能办理您所在组织的流程" in caught.value.errors["proxy"][0]
    with pytest.raises(ValidationFailed) as caught:
        away(people, days=91)
    assert "最长 90 天" in caught.value.errors["ends_on"][0]
    away(people)
    with pytest.raises(ValidationFailed) as caught:
        away(people, proxy=people.leader, starts_on=MONDAY + dt.timedelta(days=2))
    assert "时间重叠" in caught.value.errors["starts_on"][0]
    assert TaskProxy.objects.count() == 1


def test_the_page_sets_lists_and_cancels(leave, people, clock):
    web = client_for(people.head)
    page = web.get("/workflow/proxies/").content.decode()
    assert "尚未设置流程代理" in page and "office1" in page  # a colleague offered as proxy
    assert "outsider" not in page

    response = web.post(
        "/workflow/proxies/",
        {"proxy": people.office1.pk, "starts_on": "2026-09-21", "ends_on": "2026-09-30", "reason": ""},
    )
    assert response.status_code == 400 and "请填写委托事由" in response.content.decode()
    response = web.post(
        "/workflow/proxies/",
        {"proxy": people.office1.pk, "starts_on": "2026-09-21", "ends_on": "2026-09-30", "reason": "出差"},
        follow=True,
    )
    body = response.content.decode()
    assert "流程代理已设置" in body and "生效中" in body
    assert "李主任" in client_for(people.office1).get("/workflow/proxies/").content.decode()  # 委托我代理的

    setting = TaskProxy.objects.get()
    assert client_for(people.office1).post(f"/workflow/proxies/{setting.pk}/cancel/").status_code == 404
    response = web.post(f"/workflow/proxies/{setting.pk}/cancel/", follow=True)
    assert "流程代理已取消" in response.content.decode()
    setting.refresh_from_db()
    assert setting.cancelled_at is not None


def test_a_step_the_proxy_transfers_loses_the_proxy_mark(leave, people, clock):
    """The colleague a proxy hands the step to has it in their own right: no 代 李主任 in their inbox."""
    away(people)
    instance = start_leave(people)
    task = head_step(instance)
    services.task_claim(actor=people.office1, task=task)
    task.refresh_from_db()
    services.task_transfer(actor=people.office1, task=task, to_user="leader", reason="请陈书记处理")
    task.refresh_from_db()
    assert task.assignee == people.leader and task.on_behalf_of is None
    assert "代 李主任" not in client_for(people.leader).get("/workflow/inbox/").content.decode()
