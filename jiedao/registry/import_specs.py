"""Spreadsheet imports of the registry (一标三实): persons, households, houses and enterprises.

Four `ImportSpec`s for the engine of `jiedao.spreadsheets` (see `jiedao/spreadsheets/specs.py`):

- `registry-persons` — upsert on the ID number's blind index. A person registered in another community is a
  row error (never moved silently: that is a 迁入). Optional house (by full address), household number and
  relation to the head (a row with relation 02 creates a missing household with its person as head).
- `registry-households` — upsert on the household number; the head must be registered in the community.
- `registry-houses` — upsert on the full address; buildings are created on the fly.
- `registry-enterprises` — upsert on the unified social credit code.

`validate_row` applies the rules of `jiedao.registry.services` that need no database (ID numbers, phones,
USCC, dictionary codes, lengths, dates, coordinates) and does the per-row work that cannot be avoided
(encryption is done by the field on save; hashing, masking and pinyin here). Everything that needs the
database happens in `save_batch`, set-based: one look-up query per kind of record for the whole batch, then
`bulk_create` / `bulk_update`, LifeEvents in bulk, and ONE audit event per batch. Rows refused there (a person
of another community, a household without its head…) are reported with `context.reject()` when the engine
offers it, else written to the job's error list directly (see `_reject`).

Dictionary and choice columns accept the code or the Chinese label (民族 “汉族” or “01”); an empty cell never
clears what is stored.
"""

from __future__ import annotations

import json
import operator
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pypinyin import lazy_pinyin
from pypinyin.constants import RE_HANS as _HANS  # a whole string of characters that have readings
from pypinyin.seg.mmseg import p_set as _PHRASE_PREFIXES

from jiedao.audit import services as audit
from jiedao.core import crypto
from jiedao.core.fields import EncryptedTextField
from jiedao.dictionaries import selectors as dictionaries
from jiedao.orgs.choices import OrgLevel
from jiedao.orgs.models import OrgUnit
from jiedao.registry import audit_events as events
from jiedao.registry.choices import (
    CoordinateSystem,
    EnterpriseStatus,
    HouseholdKind,
    HouseRelation,
    HouseUse,
    LifeEventKind,
    Ownership,
    PersonStatus,
)
from jiedao.registry.identity import latin_words, split_surname, stored_identity, stored_national_phone
from jiedao.registry.models import Building, Enterprise, House, Household, HouseholdMember, LifeEvent, Person
from jiedao.registry.normalize import clean_text, parse_date_cell, parse_decimal_cell, parse_int_cell
from jiedao.registry.search_indexes import AddressIndexBatch
from jiedao.registry.services.houses import coordinate_errors, house_full_address
from jiedao.registry.services.persons import (
    AUDITED_FIELDS,
    merged_number_error,
    split_phones,
    stored_other_phones,
)
from jiedao.registry.services.residence import refresh_residence_split
from jiedao.registry.statistics import snapshots
from jiedao.registry.validators import InvalidNumber, clean_person_name, parse_phone, parse_uscc
from jiedao.spreadsheets.specs import Column, ImportContext, ImportSpec, RowIssue, ValidatedRow, register_spec

HEAD_RELATION = "02"
RELATION_LABEL = gettext_lazy("与户主关系")
AUDIT_ID_CAP = 100  # ids listed in a batch's audit event; the counts are always complete
PINYIN_CACHE_LIMIT = 200_000
_SPACES = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys((0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD), None)
_CJK_NAME = re.compile(r"[\u3400-\u9fff\uf900-\ufaff·\s]+")

# Common ways community spreadsheets write a level of education instead of a GB/T 4658 item name.
EDUCATION_ALIASES = {
    "研究生": "10",
    "博士": "11",
    "硕士": "14",
    "本科": "20",
    "大学本科": "20",
    "大学": "20",
    "大专": "30",
    "专科": "30",
    "大学专科": "30",
    "中专": "40",
    "中技": "40",
    "技校": "47",
    "职高": "44",
    "高中": "60",
    "初中": "70",
    "小学": "80",
    "文盲": "90",
    "半文盲": "90",
}
POLITICAL_ALIASES = {"党员": "01", "预备党员": "02", "团员": "03", "无党派": "12"}
MARITAL_ALIASES = {"有配偶": "20", "离异": "40", "未说明": "90"}
GENDER_VALUES = {"男": "1", "男性": "1", "1": "1", "女": "2", "女性": "2", "2": "2"}
YES = {"是", "y", "yes", "true", "1", "出租", "已出租", "√", "✓"}
NO = {"否", "n", "no", "false", "0", "自住", "未出租", "×", "✗"}


# --- cell helpers -------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """Clean single-line text ("" for an empty cell): blanks collapsed, invisible characters dropped; full-width
    punctuation kept (“某某有限公司（分公司）”)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return clean_text(value)
    return _SPACES.sub(" ", value.translate(_INVISIBLE)).strip()


def _name(value: Any) -> str:
    """A person's name: a Chinese name typed with spaces for alignment (“张  三”) loses them."""
    text = _text(value)
    if " " in text and _CJK_NAME.fullmatch(text):
        text = text.replace(" ", "")
    return text


def _squash(value: Any) -> str:
    """Text without any blanks, full-width letters and digits made half-width: addresses, codes, numbers."""
    return _SPACES.sub("", clean_text(value)) if value is not None else ""


