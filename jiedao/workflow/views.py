"""Pages of the workflow engine: the inbox, task and instance pages, starting a process, and the designer.

The inbox and the task pages show the signed-in user's own work (a task is theirs because they are its
assignee or candidate, or handled it); lookups go through `selectors`, so a task or instance outside that
— and outside the user's data scope — is answered with 404.
"""

from __future__ import annotations

import json
import uuid

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from jiedao.core.exceptions import OutOfScope, PermissionDenied, ServiceError, ValidationFailed
from jiedao.core.scope import has_permission
from jiedao.core.views import ScopedListView, ScopedViewMixin
from jiedao.workcalendar.choices import CountingRule
from jiedao.workflow import bpmn, bpmn_import, formschema, opinions, proxies, selectors, services
from jiedao.workflow.api.views import inbox_items
from jiedao.workflow.choices import OPEN_TASK_STATUSES, DefinitionStatus, InstanceStatus, Outcome, TaskStatus
from jiedao.workflow.models import OpinionPhrase, ProcessDefinition, ProcessInstance, TaskProxy, WorkTask

DESIGNER_LABELS = {
    "id": gettext_lazy("标识"),
    "name": gettext_lazy("名称"),
    "assignee": gettext_lazy("办理人（initiator、user:用户名）"),
    "candidateGroups": gettext_lazy("候选组（role:角色代码、orgrole:角色代码@subdistrict，逗号分隔）"),
    "candidateUsers": gettext_lazy("候选人（用户名，逗号分隔）"),
    "pickRole": gettext_lazy("选择角色"),
    "pickAnchor": gettext_lazy("在哪一级找该角色"),
    "pickAdd": gettext_lazy("加入候选组"),
    "pickRolePlaceholder": gettext_lazy("（选择角色）"),
    "pickInitiator": gettext_lazy("发起人"),
    "formKey": gettext_lazy("表单"),
    "dueRule": gettext_lazy("办理时限计算方式"),
    "dueLimit": gettext_lazy("办理时限（数值）"),
    # the counting rules of the platform's time limits, by the attribute that carries each
    "dueWorkingDays": CountingRule.WORKING_DAYS.label,
    "dueDays": CountingRule.CALENDAR_DAYS.label,
    "dueHours": CountingRule.HOURS.label,
    "excludeInitiator": gettext_lazy("发起人不能办理本环节（不能审批自己的申请）"),
    "businessOnly": gettext_lazy("仅由办件发起（不在“发起流程”中列出，如网上办事事项的审批流程）"),
    "confidential": gettext_lazy(
        "仅经办人可见（如请销假等人事事项：流程实例只有发起人、办理人、抄送对象和流程管理员能查看）"
    ),
    "countersign": gettext_lazy("会签（每位候选人各办一份）"),
    "completion": gettext_lazy("会签规则：all 全部同意 / any 任一同意 / 比例如 0.6"),
    "action": gettext_lazy("动作"),
    "params": gettext_lazy("参数（JSON 对象，值可写 ${表达式}）"),
    "condition": gettext_lazy("条件（如 days > 3）"),
    "isDefault": gettext_lazy("默认连线"),
    "workingDays": gettext_lazy("定时：工作日数"),
    "timeDuration": gettext_lazy("定时：时长（如 P5D 自然日、PT4H 小时）"),
    "none": gettext_lazy("（无）"),
}
# Where an org-relative candidate group looks for the role's holders (bpmn.ANCHORS), as the designer offers
# them; "" is `role:<code>`, the nearest level up from the process's org that has holders.
DESIGNER_ANCHORS = (
    ("", gettext_lazy("就近（流程所属组织，没有则逐级向上）")),
    ("applicant_community", gettext_lazy("申请人所在社区")),
    ("applicant_subdistrict", gettext_lazy("申请人所在街道")),
    ("community", gettext_lazy("流程所属社区")),
    ("subdistrict", gettext_lazy("流程所属街道")),
    ("district", gettext_lazy("流程所属区")),
    ("org", gettext_lazy("流程所属组织（仅本级）")),
    ("parent", gettext_lazy("流程所属组织的上级")),
    ("initiator_org", gettext_lazy("发起人所在组织")),
)
INBOX_TABS = (
    ("todo", gettext_lazy("待办")),
    ("done", gettext_lazy("已办")),
    ("started", gettext_lazy("我发起的")),
    ("cc", gettext_lazy("抄送")),
)
INBOX_HEADINGS = {
    "todo": gettext_lazy("我的待办"),
    "done": gettext_lazy("我的已办"),
    "started": gettext_lazy("我发起的"),
    "cc": gettext_lazy("抄送我的"),
}
NEW_PROCESS_XML = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:jiedao="http://jiedao.org.cn/schema/bpmn/1.0" id="Definitions_{key}" targetNamespace="http://jiedao.org.cn/bpmn">
  <bpmn:process id="{key}" name="{name}" isExecutable="true">
    <bpmn:startEvent id="start" name="发起" />
    <bpmn:userTask id="approve" name="审批" camunda:candidateGroups="role:approver" />
    <bpmn:endEvent id="end" name="结束" />
    <bpmn:sequenceFlow id="flow_1" sourceRef="start" targetRef="approve" />
    <bpmn:sequenceFlow id="flow_2" sourceRef="approve" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_{key}">
    <bpmndi:BPMNPlane id="Plane_{key}" bpmnElement="{key}">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="152" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="approve_di" bpmnElement="approve"><dc:Bounds x="250" y="80" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="412" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="flow_1_di" bpmnElement="flow_1"><di:waypoint x="188" y="120" /><di:waypoint x="250" y="120" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="flow_2_di" bpmnElement="flow_2"><di:waypoint x="350" y="120" /><di:waypoint x="412" y="120" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def _service_error_message(error: ServiceError) -> list[str]:
    if isinstance(error, ValidationFailed):
        return [str(m) for messages_ in error.errors.values() for m in messages_]
    return [str(error.message)]


