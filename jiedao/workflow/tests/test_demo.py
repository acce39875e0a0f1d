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
    assert sorted(ProcessDefinition.objects.values_list("key", flat=True)) == [
        "countersign",
        "dibao",
        "joint_review",
        "leave",
        "service_review",
    ]
    assert ProcessInstance.objects.count() == 2
    approver = User.objects.get(username="approver")
    todo = {t.name for t in selectors.todo_tasks(approver)}
    assert todo == {"部门负责人审批", "业务科室意见"}
    assert {t.name for t in selectors.todo_tasks(User.objects.get(username="supervisor"))} == {"纪检监察意见"}
    assert "已发布流程：请销假" in out.getvalue()
    # a community user of the other sub-district has nothing to start here
    from jiedao.workflow.services import startable_definitions

    assert startable_definitions(User.objects.get(username="shequ2").org) == []
    assert {d.key for d in startable_definitions(User.objects.get(username="shequ").org)} == {
        "leave",
        "joint_review",
        "countersign",
        "dibao",
        "service_review",
    }
