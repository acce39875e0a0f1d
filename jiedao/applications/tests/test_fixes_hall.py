"""Issue #5 audit fixes of the service hall: impersonation by identity number, the process waiting while
its application does, the rectification owner of a process-concluded application, deemed acceptance from
receipt, extension by request and approval, rating twice, the staff pickers and tracking's 429."""

from __future__ import annotations

import datetime as dt

import pytest

from jiedao.applications import processing, services
from jiedao.applications.choices import ApplicationStatus, EventAction, Outcome
from jiedao.applications.models import Application, ExtensionStatus, Rectification
from jiedao.applications.tests import factories
from jiedao.applications.tests import test_processing as dibao
from jiedao.applications.tests.factories import (
    CLERK_PERMISSIONS,
    local,
    make_item,
    make_resident,
    rate_by_link,
    walk_in,
)
from jiedao.applications.views import SESSION_KEY
from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import PermissionDenied, ServiceError, ValidationFailed
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.registry.tests import factories as people
from jiedao.timelimits.services import clock_for
from jiedao.workflow import services as workflow
from jiedao.workflow.choices import InstanceStatus, TaskStatus
from jiedao.workflow.models import WorkTask

pytestmark = pytest.mark.django_db

# The 低保 case of test_processing: its fixtures and helpers.
clock, hall = dibao.clock, dibao.hall
_complete, _open, _verified_and_reviewed = dibao._complete, dibao._open, dibao._verified_and_reviewed

LEADER_PERMISSIONS = ("applications.view_application", "applications.approve_extension")


@pytest.fixture
def clerk(tree):
    return make_user(tree.community_a1, *CLERK_PERMISSIONS, "applications.extend_application")


@pytest.fixture
def registered(tree):
    """刘志刚, in the registry of 甲一社区."""
    return people.person(people.staff(tree.community_a1), tree.grid_a1, name="刘志刚")


# --- 1. impersonation by identity number --------------------------------------------------------------------


class TestIdentity:
    def test_a_number_registered_under_another_name_is_refused(self, registered):
        resident = make_resident(verified=False)
        with pytest.raises(ValidationFailed) as caught:
            services.resident_verify_identity(
                resident=resident, real_name="冒名者", id_number=registered.id_number
            )
        assert caught.value.code == "identity_mismatch"
        message = str(caught.value.message)
        assert "不一致" in message and "刘" not in message and "志刚" not in message
        resident.refresh_from_db()
        assert not resident.is_verified and resident.person_id is None and not resident.id_number_hash
        assert AuditEvent.objects.filter(event_name="applications.resident.verify_refused").exists()

    def test_the_registered_name_links_the_person(self, registered):
        resident = make_resident(verified=False)
        services.resident_verify_identity(
            resident=resident, real_name="刘志刚", id_number=registered.id_number
        )
        assert resident.is_verified and resident.person_id == registered.pk

    def test_a_number_not_in_the_registry_verifies_unlinked(self):
        resident = make_resident(verified=False)
        number = people.new_id_number(dt.date(1991, 2, 3))
        services.resident_verify_identity(resident=resident, real_name="新居民", id_number=number)
        assert resident.is_verified and resident.person_id is None

    def test_the_process_never_finds_the_applicant_by_number_alone(self, tree, registered):
        """An account verified before the fix under another name (or a window application typed wrong)."""
        resident = make_resident(verified=False)
        resident.real_name, resident.id_number = "冒名者", registered.id_number
        resident.id_number_hash, resident.verified_at = registered.id_number_hash, dt.datetime.now(dt.UTC)
        resident.save()
        application = factories.submit(resident, make_item(tree.community_a1))
        assert processing.applicant_person(application) is None
        assert processing.process_data(application)["applicant_person_id"] is None

    def test_the_linked_person_or_number_and_name_find_the_applicant(self, tree, clerk, registered):
        resident = make_resident(verified=False)
        services.resident_verify_identity(
            resident=resident, real_name="刘志刚", id_number=registered.id_number
        )
        online = factories.submit(resident, make_item(tree.community_a1))
        assert processing.applicant_person(online) == registered
        window = services.application_register_walk_in(
            actor=clerk,
            item=make_item(tree.community_a1),
            applicant_name="刘志刚",
            applicant_id_number=registered.id_number,
            applicant_phone="13800138000",
            uploads=factories.uploads(),
        )
        assert processing.applicant_person(window) == registered

    def test_a_walk_in_under_someone_elses_number_is_refused(self, tree, clerk, registered):
        with pytest.raises(ValidationFailed) as caught:
            services.application_register_walk_in(
                actor=clerk,
                item=make_item(tree.community_a1),
                applicant_name="冒名者",
                applicant_id_number=registered.id_number,
                applicant_phone="13800138000",
                uploads=factories.uploads(),
            )
        assert "不一致" in caught.value.errors["applicant_name"][0]
        assert "刘志刚" not in str(caught.value.errors)
        assert not Application.objects.exists()

    def test_repeated_guessing_is_limited(self, registered):
        resident = make_resident(verified=False)
        for _ in range(services.VERIFY_PER_DAY):
            with pytest.raises(ValidationFailed):
                services.resident_verify_identity(
                    resident=resident, real_name="猜名字", id_number=registered.id_number
                )
        with pytest.raises(services.RateLimited):
            services.resident_verify_identity(
                resident=resident, real_name="刘志刚", id_number=registered.id_number
            )
        resident.refresh_from_db()
        assert not resident.is_verified


