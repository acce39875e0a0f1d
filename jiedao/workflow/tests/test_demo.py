import io

from jiedao.accounts.models import User
from jiedao.core import demo as core_demo
from jiedao.workflow import demo, selectors
from jiedao.workflow.models import ProcessDefinition, ProcessInstance


def test_demo_is_idempotent_and_fills_the_inboxes(db):
    core_demo.load()
    out = io.StringIO()
    demo.load(stdout=out)
    demo.load(stdout=out)
    deployed = set(ProcessDefinition.objects.values_list("org__name", "key"))
    assert deployed == {
        ("清波街道", "countersign"),
        ("清波街道", "dibao"),
        ("清波街道", "joint_review"),
        ("清波街道", "leave"),
        ("清波街道", "service_review"),
        ("望江街道", "dibao"),  # by its own 党政办; no 纪检监察 there, so no joint review
        ("望江街道", "service_review"),
    }
    assert ProcessInstance.objects.count() == 2
    approver = User.objects.get(username="approver")
    todo = {t.name for t in selectors.todo_tasks(approver)}
    assert todo == {"部门负责人审批", "业务科室意见"}
    assert {t.name for t in selectors.todo_tasks(User.objects.get(username="supervisor"))} == {"纪检监察意见"}
    assert "已发布流程：清波街道 请销假" in out.getvalue()
    # a community of the other sub-district starts its own sub-district's processes, not 清波's
    from jiedao.workflow.services import deployed_definitions, startable_definitions

    other = deployed_definitions(User.objects.get(username="shequ2").org)
    assert {(d.org.name, d.key) for d in other} == {("望江街道", "dibao"), ("望江街道", "service_review")}
    assert {d.key for d in deployed_definitions(User.objects.get(username="shequ").org)} == {
        "leave",
        "joint_review",
        "countersign",
        "dibao",
        "service_review",
    }
    # 低保 and the service review run on applications: nobody starts them from 发起流程.
    assert {d.key for d in startable_definitions(User.objects.get(username="shequ").org)} == {
        "leave",
        "joint_review",
        "countersign",
    }
