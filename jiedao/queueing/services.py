"""Every write of 排队叫号: a hall's queue lines, a visitor taking a number at the kiosk, and the window calling,
calling again (重呼), skipping (过号), putting back (重新排队) and finishing (办结) tickets.

Rules are checked first, in the user's language, and nothing is written when one refuses. A number is given
under a lock of the line's row, so two visitors taking one at the same moment never get the same number; a
window takes the next waiting ticket under a lock of that ticket's row, skipping rows another window holds
(PostgreSQL), so two windows calling at once never call the same visitor.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import secrets
from types import EllipsisType

from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.applications.models import ServiceWindow
from jiedao.applications.services import public_url
from jiedao.appointments import services as appointments
from jiedao.appointments.choices import AppointmentStatus
from jiedao.appointments.models import Appointment
from jiedao.audit import services as audit
from jiedao.catalog.models import ServiceItem
from jiedao.core import crypto, devices, ratelimit
from jiedao.core.exceptions import Conflict, PermissionDenied, RateLimited, ServiceError, ValidationFailed
from jiedao.core.i18n import records_language
from jiedao.core.scope import has_permission, require
from jiedao.orgs.models import OrgUnit
from jiedao.parameters.services import get_parameter
from jiedao.queueing import audit_events as events
from jiedao.queueing import selectors
from jiedao.queueing.choices import TicketStatus
from jiedao.queueing.models import KioskDevice, QueueLine, Ticket
from jiedao.queueing.selectors import now_or, today
from jiedao.registry.validators import mobile_number
from jiedao.sms.services import SmsText, sms_queue_many
from jiedao.workcalendar import services as workcalendar

KIOSK = "kiosk"
VISITOR = "visitor"  # the ticket's holder, on the ticket's own page (by its token)
SYSTEM = "system"
TAKE_WINDOW = dt.timedelta(hours=1)  # numbers counted per address over this long (`queueing.takes_per_hour`)
TAKE_RETRY_AFTER = 600  # seconds: said to the kiosk refused
NEAR_AHEAD = 3  # the visitor with this many waiting ahead is texted 临近叫号, once
PREFIX = re.compile(r"[A-Z]")
# Visitors may still come back to the hall from this stage on: the tickets a window may answer for.
USABLE_BOOKING = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)


# --- the hall's lines --------------------------------------------------------------------------------------


def line_save(
    *,
    actor,
    org: OrgUnit,
    name: str,
    prefix: str,
    window_ids: list[int],
    is_active: bool = True,
    line: QueueLine | None = None,
    item_ids: list[int] | None = None,
    now: dt.datetime | None = None,
) -> QueueLine:
    """Create a line of the hall `org`, or change `line` (its hall stays): name, prefix letter (unique in the
    hall; not changed while the line has numbers today, which keep counting from theirs), the hall's windows
    that call it, the hall's 事项 it serves (`item_ids`; None leaves a line's as they are), and whether the
    kiosk offers it."""
    require(actor, "queueing.add_queueline" if line is None else "queueing.change_queueline", line or org)
    if line is not None:
        org = line.org
    name = " ".join((name or "").split())
    prefix = (prefix or "").strip().upper()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("请填写业务队列名称。")]
    if not PREFIX.fullmatch(prefix):
        errors["prefix"] = [_("号码字头须为一个英文大写字母（A–Z）。")]
    elif QueueLine.objects.filter(org=org, prefix=prefix).exclude(pk=getattr(line, "pk", None)).exists():
        errors["prefix"] = [
            _("本服务大厅已有字头为 %(prefix)s 的业务队列，请换一个字母。") % {"prefix": prefix}
        ]
    elif line is not None and prefix != line.prefix and line.tickets.filter(date=today(now=now)).exists():
        errors["prefix"] = [
            _("本队列今天已有排队号（%(prefix)s 字头），今天不能改号码字头，请在没有取号的日子修改。")
            % {"prefix": line.prefix}
        ]
    windows = list(ServiceWindow.objects.filter(org=org, pk__in=window_ids or []))
    if len(windows) != len(set(window_ids or [])):
        errors["windows"] = [_("所选窗口不是本服务大厅的窗口，请重新选择。")]
    elif line is not None and not any(window.is_active for window in windows):
        # Those already waiting would never be called: the kiosk stops giving numbers, not the windows calling.
        waiting = selectors.waiting([line.pk], today(now=now)).count()
        if waiting:
            errors["windows"] = [
                _("本队列现在还有 %(n)d 人等候，请至少保留一个在用的叫号窗口，否则这些群众无人叫号。")
                % {"n": waiting}
            ]
    items = None
    if item_ids is not None:
        items = list(ServiceItem.objects.filter(org=org, pk__in=item_ids).order_by("name"))
        if len(items) != len(set(item_ids)):
            errors["items"] = [_("所选事项不是本服务大厅办理的事项，请重新选择。")]
    elif line is None:
        items = []
    if errors:
        raise ValidationFailed(errors)
    try:
        return _line_write(actor, org, name, prefix, windows, items, is_active, line, now)
    except IntegrityError as error:  # the same letter saved for the hall at the same moment
        if "queueing_line_prefix" not in str(error) and "queueing_queueline.prefix" not in str(error):
            raise
        raise ValidationFailed(
            {"prefix": [_("本服务大厅已有字头为 %(prefix)s 的业务队列，请换一个字母。") % {"prefix": prefix}]}
        ) from None


def _line_write(
    actor,
    org: OrgUnit,
    name: str,
    prefix: str,
    windows: list[ServiceWindow],
    items: list[ServiceItem] | None,
    is_active: bool,
    line: QueueLine | None,
    now: dt.datetime | None,
) -> QueueLine:
    with transaction.atomic():
        before = None
        if line is None:
            line = QueueLine.objects.create(
                org=org, name=name, prefix=prefix, is_active=is_active, created_by=actor
            )
        else:
            line = QueueLine.objects.select_for_update().get(pk=line.pk)
            if line.prefix != prefix and line.tickets.filter(date=today(now=now)).exists():
                raise ValidationFailed(
                    {
                        "prefix": [
                            _(
                                "本队列今天已有排队号（%(prefix)s 字头），今天不能改号码字头，请在没有取号的日子修改。"
                            )
                            % {"prefix": line.prefix}
                        ]
                    }
                )
            before = {
                "name": line.name,
                "prefix": line.prefix,
                "is_active": line.is_active,
                "windows": [str(w) for w in line.windows.order_by("number")],
                "items": [item.name for item in line.items.order_by("name")],
            }
            line.name, line.prefix, line.is_active = name, prefix, is_active
            line.save(update_fields=["name", "prefix", "is_active", "updated_at"])
        line.windows.set(windows)
        if items is not None:
            line.items.set(items)
        audit.record(
            events.LINE_SAVED,
            actor=actor,
            target=line,
            before=before,
            after={
                "name": name,
                "prefix": prefix,
                "is_active": is_active,
                "windows": [str(w) for w in sorted(windows, key=lambda w: w.number)],
                "items": [item.name for item in line.items.order_by("name")],
            },
        )
    return line


# --- 取号机 registration: the kiosk is a device registered to its hall, never a public page ---------------

KIOSK_LINK_TTL = dt.timedelta(minutes=10)
# A registered kiosk works for a year without anyone signing in; one lost or taken out of use without 停用 stops
# by itself after that.
KIOSK_DEVICE_TTL = dt.timedelta(days=365)
KIOSK_SEEN_EVERY = dt.timedelta(
    minutes=1
)  # the kiosk asks every minute; "last seen" written at most this often
KIOSK_MANAGER = "queueing.change_queueline"  # who sets the hall's lines registers and stops its kiosks


def kiosk_link_start(*, actor, hall: OrgUnit, name: str = "") -> str:
    """A single-use registration link's token for a kiosk of `hall`, valid KIOSK_LINK_TTL: the hall's 取号机
    page shows it as a link and a QR code for the device to open. Only its hash is kept."""
    require(actor, KIOSK_MANAGER, hall)
    name = " ".join((name or "").split())[:50]
    token = devices.new_token()
    at = timezone.now()
    with transaction.atomic():
        device = KioskDevice.objects.create(
            org=hall,
            name=name,
            link_hash=devices.token_hash(token),
            link_expires_at=at + KIOSK_LINK_TTL,
            created_by=actor,
            created_at=at,
        )
        audit.record(
            events.KIOSK_LINK_ISSUED,
            actor=actor,
            org=hall.pk,
            target=device,
            after={"kiosk": str(device), "link_expires_at": device.link_expires_at},
        )
    return token


def kiosk_link_url(token: str) -> str:
    return public_url("queueing:kiosk_pair", token)


def _kiosk_link(token: str, *, lock: bool = False) -> KioskDevice:
    """The registration link's record, or a Chinese refusal: unknown, used, expired, or the hall closed."""
    device = devices.find_by_link(KioskDevice.objects.select_related("org"), token, lock=lock)
    if device is None:
        raise ServiceError(_("登记链接无效，请大厅管理员重新生成取号机登记链接。"), code="bad_link")
    if devices.link_used(device):
        raise ServiceError(
            _("该登记链接已使用，不能再次使用，请大厅管理员重新生成取号机登记链接。"), code="used"
        )
    if devices.link_expired(device):
        raise ServiceError(
            _("该登记链接已过期（10 分钟内有效），请大厅管理员重新生成取号机登记链接。"), code="expired"
        )
    if not device.org.is_active:
        raise ServiceError(_("该服务大厅已停用，不能登记取号机。"), code="inactive")
    return device


