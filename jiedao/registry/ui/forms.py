"""Forms of the registry pages. They only shape input: every rule is checked by the services, whose errors
come back next to the fields (see `ServiceFormView`)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.core.forms import StyledForm
from jiedao.dictionaries import selectors as dictionaries
from jiedao.registry.building_grid import UNREGISTERED_RENTAL, unregistered_rentals
from jiedao.registry.choices import (
    CoordinateSystem,
    EnterpriseStatus,
    HouseholdKind,
    HouseRelation,
    HouseUse,
    Ownership,
    PersonStatus,
    ResidenceSplit,
    VisitResult,
)
from jiedao.registry.models import PERSON_LIST_ORDER, Building, HouseholdMember, Person
from jiedao.registry.selectors import (
    PersonFilter,
    address_condition,
    community_choices,
    migrant_term_condition,
    name_condition,
    person_filters_refused,
    persons_for,
    visit_due_cutoff,
)
from jiedao.registry.services.households import HEAD_RELATION
from jiedao.registry.services.houses import MAX_BUILDING_FLOORS
from jiedao.registry.services.persons import DISABLED_GROUP
from jiedao.registry.ui.common import YES_NO, FilterForm, OrgChoiceField, date_field, squash, yes_no
from jiedao.registry.validators import (
    InvalidNumber,
    clean_person_name,
    parse_id_number,
    parse_phone,
    parse_uscc,
)

ALL = [("", _("全部"))]
ALL_STATUSES = "all"
UNREGISTERED = "unregistered"  # 是否出租 = 出租无人登记
PHOTO_HELP = _("JPG、PNG、WebP 或 HEIC 照片；保存时按拍摄方向转正，并去除拍摄地点等附加信息。")
# What the pickers offer (by type, so a phone offers its gallery and camera; by extension for file managers):
# the photos phones make, and PDFs for evidence. The service decides by content (`core.uploads.prepare`).
PHOTO_ACCEPT = (
    "image/jpeg,image/png,image/webp,image/heic,image/heif,image/avif,.jpg,.jpeg,.png,.webp,.heic,.heif,.avif"
)
EVIDENCE_ACCEPT = "application/pdf,.pdf," + PHOTO_ACCEPT


# 本人: the head as seen from himself. Neither it nor 户主 is the relation of another member to the head.
SELF_RELATION = "01"


def _relation_choices(*, blank=True, exclude_head=False):
    """The relation dictionary (GB/T 4761); `exclude_head` for a member who is not the head: without 户主
    and 本人."""
    excluded = {HEAD_RELATION, SELF_RELATION} if exclude_head else set()

    def build():
        return [(c, n) for c, n in dictionaries.choices("relation", blank=blank) if c not in excluded]

    return build


class IdPrefixedForm(StyledForm):
    """Several forms share the person page: each gets its own element ids."""

    id_prefix = ""

    def __init__(self, *args, **kwargs):
        if self.id_prefix:
            kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)
        if self.id_prefix:
            for name, field in self.fields.items():
                if field.help_text:
                    field.widget.attrs["aria-describedby"] = f"id_{self.id_prefix}_{name}_help"


# --- filters ---------------------------------------------------------------------------------------------


class PersonSearchForm(FilterForm):
    q = forms.CharField(
        label=_("姓名 / 证件号码 / 电话"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("姓名、拼音、首字母、完整证件号码或电话"),
                "autofocus": True,
            }
        ),
    )
    address = forms.CharField(label=_("地址包含"), required=False, max_length=100)
    org = OrgChoiceField(label=_("社区/网格"), queryset=None, required=False, empty_label=_("全部"))
    # By default the persons living here, as on the migrant list and the workbench; 全部 includes the dead
    # and those who moved out. "" (a link without status) means 现居住 too.
    status = forms.ChoiceField(
        label=_("人员状态"),
        choices=[PersonStatus.choices[0], (ALL_STATUSES, _("全部")), *PersonStatus.choices[1:]],
        initial=PersonStatus.LIVING,
        required=False,
    )
    gender = forms.ChoiceField(label=_("性别"), required=False)
    tags = forms.MultipleChoiceField(label=_("特殊人群"), required=False)
    age_min = forms.IntegerField(label=_("年龄自"), required=False, min_value=0, max_value=150)
    age_max = forms.IntegerField(label=_("年龄至"), required=False, min_value=0, max_value=150)
    migrant = forms.ChoiceField(label=_("流动人口"), choices=YES_NO, required=False)
    residence_split = forms.ChoiceField(
        label=_("人户状态"), choices=ALL + ResidenceSplit.choices, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = community_choices(self.user, "registry.view_person")
        self.fields["gender"].choices = ALL + dictionaries.choices("gender")
        self.fields["tags"].choices = dictionaries.choices("special_group")
        for name in person_filters_refused(self.user):
            del self.fields[name]

    def clean(self):
        data = super().clean()
        low, high = data.get("age_min"), data.get("age_max")
        if low is not None and high is not None and low > high:
            self.add_error("age_max", _("年龄上限不能小于下限。"))
        return data

    def criteria(self) -> PersonFilter:
        """What to search for; an unbound form (the page as first opened) lists the persons living here."""
        data = self.cleaned_data if self.is_bound else {}
        status = data.get("status") or PersonStatus.LIVING
        return PersonFilter(
            q=data.get("q") or "",
            address=data.get("address") or "",
            org=data.get("org"),
            status="" if status == ALL_STATUSES else status,
            gender=data.get("gender") or "",
            tags=list(data.get("tags") or []),
            age_min=data.get("age_min"),
            age_max=data.get("age_max"),
            migrant=yes_no(data.get("migrant")),
            residence_split=data.get("residence_split") or "",
        )


class HouseholdSearchForm(FilterForm):
    q = forms.CharField(
        label=_("户号 / 户主姓名"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    org = OrgChoiceField(label=_("社区/网格"), queryset=None, required=False, empty_label=_("全部"))
    dissolved = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("在册")), ("yes", _("已销户")), ("all", _("全部"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = community_choices(self.user, "registry.view_household")

    def apply(self, queryset):
        data = self.cleaned_data
        term = (data.get("q") or "").strip()
        if term:
            head_names = name_condition(term)
            queryset = queryset.filter(Q(number__startswith=term) | Q(head__in=self._heads(head_names)))
        if data.get("org") is not None:
            queryset = queryset.filter(org__path__startswith=data["org"].path)
        if data.get("dissolved") == "yes":
            queryset = queryset.filter(dissolved_on__isnull=False)
        elif data.get("dissolved") != "all":
            queryset = queryset.filter(dissolved_on__isnull=True)
        return queryset

    def _heads(self, condition):
        return persons_for(self.user).filter(condition).values("pk")


class BuildingSearchForm(FilterForm):
    q = forms.CharField(
        label=_("门牌地址"), required=False, max_length=100, widget=forms.TextInput(attrs={"type": "search"})
    )
    org = OrgChoiceField(label=_("社区/网格"), queryset=None, required=False, empty_label=_("全部"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = community_choices(self.user, "registry.view_building")

    def apply(self, queryset):
        data = self.cleaned_data
        term = squash(data.get("q") or "")
        if term:
            queryset = queryset.filter(Q(street_address__contains=term) | Q(name__startswith=term))
        if data.get("org") is not None:
            queryset = queryset.filter(org__path__startswith=data["org"].path)
        return queryset


class HouseLocationFilterForm(FilterForm):
    """Where the houses are: an address fragment, a community or grid, and (楼盘表's links) one building, each
    among those the reader reaches through `permission`."""

    permission = "registry.view_house"

    q = forms.CharField(
        label=_("地址包含"), required=False, max_length=100, widget=forms.TextInput(attrs={"type": "search"})
    )
    org = OrgChoiceField(label=_("社区/网格"), queryset=None, required=False, empty_label=_("全部"))
    building = forms.ModelChoiceField(
        label=_("楼栋"), queryset=Building.objects.none(), required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = community_choices(self.user, self.permission)
        self.fields["building"].queryset = Building.objects.visible_to(self.user, self.permission)

    def apply(self, queryset):
        data = self.cleaned_data
        term = squash(data.get("q") or "")
        if term:
            queryset = queryset.filter(full_address__contains=term)
        if data.get("org") is not None:
            queryset = queryset.filter(org__path__startswith=data["org"].path)
        if data.get("building") is not None:
            queryset = queryset.filter(building=data["building"])
        return queryset


class HouseSearchForm(HouseLocationFilterForm):
    use = forms.ChoiceField(label=_("用途"), choices=ALL + HouseUse.choices, required=False)
    rented = forms.ChoiceField(
        label=_("是否出租"), choices=[*YES_NO, (UNREGISTERED, UNREGISTERED_RENTAL)], required=False
    )

    def apply(self, queryset):
        queryset = super().apply(queryset)
        data = self.cleaned_data
        if data.get("use"):
            queryset = queryset.filter(use=data["use"])
        rented = yes_no(data.get("rented"))
        if rented is not None:
            queryset = queryset.filter(is_rented=rented)
        elif data.get("rented") == UNREGISTERED:  # the rooms to visit: 楼盘表's 走访名单
            queryset = queryset.filter(unregistered_rentals())
        return queryset


class VisitDueSearchForm(HouseLocationFilterForm):
    """The filter of 待核查房屋: where (楼盘表 links one building), why the house is due, and the order."""

    permission = "registry.view_housevisit"
    NEVER, STALE, NO_ANSWER = "never", "stale", "no_answer"
    OLDEST, ADDRESS = "oldest", "address"

    reason = forms.ChoiceField(
        label=_("待核查原因"),
        choices=[
            ("", _("全部")),
            (NEVER, _("从未核查")),
            (STALE, _("超过核查周期")),
            (NO_ANSWER, _("上次无人应门")),
        ],
        required=False,
    )
    sort = forms.ChoiceField(
        label=_("排序"),
        choices=[(OLDEST, _("最久未核查在前")), (ADDRESS, _("按地址"))],
        required=False,
    )

    def apply(self, queryset):
        queryset = super().apply(queryset)
        reason = self.cleaned_data.get("reason")
        if reason == self.NEVER:
            queryset = queryset.filter(last_visited_on__isnull=True)
        elif reason == self.STALE:
            queryset = queryset.filter(last_visited_on__lt=visit_due_cutoff())
        elif reason == self.NO_ANSWER:
            queryset = queryset.filter(last_visit_result=VisitResult.NO_ANSWER)
        if self.cleaned_data.get("sort") == self.ADDRESS:
            queryset = queryset.order_by("full_address")
        return queryset


class TagReviewSearchForm(FilterForm):
    """The filter of 特殊人群到期复核: where, and which group (低保 reviewed by one clerk, 残疾 by another)."""

    org = OrgChoiceField(label=_("社区/网格"), queryset=None, required=False, empty_label=_("全部"))
    group = forms.ChoiceField(label=_("人群类别"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = community_choices(self.user, "registry.view_specialgrouptag")
        self.fields["group"].choices = [("", _("全部")), *dictionaries.choices("special_group", blank=False)]

    def apply(self, queryset):
        data = self.cleaned_data
        if data.get("org") is not None:
            queryset = queryset.filter(person__org__path__startswith=data["org"].path)
        if data.get("group"):
            queryset = queryset.filter(group=data["group"])
        return queryset


class EnterpriseSearchForm(FilterForm):
    q = forms.CharField(
        label=_("名称 / 统一社会信用代码"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("名称开头或完整的信用代码")}),
    )
    org = OrgChoiceField(label=_("社区/网格"), queryset=None, required=False, empty_label=_("全部"))
    status = forms.ChoiceField(label=_("经营状态"), choices=ALL + EnterpriseStatus.choices, required=False)
    industry = forms.CharField(label=_("行业"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = community_choices(self.user, "registry.view_enterprise")

    def apply(self, queryset):
        data = self.cleaned_data
        term = (data.get("q") or "").strip()
        if term:
            try:
                queryset = queryset.filter(uscc=parse_uscc(term).code)
            except InvalidNumber:
                queryset = queryset.filter(name__startswith=term)
        if data.get("org") is not None:
            queryset = queryset.filter(org__path__startswith=data["org"].path)
        if data.get("status"):
            queryset = queryset.filter(status=data["status"])
        if (data.get("industry") or "").strip():
            queryset = queryset.filter(industry__contains=data["industry"].strip())
        return queryset


class MigrantSearchForm(FilterForm):
    PERMIT_CHOICES = [
        ("", _("全部")),
        ("expiring", _("30 天内到期")),
        ("expired", _("已过期")),
        ("none", _("未办居住证")),
    ]
    q = forms.CharField(
        label=_("姓名 / 证件号码 / 电话"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    address = forms.CharField(label=_("地址包含"), required=False, max_length=100)
    org = OrgChoiceField(label=_("社区/网格"), queryset=None, required=False, empty_label=_("全部"))
    permit = forms.ChoiceField(label=_("居住证"), choices=PERMIT_CHOICES, required=False)
    status = forms.ChoiceField(
        label=_("人员状态"),
        choices=[("", _("现居住")), ("all", _("全部")), *PersonStatus.choices[1:]],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = community_choices(self.user, "registry.view_migrant")

    def apply(self, queryset):
        data = self.cleaned_data
        term = (data.get("q") or "").strip()
        if term:
            queryset = queryset.filter(migrant_term_condition(term))
        if (data.get("address") or "").strip():
            queryset = queryset.filter(person__in=self._persons(address_condition(data["address"])))
        if data.get("org") is not None:
            queryset = queryset.filter(person__org__path__startswith=data["org"].path)
        status = data.get("status") or ""
        if status == "":
            queryset = queryset.filter(person__status=PersonStatus.LIVING)
        elif status == "all":
            queryset = queryset.filter(Person.unmerged_condition("person__"))
        else:
            queryset = queryset.filter(person__status=status)
        today = timezone.localdate()
        permit = data.get("permit")
        if permit == "expiring":
            queryset = queryset.filter(
                permit_valid_until__gte=today, permit_valid_until__lte=today + timedelta(days=30)
            )
        elif permit == "expired":
            queryset = queryset.filter(permit_valid_until__lt=today)
        elif permit == "none":
            queryset = queryset.filter(permit_valid_until__isnull=True)
        return queryset

    def _persons(self, condition):
        return Person.objects.filter(condition).values("pk")


# --- persons ---------------------------------------------------------------------------------------------


def _checked_number(form, name: str, check):
    """A field the service checks again with everything else: checked in the form too, a number typed wrong
    is reported together with a required field left empty, not only once that field is filled in."""
    value = form.cleaned_data.get(name)
    if value:
        try:
            check(value)
        except InvalidNumber as error:
            raise forms.ValidationError(error.message) from None
    return value


class PersonForm(StyledForm):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(
        label=_("证件号码"),
        max_length=30,
        help_text=_("居民身份证、港澳台居民居住证或外国人永久居留身份证号码；出生日期和性别由号码得出。"),
    )
    org = OrgChoiceField(label=_("所属社区/网格"), queryset=None)
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    other_phones = forms.CharField(
        label=_("其他联系电话"),
        max_length=200,
        required=False,
        help_text=_("可填多个，用顿号、逗号或空格分隔。"),
    )
    photo = forms.FileField(
        label=_("照片"),
        required=False,
        help_text=PHOTO_HELP,
        widget=forms.FileInput(attrs={"accept": PHOTO_ACCEPT}),
    )
    ethnicity = forms.ChoiceField(label=_("民族"), required=False)
    education = forms.ChoiceField(label=_("文化程度"), required=False)
    political_status = forms.ChoiceField(label=_("政治面貌"), required=False)
    marital_status = forms.ChoiceField(label=_("婚姻状况"), required=False)
    employment = forms.CharField(label=_("就业情况"), max_length=100, required=False)
    house = forms.CharField(
        label=_("居住房屋（标准地址）"),
        max_length=300,
        required=False,
        help_text=_(
            "如：幸福路12号3幢2单元301。填写已登记房屋的完整地址；不在登记房屋中的，请填写下方现住址。"
        ),
    )
    house_relation = forms.ChoiceField(
        label=_("与房屋关系"),
        choices=HouseRelation.choices,
        initial=Person._meta.get_field("house_relation").default,
    )
    residence_address = forms.CharField(label=_("现住址"), max_length=300, required=False)
    hukou_address = forms.CharField(label=_("户籍地址"), max_length=300, required=False)
    note = forms.CharField(
        label=_("备注"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user=None, org_permission="registry.add_person", editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = community_choices(user, org_permission)
        for name in ("ethnicity", "education", "political_status", "marital_status"):
            self.fields[name].choices = dictionaries.choices(name, blank=True)
        if editing:
            # the person as this page showed them: a save after someone else's is refused, not written over it
            self.fields["updated_at"] = forms.DateTimeField(widget=forms.HiddenInput, required=False)
            for name in ("id_number", "phone"):
                self.fields[name].required = False
            self.fields["id_number"].help_text = _("不修改请留空。当前：%(m)s") % {
                "m": self.initial.get("id_number_masked", "")
            }
            self.fields["phone"].help_text = _("不修改请留空。当前：%(m)s") % {
                "m": self.initial.get("phone_masked") or _("无")
            }
            self.fields["clear_phone"] = forms.BooleanField(label=_("删除联系电话"), required=False)
            self.fields["other_phones"].help_text = _(
                "可填多个，用顿号、逗号或空格分隔；填写后替换原有号码，不修改请留空。当前：%(m)s"
            ) % {"m": self.initial.get("other_phones_masked") or _("无")}
            self.fields["clear_other_phones"] = forms.BooleanField(
                label=_("删除其他联系电话"), required=False
            )
            if self.initial.get("has_photo"):
                self.fields["photo"].help_text = _("已有照片；上传新照片将替换（JPG、PNG、WebP 或 HEIC）。")
                self.fields["clear_photo"] = forms.BooleanField(label=_("删除照片"), required=False)

    def clean_name(self):
        return _checked_number(self, "name", clean_person_name)

    def clean_id_number(self):
        return _checked_number(self, "id_number", parse_id_number)

    def clean_phone(self):
        return _checked_number(self, "phone", parse_phone)


class MoveInForm(PersonForm):
    moved_on = date_field(_("迁入日期"))
    origin = forms.CharField(label=_("迁出地"), max_length=200, help_text=_("如：安徽省阜阳市颍州区"))

    field_order = ["moved_on", "origin"]


class DeathForm(IdPrefixedForm):
    id_prefix = "death"
    died_on = date_field(_("死亡日期"))
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class MoveOutForm(IdPrefixedForm):
    id_prefix = "moveout"
    moved_on = date_field(_("迁出日期"))
    destination = forms.CharField(label=_("迁往地"), max_length=200)


class AddressChangeForm(IdPrefixedForm):
    id_prefix = "address"
    house = forms.CharField(
        label=_("新居住房屋（标准地址）"),
        max_length=300,
        required=False,
        help_text=_("如：幸福路12号3幢2单元302；不在登记房屋中的，请填写现住址。"),
    )
    house_relation = forms.ChoiceField(label=_("与房屋关系"), choices=HouseRelation.choices)
    residence_address = forms.CharField(label=_("现住址"), max_length=300, required=False)
    changed_on = date_field(_("变更日期"), required=False)


class TagAddForm(IdPrefixedForm):
    id_prefix = "tag"
    group = forms.ChoiceField(label=_("人群类别"))
    valid_from = date_field(_("起始日期"))
    valid_until = date_field(_("截止日期"), required=False)
    disability_type = forms.ChoiceField(
        label=_("残疾类别"), required=False, help_text=_("仅标记残疾人时填写。")
    )
    disability_grade = forms.ChoiceField(
        label=_("残疾等级"), required=False, help_text=_("仅标记残疾人时填写，一级最重。")
    )
    evidence = forms.CharField(
        label=_("依据"), max_length=300, required=False, help_text=_("如：残疾人证号、低保批准文号")
    )
    evidence_file = forms.FileField(
        label=_("证明材料"),
        required=False,
        help_text=_("PDF 或照片（JPG、PNG、WebP、HEIC），如残疾人证、低保批准文件的扫描件或照片。"),
        widget=forms.FileInput(attrs={"accept": EVIDENCE_ACCEPT}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = dictionaries.choices("special_group", blank=True)
        self.fields["disability_type"].choices = dictionaries.choices("disability_type", blank=True)
        self.fields["disability_grade"].choices = dictionaries.choices("disability_grade", blank=True)

    def clean(self):
        data = super().clean()
        if data.get("group") != DISABLED_GROUP:
            for name in ("disability_type", "disability_grade"):
                if data.get(name):
                    self.add_error(name, _("残疾类别和等级只在标记“残疾人”时填写。"))
        return data

    def details(self) -> dict:
        data = self.cleaned_data
        return {
            key: data[name]
            for key, name in (("type", "disability_type"), ("grade", "disability_grade"))
            if data.get(name)
        }


class TagRenewForm(IdPrefixedForm):
    """续期 of one tag: the new period's end and evidence (the group, its details and the start are the old
    tag's)."""

    valid_until = date_field(_("续期至"), required=False, help_text=_("不填表示长期有效。"))
    evidence = forms.CharField(
        label=_("依据"), max_length=300, required=False, help_text=_("如：年审批准文号、新残疾人证号")
    )
    evidence_file = forms.FileField(
        label=_("证明材料"),
        required=False,
        help_text=_("PDF 或照片（JPG、PNG、WebP、HEIC）。"),
        widget=forms.FileInput(attrs={"accept": EVIDENCE_ACCEPT}),
    )
    # the tag as the person page showed it: renewing after someone else ended it (or a 迁出) is refused
    updated_at = forms.DateTimeField(widget=forms.HiddenInput, required=False)


class TagEndForm(IdPrefixedForm):
    id_prefix = "tagend"
    valid_until = date_field(_("截止日期"))
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)
    # the tag as the person page showed it: ending it after someone else did (or a 迁出) is refused
    updated_at = forms.DateTimeField(widget=forms.HiddenInput, required=False)