def _identifier(value: Any) -> str:
    """A household number or similar typed as text or as a number; a number that lost digits raises."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        raise ValueError(_("该编号被 Excel 当作数字保存，后几位已丢失，请将该列设为文本后重新录入。"))
    return _squash(value)


def _key(value: Any) -> str:
    return _squash(value).lower()


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\x00", "")


def _too_long(model, name: str, value: str) -> RowIssue | None:
    field = model._meta.get_field(name)
    if value and field.max_length and len(value) > field.max_length:
        return RowIssue(
            _("“%(f)s”不能超过 %(n)d 个字。") % {"f": field.verbose_name, "n": field.max_length}, None
        )
    return None


class _Codes:
    """Code ↔ label look-up of one dictionary or choices class: accepts the code, the name, the abbreviation
    and a few common aliases; a number cell (1) matches a zero-padded code ("01")."""

    def __init__(self, pairs, aliases: dict[str, str] | None = None):
        self.by_key: dict[str, str] = {}
        widths = set()
        for code, *names in pairs:
            widths.add(len(code))
            for name in (code, *names):
                if name:
                    self.by_key.setdefault(_key(name), code)
            for name in names:  # “汉族” also as “汉”
                if name and name.endswith("族") and len(name) >= 2:
                    self.by_key.setdefault(_key(name[:-1]), code)
        for alias, code in (aliases or {}).items():
            if code in self.by_key.values():
                self.by_key.setdefault(_key(alias), code)
        self.width = widths.pop() if len(widths) == 1 else 0

    def code(self, value: Any) -> str | None:
        # Most cells are already a key (“汉族”, “01”): normalising is idempotent, so a hit is the same answer.
        found = self.by_key.get(value) if isinstance(value, str) else None
        if found is not None:
            return found
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        key = _key(value)
        found = self.by_key.get(key)
        if found is None and self.width and key.isdigit() and len(key) < self.width:
            found = self.by_key.get(key.zfill(self.width))
        return found


def _dictionary_codes(context: ImportContext, type_code: str, *, active_only: bool, aliases=None) -> _Codes:
    cache = context.cache.setdefault("dictionaries", {})
    if type_code not in cache:
        entries = dictionaries.items(type_code, active_only=active_only)
        cache[type_code] = _Codes([(e.code, e.name, e.abbreviation) for e in entries], aliases)
    return cache[type_code]


def _choice_codes(choices) -> _Codes:
    return _Codes([(value, str(label)) for value, label in choices.choices])


def _dictionary_names(type_code: str):
    """A Column's `choices`: the names of a dictionary's active items (the template's drop-down list)."""
    return lambda: [entry.name for entry in dictionaries.items(type_code)]


def _choice_labels(choices):
    """A Column's `choices`: the labels of a TextChoices."""
    return lambda: [str(label) for _value, label in choices.choices]


def _code_issue(codes: _Codes, value: Any, key: str, what: str) -> tuple[str, RowIssue | None]:
    """(code, None), ("", None) for an empty cell, or ("", issue)."""
    if value is None:
        return "", None
    code = codes.code(value)
    if code is None:
        return "", RowIssue(
            _("“%(v)s”不是有效的%(what)s，请填写代码或名称。") % {"v": _display(value), "what": what}, key
        )
    return code, None


def _optional(parse, value: Any, key: str, issues: list[RowIssue]):
    if value is None or (isinstance(value, str) and not _text(value)):
        return None
    try:
        return parse(value)
    except ValueError as error:
        issues.append(RowIssue(getattr(error, "message", None) or str(error), key))
        return None


def _house_key(values: dict[str, Any], issues: list[RowIssue], text_key: str) -> tuple[str, str]:
    """(full address to match a house by, address text) from the street/building/unit/room columns or from
    one address column; ("", "") when neither is given."""
    street, building = _squash(values.get("street_address")), _squash(values.get("building"))
    unit, room = _squash(values.get("unit")), _squash(values.get("room"))
    text = _text(values.get(text_key))
    if street or building or unit or room:
        if not (street and building and room):
            issues.append(RowIssue(_("房屋地址须同时填写楼栋地址（门牌）、楼栋和室号。"), "room"))
            return "", text
        full = house_full_address(street, building, unit, room)
        return full, text or full
    return (_squash(text), text) if text else ("", "")


_CHAR_SYLLABLES: dict[str, list[str]] = {}


def fast_pinyin_keys(name: str) -> tuple[str, str]:
    """`identity.pinyin_keys` with one pypinyin call instead of two: the initials are the first letters of the
    syllables (what Style.FIRST_LETTER returns).

    pypinyin cuts Chinese text by forward maximum matching over the prefixes of its phrases: when no two
    neighbouring characters of a name begin a phrase, every character is a word of its own and gets its own
    reading, so the syllables are looked up per character (a few thousand characters cover every name; most
    names are unique, so caching whole names helps little). The surname is read as a surname first
    (`identity.split_surname`: 曾 → zeng), the rest as pypinyin reads it."""
    syllables, name = split_surname(name)
    if _HANS.match(name) and not any(name[i : i + 2] in _PHRASE_PREFIXES for i in range(len(name) - 1)):
        for char in name:
            known = _CHAR_SYLLABLES.get(char)
            if known is None:
                known = _CHAR_SYLLABLES[char] = lazy_pinyin(char, errors="ignore")
            syllables.extend(known)
    elif name:
        syllables.extend(lazy_pinyin(name, errors=latin_words))
    return "".join(syllables).lower()[:200], "".join(s[:1] for s in syllables).lower()[:50]


def _converter(field):
    ops = connection.ops
    if isinstance(field, EncryptedTextField):
        return lambda value: crypto.encrypt(value) if value else value
    if isinstance(field, models.DateTimeField):
        last: list = [None, None]  # rows of a batch share their timestamps: convert each one once

        def convert_datetime(value):
            if value is not last[0]:
                last[0], last[1] = value, ops.adapt_datetimefield_value(value)
            return last[1]

        return convert_datetime
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        return lambda value: ops.adapt_decimalfield_value(value, field.max_digits, field.decimal_places)
    if isinstance(field, models.JSONField):
        last_json: list = [None, None]  # rows of a batch share their details object: serialise it once

        def convert_json(value):
            if value is not last_json[0]:
                last_json[0], last_json[1] = value, field.get_db_prep_save(value, connection)
            return last_json[1]

        return convert_json
    return None


def _one_of(values: list[str]):
    """`field__in=` right-hand side with the values as ONE parameter: Django compiles a parameter per value
    (≈ 0.1 s for the 5,000 blind indexes of a batch, twice a batch)."""
    if connection.vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(values)])
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::text[])", [values])
    return values


def insert_rows(model, rows: list[dict[str, Any]], chunk: int = 1000) -> None:
    """INSERT `rows` ({attname: Python value}; missing columns take the field default) with one `executemany`
    per chunk (SQLite; measured faster than one multi-row VALUES statement) or one COPY (PostgreSQL): what
    `bulk_create` does, without building model instances and compiling per-field SQL. Values are converted
    as the fields would (encryption, dates, JSON); no signals, no returned ids."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    defaults = {field.attname: field.get_default() for field in fields}
    pick = operator.itemgetter(*defaults)
    # Only a few columns need converting; a per-column generator over every value cost ~2 µs a column a row.
    conversions = [
        (index, convert)
        for index, convert in enumerate(_converter(field) for field in fields)
        if convert is not None
    ]
    quote = connection.ops.quote_name
    sql = "INSERT INTO %s (%s) VALUES (%s)" % (  # noqa: UP031 - SQL identifiers, not user data
        quote(model._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )

    def values(row):
        out = list(pick({**defaults, **row}))
        for index, convert in conversions:
            value = out[index]
            if value is not None:
                out[index] = convert(value)
        return out

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: psycopg's C code formats the rows and the server parses no statement per row;
            # executemany adapted every parameter in Python (≈ 40% of the import's time on PostgreSQL).
            copy_sql = "COPY %s (%s) FROM STDIN" % (  # noqa: UP031 - SQL identifiers, not user data
                quote(model._meta.db_table),
                ", ".join(quote(field.column) for field in fields),
            )
            with cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(values(row))
            return
        for start in range(0, len(rows), chunk):
            cursor.executemany(sql, [values(row) for row in rows[start : start + chunk]])


# --- reporting rows refused while saving ---------------------------------------------------------------------


def _reject(context: ImportContext, row: ValidatedRow, key: str | None, message: str, value: Any = None):
    """Refuse a row inside `save_batch` (it is not saved); the engine records it with the batch."""
    context.reject(row, RowIssue(message, key, value))


# First half of the registry imports' advisory lock key (`RegistryImport.batch_lock`): any fixed 32-bit number
# not used by another pg_advisory lock of the project ("JDRG").
REGISTRY_BATCH_LOCK = 0x4A445247


class RegistryImport(ImportSpec):
    """What the four registry imports share: the community's org ids, the batch audit event."""

    batch_size = 2000
    event = None
    record_label = ""

    def begin(self, context: ImportContext) -> None:
        community = context.org.community() or context.org
        context.cache["community_ids"] = frozenset(OrgUnit.objects.subtree_ids([community]))
        context.cache["today"] = timezone.localdate()

    def finish(self, context: ImportContext) -> None:
        """The statistics page shows the imported records after the next snapshot: queue it now."""
        snapshots.queue_refresh()

    def batch_lock(self, context: ImportContext) -> tuple[int, int]:
        """Every registry import into one community, whatever its kind, saves one batch at a time: the person
        import also creates households, the household import their members, so kinds overlap too."""
        community = context.org.community() or context.org
        return (REGISTRY_BATCH_LOCK, community.pk)

    def in_community(self, context: ImportContext, org_id: int | None) -> bool:
        return org_id in context.cache["community_ids"]

    def houses_by_address(self, context: ImportContext, addresses) -> dict[str, House]:
        addresses = {address for address in addresses if address}
        if not addresses:
            return {}
        found = House.objects.filter(
            full_address__in=addresses, org_id__in=context.cache["community_ids"]
        ).only("pk", "full_address", "latitude", "longitude", "coordinate_system")
        return {house.full_address: house for house in found}

    def finish_batch(
        self, context, rows, created: list[int], updated: list[int], changes: dict | None = None
    ) -> tuple[int, int]:
        """The batch's audit event. `changes` ({id: (before, after)}, only the fields that changed) puts the
        before values of every updated record in the event (`before`), its new values beside them (`after`):
        no id cap there, an update is only traceable with its before values."""
        if created or updated:
            first, last = rows[0].row_number, rows[-1].row_number
            changed = (
                {"changes": {pk: values for pk, (values, _after) in changes.items()}} if changes else None
            )
            audit.record(
                self.event,
                actor=context.actor,
                org=context.org,
                message=_("导入任务 #%(job)d 第 %(a)d–%(b)d 行：新增 %(x)d，更新 %(y)d")
                % {"job": context.job.pk, "a": first, "b": last, "x": len(created), "y": len(updated)},
                after={
                    "job": context.job.pk,
                    "rows": [first, last],
                    "created": len(created),
                    "updated": len(updated),
                    "created_ids": created[:AUDIT_ID_CAP],
                    "updated_ids": updated[:AUDIT_ID_CAP],
                    "ids_truncated": len(created) > AUDIT_ID_CAP or len(updated) > AUDIT_ID_CAP,
                    **(
                        {"changes": {pk: after for pk, (_before, after) in changes.items()}}
                        if changes
                        else {}
                    ),
                },
                before=changed,
            )
        return len(created), len(updated)


