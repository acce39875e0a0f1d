"""Staff pages of the service catalog (items, materials, announcements) and the public power /
responsibility lists generated from published items."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from jiedao.catalog import selectors, services
from jiedao.catalog.choices import AnnouncementCategory, ItemKind, PowerType
from jiedao.catalog.files import material_file_response
from jiedao.catalog.forms import AnnouncementForm, MaterialForm, ServiceItemForm
from jiedao.catalog.models import Announcement, Material, ServiceItem
from jiedao.core.exceptions import OutOfScope, PermissionDenied, ServiceError
from jiedao.core.scope import has_permission
from jiedao.core.views import ScopedDetailView, ScopedListView, ScopedViewMixin, ServiceFormView
from jiedao.orgs.models import OrgUnit
from jiedao.public.page_cache import CachedPublicPageMixin
from jiedao.public.views import PublicPageMixin


def _implementing_orgs(user, permission: str):
    return (
        OrgUnit.objects.visible_to(user, permission)
        .filter(level__in=services.IMPLEMENTING_LEVELS, is_active=True)
        .order_by("path")
    )


def _run(request, action, success: str) -> None:
    """Call a service from a POST-only view: errors become messages; scope errors 404 / 403."""
    try:
        action()
    except OutOfScope:
        raise Http404(_("未找到该记录，或该记录不在您的管辖范围内。")) from None
    except PermissionDenied as error:
        raise DjangoPermissionDenied(str(error.message)) from None
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)


# --- service items ----------------------------------------------------------------------------------------


class ItemListView(ScopedListView):
    model = ServiceItem
    template_name = "catalog/item_list.html"

    def get_queryset(self):
        queryset = super().get_queryset().select_related("org")
        status = self.request.GET.get("status")
        if status in ("published", "draft"):
            queryset = queryset.filter(is_published=status == "published")
        matches = selectors.item_matches(queryset, self.request.GET.get("q", ""))
        self.approximate = matches.approximate  # names alike, not matches: the page says so
        return matches.items.order_by("org__path", "code")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            approximate=self.approximate,
            q=self.request.GET.get("q", ""),
            status=self.request.GET.get("status", ""),
            can_add=has_permission(self.request.user, "catalog.add_serviceitem"),
            **kwargs,
        )


class ItemDetailView(ScopedDetailView):
    model = ServiceItem
    template_name = "catalog/item_detail.html"
    context_object_name = "item"

    def get_queryset(self):
        return super().get_queryset().select_related("org").prefetch_related("materials")

    def get_context_data(self, **kwargs):
        user = self.request.user
        item = self.object
        can_change = ServiceItem.objects.visible_to(user, "change").filter(pk=item.pk).exists()
        can_publish = ServiceItem.objects.visible_to(user, "publish").filter(pk=item.pk).exists()
        can_delete = ServiceItem.objects.visible_to(user, "delete").filter(pk=item.pk).exists()
        return super().get_context_data(
            can_change=can_change,
            can_publish=can_publish,
            can_delete=can_delete,
            process=selectors.item_process(item),
            **kwargs,
        )


class ItemMixin:
    """Finds the item of the URL among those the user may reach with this view's permission."""

    def get_item(self) -> ServiceItem:
        if not hasattr(self, "_item"):
            self._item = get_object_or_404(
                ServiceItem.objects.visible_to(self.request.user, self.required_permission()).select_related(
                    "org"
                ),
                pk=self.kwargs["pk"],
            )
        return self._item

    def get_success_url(self, result=None):
        return reverse("catalog:item_detail", args=[self.get_item().pk])


class ItemCreateView(ServiceFormView):
    model = ServiceItem
    permission = "add"
    form_class = ServiceItemForm
    template_name = "catalog/form.html"
    success_message = gettext_lazy("服务事项已创建，发布后将在公众网站显示。")

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "orgs": _implementing_orgs(self.request.user, "catalog.add_serviceitem"),
        }

    def get_initial(self):
        return {
            "kind": ItemKind.PROMISED,
            "fee": "不收费",
            "office_hours": "工作日 9:00-12:00，13:30-17:00",
            "org": self.request.user.org_id,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("新建服务事项"), cancel_url=reverse("catalog:item_list"), **kwargs
        )

    def perform(self, form):
        data = dict(form.cleaned_data)
        org = data.pop("org")
        return services.service_item_create(actor=self.request.user, org=org, data=data)

    def get_success_url(self, result=None):
        return reverse("catalog:item_detail", args=[result.pk])


