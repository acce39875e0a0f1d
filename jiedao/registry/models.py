"""一标三实: standard addresses (buildings, houses), actual population, actual houses, actual enterprises.

Personal data (ID numbers, phones) is SM4-encrypted at rest with a keyed HMAC-SM3 blind index for exact
look-ups and a masked copy for lists; see `jiedao.core.crypto`.
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Case, CharField, Q, Value, When
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from jiedao.core.fields import EncryptedTextField
from jiedao.core.i18n import shown
from jiedao.core.scope import ScopeAware, ScopedModel, ScopedQuerySet
from jiedao.core.storage import private_files
from jiedao.orgs.models import community_id_of
from jiedao.registry.choices import (
    CoordinateSystem,
    EnterpriseStatus,
    HouseholdKind,
    HouseRelation,
    HouseUse,
    IdKind,
    LifeEventKind,
    Ownership,
    PersonStatus,
    ResidenceSplit,
    StatisticsKind,
    VisitResult,
)


class Located(models.Model):
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    coordinate_system = models.CharField(
        _("坐标系"), max_length=5, choices=CoordinateSystem.choices, default=CoordinateSystem.WGS84
    )

    class Meta:
        abstract = True


class Building(Located, ScopedModel):
    """楼栋: a building of a community (or grid), the anchor of standard addresses."""

    street_address = models.CharField(_("门牌地址"), max_length=200, help_text=_("如：幸福路12号"))
    name = models.CharField(_("楼栋"), max_length=50, help_text=_("如：3幢"))
    floors = models.PositiveSmallIntegerField(_("层数"), null=True, blank=True)

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        constraints = [
            models.UniqueConstraint(fields=["street_address", "name"], name="registry_building_address")
        ]
        ordering = ["street_address", "name"]

    def __str__(self) -> str:
        return f"{self.street_address}{self.name}"


class House(Located, ScopedModel):
    """房屋: one unit of a building (a flat, a shop). `full_address` is unique: the import key."""

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="houses", verbose_name=_("楼栋")
    )
    unit = models.CharField(_("单元"), max_length=20, blank=True)
    room = models.CharField(_("室号"), max_length=20)
    full_address = models.CharField(_("地址"), max_length=300, unique=True)
    use = models.CharField(_("用途"), max_length=12, choices=HouseUse.choices, default=HouseUse.RESIDENTIAL)
    ownership = models.CharField(
        _("产权性质"), max_length=12, choices=Ownership.choices, default=Ownership.PRIVATE
    )
    owner_name = models.CharField(_("产权人"), max_length=100, blank=True)
    area = models.DecimalField(_("建筑面积（㎡）"), max_digits=9, decimal_places=2, null=True, blank=True)
    is_rented = models.BooleanField(_("出租"), default=False)

    class Meta:
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        ordering = ["full_address"]

    def __str__(self) -> str:
        return self.full_address


class HouseVisit(ScopeAware, models.Model):
    """入户走访核查: a grid worker's visit to a house to check what the registry holds about it (一标三实 upkeep),
    scoped through the house's org, so a house moved to another node takes its visits along."""

    scope_org_field = "house__org"
    scope_owner_field = None

    # No index of its own: registry_housevisit_last starts with the house and serves the foreign key too.
    house = models.ForeignKey(
        House, on_delete=models.CASCADE, related_name="visits", verbose_name=_("房屋"), db_index=False
    )
    visited_on = models.DateField(_("核查日期"))
    visited_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("核查人"),
    )
    companion = models.CharField(_("同行人员"), max_length=50, blank=True)
    result = models.CharField(_("核查结果"), max_length=12, choices=VisitResult.choices)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("入户核查记录")
        verbose_name_plural = _("入户核查记录")
        ordering = ["-visited_on", "-id"]
        # "the last visit of a house": the work list's subquery and the house page read it by this index
        indexes = [models.Index(fields=["house", "visited_on"], name="registry_housevisit_last")]

    def __str__(self) -> str:
        return f"{self.house} {self.visited_on:%Y-%m-%d} {self.get_result_display()}"


