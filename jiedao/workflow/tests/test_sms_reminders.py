"""待办短信提醒: a step reaching someone texts them; a step turning yellow or red texts its holder once; a
holder who switched reminders off, or a system with them off, sends nothing; night-time reminders wait."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiedao.core.crypto import mask_phone
from jiedao.core.testing import client_for, make_user
from jiedao.parameters.services import parameter_set
from jiedao.sms.models import OutboundMessage
from jiedao.sms.services import after_quiet_hours
from jiedao.timelimits.choices import ClockStatus
from jiedao.timelimits.models import Clock
from jiedao.timelimits.services import sweep_clocks
from jiedao.timelimits.signals import clock_status_changed
from jiedao.workcalendar.services import CHINA_TZ
from jiedao.workflow import reminders, services
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.conftest import role
from jiedao.workflow.tests.processes import complete, start_leave, task_for

pytestmark = pytest.mark.django_db

MOBILES = {"head": "13811110001", "head2": "13811110002", "leader": "13811110003", "applicant": "13811110004"}


@pytest.fixture
def admin(tree):
    return make_user(tree.district, "parameters.manage_systemparameter", username="paramadmin")


@pytest.fixture
def texting(people, admin):
    for name, mobile in MOBILES.items():
        user = getattr(people, name)
        user.mobile = mobile
        user.save(update_fields=["mobile"])
    # No quiet hours unless a test sets them: the suite runs at any time of day.
    parameter_set(actor=admin, key="sms.quiet_start", raw_value="0")
    parameter_set(actor=admin, key="sms.quiet_end", raw_value="0")


def texts(name: str, purpose: str) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(phone_masked=mask_phone(MOBILES[name]), purpose=purpose))


def test_a_new_step_texts_its_candidates_and_a_transfer_texts_the_new_handler(
    leave, people, texting, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        instance = start_leave(people)
    # 部门负责人审批 is offered to both approvers; the applicant, whose own action made it, gets nothing.
    for name in ("head", "head2"):
        [message] = texts(name, "workflow.new_task")
        assert "您有新的待办" in message.body and instance.title in message.body
        assert "部门负责人审批" in message.body and "前办理" in message.body  # its three working days
        # The due date carries its year (a January date texted in December is not ambiguous).
        assert re.search(r"请于 \d{4}年\d{1,2}月\d{1,2}日\d{2}:\d{2} 前办理", message.body)
    assert not texts("applicant", "workflow.new_task")

    task = task_for(instance, "head", people.head)
    services.task_claim(actor=people.head, task=task)
    task.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.task_transfer(actor=people.head, task=task, to_user="leader", reason="出差")
    assert len(texts("leader", "workflow.new_task")) == 1


def test_switched_off_by_the_holder_or_by_the_system(
    leave, people, admin, texting, django_capture_on_commit_callbacks
):
    head = client_for(people.head)
    page = head.get("/accounts/settings/").content.decode()
    assert (
        "138****0001" in page and 'name="task_sms" id="id_task_sms" class="form-check-input" checked' in page
    )
    head.post("/accounts/settings/", {})  # the box unticked
    people.head.refresh_from_db()
    assert people.head.task_sms is False
    with django_capture_on_commit_callbacks(execute=True):
        start_leave(people)
    assert not texts("head", "workflow.new_task") and len(texts("head2", "workflow.new_task")) == 1

    parameter_set(actor=admin, key="workflow.sms_new_task", raw_value=False)
    with django_capture_on_commit_callbacks(execute=True):
        start_leave(people, applicant=people.applicant2)
    assert len(texts("head2", "workflow.new_task")) == 1


def test_a_large_candidate_group_is_left_to_the_inbox(
    leave, people, texting, django_capture_on_commit_callbacks
):
    approver = role("approver")
    for n in range(10):  # with head and head2: twelve approvers
        make_user(people.tree.subdistrict_a, username=f"approver{n}").roles.add(approver)
    with django_capture_on_commit_callbacks(execute=True):
        start_leave(people)
    assert not texts("head", "workflow.new_task")


def test_yellow_and_red_text_the_holder_once_each(leave, people, texting, django_capture_on_commit_callbacks):
    instance = start_leave(people)
    task = task_for(instance, "head", people.head)
    services.task_claim(actor=people.head, task=task)
    task.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        sweep_clocks(task.clock.yellow_at + dt.timedelta(minutes=1))
    [yellow] = texts("head", "workflow.yellow")
    assert "待办即将到期" in yellow.body and "部门负责人审批" in yellow.body
    assert not texts("head2", "workflow.yellow")  # the step is the claimant's now
    with django_capture_on_commit_callbacks(execute=True):
        sweep_clocks(task.clock.due_at + dt.timedelta(minutes=1))
        sweep_clocks(task.clock.due_at + dt.timedelta(hours=1))
    [red] = texts("head", "workflow.red")
    assert "待办已超期" in red.body

    # A step done before its deadline is not chased.
    complete(instance, "head", people.head, {"outcome": "approve"})
    assert len(texts("head", "workflow.red")) == 1


def test_reminders_written_at_night_wait_for_the_morning(
    leave, people, admin, texting, django_capture_on_commit_callbacks
):
    beijing = timezone.now().astimezone(CHINA_TZ)
    # Quiet hours that hold now: from this hour to the next.
    parameter_set(actor=admin, key="sms.quiet_start", raw_value=str(beijing.hour))
    parameter_set(actor=admin, key="sms.quiet_end", raw_value=str((beijing.hour + 1) % 24))
    with django_capture_on_commit_callbacks(execute=True):
        start_leave(people)
    [message] = texts("head", "workflow.new_task")
    expected = (beijing + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    assert message.next_attempt_at == expected and message.status == "queued"


def test_quiet_hours_across_midnight(people, admin):
    parameter_set(actor=admin, key="sms.quiet_start", raw_value="22")
    parameter_set(actor=admin, key="sms.quiet_end", raw_value="8")

    def at(day, hour, minute=0):
        return dt.datetime(2026, 12, day, hour, minute, tzinfo=CHINA_TZ)

    assert after_quiet_hours(at(7, 21, 59)) == at(7, 21, 59)
    assert after_quiet_hours(at(7, 22, 0)) == at(8, 8)
    assert after_quiet_hours(at(8, 3, 30)) == at(8, 8)
    assert after_quiet_hours(at(8, 8, 0)) == at(8, 8)


def test_a_step_the_holder_made_themselves_is_still_chased_when_late(
    people, texting, django_capture_on_commit_callbacks
):
    """Not texted when it appears (their own action made it), but texted when it turns yellow: the leave
    process with a one-working-day limit on filling in the request."""
    xml, forms = processes.shipped("leave")
    xml = xml.replace(
        'camunda:formKey="leave_apply">', 'camunda:formKey="leave_apply" jiedao:dueWorkingDays="1">'
    )
    processes.deploy(people, "leave", xml=xml, forms=forms)
    with django_capture_on_commit_callbacks(execute=True):
        instance = services.process_start(
            actor=people.applicant, definition_key="leave", org=people.applicant.org, data={}
        )
    apply = task_for(instance, "apply", people.applicant)
    assert not texts("applicant", "workflow.new_task")
    assert apply.created_by == people.applicant and apply.clock_id
    with django_capture_on_commit_callbacks(execute=True):
        sweep_clocks(apply.clock.yellow_at + dt.timedelta(minutes=1))
    assert len(texts("applicant", "workflow.yellow")) == 1


def _yellow_steps(people, count: int) -> list:
    """`count` leave requests waiting at 部门负责人审批, offered to head and head2; their clocks."""
    instances = [start_leave(people) for _ in range(count)]
    return [task_for(instance, "head", people.head).clock for instance in instances]


def test_a_sweep_texts_each_holder_with_a_number_once(
    leave, people, texting, django_capture_on_commit_callbacks
):
    """A sweep turning many steps yellow texts every holder who can take a text, one per step, and the same
    signal coming again texts nobody twice; a number that cannot take a text leaves that holder to the inbox
    and the others are still texted."""
    approver = role("approver")
    make_user(people.tree.subdistrict_a, username="nomobile").roles.add(approver)
    landline = make_user(people.tree.subdistrict_a, username="landline")
    landline.mobile = "010-12345678"
    landline.save(update_fields=["mobile"])
    landline.roles.add(approver)
    people.head2.task_sms = False
    people.head2.save(update_fields=["task_sms"])
    clocks = _yellow_steps(people, 4)
    with django_capture_on_commit_callbacks(execute=True):
        sweep_clocks(clocks[-1].yellow_at + dt.timedelta(minutes=1))
    yellow = texts("head", "workflow.yellow")
    assert len(yellow) == 4 and all("待办即将到期" in message.body for message in yellow)
    assert not texts("head2", "workflow.yellow")  # reminders switched off
    assert OutboundMessage.objects.filter(purpose="workflow.yellow").count() == 4

    with django_capture_on_commit_callbacks(execute=True):
        clock_status_changed.send(
            sender=Clock, kind="workflow.task", status=ClockStatus.YELLOW, clock_ids=[c.pk for c in clocks]
        )
    assert OutboundMessage.objects.filter(purpose="workflow.yellow").count() == 4


def test_the_queries_of_a_sweeps_texts_do_not_grow_with_its_steps(leave, people, texting):
    clocks = _yellow_steps(people, 7)

    def queries(batch) -> int:
        with CaptureQueriesContext(connection) as captured:
            reminders.text_due_tasks(
                sender=Clock, kind="workflow.task", status=ClockStatus.YELLOW, clock_ids=[c.pk for c in batch]
            )
        return len(captured)

    queries([])  # the system parameters read once into their cache
    few = queries(clocks[:2])
    assert OutboundMessage.objects.filter(purpose="workflow.yellow").count() == 4  # head and head2 each
    assert queries(clocks[2:]) == few
    assert OutboundMessage.objects.filter(purpose="workflow.yellow").count() == 14
    again = queries(clocks)  # all of them queued already: looked up, nothing written
    assert again < few
    assert OutboundMessage.objects.filter(purpose="workflow.yellow").count() == 14
