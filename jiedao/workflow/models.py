"""Process definitions (BPMN 2.0 + form-js forms), running instances, human tasks and their history.

A `ProcessDefinition` row is immutable once deployed: each `ProcessInstance` pins its definition row, so
deploying a new version never changes instances already running. The instance keeps the SpiffWorkflow
task tree as JSON (`state`); the spec itself is rebuilt from the pinned BPMN and cached per definition.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiedao.core.i18n import shown
from jiedao.core.scope import ScopeAware, ScopedModel, ScopedQuerySet, permission_name, scope_for
from jiedao.core.storage import private_files
from jiedao.workflow.choices import (
    DefinitionStatus,
    HistoryAction,
    InstanceStatus,
    Outcome,
    TaskStatus,
)


class ProcessDefinition(ScopedModel):
    """One version of a process of one org node. Visible to, and startable from, the org's subtree."""

    key = models.CharField(_("流程标识"), max_length=64)
    name = models.CharField(_("流程名称"), max_length=100)
    version = models.PositiveIntegerField(_("版本"), default=1)
    description = models.CharField(_("说明"), max_length=500, blank=True)
    bpmn_xml = models.TextField(_("BPMN 定义"))
    forms = models.JSONField(_("表单"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=DefinitionStatus.choices, default=DefinitionStatus.DRAFT
    )
    deployed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("发布人"),
    )
    deployed_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    # Read from the BPMN on every save (jiedao:businessOnly), so lists can filter on it without parsing.
    business_only = models.BooleanField(_("仅由办件发起"), default=False, editable=False)
    # Likewise read from the BPMN (jiedao:confidential): a personnel matter (请销假) whose instances only
    # those taking part and the process administrators may read, see `ProcessInstanceQuerySet.visible_to`.
    confidential = models.BooleanField(_("仅经办人可见"), default=False, editable=False)

    class Meta:
        verbose_name = _("流程定义")
        verbose_name_plural = _("流程定义")
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["org", "key", "version"], name="workflow_definition_version"),
        ]
        indexes = [models.Index(fields=["key", "status"], name="workflow_def_key_status")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def save(self, *args, **kwargs):
        from jiedao.workflow.bpmn import declares_business_only, declares_confidential

        self.business_only = declares_business_only(self.bpmn_xml)
        self.confidential = declares_confidential(self.bpmn_xml)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "bpmn_xml" in update_fields:
            kwargs["update_fields"] = {*update_fields, "business_only", "confidential"}
        super().save(*args, **kwargs)


# 流程管理员: administers the running instances in their scope, a confidential one's included.
PERM_ADMINISTER = "workflow.change_processinstance"


def confidential_gate(user, prefix: str = "") -> Q:
    """The instances (reached through `prefix`, e.g. ``instance__`` from a task) whose data `user` may read
    beyond taking part in them: every instance of an ordinary process, and those of a confidential one
    (仅经办人可见, a leave request and its illness reasons) only when they take part in it — started it,
    hold or held one of its steps (a candidate of an open one included), received a copy — or administer
    the processes (`PERM_ADMINISTER`) over its org. The view permission's scope alone reads no
    confidential instance."""
    from jiedao.workflow.selectors import taking_part

    admin = scope_for(user, PERM_ADMINISTER)
    if admin.everything:
        return Q()
    gate = Q(**{f"{prefix}definition__confidential": False}) | Q(
        **{f"{prefix}pk__in": ProcessInstance.objects.filter(taking_part(user)).values("pk")}
    )
    if admin.org_ids:
        gate |= Q(**{f"{prefix}org_id__in": admin.org_ids})
    return gate


class ProcessInstanceQuerySet(ScopedQuerySet):
    def visible_to(self, user, action: str = "view") -> ScopedQuerySet:
        """The data scope of `action`, less the confidential instances `user` neither takes part in nor
        administers (`confidential_gate`): the one place every read of instances by scope goes through
        (the instance list, the API, `selectors.instances_for`)."""
        scoped = super().visible_to(user, action)
        if permission_name(self.model, action) == PERM_ADMINISTER:
            return scoped
        return scoped.filter(confidential_gate(user))


class WorkTaskQuerySet(ScopedQuerySet):
    def visible_to(self, user, action: str = "view") -> ScopedQuerySet:
        """The data scope of `action`, less the steps of confidential instances `user` may not read: a
        supervisor's ``view_worktask`` opens no step of someone's leave request."""
        return super().visible_to(user, action).filter(confidential_gate(user, "instance__"))


class ProcessInstance(ScopedModel):
    """One run of a process. `state` is the serialized SpiffWorkflow task tree (JSON text)."""

    scope_owner_field = "initiator"

    objects = ProcessInstanceQuerySet.as_manager()

    definition = models.ForeignKey(
        ProcessDefinition, on_delete=models.PROTECT, related_name="instances", verbose_name=_("流程定义")
    )
    title = models.CharField(_("标题"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=10, choices=InstanceStatus.choices, default=InstanceStatus.RUNNING
    )
    state = models.TextField(_("引擎状态"), blank=True, editable=False)
    data = models.JSONField(_("流程数据"), default=dict, blank=True)
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("业务对象类型"),
    )
    object_id = models.CharField(_("业务对象编号"), max_length=64, blank=True)
    business_object = GenericForeignKey("content_type", "object_id")
    initiator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("发起人"),
    )
    started_at = models.DateTimeField(_("发起时间"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    current_step_names = models.CharField(_("当前环节"), max_length=500, blank=True)
    # The name of the end event a completed process reached (未批准, 准予…): an approval and a refusal both
    # end the process, this tells them apart.
    end_name = models.CharField(_("办结结果"), max_length=200, blank=True)
    next_timer_at = models.DateTimeField(_("下一定时事件"), null=True, blank=True)
    error = models.TextField(_("异常信息"), blank=True)
    # A failure the platform words (a step without holders, a gateway without a way out) as msgid and
    # parameters, shown to each administrator in their language; empty for an unexpected error's text.
    error_message = models.JSONField(_("系统异常信息"), default=dict, blank=True)
    # The timer sweep's transient database errors (a lock, a deadlock, a lost connection) in a row, and when
    # it tries this instance again: a step that succeeds clears both; too many in a row mark it failed.
    transient_failures = models.PositiveSmallIntegerField(_("连续临时故障次数"), default=0, editable=False)
    retry_at = models.DateTimeField(_("定时处理重试时间"), null=True, blank=True, editable=False)
    hold_reason = models.CharField(_("挂起原因"), max_length=500, blank=True)
    # The reason as msgid and parameters when the system words it (the service hall suspending an
    # application's process); empty when a person typed it.
    hold_reason_message = models.JSONField(_("系统挂起原因"), default=dict, blank=True)
    # The 发起 form's one-time token: the same form sent twice (a double click, the back button) starts once.
    start_token = models.CharField(_("发起令牌"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("流程实例")
        verbose_name_plural = _("流程实例")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_timer_at"], name="workflow_inst_timer"),
            models.Index(fields=["initiator", "status"], name="workflow_inst_initiator"),
            models.Index(fields=["content_type", "object_id"], name="workflow_inst_business"),
        ]
        constraints = [
            # One running (or suspended) process per business record: two starts at once cannot both win.
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=models.Q(status__in=["running", "suspended"], content_type__isnull=False),
                name="workflow_inst_one_live_per_object",
            ),
            models.UniqueConstraint(
                fields=["initiator", "start_token"],
                condition=~models.Q(start_token=""),
                name="workflow_inst_start_once",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_status_display(self) -> str:
        """The status, with the end reached for a completed process: 已办结（未批准）."""
        label = (
            str(InstanceStatus(self.status).label) if self.status in InstanceStatus.values else self.status
        )
        if self.status == InstanceStatus.COMPLETED and self.end_name:
            return _("%(status)s（%(end)s）") % {"status": label, "end": self.end_name}
        return label

    @property
    def error_text(self) -> str:
        return shown(self.error_message, self.error)

    @property
    def hold_reason_text(self) -> str:
        return shown(self.hold_reason_message, self.hold_reason)


class WorkTask(ScopedModel):
    """A human step (待办) of an instance: one row per Spiff user task, or one per signer of a countersign.

    `version` is bumped by every change, so a decision taken on a stale page is refused.
    """

    scope_owner_field = "assignee"

    objects = WorkTaskQuerySet.as_manager()

    instance = models.ForeignKey(
        ProcessInstance, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("流程实例")
    )
    spiff_task_id = models.UUIDField(_("引擎任务"), db_index=True)
    activation = models.UUIDField(_("激活批次"), db_index=True)
    element_id = models.CharField(_("环节标识"), max_length=100)
    name = models.CharField(_("环节名称"), max_length=200)
    status = models.CharField(_("状态"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.READY)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("办理人"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("委派人"),
    )
    candidates = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="workflow_candidate_tasks",
        verbose_name=_("候选人"),
    )
    form_key = models.CharField(_("表单"), max_length=100, blank=True)
    countersign = models.CharField(_("会签规则"), max_length=10, blank=True)
    due_at = models.DateTimeField(_("办理时限"), null=True, blank=True)
    clock = models.OneToOneField(
        "timelimits.Clock",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("计时"),
    )
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("实际办理人"),
    )
    completed_at = models.DateTimeField(_("办理时间"), null=True, blank=True)
    outcome = models.CharField(_("办理结果"), max_length=10, choices=Outcome.choices, blank=True)
    opinion = models.TextField(_("办理意见"), blank=True)
    form_data = models.JSONField(_("表单数据"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("代理办理（委托人）"),
    )
    urged_at = models.DateTimeField(_("最近催办"), null=True, blank=True)
    urge_count = models.PositiveSmallIntegerField(_("催办次数"), default=0)

    class Meta:
        verbose_name = _("待办任务")
        verbose_name_plural = _("待办任务")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["assignee", "status"], name="workflow_task_assignee"),
            models.Index(fields=["instance", "status"], name="workflow_task_instance"),
            models.Index(fields=["completed_by", "completed_at"], name="workflow_task_done"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.instance.title}）"

    @property
    def is_open(self) -> bool:
        return self.status in (TaskStatus.READY, TaskStatus.CLAIMED)


class TaskHistory(ScopeAware, models.Model):
    """Who did what, when, with which opinion: the audit trail shown on the instance page."""

    scope_org_field = "instance__org"
    scope_owner_field = "actor"

    instance = models.ForeignKey(
        ProcessInstance, on_delete=models.CASCADE, related_name="history", verbose_name=_("流程实例")
    )
    task = models.ForeignKey(
        WorkTask,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="history",
        verbose_name=_("任务"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    action = models.CharField(_("操作"), max_length=10, choices=HistoryAction.choices)
    element_id = models.CharField(_("环节标识"), max_length=100, blank=True)
    step_name = models.CharField(_("环节"), max_length=200, blank=True)
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices, blank=True)
    opinion = models.TextField(_("意见"), blank=True)
    # A system-written opinion (催办, 流程挂起…) as msgid and parameters, shown in the reader's language;
    # empty for what a person typed and for rows written before it existed (`core.i18n.shown`).
    opinion_message = models.JSONField(_("系统意见"), default=dict, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    at = models.DateTimeField(_("时间"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.step_name}"

    @property
    def opinion_text(self) -> str:
        """The opinion in the reader's language when the system wrote it; as typed when a person did."""
        return shown(self.opinion_message, self.opinion)

    @property
    def step_text(self) -> str:
        """The step's name as the history shows it: none for a start (its action says 发起, in the reader's
        language), a timer's name in the reader's language, a process step's name as drawn."""
        if self.action == HistoryAction.START and not self.element_id:
            return ""
        return shown(self.detail.get("step_message"), self.step_name)


class TaskProxy(models.Model):
    """流程代理 (工作委托): while the principal is away (leave, a trip), the steps that reach them also reach
    the proxy, who may handle them in their stead. Per user, not per org node: it follows the person."""

    principal = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("委托人")
    )
    proxy = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("代理人")
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    reason = models.CharField(_("委托事由"), max_length=200)
    created_at = models.DateTimeField(_("设置时间"))
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("流程代理")
        verbose_name_plural = _("流程代理")
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["principal", "ends_on"], name="workflow_proxy_principal")]

    def __str__(self) -> str:
        return f"{self.principal} → {self.proxy} {self.starts_on}–{self.ends_on}"


class OpinionPhrase(models.Model):
    """常用意见: a phrase a user inserts into the opinion of a step with one click (同意。, 情况属实，同意上报。).
    Per user, not per org node: it follows the person, like their signature."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="opinion_phrases",
        verbose_name=_("用户"),
    )
    text = models.CharField(_("意见"), max_length=200)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("常用意见")
        verbose_name_plural = _("常用意见")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "text"], name="workflow_phrase_unique"),
        ]

    def __str__(self) -> str:
        return self.text


class CarbonCopy(ScopeAware, models.Model):
    """抄送: an instance brought to someone's attention, without a decision to take."""

    scope_org_field = "instance__org"
    scope_owner_field = "recipient"

    instance = models.ForeignKey(
        ProcessInstance, on_delete=models.CASCADE, related_name="copies", verbose_name=_("流程实例")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("抄送对象")
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("抄送人"),
    )
    element_id = models.CharField(_("环节标识"), max_length=100, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    # A note the system words (流程已办结…) as msgid and parameters; empty for what a person typed.
    note_message = models.JSONField(_("系统说明"), default=dict, blank=True)
    created_at = models.DateTimeField(_("抄送时间"))
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    comment = models.CharField(_("阅知意见"), max_length=500, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("抄送")
        verbose_name_plural = _("抄送")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "created_at"], name="workflow_cc_recipient")]

    def __str__(self) -> str:
        return f"{self.instance.title} → {self.recipient}"

    @property
    def note_text(self) -> str:
        return shown(self.note_message, self.note)


class InstanceDocument(ScopeAware, models.Model):
    """A document a service task generated for the instance (an approval sheet, 审批单), kept with it and
    downloadable by whoever may see the instance."""

    scope_org_field = "instance__org"
    scope_owner_field = None

    instance = models.ForeignKey(
        ProcessInstance, on_delete=models.CASCADE, related_name="documents", verbose_name=_("流程实例")
    )
    element_id = models.CharField(_("环节标识"), max_length=100)
    title = models.CharField(_("标题"), max_length=100)
    file = models.FileField(_("文件"), upload_to="workflow/documents/%Y/%m/", storage=private_files)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("流程文书")
        verbose_name_plural = _("流程文书")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title
