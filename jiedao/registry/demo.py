"""Demo registry data for the demo district (明湖区): about 20,000 residents in households, their houses and
buildings, migrants with residence permits, enterprises and special-group tags, plus the registry permissions
of the demo roles.

Written with `bulk_create` (the per-person services would take minutes for 20,000 rows), but every stored
identity goes through the same helpers as the services: `stored_identity`, `stored_phone`, `pinyin_keys`, and
the encrypted fields encrypt themselves on save. One audit event per community records what was created.

Idempotent: a community that already holds `persons_per_community` persons is left alone, and nothing is
done when the district already holds 20,000 persons. Deterministic: the same seed gives the same people.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from jiedao.accounts.models import Role, User
from jiedao.audit import services as audit
from jiedao.core import crypto
from jiedao.core import demo as core_demo
from jiedao.core.i18n import Message
from jiedao.orgs.choices import OrgLevel
from jiedao.orgs.models import OrgUnit
from jiedao.registry import audit_events as events
from jiedao.registry.choices import (
    CoordinateSystem,
    EnterpriseStatus,
    HouseholdKind,
    HouseRelation,
    HouseUse,
    LifeEventKind,
    Ownership,
    PersonStatus,
    VisitResult,
)
from jiedao.registry.identity import pinyin_keys, stored_identity, stored_phone
from jiedao.registry.models import (
    Building,
    Enterprise,
    House,
    Household,
    HouseholdMember,
    HouseVisit,
    LifeEvent,
    Migrant,
    Person,
    SpecialGroupTag,
)
from jiedao.registry.selectors import shift_years
from jiedao.registry.services.houses import house_full_address
from jiedao.registry.services.residence import refresh_residence_split
from jiedao.registry.validators import InvalidNumber, make_id_number, make_uscc, parse_phone

PERSONS_PER_COMMUNITY = 3400  # × 6 communities = 20,400
SKIP_AT = 20_000
DEFAULT_SEED = 20260101
MIGRANT_SHARE = 0.15
ENTERPRISES_PER_PERSON = 50 / 3400  # 50 per community, 300 in the district
SYSTEM_ACTOR = "system"
BATCH = 500
# `Migrant.reason` is 4 characters long while the `migrant_reason` codes (work, business, study, family, other)
# run to 8: only codes that fit are stored until the column is widened (PostgreSQL refuses longer values).
REASON_LENGTH = Migrant._meta.get_field("reason").max_length

# --- permissions of the demo roles ---------------------------------------------------------------------

REGISTRY_MODELS = (
    "person",
    "household",
    "householdmember",
    "building",
    "house",
    "enterprise",
    "migrant",
    "specialgrouptag",
    "lifeevent",
    "housevisit",  # 入户走访核查: community staff record visits, leaders read them
)
VIEW_ALL = tuple(f"registry.view_{model}" for model in REGISTRY_MODELS)
# The Excel import pages (/imports/) need the import-job permissions besides the registry's own: without them
# a clerk could upload a roster but not follow its job, download its errors or resume it. Community staff are
# the only demo role that registers records (sub-district and district leaders only read).
IMPORT_PERMISSIONS = ("spreadsheets.view_importjob", "spreadsheets.add_importjob")
ROLE_PERMISSIONS = {
    "community-staff": (
        *(f"registry.{action}_{model}" for model in REGISTRY_MODELS for action in ("view", "add", "change")),
        *IMPORT_PERMISSIONS,
        # 疑似重复人员: community staff clean up their own community's duplicates
        "registry.merge_person",
    ),
    # Leaders may refresh the statistics snapshot at once (it recounts the whole district).
    "subdistrict-leader": (*VIEW_ALL, "registry.view_full_person", "registry.refresh_statisticssnapshot"),
    "district-leader": (*VIEW_ALL, "registry.refresh_statisticssnapshot"),
    "window-staff": ("registry.view_person", "registry.view_household", "registry.view_house"),
}


def grant_role_permissions() -> None:
    """Add the registry permissions to the built-in demo roles (no-op when already there)."""
    for code, patterns in ROLE_PERMISSIONS.items():
        role = Role.objects.filter(code=code).first()
        if role is not None:
            role.permissions.add(*core_demo.resolve_permissions(patterns))


# --- geography --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommunityPlan:
    code: str
    name: str
    latitude: float  # centre, WGS-84
    longitude: float
    streets: tuple[str, ...]  # one per grid


COMMUNITIES = (
    CommunityPlan("330110001001", "柳浪社区", 30.2440, 120.1600, ("柳浪路", "清波街", "南山路")),
    CommunityPlan("330110001002", "涌金社区", 30.2560, 120.1660, ("涌金街", "定安路", "开元路")),
    CommunityPlan("330110001003", "南屏社区", 30.2420, 120.1460, ("南屏路", "净慈路", "虎跑路")),
    CommunityPlan("330110002001", "江城社区", 30.2450, 120.1780, ("江城路", "候潮路", "复兴街")),
    CommunityPlan("330110002002", "近江社区", 30.2580, 120.1860, ("近江路", "婺江路", "甬江路")),
    CommunityPlan("330110002003", "秋涛社区", 30.2720, 120.1950, ("秋涛路", "钱江路", "望江东路")),
)
BOX_HALF_LATITUDE = 0.0030  # about 330 m
BOX_HALF_LONGITUDE = 0.0035  # about 340 m at this latitude
CITY_PREFIX = "浙江省杭州市明湖区"


def community_box(code: str) -> tuple[float, float, float, float]:
    """(min latitude, max latitude, min longitude, max longitude) of a demo community (WGS-84)."""
    plan = next(plan for plan in COMMUNITIES if plan.code == code)
    return (
        plan.latitude - BOX_HALF_LATITUDE,
        plan.latitude + BOX_HALF_LATITUDE,
        plan.longitude - BOX_HALF_LONGITUDE,
        plan.longitude + BOX_HALF_LONGITUDE,
    )


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# --- people -------------------------------------------------------------------------------------------------

SURNAMES = (
    ("王", 70), ("李", 60), ("张", 58), ("陈", 62), ("刘", 45), ("杨", 30), ("黄", 24), ("吴", 28),
    ("周", 24), ("徐", 26), ("孙", 14), ("朱", 18), ("胡", 18), ("沈", 18), ("金", 14), ("钱", 10),
    ("赵", 18), ("马", 10), ("郭", 10), ("何", 10), ("高", 10), ("林", 12), ("罗", 8), ("郑", 10),
    ("梁", 6), ("谢", 8), ("宋", 7), ("唐", 7), ("许", 9), ("韩", 6), ("冯", 6), ("邓", 6), ("曹", 6),
    ("彭", 5), ("曾", 4), ("肖", 5), ("田", 4), ("董", 6), ("袁", 5), ("潘", 7), ("于", 4), ("蒋", 7),
    ("蔡", 6), ("余", 7), ("杜", 4), ("叶", 9), ("程", 5), ("苏", 4), ("魏", 4), ("吕", 5), ("丁", 5),
    ("任", 4), ("姚", 6), ("卢", 4), ("姜", 4), ("崔", 2), ("钟", 4), ("谭", 3), ("陆", 7), ("汪", 7),
    ("范", 4), ("石", 3), ("廖", 2), ("贾", 2), ("夏", 4), ("方", 7), ("邵", 5), ("俞", 6), ("楼", 4),
    ("应", 3), ("章", 5), ("顾", 5), ("毛", 4), ("严", 3), ("孔", 2), ("欧阳", 1), ("司马", 0.2),
    ("诸葛", 0.2), ("上官", 0.2),
)  # fmt: skip
GIVEN_NAMES = {
    # (era, gender) → given names; eras: born before 1956, 1956–1975, 1976–1995, 1996 and later
    (0, "1"): _words("建国 国庆 志明 德明 福根 金根 荣华 国华 卫国 振华 永康 根法 水根 宝根 国良 林生 家福 文彬 培德 学明 仁和 长林 炳坤 有才 阿四 宝林 关金 杏生"),
    (0, "2"): _words("秀英 桂英 玉兰 凤英 美华 素珍 月娥 金娣 彩娥 惠芳 雪英 翠华 丽华 爱珍 杏娣 菊芳 根娣 秀珍 宝娟 文英 阿凤 小妹 美娟 素娟"),
    (1, "1"): _words("建华 建平 国强 伟民 志强 卫东 红军 海明 晓东 建军 明华 立新 国平 永强 德华 小平 伟 军 勇 斌 刚 平 明 卫平 建新 志刚"),
    (1, "2"): _words("丽娟 美玲 红 燕 萍 丽萍 玉芳 建英 红梅 亚萍 月琴 晓红 海燕 秀芳 雪芬 静 敏 霞 英 爱华 卫红 小红 丽华 美芳"),
    (2, "1"): _words("伟 磊 强 涛 斌 杰 鹏 超 浩 俊 晨 建伟 志刚 海涛 晓峰 俊杰 文杰 鹏飞 剑锋 宇 辉 亮 健 晓明 振宇 一帆"),
    (2, "2"): _words("丽 静 敏 燕 艳 娟 霞 婷 佳 琳 晓燕 丽丽 婷婷 雪 倩 颖 莉 慧 佳佳 晓丽 梦 洁 露 晓雯 思佳"),
    (3, "1"): _words("浩然 子轩 宇航 俊杰 浩宇 梓豪 一鸣 铭泽 子墨 宇轩 天佑 睿 昊 博文 子豪 皓轩 思远 嘉豪 奕辰 沐阳 承泽 逸凡 景行 家乐"),
    (3, "2"): _words("欣怡 梓涵 一诺 雨桐 思彤 诗涵 可馨 语嫣 若曦 佳怡 子涵 紫萱 欣妍 梦瑶 雨萱 思琪 悦 妍 彤 琪 沐晴 安然 书瑶 芷若"),
}  # fmt: skip

# Where residents' ID numbers were issued: county-level codes (GB/T 2260), with weights.
LOCAL_REGIONS = (
    ("330110", 40), ("330102", 14), ("330103", 8), ("330104", 6), ("330105", 7), ("330106", 7),
    ("330108", 3), ("330109", 2), ("330183", 2), ("330203", 1.5), ("330302", 1.5), ("330402", 1),
    ("330502", 1), ("330602", 1.5), ("330702", 1), ("330802", 0.5), ("330902", 0.5), ("331002", 1),
    ("331102", 0.5), ("320102", 0.5), ("310101", 0.5), ("340102", 0.5), ("360102", 0.3), ("110101", 0.2),
)  # fmt: skip
HUKOU_ELSEWHERE = (
    "浙江省杭州市上城区解放路", "浙江省杭州市拱墅区湖墅南路", "浙江省杭州市西湖区文三路",
    "浙江省杭州市滨江区江南大道", "浙江省杭州市萧山区城厢街道人民路",
)  # fmt: skip
# Origins of migrants: (county code, address, weight, minority ethnicities common there)
ORIGINS = (
    ("340102", "安徽省合肥市瑶海区", 4, ()), ("341202", "安徽省阜阳市颍州区", 6, ()),
    ("341221", "安徽省阜阳市临泉县", 5, ()), ("340822", "安徽省安庆市怀宁县", 4, ()),
    ("341802", "安徽省宣城市宣州区", 3, ()), ("360102", "江西省南昌市东湖区", 3, ()),
    ("361102", "江西省上饶市信州区", 5, ()), ("360429", "江西省九江市湖口县", 3, ()),
    ("361002", "江西省抚州市临川区", 3, ()), ("410102", "河南省郑州市中原区", 3, ("03",)),
    ("411521", "河南省信阳市罗山县", 4, ()), ("411302", "河南省南阳市宛城区", 3, ()),
    ("411623", "河南省周口市商水县", 3, ()), ("420102", "湖北省武汉市江岸区", 2, ()),
    ("421181", "湖北省黄冈市麻城市", 3, ()), ("420902", "湖北省孝感市孝南区", 2, ()),
    ("430102", "湖南省长沙市芙蓉区", 2, ()), ("430523", "湖南省邵阳市邵阳县", 2, ("15",)),
    ("433101", "湖南省湘西土家族苗族自治州吉首市", 1, ("15", "06")), ("510104", "四川省成都市锦江区", 2, ()),
    ("511321", "四川省南充市南部县", 3, ()), ("510522", "四川省泸州市合江县", 2, ("07",)),
    ("520102", "贵州省贵阳市南明区", 2, ("09",)), ("520526", "贵州省毕节市威宁彝族回族苗族自治县", 2, ("07", "06", "03")),
    ("522601", "贵州省黔东南苗族侗族自治州凯里市", 2, ("06", "12")), ("320102", "江苏省南京市玄武区", 1, ()),
    ("321302", "江苏省宿迁市宿城区", 2, ()), ("450102", "广西壮族自治区南宁市兴宁区", 1, ("08",)),
    ("450881", "广西壮族自治区贵港市桂平市", 2, ("08",)), ("500101", "重庆市万州区", 3, ()),
    ("371302", "山东省临沂市兰山区", 2, ()), ("350102", "福建省福州市鼓楼区", 1, ()),
    ("610102", "陕西省西安市新城区", 1, ()), ("620102", "甘肃省兰州市城关区", 1, ("03",)),
    ("230102", "黑龙江省哈尔滨市道里区", 1, ("11",)), ("130102", "河北省石家庄市长安区", 1, ()),
    ("331023", "浙江省台州市天台县", 3, ()), ("330327", "浙江省温州市苍南县", 3, ()),
    ("330824", "浙江省衢州市开化县", 2, ()), ("331127", "浙江省丽水市景宁畲族自治县", 1, ("22",)),
)  # fmt: skip
TOWNS = _words("城关镇 新华街道 龙山镇 河口镇 石桥镇 双河乡 白沙镇 清水乡 高桥镇 花园村")
LOCAL_MINORITIES = ("03", "11", "22", "15", "08", "06", "02", "10")
MOBILE_PREFIXES = _words(
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 180 181 182 183 185 186 187 188 189"
)

# Household compositions and their weights (a central old-city community: many elderly).
LOCAL_KINDS = (
    ("elder_alone", 8), ("single", 9), ("elder_couple", 17), ("couple", 9), ("couple_1", 23),
    ("couple_2", 7), ("three_gen", 11), ("single_parent", 4), ("extended", 7),
)  # fmt: skip
MIGRANT_KINDS = (("single", 42), ("couple", 24), ("family_1", 27), ("family_2", 7))
MIGRANT_REASONS = (("work", 65), ("business", 20), ("study", 3), ("family", 5), ("other", 7))

INDUSTRIES = (
    ("餐饮管理", "住宿和餐饮业", 14), ("商贸", "批发和零售业", 16), ("网络科技", "信息传输、软件和信息技术服务业", 12),
    ("文化传媒", "文化、体育和娱乐业", 6), ("物业管理", "房地产业", 5), ("装饰工程", "建筑业", 6),
    ("家政服务", "居民服务、修理和其他服务业", 7), ("教育咨询", "教育", 5), ("医药连锁", "批发和零售业", 3),
    ("酒店管理", "住宿和餐饮业", 3), ("企业管理咨询", "租赁和商务服务业", 8), ("检测技术", "科学研究和技术服务业", 3),
    ("健康管理", "卫生和社会工作", 3), ("投资管理", "金融业", 2),
)  # fmt: skip
SHOP_KINDS = (
    ("便利店", "批发和零售业"), ("面馆", "住宿和餐饮业"), ("小吃店", "住宿和餐饮业"), ("理发店", "居民服务、修理和其他服务业"),
    ("水果店", "批发和零售业"), ("五金店", "批发和零售业"), ("洗衣店", "居民服务、修理和其他服务业"),
    ("快递代收点", "交通运输、仓储和邮政业"),
)  # fmt: skip
BRANDS = _words(
    "恒达 华信 明湖 清波 望江 金诚 瑞丰 博远 天成 新联 汇通 鼎盛 正阳 嘉禾 同创 江南 西子 钱塘 湖畔 云端 "
    "启明 弘毅 润泽 致远 和信 众诚 凯越 泓源 盛世 佳和 晨光 锦程 星河 朗润 德信 华美 长青 安和 新禾 聚力"
)
OTHER_EMPLOYERS = (
    "美团外卖配送站", "顺丰速运明湖营业部", "杭州城建建筑劳务有限公司", "个体经营", "灵活就业",
    "杭州市第一人民医院", "杭州西子物业服务有限公司", "盒马鲜生明湖店", "杭州公交集团", "自由职业",
)  # fmt: skip
LOCAL_JOBS = (
    "杭州市明湖区人民政府", "浙江大学", "杭州银行", "中国移动杭州分公司", "杭州地铁集团",
    "阿里巴巴（中国）有限公司", "杭州市第三人民医院", "个体经营", "自由职业", "浙江省电力公司",
    "杭州市明湖区教育局", "网易（杭州）网络有限公司", "海康威视", "杭州联华华商集团",
)  # fmt: skip
DISABILITY_TYPES = (("4", 35), ("2", 18), ("1", 12), ("6", 13), ("5", 10), ("7", 10), ("3", 2))
DISABILITY_GRADES = (("1", 10), ("2", 20), ("3", 30), ("4", 40))


def _weighted(rng: random.Random, pairs):
    items, weights = zip(*[(item[0], item[1]) for item in pairs], strict=True)
    return rng.choices(items, weights=weights)[0]


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@lru_cache(maxsize=20000)
def _pinyin(name: str) -> tuple[str, str]:
    return pinyin_keys(name)


# --- a member of a planned household -----------------------------------------------------------------


@dataclass
class Member:
    relation: str
    gender: str
    age: int
    marital: str
    surname: str
    person: Person | None = None
    migrant: Migrant | None = None


@dataclass
class PlannedHousehold:
    members: list[Member]
    is_migrant: bool
    origin: tuple | None = None
    ethnicity: str = "01"
    grid: OrgUnit | None = None
    house: House | None = None
    household: Household | None = None
    arrival: date | None = None


@dataclass
class Created:
    buildings: list[Building] = field(default_factory=list)
    houses: list[House] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)
    members: list[HouseholdMember] = field(default_factory=list)
    migrants: list[Migrant] = field(default_factory=list)
    enterprises: list[Enterprise] = field(default_factory=list)
    tags: list[SpecialGroupTag] = field(default_factory=list)
    events: list[LifeEvent] = field(default_factory=list)
    visits: list[HouseVisit] = field(default_factory=list)


class Uniques:
    """Values that must be unique across the whole run and the existing database."""

    def __init__(self) -> None:
        self.id_numbers: set[str] = set()
        self.phones: set[str] = set()
        self.usccs: set[str] = set(Enterprise.objects.values_list("uscc", flat=True))
        self.names: set[str] = set(Enterprise.objects.values_list("name", flat=True))
        self.addresses: set[str] = set(Building.objects.values_list("street_address", flat=True))
        self.permit_numbers: set[str] = set(
            Migrant.objects.exclude(permit_number="").values_list("permit_number", flat=True)
        )


# --- one community ------------------------------------------------------------------------------------


class CommunityBuilder:
    def __init__(
        self, plan: CommunityPlan, community: OrgUnit, grids: list[OrgUnit], persons: int, seed: int, today
    ):
        self.plan, self.community, self.grids = plan, community, grids
        self.target = persons
        self.rng = random.Random(f"{seed}:{plan.code}")
        self.today = today
        self.uniques: Uniques | None = None
        self.created = Created()
        self.surnames = [s for s, _w in SURNAMES]
        self.surname_weights = [w for _s, w in SURNAMES]
        lat_min, lat_max, lon_min, lon_max = community_box(plan.code)
        width = (lon_max - lon_min) / len(grids)
        # Each grid is a north–south strip of the community's box, with its own street.
        self.strips = [
            (lat_min, lat_max, lon_min + i * width, lon_min + (i + 1) * width) for i in range(len(grids))
        ]
        self.stock = {grid.pk: [] for grid in grids}  # houses ready to be occupied, per grid
        self.compound = {grid.pk: None for grid in grids}
        self.street_number = {grid.pk: self.rng.randrange(2, 12, 2) for grid in grids}
        self.serial = 0
        self.numbers: Counter = Counter()
        self.existing_numbers: set[str] = set()
        self.employers: list[str] = []

    # -- names, numbers ---------------------------------------------------------------------------------

    def surname(self) -> str:
        return self.rng.choices(self.surnames, weights=self.surname_weights)[0]

    def given_name(self, gender: str, born: date) -> str:
        era = 0 if born.year < 1956 else 1 if born.year < 1976 else 2 if born.year < 1996 else 3
        return self.rng.choice(GIVEN_NAMES[(era, gender)])

    def birth_date(self, age: int) -> date:
        latest = shift_years(self.today, age)
        earliest = shift_years(self.today, age + 1) + timedelta(days=1)
        return earliest + timedelta(days=self.rng.randint(0, (latest - earliest).days))

    def id_number(self, region: str, born: date, gender: str) -> str:
        while True:
            sequence = self.rng.randrange(0, 500) * 2 + (1 if gender == "1" else 0)
            number = make_id_number(region, born, sequence)
            if number not in self.uniques.id_numbers:
                self.uniques.id_numbers.add(number)
                return number

    def mobile(self) -> tuple[str, str, str]:
        while True:
            raw = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if raw in self.uniques.phones:
                continue
            try:
                stored = stored_phone(raw)
            except InvalidNumber:
                continue
            self.uniques.phones.add(raw)
            return stored

    def point(self, strip, margin: float = 0.0002) -> tuple[float, float]:
        lat_min, lat_max, lon_min, lon_max = strip
        return (
            self.rng.uniform(lat_min + margin, lat_max - margin),
            self.rng.uniform(lon_min + margin, lon_max - margin),
        )

    # -- buildings and houses --------------------------------------------------------------------------

    def _building(self, grid_index: int, street_address: str, name: str, floors: int, centre) -> Building:
        strip = self.strips[grid_index]
        lat = min(max(centre[0] + self.rng.uniform(-0.0003, 0.0003), strip[0] + 0.0001), strip[1] - 0.0001)
        lon = min(max(centre[1] + self.rng.uniform(-0.0003, 0.0003), strip[2] + 0.0001), strip[3] - 0.0001)
        building = Building(
            org=self.grids[grid_index],
            street_address=street_address,
            name=name,
            floors=floors,
            latitude=Decimal(f"{lat:.6f}"),
            longitude=Decimal(f"{lon:.6f}"),
            coordinate_system=CoordinateSystem.WGS84,
        )
        self.uniques.addresses.add(street_address)
        self.created.buildings.append(building)
        return building

    def _house(self, building: Building, unit: str, room: str, **values) -> House:
        house = House(
            org=building.org,
            building=building,
            unit=unit,
            room=room,
            full_address=house_full_address(building.street_address, building.name, unit, room),
            latitude=building.latitude,
            longitude=building.longitude,
            coordinate_system=building.coordinate_system,
            **values,
        )
        self.created.houses.append(house)
        return house

    def _next_compound(self, grid_index: int) -> dict:
        grid = self.grids[grid_index]
        street = self.plan.streets[grid_index % len(self.plan.streets)]
        while True:
            number = self.street_number[grid.pk]
            self.street_number[grid.pk] += self.rng.randrange(2, 12, 2)
            street_address = f"{street}{number}号"
            if street_address not in self.uniques.addresses:  # a new compound gets a number of its own
                break
        high_rise = self.rng.random() < 0.3
        return {
            "street_address": street_address,
            "centre": self.point(self.strips[grid_index], margin=0.0004),
            "buildings": self.rng.randint(3, 6) if high_rise else self.rng.randint(4, 12),
            "built": 0,
            "high_rise": high_rise,
        }

    def _fill_stock(self, grid_index: int) -> None:
        grid = self.grids[grid_index]
        compound = self.compound[grid.pk]
        if compound is None or compound["built"] >= compound["buildings"]:
            compound = self.compound[grid.pk] = self._next_compound(grid_index)
        compound["built"] += 1
        high_rise = compound["high_rise"]
        floors = self.rng.choice((11, 18, 24)) if high_rise else self.rng.choice((5, 6, 6, 7))
        units = self.rng.randint(1, 2) if high_rise else self.rng.randint(2, 3)
        per_floor = 4 if high_rise else 2
        building = self._building(
            grid_index, compound["street_address"], f"{compound['built']}幢", floors, compound["centre"]
        )
        for unit in range(1, units + 1):
            for floor in range(1, floors + 1):
                for door in range(1, per_floor + 1):
                    area = self.rng.uniform(80, 145) if high_rise else self.rng.uniform(42, 96)
                    house = self._house(
                        building,
                        f"{unit}单元",
                        f"{floor}{door:02d}",
                        use=HouseUse.RESIDENTIAL,
                        ownership=Ownership.PRIVATE,
                        area=Decimal(f"{area:.2f}"),
                    )
                    self.stock[grid.pk].append(house)
        self.rng.shuffle(self.stock[grid.pk])

    def take_house(self, grid_index: int) -> House:
        grid = self.grids[grid_index]
        while True:
            if not self.stock[grid.pk]:
                self._fill_stock(grid_index)
            house = self.stock[grid.pk].pop()
            if self.rng.random() >= 0.07:  # about 7% of flats stand empty
                return house

    # -- households -------------------------------------------------------------------------------------

    def _couple(self, head_age: int, relation_spouse: str = "10") -> list[Member]:
        rng = self.rng
        head_gender = "1" if rng.random() < 0.8 else "2"
        if head_gender == "1":
            spouse_age = max(20, head_age + rng.randint(-6, 2))
        else:
            spouse_age = max(20, head_age + rng.randint(-2, 6))
        marital = "20" if rng.random() < 0.9 else "22"
        head = Member("02", head_gender, head_age, marital, self.surname())
        spouse = Member(
            relation_spouse, "2" if head_gender == "1" else "1", spouse_age, marital, self.surname()
        )
        return [head, spouse]

    def _child(
        self, parents: list[Member], gap: tuple[int, int] = (23, 35), max_age: int = 60
    ) -> Member | None:
        mother = next((m for m in parents if m.gender == "2"), parents[0])
        father = next((m for m in parents if m.gender == "1"), None)
        age = min(mother.age - self.rng.randint(*gap), max_age)
        if age < 0:
            return None
        gender = "1" if self.rng.random() < 0.52 else "2"
        surname = father.surname if father and self.rng.random() < 0.9 else mother.surname
        marital = "10" if age < 30 or self.rng.random() < 0.3 else "20"
        return Member("20" if gender == "1" else "30", gender, age, marital, surname)

    def local_household(self) -> list[Member]:
        rng = self.rng
        kind = _weighted(rng, LOCAL_KINDS)
        if kind == "elder_alone":
            gender = "2" if rng.random() < 0.68 else "1"
            marital = _weighted(rng, (("30", 78), ("40", 10), ("10", 4), ("20", 8)))
            return [Member("02", gender, int(rng.triangular(70, 99, 80)), marital, self.surname())]
        if kind == "single":
            age = int(rng.triangular(20, 66, 28))
            marital = (
                "10"
                if age < 35 and rng.random() < 0.85
                else _weighted(rng, (("10", 40), ("40", 45), ("30", 15)))
            )
            return [Member("02", "1" if rng.random() < 0.55 else "2", age, marital, self.surname())]
        if kind == "elder_couple":
            return self._couple(int(rng.triangular(60, 93, 68)))
        if kind == "couple":
            return self._couple(int(rng.triangular(23, 62, 28)))
        if kind in ("couple_1", "couple_2"):
            members = self._couple(rng.randint(27, 62) if kind == "couple_1" else rng.randint(30, 52))
            for _child in range(1 if kind == "couple_1" else 2):
                child = self._child(members[:2])
                if child is not None and all(child.age != m.age for m in members[2:]):
                    members.append(child)
            return members
        if kind == "three_gen":
            members = self._couple(rng.randint(33, 55))
            child = self._child(members[:2])
            if child is not None:
                members.append(child)
            head = members[0]
            both = rng.random() < 0.55
            father_age = head.age + rng.randint(24, 34)
            mother_age = father_age + rng.randint(-5, 1)
            if father_age <= 98 and (both or rng.random() < 0.35):
                members.append(Member("51", "1", father_age, "20" if both else "30", head.surname))
            if mother_age <= 100 and (both or len(members) == (3 if child else 2)):
                members.append(Member("52", "2", mother_age, "20" if both else "30", self.surname()))
            return members
        if kind == "single_parent":
            gender = "2" if rng.random() < 0.75 else "1"
            head = Member(
                "02", gender, rng.randint(30, 55), _weighted(rng, (("40", 75), ("30", 25))), self.surname()
            )
            child = self._child([head], gap=(22, 34), max_age=25)
            return [head] + ([child] if child else [])
        # extended: an older couple, a married child with their spouse, and grandchildren
        members = self._couple(rng.randint(56, 78))
        child = self._child(members[:2], gap=(24, 32))
        if child is None or child.age < 24:
            return members
        child.marital = "20"
        members.append(child)
        in_law = Member(
            "38" if child.gender == "1" else "28",
            "2" if child.gender == "1" else "1",
            max(22, child.age + rng.randint(-3, 3)),
            "20",
            self.surname(),
        )
        members.append(in_law)
        young_parents = [child, in_law]
        for _n in range(rng.choice((1, 1, 2))):
            grandchild = self._child(young_parents, gap=(24, 36), max_age=20)
            if grandchild is None:
                continue
            if child.gender == "1":
                grandchild.relation = "41" if grandchild.gender == "1" else "42"
            else:
                grandchild.relation = "43" if grandchild.gender == "1" else "44"
            members.append(grandchild)
        return members

    def migrant_household(self) -> list[Member]:
        rng = self.rng
        kind = _weighted(rng, MIGRANT_KINDS)
        if kind == "single":
            age = int(rng.triangular(17, 56, 25))
            marital = "10" if age < 27 or rng.random() < 0.3 else "20"
            return [Member("02", "1" if rng.random() < 0.6 else "2", age, marital, self.surname())]
        members = self._couple(int(rng.triangular(21, 52, 30)))
        for _n in range({"couple": 0, "family_1": 1, "family_2": 2}[kind]):
            child = self._child(members[:2], gap=(21, 32), max_age=17)
            if child is not None and all(child.age != m.age for m in members[2:]):
                members.append(child)
        return members

    def plan_households(self) -> list[PlannedHousehold]:
        rng = self.rng
        planned: list[PlannedHousehold] = []
        migrants_wanted = round(self.target * MIGRANT_SHARE)
        migrants = 0
        while migrants < migrants_wanted:
            origin = _weighted(rng, [(o, o[2]) for o in ORIGINS])
            ethnicity = rng.choice(origin[3]) if origin[3] and rng.random() < 0.45 else "01"
            household = PlannedHousehold(self.migrant_household(), True, origin=origin, ethnicity=ethnicity)
            planned.append(household)
            migrants += len(household.members)
        people = migrants
        while people < self.target:
            ethnicity = rng.choice(LOCAL_MINORITIES) if rng.random() < 0.02 else "01"
            household = PlannedHousehold(self.local_household(), False, ethnicity=ethnicity)
            planned.append(household)
            people += len(household.members)
        rng.shuffle(planned)
        return planned

    # -- persons ----------------------------------------------------------------------------------------

    def _education(self, age: int, born: date, migrant: bool) -> str:
        rng = self.rng
        if age < 12:
            return ""
        if age < 15:
            return "81"
        if age < 18:
            return "71"
        if age < 22:
            return "61" if rng.random() < 0.8 else "44"
        if migrant:
            table = (("71", 32), ("61", 22), ("44", 10), ("31", 18), ("21", 13), ("81", 5))
        elif born.year < 1950:
            table = (("81", 28), ("71", 30), ("61", 20), ("41", 10), ("21", 6), ("83", 6))
        elif born.year < 1970:
            table = (("71", 34), ("61", 30), ("41", 10), ("31", 11), ("21", 11), ("81", 4))
        elif born.year < 1985:
            table = (("61", 24), ("71", 14), ("31", 25), ("21", 26), ("44", 5), ("14", 6))
        else:
            table = (("21", 40), ("31", 24), ("14", 13), ("61", 13), ("44", 5), ("71", 5))
        return _weighted(rng, table)

    def _political(self, age: int, migrant: bool) -> str:
        rng = self.rng
        if age < 14:
            return ""
        draw = rng.random()
        party = 0.03 if migrant else (0.10 if age >= 50 else 0.07)
        if age >= 18 and draw < party:
            return "01"
        if age >= 18 and draw < party + 0.003:
            return "02"
        if age >= 40 and not migrant and draw < party + 0.008:
            return rng.choice(("05", "06", "07", "10"))
        if age <= 28 and rng.random() < (0.25 if migrant else 0.45):
            return "03"
        return "13"

    def _employment(self, age: int, gender: str, migrant: bool) -> str:
        rng = self.rng
        if age < 6:
            return ""
        if age < 18 or (age < 23 and rng.random() < 0.7):
            return "在校学生"
        if age >= (60 if gender == "1" else 55):
            return "退休" if not migrant else "无"
        if rng.random() < 0.04:
            return "待业"
        if migrant or rng.random() < 0.35:
            if self.employers and rng.random() < 0.55:
                return rng.choice(self.employers)
            return rng.choice(OTHER_EMPLOYERS)
        return rng.choice(LOCAL_JOBS)

    def _person(self, member: Member, household: PlannedHousehold, hukou: str) -> Person:
        rng = self.rng
        born = self.birth_date(member.age)
        if household.is_migrant:
            region = household.origin[0]
        elif member.age < 35 and rng.random() < 0.8:
            region = "330110"
        else:
            region = _weighted(rng, LOCAL_REGIONS)
        identity = stored_identity(self.id_number(region, born, member.gender))
        name = member.surname + self.given_name(member.gender, born)
        full_pinyin, initials = _pinyin(name)
        has_phone = member.age >= 15 and rng.random() < (0.6 if member.age >= 80 else 0.94)
        phone, phone_index, phone_masked = self.mobile() if has_phone else ("", "", "")
        ethnicity = household.ethnicity
        if member.relation in ("10", "38", "28") and rng.random() < 0.7:
            ethnicity = "01"
        house = household.house
        if household.is_migrant:
            relation = HouseRelation.TENANT
        elif member.relation == "02" and house.ownership == Ownership.PRIVATE and not house.is_rented:
            relation = HouseRelation.OWNER
        elif house.ownership == Ownership.PUBLIC:
            relation = HouseRelation.TENANT if member.relation == "02" else HouseRelation.FAMILY
        else:
            relation = HouseRelation.FAMILY
        person = Person(
            org=household.grid,
            name=name,
            name_pinyin=full_pinyin,
            name_initials=initials,
            id_kind=identity.id_kind,
            id_number=identity.id_number,
            id_number_hash=identity.id_number_hash,
            id_number_masked=identity.id_number_masked,
            gender=identity.gender,
            birth_date=identity.birth_date,
            ethnicity=ethnicity,
            phone=phone,
            phone_hash=phone_index,
            phone_masked=phone_masked,
            education=self._education(member.age, born, household.is_migrant),
            political_status=self._political(member.age, household.is_migrant),
            marital_status=member.marital if member.age >= 18 else "10",
            employment=self._employment(member.age, member.gender, household.is_migrant),
            house=house,
            house_relation=relation,
            residence_address=house.full_address,
            hukou_address=hukou,
            status=PersonStatus.LIVING,
        )
        member.person = person
        self.created.persons.append(person)
        return person

    def _registered_on(self, person: Person, earliest: date | None = None) -> date:
        start = max(person.birth_date, earliest or date(2016, 1, 1))
        end = self.today - timedelta(days=7)
        if start >= end:
            return max(person.birth_date, min(start, self.today))
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def _event(self, person: Person, kind: str, day: date, summary: Message, **details) -> None:
        # The Chinese text written directly (a million events), the message for readers in other languages.
        params = {name: str(value) for name, value in summary.params.items()}
        self.created.events.append(
            LifeEvent(
                person=person,
                kind=kind,
                occurred_on=day,
                summary=(summary.msgid % params if params else summary.msgid)[:300],
                summary_message=summary.stored(),
                details=details,
            )
        )

    def _migrant(self, member: Member, household: PlannedHousehold, landlord: str, lease_until) -> None:
        rng = self.rng
        person = member.person
        arrival = max(household.arrival, person.birth_date)
        adult = member.age >= 16
        valid_until = None
        permit_number = ""
        if adult and rng.random() < 0.8:
            draw = rng.random()
            if draw < 0.09:
                valid_until = self.today + timedelta(days=rng.randint(0, 30))  # reminder due
            elif draw < 0.20:
                valid_until = self.today - timedelta(days=rng.randint(1, 240))  # expired
            else:
                valid_until = self.today + timedelta(days=rng.randint(31, 720))
            latest_arrival = valid_until - timedelta(days=180)
            if arrival > latest_arrival:
                arrival = max(latest_arrival, shift_years(person.birth_date, -16))
            # The whole community code: the serial restarts in each community (all share one county code);
            # numbers already in the database (an earlier, smaller run) are skipped.
            issued = max(arrival, valid_until - timedelta(days=365)).year
            taken = self.uniques.permit_numbers
            while True:
                self.serial += 1
                permit_number = f"ZJ{self.plan.code}{issued}{self.serial:06d}"
                if permit_number not in taken:
                    break
            taken.add(permit_number)
        if member.relation == "02":
            reason = _weighted(rng, MIGRANT_REASONS)
        elif adult:
            reason = "work" if rng.random() < 0.7 else "family"
        else:
            reason = "family" if member.age < 6 or rng.random() < 0.5 else "study"
        employer = person.employment if adult and person.employment not in ("在校学生", "待业", "无") else ""
        migrant = Migrant(
            person=person,
            origin_region_code=household.origin[0],
            origin_address=household.origin[1],
            arrival_date=arrival,
            reason=reason if len(reason) <= REASON_LENGTH else "",
            permit_number=permit_number,
            permit_valid_until=valid_until,
            employer=employer,
            landlord=landlord,
            lease_until=lease_until,
            planned_departure=self.today + timedelta(days=rng.randint(30, 400))
            if rng.random() < 0.04
            else None,
        )
        member.migrant = migrant
        self.created.migrants.append(migrant)
        self._event(
            person,
            LifeEventKind.REGISTERED,
            arrival,
            Message(
                gettext_noop("流动人口登记：来自%(origin)s，居住于%(address)s"),
                origin=household.origin[1],
                address=household.house.full_address,
            ),
        )

    def household_number(self, grid: OrgUnit) -> str:
        while True:
            self.numbers[grid.pk] += 1
            number = f"{grid.division_code}{self.numbers[grid.pk]:04d}"
            if number not in self.existing_numbers:
                return number

    def build_household(self, planned: PlannedHousehold) -> None:
        rng = self.rng
        grid_index = rng.randrange(len(self.grids))
        planned.grid = self.grids[grid_index]
        house = planned.house = self.take_house(grid_index)
        head_member = planned.members[0]
        if planned.is_migrant:
            house.is_rented = True
            house.owner_name = self.surname() + self.given_name("1", date(1965, 1, 1))  # the landlord
            registered = f"{planned.origin[1]}{rng.choice(TOWNS)}{rng.randint(1, 120)}号"
            planned.arrival = self.today - timedelta(days=min(int(rng.expovariate(1 / 900)) + 10, 6000))
        else:
            house.ownership = Ownership.PUBLIC if rng.random() < 0.08 else Ownership.PRIVATE
            registered = (
                CITY_PREFIX + house.full_address
                if rng.random() < 0.85
                else f"{rng.choice(HUKOU_ELSEWHERE)}{rng.randint(1, 400)}号"
            )
        for member in planned.members:
            self._person(member, planned, registered)
        head = head_member.person
        if not planned.is_migrant:
            public = house.ownership == Ownership.PUBLIC
            house.owner_name = "明湖区住房保障和房产管理局" if public else head.name
        household = Household(
            org=planned.grid,
            number=self.household_number(planned.grid),
            kind=HouseholdKind.FAMILY,
            head=head,
            registered_address=registered,
            house=house,
        )
        planned.household = household
        self.created.households.append(household)
        lease_until = self.today + timedelta(days=rng.randint(15, 400)) if rng.random() < 0.85 else None
        for member in planned.members:
            person = member.person
            joined = self._registered_on(person)
            self.created.members.append(
                HouseholdMember(
                    household=household, person=person, relation=member.relation, joined_on=joined
                )
            )
            if planned.is_migrant:
                self._migrant(member, planned, house.owner_name, lease_until)
            else:
                self._event(
                    person,
                    LifeEventKind.REGISTERED,
                    joined,
                    Message(gettext_noop("登记于%(org)s"), org=planned.grid.name),
                )

    # -- enterprises ------------------------------------------------------------------------------------

    def build_enterprises(self) -> None:
        rng = self.rng
        wanted = max(3, round(self.target * ENTERPRISES_PER_PERSON))
        per_grid = math.ceil(wanted / len(self.grids))
        shops: list[House] = []
        for index in range(len(self.grids)):
            street = self.plan.streets[index % len(self.plan.streets)]
            number = 101 + 2 * index
            while f"{street}{number}号" in self.uniques.addresses:
                number += 2
            floors = max(2, math.ceil(per_grid * 1.25 / 6))
            building = self._building(
                index, f"{street}{number}号", "综合楼", floors, self.point(self.strips[index])
            )
            grid_shops = []
            for floor in range(1, floors + 1):
                for door in range(1, 7):
                    grid_shops.append(
                        self._house(
                            building,
                            "",
                            f"{floor}{door:02d}",
                            use=HouseUse.COMMERCIAL if floor <= 2 else HouseUse.MIXED,
                            ownership=Ownership.ENTERPRISE if rng.random() < 0.4 else Ownership.PRIVATE,
                            owner_name="杭州明湖城市建设发展有限公司",
                            area=Decimal(f"{rng.uniform(30, 260):.2f}"),
                            is_rented=rng.random() < 0.75,
                        )
                    )
            rng.shuffle(grid_shops)
            shops.extend(grid_shops[:per_grid])
        for house in shops[:wanted]:
            self.created.enterprises.append(self._enterprise(house))

    def _enterprise(self, house: House) -> Enterprise:
        rng = self.rng
        individual = rng.random() < 0.25
        for attempt in range(100):
            brand = rng.choice(BRANDS) + (rng.choice(BRANDS)[0] if attempt >= 20 else "")
            if individual:
                kind, industry = rng.choice(SHOP_KINDS)
                name = f"明湖区{brand}{kind}"
            else:
                word, industry, _weight = _weighted_triple(rng, INDUSTRIES)
                name = f"杭州{brand}{word}有限公司"
            if name not in self.uniques.names:
                break
        else:
            name = f"{name}（{house.full_address}）"
        self.uniques.names.add(name)
        while True:
            body = (
                "MA2" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(5))
                if rng.random() < 0.6
                else f"{rng.randrange(10**8):08d}"
            )
            uscc = make_uscc(
                rng.choice(("330110", "330102", "330106")), body, "9", "2" if individual else "1"
            )
            if uscc not in self.uniques.usccs:
                self.uniques.usccs.add(uscc)
                break
        if rng.random() < 0.3:
            phone = "0571" + rng.choice("8586") + f"{rng.randrange(10**7):07d}"
            try:
                contact = parse_phone(phone).national
            except InvalidNumber:
                contact = self.mobile()[0]
        else:
            contact = self.mobile()[0]
        employees = rng.randint(1, 8) if individual else min(500, max(2, int(rng.lognormvariate(2.3, 1.0))))
        established = date(
            rng.randint(2010 if individual else 1998, self.today.year - 1),
            rng.randint(1, 12),
            rng.randint(1, 28),
        )
        house.use = HouseUse.COMMERCIAL
        return Enterprise(
            org=house.org,
            name=name,
            uscc=uscc,
            legal_representative=self.surname()
            + self.given_name(rng.choice("12"), date(rng.randint(1960, 1995), 1, 1)),
            industry=industry,
            address=CITY_PREFIX + house.full_address,
            house=house,
            employees=employees,
            established_on=established,
            status=_weighted(
                rng,
                (
                    (EnterpriseStatus.OPERATING, 88),
                    (EnterpriseStatus.SUSPENDED, 6),
                    (EnterpriseStatus.MOVED_OUT, 3),
                    (EnterpriseStatus.DEREGISTERED, 3),
                ),
            ),
            contact_phone=contact,
            latitude=house.latitude,
            longitude=house.longitude,
            coordinate_system=house.coordinate_system,
        )

    # -- special groups ---------------------------------------------------------------------------------

    def _tag(
        self, person: Person, group: str, valid_from: date, *, until=None, evidence="", details=None
    ) -> None:
        valid_from = min(max(valid_from, person.birth_date), self.today)
        if until is not None and until <= valid_from:
            until = None
        self.created.tags.append(
            SpecialGroupTag(
                person=person,
                group=group,
                valid_from=valid_from,
                valid_until=until,
                evidence=evidence,
                details=details or {},
            )
        )
        label = Message(GROUP_LABELS[group], context="special_group")
        self._event(
            person,
            LifeEventKind.TAG_ADDED,
            valid_from,
            Message(gettext_noop("标记为%(g)s"), g=label),
            group=group,
        )
        if until is not None and until < self.today:
            self._event(
                person, LifeEventKind.TAG_ENDED, until, Message(gettext_noop("解除%(g)s标记"), g=label)
            )

    def _random_day(self, start: date, end: date | None = None) -> date:
        end = end or self.today - timedelta(days=1)
        if start >= end:
            return end
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def build_tags(self, planned: list[PlannedHousehold]) -> None:
        rng = self.rng
        n = 0
        for household in planned:
            head = household.members[0].person
            size = len(household.members)
            head_age = _age_on(head.birth_date, self.today)
            if not household.is_migrant and rng.random() < 0.027:
                n += 1
                start = self._random_day(date(2015, 1, 1))
                ended = rng.random() < 0.12
                until = self._random_day(start + timedelta(days=180)) if ended else None
                if until is None and n % 8 == 0:
                    # approved for a year, its review (低保年审) due within the month: 特殊人群到期复核 has work
                    # (from the counter, not the generator, so the rest of the demo stays as it was)
                    until = self.today + timedelta(days=n % 31)
                self._tag(head, "dibao", start, until=until, evidence=f"明民低〔{start.year}〕{n:03d}号")
            if not household.is_migrant and size == 1 and head_age >= 60 and rng.random() < 0.03:
                n += 1
                start = self._random_day(date(2016, 1, 1))
                self._tag(head, "tekun", start, evidence=f"明民特〔{start.year}〕{n:03d}号")
            for member in household.members:
                person = member.person
                age = _age_on(person.birth_date, self.today)
                if size == 1 and age >= 70 and not household.is_migrant and rng.random() < 0.85:
                    self._tag(
                        person,
                        "elderly_alone",
                        self._random_day(max(shift_years(person.birth_date, -70), date(2018, 1, 1))),
                        evidence="社区走访核实",
                    )
                if rng.random() < (0.065 if age >= 60 else 0.02):
                    kind = _weighted(rng, DISABILITY_TYPES)
                    grade = _weighted(rng, DISABILITY_GRADES)
                    self._tag(
                        person,
                        "disabled",
                        self._random_day(max(person.birth_date, date(2008, 1, 1))),
                        evidence=f"残疾人证 {crypto.mask_id_number(person.id_number)}{kind}{grade}",
                        details={"type": kind, "grade": grade},
                    )
                if person.gender == "1" and age >= 22 and rng.random() < 0.045:
                    self._tag(
                        person,
                        "veteran",
                        self._random_day(max(shift_years(person.birth_date, -22), date(2019, 1, 1))),
                        evidence="退役军人优待证",
                    )
                if person.political_status == "01":
                    joined = self._random_day(
                        shift_years(person.birth_date, -22), shift_years(person.birth_date, -35)
                    )
                    self._tag(
                        person,
                        "party_member",
                        min(joined, self.today - timedelta(days=30)),
                        evidence="流动党员"
                        if household.is_migrant
                        else f"组织关系在{self.community.name}党委",
                    )
                if 12 <= age <= 25 and rng.random() < 0.006:
                    self._tag(person, "key_youth", self._random_day(self.today - timedelta(days=720)))

    # -- persons who left ---------------------------------------------------------------------------------

    def build_departed(self) -> int:
        """A few residents who moved out or died: history for the person search, not in any household."""
        rng = self.rng
        count = max(1, round(self.target * 0.015))
        for _n in range(count):
            deceased = rng.random() < 0.4
            age = int(rng.triangular(70, 98, 84)) if deceased else int(rng.triangular(18, 70, 30))
            gender = "1" if rng.random() < 0.5 else "2"
            member = Member("02", gender, age, "30" if deceased else "10", self.surname())
            grid_index = rng.randrange(len(self.grids))
            planned = PlannedHousehold([member], False, grid=self.grids[grid_index])
            planned.house = self.take_house(grid_index)
            address = planned.house.full_address
            person = self._person(member, planned, CITY_PREFIX + address)
            person.house = None
            person.house_relation = HouseRelation.OTHER
            person.status = PersonStatus.DECEASED if deceased else PersonStatus.MOVED_OUT
            person.status_date = self._random_day(self.today - timedelta(days=900))
            registered = self._registered_on(person)
            self._event(
                person,
                LifeEventKind.REGISTERED,
                min(registered, person.status_date),
                Message(gettext_noop("登记于%(org)s"), org=planned.grid.name),
            )
            if deceased:
                self._event(person, LifeEventKind.DEATH, person.status_date, Message(gettext_noop("死亡")))
            else:
                destination = rng.choice(
                    ("浙江省杭州市余杭区", "浙江省宁波市海曙区", "上海市浦东新区", "江苏省苏州市姑苏区")
                )
                self._event(
                    person,
                    LifeEventKind.MOVE_OUT,
                    person.status_date,
                    Message(gettext_noop("迁往%(d)s"), d=destination),
                    destination=destination,
                )
            self.stock[planned.grid.pk].append(planned.house)  # the flat is free again
        return count

    def resolve_collisions(self) -> None:
        """Give a new number to anyone whose ID number is already registered (an earlier, smaller run)."""
        persons = self.created.persons
        for start in range(0, len(persons), BATCH):
            chunk = {person.id_number_hash: person for person in persons[start : start + BATCH]}
            taken = Person.objects.filter(id_number_hash__in=list(chunk)).values_list(
                "id_number_hash", flat=True
            )
            for digest in taken:
                person = chunk[digest]
                number = self.id_number(person.id_number[:6], person.birth_date, person.gender)
                identity = stored_identity(number)
                person.id_number = identity.id_number
                person.id_number_hash = identity.id_number_hash
                person.id_number_masked = identity.id_number_masked

    # -- all of it --------------------------------------------------------------------------------------

    # -- 入户走访核查 ----------------------------------------------------------------------------------------

    def build_visits(self, visitor: User | None) -> None:
        """Past visits of about seven houses in ten over the last year, mostly 信息属实, some visited twice,
        so that 待核查房屋 lists the never visited, the overdue and the 无人应门 among the rest."""
        for house in self.created.houses:
            if self.rng.random() >= VISITED_SHARE:
                continue
            # most visits recent (a community keeps up with its round), the odd house revisited months later
            latest = int(self.rng.triangular(1, 366, 1))
            days_ago = [latest]
            if self.rng.random() < 0.25 and latest < 275:
                days_ago.insert(0, latest + self.rng.randint(90, 365 - latest))
            for back in days_ago:
                result = _weighted(self.rng, VISIT_RESULTS)
                self.created.visits.append(
                    HouseVisit(
                        house=house,
                        visited_on=self.today - timedelta(days=back),
                        visited_by=visitor,
                        result=result,
                        note=VISIT_NOTES.get(result, ""),
                    )
                )

    def build(self, uniques: Uniques) -> Created:
        self.uniques = uniques
        self.existing_numbers = set(
            Household.objects.filter(number__startswith=self.community.division_code).values_list(
                "number", flat=True
            )
        )
        self.build_enterprises()
        self.employers = [e.name for e in self.created.enterprises if e.status == EnterpriseStatus.OPERATING]
        planned = self.plan_households()
        for household in planned:
            self.build_household(household)
        self.build_departed()
        self.resolve_collisions()
        self.build_tags(planned)
        return self.created


def _weighted_triple(rng: random.Random, triples):
    return rng.choices(triples, weights=[t[2] for t in triples])[0]


GROUP_LABELS = {
    "dibao": "低保对象",
    "tekun": "特困人员",
    "disabled": "残疾人",
    "elderly_alone": "独居老人",
    "veteran": "退役军人",
    "party_member": "党员",
    "key_youth": "重点青少年",
}


VISITED_SHARE = 0.7
VISIT_RESULTS = (
    (VisitResult.CONFIRMED, 80),
    (VisitResult.CORRECTED, 6),
    (VisitResult.SEPARATED, 4),
    (VisitResult.VACANT, 4),
    (VisitResult.NO_ANSWER, 5),
    (VisitResult.REFUSED, 1),
)
VISIT_NOTES = {
    VisitResult.CORRECTED: "更正住户联系电话",
    VisitResult.SEPARATED: "户籍人员现居外区，已告知登记",
    VisitResult.NO_ANSWER: "敲门无人应答，已留联系卡",
}


def _community_visitor(community: OrgUnit) -> User | None:
    """The demo community worker who made the community's visits (none before the demo users exist)."""
    return (
        User.objects.filter(org__path__startswith=community.path, roles__code="community-staff")
        .order_by("pk")
        .first()
    )


