"""Service hall: processing, objections, notices, SMS, outcome, ratings."""

from __future__ import annotations

import datetime as dt

import pytest

from jiedao.applications import letter, processing, services
from jiedao.applications.choices import ApplicationStatus
from jiedao.applications.models import Objection, ObjectionTask, PublicNotice
from jiedao.applications.tests import factories
from jiedao.applications.tests import test_processing as base
from jiedao.applications.tests.pdftext import pdf_text
from jiedao.applications.tests.test_processing import (
    _open,
    _pass_notice_period,
    _verified_and_reviewed,
)
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.testing import client_for, make_user
from jiedao.registry.tests import factories as people_factories
from jiedao.sms.models import OutboundMessage
from jiedao.workcalendar.services import CHINA_TZ
from jiedao.workflow import demo as workflow_demo
from jiedao.workflow import selectors as workflow_selectors
from jiedao.workflow import services as workflow

pytestmark = pytest.mark.django_db

clock = base.clock


hall = base.hall


def _objection(hall, clock, **kwargs):
    application, instance = _verified_and_reviewed(hall)
    notice = PublicNotice.objects.get(application=application)
    values = {"name": "赵六", "phone": "13700000001", "content": "申请人家中有商铺出租收入。"}
    values.update(kwargs)
    clock.advance(days=1)
    objection = services.objection_file(notice=notice, now=clock(), **values)
    # Filed at 00:30 Beijing time on the 23rd: still the 22nd in UTC.
    Objection.objects.filter(pk=objection.pk).update(
        created_at=dt.datetime(2026, 9, 23, 0, 30, tzinfo=CHINA_TZ)
    )
    return application, instance, notice, objection


class TestObjectionReview:
    def test_the_objection_review_starts_unchosen_and_dates_are_local(self, hall, clock):
        _application, instance, _notice, _objection_row = _objection(hall, clock)
        _pass_notice_period(clock, days=6)
        instance.refresh_from_db()
        [review] = _open(instance)
        assert review.element_id == "objection_review"
        # nothing pre-chosen: the form does not start from the sub-district review's "approve"
        schema = instance.definition.forms[review.form_key]
        assert "outcome" not in workflow_selectors.task_initial(review, schema)
        assert "（2026-09-23）" in instance.data["objection_text"]


