"""Pages of the service hall.

Residents: sign-in with mobile + SMS code (their own session key, never Django's staff auth), real-name
verification, online applications, corrections and ratings. Public: tracking without login and notices.
Staff: window registration, the application list and detail with every transition, inquiries, agency
service, ratings statistics, rectifications and objections.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView

from jiedao.applications import certificates, forms, ledger, outcome, services, statistics, written_notices
from jiedao.applications.choices import (
    OPEN_STATUSES,
    ApplicationStatus,
    Channel,
    InquiryStatus,
    RatingChannel,
    RatingLevel,
)
from jiedao.applications.models import (
    AgencyAssignment,
    Application,
    ExtensionStatus,
    Inquiry,
    InquiryHandOver,
    ObjectionTask,
    PublicNotice,
    Rectification,
    Resident,
    ServiceWindow,
)
from jiedao.applications.selectors import (
    CLOCK_FILTERS,
    DEFERRAL_STATUSES,
    filter_applications,
    filter_rectifications,
    home_outside_item_area,
    is_instant,
    missing_required,
    missing_required_materials,
    resident_open_application,
    with_clock_status,
    with_deferral_overdue,
)
from jiedao.catalog.choices import Availability
from jiedao.catalog.models import ServiceItem
from jiedao.core import uploads
from jiedao.core.exceptions import OutOfScope, RateLimited, ServiceError, ValidationFailed
from jiedao.core.middleware import client_ip
from jiedao.core.qr import qr_svg
from jiedao.core.scope import has_permission, require
from jiedao.core.views import (
    ScopedDetailView,
    ScopedListView,
    ScopedViewMixin,
    ServiceFormView,
    keep_address_private,
)
from jiedao.orgs.choices import OrgLevel
from jiedao.orgs.models import OrgUnit
from jiedao.public import page_cache
from jiedao.public.views import PublicPageMixin
from jiedao.registry.paging import LateRowPaginator
from jiedao.registry.validators import parse_phone
from jiedao.spreadsheets.exporters import file_response
from jiedao.timelimits.choices import ClockStatus
from jiedao.workflow.choices import InstanceStatus

SESSION_KEY = "resident_id"
SESSION_EPOCH_KEY = "resident_epoch"
LOGIN_PHONE_KEY = "resident_login_phone"
NEW_PHONE_KEY = "resident_new_phone"


def current_resident(request) -> Resident | None:
    """The signed-in resident; none once the account's phone changed after this session signed in."""
    resident_id = request.session.get(SESSION_KEY)
    if not resident_id:
        return None
    resident = Resident.objects.filter(pk=resident_id).first()
    if resident is None or resident.session_epoch != request.session.get(SESSION_EPOCH_KEY, 0):
        return None
    return resident


def sign_in_resident(request, resident: Resident) -> None:
    request.session[SESSION_KEY] = resident.pk
    request.session[SESSION_EPOCH_KEY] = resident.session_epoch


def safe_next(request) -> str:
    """The `next` of a sign-in step: only a same-site relative path ("/hall/me/apply/3/"), else ""."""
    target = request.GET.get("next", "")
    if (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=False)
    ):
        return target
    return ""


def _with_next(url: str, target: str) -> str:
    return f"{url}?{urlencode({'next': target})}" if target else url


def upload_rules() -> dict:
    """For a page with material uploads: the limits told before files are chosen, and what its script
    (applications/uploads.js) needs to say the service's words about a file before it is sent."""
    limits = services.upload_limits()
    return {
        "upload_limits": limits,
        "upload_script": {
            "limits": limits,
            "messages": {
                **uploads.client_messages(),
                "total": services.total_message("{size}", "{mb}"),
                "chosen": _("已选择：{name}（{size}）"),
            },
        },
    }


def _form_errors(form, error: ServiceError) -> None:
    if isinstance(error, ValidationFailed):
        for field_name, messages_ in error.errors.items():
            for message in messages_:
                form.add_error(field_name if field_name in form.fields else None, message)
    else:
        form.add_error(None, str(error.message))


def _written_notice_response(request, application, kind: str, number: int | None, back: str):
    """打印: the application's `kind` document as a PDF opened in the browser's viewer; when it has none, back
    to its page (`back`) with why."""
    try:
        notice = written_notices.written_notice_get(application, kind, number)
    except OutOfScope:
        raise Http404(_("未找到该记录。")) from None
    except ServiceError as error:
        messages.error(request, str(error.message))
        return HttpResponseRedirect(back)
    return written_notices.pdf_response(notice)


class PublicFormMixin(PublicPageMixin):
    """A public or resident form page: service errors come back on the form."""

    def run(self, form, action):
        try:
            return action()
        except OutOfScope:
            raise Http404(_("未找到该记录。")) from None
        except ServiceError as error:
            _form_errors(form, error)
            return None


# --- residents ---------------------------------------------------------------------------------------------


class ResidentRequiredMixin(PublicFormMixin):
    """Resident pages: a signed-in resident (session key `resident_id`), never a staff session."""

    scope_exempt = "resident pages: only the signed-in resident's own applications"
    require_verified = True

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            raise DjangoPermissionDenied(_("工作人员账号不能使用群众办事页面，请先退出工作人员登录。"))
        resident = current_resident(request)
        if resident is None:
            return redirect(_with_next(reverse("applications:resident_login"), request.get_full_path()))
        if self.require_verified and not resident.is_verified:
            return redirect(_with_next(reverse("applications:resident_identity"), request.get_full_path()))
        request.resident = resident
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["resident"] = self.request.resident
        return context


class ResidentLoginView(PublicFormMixin, FormView):
    """Step 1: the mobile number; a code is sent by SMS. Signing in for the first time signs up."""

    scope_exempt = "resident sign-in, no data"
    template_name = "applications/resident_login.html"
    form_class = forms.PhoneForm

    def form_valid(self, form):
        phone = form.cleaned_data["phone"]
        sent = self.run(form, lambda: services.resident_send_code(phone=phone, ip=client_ip(self.request)))
        if sent is None:
            return self.form_invalid(form)
        # The number as the service read it (１３８…, 138 1234 5678 and +86 typed as 138…), so the code page
        # names it in the digits the SMS came to, not as it was typed.
        self.request.session[LOGIN_PHONE_KEY] = parse_phone(phone).national
        return redirect(_with_next(reverse("applications:resident_verify"), safe_next(self.request)))


class ResidentVerifyView(PublicFormMixin, FormView):
    """Step 2: the SMS code. Signing in replaces the whole session (any staff login ends)."""

    scope_exempt = "resident sign-in, no data"
    template_name = "applications/resident_verify.html"
    form_class = forms.CodeForm

    def dispatch(self, request, *args, **kwargs):
        if not request.session.get(LOGIN_PHONE_KEY):
            return redirect("applications:resident_login")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        from jiedao.core.crypto import mask_phone

        context = super().get_context_data(**kwargs)
        context["phone_masked"] = mask_phone(self.request.session.get(LOGIN_PHONE_KEY, ""))
        # 重新获取 keeps where the resident set out for (在线申请), as the first code did.
        context["again_url"] = _with_next(reverse("applications:resident_login"), safe_next(self.request))
        return context

    def form_valid(self, form):
        phone = self.request.session[LOGIN_PHONE_KEY]
        resident = self.run(
            form, lambda: services.resident_login(phone=phone, code=form.cleaned_data["code"])
        )
        if resident is None:
            return self.form_invalid(form)
        self.request.session.flush()
        sign_in_resident(self.request, resident)
        target = safe_next(self.request)
        if not resident.is_verified:
            # The page the resident set out for (在线申请) comes after 实名认证, not 我的办件.
            return redirect(_with_next(reverse("applications:resident_identity"), target))
        if target:
            return HttpResponseRedirect(target)
        return redirect("applications:resident_home")


class ResidentLogoutView(View):
    scope_exempt = "ends the resident session"
    http_method_names = ["post"]

    def post(self, request):
        request.session.pop(SESSION_KEY, None)
        request.session.cycle_key()
        return redirect("applications:hall")


class ResidentIdentityView(ResidentRequiredMixin, FormView):
    require_verified = False
    template_name = "applications/resident_form.html"
    form_class = forms.IdentityForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("实名认证")
        context["intro"] = _("请填写本人姓名和身份证件号码。实名认证后才能网上申请。")
        return context

    def form_valid(self, form):
        done = self.run(
            form,
            lambda: services.resident_verify_identity(
                resident=self.request.resident,
                real_name=form.cleaned_data["real_name"],
                id_number=form.cleaned_data["id_number"],
            ),
        )
        if done is None:
            return self.form_invalid(form)
        messages.success(self.request, _("实名认证已完成。"))
        at_window = done.applications.filter(channel=Channel.WINDOW).count()
        if at_window:
            messages.info(
                self.request,
                _("您在窗口办理的 %(n)d 件办件已归入“我的办件”，可在网上查看办理进度。") % {"n": at_window},
            )
        target = safe_next(self.request)
        return HttpResponseRedirect(target) if target else redirect("applications:resident_home")


class ResidentPhoneView(ResidentRequiredMixin, FormView):
    """更换手机号, step 1: the new number, which gets a code. The account stays on the old one until step 2."""

    template_name = "applications/resident_form.html"
    form_class = forms.NewPhoneForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("更换绑定手机号")
        context["intro"] = _(
            "当前绑定的号码为 %(phone)s。更换后请用新号码登录；以原号码留作联系电话的办件改用新号码，"
            "原号码将收到更换提醒短信。"
        ) % {"phone": self.request.resident.phone_masked}
        context["submit_label"] = _("获取验证码")
        return context

    def form_valid(self, form):
        phone = form.cleaned_data["phone"]
        sent = self.run(
            form,
            lambda: services.resident_phone_change_start(
                resident=self.request.resident, phone=phone, ip=client_ip(self.request)
            ),
        )
        if sent is None:
            return self.form_invalid(form)
        self.request.session[NEW_PHONE_KEY] = parse_phone(phone).national
        return redirect("applications:resident_phone_verify")


