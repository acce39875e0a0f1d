"""Normalise messy spreadsheet cells (for the Excel importer).

Pure Python: no models, no database. Every ``ValueError`` raised here carries a
Chinese message that can be shown to the office worker as is.

Cell values arrive from spreadsheet readers as ``None``, ``str``, ``int``,
``float``, ``bool``, ``date`` or ``datetime``; each function accepts all of them.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

__all__ = [
    "clean_text",
    "header_key",
    "parse_date_cell",
    "parse_decimal_cell",
    "parse_int_cell",
    "to_halfwidth",
]

# --------------------------------------------------------------------------- text

# Full-width ASCII block U+FF01..U+FF5E maps onto U+0021..U+007E; U+3000 is the
# ideographic (full-width) space.
_HALFWIDTH_TABLE: dict[int, int | str] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_HALFWIDTH_TABLE[0x3000] = " "

# Characters that are invisible in Excel but break matching: zero-width space /
# joiners, word joiner, byte-order mark, soft hyphen.
_INVISIBLE_TABLE: dict[int, int | str | None] = dict.fromkeys(
    (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD), None
)

_WHITESPACE_RUN = re.compile(r"\s+")  # str patterns: \s covers NBSP, U+3000, U+2000..U+200A …

# Unicode dashes and minus signs that people paste instead of "-".
_DASHES_TABLE: dict[int, int | str] = dict.fromkeys((0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212), "-")


def to_halfwidth(text: str) -> str:
    """Convert full-width ASCII (U+FF01–U+FF5E) and the full-width space to their half-width forms."""
    return text.translate(_HALFWIDTH_TABLE)


def _format_float(value: float) -> str:
    """Show a float the way Excel does: at most 15 significant digits, no exponent, no ".0"."""
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    # Beyond 15 significant digits a float is binary noise: 1.10105199001011e17 must
    # read "110105199001011000" (what Excel shows), not "110105199001011008".
    text = format(Decimal(format(value, ".15g")), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def clean_text(value: object) -> str:
    """Return the cell as clean single-line text.

    * ``None`` → ``""``; integral floats lose their ``.0`` (``12.0`` → ``"12"``), other
      floats are shown with at most 15 significant digits (as Excel does);
      ``True``/``False`` → ``"TRUE"``/``"FALSE"``; dates → ISO format.
    * Full-width ASCII (U+FF01–U+FF5E) → half-width, so ``"ＡＢＣ１２３（）"`` → ``"ABC123()"``.
    * Zero-width characters are removed; NBSP, the full-width space and every other
      whitespace (tabs, line breaks inside a cell) become one ordinary space; runs are
      collapsed and the ends stripped.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _format_float(value)
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else ""
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).translate(_INVISIBLE_TABLE)
    text = to_halfwidth(text)
    return _WHITESPACE_RUN.sub(" ", text).strip()


# -------------------------------------------------------------------------- dates

# Excel's 1900 date system: serial 1 is 1900-01-01. Lotus 1-2-3 treated 1900 as a
# leap year and Excel kept the bug, so serial 60 is the non-existent 1900-02-29 and
# every serial from 61 on is one day "ahead" (61 = 1900-03-01).
_EXCEL_EPOCH_BEFORE_BUG = date(1899, 12, 31)
_EXCEL_EPOCH_AFTER_BUG = date(1899, 12, 30)
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31

_DATE_SEPARATED = re.compile(
    r"(?P<y>\d{4})\s*(?P<sep>[-/.])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<d>\d{1,2})"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_DATE_COMPACT = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})")
_DATE_CHINESE = re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?")
_DATE_AMBIGUOUS = re.compile(
    r"\d{1,2}\s*(?P<sep>[-/.])\s*\d{1,2}\s*(?P=sep)\s*\d{1,4}(?:\s.*)?|\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*[日号]?"
)


