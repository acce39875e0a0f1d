"""Validators for Chinese identity and registration numbers.

Pure Python: no models, no database. Every failure raises :class:`InvalidNumber`,
a ``ValueError`` with a Chinese ``message`` for the user and a stable English
``code`` for programs.

* :func:`parse_id_number` — 公民身份号码 (GB 11643-1999) and the numbers built the
  same way: 港澳居民居住证, 台湾居民居住证, 外国人永久居留身份证 (2023 edition).
* :func:`parse_uscc` — 统一社会信用代码 (GB 32100-2015).
* :func:`parse_phone` — Chinese mainland mobile and fixed-line numbers.
* :func:`parse_household_number` — 户号.
* :func:`clean_person_name` — a person's name (not a number, but checked the same way and raising the same
  error, so that every write path, the import included, can share it).
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import phonenumbers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiedao.registry.normalize import clean_text, to_halfwidth

__all__ = [
    "ID_KINDS",
    "USCC_AUTHORITIES",
    "USCC_CHARSET",
    "IdNumber",
    "InvalidNumber",
    "clean_person_name",
    "Phone",
    "Uscc",
    "compute_check_char",
    "compute_org_check_char",
    "compute_uscc_check_char",
    "looks_like_float_damage",
    "make_id_number",
    "make_uscc",
    "parse_household_number",
    "parse_id_number",
    "parse_phone",
    "parse_uscc",
]

CHINA_TZ = ZoneInfo("Asia/Shanghai")


class InvalidNumber(ValueError):
    """A number failed validation.

    ``message`` is a complete Chinese sentence for the user; ``code`` is stable
    English for programs: ``empty``, ``length``, ``charset``, ``region``,
    ``birth_date``, ``check_digit``, ``excel_precision``, ``unsupported``, ``masked``
    (ID numbers); ``authority``, ``org_check_digit`` (USCC); ``format``, ``type``,
    ``masked`` (phones).
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code)  # both in args, so the exception survives pickling (task queues)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


# What masked numbers hide their middle digits with (`jiedao.core.crypto.mask_middle`, and most other systems).
MASK_CHAR = "*"

_INVISIBLE = dict.fromkeys((0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD), None)
_WHITESPACE = re.compile(r"\s+")  # includes NBSP (U+00A0) and the full-width space (U+3000)


def _compact(raw: object) -> str:
    """Full-width → ASCII, drop every kind of space and invisible character, upper-case."""
    text = to_halfwidth(str(raw).translate(_INVISIBLE))
    return _WHITESPACE.sub("", text).upper()


def _china_today() -> date:
    return datetime.now(CHINA_TZ).date()


# ============================================================== 公民身份号码 (GB 11643)

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_MAP = "10X98765432"
EARLIEST_BIRTH_DATE = date(1890, 1, 1)

#: Province-level codes (first two digits of GB/T 2260 region codes) accepted in
#: the first two positions: mainland provinces, 71 台湾, 81 香港, 82 澳门, and 83
#: (台湾居民居住证). Numbers starting with 9 are foreign permanent residence cards
#: and are recognised by their first digit alone.
MAINLAND_PROVINCE_CODES = frozenset(
    [str(n) for n in range(11, 16)]
    + [str(n) for n in range(21, 24)]
    + [str(n) for n in range(31, 38)]
    + [str(n) for n in range(41, 47)]
    + [str(n) for n in range(50, 55)]
    + [str(n) for n in range(61, 66)]
)
PROVINCE_CODES = MAINLAND_PROVINCE_CODES | {"71", "81", "82", "83"}

#: kind → how the number is called in messages
ID_KINDS = {
    "citizen": gettext_lazy("公民身份号码"),
    "hk_macao_permit": gettext_lazy("港澳居民居住证号码"),
    "taiwan_permit": gettext_lazy("台湾居民居住证号码"),
    "foreign_permanent": gettext_lazy("外国人永久居留身份证号码"),
}
_PERMIT_PREFIXES = {"81": "hk_macao_permit", "82": "hk_macao_permit", "83": "taiwan_permit"}

