"""Every write of 预约办理: a hall's schedule, a resident's booking and its cancelling, the window's check-in,
the hall's cancelling (停止预约), the periodic marking of no-shows (爽约) and the reminder of the day before
(caught up on the day when the evening's runs were missed).

Rules are checked first, in the user's language, and nothing is written when one refuses; the records and
the SMS are written in the site's language (`core.i18n.records_language`). A booking counts the places of
its slot under a lock of the slot's row, so two residents racing for the last place never both get it.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from jiedao.applications.models import Resident
from jiedao.applications.services import TRACKING_ALPHABET, resident_name, unique_code
from jiedao.appointments import audit_events as events
from jiedao.appointments.choices import TAKING_PLACE, AppointmentStatus
from jiedao.appointments.models import Appointment, DayClosure, Slot
from jiedao.appointments.selectors import (
    bookable_dates,
    booking_ban_until,
    day_closure,
    now_or,
    open_appointment,
    slot_closures,
    starts_at,
    today,
)
from jiedao.audit import services as audit
from jiedao.catalog.models import ServiceItem
from jiedao.core.exceptions import OutOfScope, ServiceError, ValidationFailed
from jiedao.core.i18n import records_language
from jiedao.core.scope import require
from jiedao.orgs.models import OrgUnit
from jiedao.parameters.services import get_parameter
from jiedao.registry.validators import mobile_number
from jiedao.sms.services import SmsText, after_quiet_hours, sms_queue, sms_queue_many
from jiedao.workcalendar import services as workcalendar
from jiedao.workcalendar.services import CHINA_TZ

CODE_LENGTH = 8
SYSTEM = "system"
MAX_SLOTS = 48  # a day cut into 10-minute slots from 8:00 to 16:00; more is a typing mistake
REASON_LENGTH = 60  # the reason goes into the SMS, which has to stay short
REMINDER_CHUNK = 500  # bookings locked, marked and texted per transaction (`sms_queue_many`'s batch)
# A same-day reminder caught up after a missed evening (`reminders_run`) goes out at least this long before the
# slot starts: time to read it, cancel, or come from home.
CATCH_UP_LEAD = dt.timedelta(minutes=60)


# --- the schedule ------------------------------------------------------------------------------------------


def _time_cuts(first: dt.time, last: dt.time, minutes: int) -> list[tuple[dt.time, dt.time]]:
    day = dt.date(2000, 1, 1)
    at, end = dt.datetime.combine(day, first), dt.datetime.combine(day, last)
    cuts = []
    while at + dt.timedelta(minutes=minutes) <= end:
        cuts.append((at.time(), (at + dt.timedelta(minutes=minutes)).time()))
        at += dt.timedelta(minutes=minutes)
    return cuts


def schedule_set(
    *,
    actor,
    org: OrgUnit,
    morning: tuple[dt.time, dt.time] | None,
    afternoon: tuple[dt.time, dt.time] | None,
    minutes: int,
    capacity: int,
    now: dt.datetime | None = None,
) -> list[Slot]:
    """The hall's working day cut into slots of `minutes` (morning and afternoon, either may be closed), each
    with `capacity` places. Slots no longer in the schedule are closed (kept for their bookings), slots
    already there get the new capacity, and a booking already made stays valid. A schedule whose new slots
    overlap a slot left out that still has bookings to come is refused, naming them: the new slots' places
    would come on top of those visitors (staff cancel them by hall first, or keep the old cut)."""
    require(actor, "appointments.change_slot", org)
    errors: dict[str, list[str]] = {}
    if not 5 <= minutes <= 240:
        errors["minutes"] = [_("每个时段须在 5 至 240 分钟之间。")]
    if not 1 <= capacity <= 500:
        errors["capacity"] = [_("每个时段可预约人数须在 1 至 500 人之间。")]
    for field, span in (("morning", morning), ("afternoon", afternoon)):
        if span is not None and span[0] >= span[1]:
            errors[field] = [_("结束时间须晚于开始时间。")]
    if morning and afternoon and not errors and afternoon[0] < morning[1]:
        errors["afternoon"] = [_("下午的时间不能早于上午结束的时间。")]
    if errors:
        raise ValidationFailed(errors)
    cuts = [cut for span in (morning, afternoon) if span for cut in _time_cuts(span[0], span[1], minutes)]
    if not cuts and (morning or afternoon):
        raise ValidationFailed({"minutes": [_("上下午的时间都不够一个时段。")]})
    if len(cuts) > MAX_SLOTS:
        raise ValidationFailed({"minutes": [_("一天最多 %(n)d 个时段，请加长每个时段。") % {"n": MAX_SLOTS}]})
    with transaction.atomic():
        existing = {slot.start: slot for slot in Slot.objects.select_for_update().filter(org=org)}
        wanted = {start for start, _end in cuts}
        _refuse_overlapping_bookings(
            [slot for start, slot in existing.items() if start not in wanted], cuts, today(now=now)
        )
        closed = []
        for start, slot in existing.items():
            if start not in wanted and slot.is_active:
                slot.is_active = False
                slot.save(update_fields=["is_active", "updated_at"])
                closed.append(str(slot))
        slots = []
        for start, end in cuts:
            slot = existing.get(start)
            if slot is None:
                slot = Slot.objects.create(org=org, start=start, end=end, capacity=capacity, created_by=actor)
            else:
                slot.end, slot.capacity, slot.is_active = end, capacity, True
                slot.save(update_fields=["end", "capacity", "is_active", "updated_at"])
            slots.append(slot)
        audit.record(
            events.SCHEDULE_SET,
            actor=actor,
            target=org,
            after={"slots": [str(slot) for slot in slots], "capacity": capacity, "closed": closed},
        )
    return slots


def _refuse_overlapping_bookings(
    left_out: list[Slot], cuts: list[tuple[dt.time, dt.time]], first_day: dt.date
) -> None:
    overlapping = [
        slot for slot in left_out if any(start < slot.end and slot.start < end for start, end in cuts)
    ]
    booked = list(
        Appointment.objects.filter(slot__in=overlapping, date__gte=first_day, status=AppointmentStatus.BOOKED)
        .values_list("date", "slot__start", "slot__end")
        .distinct()
        .order_by("date", "slot__start")
    )
    if booked:
        listed = "、".join(f"{day:%Y-%m-%d} {start:%H:%M}–{end:%H:%M}" for day, start, end in booked)
        raise ServiceError(
            _(
                "新的时段与以下仍有预约的原时段重叠，同一时间会超出可接待人数：%(slots)s。"
                "请先取消这些预约（取消预约或停止当日预约），或保留原来的时段长度。"
            )
            % {"slots": listed},
            code="booked_overlap",
        )


# --- booking -----------------------------------------------------------------------------------------------


def bookable_day_check(day: dt.date, *, now: dt.datetime | None = None) -> None:
    """Refuse, on `date`, a day a resident may not book: not a working day, or out of the bookable range.
    The booking and the API's list of slots both ask it."""
    dates = bookable_dates(now=now)
    # The calendar is asked only about days between today and the last bookable one, which it had to cover
    # to list them: a typed year far off would otherwise raise CalendarNotCovered, and open an alert asking
    # the administrator to enter a year nobody can book anyway.
    if today(now=now) <= day <= dates[-1] and not workcalendar.is_workday(day):
        raise ValidationFailed(
            {
                "date": [
                    _("%(date)s 不是工作日，不办理预约。") % {"date": workcalendar.date_with_weekday(day)}
                ]
            },
            code="not_workday",
        )
    if day not in dates:
        raise ValidationFailed(
            {
                "date": [
                    _("只能预约 %(first)s 至 %(last)s 的工作日。")
                    % {"first": f"{dates[0]:%Y-%m-%d}", "last": f"{dates[-1]:%Y-%m-%d}"}
                ]
            },
            code="out_of_range",
        )


