"""A process that handles a business record (jiedao:businessOnly, as the service hall's are) is not offered on
发起流程 and cannot be started without its record: an applicant's 低保 review started from the start page
or the API ran with no application behind it."""

import pytest

from jiedao.core.exceptions import ServiceError
from jiedao.core.testing import api_client_for, client_for
from jiedao.workflow import services
from jiedao.workflow.models import ProcessInstance
from jiedao.workflow.tests import processes


def hall_process(business_only: bool = True) -> tuple[str, dict]:
    """The leave process under another key, marked as the service hall's processes are."""
    xml, forms = processes.shipped("leave")
    marker = ' jiedao:businessOnly="true"' if business_only else ""
    xml = xml.replace(
        '<bpmn:process id="leave" name="请销假" isExecutable="true" jiedao:confidential="true">',
        f'<bpmn:process id="hall_review" name="办件审批" isExecutable="true"{marker}>',
    ).replace('bpmnElement="leave"', 'bpmnElement="hall_review"')
    return xml, forms


@pytest.fixture
def service_review(people):
    xml, forms = hall_process()
    return processes.deploy(people, "hall_review", xml=xml, forms=forms)


def test_the_start_page_does_not_offer_it_and_the_inbox_filter_still_does(leave, service_review, people):
    client = client_for(people.applicant)
    start = client.get("/workflow/start/").content.decode()
    assert "请销假" in start and service_review.name not in start
    inbox = client.get("/workflow/inbox/").content.decode()
    assert '<option value="hall_review"' in inbox


def test_starting_it_without_a_record_is_refused_everywhere(leave, service_review, people):
    page = client_for(people.applicant).post("/workflow/start/hall_review/", {"form_data": "{}"})
    assert "由办件发起：请通过网上办事大厅或窗口受理办件，不能直接发起。" in page.content.decode()
    response = api_client_for(people.applicant).post(
        "/api/v1/process-instances/", {"definition_key": "hall_review", "data": {}}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "business_only"
    assert (
        response.json()["detail"]
        == f"「{service_review.name}」由办件发起：请通过网上办事大厅或窗口受理办件，不能直接发起。"
    )
    with pytest.raises(ServiceError):
        services.process_start(
            actor=people.applicant, definition_key="hall_review", org=people.applicant.org, data={}
        )
    assert not ProcessInstance.objects.filter(definition__key="hall_review").exists()


def test_the_shipped_hall_processes_are_marked_and_a_new_version_can_unmark(service_review, people):
    for name in ("dibao", "service_review", "enterprise_review"):
        assert 'jiedao:businessOnly="true"' in processes.shipped(name)[0]
    xml, forms = hall_process(business_only=False)
    processes.deploy(people, "hall_review", xml=xml, forms=forms)
    assert "hall_review" in {d.key for d in services.startable_definitions(people.applicant.org)}
