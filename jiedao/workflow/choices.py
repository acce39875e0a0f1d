from django.db import models
from django.utils.translation import gettext_lazy as _


class DefinitionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    DEPLOYED = "deployed", _("已发布")
    RETIRED = "retired", _("已停用")


class InstanceStatus(models.TextChoices):
    RUNNING = "running", _("办理中")
    SUSPENDED = "suspended", _("已挂起")
    COMPLETED = "completed", _("已办结")
    CANCELLED = "cancelled", _("已撤销")
    FAILED = "failed", _("异常")


class TaskStatus(models.TextChoices):
    READY = "ready", _("待认领")
    CLAIMED = "claimed", _("办理中")
    COMPLETED = "completed", _("已办理")
    CANCELLED = "cancelled", _("已取消")


OPEN_TASK_STATUSES = (TaskStatus.READY, TaskStatus.CLAIMED)


class HistoryAction(models.TextChoices):
    START = "start", _("发起")
    CLAIM = "claim", _("认领")
    UNCLAIM = "unclaim", _("退回认领")
    COMPLETE = "complete", _("办理")
    RETURN = "return", _("退回")
    TRANSFER = "transfer", _("转办")
    DELEGATE = "delegate", _("委派")
    REASSIGN = "reassign", _("改派")
    ADD_SIGNER = "add_signer", _("加签")
    WITHDRAW = "withdraw", _("撤回")
    URGE = "urge", _("催办")
    COPY = "copy", _("抄送")
    READ = "read", _("阅知")
    AUTO = "auto", _("系统")


class Outcome(models.TextChoices):
    APPROVE = "approve", _("同意")
    REJECT = "reject", _("不同意")
    DONE = "done", _("已办")
    RETURN = "return", _("退回")


# The two outcomes of a decision: what 批量审批 may record.
DECISIONS = [(Outcome.APPROVE.value, Outcome.APPROVE.label), (Outcome.REJECT.value, Outcome.REJECT.label)]


class Completion(models.TextChoices):
    """How a countersign (会签) task decides."""

    ALL = "all", _("全部同意")
    ANY = "any", _("任一同意")
    RATIO = "ratio", _("按比例")
