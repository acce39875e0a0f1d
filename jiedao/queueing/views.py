"""Pages of 排队叫号: the kiosk (取号), open only on a device registered to its hall (取号机, a cookie, no login);
the visitor's ticket and the hall's display (叫号大屏), public, no login and no personal data; the window's page
(叫号) for its staff; the hall's lines, its kiosks and today's statistics for the hall administrator. Each
write is one service call."""

from __future__ import annotations

import contextlib
import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from jiedao.applications.models import ServiceWindow
from jiedao.applications.services import public_url
from jiedao.catalog.models import ServiceItem
from jiedao.core.exceptions import OutOfScope, PermissionDenied, RateLimited, ServiceError, ValidationFailed
from jiedao.core.middleware import client_ip
from jiedao.core.qr import qr_svg
from jiedao.core.scope import has_permission
from jiedao.core.views import ScopedViewMixin, ServiceFormView, keep_address_private
from jiedao.parameters.services import get_parameter
from jiedao.public.views import ELDER_COOKIE, PublicPageMixin
from jiedao.queueing import forms, selectors, services
from jiedao.queueing.choices import TicketStatus
from jiedao.queueing.models import KioskDevice, QueueLine, Ticket

# --- public: the kiosk, the ticket, the display -----------------------------------------------------------

KIOSK_RETURN_SECONDS = 30  # the kiosk's confirmation page goes back to the take page after this long
# The confirmation page is shown this long after 取号 (a slow kiosk, a reload); later the take page instead.
KIOSK_TAKEN_SHOWN = dt.timedelta(seconds=KIOSK_RETURN_SECONDS + 30)
KIOSK_COOKIE = "jiedao_kiosk"
BY_BOOKING = "booking"  # the kiosk's 凭预约码取号 button: no line chosen
# The kiosk's way back from a ticket (by itself or by 返回取号): the next visitor finds the take page as the hall
# set it up, in Chinese and normal type, not in the 长者模式 or English the previous visitor chose.
NEXT_VISITOR = "next_visitor"


class PublicHallMixin:
    """A hall's public page, found by the hall's division code; 404 for a hall without queue lines."""

    scope_exempt = "public hall page: line names, ticket codes and window numbers only, no personal data"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.hall = selectors.public_hall(kwargs["code"])
        if self.hall is None:
            raise Http404(_("未找到该服务大厅的排队叫号。"))

    def closed(self) -> dict:
        """Why the kiosk gives no number now; `stopped` when the hall stopped booking (停止预约) for now, which
        shows the reason instead of the take buttons (closed for the hour or the day, they show, disabled)."""
        closed = selectors.closed_now(hall_id=self.hall.pk)
        stopped = bool(closed) and closed == selectors.hall_closure(self.hall.pk)
        # What the kiosk shows beside the refreshed buttons (凭预约码取号) follows this state: see KioskLinesView.
        state = "stopped" if stopped else "closed" if closed else "open"
        return {"closed": closed, "stopped": stopped, "kiosk_state": state}


