"""Two window clerks (or a clerk and the applicant, or a clerk and a periodic job) acting on the same
application at the same moment, on PostgreSQL with real threads (`jiedao.workflow.tests.racing`).

Expected everywhere: exactly one wins, the other is told in Chinese, nothing is half-written or duplicated,
no database error reaches anybody, the audit chain verifies. Each pair runs in both orders (the second
request arriving while the first is being handled) and once released together.

Both clerks' pages send the status they showed (`expected_status`), as the staff pages and the API do.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest

from jiedao.applications import processing, services
from jiedao.applications.choices import (
    ApplicationStatus,
    EventAction,
    Outcome,
    RatingChannel,
    RatingLevel,
)
from jiedao.applications.models import (
    Application,
    ApplicationEvent,
    ExtensionRequest,
    Objection,
    ObjectionTask,
    PublicNotice,
    Rating,
    WrittenNotice,
)
from jiedao.applications.tests import factories, test_processing
from jiedao.applications.tests.test_processing import Hall, _complete, _open
from jiedao.core.testing import make_user
from jiedao.sms.models import OutboundMessage
from jiedao.timelimits.models import Clock
from jiedao.workflow import demo as workflow_demo
from jiedao.workflow import services as workflow
from jiedao.workflow.choices import InstanceStatus
from jiedao.workflow.models import ProcessInstance
from jiedao.workflow.tests.racing import (
    assert_chain_verifies,
    at_once,
    both_orders,
    one_during_the_other,
    require_postgresql,
    run,
    winner,
)

pytestmark = pytest.mark.django_db(transaction=True)

hall, clock = (
    test_processing.hall,
    test_processing.clock,
)  # the service-review fixtures, shared


@pytest.fixture(autouse=True)
def _postgresql_only():
    require_postgresql()


@pytest.fixture
def clerks(tree):
    perms = (*factories.CLERK_PERMISSIONS, "applications.extend_application")
    first = make_user(tree.community_a1, *perms, username="clerk1")
    second = make_user(tree.community_a1, *perms, username="clerk2")
    return first, second


@pytest.fixture
def item(tree):
    return factories.make_item(tree.community_a1)


def fresh(application: Application) -> Application:
    """The application as a page loaded now shows it."""
    return Application.objects.get(pk=application.pk)


def status(application) -> str:
    return Application.objects.get(pk=application.pk).status


def events_of(application, *actions) -> int:
    return ApplicationEvent.objects.filter(application=application, action__in=actions).count()


def bad_status(now: str, doing: str) -> tuple[str, str]:
    return ("refused", f"该办件当前状态为“{now}”，不能{doing}。")


# --- acceptance ---------------------------------------------------------------------------------------------


def test_two_clerks_accept_the_same_application(clerks, item):
    one, two = clerks
    for runner, order in both_orders("clerk1", "clerk2"):
        application = factories.submit(factories.make_resident(), item)
        calls = {
            "clerk1": partial(services.application_accept, actor=one, application=fresh(application)),
            "clerk2": partial(services.application_accept, actor=two, application=fresh(application)),
        }
        results = run(runner, order, calls)
        won = winner(results)
        if runner is one_during_the_other:
            assert won == order[0]
        lost = "clerk2" if won == "clerk1" else "clerk1"
        assert results[lost] == bad_status("已受理，办理中", "受理")
        assert status(application) == ApplicationStatus.ACCEPTED
        assert events_of(application, EventAction.ACCEPTED) == 1
        assert (
            Clock.objects.filter(object_id=str(application.pk), kind="applications.application").count() == 1
        )
        assert WrittenNotice.objects.filter(application=application, kind="acceptance").count() == 1
        assert OutboundMessage.objects.filter(purpose="applications.accepted").count() == len(
            ApplicationEvent.objects.filter(action=EventAction.ACCEPTED)
        )  # one acceptance SMS per application
    assert_chain_verifies()


def test_one_clerk_accepts_while_another_rejects(clerks, item):
    one, two = clerks
    for runner, order in both_orders("accept", "reject"):
        application = factories.submit(factories.make_resident(), item)
        calls = {
            "accept": partial(services.application_accept, actor=one, application=fresh(application)),
            "reject": partial(
                services.application_reject,
                actor=two,
                application=fresh(application),
                reason="材料不全",
            ),
        }
        results = run(runner, order, calls)
        won = winner(results)
        if won == "accept":
            assert results["reject"] == bad_status("已受理，办理中", "不予受理")
            assert status(application) == ApplicationStatus.ACCEPTED
        else:
            assert results["accept"] == bad_status("不予受理", "受理")
            assert status(application) == ApplicationStatus.REJECTED
    assert_chain_verifies()


def test_one_clerk_accepts_while_another_asks_for_corrections(clerks, item):
    """Clerk 1 finds the materials complete and accepts; clerk 2, looking at the same submitted application,
    finds them incomplete and asks for corrections. The applicant must not be told both "已受理" and "需补正":
    one decision stands, the other clerk is told the application changed under them."""
    one, two = clerks
    for runner, order in both_orders("accept", "correction"):
        application = factories.submit(factories.make_resident(), item)
        calls = {
            "accept": partial(
                services.application_accept,
                actor=one,
                application=fresh(application),
                expected_status=ApplicationStatus.SUBMITTED,
            ),
            "correction": partial(
                services.application_request_correction,
                actor=two,
                application=fresh(application),
                items=["身份证复印件不清晰"],
                expected_status=ApplicationStatus.SUBMITTED,
            ),
        }
        results = run(runner, order, calls)
        won = winner(results)
        lost = "correction" if won == "accept" else "accept"
        now = "已受理，办理中"
        if lost == "correction":
            assert results[lost] == (
                "refused",
                f"该办件已由他人处理，当前状态为“{now}”，请刷新页面后再操作。",
            )
        assert (
            OutboundMessage.objects.filter(
                purpose__in=("applications.accepted", "applications.correction_requested"),
                body__contains=application.tracking_code,
            ).count()
            == 1
        )
        assert events_of(application, EventAction.ACCEPTED, EventAction.CORRECTION_REQUESTED) == 1
    assert_chain_verifies()


def test_one_clerk_rejects_while_another_asks_for_corrections(clerks, item):
    one, two = clerks
    for runner, order in both_orders("reject", "correction"):
        application = factories.submit(factories.make_resident(), item)
        calls = {
            "reject": partial(
                services.application_reject,
                actor=one,
                application=fresh(application),
                reason="不属于本单位受理",
                expected_status=ApplicationStatus.SUBMITTED,
            ),
            "correction": partial(
                services.application_request_correction,
                actor=two,
                application=fresh(application),
                items=["缺少户口簿"],
                expected_status=ApplicationStatus.SUBMITTED,
            ),
        }
        results = run(runner, order, calls)
        assert winner(results) in ("reject", "correction")
        assert events_of(application, EventAction.REJECTED, EventAction.CORRECTION_REQUESTED) == 1
    assert_chain_verifies()


def test_two_clerks_ask_for_corrections_at_once(clerks, item):
    one, two = clerks
    for runner, order in both_orders("clerk1", "clerk2"):
        application = factories.submit(factories.make_resident(), item)
        calls = {
            name: partial(
                services.application_request_correction,
                actor=actor,
                application=fresh(application),
                items=[f"{name} 的补正意见"],
            )
            for name, actor in (("clerk1", one), ("clerk2", two))
        }
        results = run(runner, order, calls)
        won = winner(results)
        lost = "clerk2" if won == "clerk1" else "clerk1"
        assert results[lost] == bad_status("待补正材料", "告知补正")
        assert fresh(application).correction_items == [f"{won} 的补正意见"]
        assert WrittenNotice.objects.filter(application=application, kind="correction").count() == 1
    assert_chain_verifies()


def test_the_deemed_acceptance_job_runs_while_a_clerk_accepts(clerks, item):
    one, _two = clerks
    received = factories.local(2026, 9, 1)  # a Tuesday: five working days have long passed
    job_time = factories.local(2026, 9, 21)
    for runner, order in both_orders("clerk", "job"):
        application = factories.submit(factories.make_resident(), item, at=received)
        calls = {
            "clerk": partial(services.application_accept, actor=one, application=fresh(application)),
            "job": partial(services.deemed_acceptance_run, now=job_time),
        }
        results = run(runner, order, calls)
        assert results["job"][0] == "ok"
        assert status(application) == ApplicationStatus.ACCEPTED
        assert events_of(application, EventAction.ACCEPTED, EventAction.DEEMED_ACCEPTED) == 1
        assert (
            Clock.objects.filter(object_id=str(application.pk), kind="applications.application").count() == 1
        )
        if results["clerk"][0] == "ok":
            assert results["job"][1] == 0
        else:
            assert results["job"][1] == 1
            assert results["clerk"] == bad_status("已受理，办理中", "受理")
    assert_chain_verifies()


# --- the applicant and staff ---------------------------------------------------------------------------------


def test_the_applicant_resubmits_while_staff_reject(clerks, item):
    one, _two = clerks
    for runner, order in both_orders("resubmit", "reject"):
        resident = factories.make_resident()
        application = factories.submit(resident, item)
        services.application_accept(actor=one, application=application)
        services.application_request_correction(actor=one, application=application, items=["缺少收入证明"])
        materials_before = application.materials.count()
        calls = {
            "resubmit": partial(
                services.application_resubmit,
                application=fresh(application),
                uploads=factories.uploads(factories.pdf("收入证明.pdf")),
                resident=resident,
            ),
            "reject": partial(
                services.application_reject,
                actor=one,
                application=fresh(application),
                reason="逾期未补正",
            ),
        }
        results = run(runner, order, calls)
        won = winner(results)
        if won == "resubmit":
            assert results["reject"] == bad_status("已受理，办理中", "不予受理")
            assert status(application) == ApplicationStatus.ACCEPTED
            assert application.materials.count() == materials_before + 1
        else:
            assert results["resubmit"] == bad_status("不予受理", "补正提交")
            assert status(application) == ApplicationStatus.REJECTED
            assert application.materials.count() == materials_before  # nothing half-attached
    assert_chain_verifies()


def test_two_ratings_at_once(clerks, item):
    one, _two = clerks
    for runner, order in both_orders("online", "window"):
        resident = factories.make_resident()
        application = factories.submit(resident, item)
        services.application_accept(actor=one, application=application)
        services.application_conclude(
            actor=one, application=application, outcome=Outcome.APPROVED, text="准予"
        )
        token = services.rating_link_for_window(fresh(application))
        calls = {
            "online": partial(
                services.rating_submit,
                application=fresh(application),
                level=RatingLevel.VERY_SATISFIED,
                resident=resident,
            ),
            "window": partial(  # the 评价器 at the window, by the application's link
                services.rating_by_link,
                token=token,
                level=RatingLevel.VERY_SATISFIED,
                channel=RatingChannel.PAD,
            ),
        }
        results = run(runner, order, calls)
        won = winner(results)
        lost = "window" if won == "online" else "online"
        assert results[lost] == ("refused", "该办件已评价，不能重复评价。")
        assert Rating.objects.filter(application=application).count() == 1
        assert events_of(application, EventAction.RATED) == 1
    assert_chain_verifies()


# --- the same walk-in registered twice -----------------------------------------------------------------------


def test_the_same_walk_in_registered_twice_from_two_tabs(clerks, item):
    """A double click on 登记 (or the form sent again from a second tab) must not file the visitor's request
    twice: the duplicate check of `application_register_walk_in` runs without any lock, so both requests
    pass it and both create an application (two tracking codes, two receipts)."""
    one, _two = clerks
    for serial, (runner, order) in enumerate(both_orders("tab1", "tab2")):
        number = factories.make_id_number("110105", dt.date(1975, 5, 5), 100 + serial)

        def register(number=number):
            return services.application_register_walk_in(
                actor=one,
                item=item,
                applicant_name="李四",
                applicant_id_number=number,
                applicant_phone="13800138000",
                uploads=factories.uploads(),
            )

        results = run(runner, order, {"tab1": register, "tab2": register})
        won = winner(results)
        lost = "tab2" if won == "tab1" else "tab1"
        code = results[won][1].tracking_code
        assert results[lost] == (
            "refused",
            f"该申请人已有一件“{item.name}”的申请正在办理（查询码 {code}），请勿重复登记；补充材料请在该办件中收取。",
        )
        assert Application.objects.filter(item=item, applicant_name="李四").count() == serial + 1
    assert_chain_verifies()


def test_the_same_online_application_sent_from_two_tabs(item):
    """The online path locks the resident's row: one application (the reference for the walk-in above)."""
    resident = factories.make_resident()
    for runner, order in both_orders("tab1", "tab2"):
        Application.objects.filter(resident=resident).update(status=ApplicationStatus.WITHDRAWN)
        calls = {name: partial(factories.submit, resident, item) for name in ("tab1", "tab2")}
        results = run(runner, order, calls)
        winner(results)
        assert Application.objects.filter(resident=resident, status=ApplicationStatus.SUBMITTED).count() == 1
    assert_chain_verifies()


