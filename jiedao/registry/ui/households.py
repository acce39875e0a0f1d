"""户籍管理: households with their members and relations; create, edit, add / remove members, change the
head, split and merge."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from jiedao.core.exceptions import OutOfScope, ServiceError, ValidationFailed
from jiedao.core.scope import has_permission
from jiedao.core.views import ScopedDetailView, ScopedViewMixin, ServiceFormView
from jiedao.registry import services
from jiedao.registry.choices import HouseholdKind
from jiedao.registry.models import Household, HouseholdMember, Person
from jiedao.registry.selectors import ENCRYPTED_PERSON_FIELDS, households_for, persons_for
from jiedao.registry.ui import forms
from jiedao.registry.ui.common import RegistryListView, ScopedObjectMixin, person_by_id_number, resolve_house
from jiedao.registry.ui.export import ExportView, choice_labels

DEFERRED_PERSON = tuple(f"person__{f}" for f in ENCRYPTED_PERSON_FIELDS)
# Changing the head, splitting and merging ask one relation per member. Up to this many members the household
# page carries those forms; a larger household (a collective one of 1,000 members made the page 13 MB and
# 19 s to render) links to each form's own page instead.
EMBEDDED_FORMS_MAX_MEMBERS = 30


def _listed(queryset):
    return (
        queryset.select_related("org", "head", "house")
        .defer(*(f"head__{f}" for f in ENCRYPTED_PERSON_FIELDS))
        .annotate(member_count=Count("members"))
    )


class HouseholdListView(RegistryListView):
    model = Household
    title = gettext_lazy("户籍管理")
    results_template = "registry/_household_results.html"
    filter_form_class = forms.HouseholdSearchForm
    export_url_name = "registry:household_export"
    create_url_name = "registry:household_create"
    create_permission = "registry.add_household"
    ordering = ("number",)

    def base_queryset(self):
        return households_for(self.request.user)

    def page_rows(self, queryset):
        return _listed(queryset)

    def get_queryset(self):
        queryset = super().get_queryset()
        if not self.get_filter_form().is_bound:  # by default, households still registered
            queryset = queryset.filter(dissolved_on__isnull=True)
        return queryset


class HouseholdExportView(ExportView):
    model = Household
    filter_form_class = forms.HouseholdSearchForm
    list_url_name = "registry:household_list"
    list_label = gettext_lazy("户籍名单")
    text_columns = (0,)

    def filtered(self, form):
        queryset = _listed(households_for(self.request.user))
        if form.is_bound:
            return form.apply(queryset).order_by("number")
        return queryset.filter(dissolved_on__isnull=True).order_by("number")

    def headers(self):
        return [
            _("户号"),
            _("户别"),
            _("户主"),
            _("人数"),
            _("户籍地址"),
            _("实际居住房屋"),
            _("所属社区/网格"),
            _("销户日期"),
        ]

    def rows(self, queryset):
        kinds = choice_labels(HouseholdKind.choices)
        for household in queryset.iterator(chunk_size=2000):
            yield [
                household.number,
                kinds.get(household.kind, household.kind),
                household.head.name if household.head_id else "",
                household.member_count,
                household.registered_address,
                household.house.full_address if household.house_id else "",
                household.org.name,
                household.dissolved_on,
            ]


class HouseholdDetailView(ScopedDetailView):
    model = Household
    template_name = "registry/household_detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("org", "house")
            .defer(*(f"head__{f}" for f in ENCRYPTED_PERSON_FIELDS))
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        household = self.object
        user = self.request.user
        members = list(
            HouseholdMember.objects.filter(household=household)
            .select_related("person")
            .defer(*DEFERRED_PERSON)
            .order_by("relation", "id")
        )
        can_change = (
            household.dissolved_on is None
            and Household.objects.visible_to(user, "change").filter(pk=household.pk).exists()
        )
        embedded = len(members) <= EMBEDDED_FORMS_MAX_MEMBERS
        context.update(members=members, can_change=can_change, forms_on_own_pages=not embedded)
        if can_change:
            several = len(members) > 1
            context.update(
                birth_form=forms.BirthForm() if has_permission(user, "registry.add_person") else None,
                member_form=forms.MemberAddForm(
                    candidates=forms.household_candidates(persons_for(user), household.org)
                ),
                head_form=forms.HeadChangeForm(household=household) if several and embedded else None,
                split_form=forms.SplitForm(household=household) if several and embedded else None,
                merge_form=forms.MergeForm(household=household) if embedded else None,
                can_change_head=several,
            )
        return context


class HouseholdCreateView(ServiceFormView):
    model = Household
    permission = "add"
    form_class = forms.HouseholdCreateForm
    template_name = "registry/form.html"
    success_message = gettext_lazy("已立户。")

    def get_form_kwargs(self):
        candidates = forms.household_candidates(persons_for(self.request.user)).only(
            "pk", "name", "id_number_masked"
        )
        return {**super().get_form_kwargs(), "user": self.request.user, "candidates": candidates}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("立户"), cancel_url=reverse("registry:household_list"), **kwargs
        )

    def perform(self, form):
        user, data = self.request.user, form.cleaned_data
        head, lookup_errors = data.get("head"), {}
        if head is None:
            try:
                head = person_by_id_number(user, data.get("id_number"), persons_for(user))
            except ValidationFailed as not_found:
                lookup_errors = not_found.errors
        try:
            return services.household_create(
                actor=user,
                org=data["org"],
                number=data["number"],
                registered_address=data["registered_address"],
                head=head,
                kind=data["kind"],
                house=resolve_house(user, data.get("house") or ""),
            )
        except ValidationFailed as refused:
            if not lookup_errors:
                raise
            # The ID number that found nobody, with the rest of the form's errors in the same round.
            others = {field: messages for field, messages in refused.errors.items() if field != "head"}
            raise ValidationFailed({**others, **lookup_errors}) from None

    def get_success_url(self, result=None):
        return reverse("registry:household_detail", args=[result.pk])


class HouseholdObjectMixin(ScopedObjectMixin):
    model = Household
    permission = "change"
    template_name = "registry/form.html"

    def target_queryset(self):
        return super().target_queryset().filter(dissolved_on__isnull=True).select_related("org")

    def get_context_data(self, **kwargs):
        household = self.get_target()
        return super().get_context_data(
            subject_label=_("户号：%(n)s") % {"n": household.number},
            cancel_url=reverse("registry:household_detail", args=[household.pk]),
            **kwargs,
        )

    form_takes_household = True

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.form_takes_household:
            kwargs["household"] = self.get_target()
        return kwargs

    def get_success_url(self, result=None):
        return reverse("registry:household_detail", args=[self.get_target().pk])


class HouseholdEditView(HouseholdObjectMixin, ServiceFormView):
    form_class = forms.HouseholdEditForm
    success_message = gettext_lazy("户信息已保存。")
    form_takes_household = False

    def get_initial(self):
        household = self.get_target()
        return {
            "registered_address": household.registered_address,
            "kind": household.kind,
            "house": household.house.full_address if household.house_id else "",
            "updated_at": household.updated_at,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("修改户信息"), **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        return services.household_update(
            actor=self.request.user,
            household=self.get_target(),
            registered_address=data["registered_address"],
            kind=data["kind"],
            house=resolve_house(self.request.user, data.get("house") or ""),
            seen_updated_at=data.get("updated_at"),
        )


class HouseholdMemberAddView(HouseholdObjectMixin, ServiceFormView):
    form_class = forms.MemberAddForm
    success_message = gettext_lazy("已入户。")
    form_takes_household = False

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["candidates"] = forms.household_candidates(
            persons_for(self.request.user), self.get_target().org
        )
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("添加户成员"), **kwargs)

    def perform(self, form):
        user, data = self.request.user, form.cleaned_data
        person = data.get("person") or person_by_id_number(user, data.get("id_number"), persons_for(user))
        return services.household_add_member(
            actor=user, household=self.get_target(), person=person, relation=data["relation"]
        )


class HouseholdBirthView(HouseholdObjectMixin, ServiceFormView):
    """出生登记: the newborn is registered (timeline: 出生, on the birth date) and joins this household."""

    form_class = forms.BirthForm
    success_message = gettext_lazy("出生登记已完成。")
    form_takes_household = False

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("出生登记"), submit_label=_("登记出生"), **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        newborn = services.PersonData(
            name=data["name"],
            id_number=data["id_number"],
            org=None,  # the service registers the newborn in the household's community
            gender=data["gender"],
            birth_date=data["birth_date"],
            ethnicity=data.get("ethnicity") or "",
        )
        return services.person_register_birth(
            actor=self.request.user, household=self.get_target(), data=newborn, relation=data["relation"]
        )

    def get_success_url(self, result=None):
        return reverse("registry:person_detail", args=[result.pk])


class HouseholdMemberRemoveView(ScopedObjectMixin, ScopedViewMixin, View):
    model = Household
    permission = "change"
    http_method_names = ["post"]

    def post(self, request, pk, person_pk):
        household = self.get_target()
        person = get_object_or_404(Person.objects.filter(membership__household=household), pk=person_pk)
        try:
            services.household_remove_member(actor=request.user, household=household, person=person)
        except OutOfScope:
            raise Http404 from None
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(n)s 已出户。") % {"n": person.name})
        return redirect("registry:household_detail", pk=household.pk)


class HouseholdHeadChangeView(HouseholdObjectMixin, ServiceFormView):
    form_class = forms.HeadChangeForm
    success_message = gettext_lazy("户主已变更。")

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("变更户主"), **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        return services.household_change_head(
            actor=self.request.user,
            household=self.get_target(),
            new_head=data["new_head"],
            old_head_relation=data["old_head_relation"],
            relations=form.relations(),
        )


class HouseholdSplitView(HouseholdObjectMixin, ServiceFormView):
    form_class = forms.SplitForm
    success_message = gettext_lazy("已分户。")

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("分户"), **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        return services.household_split(
            actor=self.request.user,
            household=self.get_target(),
            persons=list(data.get("persons") or []),
            new_number=data["new_number"],
            new_head=data["new_head"],
            relations=form.relations(),
            registered_address=data.get("registered_address") or "",
        )

    def get_success_url(self, result=None):
        return reverse("registry:household_detail", args=[result.pk])


class HouseholdMergeView(HouseholdObjectMixin, ServiceFormView):
    form_class = forms.MergeForm
    success_message = gettext_lazy("已并户。")

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("并入其他户"), **kwargs)

    def perform(self, form):
        source = self.get_target()
        number = form.cleaned_data["target_number"].strip()
        target = (
            households_for(self.request.user, "change")
            .filter(number=number, dissolved_on__isnull=True)
            .first()  # the household itself too: the service refuses it with its own message
        )
        if target is None:
            raise ValidationFailed(
                {"target_number": [_("在您的管辖范围内未找到在册的户 %(n)s。") % {"n": number}]}
            )
        return services.household_merge(
            actor=self.request.user, source=source, target=target, relations=form.relations()
        )

    def get_success_url(self, result=None):
        return reverse("registry:household_detail", args=[result.pk])
