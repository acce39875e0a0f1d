"""Ratings and rectification, public notices and objections, first-inquiry responsibility, agency."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from jiedao.applications import services
from jiedao.applications.choices import InquiryStatus, Outcome, RatingLevel, RectificationStatus
from jiedao.applications.models import ObjectionTask, PublicNotice, Rating, Rectification
from jiedao.applications.tests.factories import (
    CLERK_PERMISSIONS,
    make_item,
    make_resident,
    pdf,
    rate_by_link,
    submit,
    walk_in,
)
from jiedao.applications.tests.test_residents import resident_client
from jiedao.catalog.choices import Audience
from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.core.testing import client_for, make_user
from jiedao.registry.validators import make_uscc
from jiedao.sms.models import OutboundMessage
from jiedao.timelimits.services import clock_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(tree):
    return make_user(
        tree.community_a1,
        *CLERK_PERMISSIONS,
        "applications.view_rating",
        "applications.view_rectification",
        "applications.change_rectification",
        "applications.view_objectiontask",
        "applications.change_objectiontask",
    )


def concluded(clerk, application, outcome=Outcome.APPROVED):
    services.application_accept(actor=clerk, application=application)
    return services.application_conclude(actor=clerk, application=application, outcome=outcome, text="结果")


class TestNoticeTitles:
    def test_an_item_named_申请_is_not_followed_by_申请_again(self, clerk, tree):
        item = make_item(tree.community_a1, name="居家养老服务补贴申请", publishes_result=True)
        application = concluded(clerk, walk_in(clerk, item))
        title = PublicNotice.objects.get(application=application).title
        assert "申请申请" not in title
        assert title.endswith("居家养老服务补贴申请办理结果的公示")
        other = make_item(tree.community_a1, name="老年优待证办理", publishes_result=True)
        application = concluded(clerk, walk_in(clerk, other))
        assert PublicNotice.objects.get(application=application).title.endswith(
            "老年优待证办理申请办理结果的公示"
        )


class TestRatings:
    def test_resident_rates_once_online(self, clerk, tree):
        resident = make_resident()
        application = concluded(clerk, submit(resident, make_item(tree.community_a1)))
        client = resident_client(resident)
        response = client.post(
            f"/hall/me/applications/{application.pk}/rate/", {"level": 5, "comment": "很好"}
        )
        assert response.status_code == 302
        assert Rating.objects.get().get_level_display() == "非常满意"
        response = client.post(f"/hall/me/applications/{application.pk}/rate/", {"level": 1})
        assert response.status_code in (400, 200)
        with pytest.raises(ServiceError) as caught:
            services.rating_submit(resident=resident, application=application, level=1)
        assert "不能重复评价" in str(caught.value.message)
        assert Rating.objects.count() == 1 and not Rectification.objects.exists()

    def test_a_rating_without_a_level_asks_for_one_in_plain_words(self, clerk, tree):
        resident = make_resident()
        application = concluded(clerk, submit(resident, make_item(tree.community_a1)))
        response = resident_client(resident).post(
            f"/hall/me/applications/{application.pk}/rate/", {"comment": "排队太久"}
        )
        page = response.content.decode()
        assert "请选择您对本次服务的评价" in page and "该字段是必填项" not in page
        assert "排队太久" in page  # what was typed stays
        assert not Rating.objects.exists()

    def test_after_a_bad_rating_the_resident_is_told_what_follows_then_the_feedback(self, clerk, tree):
        resident = make_resident()
        application = concluded(clerk, submit(resident, make_item(tree.community_a1)))
        client = resident_client(resident)
        client.post(f"/hall/me/applications/{application.pk}/rate/", {"level": 2, "comment": "排队太久"})
        page = client.get(f"/hall/me/applications/{application.pk}/").content.decode()
        assert "您的评价：不满意" in page and "意见建议：排队太久" in page
        assert "整改情况将以短信告知您" in page
        services.rectification_close(
            actor=clerk,
            rectification=Rectification.objects.get(),
            measures="增开窗口",
            return_visit="电话回访",
            feedback="已在高峰时段增开一个窗口。",
        )
        page = client.get(f"/hall/me/applications/{application.pk}/").content.decode()
        assert "整改反馈：已在高峰时段增开一个窗口。" in page and "整改情况将以短信告知您" not in page

    def test_a_good_rating_promises_no_rectification(self, clerk, tree):
        resident = make_resident()
        application = concluded(clerk, submit(resident, make_item(tree.community_a1)))
        client = resident_client(resident)
        client.post(f"/hall/me/applications/{application.pk}/rate/", {"level": 5})
        page = client.get(f"/hall/me/applications/{application.pk}/").content.decode()
        assert "您的评价：非常满意" in page and "整改" not in page

    def test_rating_someone_elses_application_is_refused(self, clerk, tree):
        application = concluded(clerk, submit(make_resident(), make_item(tree.community_a1)))
        with pytest.raises(ServiceError) as caught:
            services.rating_submit(resident=make_resident(), application=application, level=5)
        assert "只能评价本人申请的办件" in str(caught.value.message)
        assert not Rating.objects.exists()

    def test_rating_before_conclusion_is_refused(self, clerk, tree):
        resident = make_resident()
        application = submit(resident, make_item(tree.community_a1))
        with pytest.raises(ServiceError) as caught:
            services.rating_submit(resident=resident, application=application, level=5)
        assert "办结后才能评价" in str(caught.value.message)

    def test_bad_rating_on_a_paper_form_opens_a_rectification(self, clerk, tree):
        application = concluded(clerk, walk_in(clerk, make_item(tree.community_a1), phone="13800138000"))
        colleague = make_user(tree.community_a1, *CLERK_PERMISSIONS)
        client_for(colleague).post(
            f"/hall/staff/applications/{application.pk}/rate/",
            {"level": 2, "comment": "等太久", "paper_number": "PJ-0001"},
        )
        rating = Rating.objects.get()
        assert rating.recorded_by == colleague and rating.level == RatingLevel.UNSATISFIED
        assert rating.channel == "paper" and rating.paper_number == "PJ-0001"
        rectification = Rectification.objects.get()
        assert rectification.responsible == clerk and rectification.department == "社会事务科"
        assert clock_for(rectification).limit == 5 and rectification.due_at is not None
        with pytest.raises(ValidationFailed):
            services.rectification_close(
                actor=clerk, rectification=rectification, measures="", return_visit="", feedback=""
            )
        services.rectification_close(
            actor=clerk,
            rectification=rectification,
            measures="增加窗口",
            return_visit="已电话回访",
            feedback="已增加窗口",
        )
        assert rectification.status == RectificationStatus.CLOSED
        assert OutboundMessage.objects.filter(
            purpose="applications.rectification", body__contains="已增加窗口"
        ).exists()

    def test_statistics_page(self, clerk, tree):
        application = concluded(clerk, walk_in(clerk, make_item(tree.community_a1, name="低保申请")))
        rate_by_link(application, 4)
        body = client_for(clerk).get("/hall/staff/ratings/").content.decode()
        assert "低保申请" in body and "甲一社区" in body and clerk.full_name in body


class TestNotices:
    def test_approved_conclusion_publishes_a_masked_notice_and_objections_become_tasks(self, clerk, tree):
        item = make_item(tree.community_a1, publishes_result=True, name="困难补助")
        application = concluded(clerk, walk_in(clerk, item, name="张三明"))
        notice = PublicNotice.objects.get()
        assert "张*明" in notice.body and "张三明" not in notice.body
        assert application.applicant_id_number not in notice.body
        assert (notice.ends_at - notice.starts_at).days == 7
        body = Client().get(f"/hall/notices/{notice.pk}/").content.decode()
        assert "张*明" in body and "提出异议" in body
        assert "困难补助" in Client().get("/hall/notices/").content.decode()
        response = Client().post(
            f"/hall/notices/{notice.pk}/", {"name": "路人", "phone": "13500135000", "content": "不符合条件"}
        )
        assert response.status_code == 302
        task = ObjectionTask.objects.get()
        assert task.assignee == clerk
        assert "公示异议" in client_for(clerk).get("/workbench/").content.decode()
        services.objection_resolve(actor=clerk, task=task, answer="经核实符合条件")
        assert task.resolved_at is not None

    def test_denied_conclusion_publishes_nothing(self, clerk, tree):
        item = make_item(tree.community_a1, publishes_result=True)
        concluded(clerk, walk_in(clerk, item), outcome=Outcome.DENIED)
        assert not PublicNotice.objects.exists()

    def test_archiving_after_the_period_closes_objections(self, clerk, tree):
        item = make_item(tree.community_a1, publishes_result=True)
        concluded(clerk, walk_in(clerk, item))
        notice = PublicNotice.objects.get()
        later = timezone.now() + dt.timedelta(days=8)
        assert services.notices_archive_run(now=later) == 1
        notice.refresh_from_db()
        assert notice.archived_at is not None
        with pytest.raises(ServiceError) as caught:
            services.objection_file(notice=notice, name="甲", phone="13500135000", content="x")
        assert "公示期已结束" in str(caught.value.message)


class TestInquiries:
    def test_first_inquiry_owner_keeps_it_until_acknowledged(self, tree):
        perms = ("applications.view_inquiry", "applications.add_inquiry", "applications.change_inquiry")
        first = make_user(tree.community_a1, *perms)
        second = make_user(tree.community_a1, *perms)
        inquiry = services.inquiry_create(
            actor=first, visitor_name="钱十", visitor_phone="13300133000", question="如何办理居住证？"
        )
        assert (
            inquiry.created_by == first
            and inquiry.owner == first
            and inquiry.visitor_phone_masked == "133****3000"
        )
        handover = services.inquiry_hand_over(
            actor=first, inquiry=inquiry, to_user=second, note="属流动人口业务"
        )
        inquiry.refresh_from_db()
        assert inquiry.owner == first and inquiry.status == InquiryStatus.HANDED_OVER
        assert "我负责的首问" in client_for(first).get("/workbench/").content.decode()
        with pytest.raises(ServiceError):
            services.inquiry_acknowledge(actor=first, handover=handover)
        with pytest.raises(ServiceError):
            services.inquiry_answer(actor=second, inquiry=inquiry, answer="x")
        client_for(second).post(f"/hall/staff/handovers/{handover.pk}/acknowledge/")
        inquiry.refresh_from_db()
        assert inquiry.owner == second and inquiry.status == InquiryStatus.OPEN
        services.inquiry_answer(actor=second, inquiry=inquiry, answer="携带材料到窗口办理")
        inquiry.refresh_from_db()
        assert inquiry.status == InquiryStatus.ANSWERED


class TestAgency:
    def test_agent_sees_the_enterprise_applications(self, clerk, tree):
        manager = make_user(
            tree.subdistrict_a, "applications.add_agencyassignment", "applications.view_agencyassignment"
        )
        agent = make_user(tree.community_a1, "applications.view_application")  # business staff
        item = make_item(tree.community_a1, audience=Audience.ENTERPRISE)
        uscc = make_uscc("110105", "12345678")
        services.agency_assign(
            actor=manager,
            org=tree.subdistrict_a,
            agent=agent,
            enterprise_name="星火科技有限公司",
            enterprise_uscc=uscc,
            project_name="新厂房建设",
        )
        application = services.application_register_walk_in(
            actor=clerk,
            item=item,
            applicant_name="法人甲",
            applicant_id_number="",
            applicant_phone="13800138000",
            enterprise_name="星火科技有限公司",
            enterprise_uscc=uscc,
            uploads=[services.Upload(file=pdf())],
        )
        other = walk_in(clerk, make_item(tree.community_a1))
        body = client_for(agent).get("/hall/staff/agency/mine/").content.decode()
        assert application.tracking_code in body and other.tracking_code not in body

    def test_the_same_credit_code_filed_in_another_sub_district_is_not_listed(self, clerk, tree):
        manager = make_user(
            tree.subdistrict_a, "applications.add_agencyassignment", "applications.view_agencyassignment"
        )
        agent = make_user(tree.community_a1, "applications.view_application")
        uscc = make_uscc("110105", "87654321")
        services.agency_assign(
            actor=manager,
            org=tree.subdistrict_a,
            agent=agent,
            enterprise_name="远方商贸有限公司",
            enterprise_uscc=uscc,
            project_name="门店开办",
        )
        other_clerk = make_user(tree.community_b1, *CLERK_PERMISSIONS)
        elsewhere = services.application_register_walk_in(
            actor=other_clerk,
            item=make_item(tree.community_b1, audience=Audience.ENTERPRISE),
            applicant_name="法人乙",
            applicant_id_number="",
            applicant_phone="13800138001",
            enterprise_name="远方商贸有限公司",
            enterprise_uscc=uscc,
            uploads=[services.Upload(file=pdf())],
        )
        assert not services.agency_applications(agent).exists()
        body = client_for(agent).get("/hall/staff/agency/mine/").content.decode()
        assert elsewhere.tracking_code not in body