class ResidentPhoneVerifyView(ResidentRequiredMixin, FormView):
    """更换手机号, step 2: the code sent to the new number. This session stays signed in; any other ends."""

    template_name = "applications/resident_form.html"
    form_class = forms.CodeForm

    def dispatch(self, request, *args, **kwargs):
        if not request.session.get(NEW_PHONE_KEY):
            return redirect("applications:resident_phone")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        from jiedao.core.crypto import mask_phone

        context = super().get_context_data(**kwargs)
        context["title"] = _("输入短信验证码")
        context["intro"] = _("验证码已发送至新号码 %(phone)s，5 分钟内有效。") % {
            "phone": mask_phone(self.request.session.get(NEW_PHONE_KEY, ""))
        }
        context["submit_label"] = _("确认更换")
        context["back_url"] = reverse("applications:resident_phone")
        context["back_label"] = _("重新获取")
        return context

    def form_valid(self, form):
        resident = self.run(
            form,
            lambda: services.resident_change_phone(
                resident=self.request.resident,
                new_phone=self.request.session[NEW_PHONE_KEY],
                code=form.cleaned_data["code"],
            ),
        )
        if resident is None:
            return self.form_invalid(form)
        del self.request.session[NEW_PHONE_KEY]
        sign_in_resident(self.request, resident)
        messages.success(
            self.request,
            _("绑定手机号已更换为 %(phone)s，请以后用该号码登录。") % {"phone": resident.phone_masked},
        )
        return redirect("applications:resident_home")


class ResidentCloseView(ResidentRequiredMixin, FormView):
    """注销账号, step 1: what closing means, the applications that stop it, and a code to confirm."""

    require_verified = False
    template_name = "applications/resident_close.html"
    form_class = forms.CloseAccountForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["open_applications"] = services.resident_open_applications(self.request.resident)
        return context

    def form_valid(self, form):
        sent = self.run(
            form,
            lambda: services.resident_close_start(resident=self.request.resident, ip=client_ip(self.request)),
        )
        if sent is None:
            return self.form_invalid(form)
        return redirect("applications:resident_close_verify")


class ResidentCloseVerifyView(ResidentRequiredMixin, FormView):
    require_verified = False
    template_name = "applications/resident_form.html"
    form_class = forms.CodeForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("注销账号")
        context["intro"] = _("验证码已发送至 %(phone)s，5 分钟内有效。输入验证码后账号即注销，不能恢复。") % {
            "phone": self.request.resident.phone_masked
        }
        context["submit_label"] = _("确认注销")
        context["back_url"] = reverse("applications:resident_home")
        context["back_label"] = _("不注销了")
        return context

    def form_valid(self, form):
        done = self.run(
            form,
            lambda: (
                services.resident_close(resident=self.request.resident, code=form.cleaned_data["code"])
                or True
            ),
        )
        if done is None:
            return self.form_invalid(form)
        self.request.session.flush()
        messages.success(self.request, _("账号已注销。已办结的办件仍可凭查询码和手机号码查询。"))
        return redirect("applications:hall")


class HallView(PublicPageMixin, ListView):
    """The hall's front page: published items that can be applied for online."""

    scope_exempt = "public list of published service items"
    template_name = "applications/hall.html"
    context_object_name = "items"

    def get_queryset(self):
        return ServiceItem.objects.filter(is_published=True).order_by("code")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["resident"] = None if self.request.user.is_authenticated else current_resident(self.request)
        context["online"] = Availability.ONLINE
        # 预约 only where the hall takes bookings (an import here: 预约办理 builds on this app, not the reverse)
        from jiedao.appointments.selectors import halls_taking_bookings

        context["booking_halls"] = halls_taking_bookings()
        return context


class ResidentHomeView(ResidentRequiredMixin, ListView):
    template_name = "applications/resident_home.html"
    context_object_name = "applications"

    def get_queryset(self):
        # with_clock_status: whether each due date is provisional, in the same query.
        return with_clock_status(
            Application.objects.filter(resident=self.request.resident).select_related("item")
        )


class ResidentApplyView(ResidentRequiredMixin, FormView):
    template_name = "applications/resident_apply.html"
    form_class = forms.ApplyForm

    def dispatch(self, request, *args, **kwargs):
        self.item = get_object_or_404(ServiceItem, pk=kwargs["item_pk"], is_published=True)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "item": self.item}

    def get_context_data(self, **kwargs):
        context = {**super().get_context_data(**kwargs), "item": self.item, **upload_rules()}
        if not self.item.is_online:
            # Said before the resident chooses files, not after they have uploaded them for nothing.
            context["offline_message"] = services.offline_only_message(self.item)
        context["home_outside"] = home_outside_item_area(self.request.resident, self.item)
        # Said before the resident chooses files, not after they have uploaded them for nothing.
        context["open_application"] = resident_open_application(self.request.resident, self.item)
        return context

    def form_valid(self, form):
        application = self.run(
            form,
            lambda: services.application_submit(
                resident=self.request.resident,
                item=self.item,
                uploads=form.uploads(),
                enterprise_name=form.cleaned_data.get("enterprise_name", ""),
                enterprise_uscc=form.cleaned_data.get("enterprise_uscc", ""),
                delivery_method=form.cleaned_data.get("delivery_method", ""),
                delivery_address=form.cleaned_data.get("delivery_address", ""),
            ),
        )
        if application is None:
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("申请已提交，查询码：%(code)s。请妥善保存。") % {"code": application.tracking_code},
        )
        return redirect("applications:resident_application", pk=application.pk)


class ResidentApplicationMixin(ResidentRequiredMixin):
    """The signed-in resident's own application; any other is 404."""

    def get_application(self):
        return get_object_or_404(
            with_clock_status(Application.objects.select_related("item", "window__org")),
            pk=self.kwargs["pk"],
            resident=self.request.resident,
        )


class ResidentApplicationView(ResidentApplicationMixin, TemplateView):
    template_name = "applications/resident_application.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = self.get_application()
        context.update(
            application=application,
            history=services.public_history(application),
            resubmit_form=kwargs.get("resubmit_form") or forms.CorrectionMaterialsForm(item=application.item),
            deferred=list(application.deferred_materials.all()),
            supply_form=kwargs.get("supply_form") or _supply_form(application),
            rating_form=kwargs.get("rating_form") or forms.RatingForm(),
            can_rate=application.is_concluded and not hasattr(application, "rating"),
            withdraw_form=kwargs.get("withdraw_form") or forms.WithdrawForm(),
            is_open=application.status in OPEN_STATUSES,
            notices=written_notices.printable(application),
            certificates=list(application.certificates.all()),
            **(upload_rules() if application.status == ApplicationStatus.CORRECTION_REQUESTED else {}),
        )
        if context["supply_form"] is not None:
            context.update(upload_rules())
        return context


class ResidentOutcomeDocumentView(ResidentApplicationMixin, View):
    """The signed-in resident's own outcome document (办结通知书)."""

    def get(self, request, pk):
        application = self.get_application()
        return outcome.outcome_document_response(application)


class ResidentCertificateView(ResidentApplicationMixin, View):
    """The signed-in resident's own certificate in force (居住证明), saved as the PDF the window prints."""

    def get(self, request, pk, certificate):
        application = self.get_application()
        try:
            found = certificates.holder_certificate(application, certificate)
        except OutOfScope:
            raise Http404(_("未找到该记录。")) from None
        except ServiceError as error:
            messages.error(request, str(error.message))
            return redirect("applications:resident_application", pk=application.pk)
        return certificates.pdf_response(found, inline=False)


class ResidentWrittenNoticeView(ResidentApplicationMixin, View):
    """The signed-in resident's own written notices (受理通知书, 补正材料通知书…), to print."""

    def get(self, request, pk, kind, number=None):
        application = self.get_application()
        back = reverse("applications:resident_application", args=[application.pk])
        return _written_notice_response(request, application, kind, number, back)


class ResidentApplicationActionView(ResidentApplicationView):
    """A form posted from the resident's application page (补正, 容缺补交, 撤回, 评价). Its errors are shown at
    this address; opened again by GET (长者模式 or English switched on the error page, a reload, the back
    button) it leads to the application page instead of the browser's bare "HTTP ERROR 405"."""

    http_method_names = ["get", "post"]

    def get(self, request, *args, **kwargs):
        return redirect("applications:resident_application", pk=kwargs["pk"])


class ResidentResubmitView(ResidentApplicationActionView):
    def post(self, request, *args, **kwargs):
        application = self.get_application()
        form = forms.CorrectionMaterialsForm(request.POST, request.FILES, item=application.item)
        if form.is_valid():
            done = self.run(
                form,
                lambda: services.application_resubmit(
                    resident=request.resident, application=application, uploads=form.uploads()
                ),
            )
            if done is not None:
                messages.success(request, _("补正材料已提交。"))
                return redirect("applications:resident_application", pk=application.pk)
        return self.render_to_response(self.get_context_data(resubmit_form=form), status=400)


def _supply_form(application, *args):
    """The form to hand in 容缺 materials, while some are outstanding on an application being handled."""
    outstanding = services.outstanding_deferred(application)
    if not outstanding or application.status not in DEFERRAL_STATUSES:
        return None
    return forms.DeferredMaterialsForm(*args, item=application.item, outstanding=outstanding)


