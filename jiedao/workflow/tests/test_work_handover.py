"""工作交接: when a staff member leaves (停用) or moves post (调岗), the administrator names a successor and the
open work — process steps, first inquiries, proxy settings — moves to them, recorded."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiedao.accounts import services as accounts
from jiedao.accounts.choices import AdminDuty
from jiedao.accounts.models import User
from jiedao.applications.choices import InquiryStatus
from jiedao.applications.models import AgencyAssignment, Inquiry, InquiryHandOver
from jiedao.audit.models import AuditEvent
from jiedao.core.crypto import mask_phone
from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.core.scope import DataScope
from jiedao.core.testing import client_for, make_user
from jiedao.parameters.services import parameter_set
from jiedao.sms.models import OutboundMessage
from jiedao.workflow import proxies, services
from jiedao.workflow.choices import HistoryAction, InstanceStatus, TaskStatus
from jiedao.workflow.models import TaskHistory, TaskProxy
from jiedao.workflow.tests.conftest import role
from jiedao.workflow.tests.processes import complete, start_leave, task_for

pytestmark = pytest.mark.django_db

INQUIRY_PERMS = ("applications.view_inquiry", "applications.change_inquiry")


@pytest.fixture
def sysadmin(people):
    return make_user(
        people.tree.district,
        "accounts.view_user",
        "accounts.change_user",
        username="sysadmin",
        admin_duty=AdminDuty.SYSTEM,
    )


@pytest.fixture
def claimed(leave, people, clock):
    """A leave request whose 部门负责人审批 李主任 (head) has claimed."""
    instance = start_leave(people)
    services.task_claim(actor=people.head, task=task_for(instance, "head", people.head))
    return instance


def inquiry_of(people, owner) -> Inquiry:
    return Inquiry.objects.create(
        org=people.tree.subdistrict_a,
        created_by=owner,
        owner=owner,
        visitor_name="王大妈",
        question="老年证怎么办？",
    )


def test_the_successor_finds_the_steps_in_their_inbox_and_completes_them(claimed, people, sysadmin):
    office1 = people.office1
    done = accounts.user_handover(actor=sysadmin, from_user=people.head, to_user=office1, reason="调岗")
    assert done.moved == {"workflow.tasks": 1} and done.left == []

    task = task_for(claimed, "head")
    assert task.assignee == office1 and task.status == TaskStatus.CLAIMED
    inbox = client_for(office1).get("/workflow/inbox/").content.decode()
    assert claimed.title in inbox
    complete(claimed, "head", office1, {"outcome": "approve"})
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED and task.completed_by == office1
    assert claimed.status == InstanceStatus.RUNNING

    row = TaskHistory.objects.get(task=task, action=HistoryAction.TRANSFER)
    assert row.actor == sysadmin
    assert row.opinion == "工作交接：李主任 的待办交由 office1 办理（调岗）。"
    page = client_for(office1).get(f"/workflow/instances/{claimed.pk}/").content.decode()
    assert "工作交接：李主任 的待办交由 office1 办理（调岗）。" in page

    event = AuditEvent.objects.get(event_name="accounts.user.handed_over")
    assert event.actor == sysadmin and event.after["successor"] == "office1"
    tasks_event = AuditEvent.objects.get(event_name="workflow.task.handed_over")
    assert tasks_event.after["tasks"] == [task.pk] and tasks_event.message == "调岗"
    # 调岗: the account stays active.
    people.head.refresh_from_db()
    assert people.head.is_active


def test_an_unclaimed_candidate_slot_goes_to_the_successor(leave, people, sysadmin, clock):
    instance = start_leave(people)
    accounts.user_handover(actor=sysadmin, from_user=people.head, to_user=people.office1, reason="调岗")
    task = task_for(instance, "head")
    assert set(task.candidates.values_list("username", flat=True)) == {"head2", "office1"}
    complete(instance, "head", people.office1, {"outcome": "approve"})


def test_a_step_the_successor_cannot_see_is_reported_and_left(leave, people, sysadmin, clock):
    near = start_leave(people)  # community A1
    far = start_leave(people, applicant=people.applicant2)  # community A2
    for instance in (near, far):
        services.task_claim(actor=people.head, task=task_for(instance, "head", people.head))
    far_task = task_for(far, "head", people.head)
    # A community worker of A1 sees only A1's processes.
    local = make_user(
        people.tree.community_a1, "workflow.view_processinstance", scope=DataScope.NODE, username="local"
    )

    done = accounts.user_handover(actor=sysadmin, from_user=people.head, to_user=local, reason="调岗")

    assert done.moved == {"workflow.tasks": 1}
    assert [(item.label, item.reason) for item in done.left] == [
        (f"待办任务 #{far_task.pk}（部门负责人审批）", "接替人不能查看该流程（不在其管辖范围内）。")
    ]
    assert "applicant2" not in done.left[0].label  # the instance's title (the applicant) is not shown
    assert task_for(near, "head").assignee == local
    assert task_for(far, "head").assignee == people.head
    assert AuditEvent.objects.get(event_name="workflow.task.handed_over").after["tasks_left"] == [
        task_for(far, "head").pk
    ]


def test_the_leavers_open_inquiry_becomes_the_successors(people, sysadmin):
    role("office-staff", *INQUIRY_PERMS)
    owned = inquiry_of(people, people.head)
    waiting = inquiry_of(people, people.head2)
    handed = InquiryHandOver.objects.create(inquiry=waiting, from_user=people.head2, to_user=people.head)
    waiting.status = InquiryStatus.HANDED_OVER
    waiting.save()

    done = accounts.user_handover(
        actor=sysadmin, from_user=people.head, to_user=people.office1, reason="调岗"
    )

    assert done.moved == {"applications.inquiries": 2}
    owned.refresh_from_db()
    assert owned.owner == people.office1
    record = owned.handovers.get()
    assert record.from_user == people.head and record.to_user == people.office1
    assert record.acknowledged_at is not None and record.note == "工作交接：调岗"
    handed.refresh_from_db()
    assert handed.to_user == people.office1  # the successor acknowledges it now
    assert AuditEvent.objects.get(event_name="applications.inquiry.work_handed_over").after[
        "records"
    ] == sorted([owned.pk, waiting.pk])


def test_deactivating_with_open_work_and_no_successor_is_refused(claimed, people, sysadmin):
    inquiry_of(people, people.head)
    with pytest.raises(ServiceError) as refused:
        accounts.user_deactivate(actor=sysadmin, user=people.head)
    assert refused.value.code == "open_work"
    assert "流程待办 1 项" in str(refused.value.message) and "首问登记 1 项" in str(refused.value.message)
    people.head.refresh_from_db()
    assert people.head.is_active

    web = client_for(sysadmin)
    page = web.get(f"/accounts/users/{people.head.pk}/deactivate/").content.decode()
    assert 'data-testid="open-work"' in page and "流程待办" in page and "首问登记" in page
    answer = web.post(f"/accounts/users/{people.head.pk}/deactivate/", {"reason": "离职"})
    assert "须指定接替人，交接后才能停用" in answer.content.decode()
    people.head.refresh_from_db()
    assert people.head.is_active
    # Unticking 启用 on the edit page is refused the same way.
    edit = web.post(
        f"/accounts/users/{people.head.pk}/edit/",
        {"username": "head", "full_name": "李主任", "org": people.tree.subdistrict_a.pk},
    )
    assert "须指定接替人，交接后才能停用" in edit.content.decode()
    people.head.refresh_from_db()
    assert people.head.is_active


def test_deactivating_with_a_successor_hands_over_and_ends_the_proxies(claimed, people, sysadmin, clock):
    setting = proxies.proxy_set(
        actor=people.head2,
        proxy=people.head,
        starts_on=dt.date(2026, 9, 21),
        ends_on=dt.date(2026, 9, 25),
        reason="年休假",
    )
    web = client_for(sysadmin)
    answer = web.post(
        f"/accounts/users/{people.head.pk}/deactivate/",
        {"successor": people.office1.pk, "reason": "离职"},
        follow=True,
    )
    text = answer.content.decode()
    assert "已将 1 项工作交接给 office1" in text and "已取消 1 项以其为委托人或代理人的流程代理设置" in text
    people.head.refresh_from_db()
    assert not people.head.is_active
    assert task_for(claimed, "head").assignee == people.office1
    assert TaskProxy.objects.get(pk=setting.pk).cancelled_at is not None
    assert AuditEvent.objects.filter(event_name="accounts.user.deactivated").get().after == {
        "successor": "office1"
    }


def test_deactivation_is_refused_whole_when_something_cannot_go(claimed, people, sysadmin):
    far = start_leave(people, applicant=people.applicant2)
    services.task_claim(actor=people.head, task=task_for(far, "head", people.head))
    local = make_user(
        people.tree.community_a1, "workflow.view_processinstance", scope=DataScope.NODE, username="local"
    )
    with pytest.raises(ValidationFailed) as refused:
        accounts.user_deactivate(actor=sysadmin, user=people.head, successor=local, reason="离职")
    assert "以下工作不能交给" in refused.value.errors["successor"][0]
    people.head.refresh_from_db()
    assert people.head.is_active
    assert task_for(claimed, "head").assignee == people.head  # nothing moved


def test_the_successor_must_be_business_staff(claimed, people, sysadmin):
    with pytest.raises(ValidationFailed) as refused:
        accounts.user_handover(actor=sysadmin, from_user=people.head, to_user=sysadmin, reason="调岗")
    assert "successor" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        accounts.user_handover(actor=sysadmin, from_user=people.head, to_user=people.office1, reason=" ")
    assert refused.value.errors["reason"] == ["请填写交接原因（如：离职、调岗）。"]


def test_the_handover_page_and_the_api(claimed, people, sysadmin):
    web = client_for(sysadmin)
    page = web.get(f"/accounts/users/{people.head.pk}/handover/").content.decode()
    assert "流程待办" in page and "office1" in page
    answer = web.post(
        f"/api/v1/users/{people.head.pk}/handover/",
        {"successor": people.office1.pk, "reason": "调岗"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"moved": {"workflow.tasks": 1}, "left": [], "ended": {}, "deactivated": False}
    refused = web.post(
        f"/api/v1/users/{people.office1.pk}/handover/",
        {"deactivate": True},
        content_type="application/json",
    )
    assert refused.status_code == 400 and refused.json()["code"] == "open_work"


def test_the_successor_is_texted_of_the_steps_now_waiting_for_them(
    claimed, people, sysadmin, django_capture_on_commit_callbacks
):
    params = make_user(people.tree.district, "parameters.manage_systemparameter", username="paramadmin")
    parameter_set(actor=params, key="sms.quiet_start", raw_value="0")
    parameter_set(actor=params, key="sms.quiet_end", raw_value="0")
    people.leader.mobile = "13811110003"
    people.leader.save(update_fields=["mobile"])
    with django_capture_on_commit_callbacks(execute=True):
        accounts.user_handover(actor=sysadmin, from_user=people.head, to_user=people.leader, reason="调岗")
    [message] = OutboundMessage.objects.filter(
        phone_masked=mask_phone("13811110003"), purpose="workflow.new_task"
    )
    assert "部门负责人审批" in message.body and claimed.title in message.body


def test_the_statements_do_not_grow_with_the_steps(leave, people, sysadmin, clock):
    """Bulk writes: handing over three steps reads and writes as much as handing over one."""

    def statements(count: int, leaver, successor) -> int:
        for _n in range(count):
            instance = start_leave(people)
            services.task_claim(actor=leaver, task=task_for(instance, "head", leaver))
        actor = User.objects.get(pk=sysadmin.pk)  # as a request reads it, its roles not yet known
        with CaptureQueriesContext(connection) as queries:
            accounts.user_handover(actor=actor, from_user=leaver, to_user=successor, reason="调岗")
        return len(queries)

    one = statements(1, people.head, people.office1)
    assert statements(3, people.head2, people.office2) == one


def test_the_leavers_enterprise_agency_goes_to_a_successor_who_sees_its_applications(people, sysadmin):
    role("office-staff", "applications.view_application")
    assignment = AgencyAssignment.objects.create(
        org=people.tree.subdistrict_a,
        agent=people.head,
        enterprise_name="甲街道某某科技有限公司",
        enterprise_uscc="91110105MA00000000",
        project_name="新建厂房",
    )
    kept = accounts.user_handover(actor=sysadmin, from_user=people.head, to_user=people.head2, reason="调岗")
    assert kept.moved == {} and [item.label for item in kept.left] == [f"代办服务 #{assignment.pk}"]

    done = accounts.user_handover(
        actor=sysadmin, from_user=people.head, to_user=people.office1, reason="调岗"
    )
    assert done.moved == {"applications.agency": 1} and done.left == []
    assignment.refresh_from_db()
    assert assignment.agent == people.office1


def test_a_successor_limited_to_own_records_takes_no_inquiry_of_another_node(people, sysadmin):
    """A role limited to one's own records reaches no other node's inquiries: handed them, the successor
    would own — and see — a visitor's name and question outside their node."""
    own_only = role("own-inquiries", *INQUIRY_PERMS, scope=DataScope.OWN)
    elsewhere = make_user(people.tree.subdistrict_b, username="elsewhere")
    elsewhere.roles.add(own_only)
    owned = inquiry_of(people, people.head)  # at sub-district A

    done = accounts.user_handover(actor=sysadmin, from_user=people.head, to_user=elsewhere, reason="调岗")

    assert done.moved.get("applications.inquiries", 0) == 0 and done.left
    owned.refresh_from_db()
    assert owned.owner == people.head


