"""人口信息: the searchable list, the person page with its timeline, registration, move-in, the life events
(death, move out, address change, special-group tags), migrant information and the audited reveal."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from jiedao.core import crypto
from jiedao.core.exceptions import OutOfScope, PermissionDenied
from jiedao.core.scope import has_permission
from jiedao.core.views import ScopedDetailView, ScopedViewMixin, ServiceFormView
from jiedao.dictionaries.selectors import label, labels
from jiedao.registry import services
from jiedao.registry.api.persons import evidence_response, photo_response
from jiedao.registry.choices import PersonStatus, ResidenceSplit
from jiedao.registry.models import (
    PERSON_LIST_ORDER,
    House,
    Household,
    HouseholdMember,
    LifeEvent,
    Migrant,
    Person,
    SpecialGroupTag,
)
from jiedao.registry.selectors import (
    ENCRYPTED_PERSON_FIELDS,
    houses_for,
    persons_for,
    search_persons,
)
from jiedao.registry.services.persons import MIGRANT_FIELDS, person_set_photo
from jiedao.registry.ui import forms
from jiedao.registry.ui.common import RegistryListView, ScopedObjectMixin, resolve_house
from jiedao.registry.ui.export import PersonalDataExport, choice_labels


class PersonListView(RegistryListView):
    model = Person
    title = gettext_lazy("人口信息")
    results_template = "registry/_person_results.html"
    filter_form_class = forms.PersonSearchForm
    export_url_name = "registry:person_export"
    create_url_name = "registry:person_create"
    create_permission = "registry.add_person"

    def get_queryset(self):
        form = self.get_filter_form()
        if form.is_bound and not form.is_valid():
            return Person.objects.none()
        criteria = form.criteria()
        return search_persons(self.request.user, criteria).order_by(*PERSON_LIST_ORDER)

    def page_rows(self, queryset):
        return queryset.defer(*ENCRYPTED_PERSON_FIELDS).select_related("org")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if has_permission(self.request.user, "registry.add_person"):
            context["extra_actions"] = [(reverse("registry:person_move_in"), _("迁入登记"))]
        return context


class PersonExportView(PersonalDataExport):
    model = Person
    filter_form_class = forms.PersonSearchForm
    list_url_name = "registry:person_list"
    list_label = gettext_lazy("人口信息")
    text_columns = (2, 5)

    def filtered(self, form):
        criteria = form.criteria()
        queryset = search_persons(self.request.user, criteria).order_by(*PERSON_LIST_ORDER)
        if self.shows_full():
            queryset = queryset.defer(None).select_related("org")
        return queryset

    def headers(self):
        return [
            _("姓名"),
            _("性别"),
            _("证件号码"),
            _("出生日期"),
            _("民族"),
            _("联系电话"),
            _("所属社区/网格"),
            _("现住址"),
            _("户籍地址"),
            _("人员状态"),
            _("文化程度"),
            _("政治面貌"),
            _("婚姻状况"),
            _("就业情况"),
        ]

    def rows(self, queryset):
        names = {
            kind: labels(kind)
            for kind in ("gender", "ethnicity", "education", "political_status", "marital_status")
        }
        statuses = choice_labels(PersonStatus.choices)
        for person in queryset.iterator(chunk_size=2000):
            id_number, phone = self.identity(person)
            yield [
                person.name,
                names["gender"].get(person.gender, person.gender),
                id_number,
                person.birth_date,
                names["ethnicity"].get(person.ethnicity, person.ethnicity),
                phone,
                person.org.name,
                person.residence_address,
                person.hukou_address,
                statuses.get(person.status, person.status),
                names["education"].get(person.education, person.education),
                names["political_status"].get(person.political_status, person.political_status),
                names["marital_status"].get(person.marital_status, person.marital_status),
                person.employment,
            ]


# 人户状态 in words on the person page (the category by `ResidenceRule`; "" a living person in none)
RESIDENCE_WORDS = {
    ResidenceSplit.CONSISTENT: gettext_lazy("人户一致：是所属社区户的成员，并居住在所属社区的房屋。"),
    ResidenceSplit.AWAY: gettext_lazy("户在人不在：是所属社区户的成员，但未居住在所属社区的登记房屋。"),
    ResidenceSplit.ELSEWHERE: gettext_lazy("人在户不在：居住在所属社区的房屋，但不是所属社区户的成员。"),
    "": gettext_lazy("未加入所属社区的户，也未关联所属社区的登记房屋。"),
}


def residence_words(person: Person) -> str:
    """The person's 人户状态 in words: one query; empty for a person not living here (not counted)."""
    if person.status != PersonStatus.LIVING:
        return ""
    split = (
        Person.objects.filter(pk=person.pk)
        .with_residence_split()
        .values_list("live_residence_split", flat=True)
        .first()
    )
    return str(RESIDENCE_WORDS[split or ""])


