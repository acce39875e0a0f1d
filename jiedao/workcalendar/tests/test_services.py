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
    def test_a_year_before_the_package_without_data_is_refused_in_chinese(self, db):
        services.clear_cache()
        with pytest.raises(services.CalendarNotCovered) as error:
            services.add_working_days(D(2003, 3, 1), 3)
        assert (
            str(error.value.message)
            == "2003年的法定节假日安排尚未录入，无法计算工作日，请系统管理员在工作日历中录入。"
        )
        assert error.value.code == "calendar_not_covered"

    def test_an_application_accepted_today_with_20_working_days_while_2027_is_not_entered(self, db):
        services.clear_cache()
        # 2026-12-07 (Monday) + 20 working days: 18 in December, then 元旦 (Friday 1 January, a statutory
        # holiday by date whatever the notice says) and the weekend are skipped: Tuesday 5 January.
        assert services.add_working_days(D(2026, 12, 7), 20) == D(2027, 1, 5)
        assert services.provisional_years(D(2026, 12, 7), D(2027, 1, 5)) == [2027]
        assert services.provisional_years(D(2026, 12, 7), D(2026, 12, 31)) == []
        new_year = services.day_info(D(2027, 1, 1))
        assert (new_year.is_workday, new_year.reason, new_year.source) == (False, "元旦", "statutory")
        assert new_year.marked
        assert services.day_info(D(2027, 1, 4)).source == "provisional"
        # The Spring Festival is lunar: only the notice says which days. Labour and National Day are by date.
        assert services.is_workday(D(2027, 2, 8))
        assert [services.is_workday(D(2027, 5, d)) for d in (1, 2, 3, 4)] == [False, False, True, True]
        assert [services.is_workday(D(2027, 10, d)) for d in (1, 4)] == [False, True]
        # Counting alone opens no alert (the calendar page of a far year counts too): check_coverage does.
        assert not SystemAlert.objects.exists()
        assert services.year_basis(2027) is None

    def test_provisional_year_computes_by_weekends_and_statutory_days_and_resolves_the_alert(self, admin):
        services.clear_cache()
        assert services.is_workday(D(2027, 1, 4))
        services.calendar_year_set(actor=admin, year=2027, status="provisional", note="通知未发布")
        info = services.day_info(D(2027, 1, 1))
        assert not info.is_workday and info.source == "statutory"
        assert services.add_working_days(D(2027, 1, 1), 1) == D(2027, 1, 4)
        assert services.add_working_days(D(2026, 12, 30), 3) == D(2027, 1, 5)
        assert services.year_basis(2027) == "provisional"
        assert services.provisional_years(D(2026, 12, 30), D(2027, 1, 5)) == [2027]

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

    def test_a_provisional_year_keeps_its_reminder_until_the_notice_is_entered(self, admin):
        services.check_coverage(today=D(2026, 12, 1))
        # Marking the year "provisional" is no answer: its holidays are still unknown.
        services.calendar_year_set(actor=admin, year=2027, status="provisional", note="通知未发布")
        assert services.check_coverage(today=D(2026, 12, 7)) == [2027]
        alert = SystemAlert.objects.get(key="workcalendar.year.2027", resolved_at__isnull=True)
        assert "2027年的法定节假日安排尚未录入" in alert.message
        services.calendar_year_enter(
            actor=admin, year=2027, holidays=[services.HolidayEntry("元旦", D(2027, 1, 1), D(2027, 1, 3))]
        )
        assert not SystemAlert.objects.filter(key="workcalendar.year.2027", resolved_at__isnull=True).exists()
        assert services.check_coverage(today=D(2026, 12, 7)) == []

    def test_a_reminder_for_a_year_nothing_needs_is_closed(self, admin):
        # e.g. left by a visit to the 2028 calendar: no deadline reaches 2028, it is not next year yet.
        services.open_year_alert(2028)
        services.check_coverage(today=D(2026, 12, 7))
        assert not SystemAlert.objects.filter(key="workcalendar.year.2028", resolved_at__isnull=True).exists()

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


