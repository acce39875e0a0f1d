"""疑似重复人员: finding the same resident registered twice, merging the two records, or recording that they
are different people (非重复)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.audit import services as audit
from jiedao.core.exceptions import ServiceError
from jiedao.core.scope import require
from jiedao.dictionaries import selectors as dictionaries
from jiedao.registry import audit_events as events
from jiedao.registry.choices import LifeEventKind, PersonStatus
from jiedao.registry.models import (
    DuplicateDismissal,
    Household,
    HouseholdMember,
    LifeEvent,
    Migrant,
    Person,
    SpecialGroupTag,
)
from jiedao.registry.services.persons import _life_event, _snapshot, lock_persons

PERMISSION = "registry.merge_person"
PAIR_LIMIT = 200


@dataclass
class DuplicatePair:
    first: Person
    second: Person
    reasons: list[str] = field(default_factory=list)

    @property
    def persons(self) -> tuple[Person, Person]:
        return self.first, self.second


def _one_digit_apart(a: str, b: str) -> bool:
    """Two stored numbers whose first 17 characters differ in exactly one place. Every stored number carries a
    valid MOD 11-2 check character, which changes with any one-digit slip: a mistyped number that was accepted
    differs from the right one in one body digit and in the check character."""
    if len(a) != len(b) or len(a) < 17:
        return False
    return sum(x != y for x, y in zip(a[:17], b[:17], strict=True)) == 1


def _candidate_rows(user, limit: int) -> list[tuple]:
    """(first id, second id, same birth date, same phone, same visible digits) for pairs of persons in the
    user's merge scope with the same name and one of: the same birth date, the same phone (blind index), the
    same region code and sequence digits in the masked number (what a slip in the birth-date digits leaves:
    the masked copy keeps the first six and last four characters, and the last one, the check character,
    changes with any slip). A slip in the region or sequence digits keeps the birth date (read from the
    number) and is found by the first rule.

    Three equi-joins of the scoped persons in the database, one a rule, each on the name and that rule's column
    (hash joins: only matching pairs come out, never every pair of namesakes), never a pass over the persons in
    Python. The scope is the shared `visible_to` queryset, used as the joined table."""
    scoped = (
        Person.objects.visible_to(user, PERMISSION)
        .exclude(status=PersonStatus.MERGED)
        .annotate(digits=Substr("id_number_masked", 1, 17))
        .values("id", "name", "birth_date", "phone_hash", "digits")
    )
    try:
        scoped_sql, scoped_params = scoped.query.sql_with_params()
    except EmptyResultSet:  # no scope at all
        return []
    dismissal = connection.ops.quote_name(DuplicateDismissal._meta.db_table)

    def rule(column: str, flags: str, extra: str = "") -> str:
        return (
            f"SELECT a.id AS first_id, b.id AS second_id, a.name AS name, {flags} "
            f"FROM ({scoped_sql}) a JOIN ({scoped_sql}) b "
            f"ON b.name = a.name AND b.{column} = a.{column} AND b.id > a.id{extra}"
        )

    sql = f"""
        SELECT first_id, second_id, MAX(same_birth), MAX(same_phone), MAX(same_digits)
        FROM ({rule("birth_date", "1 AS same_birth, 0 AS same_phone, 0 AS same_digits")}
              UNION ALL {rule("phone_hash", "0, 1, 0", " AND a.phone_hash <> ''")}
              UNION ALL {rule("digits", "0, 0, 1")}) pairs
        WHERE NOT EXISTS (SELECT 1 FROM {dismissal} d WHERE d.first_id = pairs.first_id
                          AND d.second_id = pairs.second_id)
        GROUP BY first_id, second_id, name
        ORDER BY name, first_id, second_id
        LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*scoped_params * 6, limit])
        return cursor.fetchall()


