"""Turning raw identity input into what is stored: encrypted value, blind index, masked copy."""

from __future__ import annotations

import re
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
    return stored_national_phone(parse_phone(raw).national)


def stored_national_phone(national: str) -> tuple[str, str, str]:
    """The same for a number already parsed (an import checks its cell's numbers once)."""
    if not national:
        return "", "", ""
    return national, phone_hash(national), crypto.mask_phone(national)


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


# --- pinyin of names ------------------------------------------------------------------------------------
#
# pypinyin reads a character the way it is most often read in text, which for a surname is often wrong: 曾 is
# “ceng” (曾经) but the surname is Zēng, 单 is “dan” but the surname is Shàn… pypinyin has no surname mode, so
# the surname is taken off the front of the name here and read from these tables; the given name is read by
# pypinyin as before. Only surnames whose reading differs from pypinyin's default need a single-character
# entry; compound surnames are all listed, so that the given name is read on its own (a phrase never spans
# the surname and the given name). 单于 is left out on purpose: 单 (Shàn) followed by a given name beginning
# with 于 is far more common today than the compound surname Chányú.

SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "仇": "qiu", "解": "xie", "查": "zha", "乐": "yue", "朴": "piao",
    "区": "ou", "覃": "qin", "缪": "miao", "盖": "ge", "种": "chong", "繁": "po", "员": "yun",
    "召": "shao", "折": "she", "翟": "zhai", "祭": "zhai", "能": "nai", "藏": "zang", "阚": "kan",
    "隗": "wei", "蕃": "pi", "句": "gou", "粘": "nian", "薄": "bo", "卜": "bu", "秘": "bi", "都": "du",
    "佴": "nai", "黑": "he", "乜": "nie", "么": "yao", "蔚": "yu", "洗": "xian", "重": "chong",
}  # fmt: skip
COMPOUND_SURNAMES = {
    "欧阳": ("ou", "yang"), "司马": ("si", "ma"), "诸葛": ("zhu", "ge"), "上官": ("shang", "guan"),
    "尉迟": ("yu", "chi"), "万俟": ("mo", "qi"), "长孙": ("zhang", "sun"), "澹台": ("tan", "tai"),
    "乐正": ("yue", "zheng"), "子车": ("zi", "ju"), "令狐": ("ling", "hu"), "皇甫": ("huang", "fu"),
    "夏侯": ("xia", "hou"), "东方": ("dong", "fang"), "公孙": ("gong", "sun"), "慕容": ("mu", "rong"),
    "宇文": ("yu", "wen"), "司徒": ("si", "tu"), "司空": ("si", "kong"), "端木": ("duan", "mu"),
    "呼延": ("hu", "yan"), "轩辕": ("xuan", "yuan"), "西门": ("xi", "men"), "南宫": ("nan", "gong"),
    "闻人": ("wen", "ren"), "赫连": ("he", "lian"), "申屠": ("shen", "tu"), "淳于": ("chun", "yu"),
    "公冶": ("gong", "ye"), "濮阳": ("pu", "yang"), "钟离": ("zhong", "li"), "宗政": ("zong", "zheng"),
    "拓跋": ("tuo", "ba"), "百里": ("bai", "li"), "东郭": ("dong", "guo"), "左丘": ("zuo", "qiu"),
    "第五": ("di", "wu"), "太叔": ("tai", "shu"), "公羊": ("gong", "yang"), "谷梁": ("gu", "liang"),
    "梁丘": ("liang", "qiu"), "漆雕": ("qi", "diao"), "颛孙": ("zhuan", "sun"), "壤驷": ("rang", "si"),
    "巫马": ("wu", "ma"), "公西": ("gong", "xi"), "司寇": ("si", "kou"), "段干": ("duan", "gan"),
    "宰父": ("zai", "fu"), "羊舌": ("yang", "she"), "微生": ("wei", "sheng"), "公良": ("gong", "liang"),
    "东门": ("dong", "men"), "夹谷": ("jia", "gu"), "仉督": ("zhang", "du"), "闾丘": ("lv", "qiu"),
    "亓官": ("qi", "guan"),
}  # fmt: skip


def split_surname(name: str) -> tuple[list[str], str]:
    """(syllables of the surname, the rest of the name) when `name` begins with a surname of the tables above,
    else ([], name)."""
    compound = COMPOUND_SURNAMES.get(name[:2])
    if compound is not None:
        return list(compound), name[2:]
    single = SURNAME_READINGS.get(name[:1])
    if single is not None:
        return [single], name[1:]
    return [], name


LATIN_WORD = re.compile(r"[a-z]+")
LATIN_LETTER_IN_NAME = r"[A-Za-z]"  # names whose keys `latin_words` gives (rebuild_pinyin_keys)


def latin_words(text: str) -> list[str]:
    """The Latin words of a name's part without Chinese characters (`Li Na` → ["li", "na"]), read as its
    syllables: a foreign resident's name is then found by "lina" / "ln" and listed under L, not before A."""
    return LATIN_WORD.findall(text.lower())


def pinyin_keys(name: str) -> tuple[str, str]:
    """`张三` → ("zhangsan", "zs"), `曾丽` → ("zengli", "zl"), `Li Na` → ("lina", "ln"): full pinyin and
    initials, lower-case ASCII, for prefix search and the list order. The surname is read as a surname (see
    `split_surname`)."""
    surname, rest = split_surname(name)
    full = "".join(surname) + "".join(lazy_pinyin(rest, errors=latin_words))
    initials = "".join(s[:1] for s in surname) + "".join(
        lazy_pinyin(rest, style=Style.FIRST_LETTER, errors=lambda text: [w[0] for w in latin_words(text)])
    )
    return full.lower()[:200], initials.lower()[:50]


def surname_prefixes() -> list[str]:
    """Every name beginning that `split_surname` reads differently from plain pypinyin (to find the names
    whose stored keys predate the tables)."""
    return [*SURNAME_READINGS, *COMPOUND_SURNAMES]
