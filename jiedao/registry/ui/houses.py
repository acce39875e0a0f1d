"""楼栋房屋: buildings (standard addresses) and houses with their residents (人房关联), households and
enterprises."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiedao.core.scope import has_permission
from jiedao.core.views import ScopedDetailView, ServiceFormView
from jiedao.registry import services
from jiedao.registry.building_grid import (
    UNREGISTERED_RENTAL,
    UNREGISTERED_RENTAL_SIGN,
    Occupancy,
    building_grid,
)
from jiedao.registry.choices import HouseRelation, HouseUse, Ownership, PersonStatus
from jiedao.registry.models import Building, Enterprise, House, Household, HouseVisit
from jiedao.registry.selectors import (
    ENCRYPTED_PERSON_FIELDS,
    houses_due_for_visit,
    persons_for,
    visit_due_cutoff,
)
from jiedao.registry.ui import forms
from jiedao.registry.ui.common import RegistryListView, ScopedObjectMixin
from jiedao.registry.ui.export import ExportView, choice_labels, yes_no_text

LOCATION_FIELDS = ("latitude", "longitude", "coordinate_system")


def _location(data) -> dict:
    return {name: data.get(name) for name in LOCATION_FIELDS}


# --- buildings ---------------------------------------------------------------------------------------------


def _buildings(queryset):
    return queryset.select_related("org").annotate(house_count=Count("houses"))


class BuildingListView(RegistryListView):
    model = Building
    title = gettext_lazy("楼栋")
    results_template = "registry/_building_results.html"
    filter_form_class = forms.BuildingSearchForm
    export_url_name = "registry:building_export"
    create_url_name = "registry:building_create"
    create_permission = "registry.add_building"
    ordering = ("street_address", "name")

    def page_rows(self, queryset):
        return _buildings(queryset)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_change"] = has_permission(self.request.user, "registry.change_building")
        context["can_see_houses"] = has_permission(self.request.user, "registry.view_house")
        return context


class BuildingDetailView(ScopedDetailView):
    """楼盘表: the building's rooms by floor and unit (`building_grid`)."""

    model = Building
    template_name = "registry/building_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("org")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            grid=building_grid(user, self.object, cutoff=visit_due_cutoff()),
            occupancies=Occupancy,
            unregistered_label=UNREGISTERED_RENTAL,
            unregistered_sign=UNREGISTERED_RENTAL_SIGN,
            can_see_houses=has_permission(user, "registry.view_house"),
            can_add_house=has_permission(user, "registry.add_house"),
            can_change=Building.objects.visible_to(user, "change").filter(pk=self.object.pk).exists(),
        )
        return context


class BuildingExportView(ExportView):
    model = Building
    filter_form_class = forms.BuildingSearchForm
    list_url_name = "registry:building_list"
    list_label = gettext_lazy("楼栋名单")

    def filtered(self, form):
        return super().filtered(form).order_by("street_address", "name")

    def base_queryset(self):
        return _buildings(self.get_queryset())

    def headers(self):
        return [
            _("门牌地址"),
            _("楼栋"),
            _("层数"),
            _("房屋数"),
            _("所属社区/网格"),
            _("纬度"),
            _("经度"),
            _("坐标系"),
        ]

    def rows(self, queryset):
        for building in queryset.iterator(chunk_size=2000):
            yield [
                building.street_address,
                building.name,
                building.floors,
                building.house_count,
                building.org.name,
                building.latitude,
                building.longitude,
                building.get_coordinate_system_display(),
            ]


