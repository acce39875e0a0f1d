"""Login, two-factor, password, and the user and role administration pages."""

from __future__ import annotations

import pyotp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView

from jiedao.accounts import services
from jiedao.accounts.forms import (
    HandoverForm,
    LoginForm,
    MySettingsForm,
    OtpForm,
    PasswordChangeForm,
    RoleForm,
    UserForm,
    UserRolesForm,
)
from jiedao.accounts.models import LoginAttempt, Role, User
from jiedao.core.crypto import mask_phone
from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.core.qr import qr_svg
from jiedao.core.views import ScopedListView, ScopedViewMixin, ServiceFormView
from jiedao.orgs.models import OrgUnit

PENDING_USER = "pending_login_user"
PENDING_NEXT = "pending_login_next"
PENDING_SECRET = "pending_totp_secret"
SECOND_FACTOR_DONE = "second_factor_done"


def _safe_next(request, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _finish_login(request, user: User) -> str:
    next_url = request.session.get(PENDING_NEXT)
    login(request, user, backend="jiedao.accounts.backends.RoleBackend")
    request.session[SECOND_FACTOR_DONE] = user.totp_confirmed
    services.login_succeeded(user=user)
    return _safe_next(request, next_url)


class LoginView(FormView):
    scope_exempt = "login page"
    form_class = LoginForm
    template_name = "accounts/login.html"

    def form_valid(self, form):
        try:
            user = services.authenticate_user(
                username=form.cleaned_data["username"], password=form.cleaned_data["password"]
            )
        except services.LoginRefused as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        self.request.session.cycle_key()
        self.request.session[PENDING_NEXT] = self.request.GET.get("next")
        if user.totp_confirmed or user.requires_two_factor:
            self.request.session[PENDING_USER] = user.pk
            return redirect("accounts:two_factor")
        return redirect(_finish_login(self.request, user))


class TwoFactorView(View):
    """Second step for users with TOTP, and first-time enrolment for the three admin roles."""

    scope_exempt = "login step, only the pending user's own data"
    template_name = "accounts/two_factor.html"

    def pending_user(self):
        user_id = self.request.session.get(PENDING_USER)
        return User.objects.filter(pk=user_id, is_active=True).first() if user_id else None

    def render_page(self, user, form):
        context = {"form": form, "enrolling": not user.totp_confirmed}
        if not user.totp_confirmed:
            secret = self.request.session.get(PENDING_SECRET)
            if not secret:
                secret = services.begin_two_factor_enrolment(user=user)
                self.request.session[PENDING_SECRET] = secret
            uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="Jiedao")
            context.update(secret=secret, qr_svg=qr_svg(uri))
        return render(self.request, self.template_name, context)

    def get(self, request):
        user = self.pending_user()
        if user is None:
            return redirect("accounts:login")
        return self.render_page(user, OtpForm())

    def post(self, request):
        user = self.pending_user()
        if user is None:
            return redirect("accounts:login")
        form = OtpForm(request.POST)
        if form.is_valid():
            try:
                if user.totp_confirmed:
                    services.verify_second_factor(user=user, code=form.cleaned_data["code"])
                else:
                    services.confirm_two_factor(
                        user=user,
                        secret=request.session.get(PENDING_SECRET, ""),
                        code=form.cleaned_data["code"],
                    )
            except ValidationFailed as error:
                form.add_error("code", error.message)
            except services.LoginRefused as error:
                form.add_error(None, error.message)
                if error.code == "locked":
                    request.session.flush()
            else:
                request.session.pop(PENDING_USER, None)
                request.session.pop(PENDING_SECRET, None)
                return redirect(_finish_login(request, user))
        return self.render_page(user, form)


