"""The built-in dictionaries: national standard code tables and the platform's own lists.

Loaded by the data migration `0002_standard_data` (so a fresh database and the demo both have them) through
`load_into()`, which only adds what is missing: running it again from a later migration adds new types or
items without touching what an administrator changed.

Other apps refer to a dictionary by the constants below, e.g. `selectors.choices(ETHNICITY)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_noop

GENDER = "gender"
ETHNICITY = "ethnicity"
RELATION = "relation"
EDUCATION = "education"
POLITICAL_STATUS = "political_status"
MARITAL_STATUS = "marital_status"
HOUSEHOLD_TYPE = "household_type"
RESIDENCE_STATUS = "residence_status"
HOUSE_USE = "house_use"
SPECIAL_GROUP = "special_group"
DISABILITY_TYPE = "disability_type"
DISABILITY_GRADE = "disability_grade"
MIGRANT_REASON = "migrant_reason"


def pgettext_noop(context: str, message: str) -> str:
    """Marks a name for the catalogue with a context (extracted by our `makemessages`); the name is stored
    as it is and `selectors.display_name` translates it with the dictionary's code as the context."""
    return message


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    abbreviation: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Dictionary:
    code: str
    name: str
    standard: str
    description: str
    items: tuple[Item, ...]


def _items(rows) -> tuple[Item, ...]:
    return tuple(Item(*row) for row in rows)


# GB/T 2261.1-2003 人的性别代码
_GENDER = _items(
    [
        ("0", gettext_noop("未知的性别")),
        ("1", gettext_noop("男"), "男性"),
        ("2", gettext_noop("女"), "女性"),
        ("9", gettext_noop("未说明的性别")),
    ]
)

# GB/T 3304-1991 中国各民族名称的罗马字母拼写法和代码: (数字代码, 名称, 罗马字母拼写, 字母代码)
_ETHNICITY_ROWS = [
    ("01", gettext_noop("汉族"), "Han", "HA"),
    ("02", gettext_noop("蒙古族"), "Mongol", "MG"),
    ("03", gettext_noop("回族"), "Hui", "HU"),
    ("04", gettext_noop("藏族"), "Zang", "ZA"),
    ("05", gettext_noop("维吾尔族"), "Uygur", "UG"),
    ("06", gettext_noop("苗族"), "Miao", "MH"),
    ("07", gettext_noop("彝族"), "Yi", "YI"),
    ("08", gettext_noop("壮族"), "Zhuang", "ZH"),
    ("09", gettext_noop("布依族"), "Buyei", "BY"),
    ("10", gettext_noop("朝鲜族"), "Chosen", "CS"),
    ("11", gettext_noop("满族"), "Man", "MA"),
    ("12", gettext_noop("侗族"), "Dong", "DO"),
    ("13", gettext_noop("瑶族"), "Yao", "YA"),
    ("14", gettext_noop("白族"), "Bai", "BA"),
    ("15", gettext_noop("土家族"), "Tujia", "TJ"),
    ("16", gettext_noop("哈尼族"), "Hani", "HN"),
    ("17", gettext_noop("哈萨克族"), "Kazak", "KZ"),
    ("18", gettext_noop("傣族"), "Dai", "DA"),
    ("19", gettext_noop("黎族"), "Li", "LI"),
    ("20", gettext_noop("傈僳族"), "Lisu", "LS"),
    ("21", gettext_noop("佤族"), "Va", "VA"),
    ("22", gettext_noop("畲族"), "She", "SH"),
    ("23", gettext_noop("高山族"), "Gaoshan", "GS"),
    ("24", gettext_noop("拉祜族"), "Lahu", "LH"),
    ("25", gettext_noop("水族"), "Sui", "SU"),
    ("26", gettext_noop("东乡族"), "Dongxiang", "DX"),
    ("27", gettext_noop("纳西族"), "Naxi", "NX"),
    ("28", gettext_noop("景颇族"), "Jingpo", "JP"),
    ("29", gettext_noop("柯尔克孜族"), "Kirgiz", "KG"),
    ("30", gettext_noop("土族"), "Tu", "TU"),
    ("31", gettext_noop("达斡尔族"), "Daur", "DU"),
    ("32", gettext_noop("仫佬族"), "Mulao", "ML"),
    ("33", gettext_noop("羌族"), "Qiang", "QI"),
    ("34", gettext_noop("布朗族"), "Blang", "BL"),
    ("35", gettext_noop("撒拉族"), "Salar", "SL"),
    ("36", gettext_noop("毛南族"), "Maonan", "MN"),
    ("37", gettext_noop("仡佬族"), "Gelao", "GL"),
    ("38", gettext_noop("锡伯族"), "Xibe", "XB"),
    ("39", gettext_noop("阿昌族"), "Achang", "AC"),
    ("40", gettext_noop("普米族"), "Pumi", "PM"),
    ("41", gettext_noop("塔吉克族"), "Tajik", "TA"),
    ("42", gettext_noop("怒族"), "Nu", "NU"),
    ("43", gettext_noop("乌孜别克族"), "Uzbek", "UZ"),
    ("44", gettext_noop("俄罗斯族"), "Russ", "RS"),
    ("45", gettext_noop("鄂温克族"), "Ewenki", "EW"),
    ("46", gettext_noop("德昂族"), "Deang", "DE"),
    ("47", gettext_noop("保安族"), "Bonan", "BN"),
    ("48", gettext_noop("裕固族"), "Yugur", "YG"),
    ("49", gettext_noop("京族"), "Gin", "GI"),
    ("50", gettext_noop("塔塔尔族"), "Tatar", "TT"),
    ("51", gettext_noop("独龙族"), "Derung", "DR"),
    ("52", gettext_noop("鄂伦春族"), "Oroqen", "OR"),
    ("53", gettext_noop("赫哲族"), "Hezhen", "HZ"),
    ("54", gettext_noop("门巴族"), "Monba", "MB"),
    ("55", gettext_noop("珞巴族"), "Lhoba", "LB"),
    ("56", gettext_noop("基诺族"), "Jino", "JN"),
]
_ETHNICITY = (
    *(Item(code, name, letters, {"roman": roman}) for code, name, roman, letters in _ETHNICITY_ROWS),
    Item("97", gettext_noop("其他")),
    Item("98", gettext_noop("外国血统中国籍人士")),
)