class BuildingCreateView(ServiceFormView):
    model = Building
    permission = "add"
    form_class = forms.BuildingForm
    template_name = "registry/form.html"
    success_message = gettext_lazy("楼栋已登记。")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("登记楼栋"), cancel_url=reverse("registry:building_list"), **kwargs
        )

    def building_data(self, form) -> services.BuildingData:
        data = form.cleaned_data
        return services.BuildingData(
            org=data["org"],
            street_address=data["street_address"],
            name=data["name"],
            floors=data.get("floors"),
            **_location(data),
        )

    def perform(self, form):
        return services.building_create(actor=self.request.user, data=self.building_data(form))

    def get_success_url(self, result=None):
        return reverse("registry:house_list") + f"?building={result.pk}"


class BuildingEditView(ScopedObjectMixin, BuildingCreateView):
    permission = "change"
    success_message = gettext_lazy("楼栋已保存。")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "org_permission": "registry.change_building"}

    def get_initial(self):
        building = self.get_target()
        return {
            name: getattr(building, name)
            for name in ("street_address", "name", "floors", "org", *LOCATION_FIELDS)
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            title=_("修改楼栋"),
            subject_label=str(self.get_target()),
            form_intro=_("修改门牌地址或楼栋名称后，其下全部房屋的标准地址将随之更新。"),
        )
        return context

    def perform(self, form):
        return services.building_update(
            actor=self.request.user, building=self.get_target(), data=self.building_data(form)
        )


# --- houses ------------------------------------------------------------------------------------------------


def _houses(queryset):
    return queryset.select_related("org", "building").annotate(
        resident_count=Count("residents", filter=Q(residents__status=PersonStatus.LIVING))
    )


class HouseListView(RegistryListView):
    model = House
    title = gettext_lazy("楼栋房屋")
    results_template = "registry/_house_results.html"
    filter_form_class = forms.HouseSearchForm
    export_url_name = "registry:house_export"
    create_url_name = "registry:house_create"
    create_permission = "registry.add_house"
    ordering = ("full_address",)

    def page_rows(self, queryset):
        return _houses(queryset)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        extra = []
        if has_permission(self.request.user, "registry.view_building"):
            extra.append((reverse("registry:building_list"), _("楼栋")))
        if has_permission(self.request.user, "registry.view_housevisit"):
            extra.append((reverse("registry:house_visit_due"), _("待核查房屋")))
        context["extra_actions"] = extra
        form = self.get_filter_form()
        if form.is_bound and form.is_valid() and form.cleaned_data.get("building"):
            context["building"] = form.cleaned_data["building"]
            context["list_note"] = _("楼栋：%(b)s") % {"b": context["building"]}
            if context["create_url"]:
                context["create_url"] += f"?building={context['building'].pk}"
        return context


class HouseExportView(ExportView):
    model = House
    filter_form_class = forms.HouseSearchForm
    list_url_name = "registry:house_list"
    list_label = gettext_lazy("房屋名单")
    text_columns = (1, 2, 3, 4)

    def base_queryset(self):
        return _houses(self.get_queryset())

    def filtered(self, form):
        return super().filtered(form).order_by("full_address")

    def headers(self):
        # 楼栋地址 and 楼栋 apart, under the import's headers: the list exported, edited and imported back
        # updates the same houses (the import's key is built from these four columns).
        return [
            _("地址"),
            _("楼栋地址"),
            _("楼栋"),
            _("单元"),
            _("室号"),
            _("用途"),
            _("产权性质"),
            _("产权人"),
            _("建筑面积（㎡）"),
            _("出租"),
            _("现居住人数"),
            _("所属社区/网格"),
        ]

    def rows(self, queryset):
        uses, ownerships = choice_labels(HouseUse.choices), choice_labels(Ownership.choices)
        for house in queryset.iterator(chunk_size=2000):
            yield [
                house.full_address,
                house.building.street_address,
                house.building.name,
                house.unit,
                house.room,
                uses.get(house.use, house.use),
                ownerships.get(house.ownership, house.ownership),
                house.owner_name,
                house.area,
                yes_no_text(house.is_rented),
                house.resident_count,
                house.org.name,
            ]


