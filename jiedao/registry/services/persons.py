"""Persons, life events, migrants and special-group tags."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext_lazy

from jiedao.audit import services as audit
from jiedao.core import crypto, uploads
from jiedao.core.exceptions import Conflict, ServiceError, ValidationFailed
from jiedao.core.i18n import Joined, Message, Text, for_record, records_language
from jiedao.core.scope import require
from jiedao.dictionaries import selectors as dictionaries
from jiedao.orgs.models import OrgUnit
from jiedao.registry import audit_events as events
from jiedao.registry.choices import HouseRelation, LifeEventKind, PersonStatus
from jiedao.registry.identity import pinyin_keys, stored_identity, stored_phone
from jiedao.registry.models import (
    House,
    Household,
    HouseholdMember,
    LifeEvent,
    Migrant,
    Person,
    SpecialGroupTag,
)
from jiedao.registry.services.common import (
    community_errors,
    length_errors,
    merge_errors,
    same_community,
)
from jiedao.registry.services.residence import refresh_residence_split
from jiedao.registry.validators import InvalidNumber, clean_person_name, parse_phone

# What the audit log keeps of a person: never the full ID number or phone, only the masked copies.
AUDITED_FIELDS = [
    "name",
    "id_kind",
    "id_number_masked",
    "gender",
    "birth_date",
    "ethnicity",
    "phone_masked",
    "other_phones_masked",
    "education",
    "political_status",
    "marital_status",
    "employment",
    "house",
    "house_relation",
    "residence_address",
    "hukou_address",
    "status",
    "org",
]
DICTIONARY_FIELDS = {
    "ethnicity": "ethnicity",
    "education": "education",
    "political_status": "political_status",
    "marital_status": "marital_status",
}


@dataclass
class PersonData:
    name: str
    id_number: str
    org: OrgUnit
    gender: str = ""
    birth_date: date | None = None
    ethnicity: str = ""
    phone: str = ""
    # Further phone numbers, separated by 、 , ， ; ； / or spaces (see `split_phones`).
    other_phones: str = ""
    education: str = ""
    political_status: str = ""
    marital_status: str = ""
    employment: str = ""
    house: House | None = None
    house_relation: str = HouseRelation.FAMILY
    residence_address: str = ""
    hukou_address: str = ""
    note: str = ""


# --- phones ----------------------------------------------------------------------------------------------

MAX_OTHER_PHONES = 5
PHONE_SEPARATORS = re.compile(r"[、,，;；/／\n]+")


def split_phones(raw: str) -> list[str]:
    """The national numbers in a text holding one or several phones, in order, without repeats.

    Numbers are separated by 、 , ， ; ； / or whitespace; a run of space-separated groups that forms one
    number (`138 0013 8000`, `0571 8765 4321`) stays one number. Raises `InvalidNumber` (Chinese message)
    for a part that is not a phone number.
    """
    numbers: list[str] = []
    for chunk in PHONE_SEPARATORS.split(raw or ""):
        tokens = chunk.split()
        start = 0
        while start < len(tokens):
            # The longest run of groups from `start` that is one valid number.
            for end in range(len(tokens), start, -1):
                try:
                    national = parse_phone(" ".join(tokens[start:end])).national
                except InvalidNumber:
                    if end == start + 1:
                        raise
                    continue
                if national not in numbers:
                    numbers.append(national)
                start = end
                break
    return numbers


def stored_other_phones(numbers: list[str]) -> tuple[str, str]:
    """(plaintext for the encrypted column, masked copy) of the further phone numbers."""
    if len(numbers) > MAX_OTHER_PHONES:
        raise InvalidNumber(_("其他联系电话最多填写 %(n)d 个。") % {"n": MAX_OTHER_PHONES}, "too_many")
    return ",".join(numbers), "、".join(crypto.mask_phone(number) for number in numbers)


def _may_see(actor, person: Person) -> bool:
    """Whether an error message may name where this person is registered: only within the actor's scope."""
    if actor is None:
        return True
    return Person.objects.visible_to(actor, "view").filter(pk=person.pk).exists()