class PersonQuerySet(ScopedQuerySet):
    def unmerged(self) -> PersonQuerySet:
        """The records that stand for a resident: see `Person.unmerged_condition`."""
        return self.filter(Person.unmerged_condition())

    def residence_split(self, split: str) -> PersonQuerySet:
        """The persons of one 人户分离 category (a `ResidenceSplit` value), by the stored `Person.residence_split`
        (one index range, `registry_person_split_list`), not by `ResidenceRule` joined for the whole scope."""
        return self.filter(residence_split=split)

    def with_residence_split(self) -> PersonQuerySet:
        """Each person annotated with `live_residence_split`: its `ResidenceSplit` value by `ResidenceRule` as the
        records stand now, "" for none (not living, or neither registered nor living in its community). What
        `refresh_residence_split` stores, and what the statistics count."""
        return self.annotate(live_residence_split=ResidenceRule().category())


class ResidenceRule:
    """人户分离, the rule in one place: a living person's 户籍 (membership of a household) and residence (the house
    lived in) against the community the person belongs to (`org`, a grid counting as its community):

    - 人户一致: a member of a household of that community, living in a house of it;
    - 户在人不在: a member of a household of that community, living in no house of it (none, or another's);
    - 人在户不在: living in a house of that community, a member of no household of it (registered elsewhere).

    The services keep a person's household and house in the person's community, but moving a grid to another
    community (or older, imported records) can leave them apart: the communities are compared, not assumed.
    Set-based, as joins: a person has at most one membership and one house, so the joins add no rows, and the
    statistics' GROUP BY stays one pass of hash joins on PostgreSQL (an EXISTS inside the CASE ran once a row:
    100,000 persons took 1.8 s instead of 0.2 s). Never a query per person.
    """

    def __init__(self) -> None:
        home = community_id_of("org")
        self.living = Q(status=PersonStatus.LIVING)
        self.registered = (
            Q(membership__isnull=False)
            & Q(membership__household__dissolved_on__isnull=True)
            & Q(Exact(community_id_of("membership__household__org"), home))
        )
        # Without a house the comparison is NULL, and NOT NULL is not true either: both sides spelt out.
        self.lives = Q(house__isnull=False) & Q(Exact(community_id_of("house__org"), home))
        self.lives_elsewhere = Q(house__isnull=True) | ~Q(Exact(community_id_of("house__org"), home))

    def conditions(self) -> dict[str, Q]:
        """Each category as a filter."""
        return {
            ResidenceSplit.CONSISTENT: self.living & self.lives & self.registered,
            ResidenceSplit.AWAY: self.living & self.lives_elsewhere & self.registered,
            ResidenceSplit.ELSEWHERE: self.living & self.lives & ~self.registered,
        }

    def category(self) -> Case:
        """The category as a value ("" for none): the same conditions, nested so that each is evaluated once a
        person (the statistics count every living person of a district)."""
        registered = Case(
            When(self.lives, then=Value(ResidenceSplit.CONSISTENT)),
            default=Value(ResidenceSplit.AWAY),
            output_field=CharField(),
        )
        return Case(
            When(~self.living, then=Value("")),
            When(self.registered, then=registered),
            When(self.lives, then=Value(ResidenceSplit.ELSEWHERE)),
            default=Value(""),
            output_field=CharField(),
        )


# Registers of residents are read in the pinyin order of the names (as a community office sorts its 花名册),
# not in the order of the characters' code points; the name and then the key keep one order among names of
# the same pinyin (张三, 章三). Names with no Chinese character have no pinyin key and come first.
PERSON_LIST_ORDER = ["name_pinyin", "name", "id"]