def _save(created: Created) -> None:
    # Foreign keys to objects saved by an earlier bulk_create pick up their new primary keys on save.
    Building.objects.bulk_create(created.buildings, batch_size=BATCH)
    House.objects.bulk_create(created.houses, batch_size=BATCH)
    Enterprise.objects.bulk_create(created.enterprises, batch_size=BATCH)
    Person.objects.bulk_create(created.persons, batch_size=BATCH)
    Household.objects.bulk_create(created.households, batch_size=BATCH)
    HouseholdMember.objects.bulk_create(created.members, batch_size=BATCH)
    Migrant.objects.bulk_create(created.migrants, batch_size=BATCH)
    SpecialGroupTag.objects.bulk_create(created.tags, batch_size=BATCH)
    LifeEvent.objects.bulk_create(created.events, batch_size=BATCH)
    HouseVisit.objects.bulk_create(created.visits, batch_size=BATCH)
    # 人户分离 by the rule over what was just written, set-based (the builder does not decide it)
    refresh_residence_split([person.pk for person in created.persons])


def _community_nodes() -> list[tuple[CommunityPlan, OrgUnit, list[OrgUnit]]]:
    nodes = {node.division_code: node for node in OrgUnit.objects.filter(division_code__startswith="330110")}
    result = []
    for plan in COMMUNITIES:
        community = nodes.get(plan.code)
        if community is None:
            continue
        grids = sorted(
            (
                node
                for node in nodes.values()
                if node.parent_id == community.pk and node.level == OrgLevel.GRID
            ),
            key=lambda node: node.division_code,
        )
        result.append((plan, community, grids or [community]))
    return result