def _refuse_banned(resident: Resident, now: dt.datetime) -> None:
    until = booking_ban_until(resident, now=now)
    if until is not None:
        raise ServiceError(
            _("您在 %(days)d 天内爽约已达 %(count)d 次，%(until)s 前不能预约。")
            % {
                "days": int(get_parameter("appointments.no_show_window_days")),
                "count": int(get_parameter("appointments.no_show_limit")),
                "until": f"{until:%Y-%m-%d}",
            },
            code="banned",
        )


def _refuse_duplicate(resident: Resident, item: ServiceItem) -> None:
    booked = open_appointment(resident, item)
    if booked is not None:
        raise ServiceError(
            _("您已预约“%(item)s”（%(date)s %(slot)s，预约码 %(code)s），如需改期请先取消原预约。")
            % {
                "item": item.name,
                "date": f"{booked.date:%Y-%m-%d}",
                "slot": booked.slot,
                "code": booked.code,
            },
            code="duplicate",
        )


def _refuse_overlap(resident: Resident, begins: dt.datetime, ends: dt.datetime) -> None:
    """One person cannot be at two windows at once: a booking overlapping in time one of the resident's open
    bookings (another item, another window or hall) is refused. Under the resident's row lock, as the
    booking holds it: two bookings at once see each other."""
    clash = (
        Appointment.objects.filter(
            resident=resident, status=AppointmentStatus.BOOKED, starts_at__lt=ends, ends_at__gt=begins
        )
        .select_related("item", "slot")
        .order_by("starts_at", "id")
        .first()
    )
    if clash is not None:
        raise ServiceError(
            _(
                "您在 %(date)s %(slot)s 已预约“%(item)s”（预约码 %(code)s），与所选时段时间重叠。"
                "请选择其他时段，或先取消原预约。"
            )
            % {
                "date": f"{clash.date:%Y-%m-%d}",
                "slot": clash.slot,
                "item": clash.item.name,
                "code": clash.code,
            },
            code="overlap",
        )


