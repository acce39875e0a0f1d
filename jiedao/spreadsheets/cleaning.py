"""Small helpers for turning messy cell values into clean ones: shared by the engine and by import specs.

Community spreadsheets carry full-width digits (“１１０１０５”), stray spaces (incl. the full-width space
U+3000 and non-breaking spaces), headers such as “*身份证号（必填）”, and dates typed as text
(“2026年1月5日”, “2026.1.5”) next to real Excel dates. These functions normalise them.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from typing import Any

# Characters stripped from both ends of every text cell: ASCII whitespace, the ideographic space, NBSP,
# zero-width characters and a stray byte-order mark.
BLANKS = " \t\r\n\v\f\u3000\u00a0\u2002\u2003\u2009\u200b\u200c\u200d\u2060\ufeff"

_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20

# A note in brackets after a header: “（必填）”, “(选填)”, “【18位】”, “[YYYY-MM-DD]”.
_BRACKETED = re.compile(r"[(\[【〔{<《][^)\]】〕}>》]*[)\]】〕}>》]")
_HEADER_DROP = re.compile(r"[\s*＊:：]+")


def clean_text(value: Any) -> str | None:
    """The value as text without surrounding blanks; None for an empty cell."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    text = text.strip(BLANKS)
    return text or None


def halfwidth(text: str) -> str:
    """Full-width ASCII (“１２３ＡＢＣ”) and the ideographic space to their ordinary forms; nothing else changes
    (Chinese punctuation such as “，” stays)."""
    return text.translate(_FULLWIDTH)


def normalise_header(value: Any) -> str:
    """The comparable form of a header cell: NFKC (full-width → half-width), no blanks, no “*”, no bracketed
    note, no trailing colon, ASCII letters lower-cased. “ *身份证号（必填）” and “身份证号” compare equal."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = _BRACKETED.sub("", text)
    text = _HEADER_DROP.sub("", text)
    return text.lower()


def text_digits(value: Any) -> str | None:
    """An identifier typed as a number or as text (ID number, phone, household number) as a string of its
    characters: full-width → half-width, inner spaces removed; a float that lost digits raises ValueError."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        raise ValueError("number lost its digits")
    text = clean_text(value)
    if text is None:
        return None
    return re.sub(r"\s+", "", halfwidth(text)) or None


# --- dates ---------------------------------------------------------------------------------------------

_EXCEL_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001 - spreadsheet dates carry no time zone
_EXCEL_EPOCH_1904 = datetime(1904, 1, 1)  # noqa: DTZ001
MAX_EXCEL_SERIAL = 2958465  # 9999-12-31


def excel_serial_to_datetime(serial: float, *, epoch_1904: bool = False) -> datetime:
    """An Excel serial number (days since 1899-12-30, or 1904-01-01) to a naive datetime, to the millisecond.

    Serials below 60 follow Excel's fictitious 1900-02-29: serial 1 is 1900-01-01.
    """
    if not 0 <= serial <= MAX_EXCEL_SERIAL:
        raise ValueError("serial date out of range")
    if epoch_1904:
        base = _EXCEL_EPOCH_1904
    else:
        base = _EXCEL_EPOCH if serial >= 61 else _EXCEL_EPOCH + timedelta(days=1)
    milliseconds = round(serial * 86_400_000)
    return base + timedelta(milliseconds=milliseconds)


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$"),
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


def parse_date(value: Any, *, epoch_1904: bool = False) -> date | None:
    """A date from a cell: a real date, an Excel serial number, or text such as “2026年1月5日”, “2026-1-5”,
    “2026/01/05”, “2026.1.5”, “20260105” (full-width digits allowed). None for an empty cell; ValueError
    when the value is not a date."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError("not a date")
    if isinstance(value, int | float):
        if isinstance(value, int) and 19000101 <= value <= 29991231:
            return parse_date(str(value))
        return excel_serial_to_datetime(float(value), epoch_1904=epoch_1904).date()
    text = clean_text(value)
    if text is None:
        return None
    text = halfwidth(text)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            return date(year, month, day)  # ValueError for 2026-02-30
    raise ValueError("not a date")
