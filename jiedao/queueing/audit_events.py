from django.utils.translation import gettext_lazy as _

from jiedao.audit.registry import detail_labels, event_type

LINE_SAVED = event_type(5301, "queueing.line.saved", _("保存业务队列"))
TICKET_TAKEN = event_type(5302, "queueing.ticket.taken", _("群众取号"))
TICKET_CALLED = event_type(5303, "queueing.ticket.called", _("窗口叫号"))
TICKET_RECALLED = event_type(5304, "queueing.ticket.recalled", _("窗口重呼"))
TICKET_SKIPPED = event_type(5305, "queueing.ticket.skipped", _("窗口过号"))
TICKET_REQUEUED = event_type(5306, "queueing.ticket.requeued", _("过号重新排队"))
TICKET_FINISHED = event_type(5307, "queueing.ticket.finished", _("窗口办结排队号"))
TICKET_CANCELLED = event_type(5308, "queueing.ticket.cancelled", _("群众取消排队"))
DAY_CLOSED = event_type(5309, "queueing.day.closed", _("排队叫号日终处理"))
KIOSK_LINK_ISSUED = event_type(5310, "queueing.kiosk.link_issued", _("生成取号机登记链接"))
KIOSK_PAIRED = event_type(5311, "queueing.kiosk.paired", _("取号机登记"))
KIOSK_REVOKED = event_type(5312, "queueing.kiosk.revoked", _("停用取号机"))

detail_labels(
    "queueing",
    line=_("业务队列"),
    window=_("叫号窗口"),
    windows=_("叫号窗口"),
    items=_("办理事项"),
    appointment=_("预约码"),
    code=_("排队号"),
    name=_("业务队列名称"),
    prefix=_("号码字头"),
    is_active=_("开放取号"),
    priority=_("预约优先"),
    recall_count=_("重呼次数"),
    expired=_("未叫到而失效的号"),
    finished=_("自动办结的号"),
    phones_cleared=_("清除手机号码的号数"),
    kiosk=_("取号机"),
    link_expires_at=_("登记链接有效期至"),
    paired_at=_("登记时间"),
    last_seen_at=_("最近使用"),
)