def too_many_open_bookings(resident: Resident) -> str | None:
    """What refuses a booking by `resident` for holding `appointments.max_open_bookings` open bookings across
    items, or None: one resident holding places of many halls' days would keep them from others, and most of
    them would end as 爽约. The booking page says it before a slot is chosen."""
    limit = int(get_parameter("appointments.max_open_bookings"))
    count = Appointment.objects.filter(resident=resident, status=AppointmentStatus.BOOKED).count()
    if count < limit:
        return None
    return _(
        "您已有 %(count)d 个未办理的预约，同时最多只能有 %(limit)d 个。"
        "请先办理或取消其中一个（我的预约），再预约新的事项。"
    ) % {"count": count, "limit": limit}


def _refuse_too_many(resident: Resident) -> None:
    # Under the resident's row lock, which every booking takes first: two bookings at once count each other.
    refusal = too_many_open_bookings(resident)
    if refusal is not None:
        raise ServiceError(refusal, code="too_many")


def _require_bookable_slot(slot: Slot | None, day: dt.date, now: dt.datetime) -> None:
    # A slot gone, closed, or of another hall (the form offers the item's hall's only) since the form was
    # shown: the resident chooses again.
    if slot is None or not slot.is_active:
        raise ValidationFailed({"slot": [_("该时段不开放预约，请选择其他时段。")]}, code="closed")
    if starts_at(day, slot) <= now:
        raise ValidationFailed({"slot": [_("该时段已开始，请选择其他时段。")]}, code="begun")


