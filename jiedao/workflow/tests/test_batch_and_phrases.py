"""批量审批 in the 待办 list and 常用意见 next to the opinion box."""

import re

import pytest
from django.test import Client

from jiedao.core.testing import api_client_for, client_for
from jiedao.workflow import opinions, services
from jiedao.workflow.choices import HistoryAction, TaskStatus
from jiedao.workflow.models import OpinionPhrase, TaskHistory, WorkTask
from jiedao.workflow.tests.processes import start_leave, steps, task_for

pytestmark = pytest.mark.django_db


def ticks(task: WorkTask) -> str:
    return f"{task.pk}:{task.version}"


def three_requests(people):
    instances = [start_leave(people, days=d) for d in (1, 2, 3)]
    return instances, [task_for(i, "head", people.head) for i in instances]


def test_the_head_approves_several_leave_requests_at_once(leave, people, clock):
    instances, tasks = three_requests(people)
    web = client_for(people.head)
    inbox = web.get("/workflow/inbox/").content.decode()
    assert inbox.count('data-testid="batch-pick"') == 3 and 'data-testid="batch-form"' in inbox
    for task in tasks:
        assert f'value="{ticks(task)}"' in inbox

    page = web.post(
        "/workflow/inbox/batch-complete/",
        {"task": [ticks(t) for t in tasks], "outcome": "approve", "opinion": "同意，注意工作交接。"},
    ).content.decode()
    assert "已办理 3 件，未办理 0 件。" in page
    for instance in instances:
        assert instance.title in page
        instance.refresh_from_db()
        assert steps(instance) == ["report"]  # 3 days and less: straight on to 销假
        record = TaskHistory.objects.get(instance=instance, action=HistoryAction.COMPLETE, actor=people.head)
        assert (record.outcome, record.opinion) == ("approve", "同意，注意工作交接。")
    assert 'data-testid="batch-pick"' not in web.get("/workflow/inbox/").content.decode()


def test_one_decided_or_returned_meanwhile_is_refused_and_the_others_are_done(leave, people, clock):
    instances, tasks = three_requests(people)
    seen = [ticks(t) for t in tasks]  # the head's list, before the colleague acts
    services.task_complete(actor=people.head2, task=tasks[1], form_data={"outcome": "approve"})
    services.task_return(actor=people.head2, task=tasks[2], reason="请补充事由")

    page = client_for(people.head).post(
        "/workflow/inbox/batch-complete/", {"task": seen, "outcome": "reject", "opinion": "不同意。"}
    )
    text = page.content.decode()
    assert "已办理 1 件，未办理 2 件。" in text
    assert "该任务已由 head2 办理。" in text
    assert "该任务已由 head2 退回到「填写请假申请」。" in text
    # The refused ones keep what the colleague did; the first is rejected as asked.
    assert WorkTask.objects.get(pk=tasks[1].pk).completed_by == people.head2
    assert WorkTask.objects.get(pk=tasks[2].pk).outcome == "return"
    assert steps(instances[2]) == ["apply"]
    instances[0].refresh_from_db()
    assert instances[0].end_name and not steps(instances[0])
    assert not TaskHistory.objects.filter(instance__in=instances[1:], actor=people.head).exists()


def test_a_step_with_required_fields_is_not_offered_nor_done(leave, people, clock):
    instance = start_leave(people)
    services.task_complete(
        actor=people.head, task=task_for(instance, "head", people.head), form_data={"outcome": "approve"}
    )
    report = task_for(instance, "report", people.applicant)
    web = client_for(people.applicant)
    inbox = web.get("/workflow/inbox/").content.decode()
    row = re.search(r"<tr>\s*<td[^>]*>(.*?)</td>", inbox.split("<tbody>")[1], re.S).group(1)
    assert "需逐件办理：表单有必填项" in row and "checkbox" not in row
    assert 'data-testid="batch-form"' not in inbox

    page = web.post(
        "/workflow/inbox/batch-complete/", {"task": [ticks(report)], "outcome": "approve"}
    ).content.decode()
    assert "需逐件办理：表单有必填项" in page and "已办理 0 件，未办理 1 件。" in page
    report.refresh_from_db()
    assert report.status in (TaskStatus.READY, TaskStatus.CLAIMED) and steps(instance) == ["report"]


def test_another_users_task_is_refused_as_unknown(leave, people, clock):
    _instances, tasks = three_requests(people)
    page = client_for(people.outsider).post(
        "/workflow/inbox/batch-complete/", {"task": [ticks(tasks[0])], "outcome": "approve"}
    )
    assert "未找到该待办，或该待办不是您的。" in page.content.decode()
    assert tasks[0].instance.title not in page.content.decode()  # nothing told about someone else's step
    assert WorkTask.objects.get(pk=tasks[0].pk).status == TaskStatus.READY

    api = api_client_for(people.outsider).post(
        "/api/v1/tasks/batch-complete/",
        {"tasks": [{"id": tasks[0].pk, "version": tasks[0].version}], "outcome": "approve"},
        format="json",
    )
    assert api.status_code == 200
    assert api.json()["results"] == [
        {
            "id": tasks[0].pk,
            "title": "",
            "step": "",
            "done": False,
            "detail": "未找到该待办，或该待办不是您的。",
        }
    ]
    assert WorkTask.objects.get(pk=tasks[0].pk).status == TaskStatus.READY