def kiosk_link_device(token: str) -> KioskDevice:
    """The kiosk a registration link would make of this device (the device confirms before it is registered)."""
    return _kiosk_link(token)


def kiosk_pair(*, token: str) -> tuple[KioskDevice, str]:
    """The device confirms the registration link: the link is used up and the device gets a random token of
    its own (returned once, for its cookie; only the hash is kept) that opens its hall's kiosk only."""
    with transaction.atomic():
        device = _kiosk_link(token, lock=True)
        device_token, at = devices.use_link(device)
        # The device has no account: it is registered on the authority of who made the link.
        audit.record(
            events.KIOSK_PAIRED,
            actor=device.created_by,
            org=device.org_id,
            target=device,
            after={"kiosk": str(device), "paired_at": at},
        )
    return device, device_token


def kiosk_device(*, token: str, hall: OrgUnit) -> KioskDevice | None:
    """The registered, not stopped, not expired kiosk whose cookie holds `token`, if it is one of `hall`'s;
    notes when it was last seen."""
    return devices.find_by_cookie(
        KioskDevice.objects.filter(org=hall), token, lifetime=KIOSK_DEVICE_TTL, seen_every=KIOSK_SEEN_EVERY
    )


def kiosk_devices(hall: OrgUnit) -> QuerySet[KioskDevice]:
    """The hall's working kiosks (registered, not stopped, not expired), first registered first."""
    return (
        KioskDevice.objects.filter(
            org=hall, paired_at__gt=timezone.now() - KIOSK_DEVICE_TTL, revoked_at__isnull=True
        )
        .select_related("created_by")
        .order_by("paired_at", "pk")
    )