# --- 2. the process waits while the application does --------------------------------------------------------


class TestProcessWaits:
    def test_a_suspension_during_the_notice_period_holds_the_process_until_resumed(self, hall, clock):
        application, instance = _verified_and_reviewed(hall)
        services.application_suspend(actor=hall.window, application=application, reason="等待现场核查")
        clock.advance(days=8)
        run = workflow.fire_due_timers(now=clock())
        instance.refresh_from_db()
        application.refresh_from_db()
        assert run.failed == 0
        assert instance.status == InstanceStatus.SUSPENDED and not instance.error
        assert "等待现场核查" in instance.hold_reason
        assert application.status == ApplicationStatus.SUSPENDED
        services.application_resume(actor=hall.window, application=application)
        workflow.fire_due_timers(now=clock())
        instance.refresh_from_db()
        application.refresh_from_db()
        assert application.status == ApplicationStatus.CONCLUDED_APPROVED
        assert instance.status == InstanceStatus.COMPLETED

    def test_the_step_before_a_result_stays_in_the_inbox_while_suspended(self, hall):
        application = services.application_accept(
            actor=hall.window, application=factories.submit(hall.resident, hall.item)
        )
        instance = processing.instance_for(application)
        _complete(
            instance,
            "community_verify",
            hall.shequ,
            {"declared_income": 1200, "outcome": "approve", "verify_opinion": "符合"},
        )
        services.application_suspend(actor=hall.window, application=application, reason="等待现场核查")
        [review] = _open(instance, "subdistrict_review")
        with pytest.raises(ServiceError) as caught:
            workflow.task_complete(
                actor=hall.leader, task=review, form_data={"outcome": "approve", "review_opinion": "同意"}
            )
        assert "中止办理" in str(caught.value.message) and "等待现场核查" in str(caught.value.message)
        review.refresh_from_db()
        assert review.status in (TaskStatus.READY, TaskStatus.CLAIMED)
        services.application_resume(actor=hall.window, application=application)
        _complete(
            instance, "subdistrict_review", hall.leader, {"outcome": "approve", "review_opinion": "同意"}
        )
        assert application.notice is not None

    def test_a_correction_after_acceptance_holds_it_too(self, hall, clock):
        application, instance = _verified_and_reviewed(hall)
        services.application_request_correction(
            actor=hall.window, application=application, items=["收入证明缺少盖章"]
        )
        clock.advance(days=8)
        assert workflow.fire_due_timers(now=clock()).failed == 0
        instance.refresh_from_db()
        assert instance.status == InstanceStatus.SUSPENDED
        services.application_resubmit(
            resident=hall.resident, application=application, uploads=factories.uploads()
        )
        workflow.fire_due_timers(now=clock())
        application.refresh_from_db()
        assert application.status == ApplicationStatus.CONCLUDED_APPROVED

    def test_rejecting_an_accepted_application_cancels_its_process(self, hall):
        application = services.application_accept(
            actor=hall.window, application=factories.submit(hall.resident, hall.item)
        )
        instance = processing.instance_for(application)
        services.application_request_correction(actor=hall.window, application=application, items=["户口簿"])
        services.application_reject(actor=hall.window, application=application, reason="逾期未补正")
        instance.refresh_from_db()
        assert instance.status == InstanceStatus.CANCELLED
        assert not _open(instance)
        assert "逾期未补正" in instance.history.order_by("-id").first().opinion
        assert WorkTask.objects.filter(instance=instance, status=TaskStatus.CANCELLED).exists()


