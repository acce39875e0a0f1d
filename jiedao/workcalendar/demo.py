"""Demo: the State Council has not published the 2027 holiday schedule that chinese_calendar would carry,
so the demo's system administrator marks 2027 provisional (weekends only), visibly, as a real office would
until the notice comes out; time limits reaching into 2027 then compute instead of failing."""

from django.utils import timezone

from jiedao.accounts.models import User
from jiedao.workcalendar import services
from jiedao.workcalendar.choices import YearStatus
from jiedao.workcalendar.models import CalendarYear


def load(stdout) -> None:
    next_year = timezone.localdate().year + 1
    if services.year_basis(next_year) is not None:
        return
    admin = User.objects.filter(username="sysadmin").first()
    if admin is None or CalendarYear.objects.filter(year=next_year).exists():
        return
    services.calendar_year_set(
        actor=admin,
        year=next_year,
        status=YearStatus.PROVISIONAL,
        note=f"{next_year}年国务院节假日安排录入前，暂按周末计算（演示数据）。",
    )
    stdout.write(
        f"工作日历：{next_year} 年节假日安排尚未录入，演示数据已将其设为“暂按周末计算”；"
        "系统管理员可在“工作日历”中录入正式安排。"
    )