class TwoFactorSetupView(ScopedViewMixin, View):
    """Optional for everyone else: a signed-in user binds an authenticator app to their account."""

    scope_exempt = "the signed-in user's own second factor"
    template_name = "accounts/two_factor_setup.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        return View.dispatch(self, request, *args, **kwargs)

    def render_page(self, form):
        secret = self.request.session.get(PENDING_SECRET)
        if not secret:
            secret = services.begin_two_factor_enrolment(user=self.request.user)
            self.request.session[PENDING_SECRET] = secret
        uri = pyotp.TOTP(secret).provisioning_uri(name=self.request.user.username, issuer_name="Jiedao")
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "secret": secret,
                "qr_svg": qr_svg(uri),
                "already": self.request.user.totp_confirmed,
            },
        )

    def get(self, request):
        return self.render_page(OtpForm())

    def post(self, request):
        form = OtpForm(request.POST)
        if form.is_valid():
            try:
                services.confirm_two_factor(
                    user=request.user,
                    secret=request.session.get(PENDING_SECRET, ""),
                    code=form.cleaned_data["code"],
                )
            except ValidationFailed as error:
                form.add_error("code", error.message)
            else:
                request.session.pop(PENDING_SECRET, None)
                request.session[SECOND_FACTOR_DONE] = True
                messages.success(request, _("已绑定动态口令，今后登录需输入口令。"))
                return redirect("core:home")
        return self.render_page(form)


class LogoutView(View):
    scope_exempt = "ends the user's own session"
    http_method_names = ["post"]

    def post(self, request):
        if request.user.is_authenticated:
            services.logged_out(user=request.user)
        logout(request)
        messages.info(request, _("您已安全退出。"))
        return redirect("accounts:login")


class PasswordChangeView(ScopedViewMixin, FormView):
    scope_exempt = "changes the signed-in user's own password"
    form_class = PasswordChangeForm
    template_name = "core/form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        return FormView.dispatch(self, request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("修改密码")
        if services.password_expired(self.request.user):
            context["form_intro"] = _("您的密码已过期或为初始密码，请先修改密码。")
        return context

    def form_valid(self, form):
        try:
            services.password_change(
                user=self.request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationFailed as error:
            for field, errors in error.errors.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
            return self.form_invalid(form)
        from django.contrib.auth import update_session_auth_hash

        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("密码已修改。"))
        return redirect("core:home")


class MySettingsView(ScopedViewMixin, FormView):
    scope_exempt = "the signed-in user's own settings"
    form_class = MySettingsForm
    template_name = "accounts/my_settings.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        return FormView.dispatch(self, request, *args, **kwargs)

    def get_initial(self):
        return {"task_sms": self.request.user.task_sms}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            title=_("个人设置"),
            roles=user.roles.filter(is_active=True).order_by("name"),
            mobile=mask_phone(user.mobile) if user.mobile else "",
        )
        return context

    def form_valid(self, form):
        services.my_settings_update(user=self.request.user, task_sms=form.cleaned_data["task_sms"])
        messages.success(self.request, _("个人设置已保存。"))
        return redirect("accounts:my_settings")


# --- users -------------------------------------------------------------------------------------------


class UserListView(ScopedListView):
    model = User
    template_name = "accounts/user_list.html"

    def get_queryset(self):
        queryset = super().get_queryset().select_related("org").prefetch_related("roles")
        term = self.request.GET.get("q", "").strip()
        if term:
            queryset = queryset.filter(Q(username__icontains=term) | Q(full_name__icontains=term))
        return queryset


class UserFormMixin:
    model = User
    form_class = UserForm
    template_name = "core/form.html"

    def get_form_kwargs(self):
        orgs = OrgUnit.objects.visible_to(self.request.user, self.required_permission()).filter(
            is_active=True
        )
        return {**super().get_form_kwargs(), "orgs": orgs, "editing": "pk" in self.kwargs}

    def get_success_url(self, result=None):
        return reverse("accounts:user_list")

    def user_data(self, form) -> services.UserData:
        data = form.cleaned_data
        return services.UserData(
            username=data["username"],
            full_name=data["full_name"],
            org=data["org"],
            mobile=data.get("mobile", ""),
            is_active=data.get("is_active", True),
        )