class ResidentSupplyView(ResidentApplicationActionView):
    def post(self, request, *args, **kwargs):
        application = self.get_application()
        form = _supply_form(application, request.POST, request.FILES)
        if form is None:
            messages.error(request, _("该办件没有待补交的容缺材料。"))
            return redirect("applications:resident_application", pk=application.pk)
        if form.is_valid():
            done = self.run(
                form,
                lambda: services.application_supply_deferred(
                    resident=request.resident, application=application, uploads=form.uploads()
                ),
            )
            if done is not None:
                messages.success(request, _("容缺材料已补交。"))
                return redirect("applications:resident_application", pk=application.pk)
        return self.render_to_response(self.get_context_data(supply_form=form), status=400)


class ResidentWithdrawView(ResidentApplicationActionView):
    def post(self, request, *args, **kwargs):
        application = self.get_application()
        form = forms.WithdrawForm(request.POST)
        if form.is_valid():
            done = self.run(
                form,
                lambda: services.application_withdraw(
                    resident=request.resident, application=application, reason=form.cleaned_data["reason"]
                ),
            )
            if done is not None:
                messages.success(request, _("申请已撤回，办理终止。"))
                return redirect("applications:resident_application", pk=application.pk)
        return self.render_to_response(self.get_context_data(withdraw_form=form), status=400)


class ResidentRateView(ResidentApplicationActionView):
    def post(self, request, *args, **kwargs):
        application = self.get_application()
        form = forms.RatingForm(request.POST)
        if form.is_valid():
            done = self.run(
                form,
                lambda: services.rating_submit(
                    resident=request.resident,
                    application=application,
                    level=form.cleaned_data["level"],
                    comment=form.cleaned_data["comment"],
                ),
            )
            if done is not None:
                messages.success(request, _("感谢您的评价。"))
                return redirect("applications:resident_application", pk=application.pk)
        context = self.get_context_data(rating_form=form)
        if not context["can_rate"]:
            # Rated already (or not concluded): the rating form is not on the page, so its errors would not
            # be seen; they are shown as page messages instead.
            for error in form.non_field_errors():
                messages.error(request, error)
        return self.render_to_response(context, status=400)


# --- public: the rating link ---------------------------------------------------------------------------------


class RatingLinkView(PublicPageMixin, TemplateView):
    """/r/<token>: the applicant rates without logging in (from the SMS or the QR code at the window). Shows
    the item and the conclusion date only; once used or expired, says so."""

    scope_exempt = "public rating link: the token is the authority; only the item name and date are shown"
    template_name = "applications/rating_link.html"

    def state(self):
        return services.rating_link_state(token=self.kwargs["token"], ip=client_ip(self.request))

    def get(self, request, *args, **kwargs):
        return self.show(form=forms.RatingForm())

    def show(self, *, form, state=None, error: str = "", status: int = 200, done: bool = False):
        if state is None and not error:
            try:
                state = self.state()
            except RateLimited as limited:
                error, status = str(limited.message), 429
            except ServiceError as refused:
                error, status = str(refused.message), 404
        context = self.get_context_data(
            form=form, link=state, error=error, done=done, via_qr="q" in self.request.GET
        )
        response = self.render_to_response(context, status=status)
        keep_address_private(response)
        if status == 429:
            response["Retry-After"] = str(services.LOOKUP_RETRY_AFTER)
        return response

    def post(self, request, *args, **kwargs):
        form = forms.RatingForm(request.POST)
        if not form.is_valid():
            return self.show(form=form, status=400)
        channel = RatingChannel.QRCODE if request.POST.get("via") == "qr" else RatingChannel.SMS
        try:
            services.rating_by_link(
                token=self.kwargs["token"],
                level=form.cleaned_data["level"],
                comment=form.cleaned_data["comment"],
                channel=channel,
                user=request.user if request.user.is_authenticated else None,
                ip=client_ip(request),
            )
        except RateLimited as limited:
            return self.show(form=form, error=str(limited.message), status=429)
        except ValidationFailed as invalid:
            _form_errors(form, invalid)
            return self.show(form=form, status=400)
        except ServiceError as refused:
            status = 404 if refused.code == "bad_link" else 400
            return self.show(form=form, error=str(refused.message), status=status)
        return self.show(form=forms.RatingForm(), error="", done=True, state=False)


# --- public: tracking and notices --------------------------------------------------------------------------


TRACK_RESULT_SLOT = "<!--track-result-->"


class TrackView(PublicFormMixin, FormView):
    """Tracking without login: code + phone; one message for any mismatch; rate-limited per address.

    The page around the result is the same for every visitor (language and elder mode aside), so it comes
    from the public page cache with the visitor's CSRF token and the result card put in (`form_page`).
    """

    scope_exempt = "public tracking: code and phone must both match; nothing else is shown"
    template_name = "applications/track.html"
    form_class = forms.TrackForm

    def get(self, request, *args, **kwargs):
        return self.page()

    def form_valid(self, form):
        try:
            result = services.application_track(
                code=form.cleaned_data["code"], phone=form.cleaned_data["phone"], ip=client_ip(self.request)
            )
        except RateLimited as error:
            form.add_error(None, str(error.message))
            response = self.form_invalid(form)
            response.status_code = 429
            response["Retry-After"] = str(error.retry_after)
            return response
        except ServiceError as error:
            _form_errors(form, error)
            return self.form_invalid(form)
        return self.page(render_to_string("applications/_track_result.html", {"result": result}))

    def page(self, result_card: str = "") -> HttpResponse:
        return page_cache.form_page(
            self.request,
            self.elder_mode_requested(self.request),
            lambda: self.render_to_response(
                self.get_context_data(
                    form=forms.TrackForm(), csrf_token=page_cache.CSRF_SLOT, result_slot=TRACK_RESULT_SLOT
                )
            ),
            fill={TRACK_RESULT_SLOT: result_card},
        )


class NoticeListView(PublicPageMixin, ListView):
    scope_exempt = "public notices: masked names only, published by design"
    template_name = "applications/notice_list.html"
    context_object_name = "notices"
    paginate_by = 20

    def get_queryset(self):
        # The filtered list in its order (counted, and read as one page's keys); the joined columns are read
        # for the page's rows only (`page_rows`).
        queryset = PublicNotice.objects.all()
        if self.request.GET.get("archived") == "1":
            return queryset.filter(archived_at__isnull=False)
        return queryset.filter(archived_at__isnull=True, starts_at__lte=timezone.now())

    @staticmethod
    def page_rows(queryset):
        return queryset.select_related("application__item")

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        # Years of archived notices: the last pages read by key from the end (registry.paging), not by
        # OFFSET over every earlier notice and its joined rows.
        return LateRowPaginator(
            queryset, per_page, orphans, allow_empty_first_page, rows_for=self.page_rows, **kwargs
        )


