"""Demo data of 排队叫号: permissions of the demo roles (the window calls, the sub-district leader sets up the
hall's lines), two lines at 清波街道's service center called by its 1号窗口 (`window` works there), and, on a
working day, a few tickets of today, so that `window` finds visitors waiting on 窗口叫号 and the display
(/queue/hall/330110001000/screen/) shows them. Idempotent.

The kiosk (/queue/hall/330110001000/) opens only on a device registered to the hall: no kiosk is registered
by the demo (a registered one is a secret cookie, which a demo cannot hand to whoever opens it), the demo
says instead how `leader` registers one in a minute (`kiosk_hint`).

Needs the applications demo (the hall's window), loaded before this app by `manage.py demo`.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse

from jiedao.accounts.models import Role, User
from jiedao.applications.models import ServiceWindow
from jiedao.core.demo import resolve_permissions
from jiedao.core.exceptions import ServiceError
from jiedao.orgs.models import OrgUnit
from jiedao.parameters.services import get_parameter
from jiedao.queueing import selectors, services
from jiedao.queueing.models import QueueLine, Ticket
from jiedao.workcalendar.services import CHINA_TZ

HALL_CODE = "330110001000"  # 清波街道
ROLE_PERMISSIONS = {
    "window-staff": ("queueing.call_ticket", "queueing.view_ticket"),
    "subdistrict-leader": (
        "queueing.view_queueline",
        "queueing.add_queueline",
        "queueing.change_queueline",
        "queueing.view_ticket",
    ),
    "supervisor": ("queueing.view_queueline", "queueing.view_ticket"),
}
LINES = [("A", "社会救助"), ("B", "户籍与居住证明")]
TICKETS = {"A": 3, "B": 2}


def load_permissions() -> None:
    for code, patterns in ROLE_PERMISSIONS.items():
        role = Role.objects.filter(code=code).first()
        if role is not None:
            role.permissions.add(*resolve_permissions(patterns))


def load_lines(hall: OrgUnit) -> list[QueueLine]:
    leader = User.objects.filter(username="leader").first()
    if leader is None or QueueLine.objects.filter(org=hall).exists():
        return list(QueueLine.objects.filter(org=hall).order_by("prefix"))
    windows = [w.pk for w in ServiceWindow.objects.filter(org=hall, is_active=True)]
    return [
        services.line_save(actor=leader, org=hall, name=name, prefix=prefix, window_ids=windows)
        for prefix, name in LINES
    ]


def load_tickets(lines: list[QueueLine], stdout=None) -> None:
    """Today's first numbers, taken from the opening hour on (whatever the hour the demo is loaded at)."""
    day = selectors.today()
    opening = dt.datetime.combine(day, dt.time(int(get_parameter("queueing.take_from"))), tzinfo=CHINA_TZ)
    if selectors.closed_now(now=opening) or Ticket.objects.filter(line__in=lines, date=day).exists():
        return
    for line in lines:
        for n in range(TICKETS.get(line.prefix, 0)):
            services.ticket_take(line=line, now=opening + dt.timedelta(minutes=5 * n + 1))
    if stdout is not None:
        stdout.write(f"演示排队：{', '.join(f'{line.prefix} {line.name}' for line in lines)}，今日已取号。")


def kiosk_hint(hall: OrgUnit) -> str:
    kiosks = reverse("queueing:kiosks", args=[hall.pk])
    screen = reverse("queueing:screen", args=[hall.division_code])
    return (
        f"演示取号机：取号页面只能在已登记的取号机上使用。以 leader 登录，打开“排队叫号设置”中{hall.name}的"
        f"“取号机”（{kiosks}），点击“登记取号机”，在取号设备（或另一个浏览器）上打开登记链接并确认登记；"
        f"叫号屏（{screen}）无需登记。"
    )


@transaction.atomic
def load(stdout=None) -> None:
    load_permissions()
    hall = OrgUnit.objects.filter(division_code=HALL_CODE).first()
    if hall is None:
        return
    lines = load_lines(hall)
    if stdout is not None and lines:
        stdout.write(kiosk_hint(hall))
    try:
        load_tickets(lines, stdout)
    except ServiceError as refused:  # a calendar year not entered yet, say: the demo goes on without tickets
        if stdout is not None:
            stdout.write(f"演示排队号未载入：{refused.message}")
