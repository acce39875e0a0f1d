"""System-administrator pages: the year's calendar, override days, and the year status."""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.core.models import SystemAlert
from jiedao.core.scope import has_permission
from jiedao.core.views import ScopedViewMixin, ServiceFormView
from jiedao.workcalendar import services
from jiedao.workcalendar.choices import DaySource, YearStatus
from jiedao.workcalendar.forms import (
    NOTICE_HOLIDAYS,
    CalendarDayEditForm,
    CalendarDayForm,
    CalendarYearEntryForm,
    CalendarYearForm,
)
from jiedao.workcalendar.models import CalendarDay, CalendarYear

VIEW_PERMISSION = "workcalendar.view_calendarday"
SCOPE_EXEMPT = "platform-wide calendar reference data, not org-scoped"


def _calendar_url(year: int) -> str:
    return f"{reverse('workcalendar:calendar')}?year={year}"


def _today() -> dt.date:
    return timezone.localdate(timezone=services.CHINA_TZ)


class CalendarView(ScopedViewMixin, TemplateView):
    scope_exempt = SCOPE_EXEMPT
    permission = VIEW_PERMISSION
    template_name = "workcalendar/calendar.html"

    def get_year(self) -> int:
        raw = self.request.GET.get("year", "").strip()
        year = int(raw) if raw.isdigit() else _today().year
        return min(max(year, services.FIRST_EDITABLE_YEAR), services.LAST_EDITABLE_YEAR)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        year = self.get_year()
        calendar = services.current_calendar()
        basis = calendar.basis(year)
        counting = calendar.counting(year)
        months, marked = [], []
        if counting is not None:
            infos = {info.date: info for info in calendar.days(dt.date(year, 1, 1), dt.date(year, 12, 31))}
            for month in range(1, 13):
                weeks = [
                    [infos[day] if day.month == month else None for day in week]
                    for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
                ]
                months.append({"number": month, "weeks": weeks})
            marked = [info for info in infos.values() if info.marked]
        overrides = list(CalendarDay.objects.filter(date__year=year).select_related("updated_by"))
        context.update(
            year=year,
            years=[year - 1, year + 1],
            basis=basis,
            year_row=CalendarYear.objects.filter(year=year).select_related("updated_by").first(),
            package_years=(services.PACKAGE_FIRST_YEAR, services.PACKAGE_LAST_YEAR),
            months=months,
            marked=marked,
            overrides=overrides,
            override_dates={o.date for o in overrides},
            counting=counting,
            provisional_clocks=_provisional_clocks(year) if counting in ("provisional", "unentered") else 0,
            alerts=SystemAlert.objects.filter(key__startswith="workcalendar.year.", resolved_at__isnull=True),
            can_change=has_permission(self.request.user, services.CHANGE_PERMISSION),
            weekday_names=[_("一"), _("二"), _("三"), _("四"), _("五"), _("六"), _("日")],
            sources=dict(DaySource.choices),
            YearStatus=YearStatus,
        )
        return context


def _provisional_clocks(year: int) -> int:
    """Open time limits whose due date falls in `year` and was computed provisionally (they move when the
    year's notice is entered)."""
    from jiedao.timelimits.selectors import provisional_open_clocks

    return provisional_open_clocks().filter(due_at__year=year).count()


class CalendarDayFormView(ServiceFormView):
    """Add an override day (/days/new/?date=…) or change one (/days/<date>/)."""

    scope_exempt = SCOPE_EXEMPT
    permission = services.CHANGE_PERMISSION
    template_name = "core/form.html"
    success_message = gettext_lazy("工作日历已保存。")

    def get_day(self) -> dt.date | None:
        return self.kwargs.get("day")

    def get_form_class(self):
        return CalendarDayEditForm if self.get_day() else CalendarDayForm

    def get_initial(self):
        day = self.get_day()
        if day is None:
            try:
                day = dt.date.fromisoformat(self.request.GET.get("date", ""))
            except ValueError:
                return {}
        initial = {"date": day}
        try:
            info = services.day_info(day)
        except ServiceError:
            return initial
        return {**initial, "is_workday": "1" if info.is_workday else "0", "reason": info.reason}

    def get_context_data(self, **kwargs):
        day = self.get_day()
        title = _("修改调整日 %(date)s") % {"date": day.isoformat()} if day else _("添加调整日")
        return super().get_context_data(
            title=title, cancel_url=_calendar_url(day.year if day else _today().year), **kwargs
        )

    def perform(self, form):
        data = form.cleaned_data
        return services.calendar_day_set(
            actor=self.request.user,
            date=self.get_day() or data["date"],
            is_workday=data["is_workday"],
            reason=data["reason"],
        )

    def get_success_url(self, result=None):
        return _calendar_url(result.date.year)