class MigrantForm(StyledForm):
    origin_address = forms.CharField(label=_("来源地"), max_length=200)
    origin_region_code = forms.CharField(
        label=_("来源地区划代码"), max_length=6, required=False, help_text=_("6 位行政区划代码，可不填。")
    )
    arrival_date = date_field(_("来本地日期"))
    reason = forms.ChoiceField(label=_("来本地事由"), required=False)
    permit_number = forms.CharField(label=_("居住证号码"), max_length=30, required=False)
    permit_valid_until = date_field(_("居住证有效期至"), required=False)
    employer = forms.CharField(label=_("工作单位"), max_length=200, required=False)
    landlord = forms.CharField(label=_("房东"), max_length=100, required=False)
    lease_until = date_field(_("租约到期"), required=False)
    planned_departure = date_field(_("预计离开日期"), required=False)
    # the record as this page showed it (empty: none yet): a save after someone else's is refused
    updated_at = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = dictionaries.choices("migrant_reason", blank=True)


# --- households ------------------------------------------------------------------------------------------


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.id_number_masked}）"


class MembersChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.id_number_masked}）"


# The candidates' list is offered while they are few; beyond that only the ID number field is (after a
# 100,000-row import without household numbers the 立户 page listed every imported resident: one page of
# tens of megabytes, rendered in tens of seconds).
CANDIDATE_LIST_LIMIT = 200