def find_duplicates(user, *, limit: int = PAIR_LIMIT) -> list[DuplicatePair]:
    """Suspected duplicate pairs among the persons the user may merge, with the reasons in Chinese; pairs
    marked 非重复 and merged records are left out."""
    rows = _candidate_rows(user, limit)
    ids = {pk for row in rows for pk in row[:2]}
    persons = Person.objects.select_related("org").in_bulk(ids)
    pairs = []
    for first_id, second_id, same_birth, same_phone, _same_digits in rows:
        first, second = persons[first_id], persons[second_id]
        one_digit = _one_digit_apart(first.id_number, second.id_number)
        reasons = []
        if same_birth:
            reasons.append(_("姓名、出生日期相同，证件号码不同"))
        if same_phone:
            reasons.append(_("姓名、手机号码相同"))
        if one_digit:
            reasons.append(_("证件号码仅一位数字不同"))
        elif not (same_birth or same_phone):
            continue  # only the visible digits agree: the hidden ones differ in more than one place
        pairs.append(DuplicatePair(first, second, reasons))
    return pairs


def describe(person: Person) -> str:
    return f"{person.name}（{person.id_number_masked}）"


def dismiss_duplicate(*, actor, first: Person, second: Person) -> DuplicateDismissal:
    """非重复: the clerk has checked that the two are different people; the pair is no longer listed."""
    require(actor, PERMISSION, first)
    require(actor, PERMISSION, second)
    if first.pk == second.pk:
        raise ServiceError(_("请选择两条不同的人员记录。"), code="same_person")
    low, high = sorted((first, second), key=lambda p: p.pk)
    with transaction.atomic():
        decision, created = DuplicateDismissal.objects.get_or_create(
            first=low, second=high, defaults={"decided_by": actor if getattr(actor, "pk", None) else None}
        )
        if created:
            audit.record(
                events.PERSON_DUPLICATE_DISMISSED,
                actor=actor,
                target=low,
                message=_("%(a)s 与 %(b)s 不是同一人") % {"a": describe(low), "b": describe(high)},
            )
    return decision


# Links to a person that `person_merge` moves by their own rules; every other foreign key to Person (in any
# app) is pointed at the survivor as it is.
_MOVED_BY_RULE = {
    (HouseholdMember, "person"),
    (Migrant, "person"),
    (Household, "head"),
    (SpecialGroupTag, "person"),
    (LifeEvent, "person"),
    (Person, "merged_into"),
    (DuplicateDismissal, "first"),
    (DuplicateDismissal, "second"),
}


def _other_links() -> list[tuple[type, str]]:
    return [
        (model, f.name)
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model is Person and (model, f.name) not in _MOVED_BY_RULE
    ]


def _merge_conflicts(survivor: Person, merged: Person) -> list[str]:
    """What keeps the two records from being merged as they are, in Chinese; empty when nothing does."""
    problems = []
    if survivor.pk == merged.pk:
        return [_("请选择两条不同的人员记录。")]
    for person in (survivor, merged):
        if person.status == PersonStatus.MERGED:
            problems.append(_("%(p)s 已合并到其他记录，不能再合并。") % {"p": describe(person)})
    if problems:
        return problems
    kept = HouseholdMember.objects.filter(person=survivor).select_related("household").first()
    gone = HouseholdMember.objects.filter(person=merged).select_related("household").first()
    if kept and gone and kept.household_id != gone.household_id:
        problems.append(
            _("两条记录分属不同的户（%(a)s、%(b)s），请先为其中一人办理出户后再合并。")
            % {"a": kept.household.number, "b": gone.household.number}
        )
    elif kept and gone and gone.household.head_id == merged.pk:
        problems.append(
            _("被合并的记录是户 %(n)s 的户主，请先将户主变更为保留的记录后再合并。")
            % {"n": gone.household.number}
        )
    if survivor.house_id and merged.house_id and survivor.house_id != merged.house_id:
        problems.append(
            _("两条记录的居住房屋不同（%(a)s、%(b)s），请先核对并变更地址后再合并。")
            % {"a": survivor.house.full_address, "b": merged.house.full_address}
        )
    for tag in SpecialGroupTag.objects.filter(person=merged):
        overlap = SpecialGroupTag.objects.filter(person=survivor, group=tag.group).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=tag.valid_from)
        )
        if tag.valid_until is not None:
            overlap = overlap.filter(valid_from__lte=tag.valid_until)
        if overlap.exists():
            problems.append(
                _("两条记录都有“%(g)s”标记且期间重叠，请先解除其中一条后再合并。")
                % {"g": dictionaries.label("special_group", tag.group)}
            )
    for model, name in _other_links():
        if model._meta.get_field(name).one_to_one and (
            model._base_manager.filter(**{name: survivor}).exists()
            and model._base_manager.filter(**{name: merged}).exists()
        ):
            problems.append(_("两条记录都有“%(m)s”，不能自动合并。") % {"m": model._meta.verbose_name})
    return problems


