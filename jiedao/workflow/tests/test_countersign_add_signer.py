"""会签加签: a signer (or an administrator of the processes) asks one more colleague to sign; the countersign's
rule counts the new signer from then on, and their time limit runs from when they were added."""

import pytest

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import Conflict, PermissionDenied, ServiceError, ValidationFailed
from jiedao.core.testing import api_client_for, client_for
from jiedao.workflow import services
from jiedao.workflow.choices import HistoryAction, InstanceStatus
from jiedao.workflow.models import TaskHistory
from jiedao.workflow.tests.processes import complete, open_tasks, start_leave, steps, task_for
from jiedao.workflow.tests.test_running import APPROVE, REJECT, countersign

pytestmark = pytest.mark.django_db


def test_a_signer_adds_a_colleague_whose_vote_then_counts(people, clock):
    instance = countersign(people, "all")
    office1 = client_for(people.office1)
    task = task_for(instance, "sign", people.office1)
    page = office1.get(f"/workflow/tasks/{task.pk}/").content.decode()
    assert 'data-testid="add-signer-form"' in page

    clock.advance(days=1)
    response = office1.post(
        f"/workflow/tasks/{task.pk}/add_signer/",
        {"to_user": "leader", "reason": "涉及经费，请陈书记一同会签"},
    )
    assert response.status_code == 302
    assert "已加签：陈书记。" in office1.get(response["Location"]).content.decode()
    added = task_for(instance, "sign", people.leader)
    assert added.countersign == "all" and added.created_by == people.office1
    # The new signer's two working days run from when they were added (Tuesday), not from the step's start.
    assert added.due_at > task.due_at
    assert "班子成员会签" in client_for(people.leader).get("/workflow/inbox/").content.decode()
    entry = TaskHistory.objects.get(instance=instance, action=HistoryAction.ADD_SIGNER)
    assert entry.actor == people.office1 and entry.detail["to_name"] == "陈书记"
    assert AuditEvent.objects.filter(event_name="workflow.task.signer_added", actor=people.office1).exists()

    for signer in (people.office1, people.office2, people.office3):
        complete(instance, "sign", signer, APPROVE)
    # The leader has not signed yet.
    assert steps(instance) == ["sign"] and instance.status == InstanceStatus.RUNNING
    complete(instance, "sign", people.leader, APPROVE)
    assert instance.status == InstanceStatus.COMPLETED
    assert instance.data["sign_votes"]["leader"] == "approve"


def test_the_added_signer_can_tip_a_proportion(people):
    instance = countersign(people, "0.6")  # 2 of 3; with a fourth signer, 3 of 4
    services.task_add_signer(
        actor=people.office1,
        task=task_for(instance, "sign", people.office1),
        to_user="leader",
        reason="请会签",
    )
    complete(instance, "sign", people.office1, APPROVE)
    complete(instance, "sign", people.office2, APPROVE)
    assert instance.status == InstanceStatus.RUNNING  # 2 of 4 is not 60%
    complete(instance, "sign", people.leader, REJECT)
    complete(instance, "sign", people.office3, APPROVE)
    assert instance.status == InstanceStatus.COMPLETED and instance.data["outcome"] == "approve"


def test_who_may_add_whom(leave, people):
    instance = countersign(people, "all")
    task = task_for(instance, "sign", people.office1)

    def refused(to_user, actor=people.office1) -> str:
        with pytest.raises(ValidationFailed) as caught:
            services.task_add_signer(actor=actor, task=task, to_user=to_user, reason="请会签")
        return str(next(iter(caught.value.errors.values()))[0])

    assert refused("office2") == "该用户已是本会签的签署人。"
    assert "无权查看本流程" in refused("outsider")
    with pytest.raises(ValidationFailed):
        services.task_add_signer(actor=people.office1, task=task, to_user="leader", reason=" ")
    with pytest.raises(PermissionDenied):  # sees the instance, signs nothing, administers nothing
        services.task_add_signer(actor=people.supervisor, task=task, to_user="leader", reason="请会签")
    services.task_add_signer(actor=people.deployer, task=task, to_user="leader", reason="管理员加签")
    assert len(open_tasks(instance, "sign")) == 4

    leave_instance = start_leave(people)
    with pytest.raises(ServiceError) as caught:
        services.task_add_signer(
            actor=people.head,
            task=task_for(leave_instance, "head", people.head),
            to_user="leader",
            reason="x",
        )
    assert "只有会签环节可以加签" in str(caught.value.message)

    complete(instance, "sign", people.office2, REJECT)  # "all": one rejection decides
    with pytest.raises(Conflict):
        services.task_add_signer(actor=people.office1, task=task, to_user="head", reason="请会签")


