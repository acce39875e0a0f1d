"""催办 is offered only when someone other than the one urging holds the current step: the same recipients
the action would remind."""

from jiedao.core.testing import client_for
from jiedao.workflow import services
from jiedao.workflow.tests.processes import start_leave, task_for


def test_no_urge_box_while_the_request_is_back_in_the_applicants_hands(leave, people):
    instance = start_leave(people)
    web = client_for(people.applicant)
    assert services.can_urge(instance, people.applicant)
    assert 'data-testid="urge"' in web.get(f"/workflow/instances/{instance.pk}/").content.decode()

    services.task_return(
        actor=people.head, task=task_for(instance, "head", people.head), reason="请补充证明材料"
    )
    instance.refresh_from_db()
    assert not services.can_urge(instance, people.applicant)
    assert 'data-testid="urge"' not in web.get(f"/workflow/instances/{instance.pk}/").content.decode()
    # An administrator of the processes may still urge the applicant to resubmit.
    assert services.can_urge(instance, people.deployer)
