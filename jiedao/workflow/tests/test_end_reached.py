"""How a process ended: a refusal does not look like an approval."""

import re

from jiedao.core.testing import client_for
from jiedao.workflow.choices import InstanceStatus
from jiedao.workflow.models import CarbonCopy, ProcessInstance
from jiedao.workflow.tests.processes import LEAVE, complete, start_leave


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_refused_request_says_so_everywhere_and_the_initiator_is_told(leave, people):
    instance = start_leave(people, days=5)
    complete(instance, "head", people.head, {"outcome": "approve"})
    complete(instance, "leader", people.leader, {"outcome": "reject"})
    assert instance.status == InstanceStatus.COMPLETED and instance.end_name == "未批准"
    assert ProcessInstance.objects.filter(end_name="未批准").count() == 1  # queryable
    copy = CarbonCopy.objects.get(instance=instance, recipient=people.applicant)
    assert copy.note == "流程已办结：未批准" and copy.element_id == "end_rejected" and copy.read_at is None
    web = client_for(people.applicant)
    cc = text(web.get("/workflow/inbox/?box=cc").content.decode())
    assert "流程已办结：未批准" in cc and "未读" in cc
    detail = web.get(f"/workflow/instances/{instance.pk}/").content.decode()
    assert "已办结（未批准）" in detail
    started = text(web.get("/workflow/inbox/?box=started").content.decode())
    assert "已办结（未批准）" in started


def test_an_approved_request_names_its_own_end(leave, people):
    instance = start_leave(people, days=2)
    complete(instance, "head", people.head, {"outcome": "approve"})
    complete(instance, "report", people.applicant, {"back_date": "2026-10-14", "actual_days": 2})
    instance.refresh_from_db()
    assert instance.get_status_display() == "已办结（请假结束）"
    # the applicant's list (a leave request is 仅经办人可见: not in a supervisor's)
    listing = text(client_for(people.applicant).get("/workflow/instances/").content.decode())
    assert "已办结（请假结束）" in listing


def test_leave_requests_are_told_apart_by_their_dates(leave, people, clock):
    from jiedao.workflow import services

    first = start_leave(people, days=2)
    assert first.title == "请销假（张三，10月12日起2天）"
    second = services.process_start(actor=people.applicant, definition_key="leave", org=people.applicant.org)
    assert second.title == "请销假（张三，2026-09-21）"  # nothing filled in yet: the day it was started
    complete(second, "apply", people.applicant, {**LEAVE, "start_date": "2026-12-14", "days": 1.5})
    assert second.title == "请销假（张三，12月14日起1.5天）"
    typed = services.process_start(
        actor=people.applicant, definition_key="leave", org=people.applicant.org, title="年假"
    )
    complete(typed, "apply", people.applicant, LEAVE)
    assert typed.title == "年假"  # a title someone typed stays