def test_api_add_signer(people):
    instance = countersign(people, "all")
    task = task_for(instance, "sign", people.office1)
    api = api_client_for(people.office1)
    url = f"/api/v1/tasks/{task.pk}/add-signer/"
    response = api.post(url, {"to_user": "leader", "reason": "请会签"}, format="json")
    assert response.status_code == 201
    assert response.json()["assignee"]["username"] == "leader" and response.json()["name"] == "班子成员会签"
    again = api.post(url, {"to_user": "leader", "reason": "请会签"}, format="json")
    assert again.status_code == 400 and "已是本会签的签署人" in str(again.json())
    assert api.post(url, {"to_user": "nobody", "reason": "x"}, format="json").status_code == 400


def test_a_signer_who_has_signed_cannot_be_handed_another_row(people):
    instance = countersign(people, "all")
    complete(instance, "sign", people.office2, APPROVE)
    task = task_for(instance, "sign", people.office1)
    with pytest.raises(ValidationFailed) as caught:
        services.task_transfer(actor=people.office1, task=task, to_user="office2", reason="请代签")
    assert caught.value.errors["to_user"] == ["该用户已是本会签的签署人。"]
    with pytest.raises(ValidationFailed):
        services.task_add_signer(actor=people.office1, task=task, to_user="office2", reason="请再签")


def test_a_refused_add_signer_or_transfer_keeps_what_was_typed(people):
    """A name the service refuses sends the page back with the name and the reason as typed, in the form that
    was sent: the signer puts the name right without writing the reason again."""
    instance = countersign(people, "all")
    task = task_for(instance, "sign", people.office1)
    office1 = client_for(people.office1)
    response = office1.post(
        f"/workflow/tasks/{task.pk}/add_signer/", {"to_user": "陈局长", "reason": "涉及经费，请一同会签"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "该用户不存在或已停用。" in page
    assert 'aria-describedby="signer-help" value="陈局长"' in page
    assert (
        'id="signer-reason" name="reason" rows="2" required maxlength="2000">涉及经费，请一同会签</textarea>'
        in page
    )
    # the 转办 form keeps its own, empty box
    assert 'id="transfer-reason" name="reason" rows="2" required maxlength="2000"></textarea>' in page

    response = office1.post(f"/workflow/tasks/{task.pk}/transfer/", {"to_user": "nobody", "reason": "出差"})
    page = response.content.decode()
    assert 'aria-describedby="to-user-help" value="nobody"' in page
    assert 'id="transfer-reason" name="reason" rows="2" required maxlength="2000">出差</textarea>' in page
    assert 'aria-describedby="signer-help">' in page  # the 加签 form keeps its own, empty box


def test_the_suggestions_leave_out_who_signs_already(people):
    instance = countersign(people, "all")
    complete(instance, "sign", people.office2, APPROVE)
    task = task_for(instance, "sign", people.office1)
    page = client_for(people.office1).get(f"/workflow/tasks/{task.pk}/").content.decode()
    suggested = page.split('<datalist id="handover-choices"')[1].split("</datalist>")[0]
    assert 'value="leader"' in suggested
    # office2 has signed, office3 holds a row, office1 is the signer themselves
    assert not any(f'value="{name}"' in suggested for name in ("office1", "office2", "office3"))