def _state(record, names) -> dict[str, Any]:
    return {name: getattr(record, name) for name in names}


def _change(before: dict[str, Any], record) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(before, after) of the fields of `before` that `record` now holds differently, or None."""
    after = _state(record, before)
    changed = [name for name in before if before[name] != after[name]]
    if not changed:
        return None
    return {name: before[name] for name in changed}, {name: after[name] for name in changed}


def _actor(context: ImportContext):
    return context.actor if getattr(context.actor, "pk", None) else None


# --- persons ---------------------------------------------------------------------------------------------------

PERSON_DICTIONARIES = (
    # column key, dictionary, what it is called in messages, aliases
    ("ethnicity", "ethnicity", "民族", None),
    ("education", "education", "文化程度", EDUCATION_ALIASES),
    ("political_status", "political_status", "政治面貌", POLITICAL_ALIASES),
    ("marital_status", "marital_status", "婚姻状况", MARITAL_ALIASES),
)
PERSON_UPDATE_FIELDS = [
    "name",
    "name_pinyin",
    "name_initials",
    "ethnicity",
    "education",
    "political_status",
    "marital_status",
    "employment",
    "house",
    "house_relation",
    "residence_address",
    "hukou_address",
    "note",
    "org",
    "updated_at",
]
PHONE_FIELDS = ["phone", "phone_hash", "phone_masked", "other_phones", "other_phones_masked"]
HOUSE_RELATIONS = _choice_codes(HouseRelation)
# What an update by import is audited and written to the timeline with: the fields `person_update` audits
# (masked copies only, never a full ID number or phone; relations as ids) and the note. The phone's blind
# index is compared too (two numbers may share their masked copy) but never reported.
PERSON_AUDITED = [Person._meta.get_field(name).attname for name in (*AUDITED_FIELDS, "note")]
ADDRESS_FIELDS = ("residence_address", "house_id")


def _person_change(before: dict[str, Any], person: Person) -> tuple[dict[str, Any], dict[str, Any]] | None:
    change = _change(before, person)
    if before["phone_hash"] != person.phone_hash and (change is None or "phone_masked" not in change[0]):
        old, new = change or ({}, {})
        change = {**old, "phone_masked": before["phone_masked"]}, {**new, "phone_masked": person.phone_masked}
    if change is not None:
        change[0].pop("phone_hash", None)
        change[1].pop("phone_hash", None)
    return change or None


def _field_labels(model, names) -> str:
    return "、".join(dict.fromkeys(str(model._meta.get_field(name).verbose_name) for name in names))


def _update_events(context: ImportContext, changes: dict, today, now) -> list[dict[str, Any]]:
    """The timeline entries of persons an import changed: an address change as 地址变更 (as
    `person_change_address` writes it), anything else as 信息修改 naming the fields (as `person_update`)."""
    actor_id = getattr(_actor(context), "pk", None)
    job = context.job.pk
    entries = []
    for pk, (before, after) in changes.items():
        fields = list(before)
        if "residence_address" in before:
            summary = _("导入变更住址：由“%(a)s”变更为“%(b)s”") % {
                "a": before["residence_address"] or "—",
                "b": after["residence_address"] or "—",
            }
            address_fields = [name for name in fields if name in ADDRESS_FIELDS]
            entries.append(
                {
                    "person_id": pk,
                    "kind": LifeEventKind.ADDRESS_CHANGE,
                    "occurred_on": today,
                    "summary": summary[:300],
                    "details": {"import_job": job, "fields": address_fields},
                    "actor_id": actor_id,
                    "created_at": now,
                }
            )
            fields = [name for name in fields if name not in ADDRESS_FIELDS]
        if fields:
            summary = _("导入修改：%(f)s") % {"f": _field_labels(Person, fields)}
            entries.append(
                {
                    "person_id": pk,
                    "kind": LifeEventKind.UPDATED,
                    "occurred_on": today,
                    "summary": summary[:300],
                    "details": {"import_job": job, "fields": fields},
                    "actor_id": actor_id,
                    "created_at": now,
                }
            )
    return entries


@register_spec
class PersonImport(RegistryImport):
    key = "registry-persons"
    tables = ("registry_person", "registry_household", "registry_householdmember", "registry_lifeevent")
    label = gettext_lazy("实有人口")
    permission = "registry.add_person"
    event = events.PERSONS_IMPORTED
    batch_size = 5000  # fewer commits (SQLite WAL checkpoints); ~15 MB of pending rows
    natural_key_columns = ("id_number",)
    columns = (
        Column("name", "姓名", aliases=("居民姓名", "人员姓名"), required=True, example="张三", width=10),
        Column(
            "id_number",
            "身份证号",
            aliases=("公民身份号码", "身份证号码", "身份证", "证件号码", "公民身份证号"),
            required=True,
            text=True,
            help=gettext_lazy("18 位居民身份证号码（也可填港澳台居民居住证、外国人永久居留身份证号码）"),
            example="110105199001011232",
            width=22,
        ),
        Column(
            "gender",
            "性别",
            help=gettext_lazy("男 / 女，须与身份证号一致"),
            example="男",
            width=6,
            choices=lambda: ["男", "女"],
        ),
        Column(
            "birth_date",
            "出生日期",
            help=gettext_lazy("如 1990-01-01 或 1990年1月1日，须与身份证号一致"),
            width=12,
        ),
        Column(
            "ethnicity",
            "民族",
            help=gettext_lazy("名称或代码，如 汉族 或 01"),
            example="汉族",
            width=8,
            choices=_dictionary_names("ethnicity"),
        ),
        Column(
            "phone",
            "联系电话",
            aliases=("手机号", "手机号码", "手机", "电话", "联系方式"),
            text=True,
            help=gettext_lazy(
                "多个号码用顿号、逗号、分号、斜杠或空格分隔：第一个为联系电话，其余记为其他联系电话"
            ),
            example="13800138000",
            width=14,
        ),
        Column(
            "education",
            "文化程度",
            aliases=("学历",),
            help=gettext_lazy("名称或代码，如 大学本科毕业 或 21"),
            width=10,
            choices=_dictionary_names("education"),
        ),
        Column(
            "political_status",
            "政治面貌",
            help=gettext_lazy("名称或代码，如 群众 或 13"),
            example="群众",
            width=10,
            choices=_dictionary_names("political_status"),
        ),
        Column(
            "marital_status",
            "婚姻状况",
            help=gettext_lazy("名称或代码，如 已婚 或 20"),
            width=10,
            choices=_dictionary_names("marital_status"),
        ),
        Column("employment", "就业情况", aliases=("工作单位", "职业", "就业单位"), width=16),
        Column(
            "residence_address",
            "现住址",
            aliases=("居住地址", "现居住地址", "现居地址", "家庭住址", "住址", "实际居住地址"),
            help=gettext_lazy(
                "与已登记房屋的完整地址相符时关联该房屋；也可分列填写楼栋地址、楼栋、单元、室号"
            ),
            width=28,
        ),
        Column("street_address", "楼栋地址", aliases=("门牌", "门牌地址", "街路巷门牌"), width=16),
        Column("building", "楼栋", aliases=("幢", "楼号", "楼栋号"), width=8),
        Column("unit", "单元", aliases=("单元号",), width=8),
        Column("room", "室号", aliases=("房号", "房间号", "室"), width=8),
        Column(
            "house_relation",
            "与房屋关系",
            help=gettext_lazy("产权人 / 家庭成员 / 承租人 / 集体居住 / 其他"),
            width=10,
            choices=_choice_labels(HouseRelation),
        ),
        Column("hukou_address", "户籍地址", aliases=("户籍所在地", "户籍地", "户口所在地"), width=28),
        Column("household_number", "户号", text=True, width=16),
        Column(
            "relation",
            "与户主关系",
            aliases=("家庭关系", "关系"),
            help=gettext_lazy("名称或代码（GB/T 4761），如 户主 或 02；户主行会在户号未登记时立户"),
            width=10,
            choices=_dictionary_names("relation"),
        ),
        Column("note", "备注", width=20),
    )

    def template_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "name": "张三",
                "id_number": "110105199001011232",
                "gender": "男",
                "birth_date": date(1990, 1, 1),
                "ethnicity": "汉族",
                "phone": "13800138000",
                "education": "大学本科毕业",
                "political_status": "群众",
                "marital_status": "已婚",
                "street_address": "幸福路12号",
                "building": "3幢",
                "unit": "2单元",
                "room": "301",
                "house_relation": "产权人",
                "hukou_address": "浙江省杭州市明湖区幸福路12号3幢2单元301",
                "household_number": "330110001001000001",
                "relation": "户主",
            }
        ]

    def natural_key(self, row: ValidatedRow) -> str | None:
        return row.data["id_number"]

    def _pinyin(self, context: ImportContext, name: str) -> tuple[str, str]:
        cache = context.cache.setdefault("pinyin", {})
        keys = cache.get(name)
        if keys is None:
            keys = fast_pinyin_keys(name)
            if len(cache) < PINYIN_CACHE_LIMIT:
                cache[name] = keys
        return keys

    def validate_row(self, values, context):
        issues: list[RowIssue] = []
        try:  # the name rule of every other write path: no formula (=1+2), digits or stray punctuation
            name = clean_person_name(values.get("name"))
        except InvalidNumber as error:
            name = ""
            issues.append(RowIssue(error.message, "name"))
        try:
            identity = stored_identity(values["id_number"])
        except InvalidNumber as error:
            identity = None
            issues.append(RowIssue(error.message, "id_number"))
        gender = None
        raw_gender = values.get("gender")
        if raw_gender is not None:
            gender = GENDER_VALUES.get(raw_gender) or GENDER_VALUES.get(
                _key(raw_gender if not isinstance(raw_gender, float) else int(raw_gender))
            )
            if gender is None:
                issues.append(RowIssue(_("性别应填写“男”或“女”。"), "gender"))
        birth_date = _optional(parse_date_cell, values.get("birth_date"), "birth_date", issues)
        if identity is not None:
            if gender and gender != identity.gender:
                issues.append(
                    RowIssue(
                        _("性别与证件号码不符（号码显示为%(g)s）。")
                        % {"g": _("男") if identity.gender == "1" else _("女")},
                        "gender",
                    )
                )
            if birth_date and birth_date != identity.birth_date:
                issues.append(
                    RowIssue(
                        _("出生日期与证件号码不符（号码显示为 %(d)s）。")
                        % {"d": identity.birth_date.strftime("%Y年%m月%d日")},
                        "birth_date",
                    )
                )
        phone = other_phones = None
        if values.get("phone") is not None:
            # Several numbers in one cell (、,，;；/ or spaces): the first is the phone, the rest other phones.
            try:
                numbers = split_phones(_text(values["phone"]))
                phone = stored_national_phone(numbers[0] if numbers else "")
                other_phones = stored_other_phones(numbers[1:])
            except InvalidNumber as error:
                issues.append(RowIssue(error.message, "phone"))
        codes: dict[str, str | None] = {}
        for key, dictionary, what, aliases in PERSON_DICTIONARIES:
            table = _dictionary_codes(context, dictionary, active_only=False, aliases=aliases)
            code, issue = _code_issue(table, values.get(key), key, what)
            codes[key] = code or None
            if issue:
                issues.append(issue)
        house_relation, issue = _code_issue(
            HOUSE_RELATIONS, values.get("house_relation"), "house_relation", "与房屋关系"
        )
        if issue:
            issues.append(issue)
        house_key, residence = _house_key(values, issues, "residence_address")
        employment, hukou, note = (
            _text(values.get("employment")),
            _text(values.get("hukou_address")),
            _text(values.get("note")),
        )
        for field_name, key, value in (
            ("employment", "employment", employment),
            ("residence_address", "residence_address", residence),
            ("hukou_address", "hukou_address", hukou),
            ("note", "note", note),
        ):
            issue = _too_long(Person, field_name, value)
            if issue:
                issue.column = key
                issues.append(issue)
        household_number = ""
        try:
            household_number = _identifier(values.get("household_number"))
        except ValueError as error:
            issues.append(RowIssue(str(error), "household_number"))
        if len(household_number) > 30:
            issues.append(RowIssue(_("户号不能超过 30 位。"), "household_number"))
        relations = _dictionary_codes(context, "relation", active_only=True)
        relation, issue = _code_issue(relations, values.get("relation"), "relation", RELATION_LABEL)
        if issue:
            issues.append(issue)
        elif household_number and not relation:
            issues.append(RowIssue(_("填写了户号，请同时填写与户主关系。"), "relation"))
        elif relation and not household_number and values.get("household_number") is None:
            issues.append(RowIssue(_("填写了与户主关系，请同时填写户号。"), "household_number"))
        if issues:
            return issues
        full_pinyin, initials = self._pinyin(context, name)
        return ValidatedRow(
            {
                "name": name,
                "name_pinyin": full_pinyin,
                "name_initials": initials,
                "id_number": identity.id_number,
                "id_number_hash": identity.id_number_hash,
                "id_number_masked": identity.id_number_masked,
                "id_kind": identity.id_kind,
                "gender": identity.gender,
                "birth_date": identity.birth_date,
                "phone": phone,  # (national, hash, masked) or None: not given
                "other_phones": other_phones,  # (numbers, masked), None when the phone cell is not given
                **codes,
                "employment": employment or None,
                "house_key": house_key,
                "residence_address": residence or None,
                "house_relation": house_relation or None,
                "hukou_address": hukou or None,
                "household_number": household_number,
                "relation": relation,
                "note": note or None,
            }
        )

    def save_batch(self, rows, context):
        actor, org, today = _actor(context), context.org, context.cache["today"]
        existing = {
            person.id_number_hash: person
            for person in Person.objects.filter(
                id_number_hash__in=_one_of([row.data["id_number_hash"] for row in rows])
            ).defer("id_number", "phone", "other_phones")
        }
        numbers = {row.data["household_number"] for row in rows if row.data["household_number"]}
        households = (
            {h.number: h for h in Household.objects.filter(number__in=numbers).only("number", "org", "head")}
            if numbers
            else {}
        )
        memberships = {}
        if numbers and existing:
            memberships = {
                member.person_id: member
                for member in HouseholdMember.objects.filter(
                    person_id__in=[person.pk for person in existing.values()]
                ).select_related("household")
            }
        houses = self.houses_by_address(context, (row.data["house_key"] for row in rows))

        accepted: list[ValidatedRow] = []
        new_heads: dict[str, ValidatedRow] = {}
        for row in rows:
            data = row.data
            person = existing.get(data["id_number_hash"])
            if person is not None and person.status == PersonStatus.MERGED:
                _reject(context, row, "id_number", merged_number_error(), data["id_number"])
                continue
            if person is not None and not self.in_community(context, person.org_id):
                _reject(
                    context, row, "id_number", _("该证件号码已登记在其他社区，请办理迁入"), data["id_number"]
                )
                continue
            number = data["household_number"]
            if number and not self._household_ok(context, row, person, households, memberships, new_heads):
                continue
            if number and data["relation"] == HEAD_RELATION and number not in households:
                new_heads[number] = row
            accepted.append(row)

        now = timezone.now()
        new_rows: list[dict[str, Any]] = []
        updated: list[Person] = []
        moved: dict[int, str] = {}  # person id → residence address before this batch
        changes: dict[int, tuple[dict, dict]] = {}  # person id → (before, after) of what changed
        for row in accepted:
            data = row.data
            house = houses.get(data["house_key"]) if data["house_key"] else None
            data["house_id"] = house.pk if house else None
            person = existing.get(data["id_number_hash"])
            if person is None:
                national, phone_hash, phone_masked = data["phone"] or ("", "", "")
                other_phones, other_phones_masked = data["other_phones"] or ("", "")
                new_rows.append(
                    {
                        "org_id": org.pk,
                        "created_by_id": actor.pk if actor else None,
                        "created_at": now,
                        "updated_at": now,
                        "name": data["name"],
                        "name_pinyin": data["name_pinyin"],
                        "name_initials": data["name_initials"],
                        "id_kind": data["id_kind"],
                        "id_number": data["id_number"],
                        "id_number_hash": data["id_number_hash"],
                        "id_number_masked": data["id_number_masked"],
                        "gender": data["gender"],
                        "birth_date": data["birth_date"],
                        "ethnicity": data["ethnicity"] or "",
                        "phone": national,
                        "phone_hash": phone_hash,
                        "phone_masked": phone_masked,
                        "other_phones": other_phones,
                        "other_phones_masked": other_phones_masked,
                        "education": data["education"] or "",
                        "political_status": data["political_status"] or "",
                        "marital_status": data["marital_status"] or "",
                        "employment": data["employment"] or "",
                        "house_id": data["house_id"],
                        "house_relation": data["house_relation"] or HouseRelation.FAMILY,
                        "residence_address": house.full_address
                        if house
                        else (data["residence_address"] or ""),
                        "hukou_address": data["hukou_address"] or "",
                        "note": data["note"] or "",
                    }
                )
                continue
            before = {**_state(person, PERSON_AUDITED), "phone_hash": person.phone_hash}
            person.name, person.name_pinyin, person.name_initials = (
                data["name"],
                data["name_pinyin"],
                data["name_initials"],
            )
            for name in (
                "ethnicity",
                "education",
                "political_status",
                "marital_status",
                "employment",
                "house_relation",
                "hukou_address",
                "note",
            ):
                if data[name] is not None:
                    setattr(person, name, data[name])
            old_address = person.residence_address
            if house is not None:
                person.house, person.residence_address = house, house.full_address
            elif data["residence_address"] is not None:
                person.house, person.residence_address = None, data["residence_address"]
            if person.residence_address != old_address:
                moved[person.pk] = old_address
            data["house_id"] = person.house_id
            if org.level == OrgLevel.GRID:  # a grid's file places its residents; a community's keeps grids
                person.org = org
            if data["phone"] is not None:
                person.phone, person.phone_hash, person.phone_masked = data["phone"]
                person.other_phones, person.other_phones_masked = data["other_phones"]
            change = _person_change(before, person)
            if change is not None:
                changes[person.pk] = change
            person.updated_at = now
            data["person_id"] = person.pk
            updated.append(person)

        created_ids: list[int] = []
        with AddressIndexBatch(connection) as address_index:
            if new_rows:
                # Set-based: one executemany per batch (the field encrypts), then the new ids in one query.
                # Django's bulk_create spends ~0.4 ms per Person compiling its SQL.
                insert_rows(Person, new_rows)
                ids = dict(
                    Person.objects.filter(
                        id_number_hash__in=_one_of([r["id_number_hash"] for r in new_rows])
                    ).values_list("id_number_hash", "pk")
                )
                address_index.added(ids.values())
            if updated:
                for pk, old_address in moved.items():
                    address_index.moved(pk, old_address)
                with_phone = [p for p in updated if "phone" not in p.get_deferred_fields()]
                without_phone = [p for p in updated if "phone" in p.get_deferred_fields()]
                if with_phone:
                    Person.objects.bulk_update(
                        with_phone, PERSON_UPDATE_FIELDS + PHONE_FIELDS, batch_size=250
                    )
                if without_phone:
                    Person.objects.bulk_update(without_phone, PERSON_UPDATE_FIELDS, batch_size=250)
        timeline: list[dict[str, Any]] = []
        if new_rows:
            for row in accepted:
                if "person_id" not in row.data:
                    row.data["person_id"] = ids[row.data["id_number_hash"]]
            created_ids = [ids[r["id_number_hash"]] for r in new_rows]
            summary = _("导入登记于%(org)s") % {"org": org.name}
            details = {"import_job": context.job.pk}
            timeline += [
                {
                    "person_id": person_id,
                    "kind": LifeEventKind.REGISTERED,
                    "occurred_on": today,
                    "summary": summary,
                    "details": details,
                    "actor_id": actor.pk if actor else None,
                    "created_at": now,
                }
                for person_id in created_ids
            ]
        if changes:
            timeline += _update_events(context, changes, today, now)
        if timeline:
            insert_rows(LifeEvent, timeline)  # one executemany for the batch's registrations and changes
        if numbers:
            self._save_households(context, accepted, households, memberships, new_heads)
        # 人户分离 of the batch's persons (house, grid, household may have changed): set-based, once a batch
        refresh_residence_split([*created_ids, *(p.pk for p in updated)])
        return self.finish_batch(context, rows, created_ids, [p.pk for p in updated], changes)

    def _household_ok(self, context, row, person, households, memberships, new_heads) -> bool:
        data = row.data
        number, relation = data["household_number"], data["relation"]
        household = households.get(number)
        if person is not None and person.status != PersonStatus.LIVING:
            _reject(
                context,
                row,
                "household_number",
                _("%(n)s 当前状态为“%(s)s”，不能入户。")
                % {"n": person.name, "s": person.get_status_display()},
                number,
            )
            return False
        if household is not None:
            if not self.in_community(context, household.org_id):
                _reject(
                    context,
                    row,
                    "household_number",
                    _("户号 %(n)s 已登记在其他社区。") % {"n": number},
                    number,
                )
                return False
            if relation == HEAD_RELATION and (person is None or household.head_id != person.pk):
                _reject(
                    context,
                    row,
                    "relation",
                    _("户号 %(n)s 已有户主，变更户主请在系统中办理。") % {"n": number},
                    _("户主"),
                )
                return False
            if relation != HEAD_RELATION and person is not None and household.head_id == person.pk:
                _reject(
                    context,
                    row,
                    "relation",
                    _("该居民是户 %(n)s 的户主，变更户主请在系统中办理。") % {"n": number},
                )
                return False
        elif number in new_heads:
            if relation == HEAD_RELATION:
                _reject(
                    context,
                    row,
                    "relation",
                    _("户号 %(n)s 已由第 %(r)d 行登记户主。")
                    % {"n": number, "r": new_heads[number].row_number},
                    _("户主"),
                )
                return False
        elif relation != HEAD_RELATION:
            _reject(context, row, "household_number", _("户号 %(n)s 尚未登记户主") % {"n": number}, number)
            return False
        elif not (data["hukou_address"] or data["residence_address"]):
            _reject(
                context,
                row,
                "hukou_address",
                _("户号 %(n)s 尚未登记，立户须填写户籍地址。") % {"n": number},
            )
            return False
        membership = memberships.get(person.pk) if person is not None else None
        if membership is not None and membership.household.number != number:
            _reject(
                context,
                row,
                "household_number",
                _("%(n)s 已在户 %(h)s 中，请先办理出户或分户。")
                % {"n": person.name, "h": membership.household.number},
                number,
            )
            return False
        return True

    def _save_households(self, context, accepted, households, memberships, new_heads) -> None:
        actor, org, today = _actor(context), context.org, context.cache["today"]
        created = []
        for number, row in new_heads.items():
            data = row.data
            household = Household(
                org=org,
                number=number,
                kind=HouseholdKind.FAMILY,
                head_id=data["person_id"],
                registered_address=data["hukou_address"] or data["residence_address"],
                house_id=data["house_id"],
                created_by=actor,
            )
            created.append(household)
            households[number] = household
        if created:
            Household.objects.bulk_create(created, batch_size=500)
        new_members, changed_members = [], []
        for row in accepted:
            data = row.data
            number = data["household_number"]
            if not number:
                continue
            membership = memberships.get(data["person_id"])
            if membership is None:
                new_members.append(
                    HouseholdMember(
                        household=households[number],
                        person_id=data["person_id"],
                        relation=data["relation"],
                        joined_on=today,
                    )
                )
            elif membership.relation != data["relation"]:
                membership.relation = data["relation"]
                changed_members.append(membership)
        if new_members:
            HouseholdMember.objects.bulk_create(new_members, batch_size=500)
        if changed_members:
            HouseholdMember.objects.bulk_update(changed_members, ["relation"], batch_size=250)


# --- households ----------------------------------------------------------------------------------------------

HOUSEHOLD_KINDS = _Codes([(value, str(label), str(label)[:-1]) for value, label in HouseholdKind.choices])


@register_spec
class HouseholdImport(RegistryImport):
    key = "registry-households"
    tables = ("registry_household", "registry_householdmember")
    label = gettext_lazy("户籍户")
    permission = "registry.add_household"
    event = events.HOUSEHOLDS_IMPORTED
    natural_key_columns = ("number",)
    columns = (
        Column("number", "户号", required=True, text=True, example="330110001001000001", width=20),
        Column(
            "kind",
            "户别",
            aliases=("户类型", "户口类别"),
            help=gettext_lazy("家庭户 / 集体户（或 1 / 2）"),
            example="家庭户",
            choices=_choice_labels(HouseholdKind),
        ),
        Column(
            "registered_address",
            "户籍地址",
            aliases=("户籍所在地", "户籍地", "户口所在地", "住址"),
            required=True,
            example="浙江省杭州市明湖区幸福路12号3幢2单元301",
            width=30,
        ),
        Column(
            "head_id_number",
            "户主身份证号",
            aliases=("户主公民身份号码", "户主身份证号码", "户主证件号码", "身份证号", "公民身份号码"),
            required=True,
            text=True,
            help=gettext_lazy("户主须已登记在本社区"),
            example="110105199001011232",
            width=22,
        ),
        Column(
            "head_name",
            "户主姓名",
            aliases=("户主",),
            help=gettext_lazy("填写时须与登记的姓名一致"),
            example="张三",
        ),
        Column(
            "house_address",
            "实际居住地址",
            aliases=("现住址", "居住地址", "实际居住房屋"),
            help=gettext_lazy("须为已登记房屋的完整地址；也可分列填写楼栋地址、楼栋、单元、室号"),
            width=28,
        ),
        Column("street_address", "楼栋地址", aliases=("门牌", "门牌地址"), width=16),
        Column("building", "楼栋", aliases=("幢", "楼号"), width=8),
        Column("unit", "单元", width=8),
        Column("room", "室号", aliases=("房号", "房间号"), width=8),
    )

    def natural_key(self, row: ValidatedRow) -> str | None:
        return row.data["number"]

    def validate_row(self, values, context):
        issues: list[RowIssue] = []
        number = ""
        try:
            number = _identifier(values["number"])
        except ValueError as error:
            issues.append(RowIssue(str(error), "number"))
        if len(number) > 30:
            issues.append(RowIssue(_("户号不能超过 30 位。"), "number"))
        kind, issue = _code_issue(HOUSEHOLD_KINDS, values.get("kind"), "kind", _("户别"))
        if issue:
            issues.append(issue)
        address = _text(values["registered_address"])
        if not address:
            issues.append(RowIssue(_("请填写户籍地址。"), "registered_address"))
        elif len(address) > 300:
            issues.append(RowIssue(_("“户籍地址”不能超过 300 个字。"), "registered_address"))
        try:
            head = stored_identity(values["head_id_number"])
        except InvalidNumber as error:
            head = None
            issues.append(RowIssue(error.message, "head_id_number"))
        house_key, house_text = _house_key(values, issues, "house_address")
        if issues:
            return issues
        return ValidatedRow(
            {
                "number": number,
                "kind": kind or None,
                "registered_address": address,
                "head_hash": head.id_number_hash,
                "head_number": head.id_number,
                "head_name": _name(values.get("head_name")),
                "house_key": house_key,
                "house_text": house_text,
            }
        )

    def save_batch(self, rows, context):
        actor = _actor(context)
        households = {
            h.number: h for h in Household.objects.filter(number__in=[row.data["number"] for row in rows])
        }
        heads = {
            p.id_number_hash: p
            for p in Person.objects.filter(id_number_hash__in={row.data["head_hash"] for row in rows}).only(
                "pk", "name", "org", "status", "id_number_hash", "house"
            )
        }
        memberships = {
            m.person_id: m
            for m in HouseholdMember.objects.filter(
                person_id__in=[p.pk for p in heads.values()]
            ).select_related("household")
        }
        houses = self.houses_by_address(context, (row.data["house_key"] for row in rows))
        created, updated, new_members, changed_members = [], [], [], []
        changes: dict[int, tuple[dict, dict]] = {}
        heads_taken: set[int] = set()
        now = timezone.now()
        for row in rows:
            data = row.data
            number, household = data["number"], households.get(data["number"])
            head = heads.get(data["head_hash"])
            house = houses.get(data["house_key"]) if data["house_key"] else None
            if head is None or not self.in_community(context, head.org_id):
                _reject(
                    context,
                    row,
                    "head_id_number",
                    _("户主未在本社区登记，请先登记户主。"),
                    data["head_number"],
                )
                continue
            if head.status != PersonStatus.LIVING:
                _reject(
                    context,
                    row,
                    "head_id_number",
                    _("%(n)s 当前状态为“%(s)s”，不能作为户主。")
                    % {"n": head.name, "s": head.get_status_display()},
                    data["head_number"],
                )
                continue
            if data["head_name"] and data["head_name"] != head.name:
                _reject(
                    context,
                    row,
                    "head_name",
                    _("户主姓名与登记的姓名（%(n)s）不符。") % {"n": head.name},
                    data["head_name"],
                )
                continue
            if data["house_key"] and house is None:
                _reject(
                    context,
                    row,
                    "house_address",
                    _("未找到本社区已登记的房屋“%(a)s”，请先登记房屋或核对地址。") % {"a": data["house_key"]},
                    data["house_text"],
                )
                continue
            membership = memberships.get(head.pk)
            if membership is not None and membership.household.number != number:
                _reject(
                    context,
                    row,
                    "head_id_number",
                    _("%(n)s 已在户 %(h)s 中，请先办理出户或分户。")
                    % {"n": head.name, "h": membership.household.number},
                    data["head_number"],
                )
                continue
            if head.pk in heads_taken:
                _reject(context, row, "head_id_number", _("同一人不能是多个户的户主。"), data["head_number"])
                continue
            if household is None:
                household = Household(
                    org=context.org,
                    number=number,
                    kind=data["kind"] or HouseholdKind.FAMILY,
                    head=head,
                    registered_address=data["registered_address"],
                    house_id=house.pk if house else head.house_id,
                    created_by=actor,
                )
                created.append(household)
            else:
                if not self.in_community(context, household.org_id):
                    _reject(
                        context, row, "number", _("户号 %(n)s 已登记在其他社区。") % {"n": number}, number
                    )
                    continue
                if household.head_id != head.pk:
                    _reject(
                        context,
                        row,
                        "head_id_number",
                        _("户 %(n)s 的户主不是此人，变更户主请在系统中办理。") % {"n": number},
                        data["head_number"],
                    )
                    continue
                before = _state(household, HOUSEHOLD_AUDITED)
                household.registered_address = data["registered_address"]
                if data["kind"]:
                    household.kind = data["kind"]
                if house is not None:
                    household.house = house
                change = _change(before, household)
                if change is not None:
                    changes[household.pk] = change
                household.updated_at = now
                updated.append(household)
            heads_taken.add(head.pk)
            if membership is None:
                new_members.append(
                    HouseholdMember(
                        household=household,
                        person=head,
                        relation=HEAD_RELATION,
                        joined_on=context.cache["today"],
                    )
                )
            elif membership.relation != HEAD_RELATION:
                membership.relation = HEAD_RELATION
                changed_members.append(membership)
        if created:
            Household.objects.bulk_create(created, batch_size=500)
        if updated:
            Household.objects.bulk_update(
                updated, ["registered_address", "kind", "house", "updated_at"], batch_size=250
            )
        if new_members:
            HouseholdMember.objects.bulk_create(new_members, batch_size=500)
        if changed_members:
            HouseholdMember.objects.bulk_update(changed_members, ["relation"], batch_size=250)
        # 人户分离 of the heads who joined: set-based, once a batch
        refresh_residence_split([member.person_id for member in new_members])
        return self.finish_batch(context, rows, [h.pk for h in created], [h.pk for h in updated], changes)


# --- houses --------------------------------------------------------------------------------------------------

HOUSE_USES = _Codes([(value, str(label)) for value, label in HouseUse.choices] + [("residential", "住房")])
OWNERSHIPS = _Codes(
    [(value, str(label)) for value, label in Ownership.choices]
    + [("private", "私房"), ("private", "商品房"), ("public", "公租房"), ("enterprise", "单位房")]
)
HOUSEHOLD_AUDITED = ["registered_address", "kind", "house_id"]
HOUSE_UPDATE_FIELDS = [
    "use",
    "ownership",
    "owner_name",
    "area",
    "is_rented",
    "latitude",
    "longitude",
    "coordinate_system",
    "updated_at",
]
HOUSE_AUDITED = [name for name in HOUSE_UPDATE_FIELDS if name != "updated_at"]


def _yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    key = _key(value if not isinstance(value, float) else int(value))
    if key in YES:
        return True
    if key in NO:
        return False
    raise ValueError(_("请填写“是”或“否”。"))


@register_spec
class HouseImport(RegistryImport):
    key = "registry-houses"
    tables = ("registry_building", "registry_house")
    label = gettext_lazy("实有房屋")
    permission = "registry.add_house"
    event = events.HOUSES_IMPORTED
    natural_key_columns = ("street_address", "building", "unit", "room")
    columns = (
        Column(
            "street_address",
            "楼栋地址",
            aliases=("门牌", "门牌地址", "街路巷门牌", "门牌号"),
            required=True,
            example="幸福路12号",
            width=16,
        ),
        Column("building", "楼栋", aliases=("幢", "楼号", "楼栋号", "楼栋名称"), example="3幢", width=8),
        Column("unit", "单元", aliases=("单元号",), example="2单元", width=8),
        Column(
            "room", "室号", aliases=("房号", "房间号", "室"), required=True, text=True, example="301", width=8
        ),
        Column(
            "use",
            "用途",
            aliases=("房屋用途",),
            help=gettext_lazy("住宅 / 商业 / 商住混合 / 出租"),
            example="住宅",
            choices=_choice_labels(HouseUse),
        ),
        Column(
            "ownership",
            "产权性质",
            aliases=("产权类型", "房屋性质"),
            help=gettext_lazy("私有 / 公房 / 集体 / 单位 / 其他"),
            choices=_choice_labels(Ownership),
        ),
        Column("owner_name", "产权人", aliases=("房主", "业主", "产权人姓名"), example="张三"),
        Column("area", "建筑面积", aliases=("面积",), help=gettext_lazy("平方米"), example=89.5),
        Column(
            "is_rented",
            "是否出租",
            aliases=("出租",),
            help=gettext_lazy("是 / 否"),
            example="否",
            choices=lambda: ["是", "否"],
        ),
        Column("longitude", "经度", example=120.16),
        Column("latitude", "纬度", example=30.244),
    )

    def natural_key(self, row: ValidatedRow) -> str | None:
        return row.data["full_address"]

    def validate_row(self, values, context):
        issues: list[RowIssue] = []
        street, building = _squash(values["street_address"]), _squash(values.get("building"))
        unit, room = _squash(values.get("unit")), _squash(values["room"])
        if not building:
            issues.append(RowIssue(_("房屋必须填写楼栋"), "building"))
        for model, name, key, value in (
            (Building, "street_address", "street_address", street),
            (Building, "name", "building", building),
            (House, "unit", "unit", unit),
            (House, "room", "room", room),
        ):
            issue = _too_long(model, name, value)
            if issue:
                issue.column = key
                issues.append(issue)
        use, issue = _code_issue(HOUSE_USES, values.get("use"), "use", _("房屋用途"))
        if issue:
            issues.append(issue)
        ownership, issue = _code_issue(OWNERSHIPS, values.get("ownership"), "ownership", _("产权性质"))
        if issue:
            issues.append(issue)
        owner = _name(values.get("owner_name"))
        if len(owner) > 100:
            issues.append(RowIssue(_("“产权人”不能超过 100 个字。"), "owner_name"))
        area = _optional(parse_decimal_cell, values.get("area"), "area", issues)
        if area is not None and not (Decimal("0") < area < Decimal("100000")):
            issues.append(RowIssue(_("建筑面积应大于 0 且小于 100000 平方米。"), "area"))
        elif area is not None:
            area = area.quantize(Decimal("0.01"))
        rented = _optional(_yes_no, values.get("is_rented"), "is_rented", issues)
        latitude = _optional(parse_decimal_cell, values.get("latitude"), "latitude", issues)
        longitude = _optional(parse_decimal_cell, values.get("longitude"), "longitude", issues)
        for key, messages in coordinate_errors(latitude, longitude, CoordinateSystem.WGS84).items():
            issues.extend(RowIssue(message, key) for message in messages)
        if latitude is not None:
            latitude, longitude = (
                latitude.quantize(Decimal("0.000001")),
                longitude.quantize(Decimal("0.000001")),
            )
        full_address = house_full_address(street, building, unit, room)
        if len(full_address) > 300:
            issues.append(RowIssue(_("房屋地址不能超过 300 个字。"), "room"))
        if issues:
            return issues
        return ValidatedRow(
            {
                "street_address": street,
                "building": building,
                "unit": unit,
                "room": room,
                "full_address": full_address,
                "use": use or None,
                "ownership": ownership or None,
                "owner_name": owner or None,
                "area": area,
                "is_rented": rented,
                "latitude": latitude,
                "longitude": longitude,
            }
        )

    def save_batch(self, rows, context):
        actor = _actor(context)
        streets = {row.data["street_address"] for row in rows}
        names = {row.data["building"] for row in rows}
        buildings = {
            (b.street_address, b.name): b
            for b in Building.objects.filter(street_address__in=streets, name__in=names)
        }
        existing = {
            h.full_address: h
            for h in House.objects.filter(full_address__in=[r.data["full_address"] for r in rows])
        }
        new_buildings, created, updated, accepted = [], [], [], []
        changes: dict[int, tuple[dict, dict]] = {}
        now = timezone.now()
        for row in rows:
            data = row.data
            building_key = (data["street_address"], data["building"])
            building = buildings.get(building_key)
            if building is not None and not self.in_community(context, building.org_id):
                _reject(
                    context,
                    row,
                    "building",
                    _("楼栋 %(b)s 已登记在其他社区。") % {"b": data["street_address"] + data["building"]},
                    data["building"],
                )
                continue
            house = existing.get(data["full_address"])
            if house is not None and not self.in_community(context, house.org_id):
                _reject(
                    context,
                    row,
                    "room",
                    _("房屋 %(a)s 已登记在其他社区。") % {"a": data["full_address"]},
                    data["room"],
                )
                continue
            if building is None:
                building = Building(
                    org=context.org,
                    street_address=data["street_address"],
                    name=data["building"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    created_by=actor,
                )
                buildings[building_key] = building
                new_buildings.append(building)
            accepted.append((row, building, house))
        if new_buildings:
            Building.objects.bulk_create(new_buildings, batch_size=500)
        for row, building, house in accepted:
            data = row.data
            if house is None:
                located = data["latitude"] is not None
                house = House(
                    org=building.org if building.org_id else context.org,
                    building=building,
                    unit=data["unit"],
                    room=data["room"],
                    full_address=data["full_address"],
                    use=data["use"] or HouseUse.RESIDENTIAL,
                    ownership=data["ownership"] or Ownership.PRIVATE,
                    owner_name=data["owner_name"] or "",
                    area=data["area"],
                    is_rented=bool(data["is_rented"]),
                    latitude=data["latitude"] if located else building.latitude,
                    longitude=data["longitude"] if located else building.longitude,
                    coordinate_system=CoordinateSystem.WGS84 if located else building.coordinate_system,
                    created_by=actor,
                )
                created.append(house)
            else:
                before = _state(house, HOUSE_AUDITED)
                for name in ("use", "ownership", "owner_name", "area", "is_rented"):
                    if data[name] is not None:
                        setattr(house, name, data[name])
                if data["latitude"] is not None:
                    house.latitude, house.longitude = data["latitude"], data["longitude"]
                    house.coordinate_system = CoordinateSystem.WGS84
                change = _change(before, house)
                if change is not None:
                    changes[house.pk] = change
                house.updated_at = now
                updated.append(house)
        if created:
            House.objects.bulk_create(created, batch_size=500)
        if updated:
            House.objects.bulk_update(updated, HOUSE_UPDATE_FIELDS, batch_size=250)
        return self.finish_batch(context, rows, [h.pk for h in created], [h.pk for h in updated], changes)


# --- enterprises ---------------------------------------------------------------------------------------------

ENTERPRISE_STATUSES = _Codes(
    [(value, str(label)) for value, label in EnterpriseStatus.choices]
    + [("operating", "存续"), ("operating", "营业"), ("operating", "正常"), ("suspended", "歇业")]
)
ENTERPRISE_UPDATE_FIELDS = [
    "name",
    "legal_representative",
    "industry",
    "address",
    "house",
    "employees",
    "established_on",
    "status",
    "contact_phone",
    "latitude",
    "longitude",
    "coordinate_system",
    "org",
    "updated_at",
]
ENTERPRISE_AUDITED = [
    Enterprise._meta.get_field(name).attname for name in ENTERPRISE_UPDATE_FIELDS if name != "updated_at"
]


@register_spec
class EnterpriseImport(RegistryImport):
    key = "registry-enterprises"
    tables = ("registry_enterprise",)
    label = gettext_lazy("实有单位")
    permission = "registry.add_enterprise"
    event = events.ENTERPRISES_IMPORTED
    natural_key_columns = ("uscc",)
    columns = (
        Column(
            "uscc",
            "统一社会信用代码",
            aliases=("社会信用代码", "信用代码", "统一代码"),
            required=True,
            text=True,
            help=gettext_lazy("18 位，不含字母 I、O、Z、S、V"),
            example="91330110MA2AB1C09E",
            width=22,
        ),
        Column("name", "企业名称", aliases=("单位名称", "名称", "企业（单位）名称"), required=True, width=28),
        Column(
            "legal_representative",
            "法定代表人",
            aliases=("法人", "法人代表", "负责人", "法定代表人（负责人）"),
            required=True,
            example="张三",
        ),
        Column("industry", "行业", aliases=("所属行业", "行业类别"), example="零售业"),
        Column(
            "address",
            "经营地址",
            aliases=("地址", "住所", "注册地址", "经营场所", "企业地址"),
            required=True,
            help=gettext_lazy("与已登记房屋的完整地址相符时关联该房屋"),
            example="幸福路12号3幢1单元101",
            width=28,
        ),
        Column("employees", "从业人数", aliases=("员工人数", "职工人数", "从业人员"), example=12),
        Column("established_on", "成立日期", aliases=("成立时间", "注册日期"), example=date(2020, 5, 1)),
        Column(
            "status",
            "经营状态",
            aliases=("状态", "登记状态"),
            help=gettext_lazy("在营 / 停业 / 迁出 / 注销"),
            example="在营",
            choices=_choice_labels(EnterpriseStatus),
        ),
        Column("contact_phone", "联系电话", aliases=("电话", "手机号", "联系方式"), text=True, width=14),
    )

    def template_rows(self) -> list[dict[str, Any]]:
        example = super().template_rows()[0]
        return [{**example, "uscc": "9133011000010001X6", "name": "杭州柳浪便利店有限公司"}]

    def natural_key(self, row: ValidatedRow) -> str | None:
        return row.data["uscc"]

    def validate_row(self, values, context):
        issues: list[RowIssue] = []
        try:
            uscc = parse_uscc(values["uscc"]).code
        except InvalidNumber as error:
            uscc = ""
            issues.append(RowIssue(error.message, "uscc"))
        texts = {}
        for key in ("name", "legal_representative", "industry", "address"):
            texts[key] = _text(values.get(key))
            issue = _too_long(Enterprise, key, texts[key])
            if issue:
                issue.column = key
                issues.append(issue)
        employees = _optional(parse_int_cell, values.get("employees"), "employees", issues)
        if employees is not None and employees < 0:
            issues.append(RowIssue(_("从业人数不能为负数。"), "employees"))
        established = _optional(parse_date_cell, values.get("established_on"), "established_on", issues)
        if established and established > context.cache["today"]:
            issues.append(RowIssue(_("成立日期不能晚于今天。"), "established_on"))
        status, issue = _code_issue(ENTERPRISE_STATUSES, values.get("status"), "status", _("经营状态"))
        if issue:
            issues.append(issue)
        phone = masked_phone = None
        if values.get("contact_phone") is not None:
            try:
                phone = parse_phone(_text(values["contact_phone"])).national
            except InvalidNumber as error:
                if error.code == "masked":
                    # The enterprise list exported without the right to full numbers, edited and imported
                    # back: the saving step keeps the stored number when it is the one the mask hides.
                    masked_phone = (_text(values["contact_phone"]), error.message)
                else:
                    issues.append(RowIssue(error.message, "contact_phone"))
        if issues:
            return issues
        return ValidatedRow(
            {
                "uscc": uscc,
                **texts,
                "house_key": _squash(texts["address"]),
                "employees": employees,
                "established_on": established,
                "status": status or None,
                "contact_phone": phone,
                "contact_phone_masked": masked_phone,  # (cell text, message) or None
            }
        )

    def save_batch(self, rows, context):
        actor = _actor(context)
        existing = {e.uscc: e for e in Enterprise.objects.filter(uscc__in=[row.data["uscc"] for row in rows])}
        houses = self.houses_by_address(context, (row.data["house_key"] for row in rows))
        created, updated = [], []
        changes: dict[int, tuple[dict, dict]] = {}
        now = timezone.now()
        for row in rows:
            data = row.data
            house = houses.get(data["house_key"])
            enterprise = existing.get(data["uscc"])
            masked = data["contact_phone_masked"]
            if enterprise is None:
                if masked is not None:
                    _reject(context, row, "contact_phone", masked[1], masked[0])
                    continue
                created.append(
                    Enterprise(
                        org=context.org,
                        uscc=data["uscc"],
                        name=data["name"],
                        legal_representative=data["legal_representative"],
                        industry=data["industry"],
                        address=data["address"],
                        house=house,
                        employees=data["employees"],
                        established_on=data["established_on"],
                        status=data["status"] or EnterpriseStatus.OPERATING,
                        contact_phone=data["contact_phone"] or "",
                        latitude=house.latitude if house else None,
                        longitude=house.longitude if house else None,
                        coordinate_system=house.coordinate_system if house else CoordinateSystem.WGS84,
                        created_by=actor,
                    )
                )
                continue
            if not self.in_community(context, enterprise.org_id):
                _reject(context, row, "uscc", _("该统一社会信用代码已登记在其他社区。"), data["uscc"])
                continue
            if masked is not None and crypto.mask_phone(enterprise.contact_phone) != masked[0]:
                _reject(context, row, "contact_phone", masked[1], masked[0])
                continue
            before = _state(enterprise, ENTERPRISE_AUDITED)
            for name in ("name", "legal_representative", "address"):
                setattr(enterprise, name, data[name])
            for name in ("industry", "employees", "established_on", "status", "contact_phone"):
                if data[name] not in (None, ""):
                    setattr(enterprise, name, data[name])
            enterprise.house = house
            if house is not None and house.latitude is not None:
                enterprise.latitude, enterprise.longitude = house.latitude, house.longitude
                enterprise.coordinate_system = house.coordinate_system
            if context.org.level == OrgLevel.GRID:
                enterprise.org = context.org
            change = _change(before, enterprise)
            if change is not None:
                changes[enterprise.pk] = change
            enterprise.updated_at = now
            updated.append(enterprise)
        if created:
            Enterprise.objects.bulk_create(created, batch_size=500)
        if updated:
            Enterprise.objects.bulk_update(updated, ENTERPRISE_UPDATE_FIELDS, batch_size=250)
        return self.finish_batch(context, rows, [e.pk for e in created], [e.pk for e in updated], changes)