def _run(request, call):
    """Run a service call from a page; None on success, else the Chinese messages (404/403 are raised)."""
    try:
        call()
    except OutOfScope:
        raise Http404(_("未找到该记录，或该记录不在您的管辖范围内。")) from None
    except PermissionDenied as error:
        raise DjangoPermissionDenied(str(error.message)) from None
    except ServiceError as error:
        return _service_error_message(error)
    return None


def _call(request, call):
    """Like `_run`, for a service call whose result the page needs: (result, None) or (None, messages)."""
    result = []
    errors = _run(request, lambda: result.append(call()))
    return (None, errors) if errors else (result[0], None)


def _designer_error(errors) -> JsonResponse:
    return JsonResponse({"ok": False, "errors": errors}, status=400)


def _designer_body(request) -> dict | JsonResponse:
    """The designer's JSON body as a dict, or the JSON error answer the designer shows."""
    try:
        body = json.loads(request.body or b"{}")
    except RequestDataTooBig:
        # Above the platform's request limit (DATA_UPLOAD_MAX_MEMORY_SIZE): said here, in the designer's
        # JSON, instead of the platform's HTML "Bad Request" page the designer cannot show.
        return _designer_error([_("流程过大：BPMN 与表单合计不能超过 2 MB。")])
    except ValueError:
        return _designer_error([_("请求格式不正确。")])
    if not isinstance(body, dict):
        return _designer_error([_("请求格式不正确。")])
    return body


# --- the inbox ------------------------------------------------------------------------------------------------


class InboxView(LoginRequiredMixin, TemplateView):
    scope_exempt = "the signed-in user's own tasks, started instances and copies"
    template_name = "workflow/inbox.html"

    def get_template_names(self):
        # The tabs, the filter form, pagination and the 30-second refresh all target #inbox-body and get
        # only that part back (with the tabs and the form's box field out of band); anything else — a plain
        # GET without scripts, or htmx restoring a page from history — gets the whole page.
        htmx = getattr(self.request, "htmx", None)
        if htmx and htmx.target in (None, "inbox-body") and not htmx.history_restore_request:
            return ["workflow/_inbox_body.html"]
        return [self.template_name]

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        patch_vary_headers(response, ("HX-Request", "HX-Target", "HX-History-Restore-Request"))
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        box = self.request.GET.get("box", "todo")
        if box not in selectors.BOXES:
            box = "todo"
        q = self.request.GET.get("q", "").strip()[:100]
        key = self.request.GET.get("key", "").strip()[:64]
        queryset, to_item = inbox_items(user, box, q=q, key=key)
        page = Paginator(queryset, 30).get_page(self.request.GET.get("page"))
        items = [to_item(row) for row in page.object_list]
        batchable = False
        if box == "todo":  # a step sent back to the user says so in the list too
            reopened = selectors.reopened_by_return(page.object_list)
            refusals = selectors.batch_refusals(page.object_list)
            for item in items:
                item["returned"] = item["id"] in reopened
                item["batch_refusal"] = (
                    _("已委派，交回后办理") if item["delegated_to"] else refusals.get(item["id"])
                )
            batchable = any(item["batch_refusal"] is None for item in items)
        counts = selectors.filtered_counts(user, q=q, key=key)
        context.update(
            box=box,
            heading=INBOX_HEADINGS[box],
            filtered=bool(q or key),
            q=q,
            key=key,
            items=items,
            page_obj=page,
            total=page.paginator.count,  # counted already by get_page
            tabs=[(value, label, counts[value]) for value, label in INBOX_TABS],
            processes=[(d.key, d.name) for d in services.deployed_definitions(user.org)],
            can_start=has_permission(user, "workflow.add_processinstance"),
            batchable=batchable,
            phrases=opinions.phrases_for(user) if batchable else [],
            max_batch=services.MAX_BATCH,
        )
        return context


class BatchCompleteView(LoginRequiredMixin, View):
    """批量审批 from the 待办 list: the ticked steps (``task`` = "<id>:<version>") with one outcome and opinion."""

    scope_exempt = "the signed-in user's own tasks; the service looks them up via selectors.involved_tasks"

    def post(self, request):
        versions: dict[int, int] = {}
        for value in request.POST.getlist("task")[: services.MAX_BATCH + 1]:
            task_id, _sep, version = value.partition(":")
            if task_id.isdigit() and version.isdigit():
                versions[int(task_id)] = int(version)
        outcome = request.POST.get("outcome", "")
        opinion = request.POST.get("opinion", "").strip() or request.POST.get("phrase", "")
        results, errors = _call(
            request,
            lambda: services.task_complete_batch(
                actor=request.user, versions=versions, outcome=outcome, opinion=opinion
            ),
        )
        if errors:
            for message in errors:
                messages.error(request, message)
            return HttpResponseRedirect(reverse("workflow:inbox"))
        context = {
            "done": [r for r in results if r.done],
            "refused": [r for r in results if not r.done],
            "outcome": Outcome(outcome).label,
            "opinion": opinion.strip()[:2000],
        }
        return render(request, "workflow/batch_result.html", context)