def appointment_book(
    *, resident: Resident, item: ServiceItem, day: dt.date, slot_id: int, now: dt.datetime | None = None
) -> Appointment:
    """Book one place of the slot `slot_id` of the item's hall on `day`; text the booking code to the
    resident. The slot is read under its lock: one closed or gone since the form was shown is refused."""
    now = now_or(now)
    if not resident.is_verified:
        raise ServiceError(_("请先完成实名认证再预约。"), code="not_verified")
    if not item.is_published:
        raise OutOfScope()
    _require_bookable_slot(Slot.objects.filter(pk=slot_id, org_id=item.org_id).first(), day, now)
    bookable_day_check(day, now=now)
    _refuse_banned(resident, now)
    with transaction.atomic():
        # The resident first (one open booking per item, and their number across items), then the slot (its
        # places): always in this order.
        Resident.objects.select_for_update().filter(pk=resident.pk).first()
        _refuse_duplicate(resident, item)
        _refuse_too_many(resident)
        # Again under the lock, which a new schedule takes too: a slot closed meanwhile takes no booking.
        locked = Slot.objects.select_for_update().filter(pk=slot_id, org_id=item.org_id).first()
        _require_bookable_slot(locked, day, now)
        # Under the slot's lock, which 停止预约 takes too: a booking and a closing of the day or of the slot
        # never cross.
        closure = day_closure(item.org_id, day)
        if closure is not None:
            raise ValidationFailed(
                {
                    "date": [
                        _("%(date)s 服务大厅停止预约（%(reason)s），请选择其他日期。")
                        % {"date": workcalendar.date_with_weekday(day), "reason": closure.reason}
                    ]
                },
                code="closed_day",
            )
        closed = slot_closures(item.org_id, day).get(locked.pk)
        if closed is not None:
            raise ValidationFailed(
                {
                    "slot": [
                        _("%(date)s %(slot)s 服务大厅停止预约（%(reason)s），请选择其他时段。")
                        % {
                            "date": workcalendar.date_with_weekday(day),
                            "slot": locked,
                            "reason": closed.reason,
                        }
                    ]
                },
                code="closed_slot",
            )
        begins, ends = starts_at(day, locked), dt.datetime.combine(day, locked.end, tzinfo=CHINA_TZ)
        _refuse_overlap(resident, begins, ends)
        taken = Appointment.objects.filter(slot=locked, date=day, status__in=TAKING_PLACE).count()
        if taken >= locked.capacity:
            raise ServiceError(_("该时段已约满，请选择其他时段。"), code="full")
        appointment = Appointment.objects.create(
            org_id=item.org_id,
            item=item,
            slot=locked,
            date=day,
            starts_at=begins,
            ends_at=ends,
            resident=resident,
            name=resident.real_name,
            phone=resident.phone,
            phone_masked=resident.phone_masked,
            id_number_masked=resident.id_number_masked,
            code=unique_code(TRACKING_ALPHABET, CODE_LENGTH, Appointment, "code"),
        )
        audit.record(
            events.APPOINTMENT_BOOKED,
            actor_name=resident_name(resident),
            target=appointment,
            after={"item": item.name, "date": day, "slot": str(locked), "code": appointment.code},
        )
        _text(appointment, "booked")
    return appointment


def _mobile(appointment: Appointment) -> str | None:
    """The national mobile number to text about `appointment`, or None (a landline, a number gone bad)."""
    # The account's number when it still exists: the resident may have moved it to a new phone since booking.
    return mobile_number(appointment.resident.phone if appointment.resident_id else appointment.phone)


def _body(appointment: Appointment, what: str) -> str:
    with records_language():  # SMS templates are registered with the gateway in Chinese
        values = {
            "item": appointment.item.name,
            # As every SMS writes a date (2025年9月29日（星期一）), not as the booking pages do.
            "date": workcalendar.sms_date(appointment.date, weekday=True),
            "slot": appointment.slot,
            "code": appointment.code,
            "address": appointment.item.window_address,
            "reason": appointment.cancel_reason,
        }
        if what == "booked":
            return (
                _(
                    "您已预约办理“%(item)s”：%(date)s %(slot)s，地点：%(address)s，预约码 %(code)s。"
                    "请携带身份证件按时到窗口签到；不能前来的，请在时段开始前取消预约。"
                )
                % values
            )
        if what == "reminder":
            return (
                _(
                    "温馨提醒：您预约办理“%(item)s”的时间是 %(date)s %(slot)s，地点：%(address)s，"
                    "预约码 %(code)s。请携带身份证件按时到窗口签到；不能前来的，请在时段开始前取消预约。"
                )
                % values
            )
        if what == "hall_cancelled":
            return (
                _(
                    "很抱歉，因%(reason)s，您预约办理“%(item)s”（%(date)s %(slot)s，预约码 %(code)s）已由服务大厅"
                    "取消，不计爽约。请另选时间重新预约，给您带来不便，敬请谅解。"
                )
                % values
            )
        return _("您预约办理“%(item)s”（%(date)s %(slot)s，预约码 %(code)s）已取消。") % values


def _text(appointment: Appointment, what: str) -> None:
    phone = _mobile(appointment)
    if phone is None:
        return
    sms_queue(
        actor=None,
        phone=phone,
        body=_body(appointment, what),
        org=appointment.org,
        purpose=f"appointments.{what}",
        dedupe_key=f"appointments.{what}.{appointment.pk}",
    )


def _texts(
    appointments: list[Appointment], what: str, not_before: dt.datetime | None = None
) -> list[SmsText]:
    return [
        SmsText(
            phone=phone,
            body=_body(appointment, what),
            org=appointment.org,
            purpose=f"appointments.{what}",
            dedupe_key=f"appointments.{what}.{appointment.pk}",
            not_before=not_before,
        )
        for appointment in appointments
        if (phone := _mobile(appointment)) is not None
    ]