_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d*)?E[+-]?\d+")
_DECIMAL_TAIL = re.compile(r"(?P<digits>\d+)\.(?P<fraction>\d*)")
_DIGITS = re.compile(r"[0-9]+")
_FOREIGN_2017 = re.compile(r"[A-Z]{3}[0-9]{12}")


@dataclass(frozen=True)
class IdNumber:
    """A validated identity number.

    ``number`` is the normalised 18-character form (a 15-digit number is upgraded);
    ``kind`` is one of :data:`ID_KINDS`; ``gender`` is ``"1"`` (male, odd 17th digit)
    or ``"2"`` (female, even); ``region_code`` is the first six digits as printed —
    for a foreign permanent residence card they are "9" + acceptance/nationality
    codes, not a GB/T 2260 region.
    """

    number: str
    kind: str
    birth_date: date
    gender: str
    region_code: str
    upgraded_from_15: bool = False

    def __str__(self) -> str:
        return self.number

    @property
    def is_male(self) -> bool:
        return self.gender == "1"

    @property
    def masked(self) -> str:
        """``110105********002X`` — for lists and logs."""
        return f"{self.number[:6]}{'*' * 8}{self.number[14:]}"

    def age_on(self, day: date) -> int:
        """Age in full years (周岁) on ``day``; someone born on 29 February turns a year older on 1 March."""
        born = self.birth_date
        if day < born:
            raise ValueError(_("日期 %(day)s 早于出生日期 %(born)s。") % {"day": day, "born": born})
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def compute_check_char(first17: str) -> str:
    """MOD 11-2 check character (``0``–``9`` or ``X``) for the first 17 digits."""
    if len(first17) != 17 or not _DIGITS.fullmatch(first17):
        raise ValueError("first17 must be exactly 17 ASCII digits")
    total = sum(map(operator.mul, map(int, first17), ID_WEIGHTS))  # in C: it runs for every imported row
    return ID_CHECK_MAP[total % 11]


def make_id_number(region: str, birth: date, sequence: int) -> str:
    """Build a valid 18-character number for demo/test data.

    ``region`` is six digits, ``sequence`` 0–999 (printed as three digits, so its last
    digit — odd male, even female — is the 17th character).
    """
    if len(region) != 6 or not _DIGITS.fullmatch(region):
        raise ValueError("region must be 6 ASCII digits")
    if not 0 <= sequence <= 999:
        raise ValueError("sequence must be between 0 and 999")
    first17 = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{sequence:03d}"
    return first17 + compute_check_char(first17)


def looks_like_float_damage(raw: object) -> bool:
    """Heuristic: was this ID number stored by Excel as a number and so lost digits?

    A spreadsheet number keeps only 15 significant digits, so an 18-digit ID number
    typed into a numeric cell comes back as ``1.10105E+17`` or
    ``110105199001011000`` (the last three digits replaced by zeros). True for:

    * a ``float`` value, or text in scientific notation (``1.10105E+17``);
    * text like ``110105199001011000.0`` (16+ digits followed by a decimal point);
    * 18 digits ending in ``000`` whose check character is wrong — a genuine number
      may end in ``000``, so this is only a hint when the check fails;
    * 16 or 17 digits whose digits after the 15th are all zeros.

    The result is a hint, not proof; :func:`parse_id_number` uses it to word errors.
    """
    if isinstance(raw, float):
        return True
    text = _compact(raw)
    if _SCIENTIFIC.fullmatch(text):
        return True
    tail = _DECIMAL_TAIL.fullmatch(text)
    if tail and len(tail["digits"]) >= 16:
        return True
    if not _DIGITS.fullmatch(text):
        return False
    if len(text) == 18:
        return text.endswith("000") and compute_check_char(text[:17]) != text[17]
    if len(text) in (16, 17):
        return set(text[15:]) == {"0"}
    return False


