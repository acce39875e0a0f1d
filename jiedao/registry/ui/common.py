"""Pieces shared by the registry pages: list views with an htmx-swapped result table, org and house fields,
and look-ups that turn what a clerk types (an address, an ID number) into a record in their scope."""

from __future__ import annotations

import re

from django import forms
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiedao.core import crypto
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.forms import StyledFormMixin
from jiedao.core.scope import has_permission
from jiedao.core.views import ScopedListView
from jiedao.registry.identity import id_number_hash, lookup_hash_for_query
from jiedao.registry.models import House, Person
from jiedao.registry.paging import LateRowPaginator
from jiedao.registry.selectors import number_condition
from jiedao.registry.validators import InvalidNumber, parse_id_number, parse_phone

YES_NO = [("", gettext_lazy("全部")), ("yes", gettext_lazy("是")), ("no", gettext_lazy("否"))]


def date_field(label, *, required=True, help_text="", **kwargs):
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        **kwargs,
    )


def yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


class OrgChoiceField(forms.ModelChoiceField):
    """A community or grid; grids are indented under their community."""

    def label_from_instance(self, obj):
        return ("└ " if obj.level > 3 else "") + obj.name


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def resolve_house(user, text: str, *, field: str = "house", action: str = "view") -> House | None:
    """The house whose standard address is `text` among the houses the user may see; "" gives None."""
    address = squash(text)
    if not address:
        return None
    house = House.objects.visible_to(user, action).filter(full_address=address).first()
    if house is None:
        raise ValidationFailed(
            {field: [_("未找到房屋“%(a)s”，请核对标准地址，或先登记楼栋和房屋。") % {"a": address}]}
        )
    return house


def person_by_id_number(user, raw: str, queryset=None, *, field: str = "id_number") -> Person:
    """A person of `queryset` (default: those the user may see) looked up by the blind index of their ID
    number; a malformed number gets the validator's Chinese message."""
    try:
        number = parse_id_number(raw or "").number
    except InvalidNumber as error:
        raise ValidationFailed({field: [error.message]}) from None
    queryset = queryset if queryset is not None else Person.objects.visible_to(user, "view")
    # the number of a merged record (已合并) finds the record it was merged into
    person = queryset.filter(number_condition("id", id_number_hash(number))).unmerged().first()
    if person is None:
        raise ValidationFailed({field: [_("在您的管辖范围内未找到该证件号码对应的居民。")]})
    return person


def masked_term(text: str) -> str:
    """A search term as it may be logged: an ID number or phone number is masked, anything else kept."""
    term = text.strip()
    try:
        return crypto.mask_id_number(parse_id_number(term).number)
    except InvalidNumber:
        pass
    try:
        return crypto.mask_phone(parse_phone(term).national)
    except InvalidNumber:
        return term


class FilterForm(StyledFormMixin, forms.Form):
    """A list's filter: `apply(queryset)` narrows it, `describe()` says in words what was asked for."""

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def apply(self, queryset):  # pragma: no cover - defined by each form
        raise NotImplementedError

    def describe(self) -> dict[str, str]:
        """label → value of each criterion given; an ID or phone number typed as a search term is masked
        (the description goes into the audit log, which never holds full numbers)."""
        if not self.is_valid():
            return {}
        described = {}
        for name, value in self.cleaned_data.items():
            if value in (None, "", [], ()):
                continue
            field = self.fields[name]
            if isinstance(field, forms.ModelChoiceField):
                text = str(value)
            elif isinstance(field, forms.MultipleChoiceField):
                labels = dict(field.choices)
                text = "、".join(str(labels.get(v, v)) for v in value)
            elif isinstance(field, forms.ChoiceField):
                text = str(dict(field.choices).get(value, value))
            elif isinstance(value, str):
                text = masked_term(value)
            else:
                text = str(value)
            described[str(field.label)] = text
        return described


class RegistryListView(ScopedListView):
    """A filtered list. With htmx (`HX-Target: results`) only the result table is sent back.

    `get_queryset()` is the filtered, ordered list (counted and paged by key, `registry.paging`); `page_rows()`
    adds to one page's rows what the table shows besides their own columns (joins, counts).
    """

    template_name = "registry/list.html"
    results_template = ""
    filter_form_class: type[FilterForm] | None = None
    export_url_name = ""
    create_url_name = ""
    create_permission = ""
    title = ""
    ordering = None

    def get_filter_form(self):
        if not hasattr(self, "_filter_form"):
            self._filter_form = self.filter_form_class(self.request.GET or None, user=self.request.user)
        return self._filter_form

    def base_queryset(self):
        return super().get_queryset()

    def page_rows(self, queryset):
        """The rows of one page (a queryset of at most `paginate_by` keys) as the table shows them."""
        return queryset

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        return LateRowPaginator(
            queryset, per_page, orphans, allow_empty_first_page, rows_for=self.page_rows, **kwargs
        )

    def paginate_queryset(self, queryset, page_size):
        """As Django's, but a page past the end (a bookmarked `?page=9999` of a list that has since shrunk)
        shows the last page, and one that is no number the first, instead of a 404."""
        paginator = self.get_paginator(
            queryset,
            page_size,
            orphans=self.get_paginate_orphans(),
            allow_empty_first_page=self.get_allow_empty(),
        )
        asked = self.kwargs.get(self.page_kwarg) or self.request.GET.get(self.page_kwarg) or 1
        page = paginator.get_page(paginator.num_pages if asked == "last" else asked)
        return (paginator, page, page.object_list, page.has_other_pages())

    def get_queryset(self):
        queryset = self.base_queryset()
        form = self.get_filter_form()
        if form.is_bound:
            queryset = form.apply(queryset) if form.is_valid() else queryset.none()
        if self.ordering:
            queryset = queryset.order_by(*self.ordering)
        return queryset

    def get_template_names(self):
        if getattr(self.request, "htmx", False) and self.request.htmx.target == "results":
            return [self.results_template]
        return [self.template_name]

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        patch_vary_headers(response, ("HX-Request", "HX-Target"))
        if any(lookup_hash_for_query(value) for value in self.request.GET.values() if value.strip()):
            # An ID or phone number typed into the search stays out of the address bar and history.
            response["HX-Push-Url"] = "false"
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        query = params.urlencode()
        user = self.request.user
        context.update(
            title=self.title,
            filter_form=self.get_filter_form(),
            results_template=self.results_template,
            list_url=self.request.path,
            export_url=(reverse(self.export_url_name) + (f"?{query}" if query else ""))
            if self.export_url_name
            else "",
            create_url=reverse(self.create_url_name)
            if self.create_url_name and has_permission(user, self.create_permission)
            else "",
            total=context["paginator"].count if context.get("paginator") else len(context["object_list"]),
        )
        return context


class ScopedObjectMixin:
    """A page about one record: the record must lie within the scope of the view's permission, else 404."""

    def target_queryset(self):
        return self.model.objects.visible_to(self.request.user, self.required_permission())

    def get_target(self):
        if not hasattr(self, "_target"):
            self._target = get_object_or_404(self.target_queryset(), pk=self.kwargs["pk"])
        return self._target

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and has_permission(request.user, self.required_permission()):
            self.get_target()
        return super().dispatch(request, *args, **kwargs)
