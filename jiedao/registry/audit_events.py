from django.utils.translation import gettext_lazy as _

from jiedao.audit.registry import detail_labels, event_type

PERSON_CREATED = event_type(2001, "registry.person.created", _("登记人口"))
PERSON_CHANGED = event_type(2002, "registry.person.changed", _("修改人口信息"))
PERSON_REVEALED = event_type(2003, "registry.person.revealed", _("查看完整身份证号码/电话"))
PERSON_BIRTH = event_type(2004, "registry.person.birth", _("出生登记"))
PERSON_DEATH = event_type(2005, "registry.person.death", _("死亡登记"))
PERSON_MOVED_IN = event_type(2006, "registry.person.moved_in", _("迁入登记"))
PERSON_MOVED_OUT = event_type(2007, "registry.person.moved_out", _("迁出登记"))
PERSON_ADDRESS_CHANGED = event_type(2008, "registry.person.address_changed", _("地址变更"))
PERSONS_IMPORTED = event_type(2009, "registry.person.imported", _("导入人口"))
PERSONS_EXPORTED = event_type(2010, "registry.person.exported", _("导出人口"))
PERSON_MERGED = event_type(2011, "registry.person.merged", _("合并重复人员"))
PERSON_DUPLICATE_DISMISSED = event_type(2012, "registry.person.duplicate_dismissed", _("确认非重复人员"))
HOUSEHOLD_CREATED = event_type(2021, "registry.household.created", _("立户"))
HOUSEHOLD_MEMBER_ADDED = event_type(2022, "registry.household.member_added", _("入户"))
HOUSEHOLD_MEMBER_REMOVED = event_type(2023, "registry.household.member_removed", _("出户"))
HOUSEHOLD_HEAD_CHANGED = event_type(2024, "registry.household.head_changed", _("变更户主"))
HOUSEHOLD_SPLIT = event_type(2025, "registry.household.split", _("分户"))
HOUSEHOLD_MERGED = event_type(2026, "registry.household.merged", _("并户"))
HOUSEHOLD_CHANGED = event_type(2027, "registry.household.changed", _("修改户信息"))
HOUSEHOLDS_IMPORTED = event_type(2028, "registry.household.imported", _("导入户"))
MIGRANT_REGISTERED = event_type(2031, "registry.migrant.registered", _("流动人口登记"))
MIGRANT_CHANGED = event_type(2032, "registry.migrant.changed", _("修改流动人口信息"))
MIGRANT_PERMIT_REMINDED = event_type(2033, "registry.migrant.permit_reminded", _("居住证到期提醒"))
BUILDING_CREATED = event_type(2041, "registry.building.created", _("新建楼栋"))
BUILDING_CHANGED = event_type(2042, "registry.building.changed", _("修改楼栋"))
HOUSE_CREATED = event_type(2043, "registry.house.created", _("登记房屋"))
HOUSE_CHANGED = event_type(2044, "registry.house.changed", _("修改房屋"))
HOUSES_IMPORTED = event_type(2045, "registry.house.imported", _("导入房屋"))
HOUSE_VISITED = event_type(2046, "registry.house.visited", _("入户走访核查"))
ENTERPRISE_CREATED = event_type(2051, "registry.enterprise.created", _("登记企业"))
ENTERPRISE_CHANGED = event_type(2052, "registry.enterprise.changed", _("修改企业"))
ENTERPRISES_IMPORTED = event_type(2053, "registry.enterprise.imported", _("导入企业"))
TAG_ADDED = event_type(2061, "registry.tag.added", _("标记特殊人群"))
TAG_ENDED = event_type(2062, "registry.tag.ended", _("解除特殊人群标记"))
LIST_EXPORTED = event_type(2071, "registry.list.exported", _("导出名单"))

detail_labels(
    "registry",
    list=_("列表"),
    details=_("详情"),
    evidence=_("证明材料说明"),
    evidence_file=_("证明材料文件"),
    group=_("特殊人群类别"),
    valid_from=_("起始日期"),
    valid_until=_("截止日期"),
    removed=_("已撤销"),
    photo=_("照片"),
    merged_person_id=_("被合并的人员编号"),
    new_household=_("新户"),
    number=_("户号"),
    persons=_("人员"),
    relation=_("与户主关系"),
    source=_("原户"),
    process_instance=_("流程实例"),
    job=_("导入任务"),
    created=_("新增条数"),
    updated=_("更新条数"),
    created_ids=_("新增记录编号"),
    updated_ids=_("更新记录编号"),
    ids_truncated=_("编号列表已截断"),
    migrants=_("流动人口数"),
    reminder=_("提醒类型"),
    reminded_on=_("提醒日期"),
    within_days=_("提前天数"),
    # what the demo's import created in a community
    living=_("现居住人数"),
    households=_("户数"),
    buildings=_("楼栋数"),
    houses=_("房屋数"),
    enterprises=_("企业数"),
    tags=_("特殊人群标记数"),
    visits=_("入户核查记录数"),
    check=_("数据质量核查项"),
)
