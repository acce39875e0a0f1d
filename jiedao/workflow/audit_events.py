from django.utils.translation import gettext_lazy as _

from jiedao.audit.registry import detail_labels, event_type

DEFINITION_SAVED = event_type(3001, "workflow.definition.saved", _("保存流程草稿"))
DEFINITION_DEPLOYED = event_type(3002, "workflow.definition.deployed", _("发布流程"))
DEFINITION_RETIRED = event_type(3003, "workflow.definition.retired", _("停用流程"))
DEFINITION_DEPLOY_REFUSED = event_type(3004, "workflow.definition.deploy_refused", _("流程发布未通过校验"))
DEFINITION_DELETED = event_type(3005, "workflow.definition.deleted", _("删除流程草稿"))

INSTANCE_STARTED = event_type(3010, "workflow.instance.started", _("发起流程"))
INSTANCE_COMPLETED = event_type(3011, "workflow.instance.completed", _("流程办结"))
INSTANCE_WITHDRAWN = event_type(3012, "workflow.instance.withdrawn", _("撤回流程"))
INSTANCE_CANCELLED = event_type(3013, "workflow.instance.cancelled", _("撤销流程"))
INSTANCE_FAILED = event_type(3014, "workflow.instance.failed", _("流程运行异常"))
INSTANCE_SUSPENDED = event_type(3015, "workflow.instance.suspended", _("挂起流程"))
INSTANCE_RESUMED = event_type(3016, "workflow.instance.resumed", _("恢复流程"))
INSTANCE_RETRIED = event_type(3017, "workflow.instance.retried", _("恢复运行异常的流程"))
INSTANCE_URGED = event_type(3018, "workflow.instance.urged", _("催办流程"))

TASK_CLAIMED = event_type(3020, "workflow.task.claimed", _("认领任务"))
TASK_UNCLAIMED = event_type(3021, "workflow.task.unclaimed", _("放弃认领任务"))
TASK_COMPLETED = event_type(3022, "workflow.task.completed", _("办理任务"))
TASK_RETURNED = event_type(3023, "workflow.task.returned", _("退回任务"))
TASK_TRANSFERRED = event_type(3024, "workflow.task.transferred", _("转办任务"))
TASK_DELEGATED = event_type(3025, "workflow.task.delegated", _("委派任务"))
TASK_SIGNER_ADDED = event_type(3026, "workflow.task.signer_added", _("会签加签"))
TASKS_HANDED_OVER = event_type(3027, "workflow.task.handed_over", _("工作交接：转交待办"))
TASK_REASSIGNED = event_type(3028, "workflow.task.reassigned", _("改派任务"))
TIMER_FIRED = event_type(3030, "workflow.timer.fired", _("流程定时事件触发"))
ACTION_RUN = event_type(3031, "workflow.action.run", _("流程自动动作"))
COPY_READ = event_type(3040, "workflow.copy.read", _("阅读抄送"))
COPY_SENT = event_type(3041, "workflow.copy.sent", _("抄送流程"))
PROXY_SET = event_type(3050, "workflow.proxy.set", _("设置流程代理"))
PROXY_CANCELLED = event_type(3051, "workflow.proxy.cancelled", _("取消流程代理"))

detail_labels(
    "workflow",
    assignee=_("办理人"),
    definition=_("流程定义"),
    delegated=_("委派办理"),
    element=_("环节标识"),
    fields=_("表单字段"),
    key=_("流程标识"),
    version=_("版本"),
    outcome=_("办理结果"),
    to=_("目标环节"),
    proxy=_("代理人"),
    starts_on=_("开始日期"),
    ends_on=_("结束日期"),
    handed_over=_("转交的待办数"),
    action=_("自动动作"),
    recipients=_("抄送对象"),
    signer=_("加签人"),
    to_user=_("接替人"),
    tasks=_("转交的待办"),
    tasks_left=_("未能转交的待办"),
)
