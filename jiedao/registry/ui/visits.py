"""入户走访核查: recording a visit to a house, and 待核查房屋 (the houses due for a visit) with its export."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiedao.core.views import ServiceFormView
from jiedao.registry import services
from jiedao.registry.choices import PersonStatus, VisitResult
from jiedao.registry.models import House
from jiedao.registry.selectors import houses_due_for_visit, visit_due_cutoff, with_last_visit
from jiedao.registry.ui import forms
from jiedao.registry.ui.common import RegistryListView, ScopedObjectMixin
from jiedao.registry.ui.export import ExportView, choice_labels


def label_last_visits(houses) -> None:
    """The label of each house's `last_visit_result` (annotated by `with_last_visit`), for the templates."""
    for house in houses:
        house.last_visit_label = VisitResult.label_of(getattr(house, "last_visit_result", None))


class VisitDueListView(RegistryListView):
    """待核查房屋: the houses of the user's subtree due for a visit (`selectors.houses_due_for_visit`)."""

    model = House
    import_model = None  # a work list: houses are imported from 楼栋房屋, not from here
    permission = "registry.view_housevisit"
    title = gettext_lazy("待核查房屋")
    results_template = "registry/_visit_due_results.html"
    filter_form_class = forms.VisitDueSearchForm
    export_url_name = "registry:house_visit_due_export"

    def base_queryset(self):
        self.cutoff = visit_due_cutoff()
        return houses_due_for_visit(self.request.user, action=self.required_permission(), cutoff=self.cutoff)

    def page_rows(self, queryset):
        return with_last_visit(queryset.select_related("org"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        label_last_visits(context["object_list"])
        context.update(
            cutoff=self.cutoff,
            list_note=_("从未核查、最近一次核查早于 %(d)s，或上次无人应门的房屋。")
            % {"d": f"{self.cutoff:%Y-%m-%d}"},
            no_answer=VisitResult.NO_ANSWER,
        )
        form = self.get_filter_form()
        if form.is_bound and form.is_valid() and form.cleaned_data.get("building"):
            # reached from the 楼盘表: say which building, the filter itself being hidden
            context["list_note"] += " " + _("楼栋：%(b)s") % {"b": form.cleaned_data["building"]}
        return context


REASON_LABELS = dict(forms.VisitDueSearchForm.base_fields["reason"].choices)


def due_reasons(house, cutoff) -> str:
    """Why a listed house is due (`houses_due_for_visit` chose it): the reasons in the filter's words."""
    if house.last_visited_on is None:
        return str(REASON_LABELS[forms.VisitDueSearchForm.NEVER])
    reasons = []
    if house.last_visited_on < cutoff:
        reasons.append(str(REASON_LABELS[forms.VisitDueSearchForm.STALE]))
    if house.last_visit_result == VisitResult.NO_ANSWER:
        reasons.append(str(REASON_LABELS[forms.VisitDueSearchForm.NO_ANSWER]))
    return "、".join(reasons)


class VisitDueExportView(ExportView):
    """待核查房屋 as .xlsx with the list's filter, for the clerk who prints the round."""

    model = House
    permission = "registry.view_housevisit"
    filter_form_class = forms.VisitDueSearchForm
    list_url_name = "registry:house_visit_due"
    list_label = gettext_lazy("待核查房屋")

    def base_queryset(self):
        self.cutoff = visit_due_cutoff()
        return (
            houses_due_for_visit(self.request.user, action=self.required_permission(), cutoff=self.cutoff)
            .select_related("org")
            .annotate(resident_count=Count("residents", filter=Q(residents__status=PersonStatus.LIVING)))
        )

    def headers(self):
        return [
            _("地址"),
            _("所属社区/网格"),
            _("待核查原因"),
            _("最近核查日期"),
            _("最近核查结果"),
            _("住户数"),
        ]

    def rows(self, queryset):
        results = choice_labels(VisitResult.choices)
        for house in queryset.iterator(chunk_size=2000):
            yield [
                house.full_address,
                house.org.name,
                due_reasons(house, self.cutoff),
                house.last_visited_on,
                results.get(house.last_visit_result, house.last_visit_result or ""),
                house.resident_count,
            ]


class HouseVisitCreateView(ScopedObjectMixin, ServiceFormView):
    """The visit form of the house page posts here; with an error the form is shown on its own page."""

    model = House
    permission = "registry.add_housevisit"
    form_class = forms.HouseVisitForm
    template_name = "registry/form.html"
    success_message = gettext_lazy("核查记录已保存。")

    def target_queryset(self):
        return super().target_queryset().select_related("org")

    def get_context_data(self, **kwargs):
        house = self.get_target()
        return super().get_context_data(
            title=_("登记入户核查"),
            subject_label=house.full_address,
            submit_label=_("保存核查记录"),
            cancel_url=reverse("registry:house_detail", args=[house.pk]),
            **kwargs,
        )

    def perform(self, form):
        data = form.cleaned_data
        return services.house_visit_record(
            actor=self.request.user,
            house=self.get_target(),
            data=services.VisitData(
                visited_on=data["visited_on"],
                result=data["result"],
                companion=data.get("companion") or "",
                note=data.get("note") or "",
            ),
        )

    def get_success_url(self, result=None):
        return reverse("registry:house_detail", args=[self.get_target().pk])
