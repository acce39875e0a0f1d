"""数据字典 pages: the list of dictionaries, one dictionary's items, and the item forms."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from jiedao.core.exceptions import ServiceError
from jiedao.core.views import ScopedViewMixin, ServiceFormView
from jiedao.dictionaries import services
from jiedao.dictionaries.forms import DictionaryItemCreateForm, DictionaryItemForm
from jiedao.dictionaries.models import DictionaryItem, DictionaryType

SCOPE_EXEMPT = "platform-wide code tables; no org-scoped data"


class DictionaryViewMixin(ScopedViewMixin):
    scope_exempt = SCOPE_EXEMPT
    permission = "dictionaries.view_dictionaryitem"

    def get_type(self) -> DictionaryType:
        if not hasattr(self, "_dict_type"):
            self._dict_type = get_object_or_404(DictionaryType, code=self.kwargs["code"])
        return self._dict_type

    def get_item(self) -> DictionaryItem:
        return get_object_or_404(
            DictionaryItem.objects.select_related("type"), pk=self.kwargs["pk"], type=self.get_type()
        )

    def items_url(self) -> str:
        return reverse("dictionaries:item_list", args=[self.get_type().code])


class DictionaryTypeListView(DictionaryViewMixin, TemplateView):
    template_name = "dictionaries/type_list.html"

    def get_context_data(self, **kwargs):
        types = DictionaryType.objects.annotate(
            item_count=Count("items"), active_count=Count("items", filter=Q(items__is_active=True))
        )
        return super().get_context_data(types=types, **kwargs)


class DictionaryItemListView(DictionaryViewMixin, TemplateView):
    template_name = "dictionaries/item_list.html"

    def get_context_data(self, **kwargs):
        dict_type = self.get_type()
        items = dict_type.items.order_by("sort_order", "code")
        return super().get_context_data(dict_type=dict_type, items=items, **kwargs)


class DictionaryItemCreateView(DictionaryViewMixin, ServiceFormView):
    permission = "dictionaries.add_dictionaryitem"
    form_class = DictionaryItemCreateForm
    template_name = "dictionaries/item_form.html"
    success_message = gettext_lazy("字典项已新增。")

    def get_context_data(self, **kwargs):
        dict_type = self.get_type()
        return super().get_context_data(
            dict_type=dict_type,
            title=_("新增字典项：%(name)s") % {"name": dict_type.name},
            cancel_url=self.items_url(),
            **kwargs,
        )

    def perform(self, form):
        data = form.cleaned_data
        return services.dictionary_item_create(
            actor=self.request.user,
            type=self.get_type(),
            code=data["code"],
            name=data["name"],
            abbreviation=data["abbreviation"],
            sort_order=data["sort_order"],
        )

    def get_success_url(self, result=None):
        return self.items_url()


class DictionaryItemEditView(DictionaryViewMixin, ServiceFormView):
    permission = "dictionaries.change_dictionaryitem"
    form_class = DictionaryItemForm
    template_name = "dictionaries/item_form.html"
    success_message = gettext_lazy("字典项已保存。")

    def get_initial(self):
        item = self.get_item()
        return {"name": item.name, "abbreviation": item.abbreviation, "sort_order": item.sort_order}

    def get_context_data(self, **kwargs):
        item = self.get_item()
        return super().get_context_data(
            dict_type=item.type,
            item=item,
            title=_("修改字典项：%(name)s") % {"name": item.type.name},
            cancel_url=self.items_url(),
            **kwargs,
        )

    def perform(self, form):
        data = form.cleaned_data
        return services.dictionary_item_update(
            actor=self.request.user,
            item=self.get_item(),
            name=data["name"],
            abbreviation=data["abbreviation"],
            sort_order=data["sort_order"],
        )

    def get_success_url(self, result=None):
        return self.items_url()


class DictionaryItemActivationView(DictionaryViewMixin, View):
    permission = "dictionaries.change_dictionaryitem"
    http_method_names = ["post"]

    def post(self, request, code, pk):
        item = self.get_item()
        active = request.POST.get("active") == "1"
        try:
            services.dictionary_item_set_active(actor=request.user, item=item, active=active)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            template = _("已启用“%(code)s %(name)s”。") if active else _("已停用“%(code)s %(name)s”。")
            messages.success(request, template % {"code": item.code, "name": item.name})
        return redirect(self.items_url())