def _person_values(data: PersonData, *, exclude_pk: int | None = None, actor=None) -> dict:
    """Validate everything at once; return the model field values or raise ValidationFailed."""
    errors = community_errors(data.org)
    values: dict = {}
    name = ""
    try:
        name = clean_person_name(data.name)
    except InvalidNumber as error:
        errors.setdefault("name", []).append(error.message)
    if data.birth_date and data.birth_date > timezone.localdate():
        errors.setdefault("birth_date", []).append(_("出生日期不能晚于今天。"))
    try:
        identity = stored_identity(data.id_number)
    except InvalidNumber as error:
        errors.setdefault("id_number", []).append(error.message)
        identity = None
    if identity is not None:
        if data.gender and data.gender != identity.gender:
            errors.setdefault("gender", []).append(
                _("性别与证件号码不符（号码显示为%(g)s）。")
                % {"g": _("男") if identity.gender == "1" else _("女")}
            )
        if data.birth_date and data.birth_date != identity.birth_date and "birth_date" not in errors:
            errors.setdefault("birth_date", []).append(
                _("出生日期与证件号码不符（号码显示为 %(d)s）。") % {"d": date_format(identity.birth_date)}
            )
        duplicate = (
            Person.objects.filter(id_number_hash=identity.id_number_hash).exclude(pk=exclude_pk).first()
        )
        if duplicate is not None and duplicate.status == PersonStatus.MERGED:
            errors.setdefault("id_number", []).append(merged_number_error())
        elif duplicate is not None:
            errors.setdefault("id_number", []).append(
                _("该证件号码已登记（%(org)s）。如系迁入，请办理迁入登记。") % {"org": duplicate.org.name}
                if _may_see(actor, duplicate)
                else _("该证件号码已在其他社区登记，请联系该社区办理迁出后，再办理迁入登记。")
            )
        values.update(
            id_number=identity.id_number,
            id_number_hash=identity.id_number_hash,
            id_number_masked=identity.id_number_masked,
            id_kind=identity.id_kind,
            gender=identity.gender,
            birth_date=identity.birth_date,
        )
    try:
        phone, phone_index, phone_masked = stored_phone(data.phone)
        values.update(phone=phone, phone_hash=phone_index, phone_masked=phone_masked)
    except InvalidNumber as error:
        errors.setdefault("phone", []).append(error.message)
    try:
        others = [n for n in split_phones(data.other_phones) if n != values.get("phone")]
        values["other_phones"], values["other_phones_masked"] = stored_other_phones(others)
    except InvalidNumber as error:
        errors.setdefault("other_phones", []).append(error.message)
    for attr, dictionary in DICTIONARY_FIELDS.items():
        code = (getattr(data, attr) or "").strip()
        if code and not dictionaries.is_valid(dictionary, code, allow_inactive=True):
            errors.setdefault(attr, []).append(_("“%(code)s”不是有效的代码。") % {"code": code})
        values[attr] = code
    if data.house is not None and data.org is not None and not same_community(data.house.org, data.org):
        errors.setdefault("house", []).append(_("居住房屋不在该居民所属社区。"))
    if data.house_relation not in HouseRelation.values:
        errors.setdefault("house_relation", []).append(_("与房屋关系不正确。"))
    errors = merge_errors(
        errors,
        length_errors(
            Person,
            employment=data.employment,
            residence_address=data.residence_address,
            hukou_address=data.hukou_address,
            note=data.note,
        ),
    )
    if errors:
        raise ValidationFailed(errors)
    full_pinyin, initials = pinyin_keys(name)
    values.update(
        name=name,
        name_pinyin=full_pinyin,
        name_initials=initials,
        org=data.org,
        employment=data.employment.strip(),
        house=data.house,
        house_relation=data.house_relation,
        residence_address=(data.house.full_address if data.house else data.residence_address.strip()),
        hukou_address=data.hukou_address.strip(),
        note=data.note.strip(),
    )
    return values


def record_life_event(
    person: Person, kind: str, *, actor, summary: str | Text, occurred_on: date | None = None, **details
) -> None:
    """A timeline entry (the households and merge services write theirs through it too); a summary the system words is a `Message` (read in each reader's language), what a
    person typed a string kept as written."""
    summary, summary_message = for_record(summary)
    LifeEvent.objects.create(
        person=person,
        kind=kind,
        summary=summary[:300],
        summary_message=summary_message,
        occurred_on=occurred_on or timezone.localdate(),
        details=details,
        actor=actor if getattr(actor, "pk", None) else None,
    )


def person_snapshot(person: Person) -> dict:
    """The audited fields as the audit log stores them: the before/after of a change."""
    return audit.snapshot(person, AUDITED_FIELDS)


def lock_person(person: Person) -> Person:
    """Lock the person's row until the transaction ends and bring `person` up to date with it (inside
    `transaction.atomic()`). A check of status or membership made on what a page or an earlier query saw may
    be stale by the time it is acted on — another clerk's 迁出, a process's tag — so every service that acts
    on such a check locks first and checks the locked row. FOR NO KEY UPDATE: it serialises the writers of
    the person and leaves rows that merely point at the person (life events, tags) free to be inserted.
    Several persons: lock them in ascending id order (`lock_persons`), then any household, never the other
    way round."""
    person.refresh_from_db(from_queryset=Person.objects.select_for_update(no_key=True))
    return person


def merged_number_error() -> str:
    """For a registration or import under the ID number of a merged duplicate (已合并): that record only stays
    to be read, and searching the number finds the record kept."""
    return _("该证件号码属于已合并的重复记录，请在保留的记录上办理（按该号码查询人口信息即可找到）。")


def ensure_not_merged(person: Person) -> None:
    """A record merged into another (疑似重复人员) is kept only to be read: changes go to the record kept."""
    if person.status == PersonStatus.MERGED:
        raise ServiceError(
            _("该记录是重复记录，已合并至 %(p)s，不能再修改；请修改保留的记录。")
            % {"p": person.merged_into.name if person.merged_into_id else ""},
            code="merged",
        )


def lock_persons(ids) -> None:
    """Lock several persons' rows, in ascending id order (two services locking the same persons in different
    orders would deadlock)."""
    ids = sorted(set(ids))
    if ids:
        list(
            Person.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk").values_list("pk")
        )


def person_create(
    *,
    actor,
    data: PersonData,
    event=events.PERSON_CREATED,
    life_event: str = LifeEventKind.REGISTERED,
    occurred_on: date | None = None,
    summary: str = "",
) -> Person:
    require(actor, "registry.add_person", data.org)
    values = _person_values(data, actor=actor)
    with transaction.atomic():
        person = Person.objects.create(created_by=actor, **values)
        refresh_residence_split([person.pk])
        with records_language():
            record_life_event(
                person,
                life_event,
                actor=actor,
                occurred_on=occurred_on,
                summary=summary or Message(gettext_noop("登记于%(org)s"), org=data.org.name),
            )
        audit.record(event, actor=actor, target=person, after=person_snapshot(person))
    return person