# --- tasks ---------------------------------------------------------------------------------------------------


def _task_or_404(user, pk) -> WorkTask:
    return get_object_or_404(
        selectors.tasks_for(user).select_related(
            "instance__definition",
            "instance__initiator",
            "instance__org",
            "assignee",
            "completed_by",
            "clock",
            "owner",
        ),
        pk=pk,
    )


class TaskDetailView(LoginRequiredMixin, View):
    scope_exempt = "a task of the signed-in user (or in their scope with workflow.view_worktask), via selectors.tasks_for"

    def get(self, request, pk):
        try:
            task = _task_or_404(request.user, pk)
        except Http404:
            # A holder whose step an administrator 改派'd follows an old link (an SMS, the history): say to whom.
            moved = services.reassigned_away(request.user, pk)
            if moved is None:
                raise
            messages.warning(request, moved)
            return HttpResponseRedirect(reverse("workflow:inbox"))
        return self.render(request, task)

    def render(self, request, task, *, errors=None, submitted=None, typed=None, status=200):
        instance = task.instance
        schema = instance.definition.forms.get(task.form_key) if task.form_key else None
        mine = services.may_act(request.user, task)
        # A task delegated (委派) to the user goes back to whoever delegated it: handled, not passed on.
        delegated_by = services.delegated_by(task, request.user) if mine else None
        # The initiator's own step (filling in, correcting after a 退回, reporting back) is no approval: no
        # 常用意见, opinion or 同意/不同意, and no 转办/委派 offered — a plain 提交 of the form.
        own_step = services.is_initiator_step(bpmn.model_for(instance.definition), task.element_id)
        initial = selectors.task_initial(task, schema)
        if submitted:
            initial.update(submitted)
        context = {
            "task": task,
            "instance": instance,
            "schema": schema,
            "initial": initial,
            "readonly": not mine,
            "may_act": mine,
            "can_claim": mine and task.assignee_id is None,
            "can_unclaim": mine
            and task.assignee_id == request.user.pk
            and not task.countersign
            and task.candidates.count() > 1,
            "return_targets": services.return_targets(task) if mine and delegated_by is None else [],
            "delegated_by": delegated_by,
            # The user delegated it and waits for it to come back.
            "delegated_to": task.assignee
            if task.is_open and task.owner_id == request.user.pk and task.assignee_id != request.user.pk
            else None,
            "may_hand_on": mine and delegated_by is None and not own_step,
            "own_step": own_step,
            "history": instance.history.select_related("actor").order_by("at", "id"),
            "business_object_openable": selectors.business_object_for(request.user, instance) is not None,
            "errors": errors or [],
            # What was typed into the 退回, 加签 or 转办 form that was sent back, so the reason is not lost.
            "typed": typed or {},
            "returned": selectors.return_that_opened(task) if mine else None,
            "handover_choices": selectors.handover_choices(task, request.user)
            if mine and delegated_by is None
            else [],
            "phrases": opinions.phrases_for(request.user) if mine and not own_step else [],
            "field_labels": formschema.field_labels(schema),
            "data_rows": selectors.data_rows(
                instance.definition, instance.data, leave_out=formschema.editable_keys(schema)
            ),
        }
        return render(request, "workflow/task_detail.html", context, status=status)


