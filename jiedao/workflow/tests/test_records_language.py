"""The history, titles and copies a process writes are in Chinese whatever the language of whoever acted:
an applicant using the English interface left English entries ("Withdrawn by the applicant…", a default
title in English) that the department head and every later reader saw."""

import json
import re

from jiedao.core.testing import client_for
from jiedao.workflow.choices import InstanceStatus
from jiedao.workflow.models import CarbonCopy, ProcessInstance, TaskHistory
from jiedao.workflow.tests.processes import LEAVE, start_leave, steps
from jiedao.workflow.tests.test_running import REPORT

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ENGLISH_WORD = re.compile(r"[a-z]{3,}")


def test_acting_in_english_writes_a_chinese_history(leave, people):
    web = client_for(people.applicant)
    response = web.post("/workflow/start/leave/", {"form_data": "{}"}, **EN)
    assert response.status_code == 302
    instance = ProcessInstance.objects.get(initiator=people.applicant)
    apply = instance.tasks.get(element_id="apply")
    form = {"form_data": json.dumps({**LEAVE, "days": 2}), "version": apply.version}
    assert web.post(f"/workflow/tasks/{apply.pk}/complete/", form, **EN).status_code == 302
    instance.refresh_from_db()
    assert not ENGLISH_WORD.search(instance.title), instance.title  # the default title follows the form

    web.post(f"/workflow/instances/{instance.pk}/withdraw/", **EN)
    web.post(f"/workflow/instances/{instance.pk}/revoke/", **EN)

    instance.refresh_from_db()
    assert instance.status == InstanceStatus.CANCELLED
    opinions = list(TaskHistory.objects.filter(instance=instance).values_list("opinion", flat=True))
    assert "申请人撤回，任务取消。" in opinions and "申请人撤销了申请。" in opinions
    assert not [o for o in opinions if ENGLISH_WORD.search(o)], opinions
    # the page itself is in the reader's language
    page = web.get(f"/workflow/instances/{instance.pk}/", **EN).content.decode()
    assert "申请人撤销了申请。" in page and "Request cancelled." in page


def test_the_end_copy_to_the_initiator_is_chinese_when_the_last_approver_works_in_english(leave, people):
    instance = start_leave(people, days=1)
    task = instance.tasks.get(element_id="head")
    form = {"form_data": json.dumps({"outcome": "approve"}), "opinion": "同意", "version": task.version}
    response = client_for(people.head).post(f"/workflow/tasks/{task.pk}/complete/", form, **EN)
    assert response.status_code == 302, response.content.decode()[:2000]
    report = instance.tasks.get(element_id=steps(instance)[0])
    form = {"form_data": json.dumps(REPORT), "version": report.version}
    response = client_for(people.applicant).post(f"/workflow/tasks/{report.pk}/complete/", form, **EN)
    assert response.status_code == 302, response.content.decode()[:2000]
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.COMPLETED

    notes = list(CarbonCopy.objects.filter(instance=instance).values_list("note", flat=True))
    assert notes and not [n for n in notes if ENGLISH_WORD.search(n)], notes
