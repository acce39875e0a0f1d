"""流动人口: migrants with their residence permits; expired and soon-expiring permits stand out."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiedao.dictionaries.selectors import labels
from jiedao.registry.choices import PersonStatus
from jiedao.registry.models import Migrant
from jiedao.registry.selectors import ENCRYPTED_PERSON_FIELDS, migrants_for
from jiedao.registry.ui import forms
from jiedao.registry.ui.common import RegistryListView
from jiedao.registry.ui.export import PersonalDataExport, choice_labels

EXPIRY_WARNING_DAYS = 30


def _listed(queryset):
    return queryset.defer(*(f"person__{f}" for f in ENCRYPTED_PERSON_FIELDS))


class MigrantListView(RegistryListView):
    model = Migrant
    title = gettext_lazy("流动人口")
    results_template = "registry/_migrant_results.html"
    filter_form_class = forms.MigrantSearchForm
    export_url_name = "registry:migrant_export"
    ordering = ("permit_valid_until", "person__name", "id")

    def base_queryset(self):
        return migrants_for(self.request.user)

    def page_rows(self, queryset):
        return _listed(queryset.select_related("person", "person__org"))

    def get_queryset(self):
        queryset = super().get_queryset()
        if not self.get_filter_form().is_bound:  # by default, those still living here
            queryset = queryset.filter(person__status="living")
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        context.update(today=today, warn_until=today + timedelta(days=EXPIRY_WARNING_DAYS))
        return context


class MigrantExportView(PersonalDataExport):
    model = Migrant
    filter_form_class = forms.MigrantSearchForm
    list_url_name = "registry:migrant_list"
    list_label = gettext_lazy("流动人口名单")
    text_columns = (1, 2, 8)

    def filtered(self, form):
        queryset = migrants_for(self.request.user)
        if not self.shows_full():
            queryset = _listed(queryset)
        queryset = form.apply(queryset) if form.is_bound else queryset.filter(person__status="living")
        return queryset.order_by("permit_valid_until", "person__name", "id")

    def headers(self):
        return [
            _("姓名"),
            _("证件号码"),
            _("联系电话"),
            _("所属社区/网格"),
            _("现住址"),
            _("来源地"),
            _("来本地日期"),
            _("来本地事由"),
            _("居住证号码"),
            _("居住证有效期至"),
            _("工作单位"),
            _("房东"),
            _("租约到期"),
            _("人员状态"),
        ]

    def rows(self, queryset):
        reasons = labels("migrant_reason")
        statuses = choice_labels(PersonStatus.choices)
        for migrant in queryset.iterator(chunk_size=2000):
            person = migrant.person
            id_number, phone = self.identity(person)
            yield [
                person.name,
                id_number,
                phone,
                person.org.name,
                person.residence_address,
                migrant.origin_address,
                migrant.arrival_date,
                reasons.get(migrant.reason, migrant.reason),
                migrant.permit_number,
                migrant.permit_valid_until,
                migrant.employer,
                migrant.landlord,
                migrant.lease_until,
                statuses.get(person.status, person.status),
            ]
