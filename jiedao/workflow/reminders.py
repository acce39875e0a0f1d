"""待办短信提醒: a step reaching someone, and a step turning yellow or red on its clock, texts its holders.

Listeners of `signals.tasks_created` and `timelimits.signals.clock_status_changed` (both sent after commit).
Each text is queued once per step, holder and occasion (`dedupe_key`), to the mobile number on the account,
unless the system parameter is off or the holder switched reminders off in 个人设置; texts written in the
night's quiet hours wait for the morning (`sms.services.after_quiet_hours`). The texts of a signal (or of a
chunk of a large sweep) are queued together by `sms.services.sms_queue_many`, in a constant number of
queries."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.core.i18n import records_language
from jiedao.parameters.services import get_parameter
from jiedao.sms.services import SmsText, after_quiet_hours, sms_queue_many
from jiedao.timelimits.choices import ClockStatus
from jiedao.workcalendar import services as workcalendar
from jiedao.workflow.choices import OPEN_TASK_STATUSES
from jiedao.workflow.models import WorkTask

# A step offered to a larger group is left to the inbox: texting a whole office for one claim is noise.
MAX_CANDIDATES_TEXTED = 10
CLOCK_KIND = "workflow.task"
CHUNK = 500


def _holders(task: WorkTask) -> list:
    if hasattr(task, "handlers"):  # as the engine gave the step out (`services.announce_tasks`)
        users = [user for user in task.handlers if user is not None and user.is_active]
    elif task.assignee_id:
        users = [task.assignee]
    else:
        users = [user for user in task.candidates.all() if user.is_active]
    return users if len(users) <= MAX_CANDIDATES_TEXTED else []


def _due_text(task: WorkTask) -> str:
    """With its year (a January deadline texted in December is not ambiguous), as every SMS date."""
    if not task.due_at:
        return ""
    with records_language():  # SMS templates are registered with the gateway in Chinese
        return workcalendar.sms_datetime(task.due_at)


def _texts(tasks, occasion: str, template: str, send_at: dt.datetime) -> list[SmsText]:
    """The texts for `tasks`: one per holder with a mobile number and reminders on, once per step, holder
    and occasion (`dedupe_key`)."""
    texts = []
    for task in tasks:
        for user in _holders(task):
            if not user.mobile or not user.task_sms:
                continue
            if occasion == "new_task" and user.pk == task.created_by_id:
                continue  # their own action made the step: they know it is theirs
            body = template % {"title": task.instance.title, "step": task.name, "due": _due_text(task)}
            texts.append(
                SmsText(
                    phone=user.mobile,
                    body=body,
                    org=task.instance.org,
                    purpose=f"workflow.{occasion}",
                    dedupe_key=f"workflow.{occasion}.{task.pk}.{user.pk}",
                    not_before=send_at,
                )
            )
    return texts


def _queue(texts: list[SmsText]) -> None:
    # A number on an account that cannot take an SMS is skipped: that holder has the inbox only.
    sms_queue_many(texts, actor=None, skip_invalid=True)


def _open_tasks(**lookup):
    return (
        WorkTask.objects.filter(status__in=OPEN_TASK_STATUSES, **lookup)
        .select_related("assignee", "instance__org")
        .prefetch_related("candidates")
        .order_by("id")
    )


def text_new_tasks(sender, *, tasks, **kwargs) -> None:
    if not tasks or not get_parameter("workflow.sms_new_task"):
        return
    if not any(user.mobile and user.task_sms for task in tasks for user in _holders(task)):
        return  # the common case: nobody to text, and nothing read for it
    with records_language():
        template = _("您有新的待办：“%(title)s”的“%(step)s”环节，请登录系统办理。")
        due_template = _("您有新的待办：“%(title)s”的“%(step)s”环节，请于 %(due)s 前办理。")
    send_at = after_quiet_hours(timezone.now())
    _queue(
        _texts([t for t in tasks if not t.due_at], "new_task", template, send_at)
        + _texts([t for t in tasks if t.due_at], "new_task", due_template, send_at)
    )


def text_due_tasks(sender, *, kind: str, status: str, clock_ids, **kwargs) -> None:
    if kind != CLOCK_KIND or status not in (ClockStatus.YELLOW, ClockStatus.RED):
        return
    if not get_parameter("workflow.sms_due"):
        return
    with records_language():
        if status == ClockStatus.YELLOW:
            template = _("待办即将到期：“%(title)s”的“%(step)s”环节将于 %(due)s 到期，请尽快办理。")
        else:
            template = _("待办已超期：“%(title)s”的“%(step)s”环节已于 %(due)s 到期，请立即办理。")
    send_at = after_quiet_hours(timezone.now())
    ids = list(clock_ids)
    # A sweep can turn tens of thousands of steps: read and queue them a chunk at a time, each chunk in a
    # constant number of queries.
    for start in range(0, len(ids), CHUNK):
        tasks = _open_tasks(clock_id__in=ids[start : start + CHUNK])
        _queue(_texts(tasks, str(status), template, send_at))