# --- conclusion, extension, suspension with a process --------------------------------------------------------


@pytest.fixture
def review(hall: Hall):
    """The generic service review (初审 → 部门审核 → 领导审批, which concludes), accepted and at its last step,
    with an extension requested by the window and a second leader who may approve it."""
    xml, forms = workflow_demo.shipped("service_review")
    workflow.definition_deploy_xml(
        actor=hall.deployer, org=hall.tree.subdistrict_a, bpmn_xml=xml, forms=forms
    )
    item = factories.make_item(hall.tree.subdistrict_a, process_key="service_review")
    extend = ("applications.extend_application",)
    window = make_user(
        hall.tree.subdistrict_a,
        *factories.CLERK_PERMISSIONS,
        *extend,
        username="window2",
    )
    approver_of_extensions = make_user(
        hall.tree.subdistrict_a,
        "applications.view_application",
        "applications.approve_extension",
        username="leader2",
    )

    def make():
        application = factories.submit(factories.make_resident(), item)
        services.application_accept(actor=hall.window, application=application)
        instance = processing.instance_for(application)
        _complete(
            instance,
            "precheck",
            hall.window,
            {"outcome": "approve", "opinion": "材料齐全"},
        )
        _complete(
            instance,
            "department_review",
            hall.approver,
            {"outcome": "approve", "opinion": "符合条件"},
        )
        services.application_extension_request(
            actor=window, application=fresh(application), days=5, reason="需要现场核查"
        )
        return application, instance

    return make, window, approver_of_extensions


