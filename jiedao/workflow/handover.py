"""工作交接 of the workflow: the steps a person holds go to their successor; their 流程代理 settings end.

A step moves as by 转办 (the successor must be able to see the instance's org by their own roles, is not the
initiator on a step that is not the initiator's, and does not sign the same countersign twice); a step that
cannot go stays where it was and is named in the answer. Held means: assigned to or claimed by them, delegated
by them (they are its owner, the step comes back to them), or offered to them among others and not yet
claimed (their candidate slot). Each moved step gets a 转办 history row saying 工作交接 with the reason, and
the successor is told (`tasks_created`, the SMS reminders) of the steps that now wait for them.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from jiedao.audit import services as audit
from jiedao.core.handover import HandoverKind, LeftBehind, Moved, register
from jiedao.core.i18n import Message, for_record
from jiedao.workflow import audit_events as events
from jiedao.workflow import bpmn, engine
from jiedao.workflow.assignment import may_handle
from jiedao.workflow.choices import HistoryAction
from jiedao.workflow.models import ProcessInstance, TaskHistory, TaskProxy, WorkTask
from jiedao.workflow.proxies import today
from jiedao.workflow.selectors import held_condition
from jiedao.workflow.services import actor_name, announce_tasks, is_initiator_step


def open_tasks(user):
    return WorkTask.objects.filter(held_condition(user, delegated=True))


def count_tasks(user) -> int:
    return open_tasks(user).count()


def _why_not(task: WorkTask, to_user, *, candidate_already: set[int], signing: set) -> str | None:
    """Why `to_user` cannot take `task` over (the checks of 转办), or None."""
    instance = task.instance
    if not may_handle(to_user, instance.org):
        return _("接替人不能查看该流程（不在其管辖范围内）。")
    if (
        to_user.pk == instance.initiator_id
        and task.pk not in candidate_already
        and not is_initiator_step(bpmn.model_for(instance.definition), task.element_id)
    ):
        return _("接替人是该流程的发起人，不能办理（审批）这一环节。")
    if task.countersign and task.activation in signing:
        return _("接替人已是本会签的签署人。")
    return None


def move_tasks(*, actor, from_user, to_user, reason: str) -> Moved:
    """Move `from_user`'s open steps to `to_user` inside the caller's transaction: the instances are locked
    first (in id order, as every step locks its instance), then their rows are read, checked and written in
    bulk."""
    through = WorkTask.candidates.through
    instance_ids = sorted(set(open_tasks(from_user).values_list("instance_id", flat=True)))
    if not instance_ids:
        return Moved()
    instances = {
        instance.pk: instance
        for instance in ProcessInstance.objects.select_for_update(of=("self",))
        .select_related("definition", "org")
        .defer("definition__bpmn_xml")
        .filter(pk__in=instance_ids)
        .order_by("pk")
    }
    tasks = list(open_tasks(from_user).filter(instance_id__in=instance_ids).order_by("pk"))
    for task in tasks:
        task.instance = instances[task.instance_id]
    ids = [task.pk for task in tasks]
    candidate_already = set(
        through.objects.filter(user_id=to_user.pk, worktask_id__in=ids).values_list("worktask_id", flat=True)
    )
    groups = {task.activation for task in tasks if task.countersign}
    signing = (
        set(
            WorkTask.objects.filter(activation__in=groups)
            .filter(Q(assignee=to_user) | Q(completed_by=to_user))
            .values_list("activation", flat=True)
        )
        if groups
        else set()
    )
    moved: list[WorkTask] = []
    left: list[LeftBehind] = []
    for task in tasks:
        why = _why_not(task, to_user, candidate_already=candidate_already, signing=signing)
        if why is not None:
            left.append(LeftBehind.of("workflow.tasks", task, why, detail=task.name))
            continue
        # The step waits for the successor when it was the leaver's to act on (assigned, or their slot
        # among the candidates); a step they delegated waits for the delegate and only comes back later.
        task.waits_for_successor = task.owner_id != from_user.pk or task.assignee_id == from_user.pk
        if task.assignee_id == from_user.pk:
            task.assignee = to_user
        if task.owner_id == from_user.pk:
            task.owner = to_user
        task.version += 1
        task.updated_at = engine.now()
        moved.append(task)
    if not moved:
        return Moved(0, left)
    moved_ids = [task.pk for task in moved]
    WorkTask.objects.bulk_update(moved, ["assignee", "owner", "version", "updated_at"])
    through.objects.filter(user_id=from_user.pk, worktask_id__in=moved_ids).delete()
    through.objects.bulk_create(
        [through(worktask_id=pk, user_id=to_user.pk) for pk in moved_ids], ignore_conflicts=True
    )
    opinion, opinion_message = for_record(
        Message(
            gettext_noop("工作交接：%(from)s 的待办交由 %(to)s 办理（%(reason)s）。"),
            **{"from": actor_name(from_user), "to": actor_name(to_user), "reason": reason},
        )
    )
    moment = engine.now()
    detail = {
        "to": to_user.username,
        "to_name": actor_name(to_user),
        "from": from_user.username,
        "handover": True,
    }
    TaskHistory.objects.bulk_create(
        [
            TaskHistory(
                instance=task.instance,
                task=task,
                actor=actor,
                action=HistoryAction.TRANSFER,
                element_id=task.element_id,
                step_name=task.name,
                opinion=opinion,
                opinion_message=opinion_message,
                detail=detail,
                at=moment,
            )
            for task in moved
        ]
    )
    audit.record(
        events.TASKS_HANDED_OVER,
        actor=actor,
        target=from_user,
        message=reason[:500],
        after={
            "to_user": to_user.username,
            "tasks": moved_ids,
            "tasks_left": sorted(set(ids) - set(moved_ids)),
        },
    )
    waiting = [task for task in moved if task.waits_for_successor]
    for task in waiting:
        task.handlers = [to_user]
    if waiting:
        announce_tasks(*waiting)
    return Moved(len(moved), left)


def _running_proxies(user):
    return TaskProxy.objects.filter(
        Q(principal=user) | Q(proxy=user), cancelled_at__isnull=True, ends_on__gte=today()
    )


def count_proxies(user) -> int:
    return _running_proxies(user).count()


def cancel_proxies(*, actor, from_user, to_user=None, reason: str = "") -> Moved:
    """A proxy setting naming the person ends with their post: their successor holds their steps now, and a
    colleague away needs a proxy who is still there (the principal names a new one)."""
    settings = list(_running_proxies(from_user).select_for_update().order_by("pk"))
    if not settings:
        return Moved()
    moment = engine.now()
    TaskProxy.objects.filter(pk__in=[setting.pk for setting in settings]).update(cancelled_at=moment)
    for setting in settings:
        audit.record(events.PROXY_CANCELLED, actor=actor, target=setting, message=reason[:500])
    return Moved(len(settings))


register(
    HandoverKind(
        code="workflow.tasks", label=gettext_lazy("流程待办"), count=count_tasks, move=move_tasks, order=10
    )
)
register(
    HandoverKind(
        code="workflow.proxies",
        label=gettext_lazy("流程代理设置"),
        count=count_proxies,
        move=cancel_proxies,
        order=90,
        needs_successor=False,
    )
)