class RegisteredKioskMixin(PublicHallMixin):
    """A page of the hall's kiosk: only on a device registered to this hall (its cookie). Any other browser
    is told that it is not a registered kiosk and how staff register one, and nothing is taken from it:
    numbers are not given to whoever, wherever, opens the hall's address."""

    scope_exempt = "the registered kiosk's cookie is the authority; line names and waiting counts only"

    def dispatch(self, request, *args, **kwargs):
        self.device = services.kiosk_device(token=request.COOKIES.get(KIOSK_COOKIE, ""), hall=self.hall)
        if self.device is None:
            context = {"hall": self.hall, "elder_mode": PublicPageMixin.elder_mode_requested(request)}
            response = render(request, "queueing/kiosk_unregistered.html", context, status=403)
            response["HX-Refresh"] = "true"  # a kiosk stopped meanwhile shows the whole page on its next poll
        else:
            response = super().dispatch(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response


class KioskView(RegisteredKioskMixin, PublicPageMixin, TemplateView):
    """取号: a big button per open line, the optional phone and booking code above them."""

    template_name = "queueing/kiosk.html"

    def get_context_data(self, **kwargs):
        lines = list(selectors.active_lines(self.hall).prefetch_related("items"))
        return super().get_context_data(
            hall=self.hall,
            lines=lines,
            counts=selectors.waiting_counts(lines, selectors.today()),
            **self.closed(),
            form=kwargs.pop("form", None) or forms.TakeForm(),
            by_booking=BY_BOOKING,
            **kwargs,
        )

    def get(self, request, *args, **kwargs):
        if NEXT_VISITOR in request.GET:
            response = redirect(request.path)
            response.delete_cookie(ELDER_COOKIE)
            response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH)
            return response
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        form = forms.TakeForm(request.POST)
        line, status = None, 200
        line_id = request.POST.get("line", "")
        if line_id.isdigit():
            line = selectors.active_lines(self.hall).filter(pk=line_id).first()
        by_booking = line_id == BY_BOOKING  # the line is the one serving the booked item
        if form.is_valid():
            if by_booking and not form.cleaned_data["appointment_code"]:
                form.add_error(
                    "appointment_code", _("请填写预约短信中的预约码；没有预约的，请点击要办理的业务取号。")
                )
            elif line is None and not by_booking:
                form.add_error(None, _("请选择要办理的业务。"))
            else:
                try:
                    ticket = services.ticket_take(
                        line=line,
                        hall=self.hall,
                        phone=form.cleaned_data["phone"],
                        appointment_code=form.cleaned_data["appointment_code"],
                        ip=client_ip(request),
                    )
                except ValidationFailed as error:
                    for field, errors in error.errors.items():
                        for message in errors:
                            form.add_error(field if field in form.fields else None, message)
                except RateLimited as error:
                    form.add_error(None, str(error.message))
                    status = 429
                except ServiceError as error:
                    form.add_error(None, str(error.message))
                else:
                    return redirect("queueing:ticket_taken", token=ticket.token)
        return self.render_to_response(self.get_context_data(form=form), status=status)


class KioskLinesView(RegisteredKioskMixin, TemplateView):
    """The kiosk's buttons and why it is closed, refreshed every 60 s; the phone typed above them stays."""

    template_name = "queueing/_kiosk_lines.html"

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        response = self.render_to_response(context)
        shown = request.GET.get("shown", "")
        if shown and shown != context["kiosk_state"]:
            # The hall opened, closed or stopped since the page was drawn: the 凭预约码取号 button beside the
            # buttons changes too (a kiosk left on overnight kept it disabled all day), so the whole page.
            response["HX-Refresh"] = "true"
        return response

    def get_context_data(self, **kwargs):
        lines = list(selectors.active_lines(self.hall).prefetch_related("items"))
        selectors.waiting_counts(lines, selectors.today())
        return super().get_context_data(hall=self.hall, lines=lines, **self.closed(), **kwargs)


class TicketMixin(PublicPageMixin):
    scope_exempt = "a visitor's own ticket, reached by its unguessable token; no personal data shown"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.ticket = get_object_or_404(
            Ticket.objects.select_related("line", "org", "called_window", "appointment"),
            token=kwargs["token"],
        )

    def get_context_data(self, **kwargs):
        ticket = self.ticket
        is_today = ticket.date == selectors.today()
        return super().get_context_data(
            ticket=ticket,
            ahead=selectors.ahead_of(ticket),
            is_today=is_today,
            # Still in the queue: the QR code, the hints and 打印 are shown; not once finished, cancelled or gone.
            live=is_today
            and ticket.status in (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SKIPPED),
            statuses=TicketStatus,
            priority_minutes=int(get_parameter("queueing.priority_minutes_before")),
            grace_minutes=int(get_parameter("appointments.grace_minutes")),
            **kwargs,
        )


class TicketView(TicketMixin, TemplateView):
    """The ticket, printable: code, line, how many wait ahead (refreshed every 10 s), when it was taken, and
    the page's QR code, to follow the queue on one's own phone."""

    template_name = "queueing/ticket.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("base_template", "queueing/hall_base.html")  # the visitor's phone: the public site
        return super().get_context_data(
            qr_svg=qr_svg(public_url("queueing:ticket", self.ticket.token)), **kwargs
        )


class TicketTakenView(TicketView):
    """The ticket as the kiosk shows it right after 取号: printable, with the QR code of the visitor's own
    page (`TicketView`, where 取消排队 is), without any button that acts on the ticket. The kiosk goes back to
    the take page by itself, putting it in this page's place in the browser's history, so the next visitor
    does not find this one's ticket open nor reach it with Back: the page is not stored, and once
    `KIOSK_TAKEN_SHOWN` has passed it sends the browser to the take page instead."""

    def kiosk_url(self) -> str:
        return f"{reverse('queueing:kiosk', args=[self.ticket.org.division_code])}?{NEXT_VISITOR}=1"

    def get(self, request, *args, **kwargs):
        kiosk_url = self.kiosk_url()
        if request.headers.get("HX-Request"):  # the timer of a page served by an earlier release (htmx)
            response = HttpResponse(headers={"HX-Redirect": kiosk_url})
        elif timezone.now() - self.ticket.taken_at > KIOSK_TAKEN_SHOWN:
            response = redirect(kiosk_url)
        else:
            response = super().get(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            at_kiosk=True,
            kiosk_return_seconds=KIOSK_RETURN_SECONDS,
            kiosk_url=self.kiosk_url(),
            base_template="queueing/kiosk_base.html",
            **kwargs,
        )