def person_update(*, actor, person: Person, data: PersonData, seen_updated_at=None) -> Person:
    """Save an edit. `seen_updated_at` is the person's `updated_at` as the edit page (or API client) showed
    it — else `person.updated_at` as the caller loaded it: when the person was saved since, the edit is
    refused (Conflict) rather than writing the page's old values over the other clerk's change."""
    require(actor, "registry.change_person", person)
    seen = seen_updated_at or person.updated_at
    require(actor, "registry.change_person", data.org)
    # Another community is a move (迁出, then 迁入 there), with its household and house left behind: an edit
    # that only changed `org` left the person in a household of the old community, out of its clerks' sight.
    moving = {}
    if data.org is not None and not same_community(person.org, data.org):
        moving = {"org": [_("不能直接改到其他社区：请由原社区办理迁出，再由新社区办理迁入。")]}
    try:
        values = _person_values(data, exclude_pk=person.pk, actor=actor)
    except ValidationFailed as error:
        raise ValidationFailed(merge_errors(moving, error.errors)) from None
    if moving:
        raise ValidationFailed(moving)
    with transaction.atomic():
        lock_person(person)
        ensure_not_merged(person)
        if seen is not None and person.updated_at != seen:
            raise Conflict(_("该居民信息已被他人修改，请刷新后重试。"))
        before = person_snapshot(person)
        for name, value in values.items():
            setattr(person, name, value)
        person.save()
        refresh_residence_split([person.pk])  # the house or the grid may have changed
        after = person_snapshot(person)
        changed = sorted(k for k in after if after[k] != before.get(k))
        if changed:
            labels = Joined(Person._meta.get_field(k.removesuffix("_id")).verbose_name for k in changed)
            record_life_event(
                person,
                LifeEventKind.UPDATED,
                actor=actor,
                summary=Message(gettext_noop("修改：%(f)s"), f=labels),
                fields=changed,
            )
            audit.record(events.PERSON_CHANGED, actor=actor, target=person, before=before, after=after)
    return person


def person_reveal(*, actor, person: Person) -> dict[str, str]:
    """The full ID number and phone, for a user allowed to see them; every look is audited."""
    require(actor, "registry.view_full_person", person)
    audit.record(events.PERSON_REVEALED, actor=actor, target=person)
    return {
        "id_number": person.id_number,
        "phone": person.phone,
        "other_phones": [n for n in (person.other_phones or "").split(",") if n],
    }


# --- uploads: photos and evidence -----------------------------------------------------------------------


def checked_upload(upload, field_name: str, *, images_only: bool = False) -> uploads.Prepared:
    """The upload as it is to be stored, through `core.uploads.prepare` as the service hall's materials are:
    the type recognised by its content; a photo — JPEG, PNG, WebP, HEIC/HEIF, AVIF — decoded, turned upright
    by its EXIF orientation and written anew without its metadata (a phone puts where a photo was taken in
    it: for a resident photographed at home, their address to a few metres); a PDF kept as sent. Limits are
    the system parameters `applications.max_file_mb` (a stored file) and `applications.max_photo_mb` (a
    photo as sent). `images_only` (a person's photo): a PDF is refused. Chinese errors under `field_name`."""
    from jiedao.parameters.services import get_parameter

    name = getattr(upload, "name", "") or _("未命名文件")
    try:
        prepared = uploads.prepare(
            upload,
            name=name,
            max_bytes=int(get_parameter("applications.max_file_mb")) * 1024 * 1024,
            max_photo_bytes=int(get_parameter("applications.max_photo_mb")) * 1024 * 1024,
        )
    except uploads.UploadRefused as refused:
        raise ValidationFailed({field_name: [refused.message]}) from None
    if images_only and prepared.content_type not in (uploads.JPEG, uploads.PNG):
        raise ValidationFailed(
            {
                field_name: [
                    _("“%(name)s”不是照片（JPG、PNG、WebP、HEIC），系统按文件内容识别，与文件名无关。")
                    % {"name": uploads.short_name(name)}
                ]
            }
        )
    return prepared


def person_set_photo(*, actor, person: Person, photo) -> Person:
    """Set (or with `photo=None` remove) a person's photo: any photo a phone takes (`checked_upload`), kept
    upright as JPEG or PNG without its metadata."""
    require(actor, "registry.change_person", person)
    prepared = checked_upload(photo, "photo", images_only=True) if photo is not None else None
    with transaction.atomic():
        # The photo replaced is the one stored now, not the one the request loaded: another clerk's upload
        # may have committed since, and its encrypted file would be left on disk, referenced by nothing.
        lock_person(person)
        ensure_not_merged(person)
        before = {"photo": person.photo.name or ""}
        old = person.photo.name
        if photo is None:
            person.photo = ""
        else:
            person.photo.save(uploads.stored_name(prepared.content_type), prepared.file, save=False)
        person.save(update_fields=["photo", "updated_at"])
        with records_language():
            record_life_event(
                person,
                LifeEventKind.UPDATED,
                actor=actor,
                summary=Message(gettext_noop("修改：照片"))
                if photo is not None
                else pgettext_lazy("timeline", "删除照片"),  # not the button's "Remove photo"
                fields=["photo"],
            )
        audit.record(
            events.PERSON_CHANGED,
            actor=actor,
            target=person,
            before=before,
            after={"photo": person.photo.name or ""},
        )
        if old and old != person.photo.name:
            storage = person.photo.storage
            transaction.on_commit(lambda: storage.delete(old))
    return person


def _ensure_living(person: Person) -> None:
    if person.status != PersonStatus.LIVING:
        raise ServiceError(
            _("该居民当前状态为“%(s)s”，不能办理此事项。") % {"s": person.get_status_display()},
            code="not_living",
        )


def _check_event_day(field: str, day: date | None, *, late: str, early: str = "", born: date | None = None):
    """A life event's date may not lie after today (the site's local date, Asia/Shanghai) nor before the
    person's birth; `late` and `early` are the Chinese messages, raised under `field`."""
    if day is None:
        return
    if day > timezone.localdate():
        raise ValidationFailed({field: [late]})
    if early and born is not None and day < born:
        raise ValidationFailed({field: [early]})


