from __future__ import annotations

from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jiedao.workflow import bpmn_import, services
from jiedao.workflow.choices import DECISIONS
from jiedao.workflow.models import CarbonCopy, ProcessDefinition, ProcessInstance, TaskHistory, WorkTask
from jiedao.workflow.services import MAX_BATCH


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="稳定的错误代码，如 invalid、not_found、conflict、task_done")
    detail = serializers.CharField(help_text="中文说明")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='按字段的中文错误，如 {"days": ["「请假天数」应为数字。"]}',
    )


class UserBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()


class DefinitionSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True, help_text="draft 草稿、deployed 已发布、retired 已停用")
    org_name = serializers.CharField(source="org.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    deployed_by = UserBriefSerializer(read_only=True, allow_null=True)
    is_current = serializers.SerializerMethodField(
        help_text="是否为当前版本：该流程在其节点已发布的最高版本，新发起的流程用它；"
        "其他已发布的版本已被新版本取代，只供运行中的流程办完"
    )

    class Meta:
        model = ProcessDefinition
        fields = [
            "id",
            "key",
            "name",
            "version",
            "description",
            "status",
            "status_display",
            "is_current",
            "org",
            "org_name",
            "deployed_by",
            "deployed_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_is_current(self, definition: ProcessDefinition) -> bool:
        # A list computes them for its page at once (`current_ids` in the context), as the web list does.
        current = self.context.get("current_ids")
        if current is None:
            current = services.current_definition_ids([definition])
        return definition.pk in current


class DefinitionDetailSerializer(DefinitionSerializer):
    class Meta(DefinitionSerializer.Meta):
        fields = [*DefinitionSerializer.Meta.fields, "bpmn_xml", "forms"]
        read_only_fields = fields


class DefinitionDeployedSerializer(DefinitionDetailSerializer):
    warnings = serializers.SerializerMethodField()

    class Meta(DefinitionDetailSerializer.Meta):
        fields = [*DefinitionDetailSerializer.Meta.fields, "warnings"]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ListField(
            child=serializers.CharField(),
            help_text="发布成功但可能使申请停住的问题（中文），与流程设计器发布时的提示相同，"
            "如网关的出口连线都带条件且没有默认连线；没有则为空列表",
        )
    )
    def get_warnings(self, definition: ProcessDefinition) -> list[str]:
        return services.definition_warnings(definition)


class FormFileSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255, help_text="文件名，如 apply.form（问题中以它指明文件）")
    content = serializers.CharField(
        trim_whitespace=False, help_text="文件内容：Camunda 表单（form-js JSON，含 id 与 components）"
    )


class DefinitionDeploySerializer(serializers.Serializer):
    bpmn_xml = serializers.CharField(
        help_text="BPMN 2.0 XML（不超过 2 MB；不得含 DOCTYPE/实体）", trim_whitespace=False
    )
    forms = serializers.DictField(
        required=False, default=dict, help_text="form-js 表单，按表单标识（formKey）为键"
    )
    form_files = serializers.ListField(
        child=FormFileSerializer(),
        required=False,
        default=list,
        max_length=bpmn_import.MAX_UPLOAD_FILES,
        help_text="Camunda 8 流程链接的表单文件（.form）：环节的 zeebe:formDefinition formId 按表单的 id 对应，"
        "转换为该环节的表单；没有环节链接的文件、不是有效 Camunda 表单的文件作为问题列出（发布被拒绝）",
    )
    org = serializers.IntegerField(required=False, help_text="所属组织节点编号；默认为您所在的节点")
    name = serializers.CharField(required=False, default="", allow_blank=True, max_length=100)
    description = serializers.CharField(required=False, default="", allow_blank=True, max_length=500)