def _excel_precision_error() -> InvalidNumber:
    return InvalidNumber(
        _("身份证号码被 Excel 当作数字保存，后几位已丢失（如 1.10105E+17），请将该列设为文本后重新录入。"),
        "excel_precision",
    )


def _excel_hint() -> str:
    return _("该号码末尾是 0，可能是 Excel 把它当作数字保存导致后几位丢失，请将该列设为文本后重新录入。")


def _birth_date(digits8: str, today: date | None) -> date:
    try:
        born = date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:8]))
    except ValueError:
        raise InvalidNumber(_("出生日期 %(date)s 不存在。") % {"date": digits8}, "birth_date") from None
    if born < EARLIEST_BIRTH_DATE:
        raise InvalidNumber(
            _("出生日期 %(date)s 早于 1890年1月1日，号码有误。") % {"date": digits8}, "birth_date"
        )
    today = today or _china_today()
    if born > today:
        raise InvalidNumber(
            _("出生日期 %(date)s 晚于今天（%(today)s），号码有误。")
            % {"date": digits8, "today": today.strftime("%Y%m%d")},
            "birth_date",
        )
    return born


def _gender(digit: str) -> str:
    return "1" if int(digit) % 2 else "2"


def _first_non_digit(text: str) -> tuple[int, str] | None:
    for position, char in enumerate(text, start=1):
        if char not in "0123456789":
            return position, char
    return None


def _non_digit_error(position: int, char: str) -> InvalidNumber:
    return InvalidNumber(
        _("公民身份号码第%(position)d位“%(char)s”不是数字。") % {"position": position, "char": char},
        "charset",
    )


def _parse_15(number: str, today: date | None) -> IdNumber:
    if _FOREIGN_2017.fullmatch(number):
        raise InvalidNumber(
            _(
                "“%(number)s”是2017版外国人永久居留身份证号码（3位字母加12位数字），"
                "本系统只接受18位号码，请录入2023版永居证上的18位号码。"
            )
            % {"number": number},
            "unsupported",
        )
    bad = _first_non_digit(number)
    if bad:
        raise _non_digit_error(*bad)
    if number[:2] not in MAINLAND_PROVINCE_CODES:
        raise InvalidNumber(
            _("15位旧身份证号码前两位“%(code)s”不是有效的省级行政区划代码。") % {"code": number[:2]},
            "region",
        )
    born = _birth_date("19" + number[6:12], today)
    first17 = number[:6] + "19" + number[6:]
    return IdNumber(
        number=first17 + compute_check_char(first17),
        kind="citizen",
        birth_date=born,
        gender=_gender(number[14]),
        region_code=number[:6],
        upgraded_from_15=True,
    )