class HouseDetailView(ScopedDetailView):
    model = House
    template_name = "registry/house_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("org", "building")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        house, user = self.object, self.request.user
        residents = list(
            persons_for(user)
            .filter(house=house, status=PersonStatus.LIVING)
            .order_by("house_relation", "name")
        )
        households = list(
            Household.objects.visible_to(user, "view")
            .filter(house=house, dissolved_on__isnull=True)
            .select_related("head")
            .defer(*(f"head__{f}" for f in ENCRYPTED_PERSON_FIELDS))
            .annotate(member_count=Count("members"))
        )
        context.update(
            residents=residents,
            tenant=HouseRelation.TENANT,
            can_see_persons=has_permission(user, "registry.view_person"),
            households=households,
            can_see_households=has_permission(user, "registry.view_household"),
            enterprises=list(Enterprise.objects.visible_to(user, "view").filter(house=house)),
            can_see_enterprises=has_permission(user, "registry.view_enterprise"),
            can_change=House.objects.visible_to(user, "change").filter(pk=house.pk).exists(),
            can_add_person=has_permission(user, "registry.add_person"),
            can_see_building=Building.objects.visible_to(user, "view").filter(pk=house.building_id).exists(),
        )
        context.update(self.visit_context(house, user))
        return context

    def visit_context(self, house: House, user) -> dict:
        """入户走访核查: the house's visits, newest first (the first is the 最近核查), and the form to record one."""
        can_see = has_permission(user, "registry.view_housevisit")
        visits = (
            list(HouseVisit.objects.visible_to(user, "view").filter(house=house).select_related("visited_by"))
            if can_see
            else []
        )
        can_add = House.objects.visible_to(user, "registry.add_housevisit").filter(pk=house.pk).exists()
        last = visits[0] if visits else None
        due = can_see and houses_due_for_visit(user).filter(pk=house.pk).exists()
        return {
            "can_see_visits": can_see,
            "visits": visits,
            "last_visit": last,
            "visit_due": due,  # as 待核查房屋 decides; the form is then unfolded
            "can_add_visit": can_add,
            "visit_form": forms.HouseVisitForm() if can_add else None,
        }


class HouseCreateView(ServiceFormView):
    model = House
    permission = "add"
    form_class = forms.HouseForm
    template_name = "registry/form.html"
    success_message = gettext_lazy("房屋已登记。")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        building = self.request.GET.get("building")
        return {"building": building} if building and building.isdigit() else {}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("登记房屋"), cancel_url=reverse("registry:house_list"), **kwargs
        )

    def house_data(self, form) -> services.HouseData:
        data = form.cleaned_data
        return services.HouseData(
            building=data["building"],
            room=data["room"],
            unit=data.get("unit") or "",
            use=data["use"],
            ownership=data["ownership"],
            owner_name=data.get("owner_name") or "",
            area=data.get("area"),
            is_rented=bool(data.get("is_rented")),
            **_location(data),
        )

    def perform(self, form):
        return services.house_create(actor=self.request.user, data=self.house_data(form))

    def get_success_url(self, result=None):
        return reverse("registry:house_detail", args=[result.pk])


class HouseEditView(ScopedObjectMixin, HouseCreateView):
    permission = "change"
    success_message = gettext_lazy("房屋信息已保存。")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "permission": "registry.change_house"}

    def get_initial(self):
        house = self.get_target()
        names = ("building", "unit", "room", "use", "ownership", "owner_name", "area", "is_rented")
        return {name: getattr(house, name) for name in (*names, *LOCATION_FIELDS)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            title=_("修改房屋信息"),
            subject_label=self.get_target().full_address,
            cancel_url=reverse("registry:house_detail", args=[self.get_target().pk]),
        )
        return context

    def perform(self, form):
        return services.house_update(
            actor=self.request.user, house=self.get_target(), data=self.house_data(form)
        )

    def get_success_url(self, result=None):
        return reverse("registry:house_detail", args=[self.get_target().pk])
