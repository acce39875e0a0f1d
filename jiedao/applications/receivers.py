"""Keeping the service hall's copies of time-limit due dates in line with their clocks."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jiedao.applications.choices import EventAction
from jiedao.applications.clock_kinds import APPLICATION_CLOCK, RECTIFICATION_CLOCK
from jiedao.applications.models import Application, ApplicationEvent, Rectification
from jiedao.core.i18n import Message, for_record, records_language
from jiedao.sms.services import SmsText, after_quiet_hours, sms_queue_many
from jiedao.timelimits.services import copy_recomputed_deadlines
from jiedao.workcalendar import services as workcalendar
from jiedao.workcalendar.services import CHINA_TZ

_MODELS = {APPLICATION_CLOCK: Application, RECTIFICATION_CLOCK: Rectification}


def follow_recomputed_deadlines(sender, *, kind: str, changes, **kwargs) -> None:
    """A working-day calendar change moved clocks: the application's 办理期限 (shown to staff, the applicant
    and on tracking) and a rectification's deadline move with them, in the same transaction. An application
    whose promised day moved also gets a line in its history (办理过程) and one SMS to the applicant."""
    model = _MODELS.get(kind)
    if model is None:
        return
    if model is Application:
        _tell_applicants(changes)
    copy_recomputed_deadlines(model, changes)


def _local_day(moment: dt.datetime | None) -> dt.date | None:
    return moment.astimezone(CHINA_TZ).date() if moment else None


def _tell_applicants(changes) -> None:
    """Before the copies are overwritten: the promised day each application had, read for the whole batch
    in one query; a history entry for each whose day moved (one insert) and their SMS (`sms_queue_many`:
    one look-up and insert per batch, deduplicated by the history entry)."""
    new_due = {int(object_id): due for _clock_id, object_id, due in changes}
    rows = Application.objects.filter(pk__in=list(new_due)).values_list(
        "pk", "due_at", "status", "applicant_phone", "tracking_code", "org_id", "item__name"
    )
    now = timezone.now()
    moved, events = [], []
    for pk, old_due, status, phone, code, org_id, item_name in rows:
        old_day, new_day = _local_day(old_due), _local_day(new_due[pk])
        if old_day is None or old_day == new_day:
            continue
        note, note_message = for_record(
            Message(
                gettext_noop("因节假日安排调整，办结期限由 %(old)s 调整为 %(new)s。"),
                old=old_day.isoformat(),
                new=new_day.isoformat(),
            )
        )
        events.append(
            ApplicationEvent(
                application_id=pk,
                action=EventAction.DEADLINE_MOVED,
                from_status=status,
                to_status=status,
                note=note,
                note_message=note_message,
                at=now,
            )
        )
        moved.append((phone, code, org_id, item_name, old_day, new_day))
    if not events:
        return
    ApplicationEvent.objects.bulk_create(events)
    from jiedao.orgs.models import OrgUnit

    orgs = {org.pk: org for org in OrgUnit.objects.filter(pk__in={row[2] for row in moved})}
    send_at = after_quiet_hours(now)
    texts = []
    with records_language():  # SMS templates are registered with the gateway in Chinese
        for event, (phone, code, org_id, item_name, old_day, new_day) in zip(events, moved, strict=True):
            body = _(
                "您申请的“%(item)s”（查询码 %(code)s）因国家法定节假日安排调整，办结期限由%(old)s调整为%(new)s。"
            ) % {
                "item": item_name,
                "code": code,
                "old": workcalendar.sms_date(old_day),
                "new": workcalendar.sms_date(new_day),
            }
            texts.append(
                SmsText(
                    phone=phone,
                    body=body[:480],
                    org=orgs[org_id],
                    purpose=f"applications.{EventAction.DEADLINE_MOVED}",
                    dedupe_key=f"applications.event.{event.pk}",
                    not_before=send_at,
                )
            )
    sms_queue_many(texts, actor=None, skip_invalid=True)
