"""The built-in dictionaries: national standard code tables and the platform's own lists.

Loaded by the data migration `0002_standard_data` (so a fresh database and the demo both have them) through
`load_into()`, which only adds what is missing: running it again from a later migration adds new types or
items without touching what an administrator changed.

Other apps refer to a dictionary by the constants below, e.g. `selectors.choices(ETHNICITY)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
_GENDER = _items([("0", "未知的性别"), ("1", "男", "男性"), ("2", "女", "女性"), ("9", "未说明的性别")])

# GB/T 3304-1991 中国各民族名称的罗马字母拼写法和代码: (数字代码, 名称, 罗马字母拼写, 字母代码)
_ETHNICITY_ROWS = [
    ("01", "汉族", "Han", "HA"),
    ("02", "蒙古族", "Mongol", "MG"),
    ("03", "回族", "Hui", "HU"),
    ("04", "藏族", "Zang", "ZA"),
    ("05", "维吾尔族", "Uygur", "UG"),
    ("06", "苗族", "Miao", "MH"),
    ("07", "彝族", "Yi", "YI"),
    ("08", "壮族", "Zhuang", "ZH"),
    ("09", "布依族", "Buyei", "BY"),
    ("10", "朝鲜族", "Chosen", "CS"),
    ("11", "满族", "Man", "MA"),
    ("12", "侗族", "Dong", "DO"),
    ("13", "瑶族", "Yao", "YA"),
    ("14", "白族", "Bai", "BA"),
    ("15", "土家族", "Tujia", "TJ"),
    ("16", "哈尼族", "Hani", "HN"),
    ("17", "哈萨克族", "Kazak", "KZ"),
    ("18", "傣族", "Dai", "DA"),
    ("19", "黎族", "Li", "LI"),
    ("20", "傈僳族", "Lisu", "LS"),
    ("21", "佤族", "Va", "VA"),
    ("22", "畲族", "She", "SH"),
    ("23", "高山族", "Gaoshan", "GS"),
    ("24", "拉祜族", "Lahu", "LH"),
    ("25", "水族", "Sui", "SU"),
    ("26", "东乡族", "Dongxiang", "DX"),
    ("27", "纳西族", "Naxi", "NX"),
    ("28", "景颇族", "Jingpo", "JP"),
    ("29", "柯尔克孜族", "Kirgiz", "KG"),
    ("30", "土族", "Tu", "TU"),
    ("31", "达斡尔族", "Daur", "DU"),
    ("32", "仫佬族", "Mulao", "ML"),
    ("33", "羌族", "Qiang", "QI"),
    ("34", "布朗族", "Blang", "BL"),
    ("35", "撒拉族", "Salar", "SL"),
    ("36", "毛南族", "Maonan", "MN"),
    ("37", "仡佬族", "Gelao", "GL"),
    ("38", "锡伯族", "Xibe", "XB"),
    ("39", "阿昌族", "Achang", "AC"),
    ("40", "普米族", "Pumi", "PM"),
    ("41", "塔吉克族", "Tajik", "TA"),
    ("42", "怒族", "Nu", "NU"),
    ("43", "乌孜别克族", "Uzbek", "UZ"),
    ("44", "俄罗斯族", "Russ", "RS"),
    ("45", "鄂温克族", "Ewenki", "EW"),
    ("46", "德昂族", "Deang", "DE"),
    ("47", "保安族", "Bonan", "BN"),
    ("48", "裕固族", "Yugur", "YG"),
    ("49", "京族", "Gin", "GI"),
    ("50", "塔塔尔族", "Tatar", "TT"),
    ("51", "独龙族", "Derung", "DR"),
    ("52", "鄂伦春族", "Oroqen", "OR"),
    ("53", "赫哲族", "Hezhen", "HZ"),
    ("54", "门巴族", "Monba", "MB"),
    ("55", "珞巴族", "Lhoba", "LB"),
    ("56", "基诺族", "Jino", "JN"),
]
_ETHNICITY = (
    *(Item(code, name, letters, {"roman": roman}) for code, name, roman, letters in _ETHNICITY_ROWS),
    Item("97", "其他"),
    Item("98", "外国血统中国籍人士"),
)

# GB/T 4761-2008 家庭关系代码
_RELATION = _items(
    [
        ("01", "本人"),
        ("02", "户主"),
        ("10", "配偶"),
        ("11", "夫"),
        ("12", "妻"),
        ("20", "子"),
        ("21", "独生子"),
        ("22", "长子"),
        ("23", "次子"),
        ("24", "三子"),
        ("25", "四子"),
        ("26", "五子"),
        ("27", "养子或继子"),
        ("28", "女婿"),
        ("29", "其他儿子"),
        ("30", "女"),
        ("31", "独生女"),
        ("32", "长女"),
        ("33", "次女"),
        ("34", "三女"),
        ("35", "四女"),
        ("36", "五女"),
        ("37", "养女或继女"),
        ("38", "儿媳"),
        ("39", "其他女儿"),
        ("40", "孙子、孙女或外孙子、外孙女"),
        ("41", "孙子"),
        ("42", "孙女"),
        ("43", "外孙子"),
        ("44", "外孙女"),
        ("45", "孙媳妇或外孙媳妇"),
        ("46", "孙女婿或外孙女婿"),
        ("47", "曾孙子或外曾孙子"),
        ("48", "曾孙女或外曾孙女"),
        ("49", "其他孙子、孙女或外孙子、外孙女"),
        ("50", "父母"),
        ("51", "父亲"),
        ("52", "母亲"),
        ("53", "公公"),
        ("54", "婆婆"),
        ("55", "岳父"),
        ("56", "岳母"),
        ("57", "继父或养父"),
        ("58", "继母或养母"),
        ("59", "其他父母关系"),
        ("60", "祖父母或外祖父母"),
        ("61", "祖父"),
        ("62", "祖母"),
        ("63", "外祖父"),
        ("64", "外祖母"),
        ("65", "配偶的祖父母或外祖父母"),
        ("66", "曾祖父"),
        ("67", "曾祖母"),
        ("68", "配偶的曾祖父母或外曾祖父母"),
        ("69", "其他祖父母或外祖父母关系"),
        ("70", "兄弟姐妹"),
        ("71", "兄"),
        ("72", "嫂"),
        ("73", "弟"),
        ("74", "弟媳"),
        ("75", "姐姐"),
        ("76", "姐夫"),
        ("77", "妹妹"),
        ("78", "妹夫"),
        ("79", "其他兄弟姐妹"),
        ("80", "其他"),
        ("81", "伯父"),
        ("82", "伯母"),
        ("83", "叔父"),
        ("84", "婶母"),
        ("85", "舅父"),
        ("86", "舅母"),
        ("87", "姨父"),
        ("88", "姨母"),
        ("89", "姑父"),
        ("90", "姑母"),
        ("91", "堂兄弟、堂姐妹"),
        ("92", "表兄弟、表姐妹"),
        ("93", "侄子"),
        ("94", "侄女"),
        ("95", "外甥"),
        ("96", "外甥女"),
        ("97", "其他亲属"),
        ("99", "非亲属"),
    ]
)

# GB/T 4658-2006 学历代码
_EDUCATION = _items(
    [
        ("10", "研究生教育"),
        ("11", "博士研究生毕业"),
        ("12", "博士研究生结业"),
        ("13", "博士研究生肄业"),
        ("14", "硕士研究生毕业"),
        ("15", "硕士研究生结业"),
        ("16", "硕士研究生肄业"),
        ("17", "研究生班毕业"),
        ("18", "研究生班结业"),
        ("19", "研究生班肄业"),
        ("20", "大学本科教育"),
        ("21", "大学本科毕业"),
        ("22", "大学本科结业"),
        ("23", "大学本科肄业"),
        ("28", "大学普通班毕业"),
        ("30", "大学专科教育"),
        ("31", "大学专科毕业"),
        ("32", "大学专科结业"),
        ("33", "大学专科肄业"),
        ("40", "中等职业教育"),
        ("41", "中等专科毕业"),
        ("42", "中等专科结业"),
        ("43", "中等专科肄业"),
        ("44", "职业高中毕业"),
        ("45", "职业高中结业"),
        ("46", "职业高中肄业"),
        ("47", "技工学校毕业"),
        ("48", "技工学校结业"),
        ("49", "技工学校肄业"),
        ("60", "普通高级中学教育"),
        ("61", "普通高中毕业"),
        ("62", "普通高中结业"),
        ("63", "普通高中肄业"),
        ("70", "初级中学教育"),
        ("71", "初中毕业"),
        ("73", "初中肄业"),
        ("80", "小学教育"),
        ("81", "小学毕业"),
        ("83", "小学肄业"),
        ("90", "其他"),
    ]
)

# GB/T 4762-1984 政治面貌代码: (代码, 名称, 简称)
_POLITICAL_STATUS = _items(
    [
        ("01", "中国共产党党员", "中共党员"),
        ("02", "中国共产党预备党员", "中共预备党员"),
        ("03", "中国共产主义青年团团员", "共青团员"),
        ("04", "中国国民党革命委员会会员", "民革会员"),
        ("05", "中国民主同盟盟员", "民盟盟员"),
        ("06", "中国民主建国会会员", "民建会员"),
        ("07", "中国民主促进会会员", "民进会员"),
        ("08", "中国农工民主党党员", "农工党党员"),
        ("09", "中国致公党党员", "致公党党员"),
        ("10", "九三学社社员", "九三学社社员"),
        ("11", "台湾民主自治同盟盟员", "台盟盟员"),
        ("12", "无党派民主人士", "无党派民主人士"),
        ("13", "群众", "群众"),
    ]
)

# GB/T 4766-1984 婚姻状况代码
_MARITAL_STATUS = _items(
    [
        ("10", "未婚"),
        ("20", "已婚"),
        ("21", "初婚"),
        ("22", "再婚"),
        ("23", "复婚"),
        ("30", "丧偶"),
        ("40", "离婚"),
        ("90", "未说明的婚姻状况"),
    ]
)

_HOUSEHOLD_TYPE = _items([("1", "家庭户"), ("2", "集体户")])
_RESIDENCE_STATUS = _items([("1", "现居住"), ("2", "已迁出"), ("3", "已死亡")])
_HOUSE_USE = _items(
    [("residential", "住宅"), ("commercial", "商业"), ("mixed", "商住混合"), ("rental", "出租")]
)
_SPECIAL_GROUP = _items(
    [
        ("dibao", "低保对象", "低保"),
        ("tekun", "特困人员", "特困"),
        ("disabled", "残疾人"),
        ("elderly_alone", "独居老人"),
        ("veteran", "退役军人"),
        ("party_member", "党员"),
        ("key_youth", "重点青少年"),
    ]
)
# GB/T 26341-2010 残疾人残疾分类和分级; codes as on the 中华人民共和国残疾人证.
_DISABILITY_TYPE = _items(
    [
        ("1", "视力残疾"),
        ("2", "听力残疾"),
        ("3", "言语残疾"),
        ("4", "肢体残疾"),
        ("5", "智力残疾"),
        ("6", "精神残疾"),
        ("7", "多重残疾"),
    ]
)
_DISABILITY_GRADE = _items([("1", "一级"), ("2", "二级"), ("3", "三级"), ("4", "四级")])
_MIGRANT_REASON = _items(
    [("work", "务工"), ("business", "经商"), ("study", "学习"), ("family", "投亲靠友"), ("other", "其他")]
)

DICTIONARIES: tuple[Dictionary, ...] = (
    Dictionary(GENDER, "性别", "GB/T 2261.1-2003", "人的性别代码。", _GENDER),
    Dictionary(
        ETHNICITY,
        "民族",
        "GB/T 3304-1991",
        "中国各民族名称及其数字代码、字母代码、罗马字母拼写。",
        _ETHNICITY,
    ),
    Dictionary(RELATION, "与户主关系", "GB/T 4761-2008", "家庭关系代码，用于人口与户籍登记。", _RELATION),
    Dictionary(EDUCATION, "学历", "GB/T 4658-2006", "学历代码。", _EDUCATION),
    Dictionary(
        POLITICAL_STATUS,
        "政治面貌",
        "GB/T 4762-1984",
        "政治面貌代码，简称列为标准中的简称。",
        _POLITICAL_STATUS,
    ),
    Dictionary(MARITAL_STATUS, "婚姻状况", "GB/T 4766-1984", "婚姻状况代码。", _MARITAL_STATUS),
    Dictionary(HOUSEHOLD_TYPE, "户别", "", "户籍登记的户别。", _HOUSEHOLD_TYPE),
    Dictionary(RESIDENCE_STATUS, "居住状态", "", "实有人口的当前居住状态。", _RESIDENCE_STATUS),
    Dictionary(HOUSE_USE, "房屋用途", "", "实有房屋的用途。", _HOUSE_USE),
    Dictionary(SPECIAL_GROUP, "特殊人群类别", "", "需要重点关注、服务或管理的人群。", _SPECIAL_GROUP),
    Dictionary(
        DISABILITY_TYPE, "残疾类别", "GB/T 26341-2010", "残疾类别，代码同残疾人证。", _DISABILITY_TYPE
    ),
    Dictionary(DISABILITY_GRADE, "残疾等级", "GB/T 26341-2010", "残疾等级，一级最重。", _DISABILITY_GRADE),
    Dictionary(MIGRANT_REASON, "流入原因", "", "流动人口来本地居住的原因。", _MIGRANT_REASON),
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