def _can(user, permission: str, person: Person) -> bool:
    """Whether `user` holds `permission` over this person (scope included)."""
    return has_permission(user, permission) and (
        Person.objects.visible_to(user, permission).filter(pk=person.pk).exists()
    )


def person_context(user, person: Person, *, forms_=None) -> dict:
    """What the person page shows: each related record only when the user may see that kind of record."""
    today = timezone.localdate()
    # The household checked row by row (EXISTS), not as a list of every household in scope (400,000 ids
    # gathered for one person's page in a district).
    household_visible = Household.objects.visible_to(user, "view").filter(pk=OuterRef("household_id"))
    membership = (
        HouseholdMember.objects.visible_to(user, "view")
        .filter(Exists(household_visible), person=person)
        .select_related("household", "household__head", "household__house")
        .first()
    )
    members = []
    if membership is not None:
        members = list(
            HouseholdMember.objects.filter(household=membership.household)
            .select_related("person")
            .defer(*(f"person__{f}" for f in ENCRYPTED_PERSON_FIELDS))
            .order_by("relation", "id")
        )
    house = None
    if person.house_id:
        house = House.objects.visible_to(user, "view").filter(pk=person.house_id).first()
    tags = list(
        SpecialGroupTag.objects.visible_to(user, "view").filter(person=person).order_by("-valid_from", "id")
    )
    # a merged record is read-only (`ensure_not_merged`): no edit buttons that could only be refused
    can_change = person.status != PersonStatus.MERGED and _can(user, "registry.change_person", person)
    living = person.status == PersonStatus.LIVING
    can_reveal = _can(user, "registry.view_full_person", person)
    for tag in tags:
        # a 残疾人证号 typed as the 依据: masked as the API and 特殊人群到期复核 show it, unless the clerk may
        # see this person's full data
        tag.evidence_shown = tag.evidence if can_reveal else crypto.mask_numbers(tag.evidence)
    context = {
        "person": person,
        "membership": membership,
        "members": members,
        "house": house,
        "migrant": Migrant.objects.visible_to(user, "view").filter(person=person).first(),
        "can_see_migrant": has_permission(user, "registry.view_migrant"),
        "active_tags": [t for t in tags if t.is_valid_on(today)],
        # a renewal's next period, not yet begun, soonest first; past ones are those ended before today
        "upcoming_tags": sorted(
            (t for t in tags if t.valid_from > today), key=lambda t: (t.valid_from, t.pk)
        ),
        "past_tags": [t for t in tags if t.valid_until is not None and t.valid_until < today],
        "can_see_tags": has_permission(user, "registry.view_specialgrouptag"),
        "events": LifeEvent.objects.visible_to(user, "view").filter(person=person).select_related("actor"),
        "can_see_events": has_permission(user, "registry.view_lifeevent"),
        "can_reveal": can_reveal,
        "can_change": can_change,
        "living": living,
        # the category says whether the person is a member of a household here: for household readers only
        "residence_words": residence_words(person) if has_permission(user, "registry.view_household") else "",
        "today": today,
    }
    if can_change:
        context.update(
            death_form=forms.DeathForm(initial={"died_on": today}),
            moveout_form=forms.MoveOutForm(initial={"moved_on": today}),
            address_form=forms.AddressChangeForm(
                initial={"house_relation": person.house_relation, "changed_on": today}
            ),
            tag_form=forms.TagAddForm(initial={"valid_from": today}),
            tagend_form=forms.TagEndForm(initial={"valid_until": today}),
            evidence_accept=forms.EVIDENCE_ACCEPT,
        )
    context.update(forms_ or {})
    return context


