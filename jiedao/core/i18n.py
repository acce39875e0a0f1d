"""The language of records.

Text kept in a record that others read later — a timeline or history entry, an audit message, a public
notice, an SMS to a resident, the reason a clock was paused — is written in the site's language, whatever
the language of the request that wrote it: a clerk using the English interface, or an API client sending
Accept-Language: en, must not leave English entries in a Chinese register or text a resident in English.
Error messages are not wrapped: they go back to the one who made the request, in their language.

What the system itself words in a history or timeline (a `Message` below) is kept as that Chinese text and as
its msgid with parameters, so each later reader sees it in their own language (`shown`).
"""

import datetime as dt
import functools

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise


def records_language():
    """Context manager: translate in the site's language (settings.LANGUAGE_CODE) inside the block."""
    return translation.override(settings.LANGUAGE_CODE)


def in_records_language(func):
    """Decorator for a helper that only writes records (its caller has made every check): the whole call runs
    in the site's language. A fresh override per call, so concurrent threads never share one."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with records_language():
            return func(*args, **kwargs)

    return wrapper


# --- system-written text, read in each reader's language -----------------------------------------------------
#
# A text the system writes into a record (a history entry "流程恢复办理。", a timeline summary "迁往%(d)s") is
# kept twice: as text in the site's language (what exports, the audit log and rows written before this
# existed read), and as its msgid with parameters, rendered again in the language of whoever reads it. The
# parameters are data (names, dates, what a user typed: never translated) or messages themselves (a choice
# label, a field name). A msgid the catalogue no longer has renders as itself, like any untranslated text.


class Message:
    """A msgid (marked with `gettext_noop` where it is written, so the catalogue has it) and its parameters.
    `str()` translates it in the active language; `stored()` is what a record keeps."""

    __slots__ = ("msgid", "context", "params")

    def __init__(self, msgid: str, /, *, context: str = "", **params):
        self.msgid, self.context = msgid, context
        self.params = {name: _param(value) for name, value in params.items()}

    def __str__(self) -> str:
        return _render(self.stored())

    def stored(self) -> dict:
        data: dict = {"id": self.msgid}
        if self.context:
            data["ctx"] = self.context
        if self.params:
            data["p"] = {name: _store(value) for name, value in self.params.items()}
        return data


class Joined:
    """Names listed in a sentence (、 in Chinese, a comma in English)."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = [_param(item) for item in items]

    def __str__(self) -> str:
        return _render(self.stored())

    def stored(self) -> dict:
        return {"join": [_store(item) for item in self.items]}


class Concat:
    """Parts written one after the other (a message, then another, or a line break)."""

    __slots__ = ("parts",)

    def __init__(self, *parts):
        self.parts = [_param(part) for part in parts if part != ""]

    def __str__(self) -> str:
        return _render(self.stored())

    def stored(self) -> list:
        return [_store(part) for part in self.parts]


Text = Message | Joined | Concat


def _param(value):
    """A lazy translation (a choice label, a field's verbose name) becomes the message it is, so it follows the
    reader's language too; dates are written as ISO dates."""
    if isinstance(value, (Message, Joined, Concat, str, int)):
        return value
    if isinstance(value, Promise):
        func, args, _kw = value.__reduce__()[1][:3]
        if func is translation.gettext:
            return Message(args[0])
        if func is translation.pgettext:
            return Message(args[1], context=args[0])
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _store(value):
    return value.stored() if isinstance(value, (Message, Joined, Concat)) else value


def _render(value) -> str:
    if isinstance(value, list):
        return "".join(_render(part) for part in value)
    if isinstance(value, dict):
        if "join" in value:
            return translation.pgettext("list separator", "、").join(_render(item) for item in value["join"])
        msgid, context = value["id"], value.get("ctx")
        text = translation.pgettext(context, msgid) if context else msgid
        if text == msgid:  # as `dictionaries.display_name`: no translation in the context, the general one
            text = translation.gettext(msgid)
        params = value.get("p")
        return text % {name: _argument(param) for name, param in params.items()} if params else text
    return str(value)


def _argument(value):
    """A number stays a number (for %(n)d); anything else is rendered."""
    return value if isinstance(value, (int, float)) else _render(value)


def for_record(text: "Text | Promise | str") -> tuple[str, dict | list]:
    """(the text in the site's language, what to keep to show it in another) for a record's text field and its
    message field; a plain string — what a user typed — is kept as it is, with nothing to translate. A lazy
    translation (a choice label) is kept as the message it is."""
    if isinstance(text, Promise):
        text = _param(text)
    if isinstance(text, str):
        return text, {}
    with records_language():
        return str(text), text.stored()


def shown(stored: dict | list | None, text: str) -> str:
    """A record's system-written text in the reader's language; `text` (as written) for a row without a
    message, or one whose message no longer fits its msgid (a parameter renamed since)."""
    if not stored:
        return text
    try:
        return _render(stored)
    except (KeyError, TypeError, ValueError):
        return text