class HistorySerializer(serializers.ModelSerializer):
    actor = UserBriefSerializer(read_only=True, allow_null=True)
    action_display = serializers.CharField(source="get_action_display", read_only=True)
    outcome_display = serializers.CharField(source="get_outcome_display", read_only=True)
    step_display = serializers.CharField(
        source="step_text",
        read_only=True,
        help_text="环节名称，按请求的语言（Accept-Language）显示系统生成的名称（如定时事件）；发起记录为空",
    )
    opinion_display = serializers.CharField(
        source="opinion_text",
        read_only=True,
        help_text="意见：系统写入的意见（催办、挂起、流程代理等）按请求的语言显示，办理人填写的意见原样显示；"
        "opinion 为记录时写入的原文",
    )

    class Meta:
        model = TaskHistory
        fields = [
            "id",
            "at",
            "actor",
            "action",
            "action_display",
            "element_id",
            "step_name",
            "step_display",
            "outcome",
            "outcome_display",
            "opinion",
            "opinion_display",
            "detail",
        ]
        read_only_fields = fields


class InstanceSerializer(serializers.ModelSerializer):
    status = serializers.CharField(
        read_only=True,
        help_text="running 办理中、suspended 已挂起、completed 已办结、cancelled 已撤销、failed 运行异常",
    )
    definition_key = serializers.CharField(source="definition.key", read_only=True)
    definition_name = serializers.CharField(source="definition.name", read_only=True)
    definition_version = serializers.IntegerField(source="definition.version", read_only=True)
    org_name = serializers.CharField(source="org.name", read_only=True)
    initiator = UserBriefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    business_object = serializers.SerializerMethodField()
    error_display = serializers.CharField(
        source="error_text",
        read_only=True,
        help_text="运行异常的原因，平台给出的原因按请求的语言（Accept-Language）显示；error 为记录时写入的原文",
    )

    class Meta:
        model = ProcessInstance
        fields = [
            "id",
            "title",
            "definition",
            "definition_key",
            "definition_name",
            "definition_version",
            "status",
            "status_display",
            "org",
            "org_name",
            "initiator",
            "started_at",
            "ended_at",
            "current_step_names",
            "business_object",
            "error",
            "error_display",
        ]
        read_only_fields = fields
        extra_kwargs = {"error": {"help_text": "运行异常的原因（status 为 failed 时）"}}

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"type": {"type": "string"}, "id": {"type": "string"}},
            "description": "关联的业务对象（app_label.model 与编号）",
        }
    )
    def get_business_object(self, instance: ProcessInstance):
        if not instance.content_type_id:
            return None
        content_type = instance.content_type
        return {"type": f"{content_type.app_label}.{content_type.model}", "id": instance.object_id}


class TaskBriefSerializer(serializers.ModelSerializer):
    status = serializers.CharField(
        read_only=True, help_text="ready 待认领、claimed 办理中、completed 已办理、cancelled 已取消"
    )
    assignee = UserBriefSerializer(read_only=True, allow_null=True)
    completed_by = UserBriefSerializer(read_only=True, allow_null=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    clock_status = serializers.SerializerMethodField()

    class Meta:
        model = WorkTask
        fields = [
            "id",
            "instance",
            "element_id",
            "name",
            "status",
            "status_display",
            "assignee",
            "form_key",
            "countersign",
            "due_at",
            "clock_status",
            "created_at",
            "completed_by",
            "completed_at",
            "outcome",
            "opinion",
            "version",
            "urged_at",
            "urge_count",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ChoiceField(
            choices=["green", "yellow", "red", "paused", "stopped"],
            allow_null=True,
            help_text="办理时限状态：green 正常、yellow 预警、red 超期",
        )
    )
    def get_clock_status(self, task: WorkTask):
        return task.clock.status if task.clock_id else None


class CopySerializer(serializers.ModelSerializer):
    recipient = UserBriefSerializer(read_only=True)
    sender = UserBriefSerializer(read_only=True, allow_null=True)
    note_display = serializers.CharField(
        source="note_text",
        read_only=True,
        help_text="说明：系统写入的说明（如流程已办结）按请求的语言显示，抄送人填写的说明原样显示；note 为原文",
    )

    class Meta:
        model = CarbonCopy
        fields = ["id", "recipient", "sender", "note", "note_display", "created_at", "read_at", "comment"]
        read_only_fields = fields


class InstanceDetailSerializer(InstanceSerializer):
    data = serializers.JSONField(read_only=True)
    history = serializers.SerializerMethodField()
    tasks = serializers.SerializerMethodField()
    copies = serializers.SerializerMethodField()
    completed_elements = serializers.SerializerMethodField()
    active_elements = serializers.SerializerMethodField()

    class Meta(InstanceSerializer.Meta):
        fields = [
            *InstanceSerializer.Meta.fields,
            "data",
            "history",
            "tasks",
            "copies",
            "completed_elements",
            "active_elements",
        ]
        read_only_fields = fields

    @extend_schema_field(HistorySerializer(many=True))
    def get_history(self, instance):
        rows = instance.history.select_related("actor").order_by("at", "id")
        return HistorySerializer(rows, many=True).data

    @extend_schema_field(TaskBriefSerializer(many=True))
    def get_tasks(self, instance):
        rows = instance.tasks.select_related("assignee", "completed_by", "clock").order_by("created_at", "id")
        return TaskBriefSerializer(rows, many=True).data

    @extend_schema_field(CopySerializer(many=True))
    def get_copies(self, instance):
        rows = instance.copies.select_related("recipient", "sender").order_by("created_at", "id")
        return CopySerializer(rows, many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), help_text="已经过的 BPMN 元素"))
    def get_completed_elements(self, instance):
        from jiedao.workflow.selectors import diagram_state

        return diagram_state(instance)["completed"]

    @extend_schema_field(
        serializers.ListField(child=serializers.CharField(), help_text="当前所在的 BPMN 元素")
    )
    def get_active_elements(self, instance):
        from jiedao.workflow.selectors import diagram_state

        return diagram_state(instance)["active"]