# --- 3. the owner of a rectification ------------------------------------------------------------------------


class TestRectificationOwner:
    def test_a_process_concluded_application_is_owned_by_who_accepted_it(self, hall, clock):
        application, instance = _verified_and_reviewed(hall)
        clock.advance(days=8)
        workflow.fire_due_timers(now=clock())
        application.refresh_from_db()
        assert application.is_concluded and application.concluded_by is None  # a timer step concluded it
        rating = services.rating_submit(application=application, level=2, resident=hall.resident)
        assert rating.staff == hall.window  # who the applicant dealt with: the window that accepted it
        assert Rectification.objects.get(rating=rating).responsible == hall.window

    def test_without_any_handler_the_chief_representative_then_a_leader(self, tree, clerk):
        from jiedao.accounts.models import Role

        item = make_item(tree.community_a1, chief_representative="首席甲")
        chief = make_user(tree.community_a1, "applications.view_application")
        chief.full_name = "首席甲"
        chief.save()
        leader_role, _created = Role.objects.get_or_create(
            code=services.LEADER_ROLE, defaults={"name": "领导"}
        )
        leader = make_user(tree.subdistrict_a, "applications.view_application", roles=[leader_role])

        def concluded_by_the_system(item):
            application = walk_in(clerk, item, at=local(2026, 3, 2, 9))
            services.deemed_acceptance_run(now=local(2026, 3, 16, 9))
            application.refresh_from_db()
            services.application_conclude(actor=clerk, application=application, outcome=Outcome.APPROVED)
            Application.objects.filter(pk=application.pk).update(concluded_by=None)
            application.events.update(actor=None)  # nobody recorded: the staff accounts were removed
            application.refresh_from_db()
            return application

        first = concluded_by_the_system(item)
        rating = rate_by_link(first, 1)
        assert rating.rectification.responsible == chief
        other = concluded_by_the_system(make_item(tree.community_a1))
        rating = rate_by_link(other, 1)
        assert rating.rectification.responsible == leader


# --- 4. deemed acceptance counts from receipt ---------------------------------------------------------------


def test_deemed_acceptance_starts_the_clock_when_the_materials_were_received(clerk, tree):
    application = walk_in(clerk, make_item(tree.community_a1), at=local(2026, 3, 2, 10))  # Monday
    assert services.deemed_acceptance_run(now=local(2026, 3, 10, 9)) == 1
    application.refresh_from_db()
    assert application.deemed_accepted
    assert clock_for(application).started_at == local(2026, 3, 2, 10)
    assert application.due_at.date().isoformat() == "2026-03-16"  # 10 working days from 2 March


# --- 5. extension by request and approval -------------------------------------------------------------------