def test_the_process_concludes_while_a_leader_approves_the_extension(hall, review):
    make, _window, leader2 = review
    for runner, order in both_orders("conclude", "extend"):
        application, instance = make()
        [last] = _open(instance, "leader_approval")
        calls = {
            "conclude": partial(
                workflow.task_complete,
                actor=hall.leader,
                task=last,
                form_data={"outcome": "approve", "opinion": "同意"},
            ),
            "extend": partial(
                services.application_extension_decide,
                actor=leader2,
                application=fresh(application),
                approve=True,
            ),
        }
        results = run(runner, order, calls)
        assert results["conclude"][0] == "ok", results
        application.refresh_from_db()
        assert application.status == ApplicationStatus.CONCLUDED_APPROVED
        extension = ExtensionRequest.objects.get(application=application)
        if results["extend"][0] == "ok":
            assert extension.status == "approved"
        else:
            # concluded first: the request lapsed with it, and the leader is told so
            assert extension.status == "lapsed"
            assert results["extend"] == ("refused", "该办件已办结（准予），延长时限申请已随之失效。")
        assert ProcessInstance.objects.get(pk=instance.pk).status == InstanceStatus.COMPLETED
    assert_chain_verifies()


def test_a_clerk_suspends_while_the_last_step_concludes(hall, review):
    make, window, _leader2 = review
    for runner, order in both_orders("conclude", "suspend"):
        application, instance = make()
        [last] = _open(instance, "leader_approval")
        calls = {
            "conclude": partial(
                workflow.task_complete,
                actor=hall.leader,
                task=last,
                form_data={"outcome": "approve", "opinion": "同意"},
            ),
            "suspend": partial(
                services.application_suspend,
                actor=window,
                application=fresh(application),
                reason="等待司法鉴定",
            ),
        }
        results = run(runner, order, calls)
        won = winner(results)
        if won == "conclude":
            assert results["suspend"] == bad_status("办结（准予）", "中止办理")
            assert status(application) == ApplicationStatus.CONCLUDED_APPROVED
        else:
            assert results["conclude"][1].startswith("流程已挂起（办件中止办理：等待司法鉴定）")
            assert status(application) == ApplicationStatus.SUSPENDED
            assert ProcessInstance.objects.get(pk=instance.pk).status == InstanceStatus.SUSPENDED
    assert_chain_verifies()