def _excel_serial_to_date(serial: float | int | Decimal) -> date:
    if isinstance(serial, float) and not math.isfinite(serial):
        raise ValueError(_("日期不能为空。"))
    if isinstance(serial, Decimal) and not serial.is_finite():
        raise ValueError(_("日期不能为空。"))
    day_number = math.floor(serial)  # a fractional part is the time of day
    shown = clean_text(serial)
    if day_number < 1:
        raise ValueError(
            _("Excel 日期序号 %(serial)s 无效：序号从 1 开始（1 表示 1900-01-01）。") % {"serial": shown}
        )
    if day_number == 60:
        raise ValueError(
            _(
                "Excel 日期序号 60 对应 1900-02-29，这一天并不存在（Excel 沿用了 Lotus 1-2-3 的闰年错误），"
                "请核对该日期。"
            )
        )
    if day_number > _EXCEL_MAX_SERIAL:
        raise ValueError(_("Excel 日期序号 %(serial)s 超出范围（最大为 9999-12-31）。") % {"serial": shown})
    epoch = _EXCEL_EPOCH_BEFORE_BUG if day_number < 60 else _EXCEL_EPOCH_AFTER_BUG
    return epoch + timedelta(days=day_number)


# A date typed as an 8-digit number into a numeric cell (19920404): far beyond the serials of real dates
# (2958465 is 9999-12-31), so never ambiguous with one.
_COMPACT_NUMBER_MIN, _COMPACT_NUMBER_MAX = 18900101, 21001231
# Text of 5 digits (optionally with a time fraction): what a date column formatted as a number shows, e.g.
# 44000 for 2020-06-18. Refused in text cells with its own message (see `parse_date_cell`).
_SERIAL_LIKE = re.compile(r"[1-9]\d{4}(?:\.\d+)?")


def _compact_number_date(value: int | float | Decimal) -> date | None:
    """A whole number 18900101–21001231 read as YYYYMMDD; None for any other number. An 8-digit number that
    is no date (19921304) raises instead of being reported as an out-of-range serial."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        return None
    if value != int(value) or not 10_000_000 <= value <= 99_999_999:
        return None
    number = int(value)
    if not _COMPACT_NUMBER_MIN <= number <= _COMPACT_NUMBER_MAX:
        raise ValueError(
            _("日期 %(value)d 超出范围（按年月日读取，应在 1890-01-01 至 2100-12-31 之间）。")
            % {"value": number}
        )
    try:
        return date(number // 10000, number // 100 % 100, number % 100)
    except ValueError:
        raise ValueError(
            _("日期 %(value)d 不存在（按年月日读取为 %(y)d 年 %(m)d 月 %(d)d 日）。")
            % {"value": number, "y": number // 10000, "m": number // 100 % 100, "d": number % 100}
        ) from None


def parse_date_cell(value: object) -> date:
    """Parse a date cell; raise ``ValueError`` with a Chinese message.

    Accepts ``date``/``datetime`` objects (a datetime keeps only its date), Excel
    serial numbers (1900 date system, see above; a fractional time part is ignored)
    and text: ``2026-01-05``, ``2026/1/5``, ``2026.1.5`` (optionally followed by a
    time such as ``00:00:00``), ``20260105``, ``2026年1月5日`` / ``2026年01月05日``,
    with full-width digits allowed. Two-digit years and day-first/month-first forms
    (``26-1-5``, ``1/5/2026``) are rejected as ambiguous.

    A number cell holding a whole number of 8 digits is a date typed as ``YYYYMMDD``
    (19920404, very common); it is read as such between 18900101 and 21001231 and
    refused as a non-existent date otherwise, never as an out-of-range serial.

    Digit-only text other than ``YYYYMMDD`` is not taken as a serial number: in a
    CSV file (or a text cell) every cell is text, and ``44000`` there is as likely a
    typo, an amount or a code as a date, so reading it as 2020-06-18 would silently
    turn a wrong cell into a plausible date. A 5-digit number is refused with a
    message naming the date it would be, so that the office can fix the column.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError(_("“%(value)s”不是有效的日期。") % {"value": clean_text(value)})
    if isinstance(value, int | float | Decimal):
        compact = _compact_number_date(value)
        return compact if compact is not None else _excel_serial_to_date(value)

    text = clean_text(value)
    if not text:
        raise ValueError(_("日期不能为空。"))
    match = _DATE_SEPARATED.fullmatch(text) or _DATE_COMPACT.fullmatch(text) or _DATE_CHINESE.fullmatch(text)
    if match is None:
        if _SERIAL_LIKE.fullmatch(text):
            serial = _excel_serial_to_date(Decimal(text))
            raise ValueError(
                _(
                    "“%(value)s”像是 Excel 日期序号（对应 %(date)s）。文字单元格（如 CSV 文件）中的数字"
                    "不按日期序号读取，以免把填错的数字当成日期：请写成 %(date)s 这样的日期。"
                )
                % {"value": text, "date": serial.isoformat()}
            )
        if _DATE_AMBIGUOUS.fullmatch(text):
            raise ValueError(
                _("日期“%(value)s”有歧义：年份须写全四位并放在最前，请写成 2026-01-05 这样的格式。")
                % {"value": text}
            )
        raise ValueError(
            _("无法识别日期“%(value)s”，请使用 2026-01-05、2026/1/5、20260105 或 2026年1月5日 等格式。")
            % {"value": text}
        )
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        raise ValueError(_("日期 %(value)s 不存在。") % {"value": text}) from None