def appointment_cancel(
    *, resident: Resident, appointment: Appointment, now: dt.datetime | None = None
) -> Appointment:
    """The resident cancels their own booking, until its slot starts."""
    now = now_or(now)
    if appointment.resident_id != resident.pk:
        raise OutOfScope()
    with transaction.atomic():
        locked = (
            Appointment.objects.select_for_update()
            .select_related("item", "slot", "org")
            .get(pk=appointment.pk)
        )
        _require_booked(locked)
        if not locked.cancellable_at(now):
            raise ServiceError(_("预约时段已开始，不能取消。"), code="begun")
        _cancel(locked, now=now, actor_name=resident_name(resident))
        _text(locked, "cancelled")
    return locked


def appointments_cancel_with_account(resident: Resident, *, now: dt.datetime | None = None) -> int:
    """The open bookings of an account being deleted (closed by the resident, or merged into another on a
    phone change), cancelled in the deleting transaction so that their places are free again and no 爽约 is
    counted for them. No SMS: the resident is leaving, and was told by the account's own notice."""
    now = now_or(now)
    cancelled = 0
    for locked in Appointment.objects.select_for_update().filter(
        resident=resident, status=AppointmentStatus.BOOKED
    ):
        _cancel(locked, now=now, actor_name=resident_name(resident))
        cancelled += 1
    return cancelled


# --- the hall cancels (停止预约) -----------------------------------------------------------------------------


def _clean_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed({"reason": [_("请填写取消预约的原因，将以短信告知群众。")]}, code="no_reason")
    if len(reason) > REASON_LENGTH:
        raise ValidationFailed(
            {"reason": [_("取消原因不超过 %(n)d 字。") % {"n": REASON_LENGTH}]}, code="long_reason"
        )
    return reason


def _require_booked(locked: Appointment) -> None:
    if locked.status != AppointmentStatus.BOOKED:
        raise ServiceError(
            _("该预约%(status)s，不能取消。") % {"status": locked.get_status_display()}, code="bad_status"
        )


def _cancel(
    locked: Appointment, *, now: dt.datetime, actor=None, actor_name: str = "", reason: str = ""
) -> None:
    """Cancel one locked booking, by its resident (`actor_name`) or by the hall (`actor`, with the reason):
    its place is free again, and, being cancelled rather than a no-show, it never counts against the
    resident (`selectors.booking_ban_until` counts no-shows only)."""
    locked.status, locked.cancelled_at = AppointmentStatus.CANCELLED, now
    fields = ["status", "cancelled_at", "updated_at"]
    after = {"status": locked.status}
    if actor is not None:
        locked.cancelled_by, locked.cancel_reason = actor, reason
        fields += ["cancelled_by", "cancel_reason"]
        after["reason"] = reason
    locked.save(update_fields=fields)
    audit.record(
        events.APPOINTMENT_CANCELLED if actor is None else events.APPOINTMENT_CANCELLED_BY_HALL,
        actor=actor,
        actor_name=actor_name,
        target=locked,
        message=reason,
        before={"status": AppointmentStatus.BOOKED},
        after=after,
    )


def appointment_cancel_by_hall(
    *, actor, appointment: Appointment, reason: str, now: dt.datetime | None = None
) -> Appointment:
    """The hall cancels one booking not yet checked in (the window cannot serve the item that day, say),
    with the reason texted to the resident, who is invited to book again."""
    require(actor, "appointments.cancel_appointment", appointment)
    reason = _clean_reason(reason)
    now = now_or(now)
    with transaction.atomic():
        locked = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("item", "slot", "org", "resident")
            .get(pk=appointment.pk)
        )
        _require_booked(locked)
        _cancel(locked, now=now, actor=actor, reason=reason)
        _text(locked, "hall_cancelled")
    return locked


def _refuse_past(day: dt.date, now: dt.datetime) -> None:
    if day < today(now=now):
        raise ValidationFailed({"date": [_("不能停止已过去日期的预约。")]}, code="past")


def _refuse_closed_day(org: OrgUnit, day: dt.date) -> None:
    if day_closure(org.pk, day) is not None:
        raise ServiceError(
            _("%(org)s %(date)s 已停止预约。")
            % {"org": org.name, "date": workcalendar.date_with_weekday(day)},
            code="already_closed",
        )