class NoticeDetailView(PublicFormMixin, DetailView):
    scope_exempt = "public notice and its objection form"
    template_name = "applications/notice_detail.html"
    context_object_name = "notice"
    model = PublicNotice

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["is_open"] = services.notice_is_open(self.object)
        context.setdefault("form", forms.ObjectionForm())
        return context

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = forms.ObjectionForm(request.POST)
        if form.is_valid():
            done = self.run(
                form,
                lambda: services.objection_file(
                    notice=self.object,
                    name=form.cleaned_data["name"],
                    phone=form.cleaned_data["phone"],
                    content=form.cleaned_data["content"],
                    ip=client_ip(request),
                ),
            )
            if done is not None:
                messages.success(request, _("您的异议已提交，我们将核实处理并与您联系。"))
                return redirect("applications:notice_detail", pk=self.object.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- staff: applications -----------------------------------------------------------------------------------


class ApplicationListView(ScopedListView):
    model = Application
    template_name = "applications/staff_list.html"
    context_object_name = "applications"

    def get_queryset(self):
        # The filtered list in its order (counted, and read as one page's keys), without the clock columns:
        # those are read for the page's rows only (`page_rows`).
        # A hand-edited address with a bad value lists without that filter, as before; the API refuses it.
        queryset, _errors = filter_applications(
            super().get_queryset(), self.request.GET, user=self.request.user
        )
        return queryset

    @staticmethod
    def page_rows(queryset):
        return with_deferral_overdue(with_clock_status(queryset.select_related("item", "org")))

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        # A district's 300,000 applications: page 500 or the last page read by key (registry.paging), not
        # by OFFSET over every earlier row and its clock.
        return LateRowPaginator(
            queryset, per_page, orphans, allow_empty_first_page, rows_for=self.page_rows, **kwargs
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["statuses"] = ApplicationStatus.choices
        context["clock_choices"] = [(s, ClockStatus(s).label) for s in CLOCK_FILTERS]
        context["deferral_choices"] = [("outstanding", _("容缺待补交")), ("overdue", _("容缺逾期"))]
        if has_permission(self.request.user, ledger.EXPORT_PERMISSION):
            params = self.request.GET.copy()
            params.pop("page", None)
            query = params.urlencode()
            context["export_url"] = reverse("applications:staff_export") + (f"?{query}" if query else "")
        return context


class ApplicationLedgerExportView(ScopedViewMixin, View):
    """「导出台账」: the list's current filters → 办件台账 (.xlsx), streamed from a temporary file."""

    model = Application
    permission = "export"
    http_method_names = ["get"]

    def get(self, request):
        exported = ledger.export_ledger(user=request.user, params=request.GET)
        return file_response(exported.path, exported.filename)


class ApplicationReadMixin:
    """The pages that show an application and its files: open to its scope and to those taking part in its
    process (`ApplicationQuerySet.readable_by`); acting on it keeps asking the action's own scope."""

    def get_queryset(self):
        return Application.objects.readable_by(self.request.user)


def _within_scope(user, application) -> bool:
    """Whether `user` reaches the application by its scope, not only by taking part in its process."""
    try:
        require(user, "applications.view_application", application)
    except ServiceError:
        return False
    return True


class ApplicationDetailView(ApplicationReadMixin, ScopedDetailView):
    model = Application
    template_name = "applications/staff_detail.html"
    context_object_name = "application"

    def get_queryset(self):
        # The materials list and the missing-materials warning read the same two sets.
        return with_clock_status(
            super()
            .get_queryset()
            .select_related("item", "org", "concluded_by", "appointment__slot")
            .prefetch_related("materials", "item__materials", "deferred_materials")
        )

    def get_context_data(self, **kwargs):
        from jiedao.timelimits.services import clock_for

        context = super().get_context_data(**kwargs)
        application = self.object
        user = self.request.user
        status = application.status
        # A step's holder outside the application's scope reads it and acts only on their step.
        read_only = not _within_scope(user, application)

        def may(permission: str) -> bool:
            return not read_only and has_permission(user, permission)

        can_accept = may("applications.accept_application")
        actions = []
        missing = missing_required_materials(application)
        if can_accept and status == ApplicationStatus.SUBMITTED:
            actions.append(("accept", _("受理"), forms.EmptyForm(auto_id="id_accept_%s")))
            if missing:
                actions.append(
                    (
                        "accept_deferred",
                        _("容缺受理"),
                        forms.AcceptDeferredForm(auto_id="id_accept_deferred_%s"),
                    )
                )
        if can_accept and status in (ApplicationStatus.SUBMITTED, ApplicationStatus.ACCEPTED):
            actions.append(("correct", _("一次性告知补正"), forms.CorrectionForm(auto_id="id_correct_%s")))
        if can_accept and status == ApplicationStatus.CORRECTION_REQUESTED:
            actions.append(
                (
                    "resubmit",
                    _("窗口收取补正材料"),
                    forms.CorrectionMaterialsForm(item=application.item, auto_id="id_resubmit_%s"),
                )
            )
        supply_form = _supply_form(application) if can_accept else None
        if supply_form is not None:
            supply_form.auto_id = "id_supply_%s"
            actions.append(("supply", _("窗口收取容缺材料"), supply_form))
        if can_accept and status in (ApplicationStatus.SUBMITTED, ApplicationStatus.CORRECTION_REQUESTED):
            actions.append(("reject", _("不予受理"), forms.RejectForm(auto_id="id_reject_%s")))
        if can_accept and status in OPEN_STATUSES:
            actions.append(("withdraw", _("登记撤回申请"), forms.StaffWithdrawForm(auto_id="id_withdraw_%s")))
        from jiedao.applications.processing import instance_for

        process_instance = instance_for(application)
        if (
            can_accept
            and status == ApplicationStatus.ACCEPTED
            and application.item.process_key
            and process_instance is None
        ):
            actions.append(
                ("start_process", _("转入流程办理"), forms.EmptyForm(auto_id="id_start_process_%s"))
            )
        if can_accept and status == ApplicationStatus.ACCEPTED:
            actions.append(("suspend", _("中止办理"), forms.ReasonForm(auto_id="id_suspend_%s")))
        if can_accept and status == ApplicationStatus.SUSPENDED:
            actions.append(("resume", _("恢复办理"), forms.EmptyForm(auto_id="id_resume_%s")))
        extending = status in (ApplicationStatus.ACCEPTED, ApplicationStatus.SUSPENDED)
        extensions = list(application.extension_requests.select_related("requested_by", "decided_by"))
        pending_extension = next((x for x in extensions if x.status == ExtensionStatus.PENDING), None)
        if extending and pending_extension is None and may("applications.extend_application"):
            actions.append(("extend", _("申请延长时限"), forms.ExtendForm(auto_id="id_extend_%s")))
        if (
            extending
            and pending_extension is not None
            and pending_extension.requested_by_id != user.pk
            and may("applications.approve_extension")
        ):
            actions.append(
                (
                    "extend",
                    _("审批延长时限（%(days)d 个工作日）") % {"days": pending_extension.days},
                    forms.ExtensionDecisionForm(auto_id="id_decide_extension_%s"),
                )
            )
        if (
            may("applications.conclude_application")
            and status == ApplicationStatus.ACCEPTED
            and not (process_instance is not None and process_instance.status == InstanceStatus.RUNNING)
        ):
            # An application in a running process is concluded by the process's last step, not here.
            actions.append(("conclude", _("办结"), forms.ConcludeForm(auto_id="id_conclude_%s")))
        if (
            may("applications.add_rating")
            and application.is_concluded
            and not hasattr(application, "rating")
            and not services.handled_by(application, user)
        ):
            # Only a paper 评价表 the applicant signed, and not by whoever handled the application.
            actions.append(("rate", _("录入纸质评价表"), forms.PaperRatingForm(auto_id="id_rate_%s")))
        can_conclude = may("applications.conclude_application")
        if (
            can_conclude
            and status == ApplicationStatus.CONCLUDED_APPROVED
            and application.delivery_method
            and application.delivered_at is None
        ):
            actions.append(("deliver", _("登记送达"), forms.DeliverForm(auto_id="id_deliver_%s")))
        context["certificates"] = list(application.certificates.select_related("revoked_by"))
        if can_conclude and certificates.issuable(application, context["certificates"]):
            label = _("开具%(kind)s") % {"kind": application.item.get_certificate_kind_display()}
            actions.append(("certificate", label, forms.CertificateIssueForm(auto_id="id_certificate_%s")))
        context["can_revoke_certificate"] = can_conclude
        context["revoke_form"] = forms.CertificateRevokeForm(auto_id="id_revoke_%s")
        if application.is_concluded:
            token = services.rating_link_for_window(application)
            if token is not None:
                context["rating_qr_svg"] = qr_svg(services.rating_link_url(token, qr=True))
        # 不予受理 is final and told to the applicant: a red button, confirmed before it is sent.
        confirm = {
            "reject": _("确定作出不予受理决定？该决定将短信告知申请人。"),
            "withdraw": _("确定登记申请人撤回？办理将终止，并短信告知申请人。"),
        }
        context["actions"] = [
            {
                "url": reverse(f"applications:staff_{key}", args=[application.pk]),
                "label": label,
                "form": form,
                "danger": key in confirm,
                "confirm": confirm.get(key, ""),
            }
            for key, label, form in actions
        ]
        context["events"] = application.events.select_related("actor")
        context["clock"] = clock_for(application)
        context["instant"] = is_instant(application)
        context["materials"] = application.materials.all()
        context["has_photo"] = any(material.is_photo for material in context["materials"])
        # Asked for while the application is handled; once it ended (withdrawn, refused, concluded) nothing is
        # to be collected any more.
        context["missing_materials"] = missing if status in OPEN_STATUSES else []
        context["deferred"] = list(application.deferred_materials.all())
        context["deferral_overdue"] = (
            status in DEFERRAL_STATUSES
            and application.defer_until is not None
            and application.defer_until < timezone.localdate()
            and any(d.supplied_at is None for d in context["deferred"])
        )
        if application.status == ApplicationStatus.CORRECTION_REQUESTED or supply_form is not None:
            context.update(upload_rules())
        context["notices"] = written_notices.printable(application)
        context["process_instance"] = process_instance
        context["pending_extension"] = pending_extension
        context["extensions"] = extensions
        context["read_only"] = read_only
        return context


class ApplicationActionView(ServiceFormView):
    """One transition of one application, posted from the detail page."""

    model = Application
    permission = "applications.accept_application"
    template_name = "applications/staff_form.html"
    form_class = forms.EmptyForm
    title = ""

    def get_application(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def seen_status(self) -> str:
        """The status the page showed when the clerk decided (a hidden field of the action forms)."""
        return self.request.POST.get("seen_status", "")[:30]

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if issubclass(self.form_class, forms.MaterialsForm):
            kwargs["item"] = self.get_application().item
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = self.get_application()
        context["title"] = f"{self.title} · {application.tracking_code}"
        # On a refused form the status it was first shown with, so a colleague's action meanwhile still shows.
        context["seen_status"] = self.request.POST.get("seen_status") or application.status
        context["cancel_url"] = reverse("applications:staff_detail", args=[application.pk])
        return context

    def get_success_url(self, result=None):
        return reverse("applications:staff_detail", args=[self.kwargs["pk"]])


class AcceptView(ApplicationActionView):
    title = gettext_lazy("受理")
    form_class = forms.ResidenceCommunityForm
    success_message = gettext_lazy("已受理。")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "application": self.get_application()}

    def perform(self, form):
        return services.application_accept(
            actor=self.request.user,
            application=self.get_application(),
            community=form.cleaned_data["community"],
            expected_status=self.seen_status(),
        )


class AcceptDeferredView(ApplicationActionView):
    """容缺受理: the missing required materials (all 可容缺) are to be supplied later under the applicant's
    written commitment."""

    title = gettext_lazy("容缺受理")
    form_class = forms.AcceptDeferredForm
    success_message = gettext_lazy("已容缺受理，受理通知书列明了需补交的材料和期限。")

    def perform(self, form):
        application = self.get_application()
        return services.application_accept(
            actor=self.request.user,
            application=application,
            expected_status=self.seen_status(),
            deferral=services.Deferral(
                materials=missing_required(application),
                committed=form.cleaned_data["committed"],
                until=form.cleaned_data["until"],
            ),
        )


class StaffSupplyView(ApplicationActionView):
    title = gettext_lazy("窗口收取容缺材料")
    form_class = forms.DeferredMaterialsForm
    success_message = gettext_lazy("容缺材料已收取。")

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "outstanding": services.outstanding_deferred(self.get_application()),
        }

    def perform(self, form):
        return services.application_supply_deferred(
            actor=self.request.user, application=self.get_application(), uploads=form.uploads()
        )


class StartProcessView(ApplicationActionView):
    title = gettext_lazy("转入流程办理")
    form_class = forms.ResidenceCommunityForm
    success_message = gettext_lazy("已转入流程办理，后续环节见各经办人的待办。")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "application": self.get_application()}

    def perform(self, form):
        return services.application_start_processing(
            actor=self.request.user,
            application=self.get_application(),
            community=form.cleaned_data["community"],
        )


