"""企业信息: enterprises and organisations keyed by their unified social credit code."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiedao.core import crypto
from jiedao.core.views import ScopedDetailView, ServiceFormView
from jiedao.registry import services
from jiedao.registry.choices import EnterpriseStatus
from jiedao.registry.models import Enterprise, House
from jiedao.registry.ui import forms
from jiedao.registry.ui.common import RegistryListView, ScopedObjectMixin, resolve_house
from jiedao.registry.ui.export import PersonalDataExport, choice_labels, sees_full_personal_data

FIELDS = (
    "org",
    "name",
    "uscc",
    "legal_representative",
    "industry",
    "address",
    "employees",
    "established_on",
    "status",
    "contact_phone",
    "latitude",
    "longitude",
    "coordinate_system",
)


class EnterpriseListView(RegistryListView):
    model = Enterprise
    title = gettext_lazy("企业信息")
    results_template = "registry/_enterprise_results.html"
    filter_form_class = forms.EnterpriseSearchForm
    export_url_name = "registry:enterprise_export"
    create_url_name = "registry:enterprise_create"
    create_permission = "registry.add_enterprise"
    ordering = ("name", "id")

    def page_rows(self, queryset):
        return queryset.select_related("org")


class EnterpriseExportView(PersonalDataExport):
    model = Enterprise
    filter_form_class = forms.EnterpriseSearchForm
    list_url_name = "registry:enterprise_list"
    list_label = gettext_lazy("企业名单")
    text_columns = (1, 8)

    def base_queryset(self):
        return self.get_queryset().select_related("org", "house")

    def filtered(self, form):
        return super().filtered(form).order_by("name", "id")

    def headers(self):
        return [
            _("名称"),
            _("统一社会信用代码"),
            _("法定代表人"),
            _("行业"),
            _("经营地址"),
            _("从业人数"),
            _("成立日期"),
            _("经营状态"),
            _("联系电话"),
            _("所在房屋"),
            _("所属社区/网格"),
        ]

    def rows(self, queryset):
        statuses = choice_labels(EnterpriseStatus.choices)
        for enterprise in queryset.iterator(chunk_size=2000):
            yield [
                enterprise.name,
                enterprise.uscc,
                enterprise.legal_representative,
                enterprise.industry,
                enterprise.address,
                enterprise.employees,
                enterprise.established_on,
                statuses.get(enterprise.status, enterprise.status),
                # The contact is often the owner's own mobile: personal data, as in the persons' export.
                enterprise.contact_phone
                if self.shows_full() and self.may_see_full(enterprise)
                else crypto.mask_phone(enterprise.contact_phone),
                enterprise.house.full_address if enterprise.house_id else "",
                enterprise.org.name,
            ]


class EnterpriseDetailView(ScopedDetailView):
    model = Enterprise
    template_name = "registry/enterprise_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("org", "created_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, enterprise = self.request.user, self.object
        context["house"] = (
            House.objects.visible_to(user, "view").filter(pk=enterprise.house_id).first()
            if enterprise.house_id
            else None
        )
        context["can_change"] = (
            Enterprise.objects.visible_to(user, "change").filter(pk=enterprise.pk).exists()
        )
        full = sees_full_personal_data(user, enterprise)
        context["contact_phone"] = (
            enterprise.contact_phone if full else crypto.mask_phone(enterprise.contact_phone)
        )
        return context


class EnterpriseCreateView(ServiceFormView):
    model = Enterprise
    permission = "add"
    form_class = forms.EnterpriseForm
    template_name = "registry/form.html"
    success_message = gettext_lazy("企业已登记。")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("登记企业"), cancel_url=reverse("registry:enterprise_list"), **kwargs
        )

    def enterprise_data(self, form) -> services.EnterpriseData:
        data = dict(form.cleaned_data)
        data.pop("clear_contact_phone", None)
        data["house"] = resolve_house(self.request.user, data.get("house") or "")
        for name in ("industry", "contact_phone"):
            data[name] = data.get(name) or ""
        return services.EnterpriseData(**data)

    def perform(self, form):
        return services.enterprise_create(actor=self.request.user, data=self.enterprise_data(form))

    def get_success_url(self, result=None):
        return reverse("registry:enterprise_detail", args=[result.pk])


class EnterpriseEditView(ScopedObjectMixin, EnterpriseCreateView):
    permission = "change"
    success_message = gettext_lazy("企业信息已保存。")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "org_permission": "registry.change_enterprise", "editing": True}

    def get_initial(self):
        enterprise = self.get_target()
        initial = {name: getattr(enterprise, name) for name in FIELDS}
        initial["org"] = enterprise.org_id
        initial["house"] = enterprise.house.full_address if enterprise.house_id else ""
        initial["contact_phone"] = ""
        initial["contact_phone_masked"] = crypto.mask_phone(enterprise.contact_phone)
        return initial

    def enterprise_data(self, form) -> services.EnterpriseData:
        data = super().enterprise_data(form)
        if not data.contact_phone and not form.cleaned_data.get("clear_contact_phone"):
            data.contact_phone = self.get_target().contact_phone  # left blank: kept
        return data

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            title=_("修改企业信息"),
            subject_label=self.get_target().name,
            cancel_url=reverse("registry:enterprise_detail", args=[self.get_target().pk]),
        )
        return context

    def perform(self, form):
        return services.enterprise_update(
            actor=self.request.user, enterprise=self.get_target(), data=self.enterprise_data(form)
        )

    def get_success_url(self, result=None):
        return reverse("registry:enterprise_detail", args=[self.get_target().pk])