def _persons_in(org: OrgUnit) -> int:
    return Person.objects.filter(org__path__startswith=org.path).count()


def load(
    stdout=None, *, persons_per_community: int = PERSONS_PER_COMMUNITY, seed: int = DEFAULT_SEED, today=None
):
    """Create the demo registry; see the module docstring. Prints one summary line to `stdout`."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    district = core_demo.load_tree()
    grant_role_permissions()
    nodes = _community_nodes()
    existing = _persons_in(district)
    wanted = persons_per_community * len(nodes)
    if existing >= min(SKIP_AT, wanted):
        _write(stdout, f"人口演示数据已存在（{district.name}现有 {existing:,} 人），跳过。")
        return None
    uniques = Uniques()
    totals = Counter()
    for plan, community, grids in nodes:
        if _persons_in(community) >= persons_per_community:
            continue
        builder = CommunityBuilder(plan, community, grids, persons_per_community, seed, today)
        created = builder.build(uniques)
        builder.build_visits(_community_visitor(community))
        living = sum(1 for person in created.persons if person.status == PersonStatus.LIVING)
        counts = {
            "persons": len(created.persons),
            "living": living,
            "households": len(created.households),
            "migrants": len(created.migrants),
            "buildings": len(created.buildings),
            "houses": len(created.houses),
            "enterprises": len(created.enterprises),
            "tags": len(created.tags),
            "visits": len(created.visits),
        }
        with transaction.atomic():
            _save(created)
            audit.record(
                events.PERSONS_IMPORTED,
                actor_name=SYSTEM_ACTOR,
                org=community,
                message=(
                    f"演示数据：{community.name}新建 {counts['persons']} 人（现居住 {living} 人，流动人口 "
                    f"{counts['migrants']} 人）、{counts['households']} 户、{counts['buildings']} 栋楼、"
                    f"{counts['houses']} 套房屋、{counts['enterprises']} 家企业、{counts['tags']} 条特殊人群标记"
                ),
                after=counts,
            )
        totals.update(counts)
        totals["communities"] += 1
    elapsed = time.perf_counter() - started
    if not totals:
        _write(stdout, "人口演示数据已存在，跳过。")
        return None
    _write(
        stdout,
        f"人口演示数据：{totals['communities']} 个社区，新建 {totals['persons']:,} 人（现居住 {totals['living']:,}，"
        f"流动人口 {totals['migrants']:,}）、{totals['households']:,} 户、{totals['buildings']:,} 栋楼、"
        f"{totals['houses']:,} 套房屋、{totals['enterprises']:,} 家企业、{totals['tags']:,} 条特殊人群标记，"
        f"用时 {elapsed:.1f} 秒。",
    )
    return dict(totals)


def _write(stdout, line: str) -> None:
    if stdout is not None:
        stdout.write(line)
