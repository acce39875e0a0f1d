"""抄送 (传阅) by hand: whoever takes part in an instance brings it to colleagues' attention; they find it under
抄送, it is marked read when they open it, and they may leave a 阅知意见 that joins the history."""

import pytest

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import PermissionDenied, ServiceError, ValidationFailed
from jiedao.core.testing import api_client_for, client_for
from jiedao.workflow import services
from jiedao.workflow.choices import HistoryAction
from jiedao.workflow.models import CarbonCopy, TaskHistory
from jiedao.workflow.tests.processes import complete, start_leave

pytestmark = pytest.mark.django_db


def copy_form_on(page: str) -> bool:
    return 'data-testid="copy-form"' in page


def test_a_handler_copies_colleagues_who_read_it_and_comment(leave, people):
    instance = start_leave(people)
    head = client_for(people.head)  # a candidate of the open step
    page = head.get(f"/workflow/instances/{instance.pk}/").content.decode()
    assert copy_form_on(page)
    assert 'value="office1"' in page and 'value="outsider"' not in page  # only those who may see it

    response = head.post(
        f"/workflow/instances/{instance.pk}/copy/",
        {"recipients": ["office1", "supervisor"], "note": "请办公室知悉"},
        follow=True,
    )
    assert "已抄送：office1、supervisor。" in response.content.decode()
    entry = TaskHistory.objects.get(instance=instance, action=HistoryAction.COPY)
    assert entry.actor == people.head and entry.opinion == "请办公室知悉"
    assert entry.detail["to_name"] == "office1、supervisor"
    assert AuditEvent.objects.filter(event_name="workflow.copy.sent", actor=people.head).exists()

    office = client_for(people.office1)
    inbox = office.get("/workflow/inbox/?box=cc").content.decode()
    assert instance.title in inbox
    page = office.get(f"/workflow/instances/{instance.pk}/").content.decode()
    assert 'data-testid="copy-comment-form"' in page and "李主任 抄送给您，请阅知" in page
    assert not copy_form_on(page)  # office1 takes no part in the leave: may read, not circulate it further
    assert CarbonCopy.objects.get(instance=instance, recipient=people.office1).read_at is not None
    assert AuditEvent.objects.filter(event_name="workflow.copy.read", actor=people.office1).count() == 1
    office.get(f"/workflow/instances/{instance.pk}/")  # opened again: nothing more to record
    assert AuditEvent.objects.filter(event_name="workflow.copy.read", actor=people.office1).count() == 1

    response = office.post(
        f"/workflow/instances/{instance.pk}/copy-comment/", {"comment": "已阅，请按规定销假"}
    )
    assert response.status_code == 302
    seen_by_initiator = (
        client_for(people.applicant).get(f"/workflow/instances/{instance.pk}/").content.decode()
    )
    assert "已阅，请按规定销假" in seen_by_initiator
    assert "未读" in seen_by_initiator  # the supervisor has not opened it yet
    read = TaskHistory.objects.get(instance=instance, action=HistoryAction.READ)
    assert read.actor == people.office1 and read.opinion == "已阅，请按规定销假"

    again = office.post(
        f"/workflow/instances/{instance.pk}/copy-comment/", {"comment": "再说一次"}, follow=True
    )
    assert "您已填写过阅知意见。" in again.content.decode()  # no copy left without a comment
    assert TaskHistory.objects.filter(instance=instance, action=HistoryAction.READ).count() == 1


def test_who_may_copy_and_to_whom(leave, people):
    instance = start_leave(people)
    # The supervisor sees the instance but takes no part in it.
    assert not services.can_copy(instance, people.supervisor)
    with pytest.raises(PermissionDenied):
        services.process_copy(actor=people.supervisor, instance=instance, recipients=["office1"])
    page = client_for(people.supervisor).get(f"/workflow/instances/{instance.pk}/").content.decode()
    assert not copy_form_on(page)
    assert (
        client_for(people.outsider)
        .post(f"/workflow/instances/{instance.pk}/copy/", {"recipients": ["office1"]})
        .status_code
        == 404
    )

    def refused(recipients) -> list[str]:
        with pytest.raises(ValidationFailed) as caught:
            services.process_copy(actor=people.applicant, instance=instance, recipients=recipients)
        return [str(message) for message in caught.value.errors["recipients"]]

    assert refused([]) == ["请选择抄送对象。"]
    assert refused(["outsider"]) == ["outsider 无权查看本流程（不在其管辖范围内），不能抄送给他。"]
    assert refused(["applicant"]) == ["不能抄送给自己。"]
    assert refused(["nobody"]) == ["用户“nobody”不存在或已停用。"]
    assert refused([f"user{n}" for n in range(21)]) == ["一次最多抄送 20 人。"]
    assert not CarbonCopy.objects.filter(instance=instance).exists()

    # The initiator, a past handler and an administrator may; an unread copy is not sent twice.
    services.process_copy(actor=people.applicant, instance=instance, recipients=["office1"])
    with pytest.raises(ServiceError) as caught:
        services.process_copy(actor=people.applicant, instance=instance, recipients=["office1"])
    assert "尚未阅读，无需重复抄送" in str(caught.value.message)
    complete(instance, "head", people.head, {"outcome": "approve"})
    [second] = services.process_copy(actor=people.head, instance=instance, recipients=["office1", "office2"])
    assert second.recipient == people.office2  # office1 still has the unread one
    assert services.can_copy(instance, people.deployer)


def test_api_copy_and_read(leave, people):
    instance = start_leave(people)
    api = api_client_for(people.applicant)
    url = f"/api/v1/process-instances/{instance.pk}/"
    response = api.post(url + "copy/", {"recipients": ["office1"], "note": "供参考"}, format="json")
    assert response.status_code == 201
    [copy] = response.json()
    assert copy["recipient"]["username"] == "office1" and copy["note"] == "供参考" and copy["read_at"] is None

    bad = api.post(url + "copy/", {"recipients": ["outsider"]}, format="json")
    assert bad.status_code == 400 and "无权查看本流程" in str(bad.json())

    office = api_client_for(people.office1)
    assert office.post(url + "read/", {"comment": ""}, format="json").status_code == 400
    read = office.post(url + "read/", {"comment": "收到"}, format="json")
    assert read.status_code == 200 and read.json()["comment"] == "收到" and read.json()["read_at"]
    twice = office.post(url + "read/", {"comment": "收到了"}, format="json")
    assert twice.status_code == 409 and "已填写过" in twice.json()["detail"]
    assert api_client_for(people.head).post(url + "read/", {"comment": "x"}, format="json").status_code == 409
    assert (
        api_client_for(people.outsider).post(url + "copy/", {"recipients": []}, format="json").status_code
        == 404
    )

    detail = api.get(url).json()
    assert [(c["recipient"]["username"], c["comment"]) for c in detail["copies"]] == [("office1", "收到")]
    assert [h["action"] for h in detail["history"]][-2:] == ["copy", "read"]


def test_the_choices_leave_out_who_has_an_unread_copy(leave, people):
    instance = start_leave(people)
    services.process_copy(actor=people.applicant, instance=instance, recipients=["office1"])
    page = client_for(people.applicant).get(f"/workflow/instances/{instance.pk}/").content.decode()
    assert 'value="office1"' not in page and 'value="office2"' in page


def test_colleagues_are_copied_by_their_names_as_typed(leave, people):
    instance = start_leave(people)
    # "李主任" is the head's full name and "head" their username: the same person once.
    [copy] = services.process_copy(actor=people.applicant, instance=instance, recipients=["李主任", "head"])
    assert copy.recipient == people.head
