"""Demo: the State Council has not published the holiday schedules chinese_calendar would carry for this
year or the next (2027 when written), so the demo's system administrator marks each such year provisional
(weekends and the fixed-date statutory holidays), visibly, as a real office would until the notice comes
out; time limits reaching into those years are flagged 临时 and recomputed once the notice is entered."""

from django.utils import timezone

from jiedao.accounts.models import User
from jiedao.workcalendar import services
from jiedao.workcalendar.choices import YearStatus


def load(stdout) -> None:
    admin = User.objects.filter(username="sysadmin").first()
    if admin is None:
        return
    this_year = timezone.localdate().year
    for year in (this_year, this_year + 1):
        if services.year_basis(year) is not None:
            continue
        services.calendar_year_set(
            actor=admin,
            year=year,
            status=YearStatus.PROVISIONAL,
            note=f"{year}年国务院节假日安排录入前，暂按周末和法定节日计算（演示数据）。",
        )
        stdout.write(
            f"工作日历：{year} 年节假日安排尚未录入，演示数据已将其设为“暂按周末和法定节日计算”；"
            "系统管理员可在“工作日历”中点“录入全年放假安排”。"
        )
