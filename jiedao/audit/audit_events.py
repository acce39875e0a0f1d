from django.utils.translation import gettext_lazy as _

from jiedao.audit.registry import detail_labels, event_type

AUDIT_LOG_VIEWED = event_type(9001, "audit.log.viewed", _("查看审计日志"))
AUDIT_LOG_EXPORTED = event_type(9002, "audit.log.exported", _("导出审计日志"))
AUDIT_CHAIN_VERIFIED = event_type(9003, "audit.chain.verified", _("校验审计链"))
AUDIT_ARCHIVED = event_type(9004, "audit.log.archived", _("审计日志归档"))

# Keys every app writes into an event's details in the same sense.
detail_labels(
    "",
    filter=_("筛选条件"),
    rows=_("数据行"),
    reason=_("原因"),
    status=_("状态"),
    file=_("文件"),
    count=_("数量"),
    person=_("人员"),
)
detail_labels(
    "audit",
    checked=_("已校验事件数"),
    broken_event_id=_("断链事件编号"),
    archives_checked=_("已校验归档文件数"),
    archive_problems=_("归档文件问题"),
    deep=_("全量校验"),
    event_count=_("事件数"),
    first_event_id=_("首个事件编号"),
    last_event_id=_("末个事件编号"),
    file_sm3=_("文件 SM3 摘要"),
    retention_days=_("保留天数"),
    # the filter of a view or an export (`AuditFilterForm.describe`)
    date_from=_("起始日期"),
    date_to=_("截止日期"),
    actor=_("操作人账号"),
    org=_("组织（含下级）"),
    org_name=_("组织名称"),
    event_type=_("事件类型"),
    target_type=_("对象类型"),
    target_id=_("对象编号"),
    result=_("结果"),
)