class ItemEditView(ItemMixin, ServiceFormView):
    model = ServiceItem
    permission = "change"
    form_class = ServiceItemForm
    template_name = "catalog/form.html"
    success_message = gettext_lazy("服务事项已保存。")

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "instance": self.get_item(),
            "orgs": _implementing_orgs(self.request.user, "catalog.change_serviceitem"),
        }

    def get_context_data(self, **kwargs):
        item = self.get_item()
        return super().get_context_data(
            title=_("修改服务事项：%(name)s") % {"name": item.name},
            cancel_url=reverse("catalog:item_detail", args=[item.pk]),
            **kwargs,
        )

    def perform(self, form):
        data = dict(form.cleaned_data)
        org = data.pop("org")
        return services.service_item_update(actor=self.request.user, item=self.get_item(), data=data, org=org)


class ItemPublishView(ItemMixin, ScopedViewMixin, View):
    model = ServiceItem
    permission = "publish"
    http_method_names = ["post"]

    def post(self, request, pk):
        item = self.get_item()
        publish = request.POST.get("publish") == "1"
        _run(
            request,
            lambda: services.service_item_publish(actor=request.user, item=item, published=publish),
            _("事项已发布。")
            if publish
            else _("事项已撤回：公众网站不再显示，不再接受新的申请；已提交的办件照常办理。"),
        )
        return redirect("catalog:item_detail", pk=item.pk)


class ItemDeleteView(ItemMixin, ScopedViewMixin, View):
    model = ServiceItem
    permission = "delete"
    http_method_names = ["post"]

    def post(self, request, pk):
        item = self.get_item()
        try:
            services.service_item_delete(actor=request.user, item=item)
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("catalog:item_detail", pk=item.pk)
        messages.success(request, _("事项已删除。"))
        return redirect("catalog:item_list")


# --- materials --------------------------------------------------------------------------------------------


class MaterialMixin(ItemMixin):
    model = ServiceItem
    permission = "change"

    def get_material(self) -> Material:
        return get_object_or_404(Material, pk=self.kwargs["material_pk"], item=self.get_item())


class MaterialCreateView(MaterialMixin, ServiceFormView):
    form_class = MaterialForm
    template_name = "catalog/form.html"
    success_message = gettext_lazy("申请材料已添加。")

    def get_context_data(self, **kwargs):
        item = self.get_item()
        return super().get_context_data(
            title=_("添加申请材料：%(name)s") % {"name": item.name},
            cancel_url=reverse("catalog:item_detail", args=[item.pk]),
            multipart=True,
            **kwargs,
        )

    def perform(self, form):
        return services.material_add(actor=self.request.user, item=self.get_item(), data=form.cleaned_data)


class MaterialEditView(MaterialMixin, ServiceFormView):
    form_class = MaterialForm
    template_name = "catalog/form.html"
    success_message = gettext_lazy("申请材料已保存。")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.get_material()}

    def get_context_data(self, **kwargs):
        item = self.get_item()
        return super().get_context_data(
            title=_("修改申请材料：%(name)s") % {"name": self.get_material().name},
            cancel_url=reverse("catalog:item_detail", args=[item.pk]),
            multipart=True,
            **kwargs,
        )

    def perform(self, form):
        data = dict(form.cleaned_data)
        for name in ("blank_form", "sample"):
            if data.get(name) is False:  # "clear" ticked
                data[name] = ""
            elif not data.get(name) or data[name] == getattr(self.get_material(), name):
                data.pop(name, None)
        return services.material_update(actor=self.request.user, material=self.get_material(), data=data)


class MaterialFileView(MaterialMixin, ScopedViewMixin, View):
    """The blank form or sample of a material, for staff who may see the item (published or not yet): the
    link of the material's edit page (the public guide's download serves published items only)."""

    permission = "view"

    def get(self, request, pk, material_pk, kind):
        return material_file_response(self.get_material(), kind)


