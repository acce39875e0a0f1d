import datetime as dt

import pytest

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import PermissionDenied, ValidationFailed
from jiedao.core.models import SystemAlert
from jiedao.core.scope import DataScope
from jiedao.core.testing import make_user
from jiedao.workcalendar import services
from jiedao.workcalendar.models import CalendarDay

# These tests are about years the package does not cover: none is marked for them.
pytestmark = pytest.mark.calendar_as_shipped

D = dt.date


@pytest.fixture
def admin(tree):
    return make_user(
        tree.district, "workcalendar.view_calendarday", "workcalendar.change_calendarday", scope=DataScope.ALL
    )


def count_day_by_day(start, end):
    day, n = start, 0
    while day < end:
        day += dt.timedelta(days=1)
        n += services.is_workday(day)
    return n


@pytest.mark.django_db
class TestPackageYears:
    def test_national_day_holiday_is_skipped(self):
        # 2026: Oct 1–7 off, Saturday Oct 10 is a make-up workday (chinese_calendar 1.11 data).
        assert services.add_working_days(D(2026, 9, 30), 5) == D(2026, 10, 13)
        assert services.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)

    def test_make_up_saturday_is_a_working_day_with_its_reason(self):
        info = services.day_info(D(2026, 10, 10))
        assert D(2026, 10, 10).weekday() == 5
        assert info.is_workday and info.source == "package" and info.reason == "国庆节调休上班"
        holiday = services.day_info(D(2026, 10, 5))
        assert not holiday.is_workday and holiday.reason == "国庆节" and holiday.source == "package"
        sunday = services.day_info(D(2026, 10, 11))
        assert not sunday.is_workday and sunday.source == "weekend" and sunday.reason == "周末"
        assert services.day_info(D(2026, 10, 12)) == services.DayInfo(D(2026, 10, 12), True, "", "weekend")

    def test_zero_days_is_the_start_itself_and_negative_is_refused(self):
        assert services.add_working_days(D(2026, 10, 3), 0) == D(2026, 10, 3)
        with pytest.raises(ValidationFailed):
            services.add_working_days(D(2026, 10, 3), -1)

    def test_working_days_between_counts_the_half_open_interval(self):
        assert services.working_days_between(D(2026, 9, 30), D(2026, 10, 13)) == 5
        assert services.working_days_between(D(2026, 9, 30), D(2026, 9, 30)) == 0
        assert services.working_days_between(D(2026, 10, 1), D(2026, 10, 7)) == 0
        with pytest.raises(ValidationFailed):
            services.working_days_between(D(2026, 10, 2), D(2026, 10, 1))

    @pytest.mark.parametrize("start", [D(2025, 12, 20), D(2026, 1, 30), D(2026, 2, 10), D(2026, 9, 18)])
    @pytest.mark.parametrize("n", [1, 3, 7, 20])
    def test_adding_and_counting_agree_day_by_day(self, start, n):
        end = services.add_working_days(start, n)
        assert services.is_workday(end)
        assert services.working_days_between(start, end) == n == count_day_by_day(start, end)

    def test_calendar_period_rolls_forward_when_it_ends_on_a_holiday(self):
        # 2026-09-28 + 5 days = Saturday Oct 3, inside the National Day holiday → Thursday Oct 8.
        assert services.add_calendar_days_rolling(D(2026, 9, 28), 5) == D(2026, 10, 8)
        assert services.add_calendar_days_rolling(D(2026, 9, 28), 2) == D(2026, 9, 30)
        # Ending on the make-up Saturday does not roll.
        assert services.add_calendar_days_rolling(D(2026, 10, 5), 5) == D(2026, 10, 10)

    def test_days_lists_each_day_and_refuses_long_ranges(self):
        listed = services.days(D(2026, 10, 1), D(2026, 10, 10))
        assert [d.is_workday for d in listed] == [False] * 7 + [True, True, True]
        assert len(services.days(D(2024, 1, 1), D(2024, 12, 31))) == 366
        with pytest.raises(ValidationFailed):
            services.days(D(2026, 1, 1), D(2027, 1, 2))
        with pytest.raises(ValidationFailed):
            services.days(D(2026, 1, 2), D(2026, 1, 1))