# A booking whose visitor took a 排队叫号 number with its code: they came to the hall, whatever became of the
# number (a skipped visitor may be put back in the queue and served). Only a ticket the visitor cancelled lets
# go of its booking (`queueing.services.ticket_cancel` unlinks it).
CAME_TO_HALL = Q(queue_ticket__isnull=False)


def _bookings_to_cancel(org: OrgUnit, day: dt.date, slots: list[Slot] | None) -> list[Appointment]:
    """The bookings of `day` at the hall (of `slots` only, when given) not yet checked in, locked: those
    checked in or marked 爽约 stay as they are, and so do those whose visitor took a number with the booking
    code (`CAME_TO_HALL`: waiting, called, served, or skipped and possibly put back), whom the windows still
    call."""
    booked = Appointment.objects.filter(org=org, date=day, status=AppointmentStatus.BOOKED).exclude(
        CAME_TO_HALL
    )
    if slots is not None:
        booked = booked.filter(slot__in=slots)
    return list(
        booked.select_for_update(of=("self",))
        .select_related("item", "slot", "org", "resident")
        .order_by("starts_at", "id")
    )


def _cancel_closed(cancelled: list[Appointment], *, actor, reason: str, now: dt.datetime) -> None:
    for locked in cancelled:
        _cancel(locked, now=now, actor=actor, reason=reason)
    # Every text in one batch: a full day of a busy hall is a few hundred bookings.
    sms_queue_many(_texts(cancelled, "hall_cancelled"), actor=None, skip_invalid=True)


def appointments_cancel_day(
    *, actor, org: OrgUnit, day: dt.date, reason: str, now: dt.datetime | None = None
) -> tuple[DayClosure, list[Appointment]]:
    """停止当日预约 (停电, 临时闭厅): the hall takes no more bookings for `day`, and its bookings of that day not
    yet checked in are cancelled, each audited and texted with the reason. Bookings already checked in or
    marked 爽约 stay as they are. A day may be closed ahead, before anyone booked it. Slots of the day closed
    before stay closed by their own rows: reopening the day does not reopen them."""
    require(actor, "appointments.cancel_appointment", org)
    reason = _clean_reason(reason)
    now = now_or(now)
    _refuse_past(day, now)
    with transaction.atomic():
        # The hall's slots first, as a booking locks its slot: a booking being made either commits before
        # and is cancelled here, or waits and finds the day closed.
        list(Slot.objects.select_for_update().filter(org=org))
        _refuse_closed_day(org, day)
        closure = DayClosure.objects.create(org=org, date=day, reason=reason, created_by=actor)
        cancelled = _bookings_to_cancel(org, day, None)
        audit.record(
            events.DAY_CLOSED,
            actor=actor,
            target=closure,
            message=reason,
            after={"date": day, "reason": reason, "count": len(cancelled)},
        )
        _cancel_closed(cancelled, actor=actor, reason=reason, now=now)
    return closure, cancelled


def appointments_cancel_slots(
    *,
    actor,
    org: OrgUnit,
    day: dt.date,
    slot_ids: list[int],
    reason: str,
    now: dt.datetime | None = None,
) -> tuple[list[DayClosure], list[Appointment]]:
    """停止部分时段预约 (下午停电, 会议占用大厅): as `appointments_cancel_day` for the chosen slots of `day` only —
    the hall takes no booking for them on that date, and their bookings not yet checked in are cancelled with
    the reason texted, never counted as 爽约. The other slots of the day, and the same slots on other days,
    stay open. A slot already closed that day is refused by name, so nobody is texted twice."""
    require(actor, "appointments.cancel_appointment", org)
    reason = _clean_reason(reason)
    now = now_or(now)
    if not slot_ids:
        raise ValidationFailed({"slots": [_("请选择要停止预约的时段。")]}, code="no_slots")
    _refuse_past(day, now)
    with transaction.atomic():
        # All the hall's slots, as the day's closing locks them: the two never cross, nor a booking.
        hall_slots = list(Slot.objects.select_for_update().filter(org=org).order_by("start"))
        wanted = set(slot_ids)
        chosen = [slot for slot in hall_slots if slot.pk in wanted and slot.is_active]
        if len(chosen) != len(wanted):
            raise ValidationFailed(
                {"slots": [_("所选时段不是该服务大厅开放预约的时段，请重新选择。")]}, code="bad_slots"
            )
        _refuse_closed_day(org, day)
        closed_before = slot_closures(org.pk, day)
        already = [slot for slot in chosen if slot.pk in closed_before]
        if already:
            raise ServiceError(
                _("%(org)s %(date)s 的以下时段已停止预约：%(slots)s。请不要重复选择。")
                % {
                    "org": org.name,
                    "date": workcalendar.date_with_weekday(day),
                    "slots": "、".join(str(slot) for slot in already),
                },
                code="already_closed",
            )
        closures = [
            DayClosure.objects.create(org=org, date=day, slot=slot, reason=reason, created_by=actor)
            for slot in chosen
        ]
        cancelled = _bookings_to_cancel(org, day, chosen)
        audit.record(
            events.SLOTS_CLOSED,
            actor=actor,
            target=org,
            message=reason,
            after={
                "date": day,
                "slots": [str(slot) for slot in chosen],
                "reason": reason,
                "count": len(cancelled),
            },
        )
        _cancel_closed(cancelled, actor=actor, reason=reason, now=now)
    return closures, cancelled


