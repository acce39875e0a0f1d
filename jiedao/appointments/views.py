"""Pages of 预约办理: residents book and cancel; the window sees today's bookings and checks visitors in; a
hall administrator sets the hall's slots. Each write is one service call."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from jiedao.applications.views import ResidentRequiredMixin
from jiedao.appointments import forms, selectors, services
from jiedao.appointments.choices import AppointmentStatus
from jiedao.appointments.models import Appointment, DayClosure, Slot
from jiedao.catalog.models import ServiceItem
from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.core.scope import has_permission
from jiedao.core.views import ScopedListView, ScopedViewMixin, ServiceFormView

# --- residents ---------------------------------------------------------------------------------------------


class MyAppointmentsView(ResidentRequiredMixin, TemplateView):
    """我的预约: the resident's bookings (cancel while the slot has not begun) and the items to book."""

    template_name = "appointments/mine.html"

    def get_context_data(self, **kwargs):
        resident = self.request.resident
        return super().get_context_data(
            appointments=selectors.resident_appointments(resident)[:50],
            items=selectors.bookable_items(),
            ban_until=selectors.booking_ban_until(resident),
            **kwargs,
        )


class BookView(ResidentRequiredMixin, FormView):
    """预约: the item's working days to choose from, then the slots of the chosen day with the places left."""

    template_name = "appointments/book.html"
    form_class = forms.BookForm

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.item = get_object_or_404(ServiceItem, pk=kwargs["item_pk"], is_published=True)
        self.dates = selectors.bookable_dates()
        source = request.POST if request.method == "POST" else request.GET
        asked = source.get("date", "")
        self.date_notice = ""
        try:
            self.day = dt.date.fromisoformat(asked)
        except ValueError:
            self.day = self.dates[0]
            if asked and request.method != "POST":
                self.date_notice = _("日期“%(date)s”无法识别。") % {"date": asked[:20]}
        if request.method != "POST" and self.day not in self.dates:
            # A date sent with the form is left to the service, which says why not; one in the address (a
            # Saturday, a day gone) shows the first bookable date, and says so.
            try:
                services.bookable_day_check(self.day)
            except ValidationFailed as refused:
                self.date_notice = str(refused.errors["date"][0])
            except ServiceError as refused:  # e.g. the calendar not covering the date: a notice, not a 500
                self.date_notice = str(refused.message)
            self.day = self.dates[0]
        if self.date_notice:
            self.date_notice = _("%(reason)s下面显示的是 %(shown)s 的时段。") % {
                "reason": self.date_notice,
                "shown": f"{self.day:%Y-%m-%d}",
            }
        self.places = selectors.slot_places(self.item, self.day)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "slots": [p.slot for p in self.places]}

    def get_context_data(self, **kwargs):
        too_many = services.too_many_open_bookings(self.request.resident)
        if self.refusal_code == "too_many":
            too_many = None  # the refusal of the booking just sent says it already, once is enough
        return super().get_context_data(
            item=self.item,
            dates=self.dates,
            day=self.day,
            places=self.places,
            open_one=selectors.open_appointment(self.request.resident, self.item),
            too_many=too_many,
            date_notice=self.date_notice,
            closure=selectors.day_closure(self.item.org_id, self.day),
            **kwargs,
        )

    refusal_code: str | None = None  # the code of the service's refusal of the booking just sent

    def run(self, form, action):
        def remembered():
            try:
                return action()
            except ServiceError as refused:
                self.refusal_code = refused.code
                raise

        return super().run(form, remembered)

    def form_valid(self, form):
        data = form.cleaned_data
        appointment = self.run(
            form,
            lambda: services.appointment_book(
                resident=self.request.resident, item=self.item, day=data["date"], slot_id=data["slot"]
            ),
        )
        if appointment is None:
            self.places = selectors.slot_places(self.item, self.day)  # what is left now, beside the error
            return self.form_invalid(form)
        # Queueing builds on appointments: imported here, not at the top (no import cycle).
        from jiedao.queueing.services import kiosk_devices

        if kiosk_devices(appointment.org).exists():
            # The SMS keeps its text (registered with the gateway); the page names the hall's 取号机 too.
            done = _(
                "预约成功，预约码：%(code)s。已发短信告知，请按时携带身份证件到窗口签到，"
                "或在取号机输入预约码取号。"
            )
        else:
            done = _("预约成功，预约码：%(code)s。已发短信告知，请按时携带身份证件到窗口签到。")
        messages.success(self.request, done % {"code": appointment.code})
        return redirect("appointments:mine")


