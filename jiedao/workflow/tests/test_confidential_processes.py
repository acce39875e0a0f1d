"""仅经办人可见: a leave request (请销假, a personnel matter with illness reasons) is read by those taking part in
it and the process administrators, not by everyone with the view permission over the sub-district. Ordinary
processes (a joint review, a service-hall application's) keep the scope's visibility."""

import pytest

from jiedao.accounts.models import User
from jiedao.core import demo as core_demo
from jiedao.core.testing import api_client_for, client_for
from jiedao.workflow import bpmn, demo, services
from jiedao.workflow.models import ProcessDefinition, ProcessInstance


@pytest.fixture
def world(db):
    core_demo.load()
    demo.load()
    users = {u.username: u for u in User.objects.filter(username__in=USERNAMES)}
    shequ = users["shequ"]
    leave = ProcessInstance.objects.get(definition__key="leave", initiator=shequ)
    # a sick leave, what the tester read as `window`
    task = leave.tasks.get(element_id="head")
    leave.data = {**leave.data, "leave_type": "sick", "reason": "感冒发烧"}
    leave.save(update_fields=["data"])
    joint = ProcessInstance.objects.get(definition__key="joint_review")
    return users, leave, task, joint


USERNAMES = ("shequ", "approver", "window", "supervisor", "office", "leader")


def test_the_shipped_leave_process_is_confidential_and_the_business_processes_are_not(world):
    confidential = dict(ProcessDefinition.objects.values_list("key", "confidential").distinct())
    assert confidential["leave"] is True
    assert not any(flag for key, flag in confidential.items() if key != "leave")
    xml, _forms = demo.shipped("leave")
    assert bpmn.declares_confidential(xml)


@pytest.mark.parametrize("username", ["window", "supervisor"])
def test_a_clerk_with_the_view_permission_not_involved_does_not_read_the_leave_request(world, username):
    users, leave, task, joint = world
    user = users[username]
    web, api = client_for(user), api_client_for(user)

    assert web.get(f"/workflow/instances/{leave.pk}/").status_code == 404
    assert api.get(f"/api/v1/process-instances/{leave.pk}/").status_code == 404
    listed = web.get("/workflow/instances/").content.decode()
    assert leave.title not in listed and "感冒发烧" not in listed
    api_ids = [row["id"] for row in api.get("/api/v1/process-instances/?limit=200").json()["results"]]
    assert leave.pk not in api_ids
    # nor through its step (the supervisor holds view_worktask over the sub-district)
    assert web.get(f"/workflow/tasks/{task.pk}/").status_code == 404
    assert api.get(f"/api/v1/tasks/{task.pk}/").status_code == 404

    # a business process keeps today's visibility
    assert web.get(f"/workflow/instances/{joint.pk}/").status_code == 200
    assert joint.pk in api_ids


@pytest.mark.parametrize("username", ["shequ", "approver", "office"])
def test_the_initiator_the_approver_and_the_process_administrator_read_it(world, username):
    """shequ started it, approver holds its step, office is the sub-district's 流程管理员."""
    users, leave, _task, _joint = world
    user = users[username]
    web, api = client_for(user), api_client_for(user)

    page = web.get(f"/workflow/instances/{leave.pk}/")
    assert page.status_code == 200 and "感冒发烧" in page.content.decode()
    assert api.get(f"/api/v1/process-instances/{leave.pk}/").json()["data"]["reason"] == "感冒发烧"
    if username == "office":  # in the administrator's list of the sub-district's instances
        assert leave.title in web.get("/workflow/instances/").content.decode()


def test_a_copy_or_a_later_step_opens_it_to_the_people_it_reaches(world):
    users, leave, task, _joint = world
    leader, supervisor = users["leader"], users["supervisor"]
    assert client_for(leader).get(f"/workflow/instances/{leave.pk}/").status_code == 404

    # four days go to the sub-district leader after the head agrees
    services.task_complete(actor=users["approver"], task=task, form_data={"outcome": "approve"})
    assert client_for(leader).get(f"/workflow/instances/{leave.pk}/").status_code == 200

    services.process_copy(actor=users["office"], instance=leave, recipients=["supervisor"], note="请阅")
    assert client_for(supervisor).get(f"/workflow/instances/{leave.pk}/").status_code == 200
