"""数据质量核查: the registry's own consistency and plausibility checks, which a community office runs before
its data is reported upward or relied on (低保 eligibility, one-key call, visits).

Each check is a scoped queryset of the records that need a clerk's look, and a short finding per record in
Chinese. They read only: fixing is done on the record's own page, through the usual services (and audit).
The services keep most of these facts consistent themselves (a death ends the person's tags, a head cannot
leave a household with members); imported or long-kept records, and facts of the world (a resident past 100,
a crowded flat), are what the checks find.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiedao.core.scope import has_permission
from jiedao.dictionaries import selectors as dictionaries
from jiedao.registry.choices import PersonStatus
from jiedao.registry.models import (
    House,
    Household,
    HouseholdMember,
    Migrant,
    Person,
    ResidenceRule,
    SpecialGroupTag,
)
from jiedao.registry.parameters_declared import CROWDED_AREA_PER_PERSON
from jiedao.registry.selectors import shift_years

# The overview's permission (a registry reader's), the page's and the API's
OVERVIEW_PERMISSION = "registry.view_person"
CENTENARIAN_AGE = 100
ELDERLY_AGE = 60


@dataclass(frozen=True)
class Finding:
    """One record a check lists, as the list, the export and the API show it."""

    kind: str  # person, household or house: the record's API list (/api/v1/<kind>s/{record_id}/)
    record_id: int
    record: str
    url: str
    org: str
    problem: str


@dataclass(frozen=True)
class QualityCheck:
    key: str
    model: type[Model]  # what `records` lists
    title: Promise
    explanation: Promise
    permissions: tuple[str, ...]  # all needed; the first one scopes the records
    records: Callable[[object, date], QuerySet]  # (user, today) → the records to look at, ordered
    describe: Callable[[object, date], Finding]  # (record, today) → what the list shows
    org_field: str = "org"  # the org node of a record (the community filter narrows by it)
    # (rows of one page, user, today) → what `describe` reads besides the rows' own columns
    rows: Callable[[QuerySet, object, date], QuerySet] | None = None

    def allowed(self, user) -> bool:
        return all(has_permission(user, permission) for permission in self.permissions)

    def queryset(self, user, today: date | None = None) -> QuerySet:
        return self.records(user, today or timezone.localdate())

    def in_org(self, queryset: QuerySet, org) -> QuerySet:
        """The records of `org` and the nodes below it (a list narrowed to one community or grid)."""
        return queryset.filter(**{f"{self.org_field}__path__startswith": org.path})

    def page_rows(self, queryset: QuerySet, user, today: date | None = None) -> QuerySet:
        if self.rows is not None:
            return self.rows(queryset, user, today or timezone.localdate())
        return queryset.select_related(self.org_field)

    def findings(self, rows, today: date | None = None) -> list[Finding]:
        today = today or timezone.localdate()
        return [self.describe(row, today) for row in rows]


def _person_finding(person: Person, problem: str) -> Finding:
    return Finding(
        kind="person",
        record_id=person.pk,
        record=person.name,
        url=reverse("registry:person_detail", args=[person.pk]),
        org=person.org.name,
        problem=problem,
    )


def _persons(user) -> QuerySet[Person]:
    return Person.objects.visible_to(user, "registry.view_person")


# 百岁以上在册人员 -------------------------------------------------------------------------------------------


def _centenarians(user, today: date) -> QuerySet[Person]:
    return (
        _persons(user)
        .filter(status=PersonStatus.LIVING, birth_date__lte=shift_years(today, CENTENARIAN_AGE))
        .order_by("birth_date", "pk")
    )


def _describe_centenarian(person: Person, today: date) -> Finding:
    return _person_finding(person, _("%(n)d 岁，请入户核实是否健在") % {"n": person.age_on(today)})


# 老人未登记联系电话 -----------------------------------------------------------------------------------------


def _elderly_without_phone(user, today: date) -> QuerySet[Person]:
    return (
        _persons(user)
        .filter(
            status=PersonStatus.LIVING,
            birth_date__lte=shift_years(today, ELDERLY_AGE),
            phone_hash="",
            other_phones_masked="",
        )
        .order_by("birth_date", "pk")
    )


def _describe_elderly_without_phone(person: Person, today: date) -> Finding:
    return _person_finding(person, _("%(n)d 岁，未登记任何联系电话") % {"n": person.age_on(today)})


# 未关联房屋 ------------------------------------------------------------------------------------------------


def _without_house(user, today: date) -> QuerySet[Person]:
    # 户在人不在 (a member of a household here, living elsewhere) has no house here by definition: not listed
    rule = ResidenceRule()
    return (
        _persons(user)
        .filter(status=PersonStatus.LIVING, house__isnull=True)
        .exclude(rule.registered)
        .order_by("org__path", "name", "pk")
    )


def _describe_without_house(person: Person, today: date) -> Finding:
    if person.residence_address.strip():
        problem = _("未关联房屋，现住址填写为“%(a)s”") % {"a": person.residence_address}
    else:
        problem = _("未关联房屋，也未填写现住址")
    return _person_finding(person, problem)


# 死亡或迁出人员仍有有效特殊人群标记 ---------------------------------------------------------------------------


def _runs_past_departure(person_date) -> Q:
    """A tag still holding after the person died or moved out on `person_date` (a field reference): an open
    end or a last day after it. The services end a tag on that very day, which is sound; a person recorded
    departed without a date keeps the old rule, a tag valid today."""
    return Q(valid_until__isnull=True) | Q(valid_until__gt=person_date)


def _tags_on_departed(user, today: date) -> QuerySet[Person]:
    tags = SpecialGroupTag.objects.visible_to(user, "registry.view_specialgrouptag").filter(
        person=OuterRef("pk")
    )
    dated = tags.filter(_runs_past_departure(OuterRef("status_date")))
    undated = tags.filter(SpecialGroupTag.valid_on(today))
    return (
        _persons(user)
        .filter(status__in=[PersonStatus.DECEASED, PersonStatus.MOVED_OUT])
        .filter(
            (Q(status_date__isnull=False) & Exists(dated)) | (Q(status_date__isnull=True) & Exists(undated))
        )
        .order_by("status_date", "pk")
    )


def _with_valid_tags(queryset: QuerySet[Person], user, today: date) -> QuerySet[Person]:
    """Each person's tags the check is about, as `valid_tags`: those running past the departure date (or
    valid today where no date is recorded), read with one query for the page."""
    tags = SpecialGroupTag.objects.visible_to(user, "registry.view_specialgrouptag").filter(
        (Q(person__status_date__isnull=False) & _runs_past_departure(F("person__status_date")))
        | (Q(person__status_date__isnull=True) & SpecialGroupTag.valid_on(today))
    )
    return queryset.select_related("org").prefetch_related(Prefetch("tags", tags, to_attr="valid_tags"))


def _describe_tags_on_departed(person: Person, today: date) -> Finding:
    groups = sorted({tag.group for tag in person.valid_tags})
    labels = "、".join(dictionaries.label("special_group", group) for group in groups)
    when = f"{person.status_date:%Y-%m-%d}" if person.status_date else _("日期不详")
    return _person_finding(
        person,
        _("%(status)s（%(d)s），仍有有效标记：%(groups)s")
        % {"status": person.get_status_display(), "d": when, "groups": labels},
    )


# 户主不在户 / 空挂户 ---------------------------------------------------------------------------------------


def _households(user) -> QuerySet[Household]:
    return Household.objects.visible_to(user, "registry.view_household").filter(dissolved_on__isnull=True)


def _household_finding(household: Household, problem: str) -> Finding:
    return Finding(
        kind="household",
        record_id=household.pk,
        record=_("户号 %(n)s") % {"n": household.number},
        url=reverse("registry:household_detail", args=[household.pk]),
        org=household.org.name,
        problem=problem,
    )


def _head_problems(user, today: date) -> QuerySet[Household]:
    # sound: the head is a living member of this household; no head (NULL) matches no member either
    sound_head = HouseholdMember.objects.filter(
        household=OuterRef("pk"), person=OuterRef("head"), person__status=PersonStatus.LIVING
    )
    return (
        _households(user)
        .filter(Exists(HouseholdMember.objects.filter(household=OuterRef("pk"))))
        .filter(~Exists(sound_head))
        .order_by("number")
    )


def _with_head(queryset: QuerySet[Household], user, today: date) -> QuerySet[Household]:
    return queryset.select_related("org", "head")


def _describe_head_problem(household: Household, today: date) -> Finding:
    head = household.head
    if head is None:
        problem = _("未设户主，请指定户主")
    elif head.status != PersonStatus.LIVING:
        problem = _("户主 %(name)s %(status)s，请变更户主") % {
            "name": head.name,
            "status": head.get_status_display(),
        }
    else:
        problem = _("户主 %(name)s 不是本户成员，请变更户主") % {"name": head.name}
    return _household_finding(household, problem)


def _empty_households(user, today: date) -> QuerySet[Household]:
    return (
        _households(user)
        .filter(~Exists(HouseholdMember.objects.filter(household=OuterRef("pk"))))
        .order_by("number")
    )


def _describe_empty_household(household: Household, today: date) -> Finding:
    return _household_finding(household, _("户内已无成员，请核实后销户"))


# 居住证已过期仍在住 ---------------------------------------------------------------------------------------


def _expired_permits(user, today: date) -> QuerySet[Migrant]:
    return (
        Migrant.objects.visible_to(user, "registry.view_migrant")
        .filter(person__status=PersonStatus.LIVING, permit_valid_until__lt=today)
        .order_by("permit_valid_until", "pk")
    )


def _with_person(queryset: QuerySet[Migrant], user, today: date) -> QuerySet[Migrant]:
    return queryset.select_related("person", "person__org")


def _describe_expired_permit(migrant: Migrant, today: date) -> Finding:
    return _person_finding(
        migrant.person,
        _("居住证 %(d)s 到期，已过期 %(n)d 天，请提醒续签或核实是否已离开")
        % {"d": f"{migrant.permit_valid_until:%Y-%m-%d}", "n": (today - migrant.permit_valid_until).days},
    )


# 疑似群租 -------------------------------------------------------------------------------------------------


def _with_living_count(queryset: QuerySet[House]) -> QuerySet[House]:
    return queryset.annotate(living=Count("residents", filter=Q(residents__status=PersonStatus.LIVING)))


def _crowded_houses(user, today: date) -> QuerySet[House]:
    from jiedao.parameters.services import get_parameter

    per_person = Decimal(get_parameter(CROWDED_AREA_PER_PERSON.key))
    scoped = House.objects.visible_to(user, "registry.view_house").filter(area__gt=0)
    # The living residents counted per house from the persons' side (the `registry_person_living_house`
    # index), not by joining every scoped house to its residents and grouping the join.
    crowded = (
        Person.objects.filter(status=PersonStatus.LIVING, house__in=scoped.values("pk"))
        .values("house")
        .annotate(living=Count("*"))
        .filter(living__gte=2)
        .filter(
            house__area__lt=ExpressionWrapper(
                F("living") * Value(per_person), output_field=DecimalField(max_digits=12, decimal_places=2)
            )
        )
        .values("house")
    )
    return House.objects.filter(pk__in=crowded).order_by("full_address")


def _crowded_rows(queryset: QuerySet[House], user, today: date) -> QuerySet[House]:
    return _with_living_count(queryset.select_related("org"))


def _describe_crowded_house(house: House, today: date) -> Finding:
    return Finding(
        kind="house",
        record_id=house.pk,
        record=house.full_address,
        url=reverse("registry:house_detail", args=[house.pk]),
        org=house.org.name,
        problem=_("住 %(n)d 人，建筑面积 %(a)s㎡，人均 %(p)s㎡")
        % {"n": house.living, "a": f"{house.area.normalize():f}", "p": f"{house.area / house.living:.1f}"},
    )


CHECKS: tuple[QualityCheck, ...] = (
    QualityCheck(
        key="centenarians",
        model=Person,
        title=gettext_lazy("百岁以上在册人员"),
        explanation=gettext_lazy("登记为现居住、年满 100 周岁的人员：请入户核实，已故的登记死亡。"),
        permissions=("registry.view_person",),
        records=_centenarians,
        describe=_describe_centenarian,
    ),
    QualityCheck(
        key="tags-on-departed",
        model=Person,
        title=gettext_lazy("已死亡或迁出人员仍有有效标记"),
        explanation=gettext_lazy(
            "已登记死亡或迁出、但仍有有效特殊人群标记（如低保、特困）的人员：请核实并解除标记，防止待遇继续发放。"
        ),
        permissions=("registry.view_person", "registry.view_specialgrouptag"),
        records=_tags_on_departed,
        describe=_describe_tags_on_departed,
        rows=_with_valid_tags,
    ),
    QualityCheck(
        key="elderly-without-phone",
        model=Person,
        title=gettext_lazy("老人未登记联系电话"),
        explanation=gettext_lazy(
            "60 周岁以上、现居住但没有任何联系电话的人员：走访、e键通和紧急联络都需要电话，请补登。"
        ),
        permissions=("registry.view_person",),
        records=_elderly_without_phone,
        describe=_describe_elderly_without_phone,
    ),
    QualityCheck(
        key="without-house",
        model=Person,
        title=gettext_lazy("现居住人员未关联房屋"),
        explanation=gettext_lazy(
            "现居住、未关联本辖区房屋、也不在本社区户内的人员（户在人不在的不列入）：请变更住址，关联实际居住的房屋。"
        ),
        permissions=("registry.view_person",),
        records=_without_house,
        describe=_describe_without_house,
    ),
    QualityCheck(
        key="head-problems",
        model=Household,
        title=gettext_lazy("户主信息有误"),
        explanation=gettext_lazy("未设户主、户主已死亡或迁出、或户主不是本户成员的在册户：请变更户主。"),
        permissions=("registry.view_household",),
        records=_head_problems,
        describe=_describe_head_problem,
        rows=_with_head,
    ),
    QualityCheck(
        key="empty-households",
        model=Household,
        title=gettext_lazy("空挂户"),
        explanation=gettext_lazy("未销户但已没有任何成员的户：请核实后销户。"),
        permissions=("registry.view_household",),
        records=_empty_households,
        describe=_describe_empty_household,
    ),
    QualityCheck(
        key="expired-permits",
        model=Migrant,
        title=gettext_lazy("居住证已过期仍在住"),
        explanation=gettext_lazy(
            "居住证已过有效期、仍登记为现居住的流动人口：请提醒续签，或核实是否已离开。"
        ),
        permissions=("registry.view_migrant",),
        records=_expired_permits,
        describe=_describe_expired_permit,
        org_field="person__org",
        rows=_with_person,
    ),
    QualityCheck(
        key="crowded-houses",
        model=House,
        title=gettext_lazy("疑似群租房"),
        explanation=gettext_lazy(
            "现居住人数 2 人以上、人均建筑面积低于参数“群租认定人均面积”的房屋：请入户核查，是否存在群租。"
        ),
        permissions=("registry.view_house",),
        records=_crowded_houses,
        describe=_describe_crowded_house,
        rows=_crowded_rows,
    ),
)

CHECKS_BY_KEY = {check.key: check for check in CHECKS}


def check_for(user, key: str) -> QualityCheck | None:
    """The check named `key` if the user may run it; None for an unknown one or one they may not."""
    check = CHECKS_BY_KEY.get(key)
    return check if check is not None and check.allowed(user) else None


def checks_for(user) -> list[QualityCheck]:
    """The checks the user may run (each needs its record kinds' view permissions)."""
    return [check for check in CHECKS if check.allowed(user)]


def check_counts(user, today: date | None = None) -> list[tuple[QualityCheck, int]]:
    """Each allowed check with the number of records it lists in the user's scope (one count query each)."""
    today = today or timezone.localdate()
    return [(check, check.queryset(user, today).count()) for check in checks_for(user)]
