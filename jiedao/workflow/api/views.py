"""/api/v1/process-definitions/, /api/v1/process-instances/ and /api/v1/tasks/ (the caller's inbox)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from jiedao.accounts.models import User
from jiedao.core.api.viewsets import ScopedViewSetMixin
from jiedao.core.exceptions import ValidationFailed
from jiedao.orgs.models import OrgUnit
from jiedao.workflow import selectors, services
from jiedao.workflow.api import serializers as s
from jiedao.workflow.choices import DefinitionStatus, InstanceStatus
from jiedao.workflow.models import CarbonCopy, ProcessDefinition, ProcessInstance, WorkTask


def _errors(*codes: int) -> dict:
    labels = {
        400: gettext_lazy("输入有误（中文字段错误见 errors）"),
        403: gettext_lazy("没有权限"),
        404: gettext_lazy("不存在或不在您的管辖范围内"),
        409: gettext_lazy("冲突：任务已被他人办理或已变化"),
        429: gettext_lazy("操作过于频繁，请稍后再试"),
    }
    return {code: OpenApiResponse(response=s.ErrorSerializer, description=labels[code]) for code in codes}


ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="编号")


def _parse(serializer_class, request, context=None) -> dict:
    serializer = serializer_class(data=request.data, context=context or {})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _to_user(username: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationFailed({"to_user": [_("用户「%(u)s」不存在或已停用。") % {"u": username[:50]}]})
    return user


def _org(request, value) -> OrgUnit:
    if value is None:
        return request.user.org
    org = OrgUnit.objects.filter(pk=value).first()
    if org is None:
        raise ValidationFailed({"org": [_("组织节点不存在。")]})
    return org


# --- definitions -------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("流程定义列表"),
        description=gettext_lazy("您管辖范围内的流程定义，以及本节点和上级节点已发布、您可以发起的流程。"),
        parameters=[
            OpenApiParameter("key", OpenApiTypes.STR, description=gettext_lazy("按流程标识筛选")),
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                enum=DefinitionStatus.values,
                description=gettext_lazy("按状态筛选"),
            ),
        ],
        responses={200: s.DefinitionSerializer(many=True), **_errors(400, 403)},
        tags=["workflow"],
    ),
    retrieve=extend_schema(
        summary=gettext_lazy("流程定义详情（含 BPMN 与表单）"),
        parameters=[ID],
        responses={200: s.DefinitionDetailSerializer, **_errors(403, 404)},
        tags=["workflow"],
    ),
    create=extend_schema(
        summary=gettext_lazy("发布流程（上传 BPMN）"),
        description=gettext_lazy(
            "校验后作为该流程在该节点的新版本发布；校验不通过时返回 400，errors.bpmn_xml 逐条列出问题（指明元素），"
            "不保存任何内容。Camunda 8 流程链接的表单（.form 文件）放在 form_files 中一并提交。"
            "需要 workflow.add_processdefinition 权限。"
        ),
        request=s.DefinitionDeploySerializer,
        responses={201: s.DefinitionDeployedSerializer, **_errors(400, 403, 404)},
        tags=["workflow"],
    ),
    destroy=extend_schema(
        summary=gettext_lazy("删除流程草稿"),
        description=gettext_lazy(
            "删除未发布的草稿（如误建或误导入的），记入审计日志。已发布或已停用的版本不能删除"
            "（返回 400，code 为 not_draft），请停用。需要 workflow.add_processdefinition 权限，"
            "且草稿在您的管辖范围内。"
        ),
        parameters=[ID],
        responses={204: None, **_errors(400, 403, 404)},
        tags=["workflow"],
    ),
)
class ProcessDefinitionViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    model = ProcessDefinition
    queryset = ProcessDefinition.objects.all()
    serializer_class = s.DefinitionSerializer
    lookup_value_regex = "[0-9]+"
    # Deleting a draft is the designer's right, as on the definitions page (`DefinitionDeleteView`).
    action_permissions = {"retire": "change", "destroy": "add"}

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return ProcessDefinition.objects.none()
        if self.action in ("list", "retrieve"):
            queryset = selectors.definitions_for(self.request.user)
        else:
            queryset = super().get_queryset()
        queryset = queryset.select_related("org", "deployed_by").order_by("key", "-version", "id")
        if self.action == "list":
            params = self.request.query_params
            if params.get("key"):
                queryset = queryset.filter(key=params["key"].strip())
            state = (params.get("status") or "").strip()
            if state:
                if state not in DefinitionStatus.values:
                    raise ValidationFailed({"status": [_("未知的状态。")]})
                queryset = queryset.filter(status=state)
            return queryset.defer("bpmn_xml", "forms")
        return queryset

    def get_serializer_class(self):
        return s.DefinitionDetailSerializer if self.action == "retrieve" else s.DefinitionSerializer

    def get_serializer(self, *args, **kwargs):
        if self.action == "list" and args:
            # 当前版本 for the whole page in one query, not one per row.
            context = kwargs.setdefault("context", self.get_serializer_context())
            context["current_ids"] = services.current_definition_ids(args[0])
        return super().get_serializer(*args, **kwargs)

    def required_permission(self) -> str:
        # Listing what one may start needs no definition permission: starting does.
        if self.action in ("list", "retrieve") and not self._can_view_definitions():
            return "workflow.add_processinstance"
        return super().required_permission()

    def _can_view_definitions(self) -> bool:
        from jiedao.core.scope import has_permission

        return has_permission(self.request.user, "workflow.view_processdefinition")

    def create(self, request):
        data = _parse(s.DefinitionDeploySerializer, request)
        definition = services.definition_deploy_xml(
            actor=request.user,
            org=_org(request, data.get("org")),
            bpmn_xml=data["bpmn_xml"],
            forms=data.get("forms") or {},
            form_files=[(each["name"], each["content"]) for each in data["form_files"]],
            name=data.get("name", ""),
            description=data.get("description", ""),
        )
        return Response(s.DefinitionDeployedSerializer(definition).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        services.definition_delete_draft(actor=request.user, definition=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary=gettext_lazy("停用流程版本"),
        description=gettext_lazy("不再发起新实例；运行中的实例继续办理。"),
        request=None,
        parameters=[ID],
        responses={200: s.DefinitionSerializer, **_errors(400, 403, 404)},
        tags=["workflow"],
    )
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        definition = services.definition_retire(actor=request.user, definition=self.get_object())
        return Response(s.DefinitionSerializer(definition).data)


# --- instances --------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("流程实例列表"),
        description=gettext_lazy("您管辖范围内的流程实例，以及您发起、办理过或被抄送的实例。"),
        parameters=[
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=InstanceStatus.values, description=gettext_lazy("按状态筛选")
            ),
            OpenApiParameter("key", OpenApiTypes.STR, description=gettext_lazy("按流程标识筛选")),
            OpenApiParameter("mine", OpenApiTypes.BOOL, description=gettext_lazy("true 只列我发起的")),
        ],
        responses={200: s.InstanceSerializer(many=True), **_errors(400, 403)},
        tags=["workflow"],
    ),
    retrieve=extend_schema(
        summary=gettext_lazy("流程实例详情（含办理记录）"),
        parameters=[ID],
        responses={200: s.InstanceDetailSerializer, **_errors(403, 404)},
        tags=["workflow"],
    ),
    create=extend_schema(
        summary=gettext_lazy("发起流程"),
        description=gettext_lazy(
            "按组织节点选用适用的流程版本（本节点的，或最近的上级节点发布的最新版本）。"
        ),
        request=s.InstanceStartSerializer,
        responses={201: s.InstanceDetailSerializer, **_errors(400, 403, 404)},
        tags=["workflow"],
    ),
)
class ProcessInstanceViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    model = ProcessInstance
    queryset = ProcessInstance.objects.all()
    serializer_class = s.InstanceSerializer
    lookup_value_regex = "[0-9]+"
    action_permissions = {"create": "add", "withdraw": "add", "retry": "change", "reassign": "change"}

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return ProcessInstance.objects.none()
        queryset = (
            selectors.instances_for(self.request.user)
            .select_related("definition", "org", "initiator", "content_type")
            .defer("state")
            .order_by("-started_at", "-id")
        )
        if self.action == "list":
            params = self.request.query_params
            state = (params.get("status") or "").strip()
            if state:
                if state not in InstanceStatus.values:
                    raise ValidationFailed({"status": [_("未知的状态。")]})
                queryset = queryset.filter(status=state)
            if params.get("key"):
                queryset = queryset.filter(definition__key=params["key"].strip())
            if (params.get("mine") or "").lower() in ("1", "true"):
                queryset = queryset.filter(initiator=self.request.user)
            queryset = queryset.defer("data")
        return queryset

    def get_serializer_class(self):
        return s.InstanceDetailSerializer if self.action == "retrieve" else s.InstanceSerializer

    def create(self, request):
        data = _parse(s.InstanceStartSerializer, request)
        instance = services.process_start(
            actor=request.user,
            definition_key=data["definition_key"],
            org=_org(request, data.get("org")),
            data=data.get("data") or {},
            title=data.get("title", ""),
            from_form=True,
        )
        return Response(s.InstanceDetailSerializer(instance).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("撤回（发起人）"),
        description=gettext_lazy("下一环节尚未办理时，退回发起人的环节；发起人没有自己的环节时撤销该流程。"),
        request=None,
        parameters=[ID],
        responses={200: s.InstanceDetailSerializer, **_errors(403, 404, 409)},
        tags=["workflow"],
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        instance = self.get_object()
        # The API's 撤回 keeps its documented meaning: back to the initiator's step when there is one to go
        # back to, otherwise the request is withdrawn (the UI offers the two as 撤回到我 and 撤销申请).
        if services.can_withdraw(instance, request.user) or instance.initiator_id != request.user.pk:
            instance = services.process_withdraw(actor=request.user, instance=instance)
        else:
            instance = services.process_revoke(actor=request.user, instance=instance)
        return Response(s.InstanceDetailSerializer(ProcessInstance.objects.get(pk=instance.pk)).data)

    @extend_schema(
        summary=gettext_lazy("恢复运行（运行异常的流程）"),
        description=gettext_lazy(
            "清除异常信息，流程恢复办理并重新执行当前环节（到期的定时事件、自动环节）。再次出错时流程仍为"
            "“运行异常”（status 为 failed），error 为新的异常原因。需要 workflow.change_processinstance 权限；"
            "流程不是运行异常状态时返回 409。"
        ),
        request=None,
        parameters=[ID],
        responses={200: s.InstanceDetailSerializer, **_errors(403, 404, 409)},
        tags=["workflow"],
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        instance = services.process_retry(actor=request.user, instance=self.get_object())
        return Response(s.InstanceDetailSerializer(ProcessInstance.objects.get(pk=instance.pk)).data)

    @extend_schema(
        summary=gettext_lazy("催办"),
        description=gettext_lazy(
            "提醒当前环节的办理人（已认领的办理人，否则全部候选人）尽快办理：待办标注“已催办”，有手机号码的"
            "办理人收到短信。发起人或有 workflow.change_processinstance 权限者可催办；同一流程 2 小时内只能"
            "催办一次（429）；流程未在运行时返回 409。返回被催办的待办。"
        ),
        request=s.InstanceUrgeSerializer,
        parameters=[ID],
        responses={200: s.TaskBriefSerializer(many=True), **_errors(400, 403, 404, 409, 429)},
        tags=["workflow"],
    )
    @action(detail=True, methods=["post"])
    def urge(self, request, pk=None):
        serializer = s.InstanceUrgeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        urged = services.process_urge(
            actor=request.user, instance=self.get_object(), note=serializer.validated_data.get("note", "")
        )
        tasks = WorkTask.objects.filter(pk__in=[task.pk for task in urged]).select_related(
            "assignee", "completed_by", "clock"
        )
        return Response(s.TaskBriefSerializer(tasks, many=True).data)

    @extend_schema(
        summary=gettext_lazy("改派（流程管理员）"),
        description=gettext_lazy(
            "把本流程的一个待办环节交由 to_user 办理，不论现在由谁办理：办理人不在岗又未设流程代理时使用。"
            "未认领的环节也可改派给一人。需要 workflow.change_processinstance 权限（403），流程须在管辖范围内"
            "（404）；对方须有权查看本流程，不能是发起人（其本人的环节除外），会签中不能是已签署人（400）；"
            "环节已办理或已取消、流程未在运行、或给出的 version 已过时时返回 409。办理记录中为“改派”"
            "（action 为 reassign）。返回改派后的任务。"
        ),
        request=s.InstanceReassignSerializer,
        parameters=[ID],
        responses={200: s.TaskBriefSerializer, **_errors(400, 403, 404, 409)},
        tags=["workflow"],
    )
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        data = _parse(s.InstanceReassignSerializer, request)
        instance = self.get_object()
        task = instance.tasks.filter(pk=data["task"]).first()
        if task is None:
            raise ValidationFailed({"task": [_("该流程没有这一环节。")]})
        if data.get("version") is not None:
            task.version = data["version"]
        task = services.task_reassign(
            actor=request.user, task=task, to_user=_to_user(data["to_user"]), reason=data["reason"]
        )
        task = WorkTask.objects.select_related("assignee", "completed_by", "clock").get(pk=task.pk)
        return Response(s.TaskBriefSerializer(task).data)

    @extend_schema(
        summary=gettext_lazy("抄送（传阅）"),
        description=gettext_lazy(
            "把流程抄送给有权查看它的同事（用户名，最多 20 人）：对方的“抄送”中出现该流程，阅读后可填写阅知"
            "意见。发起人、办理过或正在办理该流程的人员、有 workflow.change_processinstance 权限者可抄送；"
            "已有未读抄送的人员不再重复抄送，全部重复时返回 409。返回新建的抄送。"
        ),
        request=s.InstanceCopySerializer,
        parameters=[ID],
        responses={201: s.CopySerializer(many=True), **_errors(400, 403, 404, 409)},
        tags=["workflow"],
    )
    @action(detail=True, methods=["post"])
    def copy(self, request, pk=None):
        data = _parse(s.InstanceCopySerializer, request)
        created = services.process_copy(
            actor=request.user,
            instance=self.get_object(),
            recipients=data["recipients"],
            note=data.get("note", ""),
        )
        copies = CarbonCopy.objects.filter(pk__in=[copy.pk for copy in created]).select_related(
            "recipient", "sender"
        )
        return Response(s.CopySerializer(copies, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("阅知（抄送给我的流程）"),
        description=gettext_lazy(
            "收到抄送的人员标记已阅，并填写阅知意见（写入办理记录）。每份抄送只能填写一次阅知意见；"
            "没有抄送给您、或已填写过时返回 409。"
        ),
        request=s.CopyCommentSerializer,
        parameters=[ID],
        responses={200: s.CopySerializer, **_errors(400, 404, 409)},
        tags=["workflow"],
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        data = _parse(s.CopyCommentSerializer, request)
        copy = services.copy_comment(actor=request.user, instance=self.get_object(), comment=data["comment"])
        return Response(s.CopySerializer(copy).data)


# --- the inbox -----------------------------------------------------------------------------------------------


def _task_item(task: WorkTask, user=None) -> dict:
    instance = task.instance
    # A step the user delegated (委派) and waits for: with whom it is.
    delegated = user is not None and task.owner_id == user.pk and task.is_open and task.assignee_id != user.pk
    return {
        "kind": "task",
        "id": task.pk,
        "instance": instance.pk,
        "title": instance.title,
        "process": instance.definition.name,
        "step": task.name,
        "status": task.status,
        "status_display": task.get_status_display(),
        "created_at": task.completed_at if task.completed_at else task.created_at,
        "due_at": task.due_at,
        "clock_status": task.clock.status if task.clock_id else None,
        "due_provisional": bool(task.clock_id and task.clock.due_provisional and task.completed_at is None),
        "read": None,
        "version": task.version,
        "urged_at": task.urged_at if task.completed_at is None else None,
        "urge_count": task.urge_count,
        "on_behalf_of": _name(task.on_behalf_of) if task.on_behalf_of_id else None,
        "on_behalf_of_id": task.on_behalf_of_id,  # the page's own use (not a serializer field)
        "delegated_to": _name(task.assignee) if delegated and task.assignee_id else None,
    }


def _name(user) -> str:
    return user.full_name or user.username


# An inbox row needs the process name only: not the definition's BPMN text and forms (kilobytes per row, the
# same for every row of a process), nor the instance's engine state and data.
_DEFINITION_BULK = ("bpmn_xml", "forms")


def inbox_items(user, box: str, *, q: str = "", key: str = "") -> tuple[QuerySet, callable]:
    """The queryset of one inbox tab and the function turning a row into an inbox item."""
    if box in ("todo", "done"):
        queryset = selectors.todo_tasks(user) if box == "todo" else selectors.done_tasks(user)
        queryset = queryset.select_related("instance__definition", "clock", "on_behalf_of", "assignee")
        if q:
            queryset = queryset.filter(instance__title__icontains=q)
        if key:
            queryset = queryset.filter(instance__definition__key=key)
        order = ("-created_at", "-id") if box == "todo" else ("-completed_at", "-id")
        deferred = ("instance__state", "instance__data", "form_data")
        deferred += tuple(f"instance__definition__{name}" for name in _DEFINITION_BULK)
        return queryset.defer(*deferred).order_by(*order), lambda task: _task_item(task, user)
    if box == "started":
        queryset = selectors.started_instances(user).select_related("definition")
        if q:
            queryset = queryset.filter(title__icontains=q)
        if key:
            queryset = queryset.filter(definition__key=key)

        def started_item(instance):
            return {
                "kind": "instance",
                "id": instance.pk,
                "instance": instance.pk,
                "title": instance.title,
                "process": instance.definition.name,
                "step": instance.current_step_names,
                "status": instance.status,
                "status_display": instance.get_status_display(),
                "created_at": instance.started_at,
                "due_at": None,
                "clock_status": None,
                "due_provisional": False,
                "read": None,
                "version": None,
                "urged_at": None,
                "urge_count": 0,
                "on_behalf_of": None,
                "delegated_to": None,
            }

        deferred = ("state", "data", *(f"definition__{name}" for name in _DEFINITION_BULK))
        return queryset.defer(*deferred).order_by("-started_at", "-id"), started_item
    queryset = selectors.copies(user).select_related("instance__definition")
    if q:
        queryset = queryset.filter(instance__title__icontains=q)
    if key:
        queryset = queryset.filter(instance__definition__key=key)

    def copy_item(copy):
        instance = copy.instance
        return {
            "kind": "copy",
            "id": copy.pk,
            "instance": instance.pk,
            "title": instance.title,
            "process": instance.definition.name,
            "step": copy.note_text or instance.current_step_names,
            "status": instance.status,
            "status_display": instance.get_status_display(),
            "created_at": copy.created_at,
            "due_at": None,
            "clock_status": None,
            "due_provisional": False,
            "read": copy.read_at is not None,
            "version": None,
            "urged_at": None,
            "urge_count": 0,
            "on_behalf_of": None,
            "delegated_to": None,
        }

    deferred = (
        "instance__state",
        "instance__data",
        *(f"instance__definition__{n}" for n in _DEFINITION_BULK),
    )
    return queryset.defer(*deferred).order_by("-created_at", "-id"), copy_item


TASK_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="任务编号")


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("我的待办 / 已办 / 我发起的 / 抄送"),
        parameters=[
            OpenApiParameter(
                "box",
                OpenApiTypes.STR,
                enum=list(selectors.BOXES),
                description=gettext_lazy("todo 待办（默认）、done 已办、started 我发起的、cc 抄送给我的"),
            ),
            OpenApiParameter("q", OpenApiTypes.STR, description=gettext_lazy("标题关键字")),
            OpenApiParameter("key", OpenApiTypes.STR, description=gettext_lazy("流程标识")),
        ],
        responses={200: s.InboxItemSerializer(many=True), **_errors(400)},
        tags=["workflow-tasks"],
    ),
    retrieve=extend_schema(
        summary=gettext_lazy("任务详情（含表单与流程数据）"),
        parameters=[TASK_ID],
        responses={200: s.TaskDetailSerializer, **_errors(404)},
        tags=["workflow-tasks"],
    ),
)
class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own tasks. Not an org-scoped list: a task is the caller's because they are its assignee or
    candidate (or handled it); supervisors with ``workflow.view_worktask`` may also open tasks in their scope."""

    scope_exempt = (
        "the caller's own tasks (assignee, candidate, handler); lookups go through selectors.tasks_for"
    )
    serializer_class = s.TaskDetailSerializer
    queryset = WorkTask.objects.none()
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WorkTask.objects.none()
        return selectors.tasks_for(self.request.user).select_related(
            "instance__definition", "assignee", "completed_by", "clock"
        )

    def list(self, request):
        box = (request.query_params.get("box") or "todo").strip()
        if box not in selectors.BOXES:
            raise ValidationFailed({"box": [_("应为 todo、done、started 或 cc。")]})
        queryset, to_item = inbox_items(
            request.user,
            box,
            q=(request.query_params.get("q") or "").strip()[:100],
            key=(request.query_params.get("key") or "").strip()[:64],
        )
        page = self.paginate_queryset(queryset)
        items = [to_item(row) for row in page]
        return self.get_paginated_response(s.InboxItemSerializer(items, many=True).data)

    @extend_schema(
        summary=gettext_lazy("各栏数量"),
        responses={200: s.InboxCountsSerializer},
        tags=["workflow-tasks"],
    )
    @action(detail=False, methods=["get"])
    def counts(self, request):
        return Response(selectors.counts(request.user))

    @extend_schema(
        summary=gettext_lazy("批量审批"),
        description=gettext_lazy(
            "以同一办理结果（同意 / 不同意）和意见一并办理多件本人的待办，至多 50 件，每件带待办列表中的版本。"
            "只有表单除同意 / 不同意外没有其他必填项的待办可以批量办理。各件逐件办理、各自校验版本：某件已被他人"
            "办理、已被退回或已变化时，该件不办理（不作任何改动），其他各件照常办理；返回 200，results 逐件说明"
            "已办理或未办理的原因（detail）。不是本人的待办按“未找到”拒绝。"
        ),
        request=s.TaskBatchCompleteSerializer,
        responses={200: s.TaskBatchResponseSerializer, **_errors(400)},
        tags=["workflow-tasks"],
    )
    @action(detail=False, methods=["post"], url_path="batch-complete")
    def batch_complete(self, request):
        data = _parse(s.TaskBatchCompleteSerializer, request)
        results = services.task_complete_batch(
            actor=request.user,
            versions={item["id"]: item["version"] for item in data["tasks"]},
            outcome=data["outcome"],
            opinion=data.get("opinion", ""),
        )
        done = sum(1 for result in results if result.done)
        body = {"done": done, "refused": len(results) - done, "results": results}
        return Response(s.TaskBatchResponseSerializer(body).data)

    def _task(self, request, version_data=None) -> WorkTask:
        task = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        if version_data and version_data.get("version") is not None:
            task.version = version_data["version"]
        return task

    def _respond(self, task: WorkTask) -> Response:
        fresh = self.get_queryset().filter(pk=task.pk).first() or WorkTask.objects.get(pk=task.pk)
        return Response(s.TaskDetailSerializer(fresh).data)

    @extend_schema(
        summary=gettext_lazy("认领"),
        request=s.TaskVersionSerializer,
        parameters=[TASK_ID],
        responses={200: s.TaskDetailSerializer, **_errors(403, 404, 409)},
        tags=["workflow-tasks"],
    )
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        data = _parse(s.TaskVersionSerializer, request)
        return self._respond(services.task_claim(actor=request.user, task=self._task(request, data)))

    @extend_schema(
        summary=gettext_lazy("放弃认领"),
        request=s.TaskVersionSerializer,
        parameters=[TASK_ID],
        responses={200: s.TaskDetailSerializer, **_errors(400, 403, 404, 409)},
        tags=["workflow-tasks"],
    )
    @action(detail=True, methods=["post"])
    def unclaim(self, request, pk=None):
        data = _parse(s.TaskVersionSerializer, request)
        return self._respond(services.task_unclaim(actor=request.user, task=self._task(request, data)))

    @extend_schema(
        summary=gettext_lazy("办理（提交表单）"),
        description=gettext_lazy(
            "表单数据按任务的 form-js 表单在服务端校验，错误按字段返回（400）；任务已被他人办理时返回 409，"
            "detail 说明由谁办理。"
        ),
        request=s.TaskCompleteSerializer,
        parameters=[TASK_ID],
        responses={200: s.TaskDetailSerializer, **_errors(400, 403, 404, 409)},
        tags=["workflow-tasks"],
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        data = _parse(s.TaskCompleteSerializer, request)
        task = services.task_complete(
            actor=request.user,
            task=self._task(request, data),
            form_data=data.get("form_data") or {},
            opinion=data.get("opinion", ""),
        )
        return self._respond(task)

    @extend_schema(
        summary=gettext_lazy("退回"),
        request=s.TaskReturnSerializer,
        parameters=[TASK_ID],
        responses={200: s.TaskDetailSerializer, **_errors(400, 403, 404, 409)},
        tags=["workflow-tasks"],
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        data = _parse(s.TaskReturnSerializer, request)
        task = services.task_return(
            actor=request.user,
            task=self._task(request, data),
            reason=data["reason"],
            to_element=data.get("to_element") or None,
        )
        return self._respond(task)

    @extend_schema(
        summary=gettext_lazy("转办"),
        request=s.TaskTransferSerializer,
        parameters=[TASK_ID],
        responses={200: s.TaskDetailSerializer, **_errors(400, 403, 404, 409)},
        tags=["workflow-tasks"],
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        data = _parse(s.TaskTransferSerializer, request)
        task = services.task_transfer(
            actor=request.user,
            task=self._task(request, data),
            to_user=_to_user(data["to_user"]),
            reason=data["reason"],
        )
        return self._respond(task)

    @extend_schema(
        summary=gettext_lazy("会签加签"),
        description=gettext_lazy(
            "请 to_user 一同会签本环节：新增一份会签任务，按本环节的会签规则（全部同意、任一同意、按比例）计票，"
            "其办理时限从加签时起算。会签人或有 workflow.change_processinstance 权限者可加签；不是会签环节、"
            "对方已在本会签中或无权查看本流程时返回 400；会签已结束时返回 409。返回新增的会签任务。"
        ),
        request=s.TaskTransferSerializer,
        parameters=[TASK_ID],
        responses={201: s.TaskBriefSerializer, **_errors(400, 403, 404, 409)},
        tags=["workflow-tasks"],
    )
    @action(detail=True, methods=["post"], url_path="add-signer")
    def add_signer(self, request, pk=None):
        data = _parse(s.TaskTransferSerializer, request)
        added = services.task_add_signer(
            actor=request.user,
            task=self._task(request, data),
            to_user=_to_user(data["to_user"]),
            reason=data["reason"],
        )
        added = WorkTask.objects.select_related("assignee", "completed_by", "clock").get(pk=added.pk)
        return Response(s.TaskBriefSerializer(added).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("委派（受托人办理后回到本人）"),
        request=s.TaskTransferSerializer,
        parameters=[TASK_ID],
        responses={200: s.TaskDetailSerializer, **_errors(400, 403, 404, 409)},
        tags=["workflow-tasks"],
    )
    @action(detail=True, methods=["post"])
    def delegate(self, request, pk=None):
        data = _parse(s.TaskTransferSerializer, request)
        task = services.task_delegate(
            actor=request.user,
            task=self._task(request, data),
            to_user=_to_user(data["to_user"]),
            reason=data["reason"],
        )
        return self._respond(task)