# --- objections ------------------------------------------------------------------------------------------------


@pytest.fixture
def notice(clerks, item):
    one, _two = clerks
    item.publishes_result = True
    item.save()
    application = factories.submit(factories.make_resident(), item)
    services.application_accept(actor=one, application=application)
    services.application_conclude(actor=one, application=application, outcome=Outcome.APPROVED, text="准予")
    return PublicNotice.objects.get(application=application)


def object_(notice, name, phone, content, ip):
    return partial(
        services.objection_file,
        notice=notice,
        name=name,
        phone=phone,
        content=content,
        ip=ip,
    )


def test_two_residents_object_at_once(notice):
    results = at_once(
        zhao=object_(notice, "赵六", "13700000001", "申请人家中有商铺出租。", "10.0.0.1"),
        qian=object_(notice, "钱七", "13700000002", "申请人有车辆。", "10.0.0.2"),
    )
    assert all(kind == "ok" for kind, _value in results.values()), results
    assert Objection.objects.filter(notice=notice).count() == 2
    assert ObjectionTask.objects.filter(objection__notice=notice).count() == 2
    assert_chain_verifies()


def test_the_same_objection_sent_twice_by_a_double_click(notice):
    """The same person, the same words, twice at once: one objection for staff to answer (and one SMS back
    later), as the hall does for a double-clicked application."""
    for serial, (runner, order) in enumerate(both_orders("click1", "click2")):
        words = f"申请人家中有商铺出租（第 {serial + 1} 次核实）。"
        same = object_(notice, "赵六", "13700000001", words, f"10.0.1.{serial}")
        results = run(runner, order, {"click1": same, "click2": same})
        winner(results)
        assert Objection.objects.filter(notice=notice, content=words).count() == 1


def test_an_objection_in_the_last_moment_of_the_notice_period_is_weighed(hall, clock):
    """An objection filed within the 公示期 reaches the decision even when the period's timer fires while it
    is being saved. Today the process counts the objections it can see (`check_objections`, no lock): the
    objection, committed a moment later, is left out and the application is approved over it."""
    application, instance = test_processing._verified_and_reviewed(hall)
    notice = PublicNotice.objects.get(application=application)
    results = one_during_the_other(
        objection=partial(
            services.objection_file,
            notice=notice,
            name="赵六",
            phone="13700000001",
            content="申请人家中有经营性商铺出租收入。",
            ip="10.0.3.1",
            now=notice.ends_at - dt.timedelta(seconds=1),
        ),
        sweep=partial(workflow.fire_due_timers, now=notice.ends_at + dt.timedelta(minutes=1)),
    )
    assert results["objection"][0] == "ok" and results["sweep"][0] == "ok"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED  # not approved over the objection
    assert [t.element_id for t in _open(instance)] == ["objection_review"]
    assert_chain_verifies()
