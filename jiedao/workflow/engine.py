"""The SpiffWorkflow side: a script engine that runs no Python, the serializer, and the clock.

* `PlatformScriptEngine.evaluate` goes through the restricted evaluator of `jiedao.workflow.expressions`
  (gateway conditions); `execute` refuses (there are no script tasks); service tasks run registered
  actions through `run_action`.
* The engine carries the clock (`now`), so timers are computed from a time the caller controls: the
  periodic job passes its own "now" and tests patch `jiedao.workflow.engine.now`.
* The spec is not stored with each instance: the state holds only the task tree, and the spec is rebuilt
  from the instance's pinned (immutable) definition row — which is also what makes new versions leave
  running instances alone.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

from jiedao.core.i18n import Message
from jiedao.workflow import actions, expressions
from jiedao.workflow.bpmn import ProcessModel, TimerSpec


def now() -> dt.datetime:
    """The engine's clock. Tests patch this function."""
    return timezone.now()


class EngineError(Exception):
    """A step could not run (a condition, an action, an assignment). Its one argument is a `Message`:
    `str()` in the active language for whoever acted, kept as a message on an instance it stops."""


class ActionFailed(EngineError):
    """A registered action refused the data it was given (a person outside the org, a number that is not a
    mobile…): about this request, not about how the process is drawn."""


# --- timers --------------------------------------------------------------------------------------------------


def timer_due(timer: TimerSpec | None, start: dt.datetime) -> dt.datetime:
    """When a timer started at `start` fires. Working days end at the end of the n-th working day of the
    platform calendar (the same rule as a time-limit clock)."""
    if timer is None:
        return start
    from jiedao.workcalendar import services as workcalendar

    if timer.kind == "working_days":
        from jiedao.timelimits.services import end_of_day, local_date
        from jiedao.workcalendar.services import CalendarNotCovered

        try:
            day = workcalendar.add_working_days(local_date(start), timer.working_days)
        except CalendarNotCovered:
            # The alert is open; meanwhile count Monday to Friday rather than stop the process.
            day, remaining = local_date(start), timer.working_days
            while remaining:
                day += dt.timedelta(days=1)
                remaining -= day.weekday() < 5
        return end_of_day(day)
    if timer.kind == "date":
        moment = dt.datetime.fromisoformat(timer.at)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment
    return workcalendar.add_months(start, timer.months) + timer.duration


# --- the step context ---------------------------------------------------------------------------------------


@dataclass
class StepContext:
    """What one step (one transaction) knows: the instance, the actor, the time, and what to do on commit."""

    instance: Any
    actor: Any
    model: ProcessModel
    moment: dt.datetime
    commit_callbacks: list[Callable] = field(default_factory=list)
    fired_timers: list[str] = field(default_factory=list)
    actions_run: list[dict] = field(default_factory=list)
    pending_history: list = field(default_factory=list)  # this step's history rows, written at its end

    def on_commit(self, callback: Callable) -> None:
        transaction.on_commit(callback)


@dataclass
class ActionContext:
    """Given to an action: the instance, the actor, the running task's data (writable) and `on_commit`."""

    step: StepContext
    element_id: str
    data: dict

    @property
    def instance(self):
        return self.step.instance

    @property
    def actor(self):
        return self.step.actor

    def on_commit(self, callback: Callable) -> None:
        self.step.on_commit(callback)

    def assignment_context(self):
        from jiedao.workflow.assignment import AssignmentContext

        instance = self.step.instance
        return AssignmentContext(org=instance.org, initiator=instance.initiator, data=self.data)