class PersonPickMixin:
    """A person chosen from a list or typed as an ID number (exactly one of both). With more candidates than
    `CANDIDATE_LIST_LIMIT` the list is not offered and the ID number is asked for."""

    pick_field = "person"
    number_label_alone = None  # the ID number field's label when it is asked alone ("或证件号码" reads odd)

    def offer_candidates(self, candidates) -> None:
        if candidates is None:
            return
        some = candidates.order_by().values_list("pk", flat=True)[: CANDIDATE_LIST_LIMIT + 1]
        if len(some) > CANDIDATE_LIST_LIMIT:
            del self.fields[self.pick_field]
            number = self.fields["id_number"]
            number.label = self.number_label_alone or number.label
            number.required = True
            number.help_text = _("尚未入户的现居住人员较多，不逐一列出，请填写证件号码。")
            return
        self.fields[self.pick_field].queryset = candidates

    def clean(self):
        data = super().clean()
        chosen, typed = data.get(self.pick_field), (data.get("id_number") or "").strip()
        if self.pick_field not in self.fields:
            return data  # the ID number is required
        if chosen is None and not typed:
            self.add_error(self.pick_field, _("请选择人员，或填写证件号码。"))
        elif chosen is not None and typed:
            self.add_error("id_number", _("选择人员和填写证件号码只能二选一。"))
        return data