SPRING = services.HolidayEntry("春节", D(2027, 2, 6), D(2027, 2, 13), (D(2027, 2, 14), D(2027, 2, 20)))


class TestEnteringANotice:
    """A made-up 2027 notice of the usual shape (the real one is the State Council's)."""

    def test_a_whole_notice_in_one_call(self, admin, django_capture_on_commit_callbacks):
        from jiedao.workcalendar.signals import calendar_changed

        heard = []

        def receiver(sender, first, last, actor, reason, **kwargs):
            heard.append((first, last, actor, str(reason)))

        calendar_changed.connect(receiver)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                result = services.calendar_year_enter(
                    actor=admin,
                    year=2027,
                    holidays=[
                        services.HolidayEntry("元旦", D(2027, 1, 1), D(2027, 1, 3)),
                        SPRING,
                        services.HolidayEntry("国庆节", D(2027, 10, 1), D(2027, 10, 7), (D(2027, 10, 9),)),
                    ],
                    note="国办发明电〔2026〕×号",
                )
        finally:
            calendar_changed.disconnect(receiver)
        assert (result.rest_days, result.workdays, result.status) == (18, 3, "published")
        assert (
            services.year_basis(2027) == "published"
            and services.provisional_years(D(2027, 1, 1), D(2027, 12, 31)) == []
        )
        spring = services.day_info(D(2027, 2, 10))
        assert (spring.is_workday, spring.reason, spring.source) == (False, "春节", "override")
        sunday = services.day_info(D(2027, 2, 14))
        assert (sunday.is_workday, sunday.reason) == (True, "春节调休上班")
        # Labour Day was not entered: 1–2 May stay off by law, the bridging days of a notice do not exist.
        assert services.is_workday(D(2027, 5, 3)) and services.is_workday(D(2027, 4, 30))
        labour = services.day_info(D(2027, 5, 1))
        assert (labour.is_workday, labour.source) == (False, "statutory")
        audit = AuditEvent.objects.get(event_code=1704)
        assert audit.actor == admin and audit.after["days"]["2027-02-14"] == [True, "春节调休上班"]
        assert heard == [(D(2027, 1, 1), D(2027, 12, 31), admin, "录入2027年放假安排")]

    def test_every_mistake_is_reported_at_once_in_chinese_and_nothing_is_written(self, admin):
        with pytest.raises(ValidationFailed) as error:
            services.calendar_year_enter(
                actor=admin,
                year=2027,
                holidays=[
                    SPRING,
                    services.HolidayEntry(
                        "元宵", D(2027, 2, 12), D(2027, 2, 14)
                    ),  # overlaps the Spring Festival
                    services.HolidayEntry("清明节", D(2027, 4, 5), D(2027, 4, 3)),  # reversed
                    services.HolidayEntry(
                        "劳动节", D(2027, 5, 1), D(2027, 5, 5), (D(2027, 4, 28), D(2027, 2, 20))
                    ),
                    services.HolidayEntry("", D(2028, 6, 9), D(2028, 6, 9)),
                    services.HolidayEntry("国庆节", D(2027, 10, 1), D(2027, 10, 7), (D(2027, 10, 3),)),
                ],
            )
        errors = error.value.errors
        assert errors["1.rest"] == ["“元宵”与“春节”的放假日期重叠（2027-02-12）。"]
        assert errors["2.rest"] == ["放假结束日期不能早于开始日期。"]
        assert errors["3.workdays"] == [
            "2027-04-28 是星期三，调休上班日应为周六或周日。",
            "2027-02-20 重复填写。",
        ]
        assert errors["4.name"] == ["请填写节日名称。"]
        assert errors["4.rest"] == ["2028-06-09 不在2027年内（元旦放假可从上一年12月开始）。"]
        assert errors["5.workdays"] == ["2027-10-03 在“国庆节”的放假日期内，不能同时是调休上班日。"]
        assert not CalendarDay.objects.exists() and not AuditEvent.objects.exists()
        with pytest.raises(ValidationFailed) as error:
            services.calendar_year_enter(actor=admin, year=2027, holidays=[services.HolidayEntry("春节")])
        assert error.value.errors == {"holidays": ["请至少填写一个节日的放假日期。"]}
        with pytest.raises(ValidationFailed) as error:
            services.calendar_year_enter(actor=admin, year=2026, holidays=[SPRING])
        assert "内置数据" in error.value.errors["year"][0]

    def test_re_entering_replaces_the_year_or_keeps_local_days(self, admin):
        services.calendar_year_enter(
            actor=admin, year=2027, holidays=[services.HolidayEntry("春节", D(2027, 2, 5), D(2027, 2, 12))]
        )
        services.calendar_day_set(actor=admin, date=D(2027, 3, 6), is_workday=True, reason="本地调整上班")
        services.calendar_year_enter(actor=admin, year=2027, holidays=[SPRING], replace=False)
        assert services.day_info(D(2027, 3, 6)).source == "override"  # kept
        assert not services.is_workday(D(2027, 2, 5))  # the old range stays too without replace
        result = services.calendar_year_enter(actor=admin, year=2027, holidays=[SPRING], replace=True)
        assert result.removed == 2 and services.is_workday(D(2027, 2, 5))
        assert set(CalendarDay.objects.values_list("date", flat=True)) == {
            D(2027, 2, 6) + dt.timedelta(days=i) for i in range(8)
        } | {D(2027, 2, 14), D(2027, 2, 20)}

    def test_a_new_working_day_on_a_plain_weekday_is_refused(self, admin):
        with pytest.raises(ValidationFailed) as error:
            services.calendar_day_set(
                actor=admin, date=D(2027, 2, 10), is_workday=True, reason="春节调休上班"
            )
        assert error.value.errors["is_workday"] == [
            "2027-02-10 是星期三，本来就是工作日；调休上班日应为周六或周日。"
        ]
        # Turning a statutory holiday or a package holiday into a working day is a correction: allowed.
        services.calendar_day_set(actor=admin, date=D(2027, 1, 1), is_workday=True, reason="更正")
        services.calendar_day_set(actor=admin, date=D(2026, 10, 7), is_workday=True, reason="更正")
        assert not CalendarDay.objects.filter(date=D(2027, 2, 10)).exists()

    def test_changes_that_move_nothing_do_not_ask_for_a_recompute(
        self, admin, django_capture_on_commit_callbacks
    ):
        from jiedao.workcalendar.signals import calendar_changed

        heard = []
        calendar_changed.connect(
            lambda sender, **kwargs: heard.append(kwargs["first"]), weak=False, dispatch_uid="t"
        )
        try:
            with django_capture_on_commit_callbacks(execute=True):
                services.calendar_day_set(
                    actor=admin, date=D(2027, 3, 6), is_workday=True, reason="本地调整上班"
                )
                services.calendar_day_set(actor=admin, date=D(2027, 3, 6), is_workday=True, reason="改个说法")
                services.calendar_day_delete(actor=admin, date=D(2027, 3, 6))
        finally:
            calendar_changed.disconnect(dispatch_uid="t")
        assert heard == [D(2027, 3, 6), D(2027, 3, 6)]


def test_sms_dates_always_carry_their_year():
    assert services.sms_date(D(2027, 1, 6)) == "2027年1月6日"
    assert services.sms_date(D(2026, 12, 9), weekday=True) == "2026年12月9日（星期三）"


def test_sms_times_are_the_beijing_date_and_time():
    # 23:30 UTC on 8 December is 07:30 on the 9th in Beijing: the date the reader's clock shows.
    moment = dt.datetime(2026, 12, 8, 23, 30, tzinfo=dt.UTC)
    assert services.sms_datetime(moment) == "2026年12月9日07:30"