class TestOverrides:
    def test_override_wins_over_the_package_and_deleting_restores_it(self, admin):
        assert services.add_working_days(D(2026, 9, 30), 2) == D(2026, 10, 9)
        services.calendar_day_set(actor=admin, date=D(2026, 10, 9), is_workday=False, reason="防汛应急调休")
        info = services.day_info(D(2026, 10, 9))
        assert (info.is_workday, info.reason, info.source) == (False, "防汛应急调休", "override")
        assert services.add_working_days(D(2026, 9, 30), 2) == D(2026, 10, 10)

        services.calendar_day_set(actor=admin, date=D(2026, 10, 7), is_workday=True, reason="本地调整上班")
        assert services.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 7)

        services.calendar_day_delete(actor=admin, date=D(2026, 10, 9))
        services.calendar_day_delete(actor=admin, date=D(2026, 10, 7))
        assert services.add_working_days(D(2026, 9, 30), 2) == D(2026, 10, 9)
        assert services.day_info(D(2026, 10, 7)).source == "package"

    def test_writes_are_audited(self, admin):
        services.calendar_day_set(actor=admin, date=D(2026, 5, 6), is_workday=False, reason="测试")
        services.calendar_day_set(actor=admin, date=D(2026, 5, 6), is_workday=True, reason="改回上班")
        services.calendar_day_delete(actor=admin, date=D(2026, 5, 6))
        services.calendar_year_set(actor=admin, year=2027, status="provisional", note="等待国务院通知")
        codes = list(AuditEvent.objects.order_by("id").values_list("event_code", flat=True))
        assert codes == [1701, 1701, 1702, 1703]
        changed = AuditEvent.objects.filter(event_code=1701).order_by("id").last()
        assert changed.before["reason"] == "测试" and changed.after["reason"] == "改回上班"

    def test_editing_needs_the_permission(self, tree):
        viewer = make_user(tree.district, "workcalendar.view_calendarday", scope=DataScope.ALL)
        with pytest.raises(PermissionDenied):
            services.calendar_day_set(actor=viewer, date=D(2026, 5, 6), is_workday=False, reason="测试")
        with pytest.raises(PermissionDenied):
            services.calendar_year_set(actor=viewer, year=2027, status="provisional")
        assert not CalendarDay.objects.exists()

    def test_reason_is_required_and_deleting_a_missing_day_is_refused(self, admin):
        with pytest.raises(ValidationFailed) as error:
            services.calendar_day_set(actor=admin, date=D(2026, 5, 6), is_workday=False, reason=" ")
        assert "原因" in error.value.errors["reason"][0]
        with pytest.raises(services.ServiceError):
            services.calendar_day_delete(actor=admin, date=D(2026, 5, 6))


class TestCoverage:
    def test_uncovered_year_raises_in_chinese_and_opens_one_alert(self, db):
        with pytest.raises(services.CalendarNotCovered) as error:
            services.add_working_days(D(2028, 3, 1), 3)
        assert (
            str(error.value.message)
            == "2028年的法定节假日安排尚未录入，无法计算工作日，请系统管理员在工作日历中录入。"
        )
        assert error.value.code == "calendar_not_covered"
        alert = SystemAlert.objects.get(key="workcalendar.year.2028")
        assert alert.resolved_at is None and "2028年" in alert.message
        with pytest.raises(services.CalendarNotCovered):
            services.is_workday(D(2028, 3, 1))
        assert SystemAlert.objects.filter(key="workcalendar.year.2028").count() == 1

    def test_a_deadline_running_into_an_uncovered_year_is_refused(self, db):
        # 2026 is known, 2027 is not (package 1.11): 20 working days from mid-December cross the year.
        with pytest.raises(services.CalendarNotCovered) as error:
            services.add_working_days(D(2026, 12, 15), 20)
        assert error.value.year == 2027
        assert services.add_working_days(D(2026, 12, 15), 5) == D(2026, 12, 22)

    def test_provisional_year_computes_by_weekends_and_resolves_the_alert(self, admin):
        with pytest.raises(services.CalendarNotCovered):
            services.is_workday(D(2027, 1, 1))
        services.calendar_year_set(actor=admin, year=2027, status="provisional", note="通知未发布")
        assert SystemAlert.objects.get(key="workcalendar.year.2027").resolved_at is not None
        info = services.day_info(D(2027, 1, 1))  # a Friday: a working day under "weekends only"
        assert info.is_workday and info.source == "provisional"
        assert services.add_working_days(D(2027, 1, 1), 1) == D(2027, 1, 4)
        assert services.add_working_days(D(2026, 12, 30), 3) == D(2027, 1, 4)
        assert services.year_basis(2027) == "provisional"

    def test_published_year_needs_the_notice_entered_first(self, admin):
        with pytest.raises(ValidationFailed) as error:
            services.calendar_year_set(actor=admin, year=2028, status="published")
        assert "逐日录入" in error.value.errors["status"][0]
        services.calendar_day_set(actor=admin, date=D(2028, 1, 1), is_workday=False, reason="元旦")
        services.calendar_day_set(actor=admin, date=D(2028, 1, 8), is_workday=True, reason="元旦调休上班")
        services.calendar_year_set(actor=admin, year=2028, status="published")
        assert services.day_info(D(2028, 1, 1)).reason == "元旦"
        assert services.is_workday(D(2028, 1, 8))  # a Saturday
        assert services.day_info(D(2028, 1, 3)).source == "weekend"

    def test_package_years_cannot_be_declared(self, admin):
        with pytest.raises(ValidationFailed):
            services.calendar_year_set(actor=admin, year=2026, status="provisional")

    def test_periodic_check_warns_ahead_of_the_next_year(self, admin):
        assert services.check_coverage(today=D(2026, 6, 1)) == []
        assert not SystemAlert.objects.exists()
        assert services.check_coverage(today=D(2026, 12, 1)) == [2027]
        assert SystemAlert.objects.filter(key="workcalendar.year.2027", resolved_at__isnull=True).exists()
        services.calendar_year_set(actor=admin, year=2027, status="provisional")
        assert services.check_coverage(today=D(2026, 12, 1)) == []

    def test_coverage_task_runs_through_the_task_backend(self, db):
        from jiedao.core.schedule import JOBS
        from jiedao.workcalendar.tasks import check_calendar_coverage

        result = check_calendar_coverage.enqueue()
        assert isinstance(result.return_value, list)
        assert "workcalendar.coverage" in JOBS


@pytest.mark.django_db
def test_cached_calendar_costs_one_query_per_deadline(django_assert_num_queries):
    services.add_working_days(D(2026, 1, 5), 10)  # warm the snapshot
    with django_assert_num_queries(1):
        end = services.add_working_days(D(2026, 1, 5), 200)
    assert count_day_by_day(D(2026, 1, 5), end) == 200