# DRF's own words ("期望是包含类目的字典，得到类型为 “str”。") mean nothing to the person who filled the form.
FORM_DATA_ERRORS = {"not_a_dict": gettext_lazy("表单数据应为以字段标识为键的 JSON 对象。")}


class InstanceStartSerializer(serializers.Serializer):
    definition_key = serializers.CharField(max_length=64, help_text="流程标识，如 leave")
    org = serializers.IntegerField(required=False, help_text="在哪个组织节点发起；默认为您所在的节点")
    data = serializers.DictField(
        required=False,
        default=dict,
        help_text="开始表单数据：按开始表单校验，只保留表单声明的字段，其余的键忽略（流程没有开始表单时全部忽略）",
        error_messages=FORM_DATA_ERRORS,
    )
    title = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)


class InboxItemSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="task 待办/已办，instance 我发起的，copy 抄送")
    id = serializers.IntegerField(help_text="任务、流程实例或抄送的编号")
    instance = serializers.IntegerField(help_text="流程实例编号")
    title = serializers.CharField(help_text="流程实例标题")
    process = serializers.CharField(help_text="流程名称")
    step = serializers.CharField(help_text="环节名称（我发起的：当前环节）")
    status = serializers.CharField()
    status_display = serializers.CharField()
    created_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    clock_status = serializers.CharField(allow_null=True)
    due_provisional = serializers.BooleanField(
        help_text="办理时限涉及尚未录入国务院放假安排的年度，暂按周末和法定节日计算（录入后自动重新计算）"
    )
    read = serializers.BooleanField(allow_null=True, help_text="抄送是否已读")
    version = serializers.IntegerField(allow_null=True, help_text="任务版本（办理时回传，防止重复办理）")
    urged_at = serializers.DateTimeField(allow_null=True, help_text="待办最近一次被催办的时间")
    urge_count = serializers.IntegerField(help_text="待办被催办的次数")
    on_behalf_of = serializers.CharField(allow_null=True, help_text="流程代理：代其办理的委托人姓名")
    delegated_to = serializers.CharField(
        allow_null=True,
        help_text="待办中您已委派（委派给他人处理、办理后交回您决定）的任务：受委派人姓名；其余为 null",
    )


class InboxCountsSerializer(serializers.Serializer):
    todo = serializers.IntegerField(help_text="待办")
    done = serializers.IntegerField(help_text="已办")
    started = serializers.IntegerField(help_text="我发起的")
    cc = serializers.IntegerField(help_text="未读抄送")


