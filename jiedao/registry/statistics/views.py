"""The population statistics page and its JSON twin, both scoped to what the user may see of persons."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from jiedao.core.scope import has_permission
from jiedao.core.views import ScopedViewMixin
from jiedao.orgs.models import OrgUnit
from jiedao.registry.choices import ResidenceSplit
from jiedao.registry.models import Person
from jiedao.registry.statistics import figures, snapshots


class StatisticsMixin(ScopedViewMixin):
    model = Person
    permission = "view"  # registry.view_person

    def selected_org(self) -> OrgUnit | None:
        """The `?org=` node, which must be in the user's scope; anything else is "not found"."""
        raw = self.request.GET.get("org", "").strip()
        if not raw:
            return None
        org = None
        if raw.isdigit():
            org = figures.org_choices(self.request.user).filter(pk=int(raw)).first()
        if org is None:
            raise Http404(_("未找到该组织，或该组织不在您的管辖范围内。"))
        return org


class StatisticsView(StatisticsMixin, TemplateView):
    template_name = "registry/statistics.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        org = self.selected_org()
        data, snapshot = snapshots.compute(self.request.user, org)
        context.update(
            stats=data,
            snapshot=snapshot,
            can_refresh=has_permission(self.request.user, snapshots.REFRESH_PERMISSION),
            selected_org=org,
            pyramid_rows=list(
                zip(data["pyramid"]["bands"], data["pyramid"]["male"], data["pyramid"]["female"], strict=True)
            ),
            household_rows=list(zip(data["households"]["sizes"], data["households"]["counts"], strict=True)),
            # per grid when one community is in view, as the population table and chart
            residence_rows=data["by_grid"] or data["by_community"],
            org_choices=figures.org_choices(self.request.user).only("pk", "name", "level", "path"),
            chart_data={
                **data,
                "labels": {
                    "persons": _("实有人口"),
                    "local": _("非流动人口"),
                    "migrants": _("流动人口"),
                    "male": _("男"),
                    "female": _("女"),
                    "households": _("户数"),
                    "people": _("人"),
                    "members": _("人户"),
                    "count": _("人数"),
                    "residence": {split.value: str(split.label) for split in ResidenceSplit},
                },
            },
        )
        return context


class StatisticsDataView(StatisticsMixin, View):
    """The same figures as the page, as JSON (for charts refreshed in place or other dashboards)."""

    def get(self, request, *args, **kwargs):
        data, _snapshot = snapshots.compute(request.user, self.selected_org())
        return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


class StatisticsRefreshView(ScopedViewMixin, View):
    """The page's 立即刷新: queue a new snapshot, back to the page (which says the figures follow shortly)."""

    permission = snapshots.REFRESH_PERMISSION
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        snapshots.request_refresh(request.user)
        messages.success(request, _("已开始重新统计，约一分钟后刷新本页即可看到最新数据。"))
        url = reverse("registry:statistics")
        org = request.POST.get("org", "").strip()
        return redirect(f"{url}?org={org}" if org.isdigit() else url)