def test_the_edit_page_moves_no_one_to_another_org_with_open_work_and_deactivates_as_the_button_does(
    claimed, people, sysadmin
):
    web = client_for(sysadmin)
    moved = web.post(
        f"/accounts/users/{people.head.pk}/edit/",
        {"username": "head", "full_name": "李主任", "org": people.tree.community_a1.pk, "is_active": "on"},
    )
    assert "须先通过“工作交接”交给接替人，才能调整所属组织" in moved.content.decode()
    people.head.refresh_from_db()
    assert people.head.org == people.tree.subdistrict_a

    # With nothing open (the step handed on), unticking 启用 deactivates as the 停用 page does.
    accounts.user_handover(actor=sysadmin, from_user=people.head, to_user=people.head2, reason="调岗")
    token = accounts.issue_token(user=people.head)
    web.post(
        f"/accounts/users/{people.head.pk}/edit/",
        {"username": "head", "full_name": "李主任", "org": people.tree.subdistrict_a.pk},
    )
    people.head.refresh_from_db()
    assert not people.head.is_active
    assert AuditEvent.objects.filter(
        event_name="accounts.user.deactivated", target_id=str(people.head.pk)
    ).exists()
    assert not type(token).objects.filter(pk=token.pk).exists()  # its API token revoked