class TicketStatusView(TicketMixin, TemplateView):
    template_name = "queueing/_ticket_status.html"


class TicketCancelView(TicketMixin, View):
    """取消排队 by the visitor: the ticket's page says so afterwards."""

    http_method_names = ["post"]

    def post(self, request, token: str):
        with contextlib.suppress(
            ServiceError
        ):  # called meanwhile, say: the page shows where the ticket stands
            services.ticket_cancel(ticket=self.ticket)
        return redirect("queueing:ticket", token=token)


class ScreenMixin(PublicHallMixin):
    """The display stays a public page, unlike the kiosk: it only reads, and shows ticket codes, window
    numbers, line names and waiting counts, nothing of a person."""

    def get_context_data(self, **kwargs):
        day = selectors.today()
        lines = list(selectors.active_lines(self.hall))
        return super().get_context_data(
            hall=self.hall,
            called=selectors.latest_called(self.hall, day),
            lines=lines,
            counts=selectors.waiting_counts(lines, day),
            **kwargs,
        )


class ScreenView(ScreenMixin, TemplateView):
    """叫号大屏: the tickets called last and their windows, the waiting count per line; refreshed every 4 s."""

    template_name = "queueing/screen.html"


class ScreenBoardView(ScreenMixin, TemplateView):
    template_name = "queueing/_screen_board.html"


class KioskPairView(PublicPageMixin, TemplateView):
    """The registration link, opened on the kiosk device (no login): it names the hall; the device confirms
    and gets its own long-lived cookie (a random token, only its hash kept), then goes to the hall's kiosk.
    A confirmation rather than registering on opening: a link previewer or a scan with the wrong device must
    not use up the single-use link."""

    scope_exempt = "registration link: the single-use token is the authority; shows only the hall's name"
    template_name = "queueing/kiosk_pair.html"

    def show(self, *, device=None, error: str = "", status: int = 200):
        response = self.render_to_response(self.get_context_data(device=device, error=error), status=status)
        keep_address_private(response)
        return response

    def refused(self, error: ServiceError):
        return self.show(error=str(error.message), status=404 if error.code == "bad_link" else 410)

    def get(self, request, *args, **kwargs):
        try:
            return self.show(device=services.kiosk_link_device(self.kwargs["token"]))
        except ServiceError as refused:
            return self.refused(refused)

    def post(self, request, *args, **kwargs):
        try:
            device, device_token = services.kiosk_pair(token=self.kwargs["token"])
        except ServiceError as refused:
            return self.refused(refused)
        kiosk = reverse("queueing:kiosk", args=[device.org.division_code])
        response = redirect(kiosk)
        response.set_cookie(
            KIOSK_COOKIE,
            device_token,
            max_age=int(services.KIOSK_DEVICE_TTL.total_seconds()),
            path=kiosk,  # sent to the hall's kiosk pages only
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
            samesite="Lax",
        )
        return response


# --- the window --------------------------------------------------------------------------------------------


class MyWindowView(ScopedViewMixin, TemplateView):
    """窗口叫号 from the menu: the window the user works at, or the list when there are several or none."""

    model = Ticket
    permission = "queueing.call_ticket"
    template_name = "queueing/my_windows.html"

    def get(self, request, *args, **kwargs):
        self.windows = list(
            ServiceWindow.objects.visible_to(request.user, self.permission)
            .filter(staff=request.user, is_active=True)
            .select_related("org")
            .order_by("org_id", "number")
        )
        if len(self.windows) == 1:
            return redirect("queueing:window", pk=self.windows[0].pk)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(windows=self.windows, **kwargs)