class PersonDetailView(ScopedDetailView):
    model = Person
    template_name = "registry/person_detail.html"

    def get_queryset(self):
        return persons_for(self.request.user).select_related("org", "created_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(person_context(self.request.user, self.object))
        renew = self.request.GET.get("renew", "")
        # from 特殊人群到期复核: that tag's 续期 form is shown open
        context["renew_tag"] = int(renew) if renew.isascii() and renew.isdigit() else None
        return context


class PersonRevealView(ScopedViewMixin, View):
    """POST: the full ID number and phone (audited). htmx swaps them into the page."""

    model = Person
    permission = "registry.view_full_person"
    http_method_names = ["post"]

    def post(self, request, pk):
        person = get_object_or_404(persons_for(request.user), pk=pk)
        try:
            revealed = services.person_reveal(actor=request.user, person=person)
        except OutOfScope:
            raise Http404(_("未找到该记录，或该记录不在您的管辖范围内。")) from None
        except PermissionDenied as error:
            raise DjangoPermissionDenied(str(error.message)) from None
        if request.htmx:
            response = render(
                request, "registry/_person_identity.html", {"person": person, "revealed": revealed}
            )
        else:
            context = person_context(request.user, person)
            context.update(object=person, revealed=revealed)
            response = render(request, "registry/person_detail.html", context)
        response["Cache-Control"] = "no-store"
        return response


# --- registration ------------------------------------------------------------------------------------------


def _person_data(user, form, *, person: Person | None = None) -> services.PersonData:
    data = form.cleaned_data
    house = resolve_house(user, data.get("house") or "")
    id_number = (data.get("id_number") or "").strip()
    phone = (data.get("phone") or "").strip()
    other_phones = (data.get("other_phones") or "").strip()
    if person is not None:
        id_number = id_number or person.id_number
        if not phone and not data.get("clear_phone"):
            phone = person.phone
        if not other_phones and not data.get("clear_other_phones"):
            other_phones = person.other_phones
    return services.PersonData(
        name=data["name"],
        id_number=id_number,
        org=data["org"],
        phone=phone,
        other_phones=other_phones,
        ethnicity=data.get("ethnicity") or "",
        education=data.get("education") or "",
        political_status=data.get("political_status") or "",
        marital_status=data.get("marital_status") or "",
        employment=data.get("employment") or "",
        house=house,
        house_relation=data["house_relation"],
        residence_address=data.get("residence_address") or "",
        hukou_address=data.get("hukou_address") or "",
        note=data.get("note") or "",
    )


def _save_photo(user, person: Person, form) -> None:
    """The photo of the person form, in the same transaction as the person: a bad photo saves nothing."""
    photo = form.cleaned_data.get("photo")
    if photo:
        person_set_photo(actor=user, person=person, photo=photo)
    elif form.cleaned_data.get("clear_photo") and person.photo:
        person_set_photo(actor=user, person=person, photo=None)


class PersonCreateView(ServiceFormView):
    model = Person
    permission = "add"
    form_class = forms.PersonForm
    template_name = "registry/person_form.html"
    success_message = gettext_lazy("居民已登记。")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        initial = {}
        house_id = self.request.GET.get("house")
        if house_id and house_id.isdigit():
            house = houses_for(self.request.user).filter(pk=house_id).first()
            if house is not None:
                initial.update(house=house.full_address, org=house.org_id)
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("登记居民"),
            cancel_url=reverse("registry:person_list"),
            form_intro=_("外地迁入或曾在本街道登记过的居民，请使用“迁入登记”。"),
            **kwargs,
        )

    def perform(self, form):
        with transaction.atomic():
            person = services.person_create(
                actor=self.request.user, data=_person_data(self.request.user, form)
            )
            _save_photo(self.request.user, person, form)
        return person

    def get_success_url(self, result=None):
        return reverse("registry:person_detail", args=[result.pk])