def _leave_household(person: Person) -> None:
    """The person (locked) leaves their household; a head leaving alone closes it. The household's row is
    locked before its members are counted: a member being added meanwhile is either seen or waits."""
    membership = HouseholdMember.objects.filter(person=person).first()
    if membership is None:
        return
    household = Household.objects.select_for_update(no_key=True).get(pk=membership.household_id)
    if household.head_id == person.pk and household.members.exclude(person=person).exists():
        raise ServiceError(
            _("该居民是户 %(n)s 的户主且户内还有其他成员，请先变更户主。") % {"n": household.number},
            code="is_head",
        )
    membership.delete()
    if household.head_id == person.pk:
        household.head = None
        household.dissolved_on = timezone.localdate()
        household.save(update_fields=["head", "dissolved_on", "updated_at"])


# The members who may be a newborn's parents, by the newborn's relation to the head (GB/T 4761): a child
# of the head (2x 子, 3x 女) is the head's and the spouse's; a grandchild (4x) a son's or daughter's (or
# in-law's); a sibling of the head (7x) the head's parents' (5x).
_PARENT_RELATIONS = {"2": ("10", "11", "12"), "3": ("10", "11", "12"), "4": ("2", "3"), "7": ("5",)}


def _birth_house(household, data: PersonData, relation: str) -> House | None:
    """Where a newborn lives: the house of the head, else of a parent in the household, else the
    household's own 实际居住房屋 — the first one in the newborn's community."""
    candidates = []
    if household.head_id:
        candidates.append(household.head.house)
    prefixes = _PARENT_RELATIONS.get((relation or "")[:1], ())
    if prefixes:
        members = (
            HouseholdMember.objects.filter(household=household, person__status=PersonStatus.LIVING)
            .exclude(person_id=household.head_id)
            .select_related("person__house__org")
            .order_by("relation", "id")
        )
        candidates += [m.person.house for m in members if m.relation.startswith(prefixes)]
    candidates.append(household.house)
    for house in candidates:
        if house is not None and same_community(house.org, data.org):
            return house
    return None


def person_register_birth(*, actor, household, data: PersonData, relation: str) -> Person:
    """出生登记: the newborn joins `household`. Unless `data` gives them, the 户籍地址 is the household's
    registered address and the residence house the head's (or a parent's in the household), as 家庭成员."""
    from jiedao.registry.services.households import join_household

    require(actor, "registry.change_household", household)
    if data.org is None:
        data.org = household.org
    elif not same_community(data.org, household.org):
        raise ValidationFailed(
            {"org": [_("新生儿须登记在户所在的社区（%(org)s）或其网格。") % {"org": household.org.name}]}
        )
    if not (data.hukou_address or "").strip():
        data.hukou_address = household.registered_address
    if data.house is None and not (data.residence_address or "").strip():
        data.house = _birth_house(household, data, relation)
        if data.house is not None:
            data.house_relation = HouseRelation.FAMILY
    summary = Message(gettext_noop("出生，入户 %(n)s"), n=household.number)
    with transaction.atomic():
        person = person_create(
            actor=actor,
            data=data,
            event=events.PERSON_BIRTH,
            life_event=LifeEventKind.BIRTH,
            occurred_on=data.birth_date,
            summary=summary,
        )
        join_household(actor=actor, household=household, person=person, relation=relation, timeline=False)
    return person


def person_register_death(*, actor, person: Person, died_on: date, note: str = "") -> Person:
    require(actor, "registry.change_person", person)
    _ensure_living(person)
    if died_on is None:
        raise ValidationFailed({"died_on": [_("请填写死亡日期。")]})
    _check_event_day(
        "died_on",
        died_on,
        late=_("死亡日期不能晚于今天。"),
        early=_("死亡日期不能早于出生日期 %(d)s。") % {"d": person.birth_date.isoformat()},
        born=person.birth_date,
    )
    with transaction.atomic():
        lock_person(person)
        _ensure_living(person)
        before = person_snapshot(person)
        _leave_household(person)
        person.status, person.status_date = PersonStatus.DECEASED, died_on
        person.save(update_fields=["status", "status_date", "updated_at"])
        refresh_residence_split([person.pk])  # no longer living, out of the household
        _end_open_tags(person, ended_on=died_on, actor=actor, reason=Message(gettext_noop("死亡")))
        with records_language():
            record_life_event(
                person,
                LifeEventKind.DEATH,
                actor=actor,
                occurred_on=died_on,
                summary=note or Message(gettext_noop("死亡")),
            )
        audit.record(
            events.PERSON_DEATH, actor=actor, target=person, before=before, after=person_snapshot(person)
        )
    return person


def person_move_out(*, actor, person: Person, moved_on: date, destination: str) -> Person:
    require(actor, "registry.change_person", person)
    _ensure_living(person)
    if not destination.strip():
        raise ValidationFailed({"destination": [_("请填写迁往地。")]})
    if moved_on is None:
        raise ValidationFailed({"moved_on": [_("请填写迁出日期。")]})
    _check_event_day(
        "moved_on",
        moved_on,
        late=_("迁出日期不能晚于今天。"),
        early=_("迁出日期不能早于出生日期。"),
        born=person.birth_date,
    )
    with transaction.atomic():
        lock_person(person)
        _ensure_living(person)  # again on the locked row: a double click or another clerk's 迁出
        before = person_snapshot(person)
        _leave_household(person)
        person.status, person.status_date = PersonStatus.MOVED_OUT, moved_on
        person.save(update_fields=["status", "status_date", "updated_at"])
        refresh_residence_split([person.pk])  # no longer living, out of the household
        # Moving away ends the community's special-group status and the benefits it administers (低保,
        # 特困…): the new community registers them again.
        _end_open_tags(person, ended_on=moved_on, actor=actor, reason=Message(gettext_noop("迁出")))
        with records_language():
            record_life_event(
                person,
                LifeEventKind.MOVE_OUT,
                actor=actor,
                occurred_on=moved_on,
                summary=Message(gettext_noop("迁往%(d)s"), d=destination.strip()),
                destination=destination.strip(),
            )
        audit.record(
            events.PERSON_MOVED_OUT, actor=actor, target=person, before=before, after=person_snapshot(person)
        )
    return person