# GB/T 4761-2008 家庭关系代码
_RELATION = _items(
    [
        ("01", gettext_noop("本人")),
        ("02", gettext_noop("户主")),
        ("10", gettext_noop("配偶")),
        ("11", gettext_noop("夫")),
        ("12", gettext_noop("妻")),
        ("20", gettext_noop("子")),
        ("21", gettext_noop("独生子")),
        ("22", gettext_noop("长子")),
        ("23", gettext_noop("次子")),
        ("24", gettext_noop("三子")),
        ("25", gettext_noop("四子")),
        ("26", gettext_noop("五子")),
        ("27", gettext_noop("养子或继子")),
        ("28", gettext_noop("女婿")),
        ("29", gettext_noop("其他儿子")),
        ("30", pgettext_noop("relation", "女")),
        ("31", gettext_noop("独生女")),
        ("32", gettext_noop("长女")),
        ("33", gettext_noop("次女")),
        ("34", gettext_noop("三女")),
        ("35", gettext_noop("四女")),
        ("36", gettext_noop("五女")),
        ("37", gettext_noop("养女或继女")),
        ("38", gettext_noop("儿媳")),
        ("39", gettext_noop("其他女儿")),
        ("40", gettext_noop("孙子、孙女或外孙子、外孙女")),
        ("41", gettext_noop("孙子")),
        ("42", gettext_noop("孙女")),
        ("43", gettext_noop("外孙子")),
        ("44", gettext_noop("外孙女")),
        ("45", gettext_noop("孙媳妇或外孙媳妇")),
        ("46", gettext_noop("孙女婿或外孙女婿")),
        ("47", gettext_noop("曾孙子或外曾孙子")),
        ("48", gettext_noop("曾孙女或外曾孙女")),
        ("49", gettext_noop("其他孙子、孙女或外孙子、外孙女")),
        ("50", gettext_noop("父母")),
        ("51", gettext_noop("父亲")),
        ("52", gettext_noop("母亲")),
        ("53", gettext_noop("公公")),
        ("54", gettext_noop("婆婆")),
        ("55", gettext_noop("岳父")),
        ("56", gettext_noop("岳母")),
        ("57", gettext_noop("继父或养父")),
        ("58", gettext_noop("继母或养母")),
        ("59", gettext_noop("其他父母关系")),
        ("60", gettext_noop("祖父母或外祖父母")),
        ("61", gettext_noop("祖父")),
        ("62", gettext_noop("祖母")),
        ("63", gettext_noop("外祖父")),
        ("64", gettext_noop("外祖母")),
        ("65", gettext_noop("配偶的祖父母或外祖父母")),
        ("66", gettext_noop("曾祖父")),
        ("67", gettext_noop("曾祖母")),
        ("68", gettext_noop("配偶的曾祖父母或外曾祖父母")),
        ("69", gettext_noop("其他祖父母或外祖父母关系")),
        ("70", gettext_noop("兄弟姐妹")),
        ("71", gettext_noop("兄")),
        ("72", gettext_noop("嫂")),
        ("73", gettext_noop("弟")),
        ("74", gettext_noop("弟媳")),
        ("75", gettext_noop("姐姐")),
        ("76", gettext_noop("姐夫")),
        ("77", gettext_noop("妹妹")),
        ("78", gettext_noop("妹夫")),
        ("79", gettext_noop("其他兄弟姐妹")),
        ("80", gettext_noop("其他")),
        ("81", gettext_noop("伯父")),
        ("82", gettext_noop("伯母")),
        ("83", gettext_noop("叔父")),
        ("84", gettext_noop("婶母")),
        ("85", gettext_noop("舅父")),
        ("86", gettext_noop("舅母")),
        ("87", gettext_noop("姨父")),
        ("88", gettext_noop("姨母")),
        ("89", gettext_noop("姑父")),
        ("90", gettext_noop("姑母")),
        ("91", gettext_noop("堂兄弟、堂姐妹")),
        ("92", gettext_noop("表兄弟、表姐妹")),
        ("93", gettext_noop("侄子")),
        ("94", gettext_noop("侄女")),
        ("95", gettext_noop("外甥")),
        ("96", gettext_noop("外甥女")),
        ("97", gettext_noop("其他亲属")),
        ("99", gettext_noop("非亲属")),
    ]
)