class PersonMoveInView(PersonCreateView):
    form_class = forms.MoveInForm
    success_message = gettext_lazy("迁入登记已完成。")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            title=_("迁入登记"),
            form_intro=_("曾在本系统登记并已迁出的居民，填写证件号码后将接续其原有记录。"),
        )
        return context

    def perform(self, form):
        with transaction.atomic():
            person = services.person_move_in(
                actor=self.request.user,
                data=_person_data(self.request.user, form),
                moved_on=form.cleaned_data["moved_on"],
                origin=form.cleaned_data["origin"],
            )
            _save_photo(self.request.user, person, form)
        return person


class PersonObjectMixin(ScopedObjectMixin):
    """A form about one person: the person must be within the scope of the view's permission (else 404)."""

    model = Person
    permission = "change"
    template_name = "registry/form.html"

    def target_queryset(self):
        return super().target_queryset().select_related("org")

    def get_person(self) -> Person:
        return self.get_target()

    def get_context_data(self, **kwargs):
        person = self.get_person()
        return super().get_context_data(
            subject=person,
            subject_label=_("居民：%(n)s（%(id)s）") % {"n": person.name, "id": person.id_number_masked},
            cancel_url=reverse("registry:person_detail", args=[person.pk]),
            **kwargs,
        )

    def get_success_url(self, result=None):
        return reverse("registry:person_detail", args=[self.get_person().pk])


class PersonEditView(PersonObjectMixin, ServiceFormView):
    form_class = forms.PersonForm
    template_name = "registry/person_form.html"
    success_message = gettext_lazy("居民信息已保存。")

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "user": self.request.user,
            "org_permission": "registry.change_person",
            "editing": True,
        }

    def get_initial(self):
        person = self.get_person()
        return {
            "name": person.name,
            "id_number_masked": person.id_number_masked,
            "phone_masked": person.phone_masked,
            "other_phones_masked": person.other_phones_masked,
            "has_photo": bool(person.photo),
            "org": person.org_id,
            "ethnicity": person.ethnicity,
            "education": person.education,
            "political_status": person.political_status,
            "marital_status": person.marital_status,
            "employment": person.employment,
            "house": person.house.full_address if person.house_id else "",
            "house_relation": person.house_relation,
            "residence_address": "" if person.house_id else person.residence_address,
            "hukou_address": person.hukou_address,
            "note": person.note,
            "updated_at": person.updated_at,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("修改居民信息"), **kwargs)

    def perform(self, form):
        person = self.get_person()
        with transaction.atomic():
            person = services.person_update(
                actor=self.request.user,
                person=person,
                data=_person_data(self.request.user, form, person=person),
                seen_updated_at=form.cleaned_data.get("updated_at"),
            )
            _save_photo(self.request.user, person, form)
        return person


class PersonDeathView(PersonObjectMixin, ServiceFormView):
    form_class = forms.DeathForm
    success_message = gettext_lazy("死亡登记已完成。")

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("死亡登记"), **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        return services.person_register_death(
            actor=self.request.user, person=self.get_person(), died_on=data["died_on"], note=data["note"]
        )


class PersonMoveOutView(PersonObjectMixin, ServiceFormView):
    form_class = forms.MoveOutForm
    success_message = gettext_lazy("迁出登记已完成。")

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("迁出登记"), **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        return services.person_move_out(
            actor=self.request.user,
            person=self.get_person(),
            moved_on=data["moved_on"],
            destination=data["destination"],
        )


