"""Turning raw identity input into what is stored: encrypted value, blind index, masked copy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pypinyin import Style, lazy_pinyin

from jiedao.core import crypto
from jiedao.registry.validators import InvalidNumber, parse_id_number, parse_phone


@dataclass(frozen=True)
class StoredIdentity:
    id_number: str
    id_number_hash: str
    id_number_masked: str
    id_kind: str
    birth_date: date
    gender: str


def id_number_hash(number: str) -> str:
    return crypto.blind_index("id:" + number)


def phone_hash(national: str) -> str:
    return crypto.blind_index("tel:" + national)


def stored_identity(raw: str) -> StoredIdentity:
    """Raises `InvalidNumber` (Chinese message) when the number is not valid."""
    parsed = parse_id_number(raw)
    return StoredIdentity(
        id_number=parsed.number,
        id_number_hash=id_number_hash(parsed.number),
        id_number_masked=crypto.mask_id_number(parsed.number),
        id_kind=parsed.kind,
        birth_date=parsed.birth_date,
        gender=parsed.gender,
    )


def stored_phone(raw: str) -> tuple[str, str, str]:
    """(national number, blind index, masked) — empty strings for no phone."""
    if not (raw or "").strip():
        return "", "", ""
    phone = parse_phone(raw)
    return phone.national, phone_hash(phone.national), crypto.mask_phone(phone.national)


def lookup_hash_for_query(text: str) -> tuple[str, str] | None:
    """When a search term is an ID number or a phone number, the blind index to look it up by."""
    term = text.strip()
    try:
        return "id", id_number_hash(parse_id_number(term).number)
    except InvalidNumber:
        pass
    try:
        phone = parse_phone(term)
    except InvalidNumber:
        return None
    return "phone", phone_hash(phone.national)


def pinyin_keys(name: str) -> tuple[str, str]:
    """`张三` → ("zhangsan", "zs"): full pinyin and initials, lower-case ASCII, for prefix search."""
    full = "".join(lazy_pinyin(name, errors="ignore")).lower()
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()
    return full[:200], initials[:50]