def person_move_in(*, actor, data: PersonData, moved_on: date, origin: str) -> Person:
    """Register a person arriving in a community. Someone registered before (moved out of another community)
    is taken over, keeping their timeline; anyone else is created."""
    if data.org is None:
        raise ValidationFailed(community_errors(None))
    require(actor, "registry.add_person", data.org)
    if moved_on is None:
        raise ValidationFailed({"moved_on": [_("请填写迁入日期。")]})
    _check_event_day("moved_on", moved_on, late=_("迁入日期不能晚于今天。"))
    try:
        existing = Person.objects.filter(
            id_number_hash=stored_identity(data.id_number).id_number_hash
        ).first()
    except InvalidNumber as error:
        raise ValidationFailed({"id_number": [error.message]}) from None
    summary = Message(
        gettext_noop("自%(o)s迁入%(org)s"),
        o=origin.strip() or Message(gettext_noop("外地")),
        org=data.org.name,
    )
    if existing is None:
        return person_create(
            actor=actor,
            data=data,
            event=events.PERSON_MOVED_IN,
            life_event=LifeEventKind.MOVE_IN,
            occurred_on=moved_on,
            summary=summary,
        )
    if existing.status == PersonStatus.MERGED:
        raise ValidationFailed({"id_number": [merged_number_error()]})
    if existing.status == PersonStatus.LIVING:
        raise ValidationFailed(
            {
                "id_number": [
                    _("该居民仍登记在%(org)s，请先由原社区办理迁出。") % {"org": existing.org.name}
                    if _may_see(actor, existing)
                    else _("该居民仍在其他社区登记，请先由原社区办理迁出。")
                ]
            }
        )
    if existing.status == PersonStatus.DECEASED:
        raise ValidationFailed({"id_number": [_("该证件号码对应的居民已登记死亡。")]})
    values = _person_values(data, exclude_pk=existing.pk, actor=actor)
    with transaction.atomic():
        lock_person(existing)
        if existing.status != PersonStatus.MOVED_OUT:  # another clerk's 迁入 came first
            raise ServiceError(
                _("该居民当前状态为“%(s)s”，不能办理此事项。") % {"s": existing.get_status_display()},
                code="not_living",
            )
        before = person_snapshot(existing)
        for name, value in values.items():
            setattr(existing, name, value)
        existing.status, existing.status_date = PersonStatus.LIVING, moved_on
        existing.save()
        refresh_residence_split([existing.pk])
        with records_language():
            record_life_event(
                existing,
                LifeEventKind.MOVE_IN,
                actor=actor,
                occurred_on=moved_on,
                summary=summary,
                origin=origin.strip(),
            )
        audit.record(
            events.PERSON_MOVED_IN,
            actor=actor,
            target=existing,
            before=before,
            after=person_snapshot(existing),
        )
    return existing


def person_change_address(
    *,
    actor,
    person: Person,
    house: House | None,
    relation: str,
    residence_address: str = "",
    changed_on: date | None = None,
) -> Person:
    require(actor, "registry.change_person", person)
    if house is not None:
        require(actor, "registry.view_house", house)
    if relation not in HouseRelation.values:
        raise ValidationFailed({"house_relation": [_("与房屋关系不正确。")]})
    with transaction.atomic():
        lock_person(person)  # the checks below on the locked row: not on a page that may be stale
        _ensure_living(person)
        _check_event_day(
            "changed_on",
            changed_on,
            late=_("变更日期不能晚于今天。"),
            early=_("变更日期不能早于出生日期。"),
            born=person.birth_date,
        )
        if house is not None:
            if not same_community(house.org, person.org):
                raise ValidationFailed({"house": [_("新住址不在该居民所属社区，跨社区请办理迁出、迁入。")]})
            unchanged = house.pk == person.house_id
        elif not residence_address.strip():
            raise ValidationFailed({"residence_address": [_("请选择房屋或填写现住址。")]})
        else:
            unchanged = person.house_id is None and residence_address.strip() == person.residence_address
        if unchanged:
            raise ValidationFailed(
                {"house" if house is not None else "residence_address": [_("新住址与现住址相同。")]}
            )
        before = person_snapshot(person)
        old_address = person.residence_address
        person.house, person.house_relation = house, relation
        person.residence_address = house.full_address if house else residence_address.strip()
        person.save(update_fields=["house", "house_relation", "residence_address", "updated_at"])
        refresh_residence_split([person.pk])
        with records_language():
            record_life_event(
                person,
                LifeEventKind.ADDRESS_CHANGE,
                actor=actor,
                occurred_on=changed_on,
                summary=Message(
                    gettext_noop("住址由“%(a)s”变更为“%(b)s”"),
                    a=old_address or "—",
                    b=person.residence_address,
                ),
            )
        audit.record(
            events.PERSON_ADDRESS_CHANGED,
            actor=actor,
            target=person,
            before=before,
            after=person_snapshot(person),
        )
    return person


# --- migrants ---------------------------------------------------------------------------------------


@dataclass
class MigrantData:
    origin_address: str
    arrival_date: date
    origin_region_code: str = ""
    reason: str = ""
    permit_number: str = ""
    permit_valid_until: date | None = None
    employer: str = ""
    landlord: str = ""
    lease_until: date | None = None
    planned_departure: date | None = None
    extra: dict = field(default_factory=dict)


