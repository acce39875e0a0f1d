"""Reading dictionaries from other apps: choice lists for forms, labels for display, code validation.

Labels and choices are for display: a built-in item's name goes through the translation catalogue (its
names are marked in `standard_data`), so the English UI shows "Han" for 汉族; a name an administrator typed
is shown as typed. A name that means different things in two dictionaries (女: female / daughter) is
marked with the dictionary's code as its context. `items()` gives the stored names, which imports and services match against.

Each dictionary is loaded once and kept per process. A write through `services` clears this process's
copy at once; other processes (gunicorn workers, the task worker) pick the change up within
`CACHE_SECONDS`.

    from jiedao.dictionaries import selectors
    from jiedao.dictionaries.standard_data import ETHNICITY

    ethnicity = forms.ChoiceField(label=_("民族"), choices=selectors.lazy_choices(ETHNICITY, blank=True))
    selectors.label(ETHNICITY, person.ethnicity)        # "汉族", also for a deactivated item
    selectors.is_valid(ETHNICITY, code)                  # in a service, before saving a code
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext, pgettext

from jiedao.core.i18n import Message
from jiedao.dictionaries.models import DictionaryItem, DictionaryType

CACHE_SECONDS = 60.0
BLANK_LABEL = "---------"


class UnknownDictionary(LookupError):
    """No dictionary type has this code (a programming error, not a user error)."""


@dataclass(frozen=True)
class Entry:
    code: str
    name: str
    abbreviation: str = ""
    sort_order: int = 0
    is_active: bool = True
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class _Loaded:
    at: float
    entries: tuple[Entry, ...]
    by_code: dict[str, Entry]


_cache: dict[str, _Loaded] = {}


def clear_cache(type_code: str | None = None) -> None:
    if type_code is None:
        _cache.clear()
    else:
        _cache.pop(type_code, None)


def _load(type_code: str) -> _Loaded:
    hit = _cache.get(type_code)
    if hit is not None and time.monotonic() - hit.at < CACHE_SECONDS:
        return hit
    rows = list(
        DictionaryItem.objects.filter(type__code=type_code)
        .order_by("sort_order", "code")
        .values_list("code", "name", "abbreviation", "sort_order", "is_active", "extra")
    )
    if not rows and not DictionaryType.objects.filter(code=type_code).exists():
        raise UnknownDictionary(type_code)
    entries = tuple(Entry(c, n, a, s, active, extra or {}) for c, n, a, s, active, extra in rows)
    loaded = _Loaded(time.monotonic(), entries, {entry.code: entry for entry in entries})
    _cache[type_code] = loaded
    return loaded


def display_name(type_code: str, name: str) -> str:
    """The name as the current language shows it."""
    translated = pgettext(type_code, name)
    return translated if translated != name else gettext(name)


def items(type_code: str, active_only: bool = True) -> list[Entry]:
    """The items of a dictionary in display order; with `active_only=False` also the deactivated ones."""
    entries = _load(type_code).entries
    return [e for e in entries if e.is_active] if active_only else list(entries)


def choices(type_code: str, *, blank: bool = False) -> list[tuple[str, str]]:
    """`(code, name)` pairs of the active items, for a form ChoiceField; `blank` adds an empty first choice."""
    pairs = [(e.code, display_name(type_code, e.name)) for e in items(type_code)]
    return [("", BLANK_LABEL), *pairs] if blank else pairs


def lazy_choices(type_code: str, *, blank: bool = False) -> Callable[[], list[tuple[str, str]]]:
    """A callable for `ChoiceField(choices=...)`, evaluated when the form is built, not at import."""

    def _choices() -> list[tuple[str, str]]:
        return choices(type_code, blank=blank)

    return _choices


def get(type_code: str, code: str | None) -> Entry | None:
    """The item with this code, active or not; None when there is none."""
    if code is None or code == "":
        return None
    return _load(type_code).by_code.get(str(code))


def label(type_code: str, code: str | None) -> str:
    """The name of an item, also of a deactivated one (old records keep their meaning).

    An empty code gives ""; a code the dictionary does not know is returned as it is.
    """
    if code is None or code == "":
        return ""
    entry = get(type_code, code)
    return display_name(type_code, entry.name) if entry is not None else str(code)


def label_message(type_code: str, code: str | None) -> Message | str:
    """`label` for a text kept in a record (a timeline entry): the item's name as a message, shown in the
    language of whoever reads it later."""
    entry = get(type_code, code)
    return Message(entry.name, context=type_code) if entry is not None else str(code or "")


def labels(type_code: str) -> dict[str, str]:
    """code → name for every item, active or not (for rendering many rows at once)."""
    return {entry.code: display_name(type_code, entry.name) for entry in _load(type_code).entries}


def is_valid(type_code: str, code: str | None, *, allow_inactive: bool = False) -> bool:
    """Whether a code may be stored: an active item (or any item with `allow_inactive`, e.g. on
    re-saving a record that already holds a code since deactivated)."""
    entry = get(type_code, code)
    return entry is not None and (entry.is_active or allow_inactive)