class CorrectView(ApplicationActionView):
    title = gettext_lazy("一次性告知补正")
    form_class = forms.CorrectionForm
    success_message = gettext_lazy("已一次性告知补正材料。")

    def perform(self, form):
        return services.application_request_correction(
            actor=self.request.user,
            application=self.get_application(),
            items=form.lines(),
            expected_status=self.seen_status(),
        )


class StaffResubmitView(ApplicationActionView):
    title = gettext_lazy("窗口收取补正材料")
    form_class = forms.CorrectionMaterialsForm
    success_message = gettext_lazy("补正材料已收取。")

    def perform(self, form):
        return services.application_resubmit(
            actor=self.request.user, application=self.get_application(), uploads=form.uploads()
        )


class RejectView(ApplicationActionView):
    title = gettext_lazy("不予受理")
    form_class = forms.RejectForm
    success_message = gettext_lazy("已作出不予受理决定。")

    def perform(self, form):
        return services.application_reject(
            actor=self.request.user,
            application=self.get_application(),
            reason=form.cleaned_data["reason"],
            expected_status=self.seen_status(),
        )


class WithdrawView(ApplicationActionView):
    title = gettext_lazy("登记撤回申请")
    form_class = forms.StaffWithdrawForm
    success_message = gettext_lazy("已登记撤回，办理终止。")

    def perform(self, form):
        return services.application_withdraw(
            actor=self.request.user,
            application=self.get_application(),
            reason=form.cleaned_data["reason"],
            expected_status=self.seen_status(),
        )


class DeliverView(ApplicationActionView):
    title = gettext_lazy("登记送达")
    permission = "applications.conclude_application"
    form_class = forms.DeliverForm
    success_message = gettext_lazy("已登记送达。")

    def perform(self, form):
        return services.application_deliver(
            actor=self.request.user, application=self.get_application(), note=form.cleaned_data["note"]
        )


class SuspendView(ApplicationActionView):
    title = gettext_lazy("中止办理")
    form_class = forms.ReasonForm
    success_message = gettext_lazy("已中止办理，计时暂停。")

    def perform(self, form):
        return services.application_suspend(
            actor=self.request.user, application=self.get_application(), reason=form.cleaned_data["reason"]
        )


class ResumeView(ApplicationActionView):
    title = gettext_lazy("恢复办理")
    success_message = gettext_lazy("已恢复办理。")

    def perform(self, form):
        return services.application_resume(actor=self.request.user, application=self.get_application())


class ExtendView(ApplicationActionView):
    """延长时限: window staff request it (days and reason); a leader approves or refuses it — posted to the
    same address with a `decision` — and only an approval moves the due date."""

    permission = "applications.extend_application"
    title = gettext_lazy("申请延长时限")
    form_class = forms.ExtendForm
    success_message = gettext_lazy("已提交延长时限申请，待领导审批。")

    def deciding(self) -> bool:
        # The decision form always posts its `note` box, even with no decision chosen: an empty decision is
        # still a decision (answered "请选择审批结果。"), never a new request.
        post = self.request.POST
        return self.request.method == "POST" and ("decision" in post or "note" in post)

    def required_permission(self) -> str:
        return "applications.approve_extension" if self.deciding() else self.permission

    def get_form_class(self):
        return forms.ExtensionDecisionForm if self.deciding() else forms.ExtendForm

    def perform(self, form):
        if self.deciding():
            approve = form.cleaned_data["decision"] == forms.ExtensionDecisionForm.APPROVE
            self.success_message = _("已批准延长办理时限。") if approve else _("已不予批准延长办理时限。")
            return services.application_extension_decide(
                actor=self.request.user,
                application=self.get_application(),
                approve=approve,
                note=form.cleaned_data["note"],
            )
        return services.application_extension_request(
            actor=self.request.user,
            application=self.get_application(),
            days=form.cleaned_data["days"],
            reason=form.cleaned_data["reason"],
        )


class ConcludeView(ApplicationActionView):
    permission = "applications.conclude_application"
    title = gettext_lazy("办结")
    form_class = forms.ConcludeForm
    success_message = gettext_lazy("已办结，已短信告知申请人。")

    def perform(self, form):
        return services.application_conclude(
            actor=self.request.user,
            application=self.get_application(),
            outcome=form.cleaned_data["outcome"],
            text=form.cleaned_data["text"],
        )


class CertificateIssueView(ApplicationActionView):
    """开具证明 (居住证明) from the registry; the certificate then prints from the application's page."""

    permission = "applications.conclude_application"
    title = gettext_lazy("开具证明")
    form_class = forms.CertificateIssueForm

    def perform(self, form):
        certificate = certificates.certificate_issue(
            actor=self.request.user, application=self.get_application(), purpose=form.cleaned_data["purpose"]
        )
        messages.success(
            self.request,
            _("已开具%(title)s（%(number)s），请点击“打印”。")
            % {"title": certificate.facts["title"], "number": certificate.number},
        )
        return certificate


class CertificateRevokeView(ApplicationActionView):
    permission = "applications.conclude_application"
    title = gettext_lazy("作废证明")
    form_class = forms.CertificateRevokeForm
    success_message = gettext_lazy("证明已作废，查验页面将显示“已作废”。")

    def perform(self, form):
        certificate = certificates.certificate_get(self.get_application(), self.kwargs["certificate"])
        return certificates.certificate_revoke(
            actor=self.request.user, certificate=certificate, reason=form.cleaned_data["reason"]
        )


class CertificatePrintView(ApplicationReadMixin, ScopedViewMixin, View):
    """打印: a certificate of an application the user may see, the same text as when it was issued."""

    model = Application

    def get(self, request, pk, certificate):
        application = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            found = certificates.certificate_get(application, certificate)
        except OutOfScope:
            raise Http404(_("未找到该记录。")) from None
        return certificates.pdf_response(found)


class CertificateVerifyView(PublicPageMixin, TemplateView):
    """/verify/<code>: a bank or a school checks a certificate is genuine: the issuing org, the number, the
    dates and the holder's masked name only; rate-limited per address like tracking."""

    scope_exempt = (
        "public certificate check: the code is the key; only the masked name and the dates are shown"
    )
    template_name = "applications/certificate_verify.html"

    def get(self, request, *args, **kwargs):
        status, result, error = 200, None, ""
        try:
            result = certificates.certificate_verify(code=kwargs["code"], ip=client_ip(request))
        except RateLimited as limited:
            status, error = 429, str(limited.message)
        except ServiceError as refused:
            status, error = 404, str(refused.message)
        response = self.render_to_response(self.get_context_data(result=result, error=error), status=status)
        keep_address_private(response)
        if status == 429:
            response["Retry-After"] = str(services.LOOKUP_RETRY_AFTER)
        return response


class StaffRateView(ApplicationActionView):
    permission = "applications.add_rating"
    title = gettext_lazy("录入纸质评价表")
    form_class = forms.PaperRatingForm
    success_message = gettext_lazy("纸质评价表已录入。")

    def perform(self, form):
        return services.rating_submit(
            actor=self.request.user,
            application=self.get_application(),
            level=form.cleaned_data["level"],
            comment=form.cleaned_data["comment"],
            paper_number=form.cleaned_data["paper_number"],
        )


class WalkInView(ServiceFormView):
    """窗口收件: register a visitor's application with the materials handed in."""

    model = Application
    permission = "add"
    template_name = "applications/walk_in.html"
    form_class = forms.WalkInForm
    success_message = gettext_lazy("已登记。")

    def items(self):
        return ServiceItem.objects.visible_to(self.request.user, "applications.add_application").filter(
            is_published=True
        )

    def prefill(self):
        """?appointment=: the booking checked in today on 今日预约, read through the user's scope (another
        hall's or another day's booking is ignored, and the page says so); it gives the item and the booker's
        name, and their phone and identity number masked (the service keeps the full ones when left as
        they are)."""
        from jiedao.appointments.selectors import walk_in_prefill

        if not hasattr(self, "_prefill"):
            self._prefill = walk_in_prefill(self.request.user, self.request.GET.get("appointment"))
        return self._prefill

    def selected_item(self):
        prefill = self.prefill()
        pk = (
            self.request.POST.get("item")
            or self.request.GET.get("item")
            or (prefill.item_id if prefill else None)
        )
        return self.items().filter(pk=pk).first() if pk and str(pk).isdigit() else None

    def get_initial(self):
        prefill = self.prefill()
        if prefill is None:
            return super().get_initial()
        return {
            **super().get_initial(),
            "applicant_name": prefill.name,
            "applicant_phone": prefill.phone,
            "applicant_id_number": prefill.id_number,
        }

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "items": self.items(), "item": self.selected_item()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        return {
            **context,
            **upload_rules(),
            "chosen_item": context["form"].item,
            "appointment": self.prefill().appointment if self.prefill() else None,
            "appointment_ignored": bool(self.request.GET.get("appointment")) and self.prefill() is None,
            "booked_item": self.booked_item_not_chosen(context["form"].item),
        }

    def booked_item_not_chosen(self, chosen):
        """The booking's item when the clerk chose another one (更换事项): the service would refuse the
        booking with it, so the page says so before the form (and its files) and offers to drop the booking."""
        prefill = self.prefill()
        if prefill is None or chosen is None or chosen.pk == prefill.item_id:
            return None
        return prefill.appointment.item

    def perform(self, form):
        data = form.cleaned_data
        application = services.application_register_walk_in(
            actor=self.request.user,
            item=data["item"],
            applicant_name=data["applicant_name"],
            applicant_id_number=data["applicant_id_number"],
            applicant_phone=data["applicant_phone"],
            uploads=form.uploads(),
            enterprise_name=data.get("enterprise_name", ""),
            enterprise_uscc=data.get("enterprise_uscc", ""),
            delivery_method=data.get("delivery_method", ""),
            delivery_address=data.get("delivery_address", ""),
            appointment=self.prefill().appointment if self.prefill() else None,
        )
        missing = form.missing_required()
        if missing:
            # The window may register it anyway; the page says which required materials were not handed in.
            messages.warning(
                self.request,
                _("注意：以下必须提交的材料未收取：%(names)s。可一次性告知补正。")
                % {"names": "、".join(missing)},
            )
        return application

    def get_success_url(self, result=None):
        return reverse("applications:staff_detail", args=[result.pk])


