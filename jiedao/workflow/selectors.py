"""Reads shared by the inbox page, the API and the home panel."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from jiedao.core.scope import has_permission
from jiedao.workflow import formschema
from jiedao.workflow.choices import OPEN_TASK_STATUSES, DefinitionStatus, HistoryAction, TaskStatus
from jiedao.workflow.models import CarbonCopy, ProcessDefinition, ProcessInstance, TaskHistory, WorkTask

BOXES = ("todo", "done", "started", "cc")


def held_condition(user, *, delegated: bool = False) -> Q:
    """The open steps `user` holds: assigned to them, or unclaimed with them among the candidates (their
    待办); with `delegated`, also those they delegated (委派), which come back to them to decide. The one
    definition the inbox, the pages a step opens, 抄送, 流程代理 and 工作交接 share."""
    held = Q(assignee_id=user.pk) | Q(assignee__isnull=True, pk__in=_candidate_ids(user))
    if delegated:
        held |= Q(owner_id=user.pk)
    return Q(status__in=OPEN_TASK_STATUSES) & held


def handled_condition(user) -> Q:
    """The steps `user` completed (已办; a step they sent back counts)."""
    return Q(completed_by_id=user.pk, status=TaskStatus.COMPLETED)


def todo_condition(user) -> Q:
    """The user's 待办: the open steps they hold, and those they delegated (委派) — still theirs to decide
    once handled, so they stay in the list (marked 已委派给…) rather than vanish until they come back."""
    return held_condition(user, delegated=True)


def todo_tasks(user) -> QuerySet[WorkTask]:
    """Open tasks the user may act on (assigned to them, or unclaimed with them among the candidates), and
    those they delegated and wait for (see `todo_condition`)."""
    return WorkTask.objects.filter(todo_condition(user))


def _candidate_ids(user):
    return WorkTask.candidates.through.objects.filter(user_id=user.pk).values("worktask_id")


def done_tasks(user) -> QuerySet[WorkTask]:
    return WorkTask.objects.filter(handled_condition(user))


def started_instances(user) -> QuerySet[ProcessInstance]:
    return ProcessInstance.objects.filter(initiator_id=user.pk)


def copies(user) -> QuerySet[CarbonCopy]:
    return CarbonCopy.objects.filter(recipient_id=user.pk)


_COUNTERS = {
    "todo": lambda user: todo_tasks(user).count(),
    "done": lambda user: done_tasks(user).count(),
    "started": lambda user: started_instances(user).count(),
    "cc": lambda user: copies(user).filter(read_at__isnull=True).count(),
}


def counts(user) -> dict[str, int]:
    return {box: counter(user) for box, counter in _COUNTERS.items()}


def request_count(user, box: str) -> int:
    """One box's count, counted once per request: the sidebar (to do, unread copies), the home panel and
    the inbox tabs all ask on the same page (the user object lives as long as the request)."""
    cache = user.__dict__.setdefault("_inbox_counts", {})
    if box not in cache:
        cache[box] = _COUNTERS[box](user)
    return cache[box]


def request_counts(user) -> dict[str, int]:
    return {box: request_count(user, box) for box in BOXES}


def filtered_counts(user, *, q: str = "", key: str = "") -> dict[str, int]:
    """The inbox tabs' counts under the list's filter (title words `q`, process `key`): what each tab would
    list, unread copies for 抄送. Unfiltered, the request's counts (shared with the sidebar). Filtered, three
    queries: to do and done together, started, copies."""
    if not q and not key:
        return request_counts(user)

    def narrow(queryset, prefix: str):
        if q:
            queryset = queryset.filter(**{f"{prefix}title__icontains": q})
        if key:
            queryset = queryset.filter(**{f"{prefix}definition__key": key})
        return queryset

    todo, done = todo_condition(user), handled_condition(user)
    tasks = narrow(WorkTask.objects.filter(todo | done), "instance__").aggregate(
        todo=Count("pk", filter=todo), done=Count("pk", filter=done)
    )
    return {
        "todo": tasks["todo"],
        "done": tasks["done"],
        "started": narrow(started_instances(user), "").count(),
        "cc": narrow(copies(user).filter(read_at__isnull=True), "instance__").count(),
    }


def involved_tasks(user) -> QuerySet[WorkTask]:
    """Tasks the user handles, handled, may handle, or delegated."""
    return WorkTask.objects.filter(
        Q(assignee_id=user.pk)
        | Q(completed_by_id=user.pk)
        | Q(owner_id=user.pk)
        | Q(pk__in=_candidate_ids(user))
    )


def tasks_for(user) -> QuerySet[WorkTask]:
    """Tasks a user may open: their own (see `involved_tasks`), and, with ``workflow.view_worktask``, the
    tasks within their data scope."""
    own = Q(pk__in=involved_tasks(user).values("pk"))
    if has_permission(user, "workflow.view_worktask"):
        own |= Q(pk__in=WorkTask.objects.visible_to(user, "view").values("pk"))
    return WorkTask.objects.filter(own)


def taking_part(user) -> Q:
    """The instances `user` takes part in: started, have or had a task (a candidate's included), delegated
    one, received a copy."""
    return (
        Q(initiator_id=user.pk)
        | Exists(involved_tasks(user).filter(instance_id=OuterRef("pk")))
        | Exists(CarbonCopy.objects.filter(recipient_id=user.pk, instance_id=OuterRef("pk")))
    )


def instances_for(user) -> QuerySet[ProcessInstance]:
    """Instances a user may open: within the data scope of ``workflow.view_processinstance`` (a confidential
    process's only for its process administrators, see `ProcessInstanceQuerySet.visible_to`), or those they
    take part in."""
    scoped = ProcessInstance.objects.visible_to(user, "view")
    return ProcessInstance.objects.filter(taking_part(user) | Q(pk__in=scoped.values("pk")))


def takes_part_in_process(user, model) -> Exists:
    """True for the rows of `model` (matched on ``OuterRef("pk")``) a process handles in which `user` holds
    an open step (assigned, delegated by them, or unclaimed with them among the candidates: what their 待办
    lists) or completed one (已办). One EXISTS, for a page about one record: read per row, it is no filter
    for a list of thousands."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import CharField
    from django.db.models.functions import Cast

    steps = WorkTask.objects.filter(
        instance__content_type=ContentType.objects.get_for_model(model),
        instance__object_id=Cast(OuterRef("pk"), CharField()),
    )
    return Exists(steps.filter(held_condition(user, delegated=True) | handled_condition(user)))


def business_object_for(user, instance: ProcessInstance):
    """The record the instance handles (a service-hall application), if `user` may open its own page; else
    None, and the step's summary shows no links that would answer 404. A model whose records are opened by
    more than their scope (an application, by those taking part in its process) says so with a
    ``readable_by(user)`` queryset method; otherwise the scope of ``view`` decides."""
    target = instance.business_object
    if target is None:
        return None
    manager = type(target)._default_manager
    if hasattr(manager, "readable_by"):
        readable = manager.readable_by(user)
    elif hasattr(manager, "visible_to"):
        readable = manager.visible_to(user, "view")
    else:
        return None
    return target if readable.filter(pk=target.pk).exists() else None


def assignable_roles() -> list[dict[str, str]]:
    """The roles a designer may name as a step's candidate group: active, and none of the three separated
    admin duties (their holders do no business, see `assignment.may_handle`)."""
    from jiedao.accounts.models import Role

    rows = Role.objects.filter(is_active=True, admin_duty="").order_by("name").values_list("code", "name")
    return [{"code": code, "name": name} for code, name in rows]


def definitions_for(user) -> QuerySet[ProcessDefinition]:
    """Definitions within the data scope of ``workflow.view_processdefinition``, plus the deployed ones of the
    user's node and its ancestors (those the user may start)."""
    nodes = [user.org_id, *[int(p) for p in user.org.path.split(".") if p]]
    scoped = ProcessDefinition.objects.visible_to(user, "view")
    return ProcessDefinition.objects.filter(
        Q(pk__in=scoped.values("pk")) | Q(org_id__in=nodes, status=DefinitionStatus.DEPLOYED)
    )


def diagram_state(instance: ProcessInstance) -> dict[str, list[str]]:
    """What the instance's diagram highlights: the elements and flows passed, and where it stands now."""
    from jiedao.workflow import bpmn, engine

    if not instance.state:
        return {"completed": [], "active": [], "flows": []}
    model = bpmn.model_for(instance.definition)
    workflow = engine.restore(instance.state, model)
    # The tree forgets steps undone by a return; the history does not.
    handled = list(
        instance.tasks.filter(status=TaskStatus.COMPLETED)
        .order_by("completed_at", "id")
        .values_list("element_id", flat=True)
    )
    completed = list(dict.fromkeys([*engine.completed_elements(workflow), *handled]))
    active = (
        [] if workflow.is_completed() else [t.task_spec.bpmn_id for t in engine.ready_user_tasks(workflow)]
    )
    # Intermediate timers are where the process waits; boundary timers only watch the task they sit on.
    active += [
        t.task_spec.bpmn_id
        for t in engine.waiting_timers(workflow)
        if model.element(t.task_spec.bpmn_id) and model.element(t.task_spec.bpmn_id).type != "boundaryEvent"
    ]
    taken = _taken_pairs(workflow)
    flows = [f.id for f in model.flows.values() if (f.source, f.target) in taken]
    return {"completed": completed, "active": list(dict.fromkeys(active)), "flows": flows}


def diagram_steps(instance: ProcessInstance, state: dict[str, list[str]]) -> dict[str, list[str]]:
    """The diagram's colours in words, for a screen reader and for anyone who cannot tell green from orange
    (WCAG 1.1.1, 1.4.1): the named steps passed, in the order they completed, and where the process stands.
    Gateways are left out (their names are questions such as "是否同意"), as are unnamed elements."""
    from jiedao.workflow import bpmn

    model = bpmn.model_for(instance.definition)

    def names(ids: list[str]) -> list[str]:
        elements = [model.element(element_id) for element_id in ids]
        named = [e.name for e in elements if e is not None and e.name and not e.type.endswith("Gateway")]
        return list(dict.fromkeys(named))

    return {"passed": names(state["completed"]), "current": names(state["active"])}


def _taken_pairs(workflow) -> set[tuple[str, str]]:
    """(source, target) element pairs the engine actually went along: a task the engine created (not one
    it only predicted) hangs from the task whose completion created it. A gateway's children are only
    those of the branch its condition chose, so a flow is not lit just because both its ends were passed
    on other paths (the head's 不同意 flow when the leader refused). Engine-internal tasks (a boundary
    event's split and join) are skipped; a parallel join's earlier arrivals count too."""
    from SpiffWorkflow.specs.Join import Join
    from SpiffWorkflow.util.task import TaskState

    created = TaskState.COMPLETED | TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
    pairs: set[tuple[str, str]] = set()
    for task in workflow.get_tasks():
        target = getattr(task.task_spec, "bpmn_id", None)
        if not target:
            continue
        if not task.has_state(created) and not (
            isinstance(task.task_spec, Join) and task.has_state(TaskState.CANCELLED)
        ):
            continue
        parent = task.parent
        while parent is not None and not getattr(parent.task_spec, "bpmn_id", None):
            parent = parent.parent
        if parent is not None and parent.has_state(TaskState.COMPLETED):
            pairs.add((parent.task_spec.bpmn_id, target))
    return pairs


def data_rows(
    definition: ProcessDefinition, data: dict, *, leave_out: set[str] | frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    """Process data as (label, value), labels and option names from the definition's forms; data no form
    names (engine bookkeeping), and the keys in `leave_out`, are left out."""
    components: dict[str, dict] = {}
    for schema in (definition.forms or {}).values():
        for component in formschema.fields(schema):
            components.setdefault(component["key"], component)
    return [
        (formschema._label(components[key]), formschema.display_value(components[key], value, data))
        for key, value in data.items()
        if key in components and key not in leave_out
    ]


def task_initial(task: WorkTask, schema: dict | None) -> dict:
    """What a task's form starts with.

    The fields the task decides are never filled from what other steps wrote (every approval step writes
    the same ``outcome``: the head's 同意 must not come checked on the leader's form): they start from the
    form's own defaults, or from what an earlier round of this same step submitted (a step returned and
    redone). The other process data stays available to the form (read-only fields, option lists); a
    completed task shows what it submitted."""
    instance = task.instance
    decided = formschema.editable_keys(schema)
    initial = {key: value for key, value in (instance.data or {}).items() if key not in decided}
    if task.status == TaskStatus.COMPLETED:
        initial.update(task.form_data or {})
        return initial
    earlier = WorkTask.objects.filter(
        instance_id=instance.pk,
        element_id=task.element_id,
        status=TaskStatus.COMPLETED,
        pk__lt=task.pk,
    ).exclude(activation=task.activation)  # not a countersign sibling of the same round
    if task.countersign:  # a signer's own earlier vote only
        earlier = earlier.filter(completed_by_id=task.assignee_id)
    earlier = earlier.order_by("-completed_at", "-id").values_list("form_data", flat=True).first()
    if earlier:
        initial.update({key: value for key, value in earlier.items() if key in decided})
    return initial


def return_that_opened(task: WorkTask):
    """The 退回 (a TaskHistory row) that brought the process back to `task`, while it is open: the latest
    return to its step made before it was created, with no other task of that step created in between. None
    for a task reached by the ordinary path. Told apart by row ids (the returned task, then the task the
    return opened), not by times: the engine's clock and the rows' creation times are not the same clock."""
    if task.status not in OPEN_TASK_STATUSES:
        return None
    instance = task.instance
    row = (
        instance.history.filter(action=HistoryAction.RETURN, detail__to=task.element_id, task_id__lt=task.pk)
        .select_related("actor")
        .order_by("-id")
        .first()
    )
    if row is None:
        return None
    # (the signers of one countersign share an activation and are created together)
    reached_again = (
        instance.tasks.filter(element_id=task.element_id, pk__gt=row.task_id, pk__lt=task.pk)
        .exclude(activation=task.activation)
        .exists()
    )
    return None if reached_again else row


def reopened_by_return(tasks) -> set[int]:
    """The ids of those of `tasks` (open ones, a page of the inbox) that a 退回 reopened — the rule of
    `return_that_opened`, for a whole page in two queries."""
    rows = [task for task in tasks if task.status in OPEN_TASK_STATUSES]
    instance_ids = {task.instance_id for task in rows}
    if not instance_ids:
        return set()
    returned: dict[tuple[int, str], list[int]] = {}
    for instance_id, to, task_id in TaskHistory.objects.filter(
        instance_id__in=instance_ids, action=HistoryAction.RETURN, task__isnull=False
    ).values_list("instance_id", "detail__to", "task_id"):
        returned.setdefault((instance_id, to), []).append(task_id)
    if not returned:
        return set()
    siblings: dict[tuple[int, str], list[tuple[int, object]]] = {}
    for instance_id, element_id, pk, activation in WorkTask.objects.filter(
        instance_id__in=instance_ids, element_id__in={element for _i, element in returned}
    ).values_list("instance_id", "element_id", "pk", "activation"):
        siblings.setdefault((instance_id, element_id), []).append((pk, activation))
    found = set()
    for task in rows:
        where = (task.instance_id, task.element_id)
        earlier = [task_id for task_id in returned.get(where, []) if task_id < task.pk]
        if not earlier:
            continue
        last = max(earlier)
        if not any(
            last < pk < task.pk and activation != task.activation for pk, activation in siblings[where]
        ):
            found.add(task.pk)
    return found


def batch_refusals(tasks) -> dict[int, str | None]:
    """For `tasks` (a page of the inbox, definitions joined without their forms): why each must be handled
    one by one (`formschema.batch_refusal`), or None when 批量审批 may decide it. One query for the forms."""
    definition_ids = {task.instance.definition_id for task in tasks}
    if not definition_ids:
        return {}
    forms = dict(ProcessDefinition.objects.filter(pk__in=definition_ids).values_list("pk", "forms"))
    return {
        task.pk: formschema.batch_refusal(
            (forms.get(task.instance.definition_id) or {}).get(task.form_key) if task.form_key else None
        )
        for task in tasks
    }


def handover_choices(task: WorkTask, actor, limit: int = 200) -> list:
    """Whom the task page offers for 转办 / 委派, by name: active users of the instance's org and the levels
    above it who may handle the instance, other than the actor and the initiator. Only a suggestion list —
    the service checks whoever is typed (`services._check_target_user`, `assignment.may_handle`). On a
    countersign, without those who hold or signed one of its rows: the service refuses them (each signs once)."""
    instance = task.instance
    exclude = [actor.pk, instance.initiator_id]
    if task.countersign:
        rows = WorkTask.objects.filter(instance_id=task.instance_id, activation=task.activation)
        exclude += [pk for pair in rows.values_list("assignee_id", "completed_by_id") for pk in pair]
    return _handlers_at(instance.org, exclude=exclude, limit=limit)


def reassign_choices(instance, limit: int = 200) -> list:
    """Whom the instance page offers for 改派 of one of its steps: those who may handle the instance, other
    than its initiator (the administrator themselves included: they may take a step over). A suggestion list;
    the service checks whoever is typed against the chosen step (`services.task_reassign`)."""
    return _handlers_at(instance.org, exclude=[instance.initiator_id], limit=limit)


def copy_choices(instance, actor, limit: int = 200) -> list:
    """Whom the instance page offers for 抄送: those who may see the instance, other than the actor and those
    with an unread copy of it already. A suggestion list; the service checks each name
    (`services.process_copy`)."""
    waiting = instance.copies.filter(read_at__isnull=True).values_list("recipient_id", flat=True)
    return _handlers_at(instance.org, exclude=[actor.pk, *waiting], limit=limit)


def designer_user_choices(definition: ProcessDefinition, limit: int = 300) -> list[dict[str, str]]:
    """The people a designer may name as a step's handler (``user:<username>``): those who may handle an
    instance of the definition's org node, i.e. staff of that node and the levels above it. A suggestion
    list; deploy and run time check the names again."""
    return [
        {"username": user.username, "name": user.full_name or user.username, "org": user.org.name}
        for user in _handlers_at(definition.org, exclude=[], limit=limit)
    ]


def _handlers_at(org, *, exclude: list, limit: int) -> list:
    """Active users of `org` and the nodes above it who may handle a workflow instance of `org`, read in three
    queries whatever the number of staff: for a user at the node or above, a role carrying
    ``workflow.view_processinstance`` with the whole-tree or subtree scope covers it, the single-node scope
    only at its own node; a custom scope is checked the ordinary way. Holders of a 三员 duty never handle."""
    from jiedao.accounts.models import User
    from jiedao.core.scope import DataScope
    from jiedao.workflow.assignment import may_handle

    nodes = [org.pk, *org.ancestors().values_list("pk", flat=True)]
    users = list(
        User.objects.filter(is_active=True, org_id__in=nodes)
        .exclude(pk__in=[pk for pk in exclude if pk])
        .select_related("org")
        .order_by("-org__level", "username")[:limit]
    )
    links = User.roles.through.objects.filter(user_id__in=[u.pk for u in users], role__is_active=True)
    with_duties = set(links.exclude(role__admin_duty="").values_list("user_id", flat=True))
    scopes: dict[int, set[str]] = {}
    for user_id, data_scope in links.filter(
        role__permissions__codename="view_processinstance",
        role__permissions__content_type__app_label="workflow",
    ).values_list("user_id", "role__data_scope"):
        scopes.setdefault(user_id, set()).add(data_scope)
    chosen = []
    for user in users:
        held = scopes.get(user.pk, set())
        if user.pk in with_duties or not held:
            continue
        covered = bool(held & {DataScope.ALL, DataScope.SUBTREE}) or (
            DataScope.NODE in held and user.org_id == org.pk
        )
        if covered or (DataScope.CUSTOM in held and may_handle(user, org)):
            chosen.append(user)
    return chosen
