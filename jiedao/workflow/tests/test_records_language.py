"""The history, titles and copies a process writes are in Chinese whatever the language of whoever acted:
an applicant using the English interface left English entries ("Withdrawn by the applicant…", a default
title in English) that the department head and every later reader saw."""

import datetime as dt
import json
import re

import pytest
from django.utils import translation
from django.utils.translation import gettext_noop

from jiedao.core.exceptions import Conflict
from jiedao.core.i18n import Message
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.workflow import proxies, services
from jiedao.workflow.choices import HistoryAction, InstanceStatus
from jiedao.workflow.models import CarbonCopy, ProcessInstance, TaskHistory
from jiedao.workflow.tests.processes import LEAVE, complete, start_leave, steps
from jiedao.workflow.tests.test_failed_instances import ADMIN_PERMS, fail_for_want_of_a_leader
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
    # The page, system-written entries included, is in the reader's language.
    page = web.get(f"/workflow/instances/{instance.pk}/", **EN).content.decode()
    assert "The applicant cancelled the request." in page and "申请人撤销了申请。" not in page
    assert "Withdrawn by the applicant; task cancelled." in page
    page = web.get(f"/workflow/instances/{instance.pk}/").content.decode()
    assert "申请人撤销了申请。" in page and "The applicant cancelled the request." not in page


def test_the_end_copy_to_the_initiator_is_chinese_when_the_last_approver_works_in_english(leave, people):
    instance = start_leave(people, days=1)
    task = instance.tasks.get(element_id="head")
    form = {"form_data": json.dumps({"outcome": "approve"}), "opinion": "同意", "version": task.version}
    response = client_for(people.head).post(f"/workflow/tasks/{task.pk}/complete/", form, **EN)
    assert response.status_code == 302, response.content.decode()[:2000]
    report = instance.tasks.get(element_id=steps(instance)[0])
    form = {"form_data": json.dumps({**REPORT, "actual_days": 1}), "version": report.version}
    response = client_for(people.applicant).post(f"/workflow/tasks/{report.pk}/complete/", form, **EN)
    assert response.status_code == 302, response.content.decode()[:2000]
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.COMPLETED

    notes = list(CarbonCopy.objects.filter(instance=instance).values_list("note", flat=True))
    assert notes and not [n for n in notes if ENGLISH_WORD.search(n)], notes


def test_system_entries_follow_the_reader_and_what_people_typed_stays_as_typed(leave, people, clock):
    """催办 with a note, 挂起 and 恢复 by an administrator, a step handed to a 流程代理: the history keeps
    Chinese text, and each reader sees the system's words in their own language around what people typed."""
    instance = start_leave(people)
    services.task_claim(actor=people.head, task=instance.tasks.get(element_id="head"))
    services.process_urge(actor=people.applicant, instance=instance, note="明天要出发")
    services.process_suspend(actor=people.deployer, instance=instance, reason="等待人事处核对假期")
    services.process_resume(actor=people.deployer, instance=instance)
    start = dt.date(2026, 9, 21)  # the `clock` fixture's day
    proxies.proxy_set(
        actor=people.head,
        proxy=people.office1,
        starts_on=start,
        ends_on=start + dt.timedelta(days=4),
        reason="年休假",
        hand_over_open=True,
    )
    opinions = list(TaskHistory.objects.filter(instance=instance).values_list("opinion", flat=True))
    assert "催办：部门负责人审批（明天要出发）" in opinions
    assert "流程挂起：等待人事处核对假期" in opinions and "流程恢复办理。" in opinions
    assert "流程代理：李主任 委托 office1 代为办理（2026-09-21 至 2026-09-25）。" in opinions

    url = f"/workflow/instances/{instance.pk}/"
    english = client_for(people.applicant).get(url, **EN).content.decode()
    assert "Urged: 部门负责人审批 (明天要出发)" in english
    assert "Process suspended: 等待人事处核对假期" in english and "Process resumed." in english
    assert "Process proxy: 李主任 has asked office1 to handle this (2026-09-21 to 2026-09-25)." in english
    assert "流程恢复办理。" not in english and "催办：" not in english
    chinese = client_for(people.applicant).get(url).content.decode()
    assert "催办：部门负责人审批（明天要出发）" in chinese and "流程挂起：等待人事处核对假期" in chinese
    assert "Process resumed." not in chinese