def day_reopen(*, actor, closure: DayClosure) -> None:
    """恢复预约 of a day, or of one slot of it, closed by mistake or opened again: its places may be booked
    anew. The bookings cancelled with the closing stay cancelled (their residents were told, and may book
    again)."""
    require(actor, "appointments.cancel_appointment", closure)
    with transaction.atomic():
        list(Slot.objects.select_for_update().filter(org_id=closure.org_id))
        before = {"date": closure.date, "reason": closure.reason}
        if closure.slot_id is not None:
            before["slot"] = str(closure.slot)
        audit.record(
            events.DAY_REOPENED if closure.slot_id is None else events.SLOT_REOPENED,
            actor=actor,
            target=closure,
            before=before,
        )
        closure.delete()


# --- the reminder of the day before (预约提醒) --------------------------------------------------------------


def _reminders_due(now: dt.datetime, hour: int, send_at: dt.datetime) -> list[int]:
    """The bookings `reminders_run` texts at `now`: tomorrow's from the hour on, and today's the evening run
    missed (see there)."""
    local = now.astimezone(CHINA_TZ)
    today_cutoff = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    open_unreminded = Appointment.objects.filter(status=AppointmentStatus.BOOKED, reminded_at__isnull=True)
    due = Q(
        date=local.date(),
        created_at__lt=today_cutoff - dt.timedelta(days=1),
        starts_at__gte=send_at + CATCH_UP_LEAD,
    )
    if local >= today_cutoff:
        due |= Q(date=local.date() + dt.timedelta(days=1), created_at__lt=today_cutoff)
    return list(open_unreminded.filter(due).order_by("id").values_list("pk", flat=True))


def reminders_run(*, now: dt.datetime | None = None) -> int:
    """The afternoon before the visit: every day, working or not, from `appointments.reminder_hour` o'clock
    (Beijing time) on, text every resident booked for tomorrow once — on Sunday for a Monday visit, on the
    last day of a holiday for the first working day after it, on Friday for a 调休 Saturday. A visit is
    never reminded days ahead of it, and a booking made on a weekend or during a holiday is reminded all
    the same. A booking made after today's hour is left out: its confirmation has just said the same.

    Catching up: a booking of today that yesterday's runs missed (the scheduler down from the hour to
    midnight) is texted by the first run after midnight, when it was made before yesterday's hour (one made
    later had its confirmation then) and its slot starts at least `CATCH_UP_LEAD` after the text goes out
    (quiet hours hold a text written at night until morning): a resident may still come or cancel, where a
    text about a visit already under way would only confuse. The text is the same: it names the date
    (2025年9月29日（星期一）), never 明天, so it reads right on the day itself.

    Each booking is marked reminded in the transaction that queues its text, so a second run, or two runs
    at once, send nothing twice."""
    now = now_or(now)
    hour = int(get_parameter("appointments.reminder_hour"))
    # Quiet hours as the other reminders keep them: a parameter set late, or a job run late, waits for morning.
    send_at = after_quiet_hours(now)
    pks = _reminders_due(now, hour, send_at)
    sent = 0
    for start in range(0, len(pks), REMINDER_CHUNK):
        with transaction.atomic():
            due = list(
                Appointment.objects.select_for_update(of=("self",))
                .select_related("item", "slot", "org", "resident")
                .filter(
                    pk__in=pks[start : start + REMINDER_CHUNK],
                    status=AppointmentStatus.BOOKED,
                    reminded_at__isnull=True,
                )
                .order_by("id")
            )
            if not due:
                continue
            Appointment.objects.filter(pk__in=[a.pk for a in due]).update(reminded_at=now, updated_at=now)
            by_hall_and_day: dict[tuple[int, dt.date], list[Appointment]] = {}
            for appointment in due:
                by_hall_and_day.setdefault((appointment.org_id, appointment.date), []).append(appointment)
            for (org_id, day), reminded in by_hall_and_day.items():
                audit.record(
                    events.APPOINTMENTS_REMINDED,
                    actor_name=SYSTEM,
                    org=org_id,
                    after={"date": day, "count": len(reminded), "codes": [a.code for a in reminded]},
                )
            sms_queue_many(_texts(due, "reminder", send_at), actor=None, skip_invalid=True)
        sent += len(due)
    return sent