# GB/T 4658-2006 学历代码
_EDUCATION = _items(
    [
        ("10", gettext_noop("研究生教育")),
        ("11", gettext_noop("博士研究生毕业")),
        ("12", gettext_noop("博士研究生结业")),
        ("13", gettext_noop("博士研究生肄业")),
        ("14", gettext_noop("硕士研究生毕业")),
        ("15", gettext_noop("硕士研究生结业")),
        ("16", gettext_noop("硕士研究生肄业")),
        ("17", gettext_noop("研究生班毕业")),
        ("18", gettext_noop("研究生班结业")),
        ("19", gettext_noop("研究生班肄业")),
        ("20", gettext_noop("大学本科教育")),
        ("21", gettext_noop("大学本科毕业")),
        ("22", gettext_noop("大学本科结业")),
        ("23", gettext_noop("大学本科肄业")),
        ("28", gettext_noop("大学普通班毕业")),
        ("30", gettext_noop("大学专科教育")),
        ("31", gettext_noop("大学专科毕业")),
        ("32", gettext_noop("大学专科结业")),
        ("33", gettext_noop("大学专科肄业")),
        ("40", gettext_noop("中等职业教育")),
        ("41", gettext_noop("中等专科毕业")),
        ("42", gettext_noop("中等专科结业")),
        ("43", gettext_noop("中等专科肄业")),
        ("44", gettext_noop("职业高中毕业")),
        ("45", gettext_noop("职业高中结业")),
        ("46", gettext_noop("职业高中肄业")),
        ("47", gettext_noop("技工学校毕业")),
        ("48", gettext_noop("技工学校结业")),
        ("49", gettext_noop("技工学校肄业")),
        ("60", gettext_noop("普通高级中学教育")),
        ("61", gettext_noop("普通高中毕业")),
        ("62", gettext_noop("普通高中结业")),
        ("63", gettext_noop("普通高中肄业")),
        ("70", gettext_noop("初级中学教育")),
        ("71", gettext_noop("初中毕业")),
        ("73", gettext_noop("初中肄业")),
        ("80", gettext_noop("小学教育")),
        ("81", gettext_noop("小学毕业")),
        ("83", gettext_noop("小学肄业")),
        ("90", gettext_noop("其他")),
    ]
)