class TaskActionView(LoginRequiredMixin, View):
    """POST /workflow/tasks/<pk>/<action>/: complete, claim, unclaim, return, transfer, delegate, add_signer."""

    scope_exempt = (
        "acts on a task of the signed-in user via selectors.tasks_for; the service checks the assignment"
    )
    ACTIONS = ("complete", "claim", "unclaim", "return", "transfer", "delegate", "add_signer")

    @staticmethod
    def _gone(request, message):
        messages.warning(request, message)
        return HttpResponseRedirect(reverse("workflow:inbox"))

    def post(self, request, pk, action):
        if action not in self.ACTIONS:
            raise Http404()
        try:
            task = _task_or_404(request.user, pk)
        except Http404:
            # Most often a page loaded while the step was still theirs, and it was transferred meanwhile. The
            # same words for any task out of reach: nothing is told about a task the user never had. A
            # holder whose step an administrator 改派'd is told to whom.
            return self._gone(
                request,
                services.reassigned_away(request.user, pk)
                or _("该任务已不在您的待办中（可能已转办给他人），请查看最新待办。"),
            )
        version = request.POST.get("version", "")
        if version.isdigit():
            task.version = int(version)
        submitted = None
        post = request.POST
        if action == "complete":
            try:
                submitted = json.loads(post.get("form_data") or "{}")
            except ValueError:
                submitted = None
            if not isinstance(submitted, dict):
                return TaskDetailView().render(request, task, errors=[_("表单数据格式不正确。")], status=400)

            # Without scripts the chosen 常用意见 is not put into the box: it is the opinion when the box is empty.
            opinion = post.get("opinion", "").strip() or post.get("phrase", "")

            def call():
                services.task_complete(actor=request.user, task=task, form_data=submitted, opinion=opinion)

            done = _("已办理：%(n)s。") % {"n": task.name}
        elif action == "claim":

            def call():
                services.task_claim(actor=request.user, task=task)

            done = _("已认领，请办理。")
        elif action == "unclaim":

            def call():
                services.task_unclaim(actor=request.user, task=task)

            done = _("已放弃认领。")
        elif action == "return":

            def call():
                services.task_return(
                    actor=request.user,
                    task=task,
                    reason=post.get("reason", ""),
                    to_element=post.get("to_element") or None,
                )

            done = _("已退回。")
        elif action == "add_signer":
            to_user = post.get("to_user", "")[:150]

            def call():
                added = services.task_add_signer(
                    actor=request.user, task=task, to_user=to_user, reason=post.get("reason", "")
                )
                messages.success(
                    request, _("已加签：%(u)s。") % {"u": added.assignee.full_name or added.assignee.username}
                )

            done = None
        else:
            to_user = post.get("to_user", "")[:150]  # the service says whether such a user exists
            service = services.task_transfer if action == "transfer" else services.task_delegate

            def call():
                service(actor=request.user, task=task, to_user=to_user, reason=post.get("reason", ""))

            done = _("已转办。") if action == "transfer" else _("已委派。")
        errors = _run(request, call)
        if errors:
            try:
                fresh = _task_or_404(request.user, pk)
            except Http404:  # transferred away while this request waited: the service said to whom
                return self._gone(request, errors[0])
            typed = {
                "action": action,
                "to_user": post.get("to_user", "")[:150],
                "reason": post.get("reason", "")[:2000],
            }
            return TaskDetailView().render(
                request, fresh, errors=errors, submitted=submitted, typed=typed, status=400
            )
        if done:
            messages.success(request, done)
        if action in ("claim", "unclaim", "add_signer"):
            return HttpResponseRedirect(reverse("workflow:task_detail", args=[task.pk]))
        return HttpResponseRedirect(reverse("workflow:inbox"))


# --- 常用意见 -----------------------------------------------------------------------------------------------


class OpinionPhraseListView(LoginRequiredMixin, View):
    """常用意见: the user's own phrases, in their order, and the form for a new one."""

    scope_exempt = "the signed-in user's own opinion phrases"

    def get(self, request, errors=None, text=""):
        context = {
            "phrases": opinions.phrases_for(request.user),
            "errors": errors or [],
            "text": text,
            "max_length": opinions.MAX_LENGTH,
            "max_count": opinions.MAX_PER_USER,
        }
        return render(request, "workflow/opinion_phrases.html", context, status=400 if errors else 200)

    def post(self, request):
        text = request.POST.get("text", "")
        errors = _run(request, lambda: opinions.phrase_add(actor=request.user, text=text))
        if errors:
            return self.get(request, errors=errors, text=text[: opinions.MAX_LENGTH * 2])
        messages.success(request, _("常用意见已添加。"))
        return HttpResponseRedirect(reverse("workflow:opinion_phrases"))


class OpinionPhraseActionView(LoginRequiredMixin, View):
    """POST /workflow/opinions/<pk>/<up|down|delete>/ on one of the user's own phrases."""

    scope_exempt = "the signed-in user's own opinion phrase (looked up by user)"

    def post(self, request, pk, action):
        phrase = get_object_or_404(OpinionPhrase, pk=pk, user=request.user)
        if action == "delete":
            opinions.phrase_delete(actor=request.user, phrase=phrase)
            messages.success(request, _("已删除常用意见「%(t)s」。") % {"t": phrase.text[:50]})
            return HttpResponseRedirect(reverse("workflow:opinion_phrases"))
        if action not in ("up", "down"):
            raise Http404()
        opinions.phrase_move(actor=request.user, phrase=phrase, up=action == "up")
        return HttpResponseRedirect(reverse("workflow:opinion_phrases") + f"#phrase-{phrase.pk}")


# --- instances -----------------------------------------------------------------------------------------------


def _instance_or_404(user, pk) -> ProcessInstance:
    return get_object_or_404(
        selectors.instances_for(user).select_related("definition", "org", "initiator"), pk=pk
    )


class InstanceDetailView(LoginRequiredMixin, View):
    scope_exempt = "an instance the user takes part in, or within their scope (selectors.instances_for)"

    def get(self, request, pk):
        instance = _instance_or_404(request.user, pk)
        services.copies_mark_read(actor=request.user, instance=instance)
        copies = list(instance.copies.select_related("recipient__org", "sender").order_by("created_at", "id"))
        mine = [copy for copy in copies if copy.recipient_id == request.user.pk]
        can_copy = services.can_copy(instance, request.user)
        can_reassign = services.can_reassign(instance, request.user)
        state = selectors.diagram_state(instance)
        context = {
            "instance": instance,
            "history": instance.history.select_related("actor").order_by("at", "id"),
            "tasks": instance.tasks.select_related("assignee", "completed_by", "clock").order_by(
                "created_at", "id"
            ),
            "data_rows": selectors.data_rows(instance.definition, instance.data),
            "documents": instance.documents.all(),
            "diagram": {"xml": instance.definition.bpmn_xml, **state},
            "diagram_steps": selectors.diagram_steps(instance, state),
            "can_withdraw": services.can_withdraw(instance, request.user),
            "can_revoke": services.can_revoke(instance, request.user),
            "can_retry": services.can_retry(instance, request.user),
            "can_urge": services.can_urge(instance, request.user),
            "copies": copies,
            "can_copy": can_copy,
            "copy_choices": selectors.copy_choices(instance, request.user) if can_copy else [],
            "copy_to_comment": next((copy for copy in reversed(mine) if not copy.comment), None),
            "can_reassign": can_reassign,
            "reassignable": list(
                instance.tasks.filter(status__in=OPEN_TASK_STATUSES)
                .select_related("assignee")
                .prefetch_related("candidates")
                .order_by("created_at", "id")
            )
            if can_reassign
            else [],
            "reassign_choices": selectors.reassign_choices(instance) if can_reassign else [],
            "my_tasks": [
                t
                for t in instance.tasks.filter(status__in=(TaskStatus.READY, TaskStatus.CLAIMED))
                if services.may_act(request.user, t)
            ],
        }
        return render(request, "workflow/instance_detail.html", context)