class UserCreateView(UserFormMixin, ServiceFormView):
    permission = "add"
    success_message = gettext_lazy("用户已创建。")
    extra_context = {"title": gettext_lazy("新建用户")}

    def perform(self, form):
        return services.user_create(
            actor=self.request.user, data=self.user_data(form), password=form.cleaned_data["password"]
        )


class UserEditView(UserFormMixin, ServiceFormView):
    permission = "change"
    success_message = gettext_lazy("用户已保存。")
    extra_context = {"title": gettext_lazy("修改用户")}

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_initial(self):
        user = self.get_object()
        return {
            "username": user.username,
            "full_name": user.full_name,
            "org": user.org,
            "mobile": user.mobile,
            "is_active": user.is_active,
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.get_object()
        work = services.open_work(user)
        if work:
            context["form_intro"] = _(
                "该账号持有未办结的工作：%(work)s。停用前须把它们交接给接替人（用户列表的“停用”或“工作交接”）。"
            ) % {"work": services.work_summary(work)}
        return context

    def perform(self, form):
        data = self.user_data(form)
        data.username = self.get_object().username
        return services.user_update(actor=self.request.user, user=self.get_object(), data=data)


class UserRolesView(ServiceFormView):
    model = User
    permission = "assign_roles"
    form_class = UserRolesForm
    template_name = "core/form.html"
    success_message = gettext_lazy("角色已分配。")

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_initial(self):
        return {"roles": self.get_object().roles.all()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("分配角色：%(u)s") % {"u": self.get_object()}, **kwargs)

    def get_success_url(self, result=None):
        return reverse("accounts:user_list")

    def perform(self, form):
        return services.user_assign_roles(
            actor=self.request.user, user=self.get_object(), roles=list(form.cleaned_data["roles"])
        )


class UserWorkMixin:
    """The pages about a user's open work: 工作交接 and 停用 show what they hold and name a successor."""

    model = User
    permission = "change"
    form_class = HandoverForm
    template_name = "accounts/user_handover.html"

    def get_object(self):
        if not hasattr(self, "_subject"):
            self._subject = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        return self._subject

    def open_work(self):
        if not hasattr(self, "_work"):
            self._work = services.open_work(self.get_object())
        return self._work

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "successors": services.handover_successors(self.request.user, self.get_object()),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            subject=self.get_object(),
            work=self.open_work(),
            cancel_url=reverse("accounts:user_list"),
            **kwargs,
        )

    def get_success_url(self, result=None):
        return reverse("accounts:user_list")

    def tell(self, done: services.Handover, successor) -> None:
        name = successor.full_name or successor.username
        if done.total:
            messages.success(
                self.request, _("已将 %(n)d 项工作交接给 %(name)s。") % {"n": done.total, "name": name}
            )
        if done.ended:
            messages.info(
                self.request,
                _("已取消 %(n)d 项以其为委托人或代理人的流程代理设置。") % {"n": sum(done.ended.values())},
            )
        if done.left:
            items = services.left_behind_text(done.left)
            messages.warning(
                self.request,
                _("以下 %(n)d 项工作不能交给 %(name)s，仍由原人员持有，请另选接替人再交接：%(items)s")
                % {"n": len(done.left), "name": name, "items": items},
            )


