"""Working-day timers after a calendar change.

A boundary or intermediate timer counted in working days fixes its moment when it starts waiting
(`bpmn.PlatformTimerEventDefinition`). When the administrator enters a year's holiday notice, timers counted
provisionally across it would fire on the wrong day — an escalation during the Spring Festival, or a day
early after it — so they are counted again from the moment they started, like the time-limit clocks are.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils.translation import gettext_noop

from jiedao.core.i18n import Message
from jiedao.timelimits.services import local_date
from jiedao.workflow import bpmn, engine
from jiedao.workflow.choices import HistoryAction
from jiedao.workflow.models import ProcessDefinition, ProcessInstance

logger = logging.getLogger(__name__)


def _counts_working_days(definition: ProcessDefinition) -> bool:
    model = bpmn.model_for(definition)
    return any(e.timer is not None and e.timer.kind == "working_days" for e in model.elements.values())


def _started(task) -> dt.datetime:
    """When the timer started counting; timers that started before this was recorded: when their task
    began waiting (wall-clock time, which is the engine's time outside tests)."""
    started = task.internal_data.get("event_started")
    if started:
        return dt.datetime.fromisoformat(started)
    return dt.datetime.fromtimestamp(task.last_state_change, tz=dt.UTC)


def timers_recompute(*, first: dt.date, last: dt.date) -> int:
    """Count the waiting working-day timers whose span can include a day of [first, last] again; returns
    how many instances had a timer moved. Each instance is one transaction (locked like a step)."""
    from jiedao.workflow.services import LIVE_STATUSES, lock_instance, record_history, timer_name

    definitions = [
        d.pk
        for d in ProcessDefinition.objects.filter(instances__next_timer_at__isnull=False).distinct()
        if _counts_working_days(d)
    ]
    candidates = (
        ProcessInstance.objects.filter(
            definition_id__in=definitions,
            status__in=LIVE_STATUSES,
            next_timer_at__isnull=False,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    moved = 0
    for pk in list(candidates):
        with transaction.atomic():
            instance = lock_instance(pk)
            if instance.status not in LIVE_STATUSES or not instance.state:
                continue
            model = bpmn.model_for(instance.definition)
            context = engine.StepContext(instance=instance, actor=None, model=model, moment=engine.now())
            workflow = engine.restore(instance.state, model, context)
            notes = []
            for task in engine.waiting_timers(workflow):
                timer = task.task_spec.event_definition.timer
                value = task.internal_data.get("event_value")
                if timer is None or timer.kind != "working_days" or not value:
                    continue
                started, old = _started(task), dt.datetime.fromisoformat(value)
                if local_date(started) > last or local_date(old) < first:
                    continue  # the changed days lie outside what this timer counts
                new = engine.timer_due(timer, started)
                if new != old:
                    task.internal_data["event_value"] = new.isoformat()
                    notes.append((task.task_spec, old, new))
            if not notes:
                continue
            instance.state = engine.dump(workflow)
            instance.next_timer_at = engine.next_timer(workflow)
            instance.save(update_fields=["state", "next_timer_at"])
            for spec, old, new in notes:
                record_history(
                    instance,
                    HistoryAction.AUTO,
                    opinion=Message(
                        gettext_noop("工作日历调整：定时事件「%(n)s」的触发时间由 %(old)s 改为 %(new)s。"),
                        n=timer_name(model, spec),
                        old=local_date(old),
                        new=local_date(new),
                    ),
                )
            moved += 1
    logger.info("working-day timers recounted for %s..%s: %d instances", first, last, moved)
    return moved
