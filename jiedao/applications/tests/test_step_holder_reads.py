"""入户核实: a community worker holds a step of a sub-district's application. The step's holder (and, once it is
done, whoever handled it) opens the application and its materials to read, never to act on; colleagues with
no step on it, and other communities, still do not see it."""

from __future__ import annotations

import pytest

from jiedao.applications.choices import ApplicationStatus
from jiedao.applications.models import Application
from jiedao.applications.tests.factories import CLERK_PERMISSIONS, make_item, walk_in
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.workflow import services as workflow
from jiedao.workflow.choices import TaskStatus
from jiedao.workflow.models import WorkTask
from jiedao.workflow.tests.builder import Bpmn
from jiedao.workflow.tests.conftest import START_PERMS, role

pytestmark = pytest.mark.django_db


@pytest.fixture
def verifier_role():
    return role("verifier", *START_PERMS)


@pytest.fixture
def visitor(tree, verifier_role):
    """The community worker who verifies at home; also a window clerk of the community (accept, conclude…)."""
    return make_user(tree.community_a1, *CLERK_PERMISSIONS, username="shequ", roles=[verifier_role])


@pytest.fixture
def application(tree, visitor):
    starter = make_user(tree.subdistrict_a, *START_PERMS, "workflow.add_processdefinition")
    xml = Bpmn("verify", "入户核实").start().user("visit", "入户核实", groups="role:verifier").end()
    xml = xml.chain("start", "visit", "end").xml()
    workflow.definition_deploy_xml(actor=starter, org=tree.subdistrict_a, bpmn_xml=xml, forms={})
    window = make_user(tree.subdistrict_a, *CLERK_PERMISSIONS, username="window")
    found = walk_in(window, make_item(tree.subdistrict_a, name="最低生活保障"), name="张三明")
    workflow.process_start(
        actor=starter, definition_key="verify", org=tree.community_a1, business_object=found
    )
    return found


def _task(application) -> WorkTask:
    return WorkTask.objects.get(instance__object_id=str(application.pk))


def _opens(user, application) -> dict[str, int]:
    material = application.materials.get()
    page = f"/hall/staff/applications/{application.pk}/"
    api = f"/api/v1/applications/{application.pk}/"
    client, api_client = client_for(user), api_client_for(user)
    return {
        "page": client.get(page).status_code,
        "material": client.get(f"{page}materials/{material.pk}/").status_code,
        "api": api_client.get(api).status_code,
        "api_materials": api_client.get(f"{api}materials/").status_code,
    }


OPEN = {"page": 200, "material": 200, "api": 200, "api_materials": 200}
REFUSED = {"page": 404, "material": 404, "api": 404, "api_materials": 404}


def test_the_step_links_to_the_application_its_holder_opens_read_only(visitor, application):
    task = _task(application)
    assert list(task.candidates.all()) == [visitor]
    client = client_for(visitor)
    step = client.get(f"/workflow/tasks/{task.pk}/").content.decode()
    section = step.split('data-testid="task-application"')[1].split("</section>")[0]
    material = application.materials.get()
    assert f'href="/hall/staff/applications/{application.pk}/"' in section and "查看办件详情" in section
    assert f"/hall/staff/applications/{application.pk}/materials/{material.pk}/" in section

    assert _opens(visitor, application) == OPEN
    page = client.get(f"/hall/staff/applications/{application.pk}/").content.decode()
    assert application.tracking_code in page and "张三明" in page
    assert application.applicant_id_masked in page and application.applicant_id_number not in page
    assert 'data-testid="read-only"' in page and "不能在此对办件进行操作" in page
    # a clerk of the community, but not of this application: none of the window's forms
    assert f'action="/hall/staff/applications/{application.pk}/' not in page
    body = api_client_for(visitor).get(f"/api/v1/applications/{application.pk}/").json()
    assert body["tracking_code"] == application.tracking_code
    assert body["applicant_id_masked"] == application.applicant_id_masked
    assert application.applicant_id_number not in str(body)


def test_the_application_stays_open_to_whoever_handled_the_step(visitor, application):
    task = _task(application)
    workflow.task_claim(actor=visitor, task=task)
    assert _opens(visitor, application) == OPEN
    workflow.task_complete(actor=visitor, task=_task(application), form_data={})
    assert _task(application).status == TaskStatus.COMPLETED  # in their 已办, the process ended
    assert _opens(visitor, application) == OPEN


def test_a_colleague_of_the_same_community_without_the_step_is_refused(tree, visitor, application):
    colleague = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    assert _opens(colleague, application) == REFUSED
    task = _task(application)
    assert client_for(colleague).get(f"/workflow/tasks/{task.pk}/").status_code == 404


@pytest.fixture
def candidate(tree, verifier_role):
    """A second verifier of the community, offered the step with the visitor (requested before `application`)."""
    return make_user(tree.community_a1, *CLERK_PERMISSIONS, roles=[verifier_role])


def test_a_candidate_reads_it_while_the_step_is_offered_and_not_once_a_colleague_took_it(
    candidate, visitor, application
):
    task = _task(application)
    assert set(task.candidates.all()) == {visitor, candidate}
    assert _opens(candidate, application) == OPEN
    workflow.task_claim(actor=visitor, task=task)  # gone from the candidate's 待办
    assert _opens(candidate, application) == REFUSED


def test_another_communitys_worker_is_refused(tree, verifier_role, application):
    other = make_user(tree.community_a2, *CLERK_PERMISSIONS, roles=[verifier_role])
    assert _opens(other, application) == REFUSED


def test_the_step_holder_cannot_act_on_the_application(visitor, application):
    base = f"/hall/staff/applications/{application.pk}"
    client = client_for(visitor)
    assert client.post(f"{base}/accept/", {"seen_status": "submitted"}).status_code == 404
    assert client.post(f"{base}/reject/", {"seen_status": "submitted", "reason": "不符合"}).status_code == 404
    api = api_client_for(visitor)
    assert api.post(f"/api/v1/applications/{application.pk}/accept/", {}, format="json").status_code == 404
    response = api.post(f"/api/v1/applications/{application.pk}/reject/", {"reason": "不符合"}, format="json")
    assert response.status_code == 404
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED and application.accepted_at is None


def test_the_list_stays_the_offices_register(visitor, application):
    """The application is reached from the step, not listed among the community's own."""
    listed = api_client_for(visitor).get("/api/v1/applications/").json()
    assert application.tracking_code not in str(listed)
    assert (
        application.tracking_code not in client_for(visitor).get("/hall/staff/applications/").content.decode()
    )


def test_reading_takes_one_query_once_the_roles_are_known(visitor, application, django_assert_num_queries):
    from jiedao.core.scope import scope_for

    scope_for(visitor, "applications.view_application")
    with django_assert_num_queries(1):
        assert Application.objects.readable_by(visitor).filter(pk=application.pk).exists()