class PersonAddressView(PersonObjectMixin, ServiceFormView):
    form_class = forms.AddressChangeForm
    success_message = gettext_lazy("住址已变更。")

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("地址变更"), **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        return services.person_change_address(
            actor=self.request.user,
            person=self.get_person(),
            house=resolve_house(self.request.user, data.get("house") or ""),
            relation=data["house_relation"],
            residence_address=data.get("residence_address") or "",
            changed_on=data.get("changed_on"),
        )


class PersonTagAddView(PersonObjectMixin, ServiceFormView):
    form_class = forms.TagAddForm
    template_name = "registry/person_form.html"
    success_message = gettext_lazy("已标记特殊人群。")

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("标记特殊人群"), **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        return services.tag_add(
            actor=self.request.user,
            person=self.get_person(),
            group=data["group"],
            valid_from=data["valid_from"],
            valid_until=data.get("valid_until"),
            evidence=data.get("evidence") or "",
            details=form.details(),
            evidence_file=data.get("evidence_file"),
        )


class PersonPhotoView(ScopedViewMixin, View):
    """GET: the photo of a person the user may view (else 404)."""

    model = Person

    def get(self, request, pk):
        return photo_response(get_object_or_404(persons_for(request.user), pk=pk))


class PersonTagEvidenceView(ScopedViewMixin, View):
    """GET: the evidence file of a special-group tag, for a user who may view the person's tags (else 404)."""

    model = SpecialGroupTag

    def get(self, request, pk, tag_pk):
        tag = get_object_or_404(self.get_queryset().filter(person_id=pk), pk=tag_pk)
        return evidence_response(tag)


class PersonTagMixin(PersonObjectMixin):
    """A form about one special-group tag of a person in scope (`tag_pk` of that person's, else 404)."""

    def get_tag(self) -> SpecialGroupTag:
        return get_object_or_404(
            SpecialGroupTag.objects.filter(person=self.get_person()), pk=self.kwargs["tag_pk"]
        )


class PersonTagEndView(PersonTagMixin, ServiceFormView):
    form_class = forms.TagEndForm
    success_message = gettext_lazy("已解除特殊人群标记。")

    def get_context_data(self, **kwargs):
        tag = self.get_tag()
        return super().get_context_data(
            title=_("解除特殊人群标记：%(g)s") % {"g": label("special_group", tag.group)}, **kwargs
        )

    def perform(self, form):
        data = form.cleaned_data
        return services.tag_end(
            actor=self.request.user,
            tag=self.get_tag(),
            valid_until=data["valid_until"],
            reason=data.get("reason") or "",
            seen_updated_at=data.get("updated_at"),
        )


class PersonMigrantView(PersonObjectMixin, ServiceFormView):
    form_class = forms.MigrantForm
    success_message = gettext_lazy("流动人口信息已保存。")

    def get_initial(self):
        migrant = Migrant.objects.filter(person=self.get_person()).first()
        if migrant is None:
            return {"arrival_date": timezone.localdate()}
        return {**{name: getattr(migrant, name) for name in MIGRANT_FIELDS}, "updated_at": migrant.updated_at}

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("流动人口信息"), **kwargs)

    def perform(self, form):
        data = dict(form.cleaned_data)
        seen = data.pop("updated_at", None)
        for name in ("origin_region_code", "reason", "permit_number", "employer", "landlord"):
            data[name] = data.get(name) or ""
        return services.migrant_register(
            actor=self.request.user,
            person=self.get_person(),
            data=services.MigrantData(**data),
            seen_updated_at=seen,
            # the page sends the version field empty when it showed no record: one registered since (by
            # another clerk) is not overwritten; a post without the field at all is not checked
            seen_unregistered=seen is None and "updated_at" in form.data,
        )