class UserHandoverView(UserWorkMixin, ServiceFormView):
    """工作交接 on its own (调岗): the account stays active."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("工作交接：%(u)s") % {"u": self.get_object()}, submit_label=_("交接"), **kwargs
        )

    def perform(self, form):
        successor = form.cleaned_data["successor"]
        done = services.user_handover(
            actor=self.request.user,
            from_user=self.get_object(),
            to_user=successor,
            reason=form.cleaned_data["reason"],
        )
        self.tell(done, successor)
        return done

    def get_success_url(self, result=None):
        return reverse("accounts:user_handover", args=[self.get_object().pk])


class UserDeactivateView(UserWorkMixin, ServiceFormView):
    """停用: with open work, a successor takes it over in the same step (离职交接)."""

    success_message = gettext_lazy("用户已停用。")

    def needs_successor(self) -> bool:
        return any(kind.needs_successor for kind, _count in self.open_work())

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "deactivating": True, "needs_successor": self.needs_successor()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("停用用户：%(u)s") % {"u": self.get_object()},
            submit_label=_("交接并停用") if self.needs_successor() else _("停用"),
            deactivating=True,
            **kwargs,
        )

    def perform(self, form):
        successor = form.cleaned_data.get("successor")
        done = services.user_deactivate(
            actor=self.request.user,
            user=self.get_object(),
            successor=successor,
            reason=form.cleaned_data.get("reason", ""),
        )
        if successor is not None:
            self.tell(done, successor)
        return done


class UserUnlockView(ScopedViewMixin, View):
    """Unlock a user (POST)."""

    model = User
    http_method_names = ["post"]

    def required_permission(self) -> str:
        return "accounts.unlock_user"

    def post(self, request, pk):
        user = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            services.user_unlock(actor=request.user, user=user)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("账号已解除锁定。"))
        return redirect("accounts:user_list")


# --- roles -------------------------------------------------------------------------------------------


class RoleListView(ScopedViewMixin, View):
    scope_exempt = "roles are platform-wide definitions, not org records"
    permission = "accounts.view_role"

    def get(self, request):
        roles = Role.objects.prefetch_related("permissions").order_by("admin_duty", "code")
        return render(request, "accounts/role_list.html", {"roles": roles})


class RoleFormMixin:
    scope_exempt = "roles are platform-wide definitions, not org records"
    form_class = RoleForm
    template_name = "core/form.html"

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "permission_apps": permission_apps(),
            "editing": "pk" in self.kwargs,
        }

    def get_success_url(self, result=None):
        return reverse("accounts:role_list")

    def role_data(self, form) -> services.RoleData:
        data = form.cleaned_data
        return services.RoleData(
            code=data["code"],
            name=data["name"],
            description=data["description"],
            data_scope=data["data_scope"],
            permissions=list(data["permissions"]),
            custom_orgs=list(data["custom_orgs"]),
            is_active=data["is_active"],
        )


def permission_apps() -> list[str]:
    from django.apps import apps

    return [config.label for config in apps.get_app_configs() if config.name.startswith("jiedao.")]


class RoleCreateView(RoleFormMixin, ServiceFormView):
    permission = "accounts.add_role"
    success_message = gettext_lazy("角色已创建。")
    extra_context = {"title": gettext_lazy("新建角色")}

    def perform(self, form):
        return services.role_create(actor=self.request.user, data=self.role_data(form))


class RoleEditView(RoleFormMixin, ServiceFormView):
    permission = "accounts.change_role"
    success_message = gettext_lazy("角色已保存。")
    extra_context = {"title": gettext_lazy("修改角色")}

    def get_object(self):
        return get_object_or_404(Role, pk=self.kwargs["pk"])

    def get_initial(self):
        role = self.get_object()
        return {
            "code": role.code,
            "name": role.name,
            "description": role.description,
            "data_scope": role.data_scope,
            "custom_orgs": role.custom_orgs.all(),
            "permissions": role.permissions.all(),
            "is_active": role.is_active,
        }

    def perform(self, form):
        data = self.role_data(form)
        return services.role_update(actor=self.request.user, role=self.get_object(), data=data)


class LoginLogView(ScopedListView):
    model = LoginAttempt
    template_name = "accounts/loginattempt_list.html"

    def get_queryset(self):
        queryset = super().get_queryset().select_related("user")
        if self.request.GET.get("failed") == "1":
            queryset = queryset.exclude(outcome=LoginAttempt.Outcome.SUCCESS)
        return queryset
