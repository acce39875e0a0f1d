"""Time-limit monitoring for staff, and the yellow-threshold page for the system administrator."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from jiedao.core.views import ScopedDetailView, ScopedListView, ScopedViewMixin, ServiceFormView
from jiedao.registry.paging import LateRowPaginator
from jiedao.timelimits import services
from jiedao.timelimits.choices import OPEN_STATUSES, ClockStatus
from jiedao.timelimits.forms import ClockPolicyEditForm, ClockPolicyForm
from jiedao.timelimits.models import DEFAULT_YELLOW_RATIO, Clock, ClockPolicy
from jiedao.timelimits.registry import KINDS, kind_label, target_querysets
from jiedao.timelimits.selectors import provisional_open_clocks, time_left
from jiedao.workcalendar import services as workcalendar

POLICY_PERMISSION = "timelimits.change_clockpolicy"


def kind_choices() -> list[tuple[str, str]]:
    keys = set(KINDS) | set(ClockPolicy.objects.values_list("kind", flat=True))
    return sorted(((key, kind_label(key)) for key in keys), key=lambda pair: pair[0])


class ClockListView(ScopedListView):
    model = Clock
    template_name = "timelimits/clock_list.html"

    def get_queryset(self):
        queryset = super().get_queryset()
        status = self.request.GET.get("status", "")
        if status in ClockStatus.values:
            queryset = queryset.filter(status=status)
        elif status != "all":
            queryset = queryset.filter(status__in=OPEN_STATUSES)
        kind = self.request.GET.get("kind", "").strip()
        if kind:
            queryset = queryset.filter(kind=kind)
        if self.request.GET.get("provisional") == "1":
            queryset = provisional_open_clocks(queryset)
        return queryset.order_by("due_at", "pk")

    @staticmethod
    def page_rows(queryset):
        # Each clock names its record (an application by its item's name, a task by its instance's title):
        # read with those, one query per kind of record rather than one per clock.
        return queryset.select_related("org", "content_type").prefetch_related(
            GenericPrefetch("target", target_querysets())
        )

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        # Every clock of three years (?status=all) to its last page by key, not by OFFSET (registry.paging).
        return LateRowPaginator(
            queryset, per_page, orphans, allow_empty_first_page, rows_for=self.page_rows, **kwargs
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now, calendar = timezone.now(), workcalendar.current_calendar()
        for clock in context["object_list"]:
            clock.time_left = time_left(clock, now, calendar)
        visible = super().get_queryset().filter(status__in=OPEN_STATUSES)
        counts = dict(visible.order_by().values_list("status").annotate(n=Count("pk")))
        context.update(
            statuses=[
                (value, label, counts.get(value, 0))
                for value, label in ClockStatus.choices
                if value in OPEN_STATUSES
            ],
            all_statuses=ClockStatus.choices,
            kinds=kind_choices(),
            current_status=self.request.GET.get("status", ""),
            current_kind=self.request.GET.get("kind", ""),
            current_provisional=self.request.GET.get("provisional") == "1",
            provisional_count=provisional_open_clocks(visible).count(),
        )
        return context


class ClockDetailView(ScopedDetailView):
    model = Clock
    template_name = "timelimits/clock_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("org", "content_type")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["events"] = self.object.events.select_related("actor").order_by("at", "pk")
        context["kind_label"] = kind_label(self.object.kind)
        return context


class ClockPolicyListView(ScopedViewMixin, TemplateView):
    scope_exempt = "platform-wide thresholds, not org-scoped"
    permission = POLICY_PERMISSION
    template_name = "timelimits/policy_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        policies = {p.kind: p for p in ClockPolicy.objects.select_related("updated_by")}
        rows = []
        for key, label in kind_choices():
            policy = policies.get(key)
            registered = KINDS.get(key)
            default = registered.default_yellow_ratio if registered else DEFAULT_YELLOW_RATIO
            rows.append(
                {
                    "kind": key,
                    "label": (policy.label if policy and policy.label else label),
                    "ratio": policy.yellow_ratio if policy else default,
                    "policy": policy,
                }
            )
        context.update(rows=rows, default_ratio=DEFAULT_YELLOW_RATIO)
        return context


class ClockPolicyFormView(ServiceFormView):
    scope_exempt = "platform-wide thresholds, not org-scoped"
    permission = POLICY_PERMISSION
    template_name = "core/form.html"
    success_message = gettext_lazy("预警阈值已保存。")

    def get_kind(self) -> str | None:
        return self.kwargs.get("kind")

    def get_form_class(self):
        return ClockPolicyEditForm if self.get_kind() else ClockPolicyForm

    def get_initial(self):
        kind = self.get_kind()
        if kind is None:
            return {"yellow_percent": int(DEFAULT_YELLOW_RATIO * 100)}
        policy = ClockPolicy.objects.filter(kind=kind).first()
        ratio = services.yellow_ratio_for(kind)
        label = policy.label if policy and policy.label else kind_label(kind) if kind in KINDS else ""
        return {"kind": kind, "label": label, "yellow_percent": int(ratio * 100)}

    def get_context_data(self, **kwargs):
        kind = self.get_kind()
        title = _("修改预警阈值：%(kind)s") % {"kind": kind_label(kind)} if kind else _("新增预警阈值")
        return super().get_context_data(title=title, cancel_url=reverse("timelimits:policy_list"), **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        return services.clock_policy_set(
            actor=self.request.user,
            kind=self.get_kind() or data["kind"],
            yellow_ratio=Decimal(data["yellow_percent"]) / 100,
            label=data["label"],
        )

    def get_success_url(self, result=None):
        return reverse("timelimits:policy_list")