class Person(ScopedModel):
    """实有人口: one resident of a community (or grid), living here, moved out, or deceased."""

    # No index of its own: registry_person_org_age starts with org and serves every look-up by org (scope
    # filters, PROTECT checks); a second index would only cost each write (100,000-row imports).
    org = models.ForeignKey(
        "orgs.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属组织"), db_index=False
    )
    name = models.CharField(_("姓名"), max_length=50)
    name_pinyin = models.CharField(_("姓名拼音"), max_length=200, blank=True, editable=False)
    name_initials = models.CharField(_("拼音首字母"), max_length=50, blank=True, editable=False)
    id_kind = models.CharField(_("证件类型"), max_length=20, choices=IdKind.choices, default=IdKind.CITIZEN)
    id_number = EncryptedTextField(_("证件号码"))
    id_number_hash = models.CharField(max_length=64, editable=False)
    id_number_masked = models.CharField(_("证件号码"), max_length=18, editable=False)
    gender = models.CharField(_("性别"), max_length=1)
    birth_date = models.DateField(_("出生日期"), db_index=True)
    ethnicity = models.CharField(_("民族"), max_length=4, blank=True)
    phone = EncryptedTextField(_("联系电话"), blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True, editable=False)
    # Further numbers (national form, comma-separated), encrypted; no blind index: exact phone search looks at
    # the main phone only.
    other_phones = EncryptedTextField(_("其他联系电话"), blank=True)
    other_phones_masked = models.CharField(_("其他联系电话"), max_length=120, blank=True, editable=False)
    education = models.CharField(_("文化程度"), max_length=4, blank=True)
    political_status = models.CharField(_("政治面貌"), max_length=4, blank=True)
    marital_status = models.CharField(_("婚姻状况"), max_length=4, blank=True)
    employment = models.CharField(
        _("就业情况"), max_length=100, blank=True, help_text=_("工作单位或就业状态")
    )
    house = models.ForeignKey(
        House,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="residents",
        verbose_name=_("居住房屋"),
    )
    house_relation = models.CharField(
        _("与房屋关系"), max_length=12, choices=HouseRelation.choices, default=HouseRelation.FAMILY
    )
    residence_address = models.CharField(_("现住址"), max_length=300, blank=True)
    hukou_address = models.CharField(_("户籍地址"), max_length=300, blank=True)
    status = models.CharField(
        _("人员状态"), max_length=10, choices=PersonStatus.choices, default=PersonStatus.LIVING
    )
    status_date = models.DateField(_("状态日期"), null=True, blank=True)
    photo = models.ImageField(_("照片"), upload_to="registry/photos/", storage=private_files, blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    # 人户分离 (a `ResidenceSplit` value, "" for none) as `ResidenceRule` computed it, so that the list filtered
    # by it reads one index range instead of comparing every person's community with its household's and
    # house's (13–17 s for a district of 1,000,000 on SQLite). Never set by hand: every write that can change
    # it (status, org, house, membership, a household's org or 销户, a house's org, a grid moved to another
    # community, imports) calls `services.residence.refresh_residence_split`, and a periodic job recomputes
    # every community's in case a write bypassed the services.
    residence_split = models.CharField(
        _("人户状态"),
        max_length=10,
        choices=ResidenceSplit.choices,
        blank=True,
        default="",
        db_default="",  # rows written by raw SQL (bulk loads, benchmarks) start in none, then get refreshed
        editable=False,
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("已合并至"),
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("人口")
        verbose_name_plural = _("人口")
        ordering = PERSON_LIST_ORDER
        # Prefix-search indexes on name, pinyin and initials and the address substring index are
        # database-specific (NOCASE / FTS5 trigram on SQLite, text_pattern_ops / pg_trgm on PostgreSQL):
        # migration 0002_search_indexes.
        # The blind indexes are declared here, not with unique=/db_index= on the fields: PostgreSQL would add
        # a second, useless pattern-ops index to each (every import row pays for every index).
        constraints = [
            models.UniqueConstraint(fields=["id_number_hash"], name="registry_person_id_hash_unique")
        ]
        indexes = [
            models.Index(fields=["phone_hash"], name="registry_person_phone_hash"),
            # Also covers the statistics page's age and gender counts without reading the wide rows.
            models.Index(fields=["org", "status", "birth_date", "gender"], name="registry_person_org_age"),
            # The person list's order (PERSON_LIST_ORDER), with the columns its usual filters read (scope, status,
            # age): a page of a district's 1,000,000 persons walks this index instead of sorting the district
            # (registry.paging reads only the page's keys from it), and an export in list order looks up only
            # the rows it writes (a community's under-7s: 1.8 s → 0.16 s without birth_date here).
            models.Index(
                fields=[*PERSON_LIST_ORDER, "org", "status", "birth_date"], name="registry_person_list"
            ),
            # The list filtered by 人户分离 (`PersonQuerySet.residence_split`): one category's persons in list
            # order, with what the list's usual filters read (scope, status, age), so that a page and the count
            # read this index's range of the category only.
            models.Index(
                fields=["residence_split", *PERSON_LIST_ORDER, "org", "status", "birth_date"],
                name="registry_person_split_list",
            ),
            # Who lives in each house, for counts per house (数据质量核查's 疑似群租房 groups a district's living
            # residents by house from this index alone: 2.0 s → 0.84 s on PostgreSQL at 1,000,000 persons).
            models.Index(
                fields=["house"],
                condition=Q(status=PersonStatus.LIVING),
                name="registry_person_living_house",
            ),
        ]
        permissions = [
            ("view_full_person", _("可查看完整身份证号码和电话")),
            ("merge_person", _("可核查并合并重复人员")),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.id_number_masked}）"

    @staticmethod
    def unmerged_condition(prefix: str = "") -> Q:
        """Leaves out duplicates merged into another record (已合并): listed, counted or found beside the record
        they were merged into, they would be the same resident twice. `prefix` reaches the person from a
        related model (`person__`)."""
        return ~Q(**{f"{prefix}status": PersonStatus.MERGED})

    def age_on(self, day: date) -> int:
        return (
            day.year
            - self.birth_date.year
            - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))
        )