# GB/T 4762-1984 政治面貌代码: (代码, 名称, 简称)
_POLITICAL_STATUS = _items(
    [
        ("01", gettext_noop("中国共产党党员"), "中共党员"),
        ("02", gettext_noop("中国共产党预备党员"), "中共预备党员"),
        ("03", gettext_noop("中国共产主义青年团团员"), "共青团员"),
        ("04", gettext_noop("中国国民党革命委员会会员"), "民革会员"),
        ("05", gettext_noop("中国民主同盟盟员"), "民盟盟员"),
        ("06", gettext_noop("中国民主建国会会员"), "民建会员"),
        ("07", gettext_noop("中国民主促进会会员"), "民进会员"),
        ("08", gettext_noop("中国农工民主党党员"), "农工党党员"),
        ("09", gettext_noop("中国致公党党员"), "致公党党员"),
        ("10", gettext_noop("九三学社社员"), "九三学社社员"),
        ("11", gettext_noop("台湾民主自治同盟盟员"), "台盟盟员"),
        ("12", gettext_noop("无党派民主人士"), "无党派民主人士"),
        ("13", gettext_noop("群众"), "群众"),
    ]
)

# GB/T 4766-1984 婚姻状况代码
_MARITAL_STATUS = _items(
    [
        ("10", gettext_noop("未婚")),
        ("20", gettext_noop("已婚")),
        ("21", gettext_noop("初婚")),
        ("22", gettext_noop("再婚")),
        ("23", gettext_noop("复婚")),
        ("30", gettext_noop("丧偶")),
        ("40", gettext_noop("离婚")),
        ("90", gettext_noop("未说明的婚姻状况")),
    ]
)

_HOUSEHOLD_TYPE = _items([("1", gettext_noop("家庭户")), ("2", gettext_noop("集体户"))])
_RESIDENCE_STATUS = _items(
    [("1", gettext_noop("现居住")), ("2", gettext_noop("已迁出")), ("3", gettext_noop("已死亡"))]
)
_HOUSE_USE = _items(
    [
        ("residential", gettext_noop("住宅")),
        ("commercial", gettext_noop("商业")),
        ("mixed", gettext_noop("商住混合")),
        ("rental", gettext_noop("出租")),
    ]
)
_SPECIAL_GROUP = _items(
    [
        ("dibao", gettext_noop("低保对象"), "低保"),
        ("tekun", gettext_noop("特困人员"), "特困"),
        ("disabled", gettext_noop("残疾人")),
        ("elderly_alone", gettext_noop("独居老人")),
        ("veteran", gettext_noop("退役军人")),
        ("party_member", gettext_noop("党员")),
        ("key_youth", gettext_noop("重点青少年")),
    ]
)
# GB/T 26341-2010 残疾人残疾分类和分级; codes as on the 中华人民共和国残疾人证.
_DISABILITY_TYPE = _items(
    [
        ("1", gettext_noop("视力残疾")),
        ("2", gettext_noop("听力残疾")),
        ("3", gettext_noop("言语残疾")),
        ("4", gettext_noop("肢体残疾")),
        ("5", gettext_noop("智力残疾")),
        ("6", gettext_noop("精神残疾")),
        ("7", gettext_noop("多重残疾")),
    ]
)
_DISABILITY_GRADE = _items(
    [
        ("1", gettext_noop("一级")),
        ("2", gettext_noop("二级")),
        ("3", gettext_noop("三级")),
        ("4", gettext_noop("四级")),
    ]
)
_MIGRANT_REASON = _items(
    [
        ("work", gettext_noop("务工")),
        ("business", gettext_noop("经商")),
        ("study", gettext_noop("学习")),
        ("family", gettext_noop("投亲靠友")),
        ("other", gettext_noop("其他")),
    ]
)

