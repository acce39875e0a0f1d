"""What a person sends when starting a process is the start form's data, as when a step is completed: keys
the start form does not declare (variables a gateway reads) are dropped, not saved as process data."""

from jiedao.core.testing import api_client_for, client_for
from jiedao.workflow import services
from jiedao.workflow.models import ProcessInstance
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.processes import task_for


def test_the_api_keeps_only_the_start_forms_fields(people):
    processes.deploy(people, "countersign")
    response = api_client_for(people.leader).post(
        "/api/v1/process-instances/",
        {
            "definition_key": "countersign",
            "data": {"title": "年度预算", "content": "请会签", "sign_outcome": "approve", "foo": 1},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    instance = ProcessInstance.objects.get(pk=response.json()["id"])
    assert instance.data["title"] == "年度预算" and instance.data["content"] == "请会签"
    assert "sign_outcome" not in instance.data and "foo" not in instance.data
    assert "foo" not in response.json()["data"]


def test_without_a_start_form_nothing_sent_is_kept(leave, people):
    response = api_client_for(people.applicant).post(
        "/api/v1/process-instances/",
        {"definition_key": "leave", "data": {"days": 10, "outcome": "approve", "foo": "bar"}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    instance = ProcessInstance.objects.get(pk=response.json()["id"])
    assert not {"days", "outcome", "foo"} & set(instance.data)
    assert "10天" not in instance.title  # the automatic title was shaped by the seeded days before

    # The 发起 page sends the same way.
    web = client_for(people.applicant)
    web.post("/workflow/start/leave/", {"form_data": '{"days": 10, "outcome": "approve"}'})
    started = ProcessInstance.objects.filter(initiator=people.applicant).exclude(pk=instance.pk).get()
    assert not {"days", "outcome"} & set(started.data)
    # The leave's own application step still asks for the days.
    assert task_for(started, "apply", people.applicant)


def test_code_starting_a_process_still_passes_its_variables(leave, people):
    instance = services.process_start(
        actor=people.applicant, definition_key="leave", org=people.applicant.org, data={"days": 1}
    )
    assert instance.data["days"] == 1
