from django.utils.translation import gettext_lazy as _

from jiedao.audit.registry import detail_labels, event_type

RESIDENT_SIGNED_UP = event_type(5101, "applications.resident.signed_up", _("群众注册账号"))
RESIDENT_LOGGED_IN = event_type(5102, "applications.resident.logged_in", _("群众登录"))
RESIDENT_VERIFIED = event_type(5103, "applications.resident.verified", _("群众实名认证"))
RESIDENT_LOGIN_FAILED = event_type(5104, "applications.resident.login_failed", _("群众登录验证码错误"))
RESIDENT_VERIFY_REFUSED = event_type(
    5105, "applications.resident.verify_refused", _("群众实名认证未通过（姓名与证件号码登记不符）")
)
RESIDENT_PHONE_CHANGED = event_type(5106, "applications.resident.phone_changed", _("群众账号更换绑定手机号"))
RESIDENT_CLOSED = event_type(5107, "applications.resident.closed", _("群众注销账号"))
RESIDENT_API_LOGGED_OUT = event_type(5108, "applications.resident.api_logged_out", _("群众退出接口登录"))

APPLICATION_SUBMITTED = event_type(5111, "applications.application.submitted", _("网上提交办件"))
APPLICATION_REGISTERED = event_type(5112, "applications.application.registered", _("窗口登记办件"))
APPLICATION_ACCEPTED = event_type(5113, "applications.application.accepted", _("受理办件"))
APPLICATION_DEEMED_ACCEPTED = event_type(
    5114, "applications.application.deemed_accepted", _("逾期未告知视为受理")
)
APPLICATION_CORRECTION_REQUESTED = event_type(
    5115, "applications.application.correction_requested", _("一次性告知补正")
)
APPLICATION_RESUBMITTED = event_type(5116, "applications.application.resubmitted", _("补正后重新提交"))
APPLICATION_REJECTED = event_type(5117, "applications.application.rejected", _("不予受理"))
APPLICATION_SUSPENDED = event_type(5118, "applications.application.suspended", _("中止办理"))
APPLICATION_RESUMED = event_type(5119, "applications.application.resumed", _("恢复办理"))
APPLICATION_EXTENDED = event_type(5120, "applications.application.extended", _("延长办理时限"))
APPLICATION_CONCLUDED = event_type(5121, "applications.application.concluded", _("办结"))
APPLICATION_PROCESS_STARTED = event_type(
    5122, "applications.application.process_started", _("视为受理的办件转入流程办理")
)
APPLICATION_EXTENSION_REQUESTED = event_type(
    5123, "applications.application.extension_requested", _("申请延长办理时限")
)
APPLICATION_EXTENSION_REFUSED = event_type(
    5124, "applications.application.extension_refused", _("不予批准延长办理时限")
)
APPLICATION_DELIVERED = event_type(5126, "applications.application.delivered", _("登记送达办理结果"))
APPLICATION_WITHDRAWN = event_type(5125, "applications.application.withdrawn", _("申请人撤回申请"))
APPLICATION_DEFERRED_SUPPLIED = event_type(
    5127, "applications.application.deferred_supplied", _("补交容缺材料")
)
APPLICATION_LINKED = event_type(5128, "applications.application.linked", _("窗口办件归入申请人的群众账号"))

INQUIRY_CREATED = event_type(5131, "applications.inquiry.created", _("首问登记"))
INQUIRY_HANDED_OVER = event_type(5132, "applications.inquiry.handed_over", _("首问转交"))
INQUIRY_ACKNOWLEDGED = event_type(5133, "applications.inquiry.acknowledged", _("接收首问转交"))
INQUIRY_ANSWERED = event_type(5134, "applications.inquiry.answered", _("首问答复"))
INQUIRIES_HANDED_OVER = event_type(5135, "applications.inquiry.work_handed_over", _("工作交接：转交首问登记"))
AGENCY_ASSIGNED = event_type(5141, "applications.agency.assigned", _("指派代办员"))
AGENCY_HANDED_OVER = event_type(5142, "applications.agency.work_handed_over", _("工作交接：转交企业代办"))

RATING_RECORDED = event_type(5151, "applications.rating.recorded", _("办件评价"))
RECTIFICATION_OPENED = event_type(5152, "applications.rectification.opened", _("差评整改开始"))
RECTIFICATION_CLOSED = event_type(5153, "applications.rectification.closed", _("差评整改办结"))
RECTIFICATION_HANDED_OVER = event_type(
    5154, "applications.rectification.work_handed_over", _("工作交接：转交差评整改")
)

NOTICE_PUBLISHED = event_type(5161, "applications.notice.published", _("发布公示"))
NOTICE_ARCHIVED = event_type(5162, "applications.notice.archived", _("公示期满归档"))
OBJECTION_FILED = event_type(5163, "applications.objection.filed", _("公示异议"))
OBJECTION_RESOLVED = event_type(5164, "applications.objection.resolved", _("异议处理"))
OBJECTION_HANDED_OVER = event_type(
    5165, "applications.objection.work_handed_over", _("工作交接：转交公示异议")
)

WINDOW_CREATED = event_type(5171, "applications.window.created", _("新建服务窗口"))
WINDOW_UPDATED = event_type(5172, "applications.window.updated", _("修改服务窗口"))
PAD_PAIRING_ISSUED = event_type(5173, "applications.pad.pairing_issued", _("生成评价器配对链接"))
PAD_PAIRED = event_type(5174, "applications.pad.paired", _("评价器配对"))
PAD_REVOKED = event_type(5175, "applications.pad.revoked", _("评价器解除配对"))

LEDGER_EXPORTED = event_type(5181, "applications.ledger.exported", _("导出办件台账"))
STATISTICS_EXPORTED = event_type(5182, "applications.statistics.exported", _("导出办件统计"))
RATINGS_EXPORTED = event_type(5183, "applications.ratings.exported", _("导出好差评统计"))

CERTIFICATE_ISSUED = event_type(5191, "applications.certificate.issued", _("开具证明"))
CERTIFICATE_REVOKED = event_type(5192, "applications.certificate.revoked", _("作废证明"))

detail_labels(
    "applications",
    applications=_("涉及办件数"),
    applications_kept=_("保留的办件数"),
    approved_by=_("批准人"),
    refused_by=_("不予批准人"),
    requested_by=_("申请人（工作人员）"),
    channel=_("评价渠道"),
    days=_("延长天数"),
    due_at=_("办理期限"),
    extension=_("延期申请"),
    level=_("评价等级"),
    paper_number=_("纸质评价表编号"),
    matched_person=_("匹配的实有人口"),
    merged_account=_("已合并账号"),
    phone=_("手机号码"),
    pad=_("评价器"),
    paired_at=_("配对时间"),
    last_seen_at=_("最后在线时间"),
    link_expires_at=_("配对链接有效期至"),
    responsible=_("整改责任人"),
    to_user=_("接收人"),
    records=_("转交的记录"),
    records_left=_("未能转交的记录"),
    full_values=_("含完整号码"),
    sign_in_via=_("登录途径"),
    api_token=_("群众接口令牌编号"),
    period_start=_("统计开始日期"),
    period_end=_("统计结束日期"),
)