class InstanceDocumentView(LoginRequiredMixin, View):
    """A document the process generated, to whoever may see its instance."""

    scope_exempt = "a document of an instance the user may see (selectors.instances_for)"

    def get(self, request, pk, document_pk):
        instance = _instance_or_404(request.user, pk)
        document = get_object_or_404(instance.documents, pk=document_pk)
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=f"{document.title}-{instance.pk}.pdf",
            content_type="application/pdf",
        )
        response["Cache-Control"] = "private, no-store"
        return response


def _back_to_instance(request, instance: ProcessInstance, call, success):
    """Run a service call from the instance's page and go back to it, saying what went wrong (in Chinese) or
    `success` — a text, or a function of the call's result that words it."""
    result, errors = _call(request, call)
    if errors:
        for message in errors:
            messages.error(request, message)
    else:
        messages.success(request, success(result) if callable(success) else success)
    return HttpResponseRedirect(reverse("workflow:instance_detail", args=[instance.pk]))


def _names(users) -> str:
    return "、".join(user.full_name or user.username for user in users)


class InstanceWithdrawView(LoginRequiredMixin, View):
    scope_exempt = "the initiator's own instance; the service checks that the actor started it"

    def post(self, request, pk):
        instance = _instance_or_404(request.user, pk)
        return _back_to_instance(
            request,
            instance,
            lambda: services.process_withdraw(actor=request.user, instance=instance),
            _("已撤回到您的环节，可修改后重新提交。"),
        )


class InstanceRevokeView(LoginRequiredMixin, View):
    scope_exempt = "the initiator's own instance; the service checks that the actor started it"

    def post(self, request, pk):
        instance = _instance_or_404(request.user, pk)
        return _back_to_instance(
            request,
            instance,
            lambda: services.process_revoke(actor=request.user, instance=instance),
            _("申请已撤销。"),
        )


class InstanceUrgeView(LoginRequiredMixin, View):
    """催办 from the instance's page."""

    scope_exempt = (
        "an instance the user may open; the service checks initiator or workflow.change_processinstance"
    )

    def post(self, request, pk):
        instance = _instance_or_404(request.user, pk)
        return _back_to_instance(
            request,
            instance,
            lambda: services.process_urge(
                actor=request.user, instance=instance, note=request.POST.get("note", "")
            ),
            lambda urged: (
                _("已催办：%(steps)s。") % {"steps": "、".join(dict.fromkeys(task.name for task in urged))}
            ),
        )


class InstanceReassignView(LoginRequiredMixin, View):
    """改派 one open step of the instance, by an administrator of its processes, from the instance's page."""

    scope_exempt = "an instance the user may open; the service checks workflow.change_processinstance over it"

    def post(self, request, pk):
        instance = _instance_or_404(request.user, pk)
        # "<id>:<version>": the step as the page showed it, so a holder changed since is not overridden unseen.
        task_id, _sep, version = request.POST.get("task", "").partition(":")
        task = instance.tasks.filter(pk=task_id).first() if task_id.isdigit() else None
        if task is None:
            messages.error(request, _("请选择要改派的环节。"))
            return HttpResponseRedirect(reverse("workflow:instance_detail", args=[instance.pk]))
        if version.isdigit():
            task.version = int(version)
        task.instance = instance
        return _back_to_instance(
            request,
            instance,
            lambda: services.task_reassign(
                actor=request.user,
                task=task,
                to_user=request.POST.get("to_user", "")[:150],
                reason=request.POST.get("reason", ""),
            ),
            lambda reassigned: (
                _("已改派：“%(step)s”交由 %(who)s 办理。")
                % {"step": reassigned.name, "who": _names([reassigned.assignee])}
            ),
        )


class InstanceCopyView(LoginRequiredMixin, View):
    """抄送 (传阅) from the instance's page."""

    scope_exempt = "an instance the user may open; the service checks that the actor takes part in it"

    def post(self, request, pk):
        instance = _instance_or_404(request.user, pk)
        return _back_to_instance(
            request,
            instance,
            lambda: services.process_copy(
                actor=request.user,
                instance=instance,
                recipients=request.POST.getlist("recipients"),
                note=request.POST.get("note", ""),
            ),
            lambda created: _("已抄送：%(names)s。") % {"names": _names(copy.recipient for copy in created)},
        )