def kiosk_revoke(*, actor, device: KioskDevice) -> KioskDevice:
    """停用 of a kiosk: its cookie stops working at once; the device shows that it is not registered."""
    require(actor, KIOSK_MANAGER, device)
    with transaction.atomic():
        locked = KioskDevice.objects.select_for_update().get(pk=device.pk)
        if locked.paired_at is None or locked.revoked_at is not None:
            raise ServiceError(_("该取号机已停用。"), code="revoked")
        locked.revoked_at, locked.revoked_by = timezone.now(), actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(
            events.KIOSK_REVOKED,
            actor=actor,
            org=locked.org_id,
            target=locked,
            before={"kiosk": str(locked), "paired_at": locked.paired_at, "last_seen_at": locked.last_seen_at},
        )
    return locked


# --- the kiosk ---------------------------------------------------------------------------------------------


def _clean_phone(phone: str | None) -> str:
    phone = (phone or "").strip()
    if not phone:
        return ""
    national = mobile_number(phone)
    if national is None:
        raise ValidationFailed(
            {"phone": [_("请填写正确的 11 位手机号码，或留空（留空则不发送临近叫号短信）。")]},
            code="bad_phone",
        )
    return national


def _booking(code: str, hall_id: int, day: dt.date) -> Appointment:
    """Today's booking `code` at the hall, locked; refused when it is not one, was cancelled or marked 爽约, or
    was used already."""
    found = Appointment.objects.select_for_update().filter(code=code).first()
    if (
        found is not None
        and found.org_id == hall_id
        and found.date != day
        and found.status == AppointmentStatus.BOOKED
    ):
        # The right code on the wrong day: the visitor is told the day booked, not that they typed it wrong.
        raise ValidationFailed(
            {
                "appointment_code": [
                    _(
                        "该预约的日期是 %(date)s，不是今天，预约码只能在预约当天取号。"
                        "今天要办理的，请清空预约码，直接取普通号。"
                    )
                    % {"date": workcalendar.date_with_weekday(found.date)}
                ]
            },
            code="booking_other_day",
        )
    if found is not None and found.org_id == hall_id and found.date == day:
        # The code is right: the visitor is told why it gives no number, not that they typed it wrong.
        if found.status == AppointmentStatus.NO_SHOW:
            raise ValidationFailed(
                {
                    "appointment_code": [
                        _(
                            "该预约已过预约时段未签到，已记爽约，预约码不能再取号。"
                            "请清空预约码，直接取普通号。"
                        )
                    ]
                },
                code="booking_no_show",
            )
        if found.status == AppointmentStatus.CANCELLED:
            raise ValidationFailed(
                {"appointment_code": [_("该预约已取消，预约码不能再取号。请清空预约码，直接取普通号。")]},
                code="booking_cancelled",
            )
    if found is None or found.org_id != hall_id or found.date != day or found.status not in USABLE_BOOKING:
        raise ValidationFailed(
            {
                "appointment_code": [
                    _("预约码不正确，或不是本服务大厅今天的预约。没有预约的，请留空直接取号。")
                ]
            },
            code="bad_booking",
        )
    used = Ticket.objects.filter(appointment=found).first()
    if used is not None:
        # A number taken hours early waits as a plain one: the visitor was never given 优先, only told so.
        message = (
            _("该预约码已经取过号（%(code)s），每个预约只能优先取号一次。")
            if used.priority
            else _("该预约码已经取过号（%(code)s，按普通号排队），每个预约码只能取一次号，请凭该号等候叫号。")
        )
        raise ValidationFailed({"appointment_code": [message % {"code": used.code}]}, code="booking_used")
    return found


