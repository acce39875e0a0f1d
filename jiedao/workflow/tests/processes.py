"""Helpers for the workflow tests: the shipped processes, deploying, finding and completing tasks."""

from __future__ import annotations

import json
from pathlib import Path

from jiedao.workflow import services
from jiedao.workflow.choices import OPEN_TASK_STATUSES
from jiedao.workflow.models import ProcessInstance, WorkTask
from jiedao.workflow.tests.builder import Bpmn

PROCESSES = Path(__file__).resolve().parent.parent / "processes"

APPROVE_FORM = {
    "type": "default",
    "components": [
        {
            "type": "radio",
            "key": "outcome",
            "label": "审批意见",
            "values": [{"label": "同意", "value": "approve"}, {"label": "不同意", "value": "reject"}],
            "validate": {"required": True},
        }
    ],
}


def form_of(**fields: str) -> dict:
    """A form-js schema with optional fields, key=type (number, textfield, checklist), for a test process
    whose conditions read them: deploy refuses a condition on a variable no form fills."""
    components = []
    for key, kind in fields.items():
        component = {"type": kind, "key": key, "label": key}
        if kind == "checklist":
            component["values"] = [{"label": v, "value": v} for v in ("house", "aid", "other")]
        components.append(component)
    return {"type": "default", "components": components}


def shipped(name: str) -> tuple[str, dict]:
    xml = (PROCESSES / f"{name}.bpmn").read_text(encoding="utf-8")
    forms = json.loads((PROCESSES / f"{name}.forms.json").read_text(encoding="utf-8"))
    return xml, forms


def deploy(people, name: str, *, org=None, xml: str | None = None, forms: dict | None = None):
    if xml is None:
        xml, shipped_forms = shipped(name)
        forms = shipped_forms if forms is None else forms
    return services.definition_deploy_xml(
        actor=people.deployer, org=org or people.tree.subdistrict_a, bpmn_xml=xml, forms=forms or {}
    )


def open_tasks(instance: ProcessInstance, element_id: str | None = None) -> list[WorkTask]:
    tasks = WorkTask.objects.filter(instance=instance, status__in=OPEN_TASK_STATUSES).order_by("id")
    if element_id:
        tasks = tasks.filter(element_id=element_id)
    return list(tasks)


def task_for(instance: ProcessInstance, element_id: str, user=None) -> WorkTask:
    tasks = open_tasks(instance, element_id)
    if user is not None:
        tasks = [
            t
            for t in tasks
            if t.assignee_id == user.pk or (t.assignee_id is None and user in t.candidates.all())
        ]
    assert tasks, f"no open task {element_id} for {user}: open {[t.element_id for t in open_tasks(instance)]}"
    return tasks[0]


def complete(instance: ProcessInstance, element_id: str, user, data=None, opinion=""):
    task = task_for(instance, element_id, user)
    services.task_complete(actor=user, task=task, form_data=data or {}, opinion=opinion)
    instance.refresh_from_db()
    return task


LEAVE = {"leave_type": "personal", "start_date": "2026-10-12", "days": 2, "reason": "家中有事"}


def start_leave(people, *, days=2, applicant=None) -> ProcessInstance:
    applicant = applicant or people.applicant
    instance = services.process_start(actor=applicant, definition_key="leave", org=applicant.org, data={})
    complete(instance, "apply", applicant, {**LEAVE, "days": days})
    return instance


def steps(instance: ProcessInstance) -> list[str]:
    return [t.element_id for t in open_tasks(instance)]


def start_urgent(people, *, escalate_after: str) -> ProcessInstance:
    """经办 by an approver, whose interrupting timer (ISO duration) hands the matter to 领导督办."""
    if not services.resolve_definition("urgent", people.applicant.org):
        xml = (
            Bpmn("urgent", "紧急事项")
            .start()
            .user("handle", "经办", groups="role:approver")
            .timer("late", "handle", "超时上报", duration=escalate_after)
            .user("escalate", "领导督办", groups="role:subdistrict-leader")
            .end()
            .end("end2")
            .chain("start", "handle", "end")
            .chain("late", "escalate", "end2")
            .xml()
        )
        deploy(people, "urgent", xml=xml, forms={})
    return services.process_start(actor=people.applicant, definition_key="urgent", org=people.applicant.org)