class CopyCommentView(LoginRequiredMixin, View):
    """阅知意见 on a copy the user received."""

    scope_exempt = "the signed-in user's own copy of an instance they may open"

    def post(self, request, pk):
        instance = _instance_or_404(request.user, pk)
        return _back_to_instance(
            request,
            instance,
            lambda: services.copy_comment(
                actor=request.user, instance=instance, comment=request.POST.get("comment", "")
            ),
            _("阅知意见已保存。"),
        )


class ProxyListView(LoginRequiredMixin, View):
    """流程代理: the user's own settings, the ones naming them as proxy, and the form for a new one."""

    scope_exempt = "the signed-in user's own proxy settings"

    def get(self, request, form=None):
        from jiedao.workflow.forms import ProxyForm

        user = request.user
        today = proxies.today()
        context = {
            "form": form
            or ProxyForm(candidates=proxies.proxy_candidates(user), initial={"starts_on": today}),
            "given": TaskProxy.objects.filter(principal=user).select_related("proxy")[:50],
            "received": TaskProxy.objects.filter(proxy=user, cancelled_at__isnull=True, ends_on__gte=today)
            .select_related("principal")
            .order_by("starts_on"),
            "today": today,
        }
        return render(request, "workflow/proxies.html", context, status=400 if form is not None else 200)

    def post(self, request):
        from jiedao.workflow.forms import ProxyForm

        form = ProxyForm(request.POST, candidates=proxies.proxy_candidates(request.user))
        if form.is_valid():
            data = form.cleaned_data
            try:
                proxies.proxy_set(
                    actor=request.user,
                    proxy=form.candidates.get(data["proxy"]),
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    reason=data["reason"],
                    hand_over_open=data["hand_over_open"],
                )
            except ValidationFailed as error:
                for field, messages_ in error.errors.items():
                    for message in messages_:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, _("流程代理已设置。"))
                return HttpResponseRedirect(reverse("workflow:proxies"))
        return self.get(request, form=form)


class ProxyCancelView(LoginRequiredMixin, View):
    scope_exempt = "the signed-in user's own proxy setting; the service checks the principal"

    def post(self, request, pk):
        setting = get_object_or_404(TaskProxy, pk=pk, principal=request.user)
        errors = _run(request, lambda: proxies.proxy_cancel(actor=request.user, setting=setting))
        for message in errors or []:
            messages.error(request, message)
        if not errors:
            messages.success(request, _("流程代理已取消。"))
        return HttpResponseRedirect(reverse("workflow:proxies"))


class InstanceRetryView(LoginRequiredMixin, View):
    """恢复运行 a failed instance (from its page or the list of failed instances)."""

    scope_exempt = "an instance the user may open; the service checks workflow.change_processinstance over it"

    def post(self, request, pk):
        instance = _instance_or_404(request.user, pk)
        retried, errors = _call(
            request, lambda: services.process_retry(actor=request.user, instance=instance)
        )
        if errors:
            for message in errors:
                messages.error(request, message)
        elif retried.status == InstanceStatus.FAILED:
            messages.error(request, _("恢复运行未成功，流程仍运行异常：%(r)s") % {"r": retried.error[:300]})
        else:
            messages.success(request, _("流程已恢复运行。"))
        back = request.POST.get("next", "")
        if back.startswith(reverse("workflow:instance_list")):
            return HttpResponseRedirect(back)
        return HttpResponseRedirect(reverse("workflow:instance_detail", args=[instance.pk]))


class InstanceListView(ScopedListView):
    model = ProcessInstance
    template_name = "workflow/instance_list.html"

    def get_queryset(self):
        queryset = (
            super().get_queryset().select_related("definition", "org", "initiator").defer("state", "data")
        )
        status = self.request.GET.get("status", "")
        if status in InstanceStatus.values:
            queryset = queryset.filter(status=status)
        q = self.request.GET.get("q", "").strip()
        if q:
            queryset = queryset.filter(title__icontains=q[:100])
        return queryset.order_by("-started_at", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            statuses=InstanceStatus.choices,
            current_status=self.request.GET.get("status", ""),
            q=self.request.GET.get("q", ""),
            # 运行异常: what an administrator of the processes has to look at, counted within the list's scope.
            failed_count=(
                super().get_queryset().filter(status=InstanceStatus.FAILED).count()
                if has_permission(user, services.PERM_CANCEL)
                else 0
            ),
        )
        for instance in context["object_list"]:
            instance.can_retry = services.can_retry(instance, user)
        return context


# --- starting ------------------------------------------------------------------------------------------------


class StartListView(ScopedViewMixin, TemplateView):
    permission = "workflow.add_processinstance"
    template_name = "workflow/start_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["definitions"] = services.startable_definitions(self.request.user.org)
        return context