class HouseholdForm(StyledForm):
    registered_address = forms.CharField(label=_("户籍地址"), max_length=300)
    kind = forms.ChoiceField(label=_("户别"), choices=HouseholdKind.choices)
    house = forms.CharField(
        label=_("实际居住房屋（标准地址）"),
        max_length=300,
        required=False,
        help_text=_("如：幸福路12号3幢2单元301，可不填。"),
    )


class HouseholdEditForm(HouseholdForm):
    # the household as this page showed it: a save after someone else's is refused, not written over it
    updated_at = forms.DateTimeField(widget=forms.HiddenInput, required=False)


class HouseholdCreateForm(PersonPickMixin, HouseholdForm):
    pick_field = "head"
    org = OrgChoiceField(label=_("所属社区/网格"), queryset=None)
    number = forms.CharField(label=_("户号"), max_length=30)
    head = MemberChoiceField(
        label=_("户主"),
        queryset=None,
        required=False,
        help_text=_("本辖区尚未入户的现居住人员；也可在下方填写户主证件号码。"),
    )
    id_number = forms.CharField(label=_("户主证件号码"), max_length=30, required=False)

    field_order = ["org", "number", "kind", "head", "id_number", "registered_address", "house"]

    def __init__(self, *args, user=None, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = community_choices(user, "registry.add_household")
        self.offer_candidates(candidates)


class MemberAddForm(PersonPickMixin, IdPrefixedForm):
    id_prefix = "member"
    number_label_alone = _("证件号码")
    person = MemberChoiceField(label=_("人员"), queryset=None, required=False)
    id_number = forms.CharField(label=_("或证件号码"), max_length=30, required=False)
    relation = forms.ChoiceField(label=_("与户主关系"), choices=_relation_choices(exclude_head=True))

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer_candidates(candidates)


class BirthForm(IdPrefixedForm):
    """出生登记 of a newborn into the household: the service derives gender and birth date from the ID
    number and refuses a number that contradicts those written on the birth certificate."""

    id_prefix = "birth"
    name = forms.CharField(label=_("姓名"), max_length=50)
    gender = forms.ChoiceField(label=_("性别"))
    birth_date = date_field(_("出生日期"))
    id_number = forms.CharField(
        label=_("公民身份号码"),
        max_length=30,
        help_text=_("须与性别、出生日期相符。"),
    )
    relation = forms.ChoiceField(label=_("与户主关系"), choices=_relation_choices(exclude_head=True))
    ethnicity = forms.ChoiceField(label=_("民族"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gender"].choices = dictionaries.choices("gender", blank=True)
        self.fields["ethnicity"].choices = dictionaries.choices("ethnicity", blank=True)


class RelationsMixin:
    """One optional (or required) relation select per member, named `relation_<person id>`."""

    def add_relation_fields(self, members, *, label, required=False):
        self.relation_members = list(members)
        for member in self.relation_members:
            # added after StyledForm has styled the declared fields: the Bootstrap class is given here
            self.fields[f"relation_{member.person_id}"] = forms.ChoiceField(
                label=label % {"n": member.person.name},
                choices=_relation_choices(exclude_head=True),
                required=required,
                widget=forms.Select(attrs={"class": "form-select"}),
            )

    def relations(self) -> dict[int, str]:
        return {
            member.person_id: self.cleaned_data[f"relation_{member.person_id}"]
            for member in self.relation_members
            if self.cleaned_data.get(f"relation_{member.person_id}")
        }


class HeadChangeForm(RelationsMixin, IdPrefixedForm):
    id_prefix = "head"
    new_head = MemberChoiceField(label=_("新户主"), queryset=None)
    old_head_relation = forms.ChoiceField(
        label=_("原户主与新户主关系"), choices=_relation_choices(exclude_head=True)
    )

    def __init__(self, *args, household=None, **kwargs):
        super().__init__(*args, **kwargs)
        others = _members(household).exclude(person_id=household.head_id)
        self.fields["new_head"].queryset = _persons_of(others)
        self.add_relation_fields(others, label=_("%(n)s与新户主关系（不变可不选）"))


class SplitForm(RelationsMixin, IdPrefixedForm):
    id_prefix = "split"
    new_number = forms.CharField(label=_("新户号"), max_length=30)
    new_head = MemberChoiceField(label=_("新户户主"), queryset=None)
    persons = MembersChoiceField(
        label=_("随新户主分出的成员"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    registered_address = forms.CharField(
        label=_("新户户籍地址"), max_length=300, required=False, help_text=_("不填则与原户相同。")
    )

    def __init__(self, *args, household=None, **kwargs):
        super().__init__(*args, **kwargs)
        others = _members(household).exclude(person_id=household.head_id)
        self.fields["new_head"].queryset = _persons_of(others)
        self.fields["persons"].queryset = _persons_of(others)
        self.add_relation_fields(others, label=_("%(n)s与新户主关系（分出时填写）"))


class MergeForm(RelationsMixin, IdPrefixedForm):
    id_prefix = "merge"
    target_number = forms.CharField(label=_("并入的户号"), max_length=30)

    def __init__(self, *args, household=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_relation_fields(_members(household), required=True, label=_("%(n)s与并入户户主关系"))


def _members(household):
    return (
        HouseholdMember.objects.filter(household=household)
        .select_related("person")
        .order_by("relation", "id")
    )


def _persons_of(members):
    return (
        Person.objects.filter(pk__in=members.values("person_id")).defer("id_number", "phone").order_by("name")
    )


# --- buildings, houses, enterprises ----------------------------------------------------------------------


class LocationMixin(forms.Form):
    latitude = forms.DecimalField(label=_("纬度"), max_digits=9, decimal_places=6, required=False)
    longitude = forms.DecimalField(label=_("经度"), max_digits=9, decimal_places=6, required=False)
    coordinate_system = forms.ChoiceField(label=_("坐标系"), choices=CoordinateSystem.choices)


class BuildingForm(StyledForm, LocationMixin):
    org = OrgChoiceField(label=_("所属社区/网格"), queryset=None)
    street_address = forms.CharField(label=_("门牌地址"), max_length=200, help_text=_("如：幸福路12号"))
    name = forms.CharField(label=_("楼栋"), max_length=50, help_text=_("如：3幢"))
    floors = forms.IntegerField(label=_("层数"), min_value=1, max_value=MAX_BUILDING_FLOORS, required=False)

    field_order = ["org", "street_address", "name", "floors"]

    def __init__(self, *args, user=None, org_permission="registry.add_building", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = community_choices(user, org_permission)


class HouseForm(StyledForm, LocationMixin):
    building = forms.ModelChoiceField(label=_("楼栋"), queryset=None)
    unit = forms.CharField(label=_("单元"), max_length=20, required=False)
    room = forms.CharField(label=_("室号"), max_length=20)
    use = forms.ChoiceField(label=_("用途"), choices=HouseUse.choices)
    ownership = forms.ChoiceField(label=_("产权性质"), choices=Ownership.choices)
    owner_name = forms.CharField(label=_("产权人"), max_length=100, required=False)
    area = forms.DecimalField(label=_("建筑面积（㎡）"), max_digits=9, decimal_places=2, required=False)
    is_rented = forms.BooleanField(label=_("出租"), required=False)

    field_order = ["building", "unit", "room", "use", "ownership", "owner_name", "area", "is_rented"]

    def __init__(self, *args, user=None, permission="registry.add_house", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = Building.objects.visible_to(user, permission).select_related("org")


class HouseVisitForm(IdPrefixedForm):
    """入户核查 on the house page (and its own page when the input needs correcting)."""

    id_prefix = "visit"

    visited_on = date_field(_("核查日期"))
    result = forms.ChoiceField(label=_("核查结果"), choices=VisitResult.choices, widget=forms.RadioSelect)
    companion = forms.CharField(
        label=_("同行人员"), max_length=50, required=False, help_text=_("如：社区民警、楼道长，可不填。")
    )
    note = forms.CharField(
        label=_("备注"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("更正了哪些信息、人户分离的去向、再访时间等。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["visited_on"].initial = today
        self.fields["visited_on"].widget.attrs["max"] = f"{today:%Y-%m-%d}"


class EnterpriseForm(StyledForm, LocationMixin):
    org = OrgChoiceField(label=_("所属社区/网格"), queryset=None)
    name = forms.CharField(label=_("名称"), max_length=200)
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=30)
    legal_representative = forms.CharField(label=_("法定代表人"), max_length=50)
    industry = forms.CharField(label=_("行业"), max_length=100, required=False)
    address = forms.CharField(label=_("经营地址"), max_length=300)
    house = forms.CharField(
        label=_("所在房屋（标准地址）"),
        max_length=300,
        required=False,
        help_text=_("如：幸福路12号1幢101，可不填。"),
    )
    employees = forms.IntegerField(label=_("从业人数"), min_value=0, required=False)
    established_on = date_field(_("成立日期"), required=False)
    status = forms.ChoiceField(label=_("经营状态"), choices=EnterpriseStatus.choices)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)

    field_order = [
        "org",
        "name",
        "uscc",
        "legal_representative",
        "industry",
        "address",
        "house",
        "employees",
        "established_on",
        "status",
        "contact_phone",
    ]

    def __init__(self, *args, user=None, org_permission="registry.add_enterprise", editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = community_choices(user, org_permission)
        if editing:
            # As a person's phone: the edit page shows the number masked (it is personal data of the contact),
            # and a blank field keeps it.
            self.fields["contact_phone"].help_text = _("不修改请留空。当前：%(m)s") % {
                "m": self.initial.get("contact_phone_masked") or _("无")
            }
            self.fields["clear_contact_phone"] = forms.BooleanField(label=_("删除联系电话"), required=False)

    def clean_uscc(self):  # checked here too, so it is reported with the other fields (see PersonForm)
        return _checked_number(self, "uscc", parse_uscc)

    def clean_contact_phone(self):
        return _checked_number(self, "contact_phone", parse_phone)


def household_candidates(persons, org=None):
    """Living persons not yet in a household (optionally within `org`'s community)."""
    queryset = persons.filter(status=PersonStatus.LIVING, membership__isnull=True)
    if org is not None:
        community = org.community() or org
        queryset = queryset.filter(org__path__startswith=community.path)
    return queryset.order_by(*PERSON_LIST_ORDER)
