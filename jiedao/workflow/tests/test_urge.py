"""催办: the initiator (or an administrator of the processes) reminds whoever holds the current step; the
holders see it in the inbox and by SMS, the history keeps it, and it cannot be repeated within two hours."""

import pytest

from jiedao.audit.models import AuditEvent
from jiedao.core.crypto import mask_phone
from jiedao.core.exceptions import Conflict, PermissionDenied, ServiceError
from jiedao.core.testing import api_client_for, client_for
from jiedao.sms.models import OutboundMessage
from jiedao.workflow import services
from jiedao.workflow.choices import HistoryAction
from jiedao.workflow.models import TaskHistory, WorkTask
from jiedao.workflow.tests.processes import complete, start_leave

pytestmark = pytest.mark.django_db


@pytest.fixture
def mobiles(people):
    for user, mobile in ((people.head, "13811110001"), (people.head2, "13811110002")):
        user.mobile = mobile
        user.save(update_fields=["mobile"])


def texts_to(mobile: str) -> list[str]:
    return list(
        OutboundMessage.objects.filter(phone_masked=mask_phone(mobile), purpose="workflow.urge").values_list(
            "body", flat=True
        )
    )


def test_initiator_urges_the_candidates_from_the_instance_page(leave, people, mobiles, clock):
    instance = start_leave(people)
    web = client_for(people.applicant)
    page = web.get(f"/workflow/instances/{instance.pk}/").content.decode()
    assert 'data-testid="urge"' in page

    response = web.post(f"/workflow/instances/{instance.pk}/urge/", {"note": "明天要出发"}, follow=True)
    assert "已催办：部门负责人审批。" in response.content.decode()
    # Both candidates of the unclaimed step are reminded by SMS, naming who urged and what.
    for mobile in ("13811110001", "13811110002"):
        [body] = texts_to(mobile)
        assert "张三 催办" in body and instance.title in body and "明天要出发" in body
    inbox = client_for(people.head).get("/workflow/inbox/").content.decode()
    assert 'data-testid="inbox-urged"' in inbox and "已催办" in inbox
    history = TaskHistory.objects.get(instance=instance, action=HistoryAction.URGE)
    assert history.actor == people.applicant and "明天要出发" in history.opinion
    assert AuditEvent.objects.filter(event_name="workflow.instance.urged", actor=people.applicant).exists()

    # Again within two hours: refused, nobody texted twice.
    response = web.post(f"/workflow/instances/{instance.pk}/urge/", follow=True)
    assert "2 小时内不能重复催办" in response.content.decode()
    assert len(texts_to("13811110001")) == 1

    clock.advance(hours=2, minutes=1)
    services.task_claim(actor=people.head, task=WorkTask.objects.get(instance=instance, element_id="head"))
    services.process_urge(actor=people.applicant, instance=instance)
    assert len(texts_to("13811110001")) == 2  # the claimant only, now that the step is theirs
    assert len(texts_to("13811110002")) == 1
    inbox = client_for(people.head).get("/workflow/inbox/").content.decode()
    assert "已催办 2 次" in inbox


def test_who_may_urge(leave, people, mobiles):
    instance = start_leave(people)
    assert not services.can_urge(instance, people.supervisor)
    with pytest.raises(PermissionDenied):
        services.process_urge(actor=people.supervisor, instance=instance)
    with pytest.raises(ServiceError):  # a user of another sub-district: outside the scope
        services.process_urge(actor=people.outsider, instance=instance)
    assert client_for(people.outsider).post(f"/workflow/instances/{instance.pk}/urge/").status_code == 404
    assert services.can_urge(instance, people.deployer)  # an administrator of the processes
    services.process_urge(actor=people.deployer, instance=instance)
    assert texts_to("13811110001")


def test_nothing_to_urge(leave, people, mobiles):
    instance = start_leave(people)
    complete(instance, "head", people.head, {"outcome": "approve"})
    # The leave is 2 days: back with the initiator for the back-to-work report, theirs to do.
    with pytest.raises(ServiceError) as caught:
        services.process_urge(actor=people.applicant, instance=instance)
    assert "无需催办" in str(caught.value.message)


def test_api_urge_and_its_refusals(leave, people, mobiles):
    instance = start_leave(people)
    api = api_client_for(people.applicant)
    response = api.post(f"/api/v1/process-instances/{instance.pk}/urge/", {"note": "请尽快"}, format="json")
    assert response.status_code == 200
    [task] = response.json()
    assert task["element_id"] == "head" and task["urge_count"] == 1 and task["urged_at"]
    again = api.post(f"/api/v1/process-instances/{instance.pk}/urge/", {}, format="json")
    assert again.status_code == 429 and "不能重复催办" in again.json()["detail"]
    services.process_revoke(actor=people.applicant, instance=instance)
    with pytest.raises(Conflict) as caught:
        services.process_urge(actor=people.applicant, instance=instance)
    assert "流程已结束，无需催办" in str(caught.value.message)
