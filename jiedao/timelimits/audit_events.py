from django.utils.translation import gettext_lazy as _

from jiedao.audit.registry import detail_labels, event_type

CLOCK_STARTED = event_type(1801, "timelimits.clock.started", _("开始计时"))
CLOCK_PAUSED = event_type(1802, "timelimits.clock.paused", _("暂停计时"))
CLOCK_RESUMED = event_type(1803, "timelimits.clock.resumed", _("恢复计时"))
CLOCK_EXTENDED = event_type(1804, "timelimits.clock.extended", _("延长时限"))
CLOCK_STOPPED = event_type(1805, "timelimits.clock.stopped", _("结束计时"))
CLOCKS_RECOMPUTED = event_type(1806, "timelimits.clocks.recomputed", _("工作日历变更后重新计算时限"))
SWEEP_WARNED = event_type(1810, "timelimits.sweep.warned", _("时限巡检：新增预警或超期"))
POLICY_CHANGED = event_type(1820, "timelimits.policy.changed", _("修改时限预警阈值"))

detail_labels(
    "timelimits",
    first=_("起始日期"),
    last=_("截止日期"),
    examined=_("检查的计时数"),
    changed=_("变更的计时数"),
    turned=_("状态变化"),
    turned_yellow=_("转为预警"),
    turned_red=_("转为超期"),
    by_kind=_("按计时类别"),
)