def _require_open(hall_id: int, now: dt.datetime) -> None:
    closed = selectors.closed_now(hall_id=hall_id, now=now)
    if closed:
        raise ServiceError(closed, code="closed")


def _line_for_booking(booking: Appointment, chosen: QueueLine | None) -> QueueLine:
    """The open line of the booking's hall a booking's ticket is taken in: the chosen one when it serves the
    booked item, else the first (by prefix) that does; failing that, the chosen one or the first of those
    that serve no item in particular (as every line did before lines had items). Refused when no open line
    of the hall serves the booked item."""
    lines = list(selectors.active_lines(booking.org).prefetch_related("items"))
    serving = [line for line in lines if any(item.pk == booking.item_id for item in line.items.all())]
    open_to_all = [line for line in lines if not line.items.all()]
    chosen_id = getattr(chosen, "pk", None)
    for candidates in (serving, open_to_all):
        if candidates:
            return next((line for line in candidates if line.pk == chosen_id), candidates[0])
    raise ValidationFailed(
        {
            "appointment_code": [
                _(
                    "您预约的事项“%(item)s”不在本大厅目前开放取号的业务队列中，不能凭预约码取号，"
                    "请咨询大厅工作人员。"
                )
                % {"item": booking.item.name}
            ]
        },
        code="no_line_for_item",
    )


def priority_applies(booking: Appointment, now: dt.datetime) -> bool:
    """预约优先 from `queueing.priority_minutes_before` before the slot until its end plus the check-in grace
    (`appointments.grace_minutes`, after which the booking counts as 爽约): a visitor hours early or late
    waits as everyone does, whether or not the no-show job has run yet."""
    lead = dt.timedelta(minutes=int(get_parameter("queueing.priority_minutes_before")))
    grace = dt.timedelta(minutes=int(get_parameter("appointments.grace_minutes")))
    return booking.starts_at - lead <= now < booking.ends_at + grace


