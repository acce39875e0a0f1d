from django.utils.translation import gettext_lazy as _

from jiedao.core.menus import MenuItem, add, menu_group

menu_group("registry", _("一标三实"), 10)
add("registry", MenuItem(_("人口信息"), "registry:person_list", "registry.view_person", "people"))
add(
    "registry",
    MenuItem(_("疑似重复人员"), "registry:person_duplicates", "registry.merge_person", "people-fill"),
)
add("registry", MenuItem(_("户籍管理"), "registry:household_list", "registry.view_household", "journal-text"))
add("registry", MenuItem(_("流动人口"), "registry:migrant_list", "registry.view_migrant", "person-walking"))
add("registry", MenuItem(_("楼栋房屋"), "registry:house_list", "registry.view_house", "buildings"))
add(
    "registry",
    MenuItem(_("待核查房屋"), "registry:house_visit_due", "registry.view_housevisit", "clipboard-check"),
)
add(
    "registry",
    MenuItem(_("特殊人群到期复核"), "registry:tag_review", "registry.view_specialgrouptag", "calendar-check"),
)
add("registry", MenuItem(_("企业信息"), "registry:enterprise_list", "registry.view_enterprise", "briefcase"))
add("registry", MenuItem(_("统计分析"), "registry:statistics", "registry.view_person", "bar-chart"))
add("registry", MenuItem(_("数据质量核查"), "registry:quality", "registry.view_person", "clipboard-data"))