class PlatformScriptEngine(PythonScriptEngine):
    """Evaluates expressions with the restricted evaluator; never executes Python."""

    def __init__(self, context: StepContext | None = None):
        super().__init__()
        self.context = context

    def now(self) -> dt.datetime:
        return self.context.moment if self.context is not None else now()

    def timer_due(self, timer: TimerSpec | None, start: dt.datetime) -> dt.datetime:
        return timer_due(timer, start)

    def validate(self, expression):
        expressions.check(expression)

    def evaluate(self, task, expression, external_context=None):
        data = dict(external_context or {})
        data.update(task.data)
        try:
            return expressions.evaluate(expression, data)
        except expressions.ExpressionError as error:
            raise EngineError(
                Message(
                    gettext_noop("计算「%(e)s」时出错（环节「%(t)s」）：%(m)s"),
                    e=str(expression)[:100],
                    t=_task_label(task),
                    m=str(error),
                )
            ) from None

    def execute(self, task, script, external_context=None):
        raise EngineError(
            Message(gettext_noop("出于安全原因，流程中不能执行脚本（环节「%(t)s」）。"), t=_task_label(task))
        )

    def call_service(self, task, **kwargs):
        raise EngineError(
            Message(gettext_noop("服务任务只能运行已登记的动作（环节「%(t)s」）。"), t=_task_label(task))
        )

    def run_action(self, task) -> None:
        if self.context is None:
            raise EngineError(Message(gettext_noop("动作只能在流程步骤中运行。")))
        element = self.context.model.element(task.task_spec.bpmn_id)
        if element is None or not element.action:
            raise EngineError(Message(gettext_noop("服务任务「%(t)s」没有指定动作。"), t=_task_label(task)))
        action = actions.ACTIONS.get(element.action)
        if action is None:
            raise EngineError(
                Message(
                    gettext_noop("动作「%(a)s」未登记（环节「%(t)s」）。"),
                    a=element.action,
                    t=_task_label(task),
                )
            )
        try:
            params = actions.resolve_params(element.action, element.params, task.data)
            action.func(ActionContext(self.context, element.id, task.data), **params)
        except actions.ActionError as error:
            raise ActionFailed(
                Message(
                    gettext_noop("动作「%(a)s」执行失败（环节「%(t)s」）：%(m)s"),
                    a=action.label,
                    t=_task_label(task),
                    m=str(error),
                )
            ) from None
        try:
            json.dumps(task.data)
        except (TypeError, ValueError):
            raise EngineError(
                Message(gettext_noop("动作「%(a)s」写入了无法保存的数据。"), a=action.label)
            ) from None
        self.context.actions_run.append({"element": element.id, "action": element.action})


def _task_label(task) -> str:
    spec = task.task_spec
    return getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name


# --- serialization --------------------------------------------------------------------------------------------