class CancelView(ResidentRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        appointment = get_object_or_404(Appointment, pk=pk, resident=request.resident)
        try:
            services.appointment_cancel(resident=request.resident, appointment=appointment)
            messages.success(request, _("已取消预约 %(code)s。") % {"code": appointment.code})
        except ServiceError as refused:
            messages.error(request, str(refused.message))
        return redirect("appointments:mine")


# --- the window --------------------------------------------------------------------------------------------


class TodayView(ScopedListView):
    """今日预约 of the halls in scope, with 签到 by booking code and, once checked in, 窗口收件 for the item;
    another date's bookings by the date picker, and for those who may, 取消预约 one by one or the whole day."""

    model = Appointment
    template_name = "appointments/today.html"
    context_object_name = "appointments"
    paginate_by = 100

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.today = selectors.today()
        self.day_form = forms.DayForm(request.GET if "date" in request.GET else None)
        self.day = self.day_form.cleaned_data["date"] if self.day_form.is_valid() else self.today

    def get_queryset(self):
        # The queue ticket taken with the booking's code at the kiosk (排队叫号), with the row: where the
        # visitor stands in the hall's queue, one join.
        return selectors.day_appointments(self.request.user, self.day).select_related(
            "queue_ticket", "queue_ticket__called_window"
        )

    def get_context_data(self, **kwargs):
        user = self.request.user
        can_cancel = has_permission(user, "appointments.cancel_appointment")
        context = super().get_context_data(
            form=kwargs.pop("form", None) or forms.CheckInForm(),
            day=self.day,
            is_today=self.day == self.today,
            day_form=self.day_form if self.day_form.is_bound else forms.DayForm(initial={"date": self.today}),
            can_check_in=has_permission(user, "appointments.checkin_appointment"),
            can_register=has_permission(user, "applications.add_application"),
            can_cancel=can_cancel,
            hall_cancelled=selectors.hall_cancelled_appointments(user, self.day),
            closures=selectors.day_closures(user, self.day),
            statuses=AppointmentStatus,
            **kwargs,
        )
        shown = [a.pk for a in context["appointments"] if a.status == AppointmentStatus.BOOKED]
        # 取消 on the rows of the halls where the user may cancel, not on every row they may see.
        context["cancellable"] = selectors.cancellable_by(user, shown) if can_cancel else set()
        return context


class CheckInView(ServiceFormView):
    model = Appointment
    permission = "appointments.checkin_appointment"
    form_class = forms.CheckInForm
    http_method_names = ["post"]

    def perform(self, form):
        return services.appointment_check_in(actor=self.request.user, code=form.cleaned_data["code"])

    def form_invalid(self, form):
        view = TodayView()
        view.setup(self.request)
        view.object_list = view.get_queryset()
        return view.render_to_response(view.get_context_data(form=form))

    def get_success_url(self, result=None):
        messages.success(
            self.request,
            _("%(name)s 已签到（%(item)s，%(slot)s）。")
            % {"name": result.name, "item": result.item.name, "slot": result.slot},
        )
        return reverse("appointments:today") + f"#appointment-{result.pk}"


class ScheduleView(ServiceFormView):
    """预约时段 of the halls in scope: the current slots, and the form that sets a hall's day anew."""

    model = Slot
    permission = "change"
    template_name = "appointments/schedule.html"
    form_class = forms.ScheduleForm

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "orgs": selectors.halls(self.request.user, "appointments.change_slot"),
        }

    def get_context_data(self, **kwargs):
        slots = self.get_queryset().filter(is_active=True).select_related("org").order_by("org_id", "start")
        return super().get_context_data(slots=slots, **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        return services.schedule_set(
            actor=self.request.user,
            org=data["org"],
            morning=form.morning,
            afternoon=form.afternoon,
            minutes=data["minutes"],
            capacity=data["capacity"],
        )

    def get_success_url(self, result=None):
        messages.success(self.request, _("预约时段已保存，共 %(n)d 个时段。") % {"n": len(result)})
        return reverse("appointments:schedule")


# --- the hall cancels (停止预约) -----------------------------------------------------------------------------


def _day_url(day: dt.date) -> str:
    return reverse("appointments:today") + f"?date={day:%Y-%m-%d}"


class HallCancelView(ServiceFormView):
    """取消预约 of one booking by the hall, with the reason texted to the resident."""

    model = Appointment
    permission = "appointments.cancel_appointment"
    template_name = "appointments/cancel.html"
    form_class = forms.HallCancelForm

    def get_object(self) -> Appointment:
        if not hasattr(self, "object"):
            self.object = get_object_or_404(
                self.get_queryset().select_related("item", "slot", "org"), pk=self.kwargs["pk"]
            )
        return self.object

    def get_context_data(self, **kwargs):
        return super().get_context_data(appointment=self.get_object(), statuses=AppointmentStatus, **kwargs)

    def perform(self, form):
        return services.appointment_cancel_by_hall(
            actor=self.request.user, appointment=self.get_object(), reason=form.cleaned_data["reason"]
        )

    def get_success_url(self, result=None):
        messages.success(
            self.request,
            _("已取消 %(name)s 的预约（%(code)s），已短信告知原因并请其重新预约。")
            % {"name": result.name, "code": result.code},
        )
        return _day_url(result.date)


class DayCancelView(ServiceFormView):
    """停止当日预约 (停电, 临时闭厅): every booking of one hall on one date not yet checked in, or those of the
    slots chosen (停止部分时段预约: 下午停电, 会议占用大厅)."""

    model = Appointment
    permission = "appointments.cancel_appointment"
    template_name = "appointments/cancel_day.html"
    form_class = forms.DayCancelForm

    def get_form_kwargs(self):
        halls = selectors.halls(self.request.user, "appointments.cancel_appointment")
        return {**super().get_form_kwargs(), "orgs": halls, "slots": selectors.open_slots(halls)}

    def get_initial(self):
        try:
            day = dt.date.fromisoformat(self.request.GET.get("date", ""))
        except ValueError:
            day = selectors.today()
        return {"date": day}

    def perform(self, form):
        data = form.cleaned_data
        if data["span"] == forms.DayCancelForm.SLOTS:
            return services.appointments_cancel_slots(
                actor=self.request.user,
                org=data["org"],
                day=data["date"],
                slot_ids=data["slots"],
                reason=data["reason"],
            )
        closure, cancelled = services.appointments_cancel_day(
            actor=self.request.user, org=data["org"], day=data["date"], reason=data["reason"]
        )
        return [closure], cancelled

    def get_success_url(self, result=None):
        closures, cancelled = result
        [first, *_rest] = closures
        values = {"org": first.org.name, "date": f"{first.date:%Y-%m-%d}", "n": len(cancelled)}
        if first.slot_id is not None:
            values["slots"] = "、".join(str(closure.slot) for closure in closures)
        if not cancelled:  # nobody to cancel: nobody was texted either
            message = (
                _("已停止 %(org)s %(date)s 的预约；当天没有待签到的预约，无需取消，未发送短信。")
                if first.slot_id is None
                else _(
                    "已停止 %(org)s %(date)s %(slots)s 的预约；这些时段没有待签到的预约，无需取消，未发送短信。"
                )
            )
        elif first.slot_id is None:
            message = _(
                "已停止 %(org)s %(date)s 的预约，取消 %(n)d 个待签到的预约，已短信告知群众原因并请其重新预约。"
            )
        else:
            message = _(
                "已停止 %(org)s %(date)s %(slots)s 的预约，取消 %(n)d 个待签到的预约，"
                "已短信告知群众原因并请其重新预约。"
            )
        messages.success(self.request, message % values)
        return _day_url(first.date)


class DayReopenView(ScopedViewMixin, View):
    """恢复预约 of a day, or a slot of a day, a hall in scope stopped: its places may be booked again."""

    model = DayClosure
    permission = "appointments.cancel_appointment"
    http_method_names = ["post"]

    def post(self, request, pk: int):
        closure = get_object_or_404(self.get_queryset().select_related("org", "slot"), pk=pk)
        services.day_reopen(actor=request.user, closure=closure)
        values = {"org": closure.org.name, "date": f"{closure.date:%Y-%m-%d}"}
        if closure.slot_id is None:
            messages.success(request, _("已恢复 %(org)s %(date)s 的预约。") % values)
        else:
            values["slot"] = str(closure.slot)
            messages.success(request, _("已恢复 %(org)s %(date)s %(slot)s 的预约。") % values)
        return redirect(_day_url(closure.date))