class TestExtension:
    @pytest.fixture
    def accepted(self, clerk, tree):
        application = walk_in(clerk, make_item(tree.community_a1), at=local(2026, 3, 2, 9))
        return services.application_accept(actor=clerk, application=application, at=local(2026, 3, 2, 10))

    @pytest.fixture
    def leader(self, tree):
        return make_user(tree.subdistrict_a, *LEADER_PERMISSIONS)

    def test_the_due_date_moves_only_on_approval(self, clerk, leader, accepted):
        due = accepted.due_at
        extension = services.application_extension_request(
            actor=clerk, application=accepted, days=5, reason="需要现场勘验", at=local(2026, 3, 4)
        )
        accepted.refresh_from_db()
        assert accepted.due_at == due and extension.status == ExtensionStatus.PENDING
        with pytest.raises(ServiceError) as caught:
            services.application_extension_request(actor=clerk, application=accepted, days=2, reason="再延")
        assert caught.value.code == "extension_pending"
        services.application_extension_decide(
            actor=leader, application=accepted, approve=True, note="同意", at=local(2026, 3, 5)
        )
        extension.refresh_from_db()
        assert extension.status == ExtensionStatus.APPROVED and extension.decided_by == leader
        assert extension.requested_by == clerk
        assert accepted.due_at.date().isoformat() == "2026-03-23"
        event = accepted.events.last()
        assert event.action == EventAction.EXTENDED and event.actor == leader
        assert (
            clerk.full_name in event.note and leader.full_name in event.note and "需要现场勘验" in event.note
        )
        audited = AuditEvent.objects.filter(event_name="applications.application.extended").get()
        assert audited.after["requested_by"] == clerk.pk and audited.after["approved_by"] == leader.pk

    def test_a_refusal_needs_a_reason_and_leaves_the_due_date(self, clerk, leader, accepted):
        due = accepted.due_at
        services.application_extension_request(actor=clerk, application=accepted, days=5, reason="复杂")
        with pytest.raises(ValidationFailed):
            services.application_extension_decide(actor=leader, application=accepted, approve=False)
        extension = services.application_extension_decide(
            actor=leader, application=accepted, approve=False, note="理由不充分"
        )
        assert extension.status == ExtensionStatus.REFUSED and extension.decision_note == "理由不充分"
        accepted.refresh_from_db()
        assert accepted.due_at == due
        assert AuditEvent.objects.filter(event_name="applications.application.extension_refused").exists()

    def test_window_staff_cannot_approve_and_nobody_approves_their_own(self, clerk, tree, accepted):
        services.application_extension_request(actor=clerk, application=accepted, days=5, reason="复杂")
        with pytest.raises(PermissionDenied):
            services.application_extension_decide(actor=clerk, application=accepted, approve=True)
        both = make_user(
            tree.community_a1, *CLERK_PERMISSIONS, *LEADER_PERMISSIONS, "applications.extend_application"
        )
        accepted.extension_requests.update(requested_by=both)
        with pytest.raises(PermissionDenied):
            services.application_extension_decide(actor=both, application=accepted, approve=True)

    def test_a_pending_request_lapses_on_conclusion(self, clerk, accepted):
        extension = services.application_extension_request(
            actor=clerk, application=accepted, days=5, reason="复杂"
        )
        services.application_conclude(actor=clerk, application=accepted, outcome=Outcome.APPROVED)
        extension.refresh_from_db()
        assert extension.status == ExtensionStatus.LAPSED

    def test_api_request_then_approve_or_refuse(self, clerk, leader, accepted):
        url = f"/api/v1/applications/{accepted.pk}"
        window, boss = api_client_for(clerk), api_client_for(leader)
        response = window.post(f"{url}/extend/", {"days": 3, "reason": "复杂"}, format="json")
        assert response.status_code == 200
        assert response.json()["due_at"] == boss.get(f"{url}/").json()["due_at"]
        assert response.json()["pending_extension"]["requested_by"] == clerk.username
        assert window.post(f"{url}/approve-extension/", {}, format="json").status_code == 403
        response = boss.post(f"{url}/approve-extension/", {"note": "同意"}, format="json")
        assert response.status_code == 200 and response.json()["pending_extension"] is None
        assert response.json()["due_at"].startswith("2026-03-19")
        window.post(f"{url}/extend/", {"days": 2, "reason": "仍需核实"}, format="json")
        refused = boss.post(f"{url}/refuse-extension/", {"note": ""}, format="json")
        assert refused.status_code == 400 and "理由" in refused.json()["detail"]
        assert boss.post(f"{url}/refuse-extension/", {"note": "不同意"}, format="json").status_code == 200
        history = boss.get(f"{url}/extensions/").json()
        assert [x["status"] for x in history] == ["approved", "refused"]

    def test_staff_pages_request_and_decide(self, clerk, leader, accepted):
        url = f"/hall/staff/applications/{accepted.pk}/"
        window, boss = client_for(clerk), client_for(leader)
        assert "申请延长时限" in window.get(url).content.decode()
        response = window.post(f"{url}extend/", {"days": 3, "reason": "复杂"})
        assert response.status_code == 302
        page = boss.get(url).content.decode()
        assert 'data-testid="pending-extension"' in page and "审批延长时限" in page
        assert window.post(f"{url}extend/", {"decision": "approve", "note": ""}).status_code == 403
        response = boss.post(f"{url}extend/", {"decision": "approve", "note": "同意"})
        assert response.status_code == 302
        accepted.refresh_from_db()
        assert accepted.due_at.date().isoformat() == "2026-03-19"
        assert "已批准" in boss.get(url).content.decode()

    def test_the_leader_finds_pending_requests_from_the_home_page(self, clerk, leader, accepted):
        boss = client_for(leader)
        assert "待审批的延期申请" not in boss.get("/workbench/").content.decode()
        services.application_extension_request(actor=clerk, application=accepted, days=5, reason="复杂")
        home = boss.get("/workbench/").content.decode()
        assert "待审批的延期申请" in home and "/hall/staff/applications/?extension=pending" in home
        listed = boss.get("/hall/staff/applications/?extension=pending").content.decode()
        assert accepted.tracking_code in listed
        services.application_extension_decide(actor=leader, application=accepted, approve=True, note="同意")
        assert (
            accepted.tracking_code
            not in boss.get("/hall/staff/applications/?extension=pending").content.decode()
        )