MIGRANT_FIELDS = [
    "origin_region_code",
    "origin_address",
    "arrival_date",
    "reason",
    "permit_number",
    "permit_valid_until",
    "employer",
    "landlord",
    "lease_until",
    "planned_departure",
]


def migrant_register(
    *,
    actor,
    person: Person,
    data: MigrantData,
    seen_updated_at: datetime | None = None,
    seen_unregistered: bool = False,
) -> Migrant:
    """Create or update the migrant record of a person. What the edit page (or API client) showed, when it
    says: `seen_updated_at` the record's `updated_at`, `seen_unregistered` that there was no record yet. A
    record changed (or registered) since is refused (Conflict) rather than written over with the page's old
    values — unless it holds what this request sends already (a double click: saved once)."""
    require(actor, "registry.change_person", person)
    errors: dict[str, list[str]] = {}
    if not data.origin_address.strip():
        errors["origin_address"] = [_("请填写来源地。")]
    if data.arrival_date is None:
        errors["arrival_date"] = [_("请填写来本地日期。")]
    elif data.arrival_date > timezone.localdate():
        errors["arrival_date"] = [_("来本地日期不能晚于今天。")]
    if data.origin_region_code and not (
        data.origin_region_code.isdigit() and len(data.origin_region_code) == 6
    ):
        errors["origin_region_code"] = [_("来源地区划代码应为 6 位数字。")]
    if data.reason and not dictionaries.is_valid("migrant_reason", data.reason, allow_inactive=True):
        errors["reason"] = [_("“%(code)s”不是有效的事由代码。") % {"code": data.reason}]
    if data.permit_valid_until and data.arrival_date and data.permit_valid_until < data.arrival_date:
        errors["permit_valid_until"] = [_("居住证有效期不能早于来本地日期。")]
    if errors:
        raise ValidationFailed(errors)
    found = Migrant.objects.filter(person=person).first()
    seen = audit.snapshot(found, MIGRANT_FIELDS) if found else None
    values = {name: getattr(data, name) for name in MIGRANT_FIELDS}
    values = {name: value.strip() if isinstance(value, str) else value for name, value in values.items()}
    with transaction.atomic():
        # Decided on the record as it is under the person's lock: two registrations of the same person both
        # found none and the second hit the unique constraint (a server error); two edits each wrote the
        # other's field back from the record they had read.
        lock_person(person)
        ensure_not_merged(person)
        existing = Migrant.objects.filter(person=person).first()
        before = audit.snapshot(existing, MIGRANT_FIELDS) if existing else None
        if seen_unregistered:
            page_stale = existing is not None
        elif seen_updated_at is not None:
            page_stale = existing is None or existing.updated_at != seen_updated_at
        else:
            page_stale = False
        if page_stale or before != seen:
            if existing is not None and all(getattr(existing, k) == v for k, v in values.items()):
                return existing  # the same record sent twice (a double click): saved once
            raise Conflict(_("该居民的流动人口信息已被他人登记或修改，请刷新后重试。"))
        migrant = existing or Migrant(person=person)
        for name, value in values.items():
            setattr(migrant, name, value)
        changed = [*MIGRANT_FIELDS, "updated_at"]
        if before and before.get("permit_valid_until") != migrant.permit_valid_until:
            migrant.permit_reminded_on = None
            changed.append("permit_reminded_on")
        # an existing record: only these fields, so a reminder run marking it meanwhile is not undone
        migrant.save(update_fields=changed if existing else None)
        audit.record(
            events.MIGRANT_CHANGED if existing else events.MIGRANT_REGISTERED,
            actor=actor,
            target=person,
            before=before,
            after=audit.snapshot(migrant, MIGRANT_FIELDS),
        )
    return migrant


# --- special groups ---------------------------------------------------------------------------------


DISABLED_GROUP = "disabled"


def _dictionary_code(dictionary: str, value) -> str | None:
    """A dictionary code given as its code (`"2"`, `2`) or its name (`二级`); None when it is neither."""
    text = str(value).strip()
    if dictionaries.is_valid(dictionary, text, allow_inactive=True):
        return text
    for entry in dictionaries.items(dictionary, active_only=False):
        if text in (entry.name, entry.abbreviation):
            return entry.code
    return None


def _disability_details(details: dict, errors: dict[str, list[str]]) -> dict:
    """A disabled person's tag: `type` from dictionary disability_type, `grade` from disability_grade (一级…
    四级), both required (as on the 残疾人证), each stored as its code; other keys are kept."""
    details = dict(details)
    for key, dictionary, what, missing in (
        ("type", "disability_type", _("残疾类别"), _("标记残疾人须选择残疾类别。")),
        ("grade", "disability_grade", _("残疾等级"), _("标记残疾人须选择残疾等级。")),
    ):
        value = details.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            details.pop(key, None)
            errors.setdefault(f"disability_{key}", []).append(missing)
            continue
        code = _dictionary_code(dictionary, value) if isinstance(value, str | int) else None
        if code is None:
            names = "、".join(entry.name for entry in dictionaries.items(dictionary))
            errors.setdefault(f"disability_{key}", []).append(
                _("“%(v)s”不是有效的%(what)s，应为：%(names)s。") % {"v": value, "what": what, "names": names}
            )
        else:
            details[key] = code
    return details


def _overlapping_tag(
    person: Person, group: str, valid_from: date, valid_until: date | None, *, exclude_pk: int | None = None
):
    """A tag of the same group (other than `exclude_pk`) whose period [valid_from, valid_until] (open ends)
    meets the given one."""
    tags = SpecialGroupTag.objects.filter(person=person, group=group).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from)
    )
    if exclude_pk is not None:
        tags = tags.exclude(pk=exclude_pk)
    if valid_until is not None:
        tags = tags.filter(valid_from__lte=valid_until)
    return tags.order_by("valid_from").first()


