"""The auditor's pages: the log with its filter, one event with its changes, the Excel export, verification.

Only holders of `audit.view_auditevent` read the log (三员分立: the auditor); reading it is itself audited.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.generic import TemplateView

from jiedao.audit import services
from jiedao.audit.audit_events import AUDIT_CHAIN_VERIFIED, AUDIT_LOG_EXPORTED, AUDIT_LOG_VIEWED
from jiedao.audit.export import MAX_ROWS, write_workbook
from jiedao.audit.filters import PAGING_PARAMETERS, SHANGHAI, VIEW_PERMISSION, AuditFilterForm
from jiedao.audit.models import AuditEvent
from jiedao.audit.registry import detail_label, label_for
from jiedao.core.scope import has_permission
from jiedao.core.views import ScopedDetailView, ScopedListView, ScopedViewMixin

VIEWED_SESSION_KEY = "audit_viewed_filters"
LIST_DEFERRED = ("before", "after", "user_agent", "prev_hash", "hash")


def _first_page(request) -> bool:
    return request.GET.get("page", "1") in ("", "1")


def should_record_view(request, signature: str) -> bool:
    """One AUDIT_LOG_VIEWED per query, not per page: the first page of a filter is always recorded; a later
    page only when this session has not recorded the same filter."""
    digest = hashlib.sha256(signature.encode()).hexdigest()[:16]
    seen = request.session.get(VIEWED_SESSION_KEY, [])
    first = _first_page(request)
    if not first and digest in seen:
        return False
    request.session[VIEWED_SESSION_KEY] = ([d for d in seen if d != digest] + [digest])[-20:]
    return True


class AuditEventListView(ScopedListView):
    model = AuditEvent
    permission = "view"
    template_name = "audit/event_list.html"
    paginate_by = 50

    def get(self, request, *args, **kwargs):
        self.filter_form = AuditFilterForm(request.GET or None, user=request.user)
        response = super().get(request, *args, **kwargs)
        if not self.filter_form.is_bound or self.filter_form.is_valid():
            described = self.filter_form.describe() if self.filter_form.is_bound else {}
            if should_record_view(request, json.dumps(described, sort_keys=True, ensure_ascii=False)):
                services.record(
                    AUDIT_LOG_VIEWED,
                    actor=request.user,
                    org=request.user.org_id,
                    message=_("查看审计日志，共 %(n)d 条") % {"n": self.paginated_count},
                    after={"filter": described},
                )
        return response

    def get_queryset(self):
        queryset = super().get_queryset().select_related("org").defer(*LIST_DEFERRED).order_by("-id")
        if not self.filter_form.is_bound:
            return queryset
        if not self.filter_form.is_valid():
            return queryset.none()
        return self.filter_form.apply(queryset)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context.get("page_obj")
        events = list(context["object_list"])
        for event in events:
            event.event_label = label_for(event.event_name)
        context["object_list"] = events
        self.paginated_count = page.paginator.count if page else len(events)
        query = self.request.GET.copy()
        for name in PAGING_PARAMETERS:
            query.pop(name, None)
        context.update(
            filter_form=self.filter_form,
            filter_query=query.urlencode(),
            total=self.paginated_count,
            can_export=has_permission(self.request.user, "audit.export_auditevent"),
            can_verify=has_permission(self.request.user, "audit.verify_auditevent"),
        )
        return context


def _field_label(event_name: str, target_type: str, key: str) -> str:
    """「名称（name）」: the name of a field of the target's model, else the label the event's app declared for
    the key (`audit.registry.detail_labels`); the key itself for one nobody declared."""
    label = _model_field_label(target_type, key) or detail_label(event_name, key)
    return _("%(label)s（%(key)s）") % {"label": label, "key": key} if label else key


def _model_field_label(target_type: str, key: str) -> str | None:
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError):
        return None
    name = key[:-3] if key.endswith("_id") else key
    for candidate in (key, name):
        try:
            return str(model._meta.get_field(candidate).verbose_name)
        except FieldDoesNotExist:
            continue
    return None


def _display(value: Any, event_name: str = "") -> str:
    """A value as the auditor reads it; the keys of a mapping (the filter of a view) by their labels too."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value:
        return pgettext("audit detail separator", "；").join(
            _("%(label)s：%(value)s")
            % {"label": detail_label(event_name, str(key)) or key, "value": _display(item, event_name)}
            for key, item in value.items()
        )
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def diff_rows(event_name: str, target_type: str, before: Any, after: Any) -> list[dict[str, Any]]:
    """Before and after side by side, one row per field, with `changed` set where the values differ."""
    if before is None and after is None:
        return []
    if not isinstance(before, dict) or not isinstance(after, dict):
        before = before if isinstance(before, dict) else ({} if before is None else {_("值"): before})
        after = after if isinstance(after, dict) else ({} if after is None else {_("值"): after})
    keys = list(before) + [k for k in after if k not in before]
    rows = []
    for key in keys:
        old, new = before.get(key), after.get(key)
        rows.append(
            {
                "field": _field_label(event_name, target_type, key),
                "before": _display(old, event_name) if key in before else "",
                "after": _display(new, event_name) if key in after else "",
                "in_before": key in before,
                "in_after": key in after,
                "changed": bool(before)
                and bool(after)
                and (key not in before or key not in after or old != new),
            }
        )
    return rows