def ticket_take(
    *,
    line: QueueLine | None = None,
    hall: OrgUnit | None = None,
    phone: str | None = None,
    appointment_code: str | None = None,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """取号: the next number of today for `line`. With today's booking code of the hall, the ticket is taken
    in the open line that serves the booked 事项 (`_line_for_booking`: `line` itself when it does; with a
    code, `line` may be left out and the `hall` given) — a 预约优先 ticket (once per booking) from
    `queueing.priority_minutes_before` before the slot's start until its end plus the check-in grace, a plain
    one (of that booking) when taken earlier or later (`priority_applies`). With a mobile number, the 临近叫号 text when `NEAR_AHEAD` or fewer visitors are left ahead.
    Numbers taken from one address (`ip`) are counted, so that no one kiosk empties a line."""
    now = now_or(now)
    day = today(now=now)
    phone = _clean_phone(phone)
    code = (appointment_code or "").strip().upper()
    hall_id = line.org_id if line is not None else getattr(hall, "pk", None)
    if hall_id is None or (line is None and not code):
        raise ValidationFailed({"line": [_("请选择要办理的业务。")]}, code="no_line")
    _require_open(hall_id, now)
    # A kiosk in a busy hall gives a few hundred numbers an hour, all from one address; no address, one count.
    limit = int(get_parameter("queueing.takes_per_hour"))
    if not ratelimit.attempt("queueing_take", ip or "unknown", limit=limit, window=TAKE_WINDOW):
        raise RateLimited(
            _("本机取号过于频繁，请稍后再试，或咨询大厅工作人员。"), retry_after=TAKE_RETRY_AFTER
        )
    with transaction.atomic():
        # The booking first, then the line: a booking code used at two lines at once gives one ticket.
        booking = _booking(code, hall_id, day) if code else None
        if booking is not None:
            line = _line_for_booking(booking, line)
        locked = QueueLine.objects.select_for_update().get(pk=line.pk)
        if not locked.is_active:
            raise ServiceError(
                _("“%(line)s”暂停取号，请咨询大厅工作人员。") % {"line": locked.name}, code="line_closed"
            )
        if not locked.windows.filter(is_active=True).exists():  # nobody would ever call the number
            raise ServiceError(
                _("“%(line)s”暂时没有窗口叫号，暂停取号，请咨询大厅工作人员。") % {"line": locked.name},
                code="no_window",
            )
        last = Ticket.objects.filter(line=locked, date=day).aggregate(last=Max("number"))["last"] or 0
        cap = int(get_parameter("queueing.daily_cap"))
        if cap and last >= cap:
            raise ServiceError(
                _("“%(line)s”今天的 %(n)d 个号已经发完，请改日再来或咨询大厅工作人员。")
                % {"line": locked.name, "n": cap},
                code="full",
            )
        number = last + 1
        priority = booking is not None and priority_applies(booking, now)
        ticket = Ticket.objects.create(
            org_id=locked.org_id,
            line=locked,
            date=day,
            number=number,
            code=f"{locked.prefix}{number:03d}",
            token=secrets.token_urlsafe(18),
            priority=priority,
            appointment=booking,
            phone=phone,
            phone_masked=crypto.mask_phone(phone) if phone else "",
            taken_at=now,
            queued_at=now,
        )
        audit.record(
            events.TICKET_TAKEN,
            actor_name=KIOSK,
            target=ticket,
            after={
                "line": locked.name,
                "code": ticket.code,
                "priority": ticket.priority,
                "appointment": booking.code if booking else "",
            },
        )
        _near_text(locked.pk, day, now)  # a short queue: texted at once
    return ticket


def ticket_cancel(*, ticket: Ticket, now: dt.datetime | None = None) -> Ticket:
    """取消排队 by the visitor, from the ticket's page: a waiting ticket leaves the queue, and those behind move
    up. Nothing else can be done by the token's holder. A ticket taken with a booking code lets go of the
    booking: its code gives a number again (a cancel by mistake, or at the wrong line), and the booking is
    judged by whether its visitor comes, not by the cancelled ticket."""
    with transaction.atomic():
        locked = _locked_ticket(ticket)
        _require_status(locked, TicketStatus.WAITING)
        booking_code = (
            Appointment.objects.filter(pk=locked.appointment_id).values_list("code", flat=True).first() or ""
        )
        locked.status, locked.appointment = TicketStatus.CANCELLED, None
        locked.save(update_fields=["status", "appointment", "updated_at"])
        audit.record(
            events.TICKET_CANCELLED,
            actor_name=VISITOR,
            target=locked,
            before={"status": TicketStatus.WAITING, "appointment": booking_code},
            after={"status": locked.status, "appointment": ""},
        )
        _near_text(locked.line_id, locked.date, now_or(now))
    return locked


# --- the window --------------------------------------------------------------------------------------------


def window_stop_check(window: ServiceWindow, *, now: dt.datetime | None = None) -> None:
    """停用 of `window` is refused (`ValidationFailed` on is_active, in Chinese, with the counts) while it
    serves a visitor, or while a line it is the last working window of has visitors waiting: both would be
    left to the end of the day, uncalled, unfinished. The line form's rule (`line_save`): a line with people
    waiting keeps a working window. Refused rather than handing the visitor back to the queue: the visitor
    is at the counter, half served; the clerk finishes them (办结) or 过号 first. `window_update` calls it
    under the window's lock, so no call at this window comes in between."""
    day = today(now=now)
    messages: list[str] = []
    serving = list(
        Ticket.objects.filter(called_window=window, date=day, status=TicketStatus.CALLED)
        .order_by("code")
        .values_list("code", flat=True)
    )
    if serving:
        messages.append(
            _("本窗口正在办理 %(n)d 人（%(codes)s），请先办结或过号后再停用。")
            % {"n": len(serving), "codes": "、".join(serving)}
        )
    # The lines this window is the last working window of, locked so that no number is taken meanwhile.
    lines = list(
        QueueLine.objects.select_for_update(of=("self",))
        .filter(windows=window)
        .exclude(windows__in=ServiceWindow.objects.filter(is_active=True).exclude(pk=window.pk))
        .order_by("prefix")
    )
    counts = selectors.waiting_counts(lines, day) if lines else {}
    stranded = [line for line in lines if counts.get(line.pk)]
    if stranded:
        messages.append(
            _(
                "本窗口是%(lines)s唯一在用的叫号窗口，现在还有 %(n)d 人等候，停用后这些群众无人叫号。请先为该队列保留其他在用的叫号窗口。"
            )
            % {
                "lines": "、".join(f"“{line.name}”" for line in stranded),
                "n": sum(counts[line.pk] for line in stranded),
            }
        )
    if messages:
        raise ValidationFailed({"is_active": messages}, code="window_busy")


def _require_at_window(actor, window: ServiceWindow) -> None:
    """The actor calls for a window of a hall in scope that they work at."""
    require(actor, "queueing.call_ticket", window)
    if not window.is_active or not window.staff.filter(pk=actor.pk).exists():
        raise PermissionDenied(_("您不是%(window)s的工作人员，不能在该窗口叫号。") % {"window": window})


def _locked_ticket(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("line", "called_window")
        .get(pk=ticket.pk)
    )


def _require_status(ticket: Ticket, *statuses: str) -> None:
    # A conflict: the ticket changed since the page or terminal read it (finished twice, another's 过号).
    if ticket.status not in statuses:
        raise Conflict(
            _("%(code)s 号%(status)s，不能这样操作，请刷新页面。")
            % {"code": ticket.code, "status": ticket.get_status_display()},
            code="bad_status",
        )


def _near_text(line_id: int, day: dt.date, now: dt.datetime) -> None:
    """Text every visitor of the line with `NEAR_AHEAD` or fewer waiting ahead who left a phone and was not
    texted yet, once each (`near_texted_at`): after a call, a 过号, a cancel or a take, however many moved up.

    Called last in a transaction that already holds the audit chain: the tickets are locked with SKIP LOCKED
    (PostgreSQL), never waited for. A ticket another transaction holds is being called, cancelled or texted
    by it; one still waiting and untexted once that lock is gone is texted by the line's next change.
    A stored phone the gateway refuses is left out (`skip_invalid`), so the call goes on."""
    queue = selectors.waiting([line_id], day).values_list("pk", "near_texted_at", "phone_masked")
    ahead = {
        pk: n for n, (pk, texted, masked) in enumerate(queue[: NEAR_AHEAD + 1]) if texted is None and masked
    }
    if not ahead:
        return
    skip_locked = connection.features.has_select_for_update_skip_locked
    locked = list(
        Ticket.objects.select_for_update(of=("self",), skip_locked=skip_locked)
        .select_related("line", "org")
        .filter(pk__in=ahead, status=TicketStatus.WAITING, near_texted_at__isnull=True)
        .order_by("pk")
    )
    if not locked:
        return
    texts = []
    with records_language():  # SMS templates are registered with the gateway in Chinese
        for ticket in locked:
            n = ahead[ticket.pk]
            text = (
                _(
                    "您在%(hall)s取的 %(code)s 号（%(line)s）前面还有 %(n)d 位，即将叫到，请回到大厅留意叫号屏。"
                )
                if n
                else _("您在%(hall)s取的 %(code)s 号（%(line)s）下一位就叫到，请回到大厅留意叫号屏。")
            )
            body = text % {"hall": ticket.org.name, "code": ticket.code, "line": ticket.line.name, "n": n}
            texts.append(
                SmsText(
                    phone=ticket.phone,
                    body=body,
                    org=ticket.org,
                    purpose="queueing.near",
                    dedupe_key=f"queueing.near.{ticket.pk}",
                )
            )
    Ticket.objects.filter(pk__in=[ticket.pk for ticket in locked]).update(near_texted_at=now, updated_at=now)
    sms_queue_many(texts, actor=None, skip_invalid=True)


def _check_in_booking(actor, ticket: Ticket, now: dt.datetime) -> None:
    """签到 of the booking a 预约优先 ticket came with, by the window calling it (through 预约办理's own check-in):
    the visitor is at the window, and is not to be marked 爽约 when the slot ends. Left to 今日预约 when the
    window's staff may not check in, or the booking is no longer open (checked in at the window already)."""
    if ticket.appointment_id is None or not has_permission(actor, "appointments.checkin_appointment"):
        return
    booking = Appointment.objects.filter(pk=ticket.appointment_id).first()
    if booking is None or booking.status != AppointmentStatus.BOOKED:
        return
    with contextlib.suppress(ServiceError):  # out of the actor's scope, or not of today: the call goes on
        appointments.appointment_check_in(actor=actor, code=booking.code, now=now)


def _finish(locked: Ticket, actor, now: dt.datetime) -> None:
    locked.status, locked.finished_at = TicketStatus.DONE, now
    locked.save(update_fields=["status", "finished_at", "updated_at"])
    audit.record(
        events.TICKET_FINISHED,
        actor=actor,
        target=locked,
        before={"status": TicketStatus.CALLED},
        after={"status": locked.status, "window": str(locked.called_window)},
    )


def ticket_call_next(
    *,
    actor,
    window: ServiceWindow,
    seen_current: int | None | EllipsisType = ...,
    now: dt.datetime | None = None,
) -> Ticket:
    """叫下一位 at `window`: the first waiting ticket of today among the lines it serves (预约优先 first, then
    who has waited longest). The visitor the window was serving is finished (办结) with it.

    The window's row is locked first (window → the tickets it serves → the next ticket → booking → audit), so
    one window calls one visitor at a time, in the order 办结/过号/重呼 take their locks. `seen_current` is the pk of the ticket the window's page showed as being served (None: nobody);
    when the window now serves another (the button pressed twice, an old tab, two staff at one window), the
    call is refused with Conflict and nothing changes."""
    _require_at_window(actor, window)
    now = now_or(now)
    day = today(now=now)
    line_ids = list(window.queue_lines.values_list("pk", flat=True))
    if not line_ids:
        raise ServiceError(
            _("%(window)s还没有分配业务队列，请大厅管理员在“排队叫号设置”中为业务队列选择叫号窗口。")
            % {"window": window},
            code="no_lines",
        )
    with transaction.atomic():
        ServiceWindow.objects.select_for_update().filter(pk=window.pk).first()
        if seen_current is not ...:
            serving = selectors.current_at(window, day)
            if (serving.pk if serving else None) != seen_current:
                # The one the page showed was finished or skipped meanwhile: nobody was called.
                if serving is None:
                    raise Conflict(
                        _(
                            "%(window)s正在办理的号刚刚已办结或过号，本次没有叫号，"
                            "请看页面上的最新情况后再叫下一位。"
                        )
                        % {"window": window.number},
                        code="window_changed",
                    )
                raise Conflict(
                    _("%(window)s刚刚已叫号（正在办理 %(code)s），本次没有再叫号，请看页面上的最新情况。")
                    % {"window": window.number, "code": serving.code},
                    code="window_changed",
                )
        # The visitors being served, before anything else is locked: 办结/过号/重呼 lock such a ticket and then
        # the audit chain, so the booking's check-in below (which writes the chain) must come after.
        being_served = list(
            Ticket.objects.select_for_update(of=("self",))
            .select_related("called_window")
            .filter(called_window=window, date=day, status=TicketStatus.CALLED)
            .order_by("pk")
        )
        # Another window's ticket being called is skipped, not waited for: that window calls it.
        skip_locked = connection.features.has_select_for_update_skip_locked
        ticket = (
            selectors.waiting(line_ids, day)
            .select_related("line")
            .select_for_update(skip_locked=skip_locked, of=("self",))
            .first()
        )
        if ticket is None:
            raise ServiceError(_("目前没有等候的群众。"), code="empty")
        # Before any audit record: the booking's row, then the audit chain, as 预约签到 takes them.
        _check_in_booking(actor, ticket, now)
        for current in being_served:
            _finish(current, actor, now)
        ticket.status = TicketStatus.CALLED
        ticket.called_at = ticket.called_at or now
        ticket.announced_at, ticket.called_window, ticket.called_by = now, window, actor
        ticket.save(
            update_fields=["status", "called_at", "announced_at", "called_window", "called_by", "updated_at"]
        )
        audit.record(
            events.TICKET_CALLED,
            actor=actor,
            target=ticket,
            before={"status": TicketStatus.WAITING},
            after={"status": ticket.status, "window": str(window), "priority": ticket.priority},
        )
        # After the audit record, whose lock orders the windows: the line's queue as the last call left it.
        _near_text(ticket.line_id, day, now)
    return ticket


def _at_own_window(actor, ticket: Ticket) -> Ticket:
    """The ticket, read again under its lock, called at a window the actor works at."""
    locked = _locked_ticket(ticket)
    if locked.called_window is None:
        raise ServiceError(_("%(code)s 号还没有被叫号。") % {"code": locked.code}, code="not_called")
    _require_at_window(actor, locked.called_window)
    return locked


def ticket_recall(*, actor, ticket: Ticket, now: dt.datetime | None = None) -> Ticket:
    """重呼: the display shows the ticket again at the top; the count is kept."""
    now = now_or(now)
    with transaction.atomic():
        locked = _at_own_window(actor, ticket)
        _require_status(locked, TicketStatus.CALLED)
        locked.recall_count += 1
        locked.announced_at = now
        locked.save(update_fields=["recall_count", "announced_at", "updated_at"])
        audit.record(
            events.TICKET_RECALLED,
            actor=actor,
            target=locked,
            after={"recall_count": locked.recall_count, "window": str(locked.called_window)},
        )
    return locked


def ticket_skip(*, actor, ticket: Ticket, now: dt.datetime | None = None) -> Ticket:
    """过号: the visitor called did not come; the window may put the ticket back when they do (`ticket_requeue`)."""
    with transaction.atomic():
        locked = _at_own_window(actor, ticket)
        _require_status(locked, TicketStatus.CALLED)
        locked.status = TicketStatus.SKIPPED
        locked.save(update_fields=["status", "updated_at"])
        audit.record(
            events.TICKET_SKIPPED,
            actor=actor,
            target=locked,
            before={"status": TicketStatus.CALLED},
            after={"status": locked.status, "window": str(locked.called_window)},
        )
        _near_text(locked.line_id, locked.date, now_or(now))
    return locked


def ticket_finish(*, actor, ticket: Ticket, now: dt.datetime | None = None) -> Ticket:
    """办结 at the window: the visitor has been served."""
    now = now_or(now)
    with transaction.atomic():
        locked = _at_own_window(actor, ticket)
        _require_status(locked, TicketStatus.CALLED)
        _finish(locked, actor, now)
    return locked


def ticket_requeue(*, actor, window: ServiceWindow, ticket: Ticket, now: dt.datetime | None = None) -> Ticket:
    """重新排队: a skipped visitor came back; the ticket waits again at the end of its line (as a plain ticket,
    its 预约优先 used up). Only today's tickets, by a window that serves the ticket's line."""
    _require_at_window(actor, window)
    now = now_or(now)
    with transaction.atomic():
        locked = _locked_ticket(ticket)
        if not locked.line.windows.filter(pk=window.pk).exists() or locked.org_id != window.org_id:
            raise ServiceError(
                _("%(code)s 号不属于%(window)s叫号的业务队列。") % {"code": locked.code, "window": window},
                code="other_line",
            )
        _require_status(locked, TicketStatus.SKIPPED)
        if locked.date != today(now=now):
            raise ServiceError(_("%(code)s 号不是今天的号。") % {"code": locked.code}, code="not_today")
        locked.status, locked.queued_at, locked.priority = TicketStatus.WAITING, now, False
        locked.save(update_fields=["status", "queued_at", "priority", "updated_at"])
        audit.record(
            events.TICKET_REQUEUED,
            actor=actor,
            target=locked,
            before={"status": TicketStatus.SKIPPED},
            after={"status": locked.status, "window": str(window)},
        )
    return locked


# --- the end of the day -------------------------------------------------------------------------------------


def days_close(*, now: dt.datetime | None = None) -> int:
    """日终处理 of the days before today, hall by hall: tickets still waiting become 已失效, tickets still
    being served are finished (办结), and the phones left for the 临近叫号 text are erased, the masked copy
    too. One audit event per hall and run; a day already closed is left alone. Returns the tickets changed."""
    now = now_or(now)
    day = today(now=now)
    left = Q(date__lt=day) & (Q(status__in=(TicketStatus.WAITING, TicketStatus.CALLED)) | ~Q(phone_masked=""))
    changed = 0
    for org_id in Ticket.objects.filter(left).values_list("org_id", flat=True).distinct().order_by("org_id"):
        with transaction.atomic():
            tickets = list(Ticket.objects.select_for_update().filter(left, org_id=org_id).order_by("pk"))
            expired = [t for t in tickets if t.status == TicketStatus.WAITING]
            finished = [t for t in tickets if t.status == TicketStatus.CALLED]
            Ticket.objects.filter(pk__in=[t.pk for t in expired]).update(
                status=TicketStatus.EXPIRED, updated_at=now
            )
            Ticket.objects.filter(pk__in=[t.pk for t in finished]).update(
                status=TicketStatus.DONE, finished_at=now, updated_at=now
            )
            with_phone = [t.pk for t in tickets if t.phone_masked]
            Ticket.objects.filter(pk__in=with_phone).update(phone="", phone_masked="", updated_at=now)
            audit.record(
                events.DAY_CLOSED,
                actor_name=SYSTEM,
                org=org_id,
                after={
                    "expired": [f"{t.date:%Y-%m-%d} {t.code}" for t in expired],
                    "finished": [f"{t.date:%Y-%m-%d} {t.code}" for t in finished],
                    "phones_cleared": len(with_phone),
                },
            )
            changed += len(tickets)
    return changed