# --- 6. rating twice ----------------------------------------------------------------------------------------


def test_rating_twice_shows_the_message_on_the_page(clerk, tree):
    resident = make_resident()
    application = factories.submit(resident, make_item(tree.community_a1))
    services.application_accept(actor=clerk, application=application)
    services.application_conclude(actor=clerk, application=application, outcome=Outcome.APPROVED)
    services.rating_submit(application=application, level=5, resident=resident)
    from django.test import Client

    visitor = Client()
    session = visitor.session
    session[SESSION_KEY] = resident.pk
    session.save()
    response = visitor.post(f"/hall/me/applications/{application.pk}/rate/", {"level": "1"})
    assert response.status_code == 400
    assert "该办件已评价" in response.content.decode()


# --- 7. the staff pickers -----------------------------------------------------------------------------------


class TestPickers:
    @pytest.fixture
    def people_around(self, tree):
        inquiry_perms = (
            "applications.view_inquiry",
            "applications.change_inquiry",
            "applications.add_inquiry",
        )
        me = make_user(
            tree.subdistrict_a,
            *inquiry_perms,
            "applications.add_agencyassignment",
            "applications.view_agencyassignment",
        )
        colleague = make_user(tree.community_a1, *inquiry_perms, "applications.view_application")
        elsewhere = make_user(tree.community_b1, *inquiry_perms, "applications.view_application")
        sysadmin = make_user(tree.subdistrict_a, "accounts.view_user", admin_duty="sysadmin")
        auditor = make_user(tree.subdistrict_a, *inquiry_perms, admin_duty="auditor")
        no_role = make_user(tree.subdistrict_a)
        return me, colleague, [elsewhere, sysadmin, auditor, no_role]

    def test_hand_over_lists_business_staff_in_scope(self, people_around):
        me, colleague, others = people_around
        inquiry = services.inquiry_create(actor=me, visitor_name="李四", visitor_phone="", question="低保？")
        page = client_for(me).get(f"/hall/staff/inquiries/{inquiry.pk}/").content.decode()
        assert f'value="{colleague.pk}"' in page
        for user in others:
            assert f'value="{user.pk}"' not in page
        for user in others:
            with pytest.raises(ValidationFailed):
                services.inquiry_hand_over(actor=me, inquiry=inquiry, to_user=user)
        services.inquiry_hand_over(actor=me, inquiry=inquiry, to_user=colleague)

    def test_agent_picker_lists_business_staff_in_scope(self, people_around, tree):
        me, colleague, others = people_around
        page = client_for(me).get("/hall/staff/agency/new/").content.decode()
        assert f'value="{colleague.pk}"' in page
        for user in others:
            assert f'value="{user.pk}"' not in page
        with pytest.raises(ValidationFailed):
            services.agency_assign(
                actor=me,
                org=tree.subdistrict_a,
                agent=others[0],
                enterprise_name="星火科技",
                enterprise_uscc="91110105MA00000000",
                project_name="新厂房",
            )


# --- 8. tracking's rate limit -------------------------------------------------------------------------------


def test_tracking_page_answers_429_when_rate_limited(clerk, tree):
    from django.test import Client

    application = walk_in(clerk, make_item(tree.community_a1), phone="13800138000")
    visitor = Client()
    data = {"code": "ABCDEFGHJKLM", "phone": "13800138000"}
    for _ in range(10):
        assert visitor.post("/hall/track/", data, REMOTE_ADDR="10.9.9.9").status_code != 429
    data["code"] = application.tracking_code
    response = visitor.post("/hall/track/", data, REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    body = response.content.decode()
    assert "查询过于频繁" in body and application.item.name not in body