class StartView(ScopedViewMixin, View):
    permission = "workflow.add_processinstance"

    def definition(self, key):
        definition = services.resolve_definition(key, self.request.user.org)
        if definition is None:
            raise Http404(_("没有可发起的该流程。"))
        return definition

    def render(self, request, definition, *, errors=None, submitted=None, status=200):
        from jiedao.workflow import bpmn

        model = bpmn.model_for(definition)
        schema = definition.forms.get(model.start_form_key) if model.start_form_key else None
        context = {
            "definition": definition,
            "schema": schema,
            "initial": submitted or {},
            "errors": errors or [],
            # kept when the form comes back with errors: nothing was started with it
            "start_token": request.POST.get("start_token") or uuid.uuid4().hex,
        }
        return render(request, "workflow/start.html", context, status=status)

    def get(self, request, key):
        return self.render(request, self.definition(key))

    def post(self, request, key):
        definition = self.definition(key)
        try:
            data = json.loads(request.POST.get("form_data") or "{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return self.render(request, definition, errors=[_("表单数据格式不正确。")], status=400)
        started = {}

        def call():
            try:
                started["instance"] = services.process_start(
                    actor=request.user,
                    definition_key=definition.key,
                    org=request.user.org,
                    data=data,
                    title=request.POST.get("title", ""),
                    start_token=request.POST.get("start_token", ""),
                    from_form=True,
                )
            except services.StartedAlready as again:  # the form sent twice: go where the first one went
                started["instance"], started["again"] = again.instance, again.message

        errors = _run(request, call)
        if errors:
            return self.render(request, definition, errors=errors, submitted=data, status=400)
        instance = started["instance"]
        if "again" in started:
            messages.info(request, started["again"])
        else:
            messages.success(request, _("已发起：%(t)s。") % {"t": instance.title})
        mine = selectors.todo_tasks(request.user).filter(instance=instance).first()
        if mine is not None:
            return HttpResponseRedirect(reverse("workflow:task_detail", args=[mine.pk]))
        return HttpResponseRedirect(reverse("workflow:instance_detail", args=[instance.pk]))


# --- definitions and the designer ----------------------------------------------------------------------------


class DefinitionListView(ScopedListView):
    model = ProcessDefinition
    template_name = "workflow/definition_list.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("org", "deployed_by")
            .defer("bpmn_xml", "forms")
            .order_by("key", "-version")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_design"] = has_permission(self.request.user, services.PERM_DEPLOY)
        # which version of each process is the one started (当前版本), the others deployed being superseded
        context["current_ids"] = services.current_definition_ids(context["object_list"])
        return context


class _DesignMixin(ScopedViewMixin):
    model = ProcessDefinition
    permission = "add"

    def get_definition(self, pk) -> ProcessDefinition:
        return get_object_or_404(self.get_queryset(), pk=pk)


class DefinitionCreateView(_DesignMixin, View):
    """POST: a new draft, from an uploaded .bpmn file (with the Camunda .form files it links, or a .zip of
    them) or from a minimal template."""

    def post(self, request):
        uploads = request.FILES.getlist("bpmn_file")
        if not uploads:
            key = request.POST.get("key", "").strip()
            name = request.POST.get("name", "").strip() or key
            from jiedao.workflow.bpmn import PROCESS_KEY_RE

            if not PROCESS_KEY_RE.match(key):
                messages.error(request, _("流程标识应以字母开头，只含字母、数字、下划线、点和连字符。"))
                return HttpResponseRedirect(reverse("workflow:definition_list"))
            from xml.sax.saxutils import escape

            xml = NEW_PROCESS_XML.replace("{key}", key).replace("{name}", escape(name, {'"': "&quot;"}))
        created = {}

        def call():
            forms: dict = {}
            if uploads:
                # A file from Flowable, Activiti or Camunda Modeler: in the platform's convention, with a
                # diagram if it had none, and what the administrator must fix said on the designer page.
                upload = bpmn_import.read_upload(uploads)
                created["import"] = services.definition_import(
                    actor=request.user,
                    org=request.user.org,
                    bpmn_xml=upload.xml,
                    form_files=upload.form_files,
                )
                xml_, forms = created["import"].xml, created["import"].forms
            else:
                xml_ = xml
            try:
                created["definition"] = services.definition_save_draft(
                    actor=request.user, org=request.user.org, bpmn_xml=xml_, forms=forms
                )
            except services.DraftExists as exists:
                created["exists"] = exists

        errors = _run(request, call)
        if errors:
            for message in errors:
                messages.error(request, message)
            return HttpResponseRedirect(reverse("workflow:definition_list"))
        if "exists" in created:
            # The open draft is kept; the message links to it so the work goes on there.
            exists = created["exists"]
            messages.error(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    exists.message,
                    reverse("workflow:definition_edit", args=[exists.draft.pk]),
                    _("打开草稿"),
                ),
            )
            return HttpResponseRedirect(reverse("workflow:definition_list"))
        conversion = created.get("import")
        if conversion is not None:
            for note in conversion.notes:
                messages.info(request, note)
            for problem in conversion.problems:
                messages.warning(request, problem)
        return HttpResponseRedirect(reverse("workflow:definition_edit", args=[created["definition"].pk]))


class DesignerView(_DesignMixin, View):
    def get(self, request, pk):
        definition = self.get_definition(pk)
        from jiedao.workflow import actions

        config = {
            "xml": definition.bpmn_xml,
            "forms": definition.forms or {},
            "editable": definition.status == DefinitionStatus.DRAFT,
            "saveUrl": reverse("workflow:definition_save", args=[definition.pk]),
            "deployUrl": reverse("workflow:definition_deploy", args=[definition.pk]),
            "importUrl": reverse("workflow:definition_import", args=[definition.pk]),
            "name": definition.name,
            "key": definition.key,
            "actions": [{"name": name, "label": label} for name, label in actions.choices()],
            "labels": {key: str(label) for key, label in DESIGNER_LABELS.items()},
            # the assignee picker: roles by their Chinese names, and where to look for their holders
            "roles": selectors.assignable_roles() if definition.status == DefinitionStatus.DRAFT else [],
            # and named people, for a step one person handles (办理人 user:<username>)
            "users": selectors.designer_user_choices(definition)
            if definition.status == DefinitionStatus.DRAFT
            else [],
            "anchors": [{"value": value, "label": str(label)} for value, label in DESIGNER_ANCHORS],
        }
        is_current = definition.pk in services.current_definition_ids([definition])
        return render(
            request,
            "workflow/designer.html",
            {"definition": definition, "config": config, "is_current": is_current},
        )