def test_the_api_gives_the_history_in_the_requests_language_beside_the_text_as_written(leave, people):
    instance = start_leave(people)
    services.process_suspend(actor=people.deployer, instance=instance, reason="等待人事处核对假期")
    api = api_client_for(people.applicant)
    [row] = [
        h
        for h in api.get(f"/api/v1/process-instances/{instance.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()[
            "history"
        ]
        if h["action"] == HistoryAction.AUTO
    ]
    assert row["opinion"] == "流程挂起：等待人事处核对假期"
    assert row["opinion_display"] == "Process suspended: 等待人事处核对假期"
    [start] = [
        h
        for h in api.get(f"/api/v1/process-instances/{instance.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()[
            "history"
        ]
        if h["action"] == HistoryAction.START
    ]
    assert start["step_display"] == "" and start["action_display"] == "发起"


def test_a_row_written_before_messages_were_kept_shows_its_text(leave, people):
    instance = start_leave(people)
    TaskHistory.objects.filter(instance=instance).update(opinion="旧记录的意见", opinion_message={})
    page = client_for(people.applicant).get(f"/workflow/instances/{instance.pk}/", **EN).content.decode()
    assert "旧记录的意见" in page


def test_the_copy_the_system_writes_follows_the_reader_and_a_typed_note_stays_as_typed(leave, people):
    instance = start_leave(people, days=5)
    complete(instance, "head", people.head, {"outcome": "approve"})
    services.process_copy(actor=people.head, instance=instance, recipients=["office1"], note="请办公室知悉")
    complete(instance, "leader", people.leader, {"outcome": "reject"})
    assert CarbonCopy.objects.get(instance=instance, recipient=people.applicant).note == "流程已办结：未批准"

    web = client_for(people.applicant)
    inbox = web.get("/workflow/inbox/?box=cc", **EN).content.decode()
    assert "The process has ended: 未批准" in inbox and "流程已办结" not in inbox
    page = web.get(f"/workflow/instances/{instance.pk}/", **EN).content.decode()
    assert "The process has ended: 未批准" in page and "请办公室知悉" in page
    assert "流程已办结：未批准" in web.get("/workflow/inbox/?box=cc").content.decode()
    rows = api_client_for(people.applicant).get(f"/api/v1/process-instances/{instance.pk}/", **EN).json()
    assert {row["note"]: row["note_display"] for row in rows["copies"]} == {
        "请办公室知悉": "请办公室知悉",
        "流程已办结：未批准": "The process has ended: 未批准",
    }


def test_a_suspension_the_hall_words_is_read_in_the_readers_language(leave, people):
    instance = start_leave(people)
    reason = Message(gettext_noop("办件中止办理：%(r)s"), r="等待现场核查")
    services.process_suspend(actor=people.deployer, instance=instance, reason=reason)
    instance.refresh_from_db()
    assert instance.hold_reason == "办件中止办理：等待现场核查"
    task = instance.tasks.get(element_id="head")
    with translation.override("en"), pytest.raises(Conflict) as refused:
        services.task_claim(actor=people.head, task=task)
    assert "(Application suspended: 等待现场核查)" in str(refused.value.message)
    with pytest.raises(Conflict) as refused:
        services.task_claim(actor=people.head, task=task)
    assert "流程已挂起（办件中止办理：等待现场核查）" in str(refused.value.message)

    services.process_resume(actor=people.deployer, instance=instance)
    services.process_suspend(actor=people.deployer, instance=instance, reason="等待人事处核对假期")
    with translation.override("en"), pytest.raises(Conflict) as refused:
        services.task_claim(actor=people.head, task=task)
    assert "(等待人事处核对假期)" in str(refused.value.message)  # typed: as typed


def test_a_failure_the_platform_words_is_read_in_the_administrators_language(people, clock):
    instance = fail_for_want_of_a_leader(people, clock)
    admin = make_user(people.tree.subdistrict_a, *ADMIN_PERMS)
    web = client_for(admin)
    url = f"/workflow/instances/{instance.pk}/"
    english = web.get(url, **EN).content.decode()
    assert "Nobody can handle the step" in english and "找不到办理人" not in english
    assert (
        "Nobody can handle the step" in web.get("/workflow/instances/?status=failed", **EN).content.decode()
    )
    assert "找不到办理人" in web.get(url).content.decode()
    answer = api_client_for(admin).get(f"/api/v1/process-instances/{instance.pk}/", **EN).json()
    assert "找不到办理人" in answer["error"] and answer["error_display"].startswith(
        "Nobody can handle the step"
    )

    ProcessInstance.objects.filter(pk=instance.pk).update(error_message={})  # as written before messages
    assert "找不到办理人" in web.get(url, **EN).content.decode()