class AuditEventDetailView(ScopedDetailView):
    model = AuditEvent
    permission = "view"
    template_name = "audit/event_detail.html"
    context_object_name = "event"

    def get_queryset(self):
        return super().get_queryset().select_related("org", "actor")

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        services.record(
            AUDIT_LOG_VIEWED,
            actor=request.user,
            org=request.user.org_id,
            target=self.object,
            message=_("查看审计事件 #%(id)d") % {"id": self.object.pk},
        )
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event = self.object
        context.update(
            label=label_for(event.event_name),
            diff=diff_rows(event.event_name, event.target_type, event.before, event.after),
            has_before=event.before is not None,
            has_after=event.after is not None,
        )
        return context


class AuditExportView(ScopedViewMixin, TemplateView):
    """The filtered log as .xlsx. Needs both permissions; rows are those both scopes reach."""

    model = AuditEvent
    permission = "export"
    http_method_names = ["get"]

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not has_permission(request.user, VIEW_PERMISSION):
            raise DjangoPermissionDenied(_("您没有访问此页面的权限。"))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        back = reverse("audit:event_list") + (f"?{request.GET.urlencode()}" if request.GET else "")
        form = AuditFilterForm(request.GET or None, user=request.user)
        if form.is_bound and not form.is_valid():
            messages.error(request, _("筛选条件有误，请修改后再导出。"))
            return HttpResponseRedirect(back)
        events = (
            AuditEvent.objects.visible_to(request.user, VIEW_PERMISSION)
            .visible_to(request.user, "audit.export_auditevent")
            .defer("before", "after", "prev_hash", "hash")
            .order_by("-id")
        )
        if form.is_bound:
            events = form.apply(events)
        total = events.count()
        if total > MAX_ROWS:
            messages.error(
                request,
                _("符合条件的记录有 %(n)d 条，超过 Excel 单表上限 %(max)d 条，请缩小时间范围后分批导出。")
                % {"n": total, "max": MAX_ROWS},
            )
            return HttpResponseRedirect(back)
        output = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after sending
        try:
            rows = write_workbook(events, output)
        except BaseException:
            output.close()
            raise
        described = form.describe() if form.is_bound else {}
        services.record(
            AUDIT_LOG_EXPORTED,
            actor=request.user,
            org=request.user.org_id,
            message=_("导出审计日志 %(n)d 条") % {"n": rows},
            after={"filter": described, "rows": rows},
        )
        output.seek(0)
        stamp = timezone.localtime(timezone.now(), SHANGHAI).strftime("%Y%m%d-%H%M%S")
        return FileResponse(
            output,
            as_attachment=True,
            filename=f"审计日志-{stamp}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )


class AuditVerifyView(ScopedViewMixin, TemplateView):
    """Runs the chain verification and the archive file check, shows the result, and audits the run."""

    permission = "audit.verify_auditevent"
    template_name = "audit/verify.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        chain = services.verify_chain()
        archives = services.verify_archives()
        services.record(
            AUDIT_CHAIN_VERIFIED,
            actor=self.request.user,
            org=self.request.user.org_id,
            success=chain.ok and archives.ok,
            message=f"{chain.summary} {archives.summary}"[:500],
            after={
                "checked": chain.checked,
                "broken_event_id": chain.broken_event_id,
                "reason": chain.reason,
                "archives_checked": archives.checked,
                "archive_problems": [p.reason for p in archives.problems],
            },
        )
        context.update(chain=chain, archives=archives, checked_at=timezone.now())
        return context