class PinnedSpecWorkflowConverter(BpmnWorkflowConverter):
    """Stores the task tree without the spec; the spec comes from the pinned definition on restore."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        spec, subprocess_specs = dct.pop("spec"), dct.pop("subprocess_specs", {})
        if isinstance(spec, dict):  # a state saved with its spec restores as Spiff would
            dct["spec"], dct["subprocess_specs"] = spec, subprocess_specs
            return super().from_dict(dct)
        from uuid import UUID

        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _serializer() -> BpmnWorkflowSerializer:
    config = dict(DEFAULT_CONFIG)
    config[BpmnWorkflow] = PinnedSpecWorkflowConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


SERIALIZER = _serializer()


def dump(workflow: BpmnWorkflow) -> str:
    return SERIALIZER.serialize_json(workflow)


def restore(state: str, model: ProcessModel, context: StepContext | None = None) -> BpmnWorkflow:
    dct = json.loads(state)
    SERIALIZER.migrate(dct)
    dct["spec"], dct["subprocess_specs"] = model.spec, model.subprocess_specs
    workflow = SERIALIZER.from_dict(dct)
    workflow.script_engine = PlatformScriptEngine(context)
    return workflow


def new_workflow(model: ProcessModel, data: dict, context: StepContext | None = None) -> BpmnWorkflow:
    workflow = BpmnWorkflow(model.spec, model.subprocess_specs, script_engine=PlatformScriptEngine(context))
    workflow.task_tree.data.update(data)
    for task in workflow.get_tasks(state=TaskState.DEFINITE_MASK | TaskState.PREDICTED_MASK):
        if task is not workflow.task_tree:
            task.data.update(data)
    return workflow


# --- reading the tree ---------------------------------------------------------------------------------------------


def ready_user_tasks(workflow: BpmnWorkflow) -> list:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def waiting_timers(workflow: BpmnWorkflow) -> list:
    from jiedao.workflow.bpmn import PlatformTimerEventDefinition

    return [
        task
        for task in workflow.get_tasks(state=TaskState.WAITING)
        if isinstance(getattr(task.task_spec, "event_definition", None), PlatformTimerEventDefinition)
    ]


def next_timer(workflow: BpmnWorkflow) -> dt.datetime | None:
    moments = [
        dt.datetime.fromisoformat(task.internal_data["event_value"])
        for task in waiting_timers(workflow)
        if task.internal_data.get("event_value")
    ]
    return min(moments) if moments else None


def completed_elements(workflow: BpmnWorkflow) -> list[str]:
    """BPMN ids of the elements that ran, in the order they completed (for the diagram)."""
    done = [
        task
        for task in workflow.get_tasks(state=TaskState.COMPLETED)
        if getattr(task.task_spec, "bpmn_id", None)
    ]
    done.sort(key=lambda t: t.last_state_change)
    return list(dict.fromkeys(t.task_spec.bpmn_id for t in done))


def previous_user_tasks(task) -> list:
    """Completed user tasks on the paths that led to `task`, nearest first.

    Past a parallel (or inclusive) join the task tree hangs from one branch only, the one that arrived
    last; the branches that arrived before it are found through their own arrivals at the join.
    """
    chain = []
    current = task.parent
    while current is not None:
        chain.append(current)
        current = current.parent
    on_chain = {t.id for t in chain}
    found = []
    for step in chain:
        if step.has_state(TaskState.COMPLETED) and step.task_spec.manual:
            found.append(step)
        if isinstance(step.task_spec, Join):
            found.extend(_other_branches(step, on_chain))
    return list({t.id: t for t in found}.values())


def _other_branches(join_task, on_chain: set) -> list:
    """Completed user tasks of the branches that reached `join_task`'s join before it, up to where they
    leave the chain (the split)."""
    found = []
    arrivals = [
        t
        for t in join_task.workflow.tasks.values()
        if t.task_spec == join_task.task_spec
        and t.id != join_task.id
        and t.has_state(TaskState.FINISHED_MASK)
    ]
    for arrival in sorted(arrivals, key=lambda t: t.last_state_change, reverse=True):
        current = arrival.parent
        while current is not None and current.id not in on_chain:
            if current.has_state(TaskState.COMPLETED) and current.task_spec.manual:
                found.append(current)
            current = current.parent
    return found


# One automatic element run this many times in one step is a loop whose exit condition never holds; no
# office process repeats an automatic step a hundred times without waiting for a person.
MAX_AUTOMATIC_REPEATS = 100


def _spec_name(spec) -> str:
    return getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name


def run_engine(workflow: BpmnWorkflow) -> None:
    """Run the automatic elements (gateways, service tasks, events) until people or timers are waited for.

    Refused with a Chinese message naming the element: a loop of automatic steps that never exits (Spiff
    would go on until its task tree gave out), and a gateway none of whose conditions holds.
    """
    runs: Counter = Counter()

    def count(task) -> None:
        runs[task.task_spec.name] += 1
        if runs[task.task_spec.name] > MAX_AUTOMATIC_REPEATS:
            raise EngineError(
                Message(
                    gettext_noop(
                        "流程在「%(n)s」处自动循环超过 %(max)d 次仍未结束，已停止：请检查循环的出口条件。"
                    ),
                    n=_spec_name(task.task_spec),
                    max=MAX_AUTOMATIC_REPEATS,
                )
            )

    try:
        workflow.do_engine_steps(did_complete_task=count)
    except WorkflowException as error:
        spec = getattr(error, "task_spec", None) or getattr(getattr(error, "task", None), "task_spec", None)
        if spec is not None and str(error).startswith("No conditions satisfied"):
            raise EngineError(
                Message(
                    gettext_noop(
                        "网关「%(n)s」的条件都不成立，也没有默认路径，流程无法继续：请检查流程数据或为该网关设置默认路径。"
                    ),
                    n=_spec_name(spec),
                )
            ) from None
        raise


def stuck_at(workflow: BpmnWorkflow) -> list[str]:
    """The joins a process waits at when nothing else can move it (a parallel join waiting for a branch an
    exclusive gateway did not take); empty while a person, a timer or an event can still move it."""
    if workflow.is_completed():
        return []
    live = workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED)
    if any(not isinstance(task.task_spec, Join) for task in live):
        return []
    return list(dict.fromkeys(_spec_name(task.task_spec) for task in live)) or [_("（无）")]


def reset_to(workflow: BpmnWorkflow, task_id, data: dict | None = None) -> None:
    """Make an earlier task ready again (退回 / 撤回), dropping what came after it.

    Spiff leaves the dropped tasks of waiting events (timers) in its event manager; they are removed here.
    """
    workflow.reset_from_task_id(task_id, data=data)
    manager = workflow.event_manager
    for waiting_id, task in list(manager.tasks.items()):
        if task.workflow.tasks.get(waiting_id) is not task:
            manager.tasks.pop(waiting_id, None)