def test_the_page_needs_the_csrf_token(leave, people, clock):
    _instances, tasks = three_requests(people)
    web = Client(enforce_csrf_checks=True)
    web.force_login(people.head, backend="jiedao.accounts.backends.RoleBackend")
    session = web.session
    session["second_factor_done"] = True
    session.save()
    refused = web.post("/workflow/inbox/batch-complete/", {"task": [ticks(tasks[0])], "outcome": "approve"})
    assert refused.status_code == 403
    assert WorkTask.objects.get(pk=tasks[0].pk).status == TaskStatus.READY


def test_the_api_batch_and_its_limits(leave, people, clock):
    instances, tasks = three_requests(people)
    api = api_client_for(people.head)
    todo = api.get("/api/v1/tasks/", {"box": "todo"}).json()["results"]
    picked = [{"id": item["id"], "version": item["version"]} for item in todo]
    stale = {"id": tasks[0].pk, "version": tasks[0].version - 1 if tasks[0].version > 1 else 99}

    too_many = api.post(
        "/api/v1/tasks/batch-complete/", {"tasks": [stale] * 51, "outcome": "approve"}, format="json"
    )
    assert too_many.status_code == 400
    assert "一次最多批量审批 50 件" in str(too_many.json())
    wrong = api.post("/api/v1/tasks/batch-complete/", {"tasks": picked, "outcome": "maybe"}, format="json")
    assert wrong.status_code == 400 and "办理结果应为同意或不同意。" in str(wrong.json())
    assert all(steps(i) == ["head"] for i in instances)

    stale_only = api.post(
        "/api/v1/tasks/batch-complete/", {"tasks": [stale], "outcome": "approve"}, format="json"
    )
    assert stale_only.json()["results"][0]["detail"] == "该任务已被他人处理或修改，请刷新后重试。"
    done = api.post(
        "/api/v1/tasks/batch-complete/",
        {"tasks": picked, "outcome": "approve", "opinion": "同意。"},
        format="json",
    )
    assert done.status_code == 200 and (done.json()["done"], done.json()["refused"]) == (3, 0)
    assert all(steps(i) == ["report"] for i in instances)


def phrase_texts(user) -> list[str]:
    return [p.text for p in opinions.phrases_for(user)]


def test_common_opinions_are_kept_ordered_and_limited(people):
    web = client_for(people.head)
    page = web.get("/workflow/opinions/").content.decode()
    assert "拟同意，请领导审批。" in page  # the platform's defaults to start with
    defaults = phrase_texts(people.head)

    assert web.post("/workflow/opinions/", {"text": "  情况属实，\n请街道审定。 "}).status_code == 302
    assert phrase_texts(people.head) == [*defaults, "情况属实， 请街道审定。"]
    added = OpinionPhrase.objects.get(user=people.head, text="情况属实， 请街道审定。")
    web.post(f"/workflow/opinions/{added.pk}/up/")
    assert phrase_texts(people.head)[-2:] == ["情况属实， 请街道审定。", defaults[-1]]
    first = OpinionPhrase.objects.get(user=people.head, text=defaults[0])
    web.post(f"/workflow/opinions/{first.pk}/delete/")
    assert defaults[0] not in phrase_texts(people.head)

    too_long = web.post("/workflow/opinions/", {"text": "同" * 201})
    assert too_long.status_code == 400
    assert "常用意见不能超过 200 个字（现有 201 个字）。" in too_long.content.decode()
    twice = web.post("/workflow/opinions/", {"text": "情况属实， 请街道审定。"})
    assert "已在列表中" in twice.content.decode()
    for n in range(30 - len(phrase_texts(people.head))):
        opinions.phrase_add(actor=people.head, text=f"意见{n}")
    full = web.post("/workflow/opinions/", {"text": "第三十一条"})
    assert "常用意见最多 30 条，请先删除不再使用的。" in full.content.decode()
    assert len(phrase_texts(people.head)) == 30

    # Another user's phrase is not theirs to delete, and their own list is untouched.
    assert client_for(people.head2).post(f"/workflow/opinions/{added.pk}/delete/").status_code == 404
    assert OpinionPhrase.objects.filter(pk=added.pk).exists()


def test_the_task_page_offers_the_phrases_and_uses_the_chosen_one(leave, people, clock):
    opinions.phrase_add(actor=people.head, text="情况属实，同意请假。")
    instance = start_leave(people)
    task = task_for(instance, "head", people.head)
    web = client_for(people.head)
    page = web.get(f"/workflow/tasks/{task.pk}/").content.decode()
    assert '<label class="input-group-text" for="opinion-phrase">常用意见</label>' in page
    assert '<option value="情况属实，同意请假。">情况属实，同意请假。</option>' in page
    # Without scripts the chosen phrase is the opinion when the box is left empty.
    web.post(
        f"/workflow/tasks/{task.pk}/complete/",
        {
            "form_data": '{"outcome": "approve"}',
            "version": task.version,
            "opinion": "",
            "phrase": "情况属实，同意请假。",
        },
    )
    record = TaskHistory.objects.get(instance=instance, action=HistoryAction.COMPLETE, actor=people.head)
    assert record.opinion == "情况属实，同意请假。"