def parse_id_number(raw: str, *, today: date | None = None) -> IdNumber:
    """Validate and normalise an identity number; raise :class:`InvalidNumber` in Chinese.

    Normalisation: spaces of every kind (incl. U+3000 and NBSP) and zero-width
    characters are removed, full-width digits/letters become ASCII, ``x`` becomes
    ``X``. An ``int`` is read as its digits; a ``float`` is accepted only when it is
    an exact 15-digit legacy number, otherwise it lost digits in Excel.

    What is checked, for 18 characters:

    * 17 digits followed by a digit or ``X``;
    * the MOD 11-2 check character (GB 11643-1999) — same for every kind;
    * ``kind``: first character ``9`` → ``foreign_permanent`` (外国人永久居留身份证, 2023
      edition: 17 digits + MOD 11-2 check, positions 7–14 the birth date; the
      acceptance-place and nationality codes in positions 2–6 are *not* checked);
      first six digits ``810000``/``820000`` → ``hk_macao_permit``, ``830000`` →
      ``taiwan_permit`` (any other 81/82/83 number is rejected); otherwise
      ``citizen``, whose first two digits must be a province-level code (11–15,
      21–23, 31–37, 41–46, 50–54, 61–65, 71). The full six-digit region code is
      deliberately *not* looked up in any division list: a number is for life and
      keeps a region code that may since have been retired;
    * positions 7–14 (YYYYMMDD) a real date, not before 1890-01-01 and not after
      ``today`` (default: today in China).

    15 digits (first-generation numbers): mainland province code, YYMMDD birth date
    in the 1900s; the result is upgraded to 18 characters (``19`` inserted after the
    region code, check character computed) with ``upgraded_from_15=True``.

    Text in scientific notation (``1.10105E+17``) or with a decimal tail
    (``110105199001011000.0``) raises ``code="excel_precision"``. Length and check
    failures that look like Excel damage (see :func:`looks_like_float_damage`) get a
    hint added to the message.
    """
    if raw is None:
        raise InvalidNumber(_("公民身份号码不能为空。"), "empty")
    if isinstance(raw, float):
        if math.isfinite(raw) and raw.is_integer() and 1e14 <= raw < 1e15:
            raw = str(int(raw))  # a 15-digit legacy number survives as a float
        else:
            raise _excel_precision_error()
    elif isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)

    number = _compact(raw)
    if not number:
        raise InvalidNumber(_("公民身份号码不能为空。"), "empty")
    if MASK_CHAR in number:
        # A number copied from an export (or another system's list) with its middle digits hidden: say so,
        # rather than "第7位“*”不是数字", which sends the clerk looking for a typo.
        raise InvalidNumber(
            _("“%(value)s”是隐去了中间几位的号码（如导出表格中的号码），无法识别：请填写完整的公民身份号码。")
            % {"value": number},
            "masked",
        )
    if _SCIENTIFIC.fullmatch(number):
        raise _excel_precision_error()
    tail = _DECIMAL_TAIL.fullmatch(number)
    if tail and set(tail["fraction"]) <= {"0"}:
        if len(tail["digits"]) >= 16:
            raise _excel_precision_error()
        if len(tail["digits"]) == 15:
            number = tail["digits"]  # "110105491231002.0": exact, just formatted as a number

    if len(number) not in (15, 18):
        message = _("公民身份号码应为18位（或15位旧号码），当前为%(length)d位。") % {"length": len(number)}
        if looks_like_float_damage(number):
            message += _excel_hint()
        raise InvalidNumber(message, "length")
    if len(number) == 15:
        return _parse_15(number, today)

    head = number[:17]
    if not (head.isascii() and head.isdigit()):  # the character-by-character scan only to word the error
        raise _non_digit_error(*_first_non_digit(head))
    if number[17] not in "0123456789X":
        raise InvalidNumber(
            _("公民身份号码第18位“%(char)s”无效，只能是数字或 X。") % {"char": number[17]}, "charset"
        )

    if number[0] == "9":
        kind = "foreign_permanent"
    else:
        province = number[:2]
        if province not in PROVINCE_CODES:
            raise InvalidNumber(
                _("公民身份号码前两位“%(code)s”不是有效的省级行政区划代码。") % {"code": province},
                "region",
            )
        kind = _PERMIT_PREFIXES.get(province, "citizen")
        if kind != "citizen" and number[:6] != province + "0000":
            raise InvalidNumber(
                _("%(label)s前6位应为 %(expected)s，实际为 %(actual)s。")
                % {"label": ID_KINDS[kind], "expected": province + "0000", "actual": number[:6]},
                "region",
            )

    born = _birth_date(number[6:14], today)

    expected = compute_check_char(number[:17])
    if number[17] != expected:
        message = _("%(label)s校验位错误：第18位应为 %(expected)s，实际为 %(actual)s。") % {
            "label": ID_KINDS[kind],
            "expected": expected,
            "actual": number[17],
        }
        if looks_like_float_damage(number):
            message += _excel_hint()
        raise InvalidNumber(message, "check_digit")

    return IdNumber(
        number=number,
        kind=kind,
        birth_date=born,
        gender=_gender(number[16]),
        region_code=number[:6],
        upgraded_from_15=False,
    )


