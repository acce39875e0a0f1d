"""时限监控 counts down in the unit of the limit: working days on the work calendar for a working-day limit,
hours for an hour limit, calendar days for a calendar-day limit; the 时限 cell does not wrap."""

import datetime as dt

from django.utils import timezone

from jiedao.core.testing import client_for, make_user
from jiedao.timelimits.selectors import time_left
from jiedao.timelimits.tests.helpers import at, start
from jiedao.workcalendar import services as workcalendar


def test_across_national_day_the_countdown_is_in_working_days(tree):
    clock = start(tree.community_a1, limit=5, started_at=at(2026, 9, 28))
    # 国庆 2026: 1–7 October are rest days and Saturday 10 October a working day, so five working days
    # from 28 September end on 10 October; on 30 September, 10 calendar days but 3 working days are left
    assert timezone.localtime(clock.due_at).date() == dt.date(2026, 10, 10)
    assert time_left(clock, at(2026, 9, 30)).text == "剩余 3 个工作日"
    assert time_left(clock, at(2026, 10, 10, 15)).text == "今日到期"
    late = time_left(clock, at(2026, 10, 13))
    assert late.overdue and late.text == "已超期 2 个工作日"


def test_the_monitoring_page_counts_down_each_clock_in_its_own_unit(tree):
    user = make_user(tree.community_a1, "timelimits.view_clock")
    now = timezone.now()
    today = timezone.localdate()
    working = start(tree.community_a1, limit=10, started_at=now)
    late = start(tree.community_a1, limit=2, started_at=now - dt.timedelta(days=30))
    hours = start(tree.community_a1, rule="hours", limit=48, started_at=now)
    days = start(tree.community_a1, rule="calendar_days", limit=15, started_at=now)
    html = client_for(user).get("/timelimits/").content.decode()

    def row(clock):
        return html.split(f'href="/timelimits/{clock.pk}/"')[1].split("</tr>")[0]

    assert "剩余 10 个工作日" in row(working)
    assert '<td class="text-nowrap">10 工作日</td>' in row(working)
    behind = workcalendar.working_days_between(timezone.localtime(late.due_at).date(), today)
    assert f"已超期 {behind} 个工作日" in row(late)
    assert "剩余 47 小时" in row(hours)
    assert "剩余 15 天" in row(days)
    assert "周" not in html.split('data-testid="clock-table"')[1]