def _ensure_taggable(person: Person) -> None:
    if person.status != PersonStatus.LIVING:
        raise ServiceError(
            _("该居民当前状态为“%(s)s”，不能标记特殊人群。") % {"s": person.get_status_display()},
            code="not_living",
        )


def _overlap_message(existing: SpecialGroupTag, group: str) -> str:
    label = dictionaries.label("special_group", group)
    if existing.valid_until is None:
        return _("该居民已有“%(g)s”标记（自 %(a)s 起长期有效），与所填期间重叠。") % {
            "g": label,
            "a": existing.valid_from.isoformat(),
        }
    return _("该居民已有“%(g)s”标记（%(a)s 至 %(b)s），与所填期间重叠。") % {
        "g": label,
        "a": existing.valid_from.isoformat(),
        "b": existing.valid_until.isoformat(),
    }


def tag_add(
    *,
    actor,
    person: Person,
    group: str,
    valid_from: date,
    valid_until: date | None = None,
    evidence: str = "",
    details: dict | None = None,
    evidence_file=None,
) -> SpecialGroupTag:
    require(actor, "registry.change_person", person)
    _ensure_taggable(person)
    errors: dict[str, list[str]] = {}
    details = dict(details or {})
    if not dictionaries.is_valid("special_group", group):
        errors["group"] = [_("“%(g)s”不是有效的人群类别。") % {"g": group}]
    if valid_from is None:
        errors["valid_from"] = [_("请填写起始日期。")]
    elif valid_until and valid_until < valid_from:
        errors["valid_until"] = [_("截止日期不能早于起始日期。")]
    elif "group" not in errors:
        existing = _overlapping_tag(person, group, valid_from, valid_until)
        if existing is not None:
            errors["group"] = [_overlap_message(existing, group)]
    if group == DISABLED_GROUP:
        details = _disability_details(details, errors)
    errors.update(length_errors(SpecialGroupTag, evidence=evidence))
    prepared = None
    if evidence_file is not None:
        try:
            prepared = checked_upload(evidence_file, "evidence_file")
        except ValidationFailed as error:
            errors = merge_errors(errors, error.errors)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        # again on the locked row: a 迁出 or death, or the same tag by another clerk, may have come meanwhile
        lock_person(person)
        _ensure_taggable(person)
        existing = _overlapping_tag(person, group, valid_from, valid_until)
        if existing is not None:
            raise ValidationFailed({"group": [_overlap_message(existing, group)]})
        tag = SpecialGroupTag(
            person=person,
            group=group,
            valid_from=valid_from,
            valid_until=valid_until,
            evidence=evidence.strip(),
            details=details,
        )
        if evidence_file is not None:
            tag.evidence_file.save(uploads.stored_name(prepared.content_type), prepared.file, save=False)
        tag.save()
        record_life_event(
            person,
            LifeEventKind.TAG_ADDED,
            actor=actor,
            occurred_on=valid_from,
            summary=Message(
                gettext_noop("标记为%(g)s"), g=dictionaries.label_message("special_group", group)
            ),
            group=group,
        )
        audit.record(
            events.TAG_ADDED,
            actor=actor,
            target=person,
            after={
                "group": group,
                "valid_from": valid_from,
                "valid_until": valid_until,
                "evidence": evidence,
                "details": {key: details[key] for key in ("type", "grade") if key in details},
                "evidence_file": tag.evidence_file.name or "",
            },
        )
    return tag


def _lock_tag(tag: SpecialGroupTag) -> None:
    """Take the person's lock, which serialises every writer of their tags (tag_add, a 迁出 or death ending
    them, an end, a renewal), and read the tag again under it; a tag removed meanwhile is a Conflict."""
    lock_person(tag.person)
    try:
        tag.refresh_from_db()
    except SpecialGroupTag.DoesNotExist:  # a 迁出 or death removed a tag not yet begun
        raise Conflict(_("该标记已被撤销，请刷新后查看。")) from None


def tag_end(
    *,
    actor,
    tag: SpecialGroupTag,
    valid_until: date,
    reason: str = "",
    seen_updated_at: datetime | None = None,
) -> SpecialGroupTag:
    """Set the last day a tag holds. `seen_updated_at` is the tag's `updated_at` as the person page (or API
    client) showed it: a tag ended since — by another clerk, or by a 迁出 or death — is refused (Conflict)
    rather than given the page's end instead. A moved-out or deceased person's tag may not end after the
    迁出 or death date (the community no longer administers the group for them from then on)."""
    require(actor, "registry.change_person", tag.person)
    if valid_until < tag.valid_from:
        raise ValidationFailed({"valid_until": [_("截止日期不能早于起始日期。")]})
    seen = tag.valid_until  # the end the request found
    with transaction.atomic():
        # The person's lock serialises every writer of their tags (tag_add, a 迁出 or death ending them, this);
        # the tag is then decided on as it is now. Unlocked, a double click ended it twice (two timeline
        # entries) and an end written after a 迁出 made a moved-out resident 低保 again until that date.
        _lock_tag(tag)
        if tag.valid_until == valid_until:
            return tag  # it ends that day already (the same end sent twice): nothing to write again
        if tag.valid_until != seen or (seen_updated_at is not None and tag.updated_at != seen_updated_at):
            raise Conflict(_("该标记已被他人修改，请刷新后重试。"))
        _check_end_after_leaving(tag.person, valid_until)
        # a later end may not run into the next period of the group (a renewal entered as a new tag)
        later = _overlapping_tag(tag.person, tag.group, tag.valid_from, valid_until, exclude_pk=tag.pk)
        if later is not None:
            raise ValidationFailed({"valid_until": [_overlap_message(later, tag.group)]})
        if tag.ended_at is not None and valid_until > tag.valid_until:
            # an earlier end corrects it; a later one would revive an ended tag (a new period is a new tag)
            raise ValidationFailed(
                {
                    "valid_until": [
                        _("该标记已于 %(date)s 解除，截止日期只能提前，不能延后；恢复请重新添加标记。")
                        % {"date": date_format(timezone.localdate(tag.ended_at))}
                    ]
                }
            )
        _end_tag(tag, valid_until=valid_until, actor=actor, reason=reason)
    return tag


