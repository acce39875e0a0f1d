from django.utils.translation import gettext_lazy as _

from jiedao.parameters.registry import declare

PERMIT_REMINDER_DAYS = declare(
    "registry.permit_reminder_days",
    _("居住证到期提前提醒天数"),
    30,
    minimum=1,
    maximum=180,
    group=_("人口信息"),
    help_text=_("流动人口居住证在这么多天内到期时，每日提醒任务将其列入到期提醒（每个有效期只提醒一次）。"),
)

TAG_REVIEW_DAYS = declare(
    "registry.tag_review_days",
    _("特殊人群标记到期复核提前天数"),
    30,
    minimum=1,
    maximum=180,
    group=_("人口信息"),
    help_text=_("低保、特困、残疾等标记在这么多天内到期且尚未续期的，列入“特殊人群到期复核”，并在首页提示。"),
)

VISIT_INTERVAL_DAYS = declare(
    "registry.visit_interval_days",
    _("房屋入户核查周期（天）"),
    180,
    minimum=7,
    maximum=1095,
    group=_("人口信息"),
    help_text=_("房屋最近一次入户核查距今超过这么多天（或从未核查、上次无人应门）时，列入“待核查房屋”。"),
)

CROWDED_AREA_PER_PERSON = declare(
    "registry.crowded_area_per_person",
    _("群租认定人均面积（㎡）"),
    5,
    minimum=1,
    maximum=50,
    group=_("人口信息"),
    help_text=_(
        "房屋现居住 2 人以上、人均建筑面积低于此值时，数据质量核查将其列为“疑似群租房”（多地规定出租房屋人均"
        "居住面积不得低于 5 平方米）。"
    ),
)