class TestApplicantNotInTheRegistry:
    def _walk_in(self, hall, **kwargs):
        return services.application_register_walk_in(
            actor=hall.window,
            item=hall.item,
            applicant_name="丁一诺",
            applicant_id_number=people_factories.new_id_number(dt.date(1980, 5, 5)),
            applicant_phone="13800138000",
            uploads=factories.uploads(factories.pdf()),
            **kwargs,
        )

    def test_acceptance_asks_for_the_community_in_plain_chinese(self, hall):
        application = self._walk_in(hall)
        with pytest.raises(ValidationFailed) as caught:
            services.application_accept(actor=hall.window, application=application)
        message = caught.value.errors["community"][0]
        assert "请选择申请人的居住社区" in message
        assert "社区入户核实" in message and "角色community-staff" in message  # the role's name in the test
        assert "community_verify" not in message and "role:" not in message and "（、" not in message
        application.refresh_from_db()
        assert application.status == ApplicationStatus.SUBMITTED
        assert processing.instance_for(application) is None

    def test_the_named_community_handles_the_community_step(self, hall):
        application = self._walk_in(hall, community=hall.tree.community_a1)
        services.application_accept(actor=hall.window, application=application)
        instance = processing.instance_for(application)
        assert instance.org == hall.tree.community_a1
        [task] = _open(instance)
        assert task.element_id == "community_verify" and task.assignee == hall.shequ

    def test_the_community_can_be_chosen_at_acceptance(self, hall):
        application = self._walk_in(hall)
        services.application_accept(
            actor=hall.window, application=application, community=hall.tree.community_a1
        )
        application.refresh_from_db()
        assert application.community == hall.tree.community_a1
        assert application.status == ApplicationStatus.ACCEPTED

    def test_the_window_chooses_the_community_on_the_acceptance_page(self, hall):
        application = self._walk_in(hall)
        client = client_for(hall.window)
        url = f"/hall/staff/applications/{application.pk}/accept/"
        refused = client.post(url, {"community": ""})
        assert refused.status_code == 200
        page = refused.content.decode()
        assert "请选择申请人的居住社区后再受理" in page and hall.tree.community_a1.name in page
        application.refresh_from_db()
        assert application.status == ApplicationStatus.SUBMITTED
        accepted = client.post(url, {"community": hall.tree.community_a1.pk})
        assert accepted.status_code == 302
        application.refresh_from_db()
        assert application.status == ApplicationStatus.ACCEPTED
        assert application.community == hall.tree.community_a1

    def test_a_deemed_accepted_application_is_started_once_its_community_is_chosen(self, hall):
        from django.utils import timezone

        application = self._walk_in(hall)
        assert services.deemed_acceptance_run(now=timezone.now() + dt.timedelta(days=15)) == 1
        client = client_for(hall.window)
        url = f"/hall/staff/applications/{application.pk}/start-process/"
        refused = client.post(url, {"community": ""}).content.decode()
        assert "请选择申请人的居住社区后再转入流程办理" in refused
        assert processing.instance_for(application) is None
        assert client.post(url, {"community": hall.tree.community_a1.pk}).status_code == 302
        instance = processing.instance_for(application)
        assert instance is not None and instance.org == hall.tree.community_a1

    def test_a_community_outside_the_item_org_is_refused(self, hall):
        with pytest.raises(ValidationFailed) as caught:
            self._walk_in(hall, community=hall.tree.community_b1)
        assert caught.value.errors["community"] == ["请选择本事项实施主体辖区内的社区。"]


class TestObjectionsResolvedByTheProcess:
    def test_the_review_resolves_the_objection_and_texts_the_objector(self, hall, clock):
        application, instance, _notice, objection = _objection(hall, clock)
        _pass_notice_period(clock, days=6)
        instance.refresh_from_db()
        [review] = _open(instance)
        workflow.task_complete(
            actor=hall.leader,
            task=review,
            form_data={"outcome": "approve", "objection_opinion": "经核实，商铺系他人所有，异议不成立。"},
        )
        task = ObjectionTask.objects.get(objection=objection)
        assert task.resolved_at is not None and task.resolved_by == hall.leader
        assert task.answer == "经核实，商铺系他人所有，异议不成立。"
        assert not ObjectionTask.objects.filter(assignee=hall.leader, resolved_at__isnull=True).exists()
        sms = OutboundMessage.objects.get(purpose="applications.objection_resolved")
        assert sms.body.endswith("经核实，商铺系他人所有，异议不成立。")
        application.refresh_from_db()
        assert application.status == ApplicationStatus.CONCLUDED_APPROVED

    def test_resolving_by_hand_texts_the_objector_too(self, hall, clock):
        _application, _instance, _notice, objection = _objection(hall, clock)
        task = ObjectionTask.objects.get(objection=objection)
        handler = make_user(
            hall.tree.subdistrict_a, "applications.view_objectiontask", "applications.change_objectiontask"
        )
        services.objection_resolve(actor=handler, task=task, answer="已入户复核，情况属实。")
        sms = OutboundMessage.objects.get(purpose="applications.objection_resolved")
        assert "已入户复核，情况属实。" in sms.body

    def test_a_notice_names_the_masked_applicant_and_the_community(self, hall, clock):
        application, _instance = _verified_and_reviewed(hall)
        notice = PublicNotice.objects.get(application=application)
        assert notice.title == "关于甲一社区王*兰最低生活保障申请拟办理结果的公示"
        assert "居住社区：甲一社区" in notice.body
        assert "王秀兰" not in notice.title + notice.body
        assert application.applicant_id_masked not in notice.title + notice.body