DICTIONARIES: tuple[Dictionary, ...] = (
    Dictionary(GENDER, gettext_noop("性别"), "GB/T 2261.1-2003", "人的性别代码。", _GENDER),
    Dictionary(
        ETHNICITY,
        gettext_noop("民族"),
        "GB/T 3304-1991",
        "中国各民族名称及其数字代码、字母代码、罗马字母拼写。",
        _ETHNICITY,
    ),
    Dictionary(
        RELATION,
        gettext_noop("与户主关系"),
        "GB/T 4761-2008",
        "家庭关系代码，用于人口与户籍登记。",
        _RELATION,
    ),
    Dictionary(EDUCATION, gettext_noop("学历"), "GB/T 4658-2006", "学历代码。", _EDUCATION),
    Dictionary(
        POLITICAL_STATUS,
        gettext_noop("政治面貌"),
        "GB/T 4762-1984",
        "政治面貌代码，简称列为标准中的简称。",
        _POLITICAL_STATUS,
    ),
    Dictionary(MARITAL_STATUS, gettext_noop("婚姻状况"), "GB/T 4766-1984", "婚姻状况代码。", _MARITAL_STATUS),
    Dictionary(HOUSEHOLD_TYPE, gettext_noop("户别"), "", "户籍登记的户别。", _HOUSEHOLD_TYPE),
    Dictionary(RESIDENCE_STATUS, gettext_noop("居住状态"), "", "实有人口的当前居住状态。", _RESIDENCE_STATUS),
    Dictionary(HOUSE_USE, gettext_noop("房屋用途"), "", "实有房屋的用途。", _HOUSE_USE),
    Dictionary(
        SPECIAL_GROUP, gettext_noop("特殊人群类别"), "", "需要重点关注、服务或管理的人群。", _SPECIAL_GROUP
    ),
    Dictionary(
        DISABILITY_TYPE,
        gettext_noop("残疾类别"),
        "GB/T 26341-2010",
        "残疾类别，代码同残疾人证。",
        _DISABILITY_TYPE,
    ),
    Dictionary(
        DISABILITY_GRADE,
        gettext_noop("残疾等级"),
        "GB/T 26341-2010",
        "残疾等级，一级最重。",
        _DISABILITY_GRADE,
    ),
    Dictionary(MIGRANT_REASON, gettext_noop("流入原因"), "", "流动人口来本地居住的原因。", _MIGRANT_REASON),
)


def load_into(type_model, item_model) -> tuple[int, int]:
    """Create the missing built-in types and items; return how many types and items were added.

    Takes the model classes as arguments so a migration can pass its historical models.
    """
    types_added = items_added = 0
    for type_order, dictionary in enumerate(DICTIONARIES, start=1):
        dict_type, created = type_model.objects.get_or_create(
            code=dictionary.code,
            defaults={
                "name": dictionary.name,
                "standard": dictionary.standard,
                "description": dictionary.description,
                "is_builtin": True,
                "sort_order": type_order * 10,
            },
        )
        types_added += created
        existing = set(item_model.objects.filter(type=dict_type).values_list("code", flat=True))
        new_items = [
            item_model(
                type=dict_type,
                code=item.code,
                name=item.name,
                abbreviation=item.abbreviation,
                extra=dict(item.extra),
                sort_order=order * 10,
            )
            for order, item in enumerate(dictionary.items, start=1)
            if item.code not in existing
        ]
        item_model.objects.bulk_create(new_items)
        items_added += len(new_items)
    return types_added, items_added


def ensure_loaded() -> tuple[int, int]:
    """`load_into` with the current models: for the demo command and for tests run with
    `transaction=True`, whose database flush also empties the tables the migration filled."""
    from jiedao.dictionaries.models import DictionaryItem, DictionaryType

    return load_into(DictionaryType, DictionaryItem)