class MaterialDownloadView(ApplicationReadMixin, ScopedViewMixin, View):
    model = Application

    def get(self, request, pk, material_pk):
        application = get_object_or_404(self.get_queryset(), pk=pk)
        material = get_object_or_404(application.materials, pk=material_pk)
        # Opened in the browser (a photo or a PDF, which every browser shows), or saved with ?download=1.
        response = FileResponse(
            material.file.open("rb"),
            as_attachment="download" in request.GET,
            filename=material.download_name,
            content_type=material.content_type,
        )
        response["Cache-Control"] = "private, no-store"  # an applicant's personal documents
        if material.content_type.startswith("image/"):  # (a sandbox would stop the browser's PDF viewer)
            response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
        return response


class OutcomeDocumentDownloadView(ApplicationReadMixin, ScopedViewMixin, View):
    model = Application

    def get(self, request, pk):
        application = get_object_or_404(self.get_queryset(), pk=pk)
        return outcome.outcome_document_response(application)


class WrittenNoticeView(ApplicationReadMixin, ScopedViewMixin, View):
    """打印: a written notice of an application the user may see (受理通知书 after acceptance, …)."""

    model = Application

    def get(self, request, pk, kind, number=None):
        application = get_object_or_404(self.get_queryset().select_related("item", "org"), pk=pk)
        back = reverse("applications:staff_detail", args=[application.pk])
        return _written_notice_response(request, application, kind, number, back)


# --- staff: inquiries, agency ------------------------------------------------------------------------------


class InquiryListView(ScopedListView):
    model = Inquiry
    template_name = "applications/inquiry_list.html"
    context_object_name = "inquiries"

    def get_queryset(self):
        return super().get_queryset().select_related("owner", "created_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["handovers"] = InquiryHandOver.objects.filter(
            to_user=self.request.user, acknowledged_at__isnull=True
        ).select_related("inquiry", "from_user")
        context["can_register"] = has_permission(self.request.user, "applications.add_inquiry")
        return context


class InquiryCreateView(ServiceFormView):
    model = Inquiry
    permission = "add"
    template_name = "applications/staff_form.html"
    form_class = forms.InquiryForm
    success_message = gettext_lazy("已登记，您是该咨询的首问责任人。")
    extra_context = {"title": gettext_lazy("首问登记")}

    def perform(self, form):
        return services.inquiry_create(actor=self.request.user, **form.cleaned_data)

    def get_success_url(self, result=None):
        return reverse("applications:inquiry_detail", args=[result.pk])


class InquiryDetailView(ScopedDetailView):
    model = Inquiry
    template_name = "applications/inquiry_detail.html"
    context_object_name = "inquiry"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        inquiry = self.object
        mine = inquiry.owner_id == self.request.user.pk and inquiry.status == InquiryStatus.OPEN
        context["can_act"] = mine
        context["handover_form"] = forms.HandOverForm(users=_colleagues(self.request.user))
        context["answer_form"] = forms.AnswerForm()
        context["handovers"] = inquiry.handovers.select_related("from_user", "to_user")
        return context


def _colleagues(user):
    """Hand-off receivers: business staff within the user's scope who may handle inquiries."""
    return services.colleagues(
        user, permission=services.HAND_OVER_SCOPE, holding=services.HAND_OVER_RECEIVER
    ).exclude(pk=user.pk)


class InquiryHandOverView(ServiceFormView):
    model = Inquiry
    permission = "change"
    template_name = "applications/staff_form.html"
    form_class = forms.HandOverForm
    success_message = gettext_lazy("已转交，对方确认接收前仍由您负责。")
    extra_context = {"title": gettext_lazy("转交咨询")}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "users": _colleagues(self.request.user)}

    def perform(self, form):
        inquiry = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        return services.inquiry_hand_over(actor=self.request.user, inquiry=inquiry, **form.cleaned_data)

    def get_success_url(self, result=None):
        return reverse("applications:inquiry_detail", args=[self.kwargs["pk"]])


class InquiryAnswerView(InquiryHandOverView):
    form_class = forms.AnswerForm
    success_message = gettext_lazy("已答复。")
    extra_context = {"title": gettext_lazy("答复咨询")}

    def get_form_kwargs(self):
        return ServiceFormView.get_form_kwargs(self)

    def perform(self, form):
        inquiry = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        return services.inquiry_answer(
            actor=self.request.user, inquiry=inquiry, answer=form.cleaned_data["answer"]
        )


class HandOverAcknowledgeView(ServiceFormView):
    """The receiver acknowledges a hand-off (only hand-offs addressed to them)."""

    model = Inquiry
    permission = "view"
    template_name = "applications/staff_form.html"
    form_class = forms.EmptyForm
    success_message = gettext_lazy("已接收，您现在是该咨询的负责人。")
    extra_context = {"title": gettext_lazy("接收转交")}

    def perform(self, form):
        handover = get_object_or_404(InquiryHandOver, pk=self.kwargs["pk"], to_user=self.request.user)
        return services.inquiry_acknowledge(actor=self.request.user, handover=handover)

    def get_success_url(self, result=None):
        return reverse("applications:inquiry_detail", args=[result.pk])


class AgencyListView(ScopedListView):
    model = AgencyAssignment
    template_name = "applications/agency_list.html"
    context_object_name = "assignments"

    def get_queryset(self):
        return super().get_queryset().select_related("agent")


class AgencyCreateView(ServiceFormView):
    model = AgencyAssignment
    permission = "add"
    template_name = "applications/staff_form.html"
    form_class = forms.AgencyForm
    success_message = gettext_lazy("已指派代办员。")
    extra_context = {"title": gettext_lazy("指派代办员")}

    def get_form_kwargs(self):
        users = services.colleagues(
            self.request.user, permission=services.AGENCY_SCOPE, holding=services.AGENT_HOLDS
        )
        return {**super().get_form_kwargs(), "users": users}

    def perform(self, form):
        return services.agency_assign(actor=self.request.user, org=self.request.user.org, **form.cleaned_data)

    def get_success_url(self, result=None):
        return reverse("applications:agency_list")


