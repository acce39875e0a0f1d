"""数据质量核查: the checks with their counts, each check's list of records to look at, and its export."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from jiedao.core.views import ScopedViewMixin
from jiedao.registry import quality
from jiedao.registry.models import House, Household, Migrant
from jiedao.registry.paging import rows_in_order, total_order
from jiedao.registry.selectors import community_choices
from jiedao.registry.ui.common import FilterForm, OrgChoiceField, RegistryListView
from jiedao.registry.ui.export import PersonalDataExport


class QualityFilterForm(FilterForm):
    """A check's list narrowed to one community or grid."""

    org = OrgChoiceField(
        label=gettext_lazy("社区/网格"), queryset=None, required=False, empty_label=gettext_lazy("全部")
    )

    def __init__(self, *args, check: quality.QualityCheck, **kwargs):
        super().__init__(*args, **kwargs)
        self.check = check
        self.fields["org"].queryset = community_choices(self.user, check.permissions[0])

    def apply(self, queryset):
        org = self.cleaned_data.get("org")
        if org is not None:
            queryset = self.check.in_org(queryset, org)
        return queryset


class QualityOverviewView(ScopedViewMixin, TemplateView):
    permission = quality.OVERVIEW_PERMISSION
    template_name = "registry/quality.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(counts=quality.check_counts(self.request.user), **kwargs)


class CheckMixin:
    """The check named in the URL, under its first permission's scope; a check the user may not run is not
    found, as an unknown one is."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.check = quality.check_for(request.user, kwargs.get("key", ""))
        self.model = self.check.model if self.check else None

    def required_permission(self) -> str:
        return self.check.permissions[0] if self.check else quality.OVERVIEW_PERMISSION

    def dispatch(self, request, *args, **kwargs):
        if self.check is None and request.user.is_authenticated:
            raise Http404(_("没有这项核查。"))
        return super().dispatch(request, *args, **kwargs)

    def get_filter_form(self):
        if not hasattr(self, "_filter_form"):
            self._filter_form = QualityFilterForm(
                self.request.GET or None, user=self.request.user, check=self.check
            )
        return self._filter_form

    def base_queryset(self):
        return self.check.queryset(self.request.user)


class QualityCheckListView(CheckMixin, RegistryListView):
    import_model = None  # a work list
    results_template = "registry/_quality_results.html"
    filter_form_class = QualityFilterForm

    def page_rows(self, queryset):
        return self.check.page_rows(queryset, self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            title=self.check.title,
            list_note=self.check.explanation,
            findings=self.check.findings(context["object_list"]),
            export_url=reverse("registry:quality_export", args=[self.check.key])
            + (f"?{query.urlencode()}" if query else ""),
            extra_actions=[(reverse("registry:quality"), _("返回核查汇总"))],
        )
        return context


class QualityCheckExportView(CheckMixin, PersonalDataExport):
    """A check's list as .xlsx (the list's community filter), for the clerk who takes it on the round: with
    what finds the record — a person's ID number, phone and address (masked, or full for a user who may see
    the person's full data, as the other exports), a household's number and addresses, a house's address."""

    filter_form_class = QualityFilterForm
    chunk = 500

    @property
    def list_label(self):
        return _("数据质量核查-%(c)s") % {"c": self.check.title}

    @property
    def text_columns(self):
        return (1, 2) if self.check.model not in (Household, House) else (0,)

    def list_url(self) -> str:
        return reverse("registry:quality_check", args=[self.check.key])

    def headers(self):
        if self.check.model is Household:
            return [_("户号"), _("户籍地址"), _("实际居住地址"), _("所属社区/网格"), _("问题")]
        if self.check.model is House:
            return [_("房屋地址"), _("所属社区/网格"), _("问题")]
        return [_("姓名"), _("证件号码"), _("联系电话"), _("现住址"), _("所属社区/网格"), _("问题")]

    def page_rows(self, page):
        rows = self.check.page_rows(page, self.request.user)
        return rows.select_related("house") if self.check.model is Household else rows

    def locating(self, row) -> list:
        """What finds the record of `row` on the ground, before its community and problem."""
        if isinstance(row, Household):
            return [row.number, row.registered_address, row.house.full_address if row.house else ""]
        if isinstance(row, House):
            return [row.full_address]
        person = row.person if isinstance(row, Migrant) else row
        id_number, phone = self.identity(person)
        return [person.name, id_number, phone, person.residence_address]

    def rows(self, queryset):
        keys = list(total_order(queryset).values_list("pk", flat=True))
        for start in range(0, len(keys), self.chunk):
            rows = rows_in_order(queryset.model, keys[start : start + self.chunk], self.page_rows)
            for row, finding in zip(rows, self.check.findings(rows), strict=True):
                yield [*self.locating(row), finding.org, finding.problem]

    def audit_extra(self) -> dict:
        return {"check": self.check.key}
