import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "jiedao.workflow"
    label = "workflow"
    verbose_name = _("流程引擎")

    def ready(self) -> None:
        from jiedao.timelimits.registry import register_kind
        from jiedao.timelimits.signals import clock_deadlines_changed, clock_status_changed
        from jiedao.workcalendar.signals import calendar_changed
        from jiedao.workflow import reminders
        from jiedao.workflow.signals import tasks_created

        # A task's name is its step and its instance's title.
        register_kind(
            "workflow.task", _("流程待办"), target_model="workflow.WorkTask", target_related=("instance",)
        )
        clock_deadlines_changed.connect(
            _follow_recomputed_deadlines, dispatch_uid="workflow.follow_deadlines"
        )
        calendar_changed.connect(_recount_timers, dispatch_uid="workflow.recount_timers")
        tasks_created.connect(reminders.text_new_tasks, dispatch_uid="workflow.text_new_tasks")
        clock_status_changed.connect(reminders.text_due_tasks, dispatch_uid="workflow.text_due_tasks")
        # SpiffWorkflow logs every task state change at INFO; keep that out of the platform's logs.
        for name in ("spiff", "spiff.task", "spiff.workflow"):
            logger = logging.getLogger(name)
            if logger.level == logging.NOTSET:
                logger.setLevel(logging.WARNING)


def _follow_recomputed_deadlines(sender, *, kind: str, changes, **kwargs) -> None:
    """A working-day calendar change moved task clocks: the inbox's due dates move with them."""
    if kind == "workflow.task":
        from jiedao.timelimits.services import copy_recomputed_deadlines
        from jiedao.workflow.models import WorkTask

        copy_recomputed_deadlines(WorkTask, changes, by_clock=True)


def _recount_timers(sender, *, first, last, **kwargs) -> None:
    """The calendar changed (sent after commit): count waiting working-day timers again, in the background.
    The change itself is saved already: a queue that cannot be reached is logged, not shown as an error."""
    from jiedao.core.tasks import enqueue_or_log
    from jiedao.workflow.tasks import recompute_timers

    enqueue_or_log(
        recompute_timers,
        first.isoformat(),
        last.isoformat(),
        what=f"working-day timers for {first}..{last} keep their moments until the next calendar change",
    )
