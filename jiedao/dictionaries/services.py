"""Maintaining dictionary items: add, change, deactivate or reactivate. Items are never deleted, and an
item's code never changes once created, because records elsewhere store the code."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from jiedao.audit import services as audit
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.scope import require
from jiedao.dictionaries import audit_events as events
from jiedao.dictionaries import selectors
from jiedao.dictionaries.models import DictionaryItem, DictionaryType

FIELDS = ["type", "code", "name", "abbreviation", "extra", "sort_order", "is_active"]
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]+$")
CODE_MAX_LENGTH = DictionaryItem._meta.get_field("code").max_length
NAME_MAX_LENGTH = DictionaryItem._meta.get_field("name").max_length
ABBREVIATION_MAX_LENGTH = DictionaryItem._meta.get_field("abbreviation").max_length


def _invalidate(type_code: str) -> None:
    selectors.clear_cache(type_code)
    transaction.on_commit(lambda: selectors.clear_cache(type_code))


def _name_taken(dict_type: DictionaryType, name: str, exclude_pk: int | None) -> DictionaryItem | None:
    return (
        DictionaryItem.objects.filter(type=dict_type, name=name, is_active=True)
        .exclude(pk=exclude_pk)
        .first()
    )


def _validate_fields(
    *,
    dict_type: DictionaryType,
    name: str,
    abbreviation: str,
    sort_order: int,
    extra,
    active: bool,
    exclude_pk,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("请填写名称。")]
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = [_("名称不能超过 %(n)s 个字符。") % {"n": NAME_MAX_LENGTH}]
    elif active and (other := _name_taken(dict_type, name, exclude_pk)) is not None:
        # Two active items with one name would be indistinguishable in a choice list.
        errors["name"] = [_("名称“%(name)s”已被代码 %(code)s 使用。") % {"name": name, "code": other.code}]
    if len(abbreviation) > ABBREVIATION_MAX_LENGTH:
        errors["abbreviation"] = [_("简称不能超过 %(n)s 个字符。") % {"n": ABBREVIATION_MAX_LENGTH}]
    if sort_order < 0:
        errors["sort_order"] = [_("排序不能为负数。")]
    if not isinstance(extra, dict):
        errors["extra"] = [_("附加信息须为键值对。")]
    return errors


def _duplicate_code_error(dict_type: DictionaryType, code: str) -> ValidationFailed:
    return ValidationFailed(
        {"code": [_("代码 %(code)s 在“%(type)s”中已存在。") % {"code": code, "type": dict_type.name}]},
        code="duplicate_code",
    )


def dictionary_item_create(
    *,
    actor,
    type: DictionaryType | str,
    code: str,
    name: str,
    abbreviation: str = "",
    sort_order: int | None = None,
    extra: dict[str, Any] | None = None,
) -> DictionaryItem:
    """Add an item to the dictionary `type` (a DictionaryType or its code). The code must be new in the
    dictionary: a deactivated item keeps its code, so reactivate it instead of adding it again."""
    require(actor, "dictionaries.add_dictionaryitem", None)
    dict_type = type if isinstance(type, DictionaryType) else DictionaryType.objects.get(code=type)
    code, name, abbreviation = (code or "").strip(), (name or "").strip(), (abbreviation or "").strip()
    extra = {} if extra is None else extra
    if sort_order is None:
        last = DictionaryItem.objects.filter(type=dict_type).order_by("-sort_order").first()
        sort_order = (last.sort_order + 10) if last else 10
    errors = _validate_fields(
        dict_type=dict_type,
        name=name,
        abbreviation=abbreviation,
        sort_order=sort_order,
        extra=extra,
        active=True,
        exclude_pk=None,
    )
    error_code = None
    if not code:
        errors["code"] = [_("请填写代码。")]
    elif len(code) > CODE_MAX_LENGTH:
        errors["code"] = [_("代码不能超过 %(n)s 个字符。") % {"n": CODE_MAX_LENGTH}]
    elif not CODE_PATTERN.match(code):
        errors["code"] = [_("代码只能包含字母、数字、下划线、连字符和点。")]
    elif DictionaryItem.objects.filter(type=dict_type, code=code).exists():
        errors["code"] = _duplicate_code_error(dict_type, code).errors["code"]
        error_code = "duplicate_code"
    if errors:
        raise ValidationFailed(errors, code=error_code)
    try:
        with transaction.atomic():
            item = DictionaryItem.objects.create(
                type=dict_type,
                code=code,
                name=name,
                abbreviation=abbreviation,
                sort_order=sort_order,
                extra=extra,
            )
            audit.record(events.ITEM_CREATED, actor=actor, target=item, after=audit.snapshot(item, FIELDS))
    except IntegrityError:
        # Someone added the same code between the check and the insert.
        raise _duplicate_code_error(dict_type, code) from None
    _invalidate(dict_type.code)
    return item


def dictionary_item_update(
    *,
    actor,
    item: DictionaryItem,
    name: str,
    abbreviation: str | None = None,
    sort_order: int | None = None,
    extra: dict[str, Any] | None = None,
) -> DictionaryItem:
    """Change an item's name, abbreviation, order or extra data. The code cannot change."""
    require(actor, "dictionaries.change_dictionaryitem", None)
    name = (name or "").strip()
    abbreviation = item.abbreviation if abbreviation is None else abbreviation.strip()
    sort_order = item.sort_order if sort_order is None else sort_order
    extra = item.extra if extra is None else extra
    errors = _validate_fields(
        dict_type=item.type,
        name=name,
        abbreviation=abbreviation,
        sort_order=sort_order,
        extra=extra,
        active=item.is_active,  # an inactive item's name is checked again when it is reactivated
        exclude_pk=item.pk,
    )
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(item, FIELDS)
    with transaction.atomic():
        item.name, item.abbreviation, item.sort_order, item.extra = name, abbreviation, sort_order, extra
        item.save(update_fields=["name", "abbreviation", "sort_order", "extra", "updated_at"])
        audit.record(
            events.ITEM_CHANGED, actor=actor, target=item, before=before, after=audit.snapshot(item, FIELDS)
        )
    _invalidate(item.type.code)
    return item


def dictionary_item_set_active(*, actor, item: DictionaryItem, active: bool) -> DictionaryItem:
    """Deactivate (hidden from choice lists, label still resolves) or reactivate an item."""
    require(actor, "dictionaries.change_dictionaryitem", None)
    if item.is_active == active:
        return item
    if active and (other := _name_taken(item.type, item.name, item.pk)) is not None:
        raise ValidationFailed(
            {
                "name": [
                    _("已有启用的字典项（代码 %(code)s）使用名称“%(name)s”。")
                    % {"code": other.code, "name": item.name}
                ]
            }
        )
    before = audit.snapshot(item, FIELDS)
    with transaction.atomic():
        item.is_active = active
        item.save(update_fields=["is_active", "updated_at"])
        audit.record(
            events.ITEM_REACTIVATED if active else events.ITEM_DEACTIVATED,
            actor=actor,
            target=item,
            before=before,
            after=audit.snapshot(item, FIELDS),
        )
    _invalidate(item.type.code)
    return item