# --- the window --------------------------------------------------------------------------------------------


def appointment_check_in(*, actor, code: str, now: dt.datetime | None = None) -> Appointment:
    """签到 at the window by the booking code: a booking of today at a hall in the actor's scope."""
    now = now_or(now)
    code = (code or "").strip().upper()
    found = (
        Appointment.objects.visible_to(actor, "appointments.checkin_appointment").filter(code=code).first()
    )
    if found is None:
        require(actor, "appointments.checkin_appointment", None)  # no permission at all: 403, not "not found"
        raise ValidationFailed({"code": [_("没有这个预约码，或不是本中心的预约。")]}, code="not_found")
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().select_related("item", "slot").get(pk=found.pk)
        require(actor, "appointments.checkin_appointment", locked)
        if locked.status != AppointmentStatus.BOOKED:
            raise ValidationFailed(
                {"code": [_("该预约%(status)s，不能签到。") % {"status": locked.get_status_display()}]},
                code="bad_status",
            )
        if locked.date != today(now=now):
            raise ValidationFailed(
                {
                    "code": [
                        _("该预约的日期是 %(date)s，不是今天。")
                        % {"date": workcalendar.date_with_weekday(locked.date)}
                    ]
                },
                code="not_today",
            )
        locked.status, locked.checked_in_at, locked.checked_in_by = AppointmentStatus.CHECKED_IN, now, actor
        locked.save(update_fields=["status", "checked_in_at", "checked_in_by", "updated_at"])
        audit.record(
            events.APPOINTMENT_CHECKED_IN,
            actor=actor,
            target=locked,
            before={"status": AppointmentStatus.BOOKED},
            after={"status": locked.status},
        )
    return locked


def no_shows_mark(*, now: dt.datetime | None = None) -> int:
    """爽约: bookings not checked in by their slot's end plus `appointments.grace_minutes`. Each is marked
    under its own lock, so a check-in at the same moment either comes first or finds it marked. A booking
    whose 排队叫号 priority ticket is waiting, being called or was served is not: the visitor came to the
    hall (the window checks the booking in when it calls the ticket). Nor is one whose ticket was skipped
    (过号) or left waiting: see `CAME_TO_HALL`."""
    now = now_or(now)
    cutoff = now - dt.timedelta(minutes=int(get_parameter("appointments.grace_minutes")))
    came = CAME_TO_HALL
    marked = 0
    for pk in (
        Appointment.objects.filter(status=AppointmentStatus.BOOKED, ends_at__lte=cutoff)
        .exclude(came)
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            locked = Appointment.objects.select_for_update().filter(pk=pk).first()
            if locked is None or locked.status != AppointmentStatus.BOOKED or locked.ends_at > cutoff:
                continue
            if Appointment.objects.filter(pk=pk).filter(came).exists():  # took a number meanwhile
                continue
            locked.status, locked.no_show_at = AppointmentStatus.NO_SHOW, now
            locked.save(update_fields=["status", "no_show_at", "updated_at"])
            audit.record(
                events.APPOINTMENT_NO_SHOW,
                actor_name=SYSTEM,
                target=locked,
                before={"status": AppointmentStatus.BOOKED},
                after={"status": locked.status},
            )
            marked += 1
    return marked
