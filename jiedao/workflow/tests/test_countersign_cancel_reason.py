"""A 会签 decided before everyone signed tells the remaining signers why their copy was cancelled."""

from jiedao.core.testing import client_for
from jiedao.workflow import services
from jiedao.workflow.choices import HistoryAction, TaskStatus
from jiedao.workflow.models import TaskHistory, WorkTask
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.processes import complete


def countersign(people, rule):
    xml, forms = processes.shipped("countersign")
    xml = xml.replace('jiedao:completion="all"', f'jiedao:completion="{rule}"').replace(
        "orgrole:office-staff@subdistrict, orgrole:approver@subdistrict, orgrole:supervisor@subdistrict",
        "orgrole:office-staff@subdistrict",
    )
    processes.deploy(people, "countersign", xml=xml, forms=forms)
    return services.process_start(
        actor=people.applicant,
        definition_key="countersign",
        org=people.applicant.org,
        data={"title": "年度预算", "content": "请会签"},
    )


def reasons(instance) -> dict[str, str]:
    cancelled = WorkTask.objects.filter(instance=instance, element_id="sign", status=TaskStatus.CANCELLED)
    rows = TaskHistory.objects.filter(task__in=cancelled, action=HistoryAction.AUTO).select_related("task")
    return {row.task.assignee.username: row.opinion_text for row in rows}


def test_one_disagreement_under_all_must_approve(people):
    instance = countersign(people, "all")
    complete(instance, "sign", people.office1, {"outcome": "approve"})
    complete(instance, "sign", people.office2, {"outcome": "reject"})
    assert reasons(instance) == {"office3": "会签已有结果（office2 不同意，会签未通过），无需再签。"}
    task = WorkTask.objects.get(instance=instance, assignee=people.office3)
    page = client_for(people.office3).get(f"/workflow/tasks/{task.pk}/").content.decode()
    assert "会签已有结果（office2 不同意，会签未通过），无需再签。" in page
    assert "流程已向前推进，该任务自动取消。" not in page


def test_any_may_approve(people):
    instance = countersign(people, "any")
    complete(instance, "sign", people.office3, {"outcome": "approve"})
    assert reasons(instance) == {
        "office1": "会签已有结果（office3 同意后会签已通过），无需再签。",
        "office2": "会签已有结果（office3 同意后会签已通过），无需再签。",
    }