class MaterialDeleteView(MaterialMixin, ScopedViewMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk, material_pk):
        material = self.get_material()
        _run(
            request,
            lambda: services.material_remove(actor=request.user, material=material),
            _("申请材料已删除。"),
        )
        return redirect("catalog:item_detail", pk=self.get_item().pk)


# --- announcements ----------------------------------------------------------------------------------------


class AnnouncementListView(ScopedListView):
    model = Announcement
    template_name = "catalog/announcement_list.html"

    def get_queryset(self):
        queryset = super().get_queryset().select_related("org")
        category = self.request.GET.get("category", "")
        if category in AnnouncementCategory.values:
            queryset = queryset.filter(category=category)
        return queryset.order_by("-valid_from", "-id")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            categories=AnnouncementCategory.choices,
            category=self.request.GET.get("category", ""),
            can_add=has_permission(self.request.user, "catalog.add_announcement"),
            can_change=has_permission(self.request.user, "catalog.change_announcement"),
            can_publish=has_permission(self.request.user, "catalog.publish_announcement"),
            today=timezone.localdate(),
            **kwargs,
        )


class AnnouncementMixin:
    def get_announcement(self) -> Announcement:
        if not hasattr(self, "_announcement"):
            self._announcement = get_object_or_404(
                Announcement.objects.visible_to(self.request.user, self.required_permission()),
                pk=self.kwargs["pk"],
            )
        return self._announcement

    def get_success_url(self, result=None):
        return reverse("catalog:announcement_list")


class AnnouncementCreateView(AnnouncementMixin, ServiceFormView):
    model = Announcement
    permission = "add"
    form_class = AnnouncementForm
    template_name = "catalog/form.html"
    success_message = gettext_lazy("公告已保存为草稿，发布后在公众网站显示。")

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "orgs": _implementing_orgs(self.request.user, "catalog.add_announcement"),
        }

    def get_initial(self):
        return {"org": self.request.user.org_id}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("新建公告"), cancel_url=reverse("catalog:announcement_list"), **kwargs
        )

    def perform(self, form):
        data = dict(form.cleaned_data)
        org = data.pop("org")
        return services.announcement_create(actor=self.request.user, org=org, data=data)


class AnnouncementEditView(AnnouncementMixin, ServiceFormView):
    model = Announcement
    permission = "change"
    form_class = AnnouncementForm
    template_name = "catalog/form.html"
    success_message = gettext_lazy("公告已保存。")

    def get_form_kwargs(self):
        announcement = self.get_announcement()
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = announcement
        kwargs["orgs"] = OrgUnit.objects.filter(pk=announcement.org_id)
        return kwargs

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["org"].disabled = True
        return form

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("修改公告"), cancel_url=reverse("catalog:announcement_list"), **kwargs
        )

    def perform(self, form):
        data = dict(form.cleaned_data)
        data.pop("org", None)
        return services.announcement_update(
            actor=self.request.user, announcement=self.get_announcement(), data=data
        )


class AnnouncementPublishView(AnnouncementMixin, ScopedViewMixin, View):
    model = Announcement
    permission = "publish"
    http_method_names = ["post"]

    def post(self, request, pk):
        announcement = self.get_announcement()
        publish = request.POST.get("publish") == "1"
        _run(
            request,
            lambda: services.announcement_publish(
                actor=request.user, announcement=announcement, published=publish
            ),
            _("公告已发布。") if publish else _("公告已撤回。"),
        )
        return redirect("catalog:announcement_list")


# --- public lists -----------------------------------------------------------------------------------------


class PowerListView(CachedPublicPageMixin, PublicPageMixin, TemplateView):
    """权力清单: published items grouped by power type and implementing body (public, no login)."""

    scope_exempt = "public power list, published catalog items only"
    template_name = "catalog/power_list.html"
    title = gettext_lazy("权力清单")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=self.title, groups=selectors.power_list(), power_types=PowerType.choices, **kwargs
        )


class ResponsibilityListView(PowerListView):
    """责任清单: for each published item, the body's responsibilities and accountability."""

    scope_exempt = "public responsibility list, published catalog items only"
    template_name = "catalog/responsibility_list.html"
    title = gettext_lazy("责任清单")