class MyAgencyApplicationsView(ListView):
    """The agent's page: applications of the enterprises assigned to them."""

    scope_exempt = "an agent sees only applications of the enterprises assigned to them"
    template_name = "applications/agency_mine.html"
    context_object_name = "applications"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return with_clock_status(services.agency_applications(self.request.user).select_related("item"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["assignments"] = AgencyAssignment.objects.filter(agent=self.request.user, is_active=True)
        return context


# --- staff: ratings, rectifications, objections ------------------------------------------------------------


class StatisticsPeriodMixin:
    """A statistics page over a date range (`start`, `end`; this month by default) with the quick choices
    本月, 上月, 本季度, 本年: `figures_for` counts, `figures_context` shows; a range that is not valid is
    refused with the reason, and nothing is counted."""

    def figures_for(self, user, params):
        raise NotImplementedError

    def figures_context(self, figures) -> dict:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        try:
            figures = self.figures_for(request.user, request.GET)
        except ValidationFailed as error:
            context["errors"] = [message for messages_ in error.errors.values() for message in messages_]
            return self.render_to_response(context, status=400)
        context.update(self.figures_context(figures))
        context["active"] = next((q["label"] for q in context["quick"] if q["period"] == figures.period), "")
        return self.render_to_response(context)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        context["start"] = (params.get("start") or "").strip()
        context["end"] = (params.get("end") or "").strip()
        context["quick"] = [
            {"label": label, "url": "?" + urlencode({"start": p.start, "end": p.end}), "period": p}
            for _key, label, p in statistics.quick_periods()
        ]
        return context


class RatingStatsView(StatisticsPeriodMixin, ScopedViewMixin, TemplateView):
    """好差评统计 of the ratings given in a date range (this month by default, as 办件统计) per item, per
    service window (the window the application was registered or accepted at), per staff member rated,
    per implementing body and per channel, over the applications in scope; exported as .xlsx."""

    model = Application
    permission = "applications.view_rating"
    template_name = "applications/rating_stats.html"

    def figures_for(self, user, params):
        return statistics.rating_statistics_for(user, params)

    def figures_context(self, figures: statistics.RatingStatistics) -> dict:
        period = figures.period
        query = urlencode({"start": period.start, "end": period.end})
        return {
            **figures.tables,
            "period": period,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "export_url": reverse("applications:rating_stats_export") + "?" + query,
        }


class RatingStatsExportView(ScopedViewMixin, View):
    """好差评统计 of the range as .xlsx (counts only), audited with the range."""

    model = Application
    permission = "applications.view_rating"
    http_method_names = ["get"]

    def get(self, request):
        try:
            exported = statistics.export_ratings(user=request.user, params=request.GET)
        except ValidationFailed:
            # The page says what is wrong with the range, beside the fields to correct.
            return redirect(reverse("applications:rating_stats") + "?" + request.GET.urlencode())
        return file_response(exported.path, exported.filename)


class ApplicationStatisticsView(StatisticsPeriodMixin, ScopedViewMixin, TemplateView):
    """办件统计 over a date range (this month by default) of the applications in scope, per item, org,
    window and month, with the chart of 收件量 and 办结量 by month; a range that is not valid is refused
    with the reason, and nothing is counted."""

    model = Application
    permission = "view"
    template_name = "applications/statistics.html"

    def figures_for(self, user, params):
        return statistics.statistics_for(user, params)

    def figures_context(self, figures: statistics.Statistics) -> dict:
        columns = statistics.column_labels()
        fields = [field for field, _label in columns]
        labels, headings = statistics.group_labels(), statistics.group_headings()
        total = [statistics.display(figures.total, field) for field in fields]
        period = figures.period
        query = urlencode({"start": period.start, "end": period.end})
        months = figures.tables["month"]
        return {
            "period": period,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "columns": [label for _field, label in columns],
            "header": statistics_header(columns),
            "tables": [
                {
                    "group": group,
                    "label": labels[group],
                    "heading": headings[group],
                    "rows": [
                        (row["name"], [statistics.display(row, field) for field in fields])
                        for row in figures.tables[group]
                    ],
                    "total": total,
                }
                for group in statistics.GROUPS
            ],
            "export_url": reverse("applications:statistics_export") + "?" + query,
            "chart_data": {
                "months": [row["name"] for row in months],
                "received": [row["received"] for row in months],
                "concluded": [row["concluded"] for row in months],
                "labels": {"received": _("收件量"), "concluded": _("办结量"), "count": _("件")},
            },
        }


def statistics_header(columns: list[tuple[str, str]]) -> dict:
    """The page's two header rows: the concluded and the open figures each under one heading with compact
    sub-headings (fifteen full headings do not fit a 1280 px screen), each keeping its full name for screen
    readers and as a tooltip. The export keeps the full headings."""
    short = {
        "concluded": _("办结量"),
        "on_time": _("按期"),
        "overdue": _("超期"),
        "on_time_rate": _("按期率"),
        "instant_share": _("即办占比"),
        "average_days": _("平均用时"),
        "open": _("合计"),
        "green": _("正常"),
        "yellow": _("预警"),
        "red": _("超期"),
    }
    units = {"average_days": _("（工作日）")}  # on a line of its own under the heading
    # the first field of each group, its heading and how many fields it spans
    groups = {"concluded": (_("办结"), 6), "open": (_("当前在办"), 4)}
    top, sub = [], []
    for field, label in columns:
        if field in groups:
            heading, span = groups[field]
            top.append({"label": heading, "span": span})
        if field in short:
            sub.append({"label": label, "short": short[field], "unit": units.get(field, "")})
        else:  # a figure of its own, over both header rows
            top.append({"label": label, "span": 0})
    return {"top": top, "sub": sub}


class ApplicationStatisticsExportView(ScopedViewMixin, View):
    """The statistics page's tables as .xlsx (aggregates only), audited with the range."""

    model = Application
    permission = "view"
    http_method_names = ["get"]

    def get(self, request):
        try:
            exported = statistics.export_statistics(user=request.user, params=request.GET)
        except ValidationFailed:
            # The page says what is wrong with the range, beside the fields to correct.
            return redirect(reverse("applications:statistics") + "?" + request.GET.urlencode())
        return file_response(exported.path, exported.filename)


class RectificationListView(ScopedListView):
    """差评整改 in scope, by state (整改中, 已超期, 已办结), each row linking to its application."""

    model = Rectification
    template_name = "applications/rectification_list.html"
    context_object_name = "rectifications"

    def get_queryset(self):
        queryset = filter_rectifications(super().get_queryset(), self.request.GET.get("status", ""))
        return queryset.select_related("rating__application__item", "responsible")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["now"] = timezone.now()
        context["current_status"] = self.request.GET.get("status", "")
        context["status_choices"] = [
            ("open", _("整改中")),
            ("overdue", _("已超过整改期限")),
            ("closed", _("已办结")),
        ]
        return context


class RectificationCloseView(ServiceFormView):
    model = Rectification
    permission = "change"
    template_name = "applications/staff_form.html"
    form_class = forms.RectificationCloseForm
    success_message = gettext_lazy("整改已办结，已短信反馈评价人。")
    extra_context = {"title": gettext_lazy("整改办结")}

    def perform(self, form):
        rectification = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        return services.rectification_close(
            actor=self.request.user, rectification=rectification, **form.cleaned_data
        )

    def get_success_url(self, result=None):
        return reverse("applications:rectification_list")


class ObjectionListView(ScopedListView):
    model = ObjectionTask
    template_name = "applications/objection_list.html"
    context_object_name = "tasks"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("objection__notice__application__item", "assignee")
            .order_by("resolved_at", "-objection__created_at")
        )


class ObjectionResolveView(ServiceFormView):
    """处理异议: the objection, its notice and the application it is about, above the answer box."""

    model = ObjectionTask
    permission = "change"
    template_name = "applications/objection_resolve.html"
    form_class = forms.ObjectionResolveForm
    success_message = gettext_lazy("异议处理结果已记录。")
    extra_context = {"title": gettext_lazy("处理异议")}

    def get_task(self) -> ObjectionTask:
        if not hasattr(self, "_task"):
            self._task = get_object_or_404(
                self.get_queryset().select_related("objection__notice__application__item"),
                pk=self.kwargs["pk"],
            )
        return self._task

    def get_context_data(self, **kwargs):
        task = self.get_task()
        return super().get_context_data(
            task=task,
            objection=task.objection,
            notice=task.objection.notice,
            application=task.objection.notice.application,
            cancel_url=reverse("applications:objection_list"),
            **kwargs,
        )

    def perform(self, form):
        return services.objection_resolve(
            actor=self.request.user, task=self.get_task(), answer=form.cleaned_data["answer"]
        )

    def get_success_url(self, result=None):
        return reverse("applications:objection_list")


# --- staff: service windows --------------------------------------------------------------------------------


class WindowListView(ScopedListView):
    """服务窗口 of the orgs in scope, with who works at each."""

    model = ServiceWindow
    template_name = "applications/window_list.html"
    context_object_name = "windows"

    def get_queryset(self):
        return super().get_queryset().select_related("org").prefetch_related("staff")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["can_add"] = has_permission(user, "applications.add_servicewindow")
        page = [window.pk for window in context["windows"]]
        context["changeable"] = set(
            ServiceWindow.objects.visible_to(user, "applications.change_servicewindow")
            .filter(pk__in=page)
            .values_list("pk", flat=True)
        )
        context["can_change"] = bool(context["changeable"])
        return context


class WindowPadsView(ScopedDetailView):
    """A window's 评价器: the paired devices (when paired, last seen) with 解除配对, and 配对评价器, which shows a
    single-use pairing link and its QR code for the device to open (valid ten minutes)."""

    model = ServiceWindow
    permission = "change"
    template_name = "applications/window_pads.html"
    context_object_name = "window"

    def get_queryset(self):
        return super().get_queryset().select_related("org")

    def get_context_data(self, **kwargs):
        return super().get_context_data(devices=services.pad_devices_paired(self.object), **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        try:
            token = services.pad_pairing_start(actor=request.user, window=self.object)
        except ServiceError as refused:
            messages.error(request, str(refused.message))
            return redirect("applications:window_pads", pk=self.object.pk)
        url = services.pad_pairing_url(token)
        response = self.render_to_response(
            self.get_context_data(object=self.object, pairing_url=url, pairing_qr=qr_svg(url))
        )
        response["Cache-Control"] = "no-store"  # the link pairs a device: not kept in a cache
        return response


class PadRevokeView(ScopedViewMixin, View):
    """解除配对 of one of the window's pads."""

    model = ServiceWindow
    permission = "change"
    http_method_names = ["post"]

    def post(self, request, pk: int, device_pk: int):
        window = get_object_or_404(self.get_queryset(), pk=pk)
        device = get_object_or_404(window.pad_devices.select_related("window"), pk=device_pk)
        try:
            services.pad_revoke(actor=request.user, device=device)
            messages.success(request, _("已解除配对，该设备不能再作为评价器使用。"))
        except ServiceError as refused:
            messages.error(request, str(refused.message))
        return redirect("applications:window_pads", pk=window.pk)


PAD_COOKIE = "jiedao_pad"


class PadPairView(TemplateView):
    """The pairing link, opened on the device (no login): it names the window; the device confirms and gets
    its own long-lived cookie (a random token, only its hash kept), then goes to the window's pad. A
    confirmation rather than pairing on opening: a link previewer or a scan with the wrong phone must not
    use up the single-use link or pair a device by accident."""

    scope_exempt = (
        "pairing link: the single-use token is the authority; shows only the window's number and name"
    )
    template_name = "applications/pad_pair.html"

    def show(self, *, window=None, error: str = "", status: int = 200):
        response = self.render_to_response(self.get_context_data(window=window, error=error), status=status)
        keep_address_private(response)
        return response

    def get(self, request, *args, **kwargs):
        try:
            return self.show(window=services.pad_pairing_window(self.kwargs["token"]))
        except ServiceError as refused:
            return self.show(error=str(refused.message), status=404 if refused.code == "bad_link" else 410)

    def post(self, request, *args, **kwargs):
        try:
            device, device_token = services.pad_pair(token=self.kwargs["token"])
        except ServiceError as refused:
            return self.show(error=str(refused.message), status=404 if refused.code == "bad_link" else 410)
        response = redirect("applications:pad", pk=device.window_id)
        response.set_cookie(
            PAD_COOKIE,
            device_token,
            max_age=int(services.PAD_DEVICE_TTL.total_seconds()),
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
            samesite="Lax",
        )
        return response


class PadView(TemplateView):
    """评价器: the page of a paired device facing the applicant at a window (its cookie, no login). It shows
    the case just concluded at this window for the visitor at the counter (`services.pad_current`: item and
    date only) with five big buttons, and
    nothing a clerk could use; it asks every few seconds whether another application has been concluded here
    since. A press is the applicant's: it rates by the application's link (channel 评价器), as a phone
    scanning the QR code would. Without a paired device's cookie for this window it says so, and nothing
    else; the cookie opens no other page."""

    scope_exempt = "the paired device's cookie is the authority; shows one window's latest item name and date"
    template_name = "applications/window_pad.html"

    def dispatch(self, request, *args, **kwargs):
        self.device = services.pad_device(token=request.COOKIES.get(PAD_COOKIE, ""), window_pk=kwargs["pk"])
        if self.device is None:
            response = render(request, "applications/pad_unpaired.html", status=403)
            response["HX-Refresh"] = "true"  # a polling pad that was revoked shows the whole page
        else:
            response = super().dispatch(request, *args, **kwargs)
        keep_address_private(response)
        return response

    def get_template_names(self):
        if self.request.GET.get("part") == "1":
            return ["applications/_window_pad_current.html"]
        return [self.template_name]

    def current(self) -> dict:
        application = services.pad_current(self.device.window)
        token = services.rating_link_for_window(application) if application is not None else None
        key = f"{application.pk if application else 0}-{1 if token else 0}"
        return {
            "window": self.device.window,
            "current": application,
            "token": token,
            "pad_key": key,
            "levels": RatingLevel.choices,
        }

    def get(self, request, *args, **kwargs):
        current = self.current()
        if request.GET.get("part") == "1" and request.GET.get("shown") == current["pad_key"]:
            return HttpResponse(status=204)  # nothing new: htmx leaves the page as it is
        return self.render_to_response(self.get_context_data(**current))

    def post(self, request, *args, **kwargs):
        form = forms.RatingForm(request.POST)
        thanks = error = ""
        if form.is_valid():
            try:
                services.rating_by_link(
                    token=request.POST.get("token", "")[:64],
                    level=form.cleaned_data["level"],
                    channel=RatingChannel.PAD,
                    user=request.user if request.user.is_authenticated else None,
                    window=self.device.window,
                )
                thanks = _("感谢您的评价！")
            except ServiceError as refused:
                error = str(refused.message)
        else:
            error = _("请选择评价等级。")
        return self.render_to_response(self.get_context_data(thanks=thanks, error=error, **self.current()))


WINDOW_REBIND_KEY = "window_rebind"  # {"resident": pk, "phone": the new number once its code is sent}


class WindowResidentFindView(ServiceFormView):
    """换绑手机号 at a window, step 1: the account of the visitor whose identity card the clerk has checked.
    Only this look-up opens steps 2 and 3 for an account, so no account is reached by guessing its number."""

    permission = "applications.change_resident"
    template_name = "applications/window_resident_phone.html"
    form_class = forms.WindowIdentityForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("群众账号换绑手机号")
        context["intro"] = _(
            "群众原手机号码停用或遗失、无法自行更换时，核验其身份证件原件后在此办理。"
            "新号码须能接收短信：验证码发送到新号码，由群众告知窗口人员。"
        )
        context["submit_label"] = _("查找账号")
        return context

    def perform(self, form):
        resident = services.resident_find_for_window(
            actor=self.request.user, id_number=form.cleaned_data["id_number"]
        )
        self.request.session[WINDOW_REBIND_KEY] = {"resident": resident.pk}
        return resident

    def get_success_url(self, result=None):
        return reverse("applications:window_resident_phone", args=[result.pk])


class WindowResidentStepMixin:
    """Steps 2 and 3: only for the account this clerk's session looked up by its identity card; step 3 only
    once step 2 sent a code (`needs_phone`)."""

    permission = "applications.change_resident"
    template_name = "applications/window_resident_phone.html"
    needs_phone = False

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and has_permission(request.user, self.permission):
            state = request.session.get(WINDOW_REBIND_KEY) or {}
            if state.get("resident") != kwargs["pk"]:
                return redirect("applications:window_resident_find")
            if self.needs_phone and not state.get("phone"):
                return redirect("applications:window_resident_phone", pk=kwargs["pk"])
            self.resident = get_object_or_404(Resident, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("群众账号换绑手机号")
        context["account"] = self.resident
        context["application_count"] = self.resident.applications.count()
        context["cancel_url"] = reverse("applications:window_resident_find")
        return context


class WindowResidentPhoneView(WindowResidentStepMixin, ServiceFormView):
    form_class = forms.NewPhoneForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["submit_label"] = _("向新号码发送验证码")
        return context

    def perform(self, form):
        phone = form.cleaned_data["phone"]
        # The office's address is shared by every visitor: only the per-number limit applies.
        services.resident_phone_change_start(
            resident=self.resident, phone=phone, ip=None, actor=self.request.user
        )
        self.request.session[WINDOW_REBIND_KEY] = {"resident": self.resident.pk, "phone": phone}

    def get_success_url(self, result=None):
        return reverse("applications:window_resident_phone_verify", args=[self.resident.pk])


class WindowResidentPhoneVerifyView(WindowResidentStepMixin, ServiceFormView):
    form_class = forms.CodeForm
    needs_phone = True

    def get_context_data(self, **kwargs):
        from jiedao.core.crypto import mask_phone

        context = super().get_context_data(**kwargs)
        context["intro"] = _("验证码已发送至新号码 %(phone)s，请群众查看短信后告知。") % {
            "phone": mask_phone(self.request.session[WINDOW_REBIND_KEY]["phone"])
        }
        context["submit_label"] = _("确认换绑")
        return context

    def perform(self, form):
        return services.resident_change_phone(
            resident=self.resident,
            new_phone=self.request.session[WINDOW_REBIND_KEY]["phone"],
            code=form.cleaned_data["code"],
            actor=self.request.user,
        )

    def get_success_url(self, result=None):
        del self.request.session[WINDOW_REBIND_KEY]
        messages.success(
            self.request,
            _("已将该群众账号的绑定手机号更换为 %(phone)s，原号码已收到提醒短信。")
            % {"phone": result.phone_masked},
        )
        return reverse("applications:window_resident_find")


class WindowCreateView(ServiceFormView):
    model = ServiceWindow
    permission = "add"
    template_name = "applications/staff_form.html"
    form_class = forms.ServiceWindowForm
    success_message = gettext_lazy("服务窗口已保存。")

    def get_form_kwargs(self):
        user, permission = self.request.user, self.required_permission()
        orgs = (
            OrgUnit.objects.visible_to(user, permission)
            .filter(is_active=True, level__lte=OrgLevel.COMMUNITY)
            .order_by("path")
        )
        users = services.window_staff_candidates(user, permission=permission)
        return {**super().get_form_kwargs(), "orgs": orgs, "users": users}

    def get_initial(self):
        return {"org": self.request.user.org_id}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("新建服务窗口"), cancel_url=reverse("applications:window_list"), **kwargs
        )

    def perform(self, form):
        return services.window_create(actor=self.request.user, **form.cleaned_data)

    def get_success_url(self, result=None):
        return reverse("applications:window_list")


class WindowEditView(ServiceFormView):
    model = ServiceWindow
    permission = "change"
    template_name = "applications/staff_form.html"
    form_class = forms.ServiceWindowForm
    success_message = gettext_lazy("服务窗口已保存。")

    def get_window(self) -> ServiceWindow:
        if not hasattr(self, "_window"):
            self._window = get_object_or_404(self.get_queryset().select_related("org"), pk=self.kwargs["pk"])
        return self._window

    def get_form_kwargs(self):
        window = self.get_window()
        # Someone already at the window stays listed (and so is not dropped silently by saving the form).
        users = services.window_staff_candidates(
            self.request.user,
            permission=self.required_permission(),
            org=window.org,
            keep=window.staff.values("pk"),
        )
        return {**super().get_form_kwargs(), "users": users, "editing": True}

    def get_initial(self):
        window = self.get_window()
        return {
            "number": window.number,
            "name": window.name,
            "staff": list(window.staff.values_list("pk", flat=True)),
            "is_active": window.is_active,
        }

    def get_context_data(self, **kwargs):
        window = self.get_window()
        return super().get_context_data(
            title=_("修改服务窗口：%(org)s %(window)s") % {"org": window.org.name, "window": window},
            cancel_url=reverse("applications:window_list"),
            **kwargs,
        )

    def perform(self, form):
        return services.window_update(actor=self.request.user, window=self.get_window(), **form.cleaned_data)

    def get_success_url(self, result=None):
        return reverse("applications:window_list")