def tag_renew(
    *,
    actor,
    tag: SpecialGroupTag,
    valid_until: date | None,
    evidence: str = "",
    evidence_file=None,
    seen_updated_at: datetime | None = None,
) -> SpecialGroupTag:
    """续期 after a review (低保年审, a new 残疾人证): the same group for the next period, from the day after
    `tag` ends, with the new period's evidence and the details (disability type and grade) carried over.
    Decided on the tag as it is under the person's lock: one ended since the page showed it (`seen_updated_at`)
    is refused (Conflict) rather than renewed from its new end, and a 解除 tag is never renewed. A tag without
    an end needs none; one already followed by another period of its group is refused by `tag_add`'s overlap
    check, which names that period."""
    with transaction.atomic():
        _lock_tag(tag)
        if seen_updated_at is not None and tag.updated_at != seen_updated_at:
            raise Conflict(_("该标记已被他人修改，请刷新后重试。"))
        if tag.ended_at is not None:
            raise ValidationFailed({"valid_until": [_("该标记已解除，不能续期；如需重新纳入，请新增标记。")]})
        if tag.valid_until is None:
            raise ValidationFailed({"valid_until": [_("该标记长期有效，无需续期。")]})
        if valid_until is not None and valid_until <= tag.valid_until:
            raise ValidationFailed(
                {
                    "valid_until": [
                        _("续期后的截止日期应晚于原截止日期 %(d)s。") % {"d": tag.valid_until.isoformat()}
                    ]
                }
            )
        return tag_add(
            actor=actor,
            person=tag.person,
            group=tag.group,
            valid_from=tag.valid_until + timedelta(days=1),
            valid_until=valid_until,
            evidence=evidence,
            details=tag.details,
            evidence_file=evidence_file,
        )


def _check_end_after_leaving(person: Person, valid_until: date) -> None:
    """Refused rather than clamped: the clerk typed a date the tag cannot have held to, and writing another
    one silently would put a date nobody entered in the timeline; the message names the date to use."""
    if person.status_date is None or valid_until <= person.status_date:
        return
    day = person.status_date.isoformat()
    if person.status == PersonStatus.MOVED_OUT:
        message = _("该居民已于 %(d)s 迁出，截止日期不能晚于迁出日期。") % {"d": day}
    elif person.status == PersonStatus.DECEASED:
        message = _("该居民已于 %(d)s 死亡，截止日期不能晚于死亡日期。") % {"d": day}
    else:
        return
    raise ValidationFailed({"valid_until": [message]})


def _end_tag(tag: SpecialGroupTag, *, valid_until: date, actor, reason: str | Text) -> None:
    """Write a tag's end (the last day it holds), its timeline entry and its audit event."""
    before = {"valid_until": tag.valid_until}
    tag.valid_until = valid_until
    tag.ended_at = timezone.now()
    tag.save(update_fields=["valid_until", "ended_at", "updated_at"])
    label = dictionaries.label_message("special_group", tag.group)
    record_life_event(
        tag.person,
        LifeEventKind.TAG_ENDED,
        actor=actor,
        occurred_on=valid_until,
        summary=Message(gettext_noop("解除%(g)s标记：%(r)s"), g=label, r=reason)
        if reason
        else Message(gettext_noop("解除%(g)s标记"), g=label),
        group=tag.group,
    )
    audit.record(
        events.TAG_ENDED,
        actor=actor,
        target=tag.person,
        before=before,
        after={"group": tag.group, "valid_until": valid_until, "reason": for_record(reason)[0]},
    )


def _end_open_tags(person: Person, *, ended_on: date, actor, reason: Message) -> None:
    """A death or a move out ends every special-group tag still holding after `ended_on`: its last day
    becomes `ended_on` (as `tag_end` writes it), with the same timeline entry and audit event. A tag that was
    to begin only after that day never held and is removed (audited with what it was, its evidence file
    deleted once the transaction commits)."""
    open_tags = SpecialGroupTag.objects.filter(person=person).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=ended_on)
    )
    for tag in open_tags.order_by("valid_from", "pk"):
        tag.person = person
        if tag.valid_from <= ended_on:
            _end_tag(tag, valid_until=ended_on, actor=actor, reason=reason)
            continue
        before = {
            "group": tag.group,
            "valid_from": tag.valid_from,
            "valid_until": tag.valid_until,
            "evidence": tag.evidence,
            "evidence_file": tag.evidence_file.name or "",
        }
        stored = tag.evidence_file.name
        storage = tag.evidence_file.storage
        tag.delete()
        if stored:
            transaction.on_commit(lambda storage=storage, stored=stored: storage.delete(stored))
        record_life_event(
            person,
            LifeEventKind.TAG_ENDED,
            actor=actor,
            occurred_on=ended_on,
            summary=Message(
                gettext_noop("撤销%(g)s标记：起始日期（%(d)s）晚于%(r)s日期"),
                g=dictionaries.label_message("special_group", before["group"]),
                d=before["valid_from"],
                r=reason,
            ),
            group=before["group"],
        )
        audit.record(
            events.TAG_ENDED,
            actor=actor,
            target=person,
            before=before,
            after={"group": before["group"], "removed": True, "reason": for_record(reason)[0]},
        )