class CalendarDayDeleteView(ScopedViewMixin, View):
    scope_exempt = SCOPE_EXEMPT
    permission = services.CHANGE_PERMISSION
    http_method_names = ["post"]

    def post(self, request, day):
        try:
            services.calendar_day_delete(actor=request.user, date=day)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("已删除 %(date)s 的调整。") % {"date": day.isoformat()})
        return redirect(_calendar_url(day.year))


class CalendarYearFormView(ServiceFormView):
    scope_exempt = SCOPE_EXEMPT
    permission = services.CHANGE_PERMISSION
    form_class = CalendarYearForm
    template_name = "core/form.html"
    success_message = gettext_lazy("年度状态已保存。")

    def get_initial(self):
        row = CalendarYear.objects.filter(year=self.kwargs["year"]).first()
        return {"status": row.status, "note": row.note} if row else {"status": YearStatus.PROVISIONAL}

    def get_context_data(self, **kwargs):
        year = self.kwargs["year"]
        entered = len(services.notice_days(year))
        intro = _("%(year)d年已录入 %(n)d 个调整日。") % {"year": year, "n": entered}
        if entered:
            intro += _("改为“暂按周末和法定节日计算”时，这些调整日仍然生效，但涉及该年度的期限标为“临时”。")
        return super().get_context_data(
            title=_("设置%(year)d年节假日安排状态") % {"year": year},
            form_intro=intro,
            cancel_url=_calendar_url(year),
            **kwargs,
        )

    def perform(self, form):
        return services.calendar_year_set(
            actor=self.request.user,
            year=self.kwargs["year"],
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
        )

    def get_success_url(self, result=None):
        return _calendar_url(result.year)


class CalendarYearEntryView(ServiceFormView):
    """Enter a year's State Council holiday notice at once: each holiday's rest range and make-up days."""

    scope_exempt = SCOPE_EXEMPT
    permission = services.CHANGE_PERMISSION
    form_class = CalendarYearEntryForm
    template_name = "workcalendar/year_entry.html"

    def get_year(self) -> int:
        return self.kwargs["year"]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "year": self.get_year()}

    def get_initial(self):
        """What the year already holds, grouped back into the notice's rows (for a correction)."""
        year = self.get_year()
        row = CalendarYear.objects.filter(year=year).first()
        initial = {"note": row.note if row and row.status == YearStatus.PUBLISHED else ""}
        rest: dict[str, list[dt.date]] = {}
        work: dict[str, list[dt.date]] = {}
        for day in services.notice_days(year):
            if day.is_workday:
                work.setdefault(services.holiday_of_makeup(day.reason), []).append(day.date)
            else:
                rest.setdefault(day.reason, []).append(day.date)
        names = [str(name) for name in NOTICE_HOLIDAYS]
        extra = [name for name in [*rest, *work] if name not in names]
        for i, name in enumerate([*names, *dict.fromkeys(extra)][: len(NOTICE_HOLIDAYS) + 2]):
            initial[f"name_{i}"] = name
            if rest.get(name):
                initial[f"rest_from_{i}"], initial[f"rest_to_{i}"] = rest[name][0], rest[name][-1]
            if work.get(name):
                initial[f"work_{i}"] = "、".join(day.isoformat() for day in work[name])
        return initial

    def get_context_data(self, **kwargs):
        year = self.get_year()
        existing = len(services.notice_days(year))
        return super().get_context_data(
            title=_("录入%(year)d年放假安排") % {"year": year},
            year=year,
            existing=existing,
            provisional_clocks=_provisional_clocks(year),
            cancel_url=_calendar_url(year),
            **kwargs,
        )

    def perform(self, form):
        data = form.cleaned_data
        try:
            return services.calendar_year_enter(
                actor=self.request.user,
                year=self.get_year(),
                holidays=form.entries(),
                replace=data["replace"],
                publish=True,
                note=data["note"],
            )
        except ValidationFailed as error:
            mapped: dict[str, list[str]] = {}
            for key, messages_ in error.errors.items():
                mapped.setdefault(form.error_field(key) or "__all__", []).extend(messages_)
            raise ValidationFailed(mapped) from None

    def get_success_url(self, result=None):
        messages.success(
            self.request,
            _(
                "已录入%(year)d年放假安排：放假 %(rest)d 天，调休上班 %(work)d 天，年度状态为“已录入”。"
                "在办事项的办理期限正在后台按新日历重新计算，时限监控中可看到每项的变化。"
            )
            % {"year": result.year, "rest": result.rest_days, "work": result.workdays},
        )
        return _calendar_url(result.year)
