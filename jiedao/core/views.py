"""Base views. Every staff view inherits `ScopedViewMixin` (or a view built on it); a view that serves no
scoped data says why in `scope_exempt`. `tests/test_scope_meta.py` fails when a view does neither.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View, defaults
from django.views.generic import DetailView, FormView, ListView, TemplateView

from jiedao.core.exceptions import OutOfScope, PermissionDenied, ServiceError, ValidationFailed
from jiedao.core.scope import has_permission, permission_name


def keep_address_private(response):
    """For a page whose address carries a secret (a rating or pairing token, a certificate's 查验码): never
    cached, and the address never sent on in a Referer header. Not "no-referrer": with it Chromium sends
    the page's own form posts (rating, pairing, the language switch) with `Origin: null`, which Django's
    CSRF check refuses."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "strict-origin"
    return response


class ScopedViewMixin(LoginRequiredMixin):
    """Requires login and a permission; querysets are always `visible_to(user, permission)`."""

    model = None
    permission: str = "view"  # an action on `model`, or a full "app.codename"

    def required_permission(self) -> str:
        return permission_name(self.model, self.permission) if self.model else self.permission

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not has_permission(request.user, self.required_permission()):
            raise DjangoPermissionDenied(_("您没有访问此页面的权限。"))
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user, self.required_permission())


class ScopedListView(ScopedViewMixin, ListView):
    paginate_by = 50


class ScopedDetailView(ScopedViewMixin, DetailView):
    pass


class ServiceFormView(ScopedViewMixin, FormView):
    """A form whose valid data goes to one service call; service errors come back as form errors."""

    success_message = ""

    def perform(self, form):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def form_valid(self, form):
        try:
            result = self.perform(form)
        except ValidationFailed as error:
            for field_name, messages_ in error.errors.items():
                for message in messages_:
                    form.add_error(field_name if field_name in form.fields else None, message)
            return self.form_invalid(form)
        except OutOfScope:
            raise Http404(_("未找到该记录，或该记录不在您的管辖范围内。")) from None
        except PermissionDenied as error:
            raise DjangoPermissionDenied(str(error.message)) from None
        except ServiceError as error:
            form.add_error(None, str(error.message))
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return HttpResponseRedirect(self.get_success_url(result))

    def get_success_url(self, result=None):
        return super().get_success_url()


class HomeView(LoginRequiredMixin, TemplateView):
    """Per-role home page: each role names the panels it sees."""

    scope_exempt = "shows only the signed-in user's own panels"
    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        from jiedao.core.home import panels_for

        context = super().get_context_data(**kwargs)
        context["panels"] = panels_for(self.request.user)
        return context


class HealthView(View):
    scope_exempt = "liveness probe, no data"

    def get(self, request):
        return JsonResponse({"status": "ok"})


class ReadinessView(View):
    """Database reachable, migrations applied, task queue reachable."""

    scope_exempt = "readiness probe, no data"

    def get(self, request):
        checks = {}
        try:
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            checks["database"] = "ok"
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            checks["migrations"] = "ok" if not pending else f"{len(pending)} pending"
        except Exception as error:
            checks["database"] = f"error: {error.__class__.__name__}"
        from jiedao.core.tasks import queue_status

        checks["queue"] = queue_status()
        ready = all(value == "ok" for value in checks.values())
        return JsonResponse(
            {"status": "ready" if ready else "not ready", "checks": checks}, status=200 if ready else 503
        )


def csrf_failure(request, reason=""):
    return render(
        request,
        "core/error.html",
        {"title": _("请求已失效"), "message": _("页面已过期或请求来源无法验证（CSRF），请刷新页面后重试。")},
        status=403,
    )


csrf_failure.scope_exempt = "error page"


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception):
    """An API client gets JSON for what Django refuses before any view runs (a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE, a malformed multipart body); a browser gets Django's page."""
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024
        body = {
            "code": "request_too_large",
            "detail": _("请求内容过大（不能超过 %(mb).1f MB），请减少内容；文件请通过对应的上传接口提交。")
            % {"mb": limit_mb},
        }
    else:
        body = {"code": "bad_request", "detail": _("请求格式有误，服务器无法处理。")}
    return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})


def page_not_found(request, exception):
    """An unknown address under /api/ answers JSON in the API's error format, not the site's HTML page."""
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse(
        {"code": "not_found", "detail": _("接口地址不存在：请对照 /api/schema/ 检查路径。")},
        status=404,
        json_dumps_params={"ensure_ascii": False},
    )


def server_error(request):
    if not _is_api(request):
        return defaults.server_error(request)
    return JsonResponse(
        {"code": "server_error", "detail": _("服务器内部错误，请稍后再试；如仍失败，请联系系统管理员。")},
        status=500,
        json_dumps_params={"ensure_ascii": False},
    )


bad_request.scope_exempt = page_not_found.scope_exempt = server_error.scope_exempt = "error page"
