"""Test data of 排队叫号: a hall's windows and lines, bookings of the day the tests queue on."""

from __future__ import annotations

import datetime as dt
from itertools import count

from jiedao.applications.models import ServiceWindow
from jiedao.applications.tests.factories import make_item, make_resident
from jiedao.appointments.models import Appointment
from jiedao.appointments.tests.factories import booked_for_today, open_hall
from jiedao.core.testing import make_user
from jiedao.queueing import services
from jiedao.queueing.models import QueueLine
from jiedao.workcalendar.services import CHINA_TZ

CALLER = ("queueing.call_ticket", "queueing.view_ticket")
LINE_ADMIN = ("queueing.view_queueline", "queueing.add_queueline", "queueing.change_queueline")
# A Monday, a working day: every service call of the tests passes `now`, so they run on any day.
MONDAY = dt.date(2025, 9, 29)
SATURDAY = dt.date(2025, 10, 4)  # National Day holiday
_serial = count(1)


def at(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=CHINA_TZ)


def make_window(org, *staff, number: str | None = None) -> ServiceWindow:
    window = ServiceWindow.objects.create(
        org=org, number=number or f"{100 + next(_serial)}号窗口", name="综合受理"
    )
    window.staff.add(*staff)
    return window


def make_caller(org, window=None, *extra: str):
    """A window staff member of `org` who may call (and hold the `extra` permissions), working at `window`
    when given."""
    user = make_user(org, *CALLER, *extra)
    if window is not None:
        window.staff.add(user)
    return user


def make_line(org, prefix: str, *windows, name: str | None = None) -> QueueLine:
    admin = make_user(org, *LINE_ADMIN)
    return services.line_save(
        actor=admin, org=org, name=name or f"业务{prefix}", prefix=prefix, window_ids=[w.pk for w in windows]
    )


def booking_on(org, day: dt.date) -> Appointment:
    """A booking of `org`'s hall moved to `day`, whatever day the tests run."""
    slots = open_hall(org, capacity=5)
    booked = booked_for_today(make_resident(), make_item(org), slots[0])
    Appointment.objects.filter(pk=booked.pk).update(
        date=day,
        starts_at=dt.datetime.combine(day, booked.slot.start, tzinfo=CHINA_TZ),
        ends_at=dt.datetime.combine(day, booked.slot.end, tzinfo=CHINA_TZ),
    )
    booked.refresh_from_db()
    return booked


def booking_now(org) -> Appointment:
    """A booking of `org`'s hall today whose slot is going on now (began ten minutes ago), for the pages,
    which read the real clock: its code gives priority at any hour the tests run."""
    from django.utils import timezone

    from jiedao.queueing.selectors import today

    booked = booking_on(org, today())
    now = timezone.now()
    Appointment.objects.filter(pk=booked.pk).update(
        starts_at=now - dt.timedelta(minutes=10), ends_at=now + dt.timedelta(minutes=20)
    )
    booked.refresh_from_db()
    return booked


def take(line, n: int = 1, *, minute: int = 0, **kwargs):
    """`n` tickets of `line` on MONDAY, a second apart from 9:`minute`."""
    return [services.ticket_take(line=line, now=at(MONDAY, 9, minute, i), **kwargs) for i in range(n)]


def hall_open_now(org, workday: bool = True) -> dt.date:
    """Today made a working day (or a day off) by the calendar, and numbers taken at any hour, so that the
    pages, which read the real clock, behave the same whenever the tests run."""
    from jiedao.parameters.services import parameter_set
    from jiedao.queueing.selectors import today
    from jiedao.workcalendar import services as workcalendar

    day = today()
    if workcalendar.is_workday(day) != workday:
        admin = make_user(org, "workcalendar.change_calendarday", scope="all")
        reason = "测试：今天上班" if workday else "测试：今天休息"
        workcalendar.calendar_day_set(actor=admin, date=day, is_workday=workday, reason=reason)
    admin = make_user(org, "parameters.manage_systemparameter", scope="all")
    parameter_set(actor=admin, key="queueing.take_from", raw_value="0")
    parameter_set(actor=admin, key="queueing.take_until", raw_value="24")
    return day


def paired_kiosk(hall, **client_kwargs):
    """A browser registered as a kiosk of `hall` (取号机), by the hall's queue administrator's link."""
    from django.test import Client

    from jiedao.queueing.views import KIOSK_COOKIE

    admin = make_user(hall, *LINE_ADMIN)
    _device, token = services.kiosk_pair(token=services.kiosk_link_start(actor=admin, hall=hall))
    client = Client(**client_kwargs)
    client.cookies[KIOSK_COOKIE] = token
    return client