# ====================================================== 统一社会信用代码 (GB 32100)

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, Z, S, V
USCC_FORBIDDEN = "IOZSV"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

#: 登记管理部门代码 (position 1) as listed in GB 32100-2015.
USCC_AUTHORITIES = {
    "1": "机构编制",
    "2": "外交",
    "3": "司法行政",
    "4": "文化",
    "5": "民政",
    "6": "旅游",
    "7": "宗教",
    "8": "工会",
    "9": "工商（市场监管）",
    "A": "中央军委改革和编制办公室",
    "N": "农业",
    "Y": "其他",
}


@dataclass(frozen=True)
class Uscc:
    """A validated unified social credit code.

    ``authority`` (position 1) and ``org_type`` (position 2) are the raw
    characters; ``region_code`` is positions 3–8; ``organisation_code`` the nine
    characters of positions 9–17 (GB 11714 body + its check character).
    """

    code: str
    authority: str
    org_type: str
    region_code: str
    organisation_code: str

    def __str__(self) -> str:
        return self.code

    @property
    def authority_label(self) -> str:
        return USCC_AUTHORITIES[self.authority]

    @property
    def organisation_code_display(self) -> str:
        """The organisation code as printed on old certificates: ``M000100Y-4``."""
        return f"{self.organisation_code[:8]}-{self.organisation_code[8]}"


def _org_char_value(char: str) -> int:
    return int(char) if char.isdigit() else ord(char) - ord("A") + 10