def person_merge(*, actor, survivor: Person, merged: Person) -> Person:
    """Merge `merged` into `survivor`: household membership, tags, house link, migrant record, life events and
    every other link move to the survivor; the merged record stays, marked 已合并 with `merged_into`, so old
    links and the audit trail still read. A conflict (different households, the merged one heading a household
    the survivor is in, different houses, overlapping tags) is refused with nothing written."""
    require(actor, PERMISSION, survivor)
    require(actor, PERMISSION, merged)
    with transaction.atomic():
        lock_persons([survivor.pk, merged.pk])
        survivor.refresh_from_db()
        merged.refresh_from_db()
        # re-checked on the locked rows: a move to another community meanwhile takes a record out of scope
        require(actor, PERMISSION, survivor)
        require(actor, PERMISSION, merged)
        problems = _merge_conflicts(survivor, merged)
        if problems:
            raise ServiceError(problems[0], code="merge_conflict")
        before = _snapshot(survivor)
        moved = _move_links(survivor, merged)
        today = timezone.localdate()
        merged_fields = ["status", "status_date", "merged_into", "house", "updated_at"]
        merged.status, merged.status_date, merged.merged_into, merged.house = (
            PersonStatus.MERGED,
            today,
            survivor,
            None,
        )
        merged.save(update_fields=merged_fields)
        _life_event(
            survivor,
            LifeEventKind.PERSON_MERGED,
            actor=actor,
            summary=_("合并重复记录 %(p)s") % {"p": describe(merged)},
            merged_person_id=merged.pk,
            **moved,
        )
        _life_event(
            merged,
            LifeEventKind.PERSON_MERGED,
            actor=actor,
            summary=_("已合并至 %(p)s") % {"p": describe(survivor)},
            survivor_id=survivor.pk,
        )
        audit.record(
            events.PERSON_MERGED,
            actor=actor,
            target=survivor,
            message=_("%(b)s 合并至 %(a)s") % {"a": describe(survivor), "b": describe(merged)},
            before=before,
            after={**_snapshot(survivor), "merged_person_id": merged.pk, **moved},
        )
    return survivor


def _move_links(survivor: Person, merged: Person) -> dict[str, int]:
    """Point the merged record's links at the survivor (conflicts already refused); how many of each moved."""
    moved: dict[str, int] = {}
    gone = HouseholdMember.objects.filter(person=merged).first()
    if gone is not None:
        if HouseholdMember.objects.filter(person=survivor).exists():
            gone.delete()  # both in the same household: the survivor's membership stands
        else:
            gone.person = survivor
            gone.save(update_fields=["person"])
            moved["household_memberships"] = 1
    moved["households_headed"] = Household.objects.filter(head=merged).update(head=survivor)
    if merged.house_id and not survivor.house_id:
        survivor.house_id, survivor.house_relation = merged.house_id, merged.house_relation
        survivor.residence_address = survivor.residence_address or merged.residence_address
        survivor.save(update_fields=["house", "house_relation", "residence_address", "updated_at"])
        moved["house"] = merged.house_id
    if not Migrant.objects.filter(person=survivor).exists():
        moved["migrant"] = Migrant.objects.filter(person=merged).update(person=survivor)
    moved["tags"] = SpecialGroupTag.objects.filter(person=merged).update(person=survivor)
    moved["life_events"] = LifeEvent.objects.filter(person=merged).update(person=survivor)
    DuplicateDismissal.objects.filter(Q(first=merged) | Q(second=merged)).delete()
    for model, name in _other_links():
        count = model._base_manager.filter(**{name: merged}).update(**{name: survivor})
        if count:
            moved[f"{model._meta.label_lower}.{name}"] = count
    return {key: value for key, value in moved.items() if value}