class PersonScoped(ScopeAware, models.Model):
    """A record that belongs to a person and is scoped through the person's org."""

    scope_org_field = "person__org"
    scope_owner_field = None

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class Household(ScopedModel):
    """户: the household registration (户籍). Its registered address and where it actually lives (`house`)
    are different facts and both are kept."""

    number = models.CharField(_("户号"), max_length=30, unique=True)
    kind = models.CharField(
        _("户别"), max_length=1, choices=HouseholdKind.choices, default=HouseholdKind.FAMILY
    )
    head = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("户主")
    )
    registered_address = models.CharField(_("户籍地址"), max_length=300)
    house = models.ForeignKey(
        House,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="households",
        verbose_name=_("实际居住房屋"),
    )
    dissolved_on = models.DateField(_("销户日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class HouseholdMember(ScopeAware, models.Model):
    """A person's place in a household, with the relation to the head (GB/T 4761 code)."""

    scope_org_field = "household__org"
    scope_owner_field = None

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="members", verbose_name=_("户")
    )
    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="membership", verbose_name=_("成员")
    )
    relation = models.CharField(_("与户主关系"), max_length=4)
    joined_on = models.DateField(_("入户日期"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("户成员")
        verbose_name_plural = _("户成员")
        ordering = ["household", "relation", "id"]

    def __str__(self) -> str:
        return f"{self.household} / {self.person.name}"


class Migrant(PersonScoped):
    """外来（流动）人口: where from, why, the residence permit, employer and lease."""

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="migrant", verbose_name=_("人员")
    )
    origin_region_code = models.CharField(_("来源地区划代码"), max_length=6, blank=True)
    origin_address = models.CharField(_("来源地"), max_length=200)
    arrival_date = models.DateField(_("来本地日期"))
    reason = models.CharField(_("来本地事由"), max_length=20, blank=True)
    permit_number = models.CharField(_("居住证号码"), max_length=30, blank=True)
    permit_valid_until = models.DateField(_("居住证有效期至"), null=True, blank=True, db_index=True)
    employer = models.CharField(_("工作单位"), max_length=200, blank=True)
    landlord = models.CharField(_("房东"), max_length=100, blank=True)
    lease_until = models.DateField(_("租约到期"), null=True, blank=True)
    planned_departure = models.DateField(_("预计离开日期"), null=True, blank=True)
    permit_reminded_on = models.DateField(_("到期提醒日期"), null=True, blank=True)
    # the version an edit page shows and sends back (a save after someone else's is refused); a reminder
    # run marking `permit_reminded_on` (a queryset update) leaves it alone: that is no clerk's edit
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("流动人口")
        verbose_name_plural = _("流动人口")
        ordering = ["permit_valid_until", "id"]

    def __str__(self) -> str:
        return str(self.person)


class Enterprise(Located, ScopedModel):
    """实有单位: an enterprise or organisation in the community, keyed by its USCC (GB 32100)."""

    name = models.CharField(_("名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=50)
    industry = models.CharField(_("行业"), max_length=100, blank=True)
    address = models.CharField(_("经营地址"), max_length=300)
    house = models.ForeignKey(
        House,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enterprises",
        verbose_name=_("所在房屋"),
    )
    employees = models.PositiveIntegerField(_("从业人数"), null=True, blank=True)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    status = models.CharField(
        _("经营状态"), max_length=12, choices=EnterpriseStatus.choices, default=EnterpriseStatus.OPERATING
    )
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["name"]
        indexes = [models.Index(fields=["name"], name="registry_enterprise_name")]

    def __str__(self) -> str:
        return self.name


class SpecialGroupTag(PersonScoped):
    """特殊人群标记: a person belongs to a group (dictionary `special_group`) for a period, with evidence."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="tags", verbose_name=_("人员"))
    group = models.CharField(_("人群类别"), max_length=30, db_index=True)
    valid_from = models.DateField(_("起始日期"))
    valid_until = models.DateField(_("截止日期"), null=True, blank=True)
    evidence = models.CharField(
        _("依据"), max_length=300, blank=True, help_text=_("如：残疾人证号、低保批准文号")
    )
    evidence_file = models.FileField(
        _("证明材料"), upload_to="registry/evidence/", storage=private_files, blank=True
    )
    details = models.JSONField(_("详情"), default=dict, blank=True, help_text=_("如残疾类别与等级"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # the version the person page shows with each tag's end form: ending it from a page shown before
    # another clerk's end (or a 迁出 ending it) is refused
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # Set by 解除 (`services.tag_end`, a death or 迁出): the end was decided, not the period running out, so the
    # tag is not due for review (特殊人群到期复核) and is not renewed.
    ended_at = models.DateTimeField(_("解除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("特殊人群标记")
        verbose_name_plural = _("特殊人群标记")
        ordering = ["person", "group", "-valid_from"]
        # 特殊人群到期复核 reads the tags ending within a few weeks, not every tag of a district
        indexes = [models.Index(fields=["valid_until"], name="registry_tag_valid_until")]

    def __str__(self) -> str:
        return f"{self.person.name}：{self.group}"

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def days_left_on(self, day: date) -> int | None:
        """Days from `day` to the tag's last day (0: it ends that day); None for a tag without an end."""
        return None if self.valid_until is None else (self.valid_until - day).days

    @staticmethod
    def valid_on(day: date) -> Q:
        return Q(valid_from__lte=day) & (Q(valid_until__isnull=True) | Q(valid_until__gte=day))


class LifeEvent(PersonScoped):
    """A fact in a person's timeline: birth, move in, household split, address change…"""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="life_events", verbose_name=_("人员")
    )
    kind = models.CharField(_("事项"), max_length=20, choices=LifeEventKind.choices)
    occurred_on = models.DateField(_("发生日期"))
    summary = models.CharField(_("摘要"), max_length=300)
    # The summary as msgid and parameters, shown in the reader's language; empty for a summary a person typed
    # (a death note) and for entries written before it existed (`core.i18n.shown`).
    summary_message = models.JSONField(_("系统摘要"), default=dict, blank=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)
    actor = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("经办人"),
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("人口事项")
        verbose_name_plural = _("人口事项")
        ordering = ["-occurred_on", "-id"]

    def __str__(self) -> str:
        return f"{self.person.name} {self.get_kind_display()} {self.occurred_on}"

    @property
    def summary_text(self) -> str:
        return shown(self.summary_message, self.summary)


class DuplicateDismissal(ScopeAware, models.Model):
    """A clerk's decision that two persons listed as suspected duplicates are different people (非重复): the
    pair is no longer listed. `first` is the lower id."""

    scope_org_field = "first__org"
    scope_owner_field = None

    first = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", verbose_name=_("人员"))
    second = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", verbose_name=_("人员"))
    decided_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("经办人"),
    )
    decided_at = models.DateTimeField(_("确认时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("非重复人员确认")
        verbose_name_plural = _("非重复人员确认")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="registry_dismissal_pair"),
            models.CheckConstraint(
                condition=Q(first__lt=models.F("second")), name="registry_dismissal_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} / {self.second_id}"


class StatisticsSnapshot(models.Model):
    """One precomputed run of the statistics page's counts, for every org node (see
    `jiedao.registry.statistics.snapshots`): a district's page sums its nodes' rows instead of aggregating
    1,000,000 persons on each request."""

    taken_at = models.DateTimeField(_("数据截至"), db_index=True)
    as_of = models.DateField(_("统计日期"))  # ages and special-group validity are counted on this day

    class Meta:
        verbose_name = _("人口统计快照")
        verbose_name_plural = _("人口统计快照")
        permissions = [("refresh_statisticssnapshot", _("可立即刷新人口统计"))]

    def __str__(self) -> str:
        return f"{self.taken_at:%Y-%m-%d %H:%M}"


class StatisticsCount(ScopeAware, models.Model):
    """The count of one bucket of one kind of figure at one org node (persons, migrants and tags by the
    person's node, households and enterprises by their own), as of its snapshot."""

    scope_owner_field = None

    snapshot = models.ForeignKey(StatisticsSnapshot, on_delete=models.CASCADE, related_name="counts")
    org = models.ForeignKey("orgs.OrgUnit", on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=10, choices=StatisticsKind.choices)
    key = models.CharField(max_length=30, blank=True)
    count = models.PositiveIntegerField()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("人口统计快照数")
        verbose_name_plural = _("人口统计快照数")
        indexes = [models.Index(fields=["snapshot", "kind", "org"], name="registry_statcount_read")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.kind} {self.key}: {self.count}"
