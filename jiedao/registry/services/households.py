"""Households (户): create, members, head changes, split and merge."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jiedao.audit import services as audit
from jiedao.core.exceptions import Conflict, ServiceError, ValidationFailed
from jiedao.core.i18n import Message
from jiedao.core.scope import require
from jiedao.dictionaries import selectors as dictionaries
from jiedao.orgs.models import OrgUnit
from jiedao.registry import audit_events as events
from jiedao.registry.choices import HouseholdKind, LifeEventKind, PersonStatus
from jiedao.registry.models import House, Household, HouseholdMember, Person
from jiedao.registry.services.common import community_errors, length_errors, same_community
from jiedao.registry.services.persons import lock_person, lock_persons, record_life_event
from jiedao.registry.services.residence import refresh_residence_split
from jiedao.registry.validators import InvalidNumber, parse_household_number

HEAD_RELATION = "02"
# GB/T 4761: 01 本人 and 02 户主 name the head; every other member's relation is to the head.
HEAD_ONLY_RELATIONS = ("01", HEAD_RELATION)
FIELDS = ["number", "kind", "head", "registered_address", "house", "org", "dissolved_on"]


def _check_relation(relation: str, *, head: bool = False) -> None:
    """A relation to the head (GB/T 4761); 本人 and 户主 only for the head, else a household has two."""
    if not dictionaries.is_valid("relation", relation):
        raise ValidationFailed(
            {"relation": [_("“%(r)s”不是有效的与户主关系代码（GB/T 4761）。") % {"r": relation}]}
        )
    if not head and relation in HEAD_ONLY_RELATIONS:
        raise ValidationFailed(
            {
                "relation": [
                    _("“%(r)s”只用于户主本人，请填写该成员与户主的关系。")
                    % {"r": dictionaries.label("relation", relation)}
                ]
            }
        )


def _member_problem(org: OrgUnit, person: Person, household: Household | None = None) -> str | None:
    """Why `person` cannot join a household of `org` (`household` when it exists already), or None."""
    if person.status != PersonStatus.LIVING:
        return _("%(n)s 当前状态为“%(s)s”，不能入户。") % {"n": person.name, "s": person.get_status_display()}
    if not same_community(person.org, org):
        return _("%(n)s 属于%(o)s，不能加入其他社区的户。") % {"n": person.name, "o": person.org.name}
    current = HouseholdMember.objects.filter(person=person).select_related("household")
    if household is not None:
        current = current.exclude(household=household)
    current = current.first()
    if current is not None:
        return _("%(n)s 已在户 %(h)s 中，请先办理出户或分户。") % {
            "n": person.name,
            "h": current.household.number,
        }
    return None


def _check_member(household: Household, person: Person, field: str = "person") -> None:
    problem = _member_problem(household.org, person, household)
    if problem:
        raise ValidationFailed({field: [problem]})


def _check_open(household: Household, field: str = "household") -> None:
    """A household closed (销户) takes no new members."""
    if household.dissolved_on is not None:
        raise ValidationFailed(
            {
                field: [
                    _("户 %(n)s 已于 %(d)s 销户，不能再加入成员。")
                    % {"n": household.number, "d": household.dissolved_on.isoformat()}
                ]
            }
        )


def join_household(
    *,
    actor,
    household: Household,
    person: Person,
    relation: str,
    timeline: bool = True,
    field: str = "",
    locked: bool = False,
) -> HouseholdMember:
    """入户. `timeline=False` when the caller's own life event already says so (a birth: “出生，入户 …”).
    `field` names the input the errors belong to (“members”: the members listed when a household is created);
    without it they are under “person” and “relation”. Inside the caller's transaction: the person's row is
    locked and checked as it is now (another clerk's 迁出 or 入户 may have committed since the page loaded);
    `locked`: the caller holds the person's lock already and created the household in this transaction."""
    if not locked:
        lock_person(person)
        _lock_household(household)  # persons first, then the household: a 迁出 closing it is seen or waits
    try:
        _check_open(household, "person")
        _check_relation(relation, head=household.head_id == person.pk)
        _check_member(household, person)
    except ValidationFailed as error:
        if not field:
            raise
        raise ValidationFailed({field: [m for messages in error.errors.values() for m in messages]}) from None
    try:
        with transaction.atomic():  # a savepoint: a write that bypassed the lock (an import) must not crash
            member = HouseholdMember.objects.create(
                person=person, household=household, relation=relation, joined_on=timezone.localdate()
            )
    except IntegrityError:
        current = HouseholdMember.objects.filter(person=person).select_related("household").first()
        number = current.household.number if current else household.number
        problem = _("%(n)s 已在户 %(h)s 中，请先办理出户或分户。") % {"n": person.name, "h": number}
        raise ValidationFailed({field or "person": [problem]}) from None
    refresh_residence_split([person.pk])
    if timeline:
        record_life_event(
            person,
            LifeEventKind.HOUSEHOLD_JOIN,
            actor=actor,
            summary=Message(
                gettext_noop("入户 %(h)s（%(r)s）"),
                h=household.number,
                r=dictionaries.label_message("relation", relation),
            ),
            household=household.pk,
            relation=relation,
        )
    audit.record(
        events.HOUSEHOLD_MEMBER_ADDED,
        actor=actor,
        target=household,
        after={"person": person.pk, "relation": relation},
    )
    return member


def _lock_household(household: Household) -> Household:
    """Lock a household's row (after the persons', see `lock_person`) and bring `household` up to date."""
    household.refresh_from_db(from_queryset=Household.objects.select_for_update(no_key=True))
    return household


def household_create(
    *,
    actor,
    org: OrgUnit,
    number: str,
    registered_address: str,
    head: Person | None,
    kind: str = HouseholdKind.FAMILY,
    house: House | None = None,
    members: list[tuple[Person, str]] = (),
) -> Household:
    """立户. `head` None (the caller could not find the person) is refused under head, together with
    whatever else is wrong, so a form shows every error at once."""
    require(actor, "registry.add_household", org)
    if head is not None:
        require(actor, "registry.view_person", head)
    errors = community_errors(org)
    try:
        number = parse_household_number(number)
    except InvalidNumber as error:
        errors["number"] = [error.message]
    else:
        if Household.objects.filter(number=number).exists():
            errors["number"] = [_("户号 %(n)s 已存在。") % {"n": number}]
    if not registered_address.strip():
        errors["registered_address"] = [_("请填写户籍地址。")]
    if kind not in HouseholdKind.values:
        errors["kind"] = [_("户别不正确。")]
    if house is not None and org is not None and not same_community(house.org, org):
        errors["house"] = [_("实际居住房屋不在该社区。")]
    if head is None:
        head_problem = _("请选择户主，或填写户主证件号码。")
    else:
        head_problem = _member_problem(org, head) if org is not None else None
    if head_problem:
        errors["head"] = [head_problem]
    errors.update(length_errors(Household, registered_address=registered_address))
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        # everyone joining, in id order before anything else (two 立户 listing the same people never deadlock)
        lock_persons([head.pk, *(person.pk for person, _relation in members)])
        household = Household.objects.create(
            org=org,
            number=number,
            kind=kind,
            head=head,
            created_by=actor,
            registered_address=registered_address.strip(),
            house=house,
        )
        join_household(actor=actor, household=household, person=head, relation=HEAD_RELATION, locked=True)
        for person, relation in members:
            require(actor, "registry.view_person", person)
            join_household(
                actor=actor,
                household=household,
                person=person,
                relation=relation,
                field="members",
                locked=True,
            )
        audit.record(
            events.HOUSEHOLD_CREATED, actor=actor, target=household, after=audit.snapshot(household, FIELDS)
        )
    return household


# A field `household_update` leaves as it is (the API's PATCH sends only what it changes).
UNCHANGED = object()


def household_update(
    *,
    actor,
    household: Household,
    registered_address: str | object = UNCHANGED,
    kind: str | object = UNCHANGED,
    house: House | None | object = UNCHANGED,
    seen_updated_at: datetime | None = None,
) -> Household:
    """户籍地址, 户别 and 实际居住房屋; a field passed as UNCHANGED is neither validated nor written, so it
    keeps the value it has when the row is locked (not the caller's loaded copy, which another clerk's save
    may have changed since). `seen_updated_at` is the household's `updated_at` as the edit page (or API
    client) showed it: when the household was saved since, the edit is refused (Conflict) rather than writing
    the page's old values over the other clerk's change."""
    require(actor, "registry.change_household", household)
    values: dict = {}
    errors: dict[str, list[str]] = {}
    if registered_address is not UNCHANGED:
        values["registered_address"] = registered_address.strip()
        errors.update(length_errors(Household, registered_address=registered_address))
        if not values["registered_address"]:
            errors["registered_address"] = [_("请填写户籍地址。")]
    if kind is not UNCHANGED:
        values["kind"] = kind
        if kind not in HouseholdKind.values:
            errors["kind"] = [_("户别不正确。")]
    if house is not UNCHANGED:
        values["house"] = house
        if house is not None and not same_community(house.org, household.org):
            errors["house"] = [_("实际居住房屋不在该社区。")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        # On the row as it is now, writing only this edit's fields: saving the loaded copy wrote back its old
        # head and 销户 date over a 迁出 that closed the household or a head change committed meanwhile.
        _lock_household(household)
        if seen_updated_at is not None and household.updated_at != seen_updated_at:
            raise Conflict(_("该户信息已被他人修改，请刷新后重试。"))
        before = audit.snapshot(household, FIELDS)
        for name, value in values.items():
            setattr(household, name, value)
        household.save(update_fields=[*values, "updated_at"])
        audit.record(
            events.HOUSEHOLD_CHANGED,
            actor=actor,
            target=household,
            before=before,
            after=audit.snapshot(household, FIELDS),
        )
    return household


def household_add_member(*, actor, household: Household, person: Person, relation: str) -> HouseholdMember:
    require(actor, "registry.change_household", household)
    require(actor, "registry.view_person", person)
    if relation == HEAD_RELATION:
        raise ValidationFailed({"relation": [_("户主请通过“变更户主”办理。")]})
    with transaction.atomic():
        return join_household(actor=actor, household=household, person=person, relation=relation)


def household_remove_member(*, actor, household: Household, person: Person) -> None:
    require(actor, "registry.change_household", household)
    with transaction.atomic():
        # persons first, then the household; the head as it is now: another clerk may just have made this
        # member the head (checked on the loaded copy, the household was left with a head who is no member)
        lock_person(person)
        _lock_household(household)
        if household.head_id == person.pk:
            raise ServiceError(_("不能移出户主，请先变更户主。"), code="is_head")
        deleted, _rows = HouseholdMember.objects.filter(household=household, person=person).delete()
        if not deleted:
            raise ValidationFailed({"person": [_("%(n)s 不是该户成员。") % {"n": person.name}]})
        refresh_residence_split([person.pk])
        record_life_event(
            person,
            LifeEventKind.HOUSEHOLD_LEAVE,
            actor=actor,
            summary=Message(gettext_noop("出户 %(h)s"), h=household.number),
            household=household.pk,
        )
        audit.record(
            events.HOUSEHOLD_MEMBER_REMOVED, actor=actor, target=household, before={"person": person.pk}
        )


def household_change_head(
    *,
    actor,
    household: Household,
    new_head: Person,
    old_head_relation: str,
    relations: dict[int, str] | None = None,
) -> Household:
    """The new head must already be a member; the former head takes `old_head_relation`, and other members
    may get new relations (their relation is to the head)."""
    require(actor, "registry.change_household", household)
    _check_relation(old_head_relation)
    for person_id, relation in (relations or {}).items():
        _check_relation(relation, head=person_id == new_head.pk)
    seen_head = household.head_id  # the head the request found: `old_head_relation` and `relations` are his
    with transaction.atomic():
        # persons first (ascending ids), then the household: the order every registry service locks in
        lock_persons([new_head.pk, *([seen_head] if seen_head else [])])
        _lock_household(household)
        if household.dissolved_on is not None:
            raise ValidationFailed(
                {"new_head": [_("户 %(n)s 已销户，不能变更户主。") % {"n": household.number}]}
            )
        if household.head_id != seen_head:
            # another clerk changed the head meanwhile: the relations given were to the head before, and
            # applied to the new one they would be wrong (the new head's mother entered as the son's 父亲)
            raise Conflict(_("该户户主已变更，请刷新后重试。"))
        new_head.refresh_from_db()
        membership = HouseholdMember.objects.filter(household=household, person=new_head).first()
        if membership is None or new_head.status != PersonStatus.LIVING:
            raise ValidationFailed({"new_head": [_("新户主须是本户成员。")]})
        if new_head.pk == household.head_id:
            raise ValidationFailed({"new_head": [_("%(n)s 已是户主。") % {"n": new_head.name}]})
        before = audit.snapshot(household, FIELDS)
        old_head = household.head
        if old_head is not None:
            HouseholdMember.objects.filter(household=household, person=old_head).update(
                relation=old_head_relation
            )
        for person_id, relation in (relations or {}).items():
            HouseholdMember.objects.filter(household=household, person_id=person_id).update(relation=relation)
        membership.relation = HEAD_RELATION
        membership.save(update_fields=["relation"])
        household.head = new_head
        household.save(update_fields=["head", "updated_at"])
        for member in household.members.select_related("person"):
            record_life_event(
                member.person,
                LifeEventKind.HEAD_CHANGE,
                actor=actor,
                summary=Message(
                    gettext_noop("户 %(h)s 户主变更为%(n)s"), h=household.number, n=new_head.name
                ),
            )
        audit.record(
            events.HOUSEHOLD_HEAD_CHANGED,
            actor=actor,
            target=household,
            before=before,
            after=audit.snapshot(household, FIELDS),
        )
    return household


def household_split(
    *,
    actor,
    household: Household,
    persons: list[Person],
    new_number: str,
    new_head: Person,
    relations: dict[int, str],
    registered_address: str = "",
    house: House | None = None,
) -> Household:
    """分户: some members leave to form a new household in the same community. Every problem of the request
    is reported at once, under its field."""
    require(actor, "registry.change_household", household)
    require(actor, "registry.add_household", household.org)
    moving = {p.pk for p in persons} | {new_head.pk}
    with transaction.atomic():
        # the members as they are now: one of them may have moved out or been split off meanwhile
        lock_persons(moving)
        _lock_household(household)
        return _split(
            actor=actor,
            household=household,
            moving=moving,
            new_number=new_number,
            new_head=new_head,
            relations=relations,
            registered_address=registered_address,
            house=house,
        )


def _split(*, actor, household, moving, new_number, new_head, relations, registered_address, house):
    errors: dict[str, list[str]] = {}
    if house is not None and not same_community(house.org, household.org):
        errors["house"] = [_("实际居住房屋不在该社区。")]
    member_ids = set(household.members.values_list("person_id", flat=True))
    if not moving <= member_ids:
        errors["persons"] = [_("分出的人员须是本户成员。")]
    elif household.head_id in moving:
        errors["persons"] = [_("原户主不能分出，请先变更户主。")]
    elif moving == member_ids:
        errors["persons"] = [_("不能分出全部成员。")]
    for person_id in moving - {new_head.pk}:
        if person_id not in relations:
            errors["relations"] = [_("请填写每位分出成员与新户主的关系。")]
            break
        try:
            _check_relation(relations[person_id])
        except ValidationFailed as wrong:
            errors["relations"] = wrong.errors["relation"]
            break
    try:
        new_number = parse_household_number(new_number)
    except InvalidNumber as error:
        errors["new_number"] = [error.message]
    else:
        if Household.objects.filter(number=new_number).exists():
            errors["new_number"] = [_("请填写一个尚未使用的新户号。")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        HouseholdMember.objects.filter(person_id__in=moving).delete()
        new = Household.objects.create(
            org=household.org,
            number=new_number,
            kind=household.kind,
            head=new_head,
            created_by=actor,
            registered_address=registered_address.strip() or household.registered_address,
            house=house or household.house,
        )
        HouseholdMember.objects.create(
            household=new, person=new_head, relation=HEAD_RELATION, joined_on=timezone.localdate()
        )
        for person_id in moving - {new_head.pk}:
            HouseholdMember.objects.create(
                household=new,
                person_id=person_id,
                relation=relations[person_id],
                joined_on=timezone.localdate(),
            )
        refresh_residence_split(moving)  # the new household is of the same community, as a rule
        for person in Person.objects.filter(pk__in=moving):
            record_life_event(
                person,
                LifeEventKind.HOUSEHOLD_SPLIT,
                actor=actor,
                summary=Message(
                    gettext_noop("由户 %(a)s 分户，新户号 %(b)s"), a=household.number, b=new_number
                ),
            )
        audit.record(
            events.HOUSEHOLD_SPLIT,
            actor=actor,
            target=household,
            after={"new_household": new.pk, "number": new_number, "persons": sorted(moving)},
        )
    return new


def household_merge(*, actor, source: Household, target: Household, relations: dict[int, str]) -> Household:
    """并户: every member of `source` joins `target` with a relation to its head; `source` is closed."""
    require(actor, "registry.change_household", source)
    require(actor, "registry.change_household", target)
    if source.pk == target.pk:
        raise ValidationFailed({"target": [_("不能并入本户。")]})
    if not same_community(source.org, target.org):
        raise ValidationFailed({"target": [_("只能与同一社区的户合并。")]})
    with transaction.atomic():
        # the source's members as they are now (persons first, then the households, in id order)
        lock_persons(source.members.values_list("person_id", flat=True))
        for locked in sorted((source, target), key=lambda h: h.pk):
            _lock_household(locked)
        _check_open(target, "target")
        if source.dissolved_on is not None:
            raise ValidationFailed(
                {"target": [_("户 %(n)s 已销户，不能再办理并户。") % {"n": source.number}]}
            )
        moving = list(source.members.select_related("person"))
        for member in moving:
            if member.person_id not in relations:
                raise ValidationFailed(
                    {"relations": [_("请填写%(n)s与新户主的关系。") % {"n": member.person.name}]}
                )
            _check_relation(relations[member.person_id])
        for member in moving:
            member.household, member.relation = target, relations[member.person_id]
            member.save(update_fields=["household", "relation"])
            record_life_event(
                member.person,
                LifeEventKind.HOUSEHOLD_MERGE,
                actor=actor,
                summary=Message(gettext_noop("户 %(a)s 并入户 %(b)s"), a=source.number, b=target.number),
            )
        source.head, source.dissolved_on = None, timezone.localdate()
        source.save(update_fields=["head", "dissolved_on", "updated_at"])
        refresh_residence_split([member.person_id for member in moving])
        audit.record(
            events.HOUSEHOLD_MERGED,
            actor=actor,
            target=target,
            after={"source": source.pk, "persons": [m.person_id for m in moving]},
        )
    return target