class WindowMixin(ScopedViewMixin):
    model = Ticket
    permission = "queueing.call_ticket"

    def get_window(self) -> ServiceWindow:
        if not hasattr(self, "window"):
            window = selectors.window_of(self.request.user, self.kwargs["pk"])
            if window is None:
                raise Http404(_("未找到该记录，或该记录不在您的管辖范围内。"))
            self.window = window
        return self.window

    def window_url(self) -> str:
        return reverse("queueing:window", args=[self.get_window().pk])

    def run(self, call):
        """One service call; a refusal is said on the window's page, out-of-scope is 404, no right 403."""
        try:
            return call()
        except OutOfScope:
            raise Http404(_("未找到该记录，或该记录不在您的管辖范围内。")) from None
        except PermissionDenied as error:
            raise DjangoPermissionDenied(str(error.message)) from None
        except ServiceError as error:
            messages.error(self.request, str(error.message))
            return None


class WindowLinesView(WindowMixin, TemplateView):
    """The lines served and their waiting counts, refreshed on the window's page every 10 s: only that."""

    template_name = "queueing/_window_lines.html"

    def get(self, request, *args, **kwargs):
        window = self.get_window()
        if not window.staff.filter(pk=request.user.pk).exists():
            raise DjangoPermissionDenied(
                _("您不是%(window)s的工作人员，不能在该窗口叫号。") % {"window": window}
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        window = self.get_window()
        lines = list(window.queue_lines.order_by("prefix"))
        selectors.waiting_counts(lines, selectors.today())
        return super().get_context_data(window=window, lines=lines, **kwargs)


class WindowView(WindowLinesView):
    """窗口叫号: the visitor being served and its buttons, the lines served and their waiting counts, today's
    skipped tickets with 重新排队."""

    template_name = "queueing/window.html"

    def get_context_data(self, **kwargs):
        window = self.get_window()
        day = selectors.today()
        current = selectors.current_at(window, day)
        return super().get_context_data(
            current=current,
            walk_in_query=selectors.walk_in_query(self.request.user, current) if current else "",
            skipped=selectors.skipped_for(window, day),
            can_register=has_permission(self.request.user, "applications.add_application"),
            **kwargs,
        )


class CallNextView(WindowMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        seen = request.POST.get("current", "")
        ticket = self.run(
            lambda: services.ticket_call_next(
                actor=request.user,
                window=self.get_window(),
                seen_current=int(seen) if seen.isdigit() else None,
            )
        )
        if ticket is not None:
            messages.success(
                request, _("已叫号 %(code)s（%(line)s）。") % {"code": ticket.code, "line": ticket.line.name}
            )
        return redirect(self.window_url())


class TicketActionView(WindowMixin, View):
    """重呼, 过号, 办结 of the ticket at the window; 重新排队 of a skipped ticket of the lines it serves."""

    http_method_names = ["post"]
    DONE = {  # lazy: said in the language of the request, not of the server's start
        "recall": gettext_lazy("已重呼 %(code)s。"),
        "skip": gettext_lazy("%(code)s 已过号；群众回来后可在“今日过号”中重新排队。"),
        "finish": gettext_lazy("%(code)s 已办结。"),
        "requeue": gettext_lazy("%(code)s 已重新排队，排在队尾。"),
    }

    def post(self, request, pk: int, ticket_pk: int, action: str):
        window = self.get_window()
        ticket = get_object_or_404(self.get_queryset(), pk=ticket_pk)
        calls = {
            "recall": lambda: services.ticket_recall(actor=request.user, ticket=ticket),
            "skip": lambda: services.ticket_skip(actor=request.user, ticket=ticket),
            "finish": lambda: services.ticket_finish(actor=request.user, ticket=ticket),
            "requeue": lambda: services.ticket_requeue(actor=request.user, window=window, ticket=ticket),
        }
        if action not in calls:
            raise Http404
        done = self.run(calls[action])
        if done is not None:
            messages.success(request, str(self.DONE[action]) % {"code": done.code})
        return redirect(self.window_url())


# --- the hall's lines --------------------------------------------------------------------------------------


class LinesView(ScopedViewMixin, TemplateView):
    """排队叫号设置: the lines of the halls in scope, their windows, the public addresses, 今日排队统计."""

    model = QueueLine
    permission = "view"
    template_name = "queueing/lines.html"

    def get_context_data(self, **kwargs):
        lines = list(
            self.get_queryset()
            .select_related("org")
            .prefetch_related("windows", "items")
            .order_by("org_id", "prefix")
        )
        halls = {line.org_id: line.org for line in lines}
        return super().get_context_data(
            lines=lines,
            halls=halls.values(),
            stats=selectors.day_stats(self.request.user, selectors.today()),
            can_add=has_permission(self.request.user, "queueing.add_queueline"),
            can_change=has_permission(self.request.user, "queueing.change_queueline"),
            **kwargs,
        )


class HallKioskMixin(ScopedViewMixin):
    """A hall in the user's scope for setting its lines: its kiosks are registered and stopped by the same."""

    model = QueueLine
    permission = "change"

    def get_hall(self):
        if not hasattr(self, "hall"):
            self.hall = get_object_or_404(
                selectors.halls(self.request.user, self.required_permission()), pk=self.kwargs["hall_pk"]
            )
        return self.hall


class KioskDevicesView(HallKioskMixin, TemplateView):
    """取号机 of a hall: the registered devices (when registered, last seen) with 停用, and 登记取号机, which
    shows a single-use registration link and its QR code for the device to open (valid ten minutes)."""

    template_name = "queueing/kiosk_devices.html"

    def get_context_data(self, **kwargs):
        hall = self.get_hall()
        return super().get_context_data(
            hall=hall,
            devices=services.kiosk_devices(hall),
            form=kwargs.pop("form", None) or forms.KioskForm(),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        form = forms.KioskForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            token = services.kiosk_link_start(
                actor=request.user, hall=self.get_hall(), name=form.cleaned_data["name"]
            )
        except OutOfScope:
            raise Http404(_("未找到该记录，或该记录不在您的管辖范围内。")) from None
        except PermissionDenied as error:
            raise DjangoPermissionDenied(str(error.message)) from None
        url = services.kiosk_link_url(token)
        response = self.render_to_response(
            self.get_context_data(
                pairing_url=url, pairing_qr=qr_svg(url), pairing_name=form.cleaned_data["name"]
            )
        )
        response["Cache-Control"] = "no-store"  # the link registers a device: not kept in a cache
        return response


class KioskRevokeView(HallKioskMixin, View):
    """停用 of one of the hall's kiosks."""

    http_method_names = ["post"]

    def post(self, request, hall_pk: int, pk: int):
        device = get_object_or_404(KioskDevice.objects.filter(org=self.get_hall()), pk=pk)
        try:
            services.kiosk_revoke(actor=request.user, device=device)
            messages.success(request, _("取号机“%(kiosk)s”已停用，不能再取号。") % {"kiosk": device})
        except (OutOfScope, PermissionDenied):
            raise Http404(_("未找到该记录，或该记录不在您的管辖范围内。")) from None
        except ServiceError as refused:
            messages.error(request, str(refused.message))
        return redirect("queueing:kiosks", hall_pk=hall_pk)


class LineFormView(ServiceFormView):
    model = QueueLine
    template_name = "queueing/line_form.html"
    form_class = forms.LineForm

    def get_line(self) -> QueueLine | None:
        if "pk" not in self.kwargs:
            return None
        if not hasattr(self, "line"):
            self.line = get_object_or_404(self.get_queryset().select_related("org"), pk=self.kwargs["pk"])
        return self.line

    def get_form_kwargs(self):
        line = self.get_line()
        kwargs = super().get_form_kwargs()
        halls = selectors.halls(self.request.user, self.required_permission())
        # A stopped window already calling the line stays a choice (marked 已停用, ticked): saving the line
        # keeps it unless the administrator unticks it.
        active = (Q(is_active=True) | Q(pk__in=line.windows.values("pk"))) if line else Q(is_active=True)
        windows = ServiceWindow.objects.filter(active).select_related("org").order_by("org_id", "number")
        windows = windows.filter(org=line.org) if line else windows.filter(org__in=halls)
        items = ServiceItem.objects.select_related("org").order_by("org_id", "name")
        items = items.filter(org=line.org) if line else items.filter(org__in=halls)
        kwargs.update(orgs=halls, windows=windows, items=items, editing=line is not None)
        if line is not None and self.request.method == "GET":
            kwargs["initial"] = {
                "name": line.name,
                "prefix": line.prefix,
                "windows": list(line.windows.all()),
                "items": list(line.items.all()),
                "is_active": line.is_active,
            }
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(line=self.get_line(), **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        line = self.get_line()
        return services.line_save(
            actor=self.request.user,
            org=line.org if line else data["org"],
            name=data["name"],
            prefix=data["prefix"],
            window_ids=[w.pk for w in data["windows"]],
            item_ids=[item.pk for item in data["items"]],
            is_active=data["is_active"],
            line=line,
        )

    def get_success_url(self, result=None):
        messages.success(self.request, _("业务队列“%(line)s”已保存。") % {"line": result})
        return reverse("queueing:lines")


class LineCreateView(LineFormView):
    permission = "add"


class LineEditView(LineFormView):
    permission = "change"