class DefinitionSaveView(_DesignMixin, View):
    """POST JSON {bpmn_xml, forms, name}: save the draft (and deploy it with ``deploy``)."""

    deploy = False

    def post(self, request, pk):
        definition = self.get_definition(pk)
        body = _designer_body(request)
        if isinstance(body, JsonResponse):
            return body

        def call():
            saved = services.definition_save_draft(
                actor=request.user,
                org=definition.org,
                bpmn_xml=str(body.get("bpmn_xml") or ""),
                forms=body.get("forms") or {},
                name=str(body.get("name") or definition.name),
                definition=definition,
            )
            if self.deploy:
                saved = services.definition_deploy(actor=request.user, definition=saved)
            return saved

        saved, errors = _call(request, call)
        if errors:
            return _designer_error(errors)
        message = _("已发布为第 %(v)d 版。") % {"v": saved.version} if self.deploy else _("草稿已保存。")
        if self.deploy and saved.version != definition.version:
            message = _(
                "已发布为第 %(v)d 版，现为当前版本：草稿原为第 %(old)d 版，其间已发布了更新的版本，版本号已顺延。"
            ) % {"v": saved.version, "old": definition.version}
        if self.deploy:
            messages.success(request, message)
            for warning in services.definition_warnings(saved):
                messages.warning(request, warning)
        return JsonResponse(
            {
                "ok": True,
                "message": message,
                "status": saved.status,
                "redirect": reverse("workflow:definition_edit", args=[saved.pk]),
            }
        )


class DefinitionImportView(_DesignMixin, View):
    """POST the designer's 导入 of a file, possibly from another modeler: the chosen files as ``bpmn_file``
    (multipart: a .bpmn with the Camunda .form files it links, or a .zip of them), or JSON {bpmn_xml}.
    Answers with the file in the platform's convention (and a diagram if it had none), the forms it carries,
    what was converted (``notes``) and what must be fixed before deploy (``problems``); nothing is saved."""

    def post(self, request, pk):
        definition = self.get_definition(pk)
        if request.FILES:
            upload, errors = _call(
                request, lambda: bpmn_import.read_upload(request.FILES.getlist("bpmn_file"))
            )
            if errors:
                return _designer_error(errors)
            bpmn_xml, form_files = upload.xml, upload.form_files
        else:
            body = _designer_body(request)
            if isinstance(body, JsonResponse):
                return body
            bpmn_xml, form_files = str(body.get("bpmn_xml") or ""), []
        conversion, errors = _call(
            request,
            lambda: services.definition_import(
                actor=request.user, org=definition.org, bpmn_xml=bpmn_xml, form_files=form_files
            ),
        )
        if errors:
            return _designer_error(errors)
        return JsonResponse(
            {
                "ok": True,
                "xml": conversion.xml,
                "forms": conversion.forms,
                "notes": conversion.notes,
                "problems": conversion.problems,
            }
        )


class DefinitionExportView(ScopedViewMixin, View):
    model = ProcessDefinition

    def get(self, request, pk):
        definition = get_object_or_404(self.get_queryset(), pk=pk)
        # The forms travel inside the file, so importing it gives back a process that deploys.
        content = formschema.embed_forms(definition.bpmn_xml, definition.forms or {})
        response = HttpResponse(content, content_type="application/xml; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{definition.key}-v{definition.version}.bpmn"'
        )
        return response


class DefinitionNewVersionView(_DesignMixin, View):
    def post(self, request, pk):
        definition = self.get_definition(pk)
        created, errors = _call(
            request, lambda: services.definition_new_version(actor=request.user, definition=definition)
        )
        if errors:
            for message in errors:
                messages.error(request, message)
            return HttpResponseRedirect(reverse("workflow:definition_list"))
        return HttpResponseRedirect(reverse("workflow:definition_edit", args=[created.pk]))


class DefinitionDeleteView(_DesignMixin, View):
    """POST: delete a draft (the list asks for confirmation first)."""

    def post(self, request, pk):
        definition = self.get_definition(pk)
        errors = _run(
            request, lambda: services.definition_delete_draft(actor=request.user, definition=definition)
        )
        for message in errors or []:
            messages.error(request, message)
        if not errors:
            messages.success(
                request,
                _("已删除草稿：%(name)s 第 %(v)d 版。") % {"name": definition.name, "v": definition.version},
            )
        return HttpResponseRedirect(reverse("workflow:definition_list"))


class DefinitionRetireView(ScopedViewMixin, View):
    model = ProcessDefinition
    permission = "change"

    def post(self, request, pk):
        definition = get_object_or_404(self.get_queryset(), pk=pk)
        errors = _run(request, lambda: services.definition_retire(actor=request.user, definition=definition))
        for message in errors or []:
            messages.error(request, message)
        if not errors:
            messages.success(request, _("已停用该版本；运行中的流程继续办理。"))
        return HttpResponseRedirect(reverse("workflow:definition_list"))