# ------------------------------------------------------------------------ numbers

_NUMBER_TEXT = re.compile(r"[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)")


def _number_from_text(value: object) -> Decimal:
    text = clean_text(value).translate(_DASHES_TABLE)
    if not text:
        raise ValueError(_("数值不能为空。"))
    compact = re.sub(r"\s+", "", text)  # "- 12" / "1 234.5" typed with stray spaces around signs
    if not _NUMBER_TEXT.fullmatch(compact):
        raise ValueError(_("“%(value)s”不是有效的数字。") % {"value": text})
    return Decimal(compact.replace(",", ""))


def _to_decimal(value: object) -> Decimal:
    if value is None:
        raise ValueError(_("数值不能为空。"))
    if isinstance(value, bool):
        raise ValueError(_("“%(value)s”不是有效的数字。") % {"value": clean_text(value)})
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(_("数值不能为空。") if math.isnan(value) else _("数值超出范围。"))
        # 15 significant digits, like Excel: 0.1 + 0.2 is 0.3, not 0.30000000000000004.
        number = Decimal(format(value, ".15g"))
        return number.quantize(Decimal(1)) if number.as_tuple().exponent > 0 else number
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(_("“%(value)s”不是有效的数字。") % {"value": str(value)})
        return value
    try:
        return _number_from_text(value)
    except InvalidOperation:  # pragma: no cover - the regex only lets valid literals through
        raise ValueError(_("“%(value)s”不是有效的数字。") % {"value": clean_text(value)}) from None


def parse_int_cell(value: object) -> int:
    """Parse an integer cell: ``12``, ``12.0``, ``"1,234"``, ``"１２３"``, ``"-5"``, ``"12.00"``.

    A non-integral value (``12.5``) and anything that is not a number raise
    ``ValueError`` with a Chinese message; so does an empty cell.
    """
    number = _to_decimal(value)
    if number != number.to_integral_value():
        raise ValueError(_("“%(value)s”不是整数。") % {"value": clean_text(value)})
    return int(number)


def parse_decimal_cell(value: object) -> Decimal:
    """Parse a decimal cell: ``12.5``, ``"12.50"`` (keeps the two places), ``"1,234.5"``, full-width digits.

    Floats are read with 15 significant digits, as Excel shows them. Percent signs,
    currency symbols and units are not accepted. Raises ``ValueError`` (Chinese).
    """
    return _to_decimal(value)


# ------------------------------------------------------------------------ headers

_BRACKETED_NOTE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕")


def header_key(value: object) -> str:
    """Normalise a header cell for matching column names.

    Full-width → half-width, bracketed notes such as ``（必填）``, ``(必填)``,
    ``【选填】``, ``[注]`` removed, ``*`` required markers and a trailing colon
    removed, all whitespace removed, ASCII lower-cased:
    ``"* 身份证号（必填）"`` → ``"身份证号"``, ``"Ｅｍａｉｌ"`` → ``"email"``.
    """
    text = clean_text(value)
    previous = None
    while previous != text:  # peel nested notes "(a(b))" from the inside out
        previous = text
        text = _BRACKETED_NOTE.sub("", text)
    text = text.replace("*", "")
    text = re.sub(r"\s+", "", text).rstrip(":")
    return text.lower()