class TestOutcomeForTheApplicant:
    def test_an_approval_tells_the_applicant_the_outcome_not_the_leaders_opinion(self, hall):
        xml, forms = workflow_demo.shipped("service_review")
        workflow.definition_deploy_xml(
            actor=hall.deployer, org=hall.tree.subdistrict_a, bpmn_xml=xml, forms=forms
        )
        item = factories.make_item(hall.tree.subdistrict_a, name="居住证签注", process_key="service_review")
        application = factories.submit(hall.resident, item)
        services.application_accept(actor=hall.window, application=application)
        instance = processing.instance_for(application)
        for step, user in (("precheck", hall.window), ("department_review", hall.approver)):
            [task] = _open(instance, step)
            workflow.task_complete(
                actor=user, task=task, form_data={"outcome": "approve", "opinion": "材料齐全"}
            )
        [task] = _open(instance, "leader_approval")
        workflow.task_complete(
            actor=hall.leader, task=task, form_data={"outcome": "approve", "opinion": "同意。"}
        )
        application.refresh_from_db()
        assert application.outcome_text == "经审核，符合办理条件，准予办理。"
        sms = OutboundMessage.objects.get(purpose="applications.concluded")
        assert "同意。" not in sms.body and "准予办理" in sms.body
        text = pdf_text(application.outcome_document.read())
        assert "结果说明：经审核，符合办理条件，准予办理。" in text.replace("\n", "")
        assert "王秀兰：" in text  # the applicant's own document: the full name
        assert application.tracking_code in text.replace(" ", "").split("（查询码")[1][:14]

    def test_the_tracking_code_is_never_split_across_lines(self):
        body = "您申请办理的“最低生活保障（低保）申请”（查询码 ABCDEFGH2345）已办结，办理结果为：准予。"
        lines = letter.wrap(body, 30)
        assert any("ABCDEFGH2345" in line for line in lines), lines
        assert all(len(line) <= 30 for line in lines)


class TestObjectionRateLimit:
    def test_one_address_files_at_most_the_limit_an_hour_across_server_processes(self, hall, clock):
        from django.core.cache import cache

        from jiedao.core.exceptions import RateLimited
        from jiedao.parameters.services import get_parameter

        application, _instance = _verified_and_reviewed(hall)
        notice = PublicNotice.objects.get(application=application)
        limit = int(get_parameter("applications.objection_limit"))
        values = {"notice": notice, "name": "匿名", "phone": "13700000001", "now": clock()}
        for n in range(limit):
            services.objection_file(content=f"异议 {n}", ip="10.1.1.1", **values)
        with pytest.raises(RateLimited) as caught:
            services.objection_file(content="再一条", ip="10.1.1.1", **values)
        assert caught.value.message == "提交异议过于频繁，请 1 小时后再试。"
        assert caught.value.retry_after == 3600
        cache.clear()  # another server process, or the next slot of the cache's count
        with pytest.raises(RateLimited):
            services.objection_file(content="再一条", ip="10.1.1.1", **values)
        assert Objection.objects.filter(notice=notice).count() == limit
        services.objection_file(content="另一地址", ip="10.1.1.2", **values)


class TestApplicantSeesThePublicNotice:
    def test_tracking_shows_that_the_case_is_on_public_notice_and_until_when(self, hall):
        application, _instance = _verified_and_reviewed(hall)
        notice = PublicNotice.objects.get(application=application)
        history = services.public_history(application)
        shown = [entry for entry in history if entry["action"] == "公示"]
        assert len(shown) == 1
        end = notice.ends_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d")
        assert f"至 {end}" in shown[0]["note"] and "结果公示" in shown[0]["note"]
        assert "王" not in shown[0]["note"]  # no names: the notice itself carries the masked one
