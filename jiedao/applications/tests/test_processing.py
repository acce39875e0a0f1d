"""Applications processed on the workflow engine: the 低保 case end to end, objections during the notice
period, rejection at the community step, the generic service-review process, and the outcome PDF."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from jiedao.accounts.models import Role, User
from jiedao.applications import outcome, processing, services
from jiedao.applications.choices import ApplicationStatus, Outcome
from jiedao.applications.models import Application, ObjectionTask, PublicNotice, Resident
from jiedao.applications.tests import factories
from jiedao.applications.tests.pdftext import pdf_text
from jiedao.core import crypto
from jiedao.core.scope import DataScope
from jiedao.core.testing import make_user, permissions
from jiedao.registry import services as registry
from jiedao.registry.identity import id_number_hash, phone_hash
from jiedao.registry.models import SpecialGroupTag
from jiedao.registry.tests import factories as people_factories
from jiedao.sms.models import OutboundMessage
from jiedao.workcalendar.services import CHINA_TZ
from jiedao.workflow import demo as workflow_demo
from jiedao.workflow import engine
from jiedao.workflow import services as workflow
from jiedao.workflow.choices import OPEN_TASK_STATUSES, InstanceStatus
from jiedao.workflow.models import WorkTask

START = ("workflow.add_processinstance", "workflow.view_processinstance")


class Clock:
    def __init__(self, moment: dt.datetime):
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment

    def advance(self, **kwargs) -> dt.datetime:
        self.moment += dt.timedelta(**kwargs)
        return self.moment


@pytest.fixture
def clock(monkeypatch):
    """Engine time and hall time together, from Monday 2026-09-21 09:00 Beijing time."""
    fake = Clock(dt.datetime(2026, 9, 21, 9, 0, tzinfo=CHINA_TZ))
    monkeypatch.setattr(engine, "now", fake)
    monkeypatch.setattr(services, "_now", lambda at=None: at or fake())
    return fake


def _role(code: str, *perms: str) -> Role:
    role, _created = Role.objects.get_or_create(
        code=code, defaults={"name": f"角色{code}", "data_scope": DataScope.SUBTREE}
    )
    if perms:
        role.permissions.add(*permissions(*perms))
    return role


def _user(org, username, role, *perms) -> User:
    user = make_user(org, *perms, username=username)
    user.roles.add(role)
    return user


@dataclass
class Hall:
    tree: object
    window: User
    shequ: User
    approver: User
    leader: User
    deployer: User
    applicant: object  # registry Person
    spouse: object
    son: object
    resident: Resident
    item: object


@pytest.fixture
def hall(tree, clock) -> Hall:
    staff = _role("community-staff", *START)
    window_role = _role("window-staff", *START)
    approver_role = _role("approver", *START)
    leader_role = _role("subdistrict-leader", *START)
    sub = tree.subdistrict_a
    window = _user(sub, "window", window_role, *factories.CLERK_PERMISSIONS)
    shequ = _user(tree.community_a1, "shequ", staff)
    approver = _user(sub, "approver", approver_role)
    leader = _user(sub, "leader", leader_role)
    deployer = make_user(
        sub, "workflow.add_processdefinition", "workflow.view_processdefinition", username="deployer"
    )
    clerk = people_factories.staff(tree.community_a1)
    number = people_factories.new_id_number(dt.date(1962, 4, 8), female=True)
    applicant = people_factories.person(clerk, tree.grid_a1, name="王秀兰", id_number=number)
    spouse = people_factories.person(clerk, tree.grid_a1, name="李建国")
    son = people_factories.person(
        clerk, tree.grid_a1, name="李小军", id_number=people_factories.new_id_number(dt.date(1990, 1, 1))
    )
    registry.household_create(
        actor=clerk,
        org=tree.community_a1,
        number="110105001001-0007",
        registered_address="测试区幸福路 7 号",
        head=applicant,
        members=[(spouse, "10"), (son, "20")],
    )
    registry.tag_add(
        actor=clerk,
        person=son,
        group="disabled",
        valid_from=dt.date(2020, 1, 1),
        details={"type": "4", "grade": "2"},
    )
    phone = "13912345678"
    resident = Resident.objects.create(
        phone=phone,
        phone_hash=phone_hash(phone),
        phone_masked=crypto.mask_phone(phone),
        real_name="王秀兰",
        id_number=number,
        id_number_hash=id_number_hash(number),
        id_number_masked=crypto.mask_id_number(number),
        verified_at=clock(),
    )
    xml, forms = workflow_demo.shipped("dibao")
    workflow.definition_deploy_xml(actor=deployer, org=sub, bpmn_xml=xml, forms=forms)
    item = factories.make_item(sub, name="最低生活保障", process_key="dibao", publishes_result=True)
    return Hall(tree, window, shequ, approver, leader, deployer, applicant, spouse, son, resident, item)


def _accepted(hall: Hall) -> Application:
    application = factories.submit(hall.resident, hall.item)
    services.application_accept(actor=hall.window, application=application)
    application.refresh_from_db()
    return application


def _open(instance, element_id=None) -> list[WorkTask]:
    tasks = WorkTask.objects.filter(instance=instance, status__in=OPEN_TASK_STATUSES).order_by("id")
    if element_id:
        tasks = tasks.filter(element_id=element_id)
    return list(tasks)


def _complete(instance, element_id, user, data, opinion=""):
    [task] = _open(instance, element_id)
    workflow.task_complete(actor=user, task=task, form_data=data, opinion=opinion)
    instance.refresh_from_db()


def _verified_and_reviewed(hall: Hall):
    application = _accepted(hall)
    instance = processing.instance_for(application)
    _complete(
        instance,
        "community_verify",
        hall.shequ,
        {"declared_income": 1200, "outcome": "approve", "verify_opinion": "入户核实，家庭人均收入低于标准。"},
    )
    _complete(
        instance, "subdistrict_review", hall.leader, {"outcome": "approve", "review_opinion": "同意公示"}
    )
    return application, instance


def _pass_notice_period(clock, days=8):
    clock.advance(days=days)
    run = workflow.fire_due_timers(now=clock())
    services.notices_archive_run(now=clock())
    return run


class TestDibaoCase:
    def test_accepting_starts_the_process_and_the_community_sees_the_household(self, hall):
        application = _accepted(hall)
        instance = processing.instance_for(application)
        assert instance is not None and instance.status == InstanceStatus.RUNNING
        assert instance.business_object == application
        assert instance.org == hall.tree.community_a1  # the applicant's community
        assert instance.definition.org == hall.tree.subdistrict_a  # resolved from the nearest ancestor
        data = instance.data
        assert data["applicant_person_id"] == hall.applicant.pk
        assert data["tracking_code"] == application.tracking_code
        assert data["materials"] == ["申请表"]
        members = {m["name"]: m for m in data["household"]["members"]}
        assert set(members) == {"王秀兰", "李建国", "李小军"}
        assert members["李小军"]["tags"] == ["disabled"] and members["李小军"]["relation"] == "20"
        assert members["王秀兰"]["is_applicant"]
        assert "李小军" in data["household_text"] and "残疾人" in data["household_text"]
        [task] = _open(instance)
        assert task.element_id == "community_verify" and task.assignee == hall.shequ

    def test_full_case_ends_with_the_tag_the_sms_and_the_pdf(self, hall, clock):
        application, instance = _verified_and_reviewed(hall)
        notice = PublicNotice.objects.get(application=application)
        assert "王*兰" in notice.body and "王秀兰" not in notice.body
        assert notice.ends_at - notice.starts_at == dt.timedelta(days=7)
        assert _open(instance) == [] and instance.next_timer_at is not None
        application.refresh_from_db()
        assert application.status == ApplicationStatus.ACCEPTED
        assert not SpecialGroupTag.objects.filter(person=hall.applicant, group="dibao").exists()

        clock.advance(days=3)
        assert workflow.fire_due_timers(now=clock()).advanced == 0  # still in the notice period
        run = _pass_notice_period(clock, days=5)
        assert run.advanced == 1

        instance.refresh_from_db()
        application.refresh_from_db()
        assert instance.status == InstanceStatus.COMPLETED
        assert application.status == ApplicationStatus.CONCLUDED_APPROVED
        assert application.outcome == Outcome.APPROVED
        tag = SpecialGroupTag.objects.get(person=hall.applicant, group="dibao")
        assert tag.valid_until is None and application.tracking_code in tag.evidence
        assert tag.valid_from == clock().astimezone(CHINA_TZ).date()
        sms = OutboundMessage.objects.filter(purpose="applications.concluded").get()
        assert application.tracking_code in sms.body and "准予" in sms.body
        notice.refresh_from_db()
        assert notice.archived_at is not None
        assert PublicNotice.objects.filter(application=application).count() == 1
        assert application.outcome_document.name.endswith(".pdf")
        data = application.outcome_document.read()
        assert data.startswith(b"%PDF-")
        text = pdf_text(data)
        for expected in ("办结通知书", "王秀兰", "最低生活保障", application.tracking_code, "准予", "甲街道"):
            assert expected in text, expected
        assert application.applicant_id_number not in text  # the ID number stays off the notice

    def test_an_objection_during_the_notice_period_reaches_staff(self, hall, clock):
        application, instance = _verified_and_reviewed(hall)
        notice = PublicNotice.objects.get(application=application)
        services.objection_file(
            notice=notice,
            name="赵六",
            phone="13700000001",
            content="申请人家中有经营性商铺出租收入。",
            now=clock.advance(days=2),
        )
        task = ObjectionTask.objects.get(objection__notice=notice)
        assert task.assignee == hall.leader  # who published the notice (the sub-district review)
        _pass_notice_period(clock, days=6)
        instance.refresh_from_db()
        [review] = _open(instance)
        assert review.element_id == "objection_review" and review.assignee == hall.leader
        assert "商铺" in instance.data["objection_text"] and instance.data["objection_count"] == 1
        _complete(
            instance,
            "objection_review",
            hall.leader,
            {"outcome": "reject", "objection_opinion": "经核实，家庭有商铺租金收入，超过低保标准。"},
        )
        application.refresh_from_db()
        assert application.status == ApplicationStatus.CONCLUDED_DENIED
        assert "商铺租金" in application.outcome_text
        assert not SpecialGroupTag.objects.filter(person=hall.applicant, group="dibao").exists()

    def test_rejection_at_the_community_step_denies_without_a_tag(self, hall):
        application = _accepted(hall)
        instance = processing.instance_for(application)
        _complete(
            instance,
            "community_verify",
            hall.shequ,
            {"declared_income": 9000, "outcome": "reject", "verify_opinion": "家庭人均收入高于低保标准。"},
        )
        application.refresh_from_db()
        assert instance.status == InstanceStatus.COMPLETED
        assert application.status == ApplicationStatus.CONCLUDED_DENIED
        assert application.outcome_text == "家庭人均收入高于低保标准。"
        assert not PublicNotice.objects.filter(application=application).exists()
        assert not SpecialGroupTag.objects.filter(person=hall.applicant, group="dibao").exists()
        assert OutboundMessage.objects.filter(purpose="applications.concluded").count() == 1
        assert "不予准予" in pdf_text(application.outcome_document.read())


class TestOtherItems:
    def test_the_generic_review_under_a_catalog_key(self, hall):
        xml, forms = workflow_demo.service_review_as("juzhuzheng", "居住证签注审批")
        workflow.definition_deploy_xml(
            actor=hall.deployer, org=hall.tree.subdistrict_a, bpmn_xml=xml, forms=forms
        )
        item = factories.make_item(hall.tree.subdistrict_a, name="居住证签注", process_key="juzhuzheng")
        application = factories.submit(hall.resident, item)
        services.application_accept(actor=hall.window, application=application)
        instance = processing.instance_for(application)
        assert instance.definition.key == "juzhuzheng"
        _complete(instance, "precheck", hall.window, {"outcome": "approve", "opinion": "材料齐全"})
        _complete(instance, "department_review", hall.approver, {"outcome": "approve", "opinion": "符合条件"})
        _complete(instance, "leader_approval", hall.leader, {"outcome": "approve", "opinion": "同意签注"})
        application.refresh_from_db()
        assert application.status == ApplicationStatus.CONCLUDED_APPROVED
        assert application.outcome_text == "经审核，符合办理条件，准予办理。"  # not the internal opinion
        assert application.outcome_document

    def test_a_department_rejection_concludes_as_denied(self, hall):
        xml, forms = workflow_demo.shipped("service_review")
        workflow.definition_deploy_xml(
            actor=hall.deployer, org=hall.tree.subdistrict_a, bpmn_xml=xml, forms=forms
        )
        item = factories.make_item(hall.tree.subdistrict_a, process_key="service_review")
        application = factories.submit(hall.resident, item)
        services.application_accept(actor=hall.window, application=application)
        instance = processing.instance_for(application)
        _complete(instance, "precheck", hall.window, {"outcome": "approve", "opinion": "材料齐全"})
        _complete(
            instance, "department_review", hall.approver, {"outcome": "reject", "opinion": "不符合条件"}
        )
        application.refresh_from_db()
        assert application.status == ApplicationStatus.CONCLUDED_DENIED
        assert application.outcome_text == "不符合条件"

    def test_enterprise_start_up_is_reviewed_by_two_departments_in_parallel(self, hall):
        office = _user(hall.tree.subdistrict_a, "office", _role("office-staff", *START))
        xml, forms = workflow_demo.process_as("enterprise_review", "qiye_kaiban", "企业开办代办审批")
        workflow.definition_deploy_xml(
            actor=hall.deployer, org=hall.tree.subdistrict_a, bpmn_xml=xml, forms=forms
        )
        item = factories.make_item(hall.tree.subdistrict_a, name="企业开办代办", process_key="qiye_kaiban")
        application = factories.submit(hall.resident, item)
        services.application_accept(actor=hall.window, application=application)
        instance = processing.instance_for(application)
        _complete(instance, "precheck", hall.window, {"outcome": "approve", "precheck_opinion": "材料齐全"})
        assert {t.element_id for t in _open(instance)} == {"review_business", "review_office"}
        _complete(instance, "review_office", office, {"outcome": "approve", "office_opinion": "同意刻章备案"})
        application.refresh_from_db()
        assert application.status == ApplicationStatus.ACCEPTED  # still waiting for the other department
        _complete(
            instance,
            "review_business",
            hall.approver,
            {"outcome": "reject", "business_opinion": "经营范围需前置审批"},
        )
        application.refresh_from_db()
        assert application.status == ApplicationStatus.CONCLUDED_DENIED
        assert application.outcome_text == "业务科室：经营范围需前置审批；党政办：同意刻章备案"

    def test_without_a_deployed_process_the_application_is_handled_by_hand(self, hall):
        item = factories.make_item(hall.tree.subdistrict_a, process_key="not_deployed")
        application = factories.submit(hall.resident, item)
        services.application_accept(actor=hall.window, application=application)
        application.refresh_from_db()
        assert application.status == ApplicationStatus.ACCEPTED
        assert processing.instance_for(application) is None


class TestDeemedAcceptance:
    def test_a_deemed_accepted_application_waits_until_staff_start_its_process(self, hall):
        from django.utils import timezone

        from jiedao.core.exceptions import PermissionDenied, ServiceError
        from jiedao.core.testing import client_for

        application = factories.submit(hall.resident, hall.item)
        assert services.deemed_acceptance_run(now=timezone.now() + dt.timedelta(days=15)) == 1
        application.refresh_from_db()
        assert application.status == ApplicationStatus.ACCEPTED and application.deemed_accepted
        assert processing.instance_for(application) is None  # the scheduler may not start processes
        page = client_for(hall.window).get(f"/hall/staff/applications/{application.pk}/")
        assert "转入流程办理" in page.content.decode()
        with pytest.raises(PermissionDenied):
            services.application_start_processing(actor=hall.deployer, application=application)
        response = client_for(hall.window).post(f"/hall/staff/applications/{application.pk}/start-process/")
        assert response.status_code == 302
        instance = processing.instance_for(application)
        assert instance is not None and instance.status == InstanceStatus.RUNNING
        assert instance.initiator == hall.window
        [task] = _open(instance)
        assert task.element_id == "community_verify" and task.assignee == hall.shequ
        assert application.events.filter(action="process_started", actor=hall.window).exists()
        with pytest.raises(ServiceError, match="已经在按流程办理"):
            services.application_start_processing(actor=hall.window, application=application)
        assert processing.instance_for(application) == instance

    def test_an_item_without_a_process_or_a_submitted_application_cannot_be_started(self, hall):
        from jiedao.core.exceptions import ServiceError

        by_hand = factories.make_item(hall.tree.subdistrict_a, process_key="")
        accepted = factories.submit(hall.resident, by_hand)
        services.application_accept(actor=hall.window, application=accepted)
        with pytest.raises(ServiceError, match="没有配置办理流程"):
            services.application_start_processing(actor=hall.window, application=accepted)
        submitted = factories.submit(hall.resident, hall.item)
        with pytest.raises(ServiceError, match="不能转入流程办理"):
            services.application_start_processing(actor=hall.window, application=submitted)
        assert processing.instance_for(submitted) is None


class TestOutcomeDocument:
    def test_staff_and_the_applicant_download_it(self, hall, client):
        application = _accepted(hall)
        instance = processing.instance_for(application)
        _complete(
            instance,
            "community_verify",
            hall.shequ,
            {"declared_income": 9000, "outcome": "reject", "verify_opinion": "收入超标"},
        )
        client.force_login(hall.window)
        response = client.get(f"/hall/staff/applications/{application.pk}/outcome.pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
        client.logout()
        session = client.session
        session["resident_id"] = hall.resident.pk
        session.save()
        response = client.get(f"/hall/me/applications/{application.pk}/outcome.pdf")
        assert response.status_code == 200
        other = factories.make_resident()
        session["resident_id"] = other.pk
        session.save()
        assert client.get(f"/hall/me/applications/{application.pk}/outcome.pdf").status_code == 404

    def test_the_date_is_written_as_an_official_document_writes_it(self, hall):
        application = _accepted(hall)
        application.concluded_at = dt.datetime(2026, 3, 5, 1, 0, tzinfo=dt.UTC)  # 09:00 in Beijing
        assert outcome.document_lines(application)["date"] == "2026年3月5日"  # GB/T 9704: no padding zeros

    def test_a_staff_conclusion_also_produces_it(self, hall):
        item = factories.make_item(hall.tree.subdistrict_a)
        application = factories.submit(hall.resident, item)
        services.application_accept(actor=hall.window, application=application)
        services.application_conclude(actor=hall.window, application=application, outcome=Outcome.APPROVED)
        application.refresh_from_db()
        assert "办结通知书" in pdf_text(application.outcome_document.read())
        assert outcome.document_lines(application)["applicant"] == "王秀兰"


class TestStaffSide:
    def test_staff_cannot_conclude_by_hand_while_the_process_runs(self, hall):
        from jiedao.core.exceptions import ServiceError

        application = _accepted(hall)
        with pytest.raises(ServiceError) as error:
            services.application_conclude(
                actor=hall.window, application=application, outcome=Outcome.APPROVED
            )
        assert error.value.code == "in_process"
        application.refresh_from_db()
        assert application.status == ApplicationStatus.ACCEPTED

    def test_the_detail_page_links_the_process(self, hall, client):
        application = _accepted(hall)
        client.force_login(hall.window)
        page = client.get(f"/hall/staff/applications/{application.pk}/").content.decode()
        assert "最低生活保障审核确认" in page and "社区入户核实" in page
