from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    ONLINE = "online", _("网上申请")
    WINDOW = "window", _("窗口受理")


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交，待受理")
    CORRECTION_REQUESTED = "correction_requested", _("待补正材料")
    ACCEPTED = "accepted", _("已受理，办理中")
    REJECTED = "rejected", _("不予受理")
    SUSPENDED = "suspended", _("中止办理")
    CONCLUDED_APPROVED = "concluded_approved", _("办结（准予）")
    CONCLUDED_DENIED = "concluded_denied", _("办结（不予准予）")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.CORRECTION_REQUESTED,
    ApplicationStatus.ACCEPTED,
    ApplicationStatus.SUSPENDED,
)
CONCLUDED_STATUSES = (ApplicationStatus.CONCLUDED_APPROVED, ApplicationStatus.CONCLUDED_DENIED)


class Outcome(models.TextChoices):
    APPROVED = "approved", _("准予")
    DENIED = "denied", _("不予准予")


class EventAction(models.TextChoices):
    SUBMITTED = "submitted", _("提交申请")
    REGISTERED = "registered", _("窗口登记")
    ACCEPTED = "accepted", _("受理")
    DEEMED_ACCEPTED = "deemed_accepted", _("逾期未告知，视为受理")
    PROCESS_STARTED = "process_started", _("转入流程办理")
    CORRECTION_REQUESTED = "correction_requested", _("一次性告知补正材料")
    RESUBMITTED = "resubmitted", _("补正后重新提交")
    DEFERRED_SUPPLIED = "deferred_supplied", _("补交容缺材料")
    DEFERRED_REMINDED = "deferred_reminded", _("提醒补交容缺材料")
    REJECTED = "rejected", _("不予受理")
    WITHDRAWN = "withdrawn", _("申请人撤回申请")
    SUSPENDED = "suspended", _("中止办理")
    RESUMED = "resumed", _("恢复办理")
    EXTENDED = "extended", _("延长办理时限")
    NOTICE_PUBLISHED = "notice_published", _("公示")
    CONCLUDED = "concluded", _("办结")
    DELIVERED = "delivered", _("送达")
    RATED = "rated", _("评价")
    PHONE_CHANGED = "phone_changed", _("变更联系电话")
    LINKED = "linked", _("归入群众账号")
    DEADLINE_MOVED = "deadline_moved", _("办结期限调整")


class InquiryStatus(models.TextChoices):
    OPEN = "open", _("处理中")
    HANDED_OVER = "handed_over", _("已转交，待接收")
    ANSWERED = "answered", _("已答复")


class RatingLevel(models.IntegerChoices):
    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    FAIRLY_SATISFIED = 3, _("基本满意")
    UNSATISFIED = 2, _("不满意")
    VERY_UNSATISFIED = 1, _("非常不满意")


class RatingChannel(models.TextChoices):
    """How a 好差评 reached us (国办发〔2019〕51号: 评价器, 扫码, 短信, 网站/APP; 现场服务“一次一评”). Always the
    applicant's own choice; staff only transcribe a signed paper 评价表."""

    ONLINE = "online", _("网上办事大厅")
    SMS = "sms", _("短信评价链接")
    QRCODE = "qrcode", _("扫码评价")
    PAD = "pad", _("窗口评价器")
    PAPER = "paper", _("纸质评价表（代录）")
    # Ratings a clerk entered before ratings became the applicant's own: kept, labelled, no longer accepted.
    WINDOW = "window", _("工作人员代录（已停用）")


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("整改中")
    CLOSED = "closed", _("已办结")


class NoticeKind(models.TextChoices):
    """The written documents the office hands the applicant (行政许可法第三十二条), by their URL slug."""

    ACCEPTANCE = "acceptance", _("受理通知书")
    REFUSAL = "refusal", _("不予受理通知书")
    CORRECTION = "correction", _("补正材料通知书")
    RECEIPT = "receipt", _("材料接收凭证")