class TaskDetailSerializer(TaskBriefSerializer):
    instance_title = serializers.CharField(source="instance.title", read_only=True)
    process = serializers.CharField(source="instance.definition.name", read_only=True)
    form = serializers.SerializerMethodField()
    data = serializers.SerializerMethodField()
    return_targets = serializers.SerializerMethodField()

    class Meta(TaskBriefSerializer.Meta):
        fields = [
            *TaskBriefSerializer.Meta.fields,
            "instance_title",
            "process",
            "form",
            "data",
            "return_targets",
            "form_data",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_form(self, task):
        return task.instance.definition.forms.get(task.form_key) if task.form_key else None

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_data(self, task):
        return task.instance.data

    @extend_schema_field(
        serializers.ListField(
            child=serializers.DictField(child=serializers.CharField()), help_text="可退回的环节"
        )
    )
    def get_return_targets(self, task):
        from jiedao.workflow.services import return_targets

        return [{"element_id": e, "name": n} for e, n in return_targets(task)]


class TaskCompleteSerializer(serializers.Serializer):
    form_data = serializers.DictField(
        required=False,
        default=dict,
        help_text="按任务表单（form-js）校验的数据",
        error_messages=FORM_DATA_ERRORS,
    )
    opinion = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)
    version = serializers.IntegerField(required=False, help_text="打开任务时的版本；不一致时拒绝（409）")


# The service's own words (`services.task_complete_batch`), said before a list too long is read further.
_lazy_batch_limit = lazy(lambda: gettext("一次最多批量审批 %(n)d 件，请分批办理。") % {"n": MAX_BATCH}, str)


class TaskBatchItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="任务编号")
    version = serializers.IntegerField(help_text="待办列表中该任务的版本；不一致时该件不办理")


class TaskBatchCompleteSerializer(serializers.Serializer):
    tasks = serializers.ListField(
        child=TaskBatchItemSerializer(),
        max_length=MAX_BATCH,
        error_messages={"max_length": _lazy_batch_limit()},
        help_text="要办理的待办（至多 50 件），每件带版本",
    )
    outcome = serializers.ChoiceField(
        choices=DECISIONS,
        error_messages={"invalid_choice": gettext_lazy("办理结果应为同意或不同意。")},
        help_text="approve 同意、reject 不同意",
    )
    opinion = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=2000, help_text="各件共用的办理意见"
    )


class TaskBatchResultSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="task_id", help_text="任务编号")
    title = serializers.CharField(help_text="流程标题；未找到的待办为空")
    step = serializers.CharField(help_text="环节名称；未找到的待办为空")
    done = serializers.BooleanField(help_text="true 已办理；false 未办理，该件未作任何改动")
    detail = serializers.CharField(source="message", help_text="未办理的中文原因")


class TaskBatchResponseSerializer(serializers.Serializer):
    done = serializers.IntegerField(help_text="已办理件数")
    refused = serializers.IntegerField(help_text="未办理件数")
    results = TaskBatchResultSerializer(many=True, help_text="按提交顺序逐件的结果")


class TaskReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="退回原因")
    to_element = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="退回到的环节，默认上一环节"
    )
    version = serializers.IntegerField(required=False)


class TaskTransferSerializer(serializers.Serializer):
    to_user = serializers.CharField(max_length=150, help_text="接收人的用户名")
    reason = serializers.CharField(max_length=2000, help_text="转办（委派）原因")
    version = serializers.IntegerField(required=False)


class InstanceReassignSerializer(serializers.Serializer):
    task = serializers.IntegerField(help_text="要改派的环节（本流程的一个待办任务）的编号")
    to_user = serializers.CharField(max_length=150, help_text="新办理人的用户名")
    reason = serializers.CharField(max_length=2000, help_text="改派原因")
    version = serializers.IntegerField(
        required=False, help_text="任务的版本；给出时，任务已有变化（已转办、认领等）则返回 409"
    )


class InstanceUrgeSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="催办说明（选填）"
    )


class InstanceCopySerializer(serializers.Serializer):
    recipients = serializers.ListField(
        child=serializers.CharField(max_length=150), help_text="抄送对象的用户名，最多 20 人"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, help_text="说明（选填）")


class CopyCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=500, help_text="阅知意见")


class TaskVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False)