def compute_org_check_char(body8: str) -> str:
    """GB 11714 organisation-code check character for 8 characters (digits, A=10 … Z=35)."""
    if len(body8) != 8 or not re.fullmatch(r"[0-9A-Z]{8}", body8):
        raise ValueError("body8 must be 8 characters from 0-9 and A-Z")
    total = sum(_org_char_value(char) * weight for char, weight in zip(body8, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def compute_uscc_check_char(first17: str) -> str:
    """GB 32100 check character (position 18) for the first 17 characters."""
    if len(first17) != 17 or any(char not in USCC_CHARSET for char in first17):
        raise ValueError("first17 must be 17 characters from USCC_CHARSET")
    total = sum(USCC_CHARSET.index(char) * weight for char, weight in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def make_uscc(region: str, org_body8: str, authority: str = "9", org_type: str = "1") -> str:
    """Build a valid code for demo/test data; computes both check characters.

    ``org_body8`` is the 8-character organisation-code body (use digits; letters
    from :data:`USCC_CHARSET` also work).
    """
    if len(region) != 6 or not _DIGITS.fullmatch(region):
        raise ValueError("region must be 6 ASCII digits")
    if authority not in USCC_AUTHORITIES:
        raise ValueError(f"unknown registration authority {authority!r}")
    if len(org_type) != 1 or org_type not in USCC_CHARSET:
        raise ValueError("org_type must be one character from USCC_CHARSET")
    if len(org_body8) != 8 or any(char not in USCC_CHARSET for char in org_body8):
        raise ValueError("org_body8 must be 8 characters from USCC_CHARSET")
    first17 = authority + org_type + region + org_body8 + compute_org_check_char(org_body8)
    return first17 + compute_uscc_check_char(first17)


def parse_uscc(raw: str) -> Uscc:
    """Validate a unified social credit code; raise :class:`InvalidNumber` in Chinese.

    Normalisation: spaces removed, full-width → ASCII, upper-cased. Checked: 18
    characters; every character from the 31-character set (the letters I, O, Z, S,
    V are named when present); position 1 a registration-authority code of GB
    32100-2015; positions 3–8 six digits (not looked up in a division list);
    the GB 11714 check character of the embedded organisation code (position 17);
    the final check character (position 18). Position 2 (organisation type) is only
    checked against the character set: its allowed values depend on the authority
    and have been extended over time.
    """
    code = _compact("" if raw is None else raw)
    if not code:
        raise InvalidNumber(_("统一社会信用代码不能为空。"), "empty")
    if len(code) != 18:
        raise InvalidNumber(
            _("统一社会信用代码应为18位，当前为%(length)d位。") % {"length": len(code)}, "length"
        )
    for position, char in enumerate(code, start=1):
        if char in USCC_FORBIDDEN:
            raise InvalidNumber(
                _("统一社会信用代码不能包含字母 I、O、Z、S、V，第%(position)d位为 %(char)s。")
                % {"position": position, "char": char},
                "charset",
            )
        if char not in USCC_CHARSET:
            raise InvalidNumber(
                _("统一社会信用代码第%(position)d位“%(char)s”不是有效字符，只能是数字和大写字母。")
                % {"position": position, "char": char},
                "charset",
            )
    if code[0] not in USCC_AUTHORITIES:
        raise InvalidNumber(
            _("统一社会信用代码第1位（登记管理部门代码）“%(char)s”无效。") % {"char": code[0]}, "authority"
        )
    if not _DIGITS.fullmatch(code[2:8]):
        raise InvalidNumber(
            _("统一社会信用代码第3–8位应为6位数字的行政区划代码，实际为 %(code)s。") % {"code": code[2:8]},
            "region",
        )
    org_expected = compute_org_check_char(code[8:16])
    if code[16] != org_expected:
        raise InvalidNumber(
            _(
                "统一社会信用代码中的组织机构代码（第9–17位）校验位错误：第17位应为 %(expected)s，实际为 %(actual)s。"
            )
            % {"expected": org_expected, "actual": code[16]},
            "org_check_digit",
        )
    expected = compute_uscc_check_char(code[:17])
    if code[17] != expected:
        raise InvalidNumber(
            _("统一社会信用代码校验位错误：第18位应为 %(expected)s，实际为 %(actual)s。")
            % {"expected": expected, "actual": code[17]},
            "check_digit",
        )
    return Uscc(
        code=code,
        authority=code[0],
        org_type=code[1],
        region_code=code[2:8],
        organisation_code=code[8:17],
    )


# ================================================================== phone numbers

_PHONE_ALLOWED = re.compile(r"\+?[0-9()\-. ]+")
_PHONE_DASHES = dict.fromkeys((0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212), "-")
_MOBILE_NSN = re.compile(r"1[3-9][0-9]{9}")


@dataclass(frozen=True)
class Phone:
    """A validated Chinese mainland phone number.

    ``e164``: ``+8613800138000``; ``national``: digits as dialled inside China
    (``13800138000``, ``01012345678``); ``kind``: ``"mobile"`` or ``"fixed"``;
    ``display``: ``138 0013 8000`` or ``010-12345678``.
    """

    e164: str
    national: str
    kind: str
    display: str

    def __str__(self) -> str:
        return self.display


def _phone_error(text: str) -> InvalidNumber:
    return InvalidNumber(
        _("电话号码格式不正确：“%(value)s”不是有效的中国大陆手机号码或带区号的固定电话号码。")
        % {"value": text},
        "format",
    )


_LOCAL_NUMBER = re.compile(r"[1-9]\d{6,7}")  # a fixed line's number after its area code
MOBILE_PREFIX = 5  # leading digits that decide whether 11 digits are a valid mobile number
# First digits of plain 11-digit numbers phonenumbers accepted as mobiles (at most 7,000: 13000–19999).
_ACCEPTED_MOBILE_PREFIXES: set[str] = set()


def parse_phone(raw: str) -> Phone:
    """Validate a Chinese mobile or fixed-line number with ``phonenumbers``.

    Accepts ``13800138000``, ``138 0013 8000``, ``010-12345678``, ``0571 8765 4321``,
    ``(0571)87654321``, an optional ``+86``/``0086`` prefix, full-width digits,
    spaces and dashes. A fixed line needs its area code. Service numbers
    (400/800, 95xxx), numbers of other countries and extensions are rejected.
    Raises :class:`InvalidNumber` whose message starts with “电话号码格式不正确：”.

    A plain 11-digit mobile number whose first MOBILE_PREFIX digits phonenumbers already accepted skips
    phonenumbers (a fifth of a tracking look-up, half of an imported row's phone): for 11 digits starting
    13–19 only China's mobile pattern can match, and it looks at the first 5 digits at most
    (test_mobile_validity_depends_on_five_digits checks this against the installed metadata).
    """
    text = clean_text(raw).translate(_PHONE_DASHES)
    if _MOBILE_NSN.fullmatch(text) and text[:MOBILE_PREFIX] in _ACCEPTED_MOBILE_PREFIXES:
        return Phone(e164="+86" + text, national=text, kind="mobile", display=_mobile_display(text))
    phone = parse_phone_with_metadata(text)
    if phone.kind == "mobile" and phone.national == text:
        _ACCEPTED_MOBILE_PREFIXES.add(text[:MOBILE_PREFIX])
    return phone


def mobile_number(raw: str | None) -> str | None:
    """The national mobile number `raw` is (what an SMS goes to), or None for a landline or no valid number."""
    try:
        parsed = parse_phone(raw or "")
    except InvalidNumber:
        return None
    return parsed.national if parsed.kind == "mobile" else None


def _mobile_display(nsn: str) -> str:
    return f"{nsn[:3]} {nsn[3:7]} {nsn[7:]}"


def parse_phone_with_metadata(text: str) -> Phone:
    """`parse_phone` of cleaned text, always through phonenumbers."""
    if not text:
        raise InvalidNumber(_("电话号码不能为空。"), "empty")
    if MASK_CHAR in to_halfwidth(text):  # copied from an export: 138****8000
        raise InvalidNumber(
            _("电话号码格式不正确：“%(value)s”隐去了中间几位（如导出表格中的号码），请填写完整号码。")
            % {"value": text},
            "masked",
        )
    if not _PHONE_ALLOWED.fullmatch(text):
        raise InvalidNumber(
            _("电话号码格式不正确：“%(value)s”含有数字、空格、横线、括号和开头的 + 以外的字符。")
            % {"value": text},
            "format",
        )
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise _phone_error(text) from None

    if parsed.country_code != 86 or not phonenumbers.is_valid_number_for_region(parsed, "CN"):
        digits = re.sub(r"\D", "", text)
        if parsed.country_code == 86 and 7 <= len(digits) <= 8 and digits[0] not in "01":
            raise InvalidNumber(
                _("电话号码格式不正确：固定电话“%(value)s”缺少区号，请写成“区号-号码”，如 010-12345678。")
                % {"value": text},
                "format",
            )
        raise _phone_error(text)

    nsn = phonenumbers.national_significant_number(parsed)
    number_type = phonenumbers.number_type(parsed)
    if number_type == phonenumbers.PhoneNumberType.MOBILE:
        kind = "mobile"
    elif number_type == phonenumbers.PhoneNumberType.FIXED_LINE:
        kind = "fixed"
    elif number_type == phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE:
        kind = "mobile" if _MOBILE_NSN.fullmatch(nsn) else "fixed"
    else:
        raise InvalidNumber(
            _(
                "电话号码格式不正确：“%(value)s”不是手机号码或固定电话（400、800 等服务号码不能用作联系电话）。"
            )
            % {"value": text},
            "type",
        )

    if kind == "mobile":
        national = nsn
        display = _mobile_display(nsn)
    else:
        national = "0" + nsn
        area_length = phonenumbers.length_of_geographical_area_code(parsed)
        local = nsn[area_length:]
        # phonenumbers also takes an area code with a short service code (0571-12345, 0571-1234, 95xxx):
        # no resident's phone; a subscriber's number after the area code has 7 or 8 digits
        if not area_length or not _LOCAL_NUMBER.fullmatch(local):
            raise InvalidNumber(
                _("电话号码格式不正确：固定电话“%(value)s”区号后应为 7 位或 8 位号码，如 0571-87654321。")
                % {"value": text},
                "format",
            )
        display = f"0{nsn[:area_length]}-{local}"
    return Phone(
        e164=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
        national=national,
        kind=kind,
        display=display,
    )


# ================================================================== 户号

HOUSEHOLD_NUMBER_MAX = 30  # the column's length
_HOUSEHOLD_NUMBER = re.compile(r"[0-9A-Za-z]+(?:-[0-9A-Za-z]+)*")


def parse_household_number(raw: object) -> str:
    """A household number (户号) as stored: blanks dropped, full-width letters and digits made ASCII.

    At most 30 characters: digits, with letters and inner hyphens allowed (``3301100010010010007``,
    ``330110001001-0001``, ``H-7``), and at least one digit, so that a word (``abc``) is refused. Raises
    :class:`InvalidNumber` with ``code`` ``empty``, ``length`` or ``charset``.
    """
    number = _WHITESPACE.sub("", clean_text(raw))
    if not number:
        raise InvalidNumber(_("请填写户号。"), "empty")
    if len(number) > HOUSEHOLD_NUMBER_MAX:
        raise InvalidNumber(_("户号不能超过 30 位。"), "length")
    if not _HOUSEHOLD_NUMBER.fullmatch(number) or not any(char.isdigit() for char in number):
        raise InvalidNumber(
            _("户号“%(n)s”不正确：应由数字组成，可含字母和连字符（-）。") % {"n": number}, "charset"
        )
    return number


# ================================================================== names

PERSON_NAME_MAX = 50  # the column's length
# Chinese characters: 〇, CJK Unified Ideographs with extensions A–I, the compatibility ideographs.
_HAN = (
    "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002a6df\U0002a700-\U0002ee5f\U0002f800-\U0002fa1f\U00030000-\U000323af"
)
# Latin letters, with the accented ones of foreign names (Latin-1, Extended-A/B, Extended Additional).
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
# The middle dot of minority and foreign names (· U+00B7) and the look-alikes typed for it.
NAME_DOTS = "\u00b7\u2022\u2027\u30fb\uff65"
_PERSON_NAME = re.compile(rf"(?:[{_HAN}{_LATIN}{NAME_DOTS} ]|(?<=[{_LATIN}])['\u2019-](?=[{_LATIN}]))+")
_NAME_LETTER = re.compile(rf"[{_HAN}{_LATIN}]")
_LATIN_LETTER = re.compile(rf"[{_LATIN}]")
_SPACED_DOT = re.compile(rf" ?([{NAME_DOTS}]) ?")


def clean_person_name(raw: object) -> str:
    """A person's name as stored, or :class:`InvalidNumber` (``code`` ``empty``, ``length``, ``charset``).

    Normalised as :func:`clean_text` does (invisible characters dropped, full-width letters made ASCII,
    blanks collapsed and trimmed), then blanks around a middle dot dropped, and every blank dropped from a
    name without Latin letters (a Chinese name typed with spaces for alignment, “张  三”). What remains is
    1–50 characters of Chinese characters (extension blocks and 〇 included), Latin letters, middle dots
    (· • ‧ ・ ･), spaces, and a hyphen or apostrophe between two Latin letters (Jean-Pierre, O'Neil).
    A formula (``=1+2``, ``@SUM(1+1)``), digits and other punctuation are refused.
    """
    name = clean_text(raw)
    if " " in name:  # only then: the substitution costs more than the rest of the rule (import speed)
        name = _SPACED_DOT.sub(r"\1", name)
        if not _LATIN_LETTER.search(name):
            name = name.replace(" ", "")
    if not name:
        raise InvalidNumber(_("请填写姓名。"), "empty")
    if len(name) > PERSON_NAME_MAX:
        raise InvalidNumber(_("姓名不能超过 50 个字。"), "length")
    if not _PERSON_NAME.fullmatch(name) or not _NAME_LETTER.search(name):
        raise InvalidNumber(_("姓名只能包含汉字、字母和间隔号（·）。"), "charset")
    return name
