"""Every write of the workflow engine.

Definitions: `definition_save_draft`, `definition_deploy`, `definition_deploy_xml`,
`definition_new_version`, `definition_delete_draft`, `definition_retire`.

Instances and tasks: `process_start`, `process_withdraw`, `process_revoke`, `process_cancel`, `task_claim`,
`task_unclaim`, `task_complete`, `task_complete_batch` (批量审批: one `task_complete` per task), `task_return`,
`task_transfer`, `task_delegate`, `task_reassign` (改派 by an administrator), `copies_mark_read`, the
periodic `fire_due_timers`, and `process_retry` (an administrator resumes an instance the engine marked failed).

Each step is one transaction: the instance row is locked (`select_for_update`), the Spiff workflow is
restored from the instance's state, the engine runs, the state is written back, the `WorkTask` rows are
brought in line with the engine's ready user tasks, and history and audit rows are written. A worker
killed in the middle leaves the instance at its last committed step.

Who may act on a task is decided by the task itself: its assignee, or — while nobody has claimed it — one
of its candidates. Starting a process needs ``workflow.add_processinstance`` over the org node it is
started in; deploying needs ``workflow.add_processdefinition`` over the definition's node.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import math
import sqlite3
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

from jiedao.accounts.models import User
from jiedao.audit import services as audit
from jiedao.core.exceptions import (
    Conflict,
    PermissionDenied,
    RateLimited,
    ServiceError,
    ValidationFailed,
)
from jiedao.core.i18n import Joined, Message, Text, for_record, in_records_language, records_language
from jiedao.core.scope import require, scope_for
from jiedao.orgs.models import OrgUnit
from jiedao.timelimits import services as timelimits
from jiedao.timelimits.choices import ClockStatus
from jiedao.workcalendar.services import CalendarNotCovered
from jiedao.workflow import audit_events as events
from jiedao.workflow import bpmn, bpmn_import, engine, formschema, selectors
from jiedao.workflow.assignment import AssignmentContext, AssignmentError, may_handle, resolve
from jiedao.workflow.choices import (
    OPEN_TASK_STATUSES,
    DefinitionStatus,
    HistoryAction,
    InstanceStatus,
    Outcome,
    TaskStatus,
)
from jiedao.workflow.models import CarbonCopy, ProcessDefinition, ProcessInstance, TaskHistory, WorkTask
from jiedao.workflow.proxies import with_proxies
from jiedao.workflow.signals import instance_finished, tasks_created

logger = logging.getLogger(__name__)

PERM_DEPLOY = "workflow.add_processdefinition"
PERM_RETIRE = "workflow.change_processdefinition"
PERM_START = "workflow.add_processinstance"
PERM_CANCEL = "workflow.change_processinstance"
CLOCK_KIND = "workflow.task"
ACTIVATION_KEY = "jiedao_activation"
SYSTEM_ACTOR_NAME = "system"
MAX_DATA_BYTES = 256 * 1024
DEFINITION_FIELDS = ["key", "name", "version", "status", "org", "deployed_at"]
# The Camunda .form files imported beside a document (Camunda 8 linked forms): (file name, text).
FormFiles = Iterable[tuple[str, str]]
# The instance columns a step writes (the rest of the row does not change after the start).
STEP_FIELDS = [
    "state",
    "data",
    "next_timer_at",
    "current_step_names",
    "status",
    "ended_at",
    "end_name",
    "title",
    "transient_failures",
    "retry_at",
    "updated_at",
]


# --- definitions -------------------------------------------------------------------------------------------


def _definition_errors(error: bpmn.BpmnError) -> ValidationFailed:
    return ValidationFailed({"bpmn_xml": error.messages}, code="invalid_bpmn")


def _unpack_forms(forms, bpmn_xml: str) -> tuple[str, dict]:
    """(document, forms) of what was given: the forms an exported file carries (see
    `formschema.embed_forms`) are taken out of the document and added to the forms (forms given by name
    win), then checked as `_check_forms` does."""
    try:
        bpmn_xml, embedded = formschema.split_forms(bpmn_xml)
    except formschema.EmbeddedFormsError as error:
        raise ValidationFailed(
            {"forms": [_("文件中的表单「%(f)s」不是有效的 JSON。") % {"f": str(error)[:64]}]}
        ) from None
    except bpmn.BpmnError:
        embedded = {}  # the document's own errors are reported where it is read
    checked = _check_forms(forms, bpmn_xml)
    return bpmn_xml, {**embedded, **checked}


def _check_forms(forms, bpmn_xml: str) -> dict:
    """The forms as a dict, with those generated from Camunda's camunda:formData added (forms given by
    name win)."""
    if forms in (None, ""):
        forms = {}
    if isinstance(forms, str):
        try:
            forms = json.loads(forms)
        except ValueError:
            raise ValidationFailed({"forms": [_("表单定义不是有效的 JSON。")]}) from None
    if not isinstance(forms, dict):
        raise ValidationFailed({"forms": [_("表单定义应为以表单标识为键的对象。")]})
    try:
        generated = bpmn.camunda_forms(bpmn_xml)
    except bpmn.BpmnError:
        generated = {}  # the document's own errors are reported where it is read
    return {**generated, **forms}


def _read_head(bpmn_xml: str) -> tuple[str, str]:
    """(process id, name) of a document, after the safety checks; raises ValidationFailed."""
    try:
        root = bpmn.parse_tree(bpmn_xml)
        _process, model, errors = bpmn.read_process(root)
    except bpmn.BpmnError as error:
        raise _definition_errors(error) from None
    if not bpmn.PROCESS_KEY_RE.match(model.process_id):
        raise ValidationFailed({"bpmn_xml": errors[:1] or [_("流程标识无效。")]}, code="invalid_bpmn")
    return model.process_id, model.name


def _next_version(org, key: str) -> int:
    latest = ProcessDefinition.objects.filter(org=org, key=key).aggregate(v=Max("version"))["v"]
    return (latest or 0) + 1


class DraftExists(Conflict):
    """A new draft (新建, 导入为草稿) of a process that already has one: the open draft is kept as it is and
    named, with its version, so the administrator opens it or deletes it first."""

    code = "draft_exists"

    def __init__(self, draft: ProcessDefinition):
        self.draft = draft
        super().__init__(
            _("流程「%(name)s」已有草稿第 %(v)d 版，请打开该草稿继续编辑，或先删除它。")
            % {"name": draft.name, "v": draft.version},
            code="draft_exists",
        )


def definition_save_draft(
    *,
    actor,
    org: OrgUnit,
    bpmn_xml: str,
    forms=None,
    name: str = "",
    description: str = "",
    definition: ProcessDefinition | None = None,
) -> ProcessDefinition:
    """Save a draft (a well-formed, safe document; full validation happens on deploy). Without
    `definition` it is a new draft: refused (`DraftExists`) when the process already has one, which would
    otherwise be overwritten and its work lost."""
    target_org = definition.org if definition is not None else org
    require(actor, PERM_DEPLOY, target_org)
    bpmn_xml, forms = _unpack_forms(forms, bpmn_xml)
    key, process_name = _read_head(bpmn_xml)
    name = (name or process_name or key).strip()[:100]
    with transaction.atomic():
        if definition is None:
            existing = (
                ProcessDefinition.objects.select_for_update()
                .filter(org=org, key=key, status=DefinitionStatus.DRAFT)
                .first()
            )
            if existing is not None:
                raise DraftExists(existing)
        else:
            definition = ProcessDefinition.objects.select_for_update().get(pk=definition.pk)
            if definition.status != DefinitionStatus.DRAFT:
                raise ServiceError(_("已发布或已停用的版本不能修改，请新建版本。"), code="not_draft")
            if definition.key != key:
                raise ValidationFailed(
                    {
                        "bpmn_xml": [
                            _("流程标识不能修改（原为「%(old)s」，现为「%(new)s」）。")
                            % {"old": definition.key, "new": key}
                        ]
                    }
                )
        if definition is None:
            definition = ProcessDefinition(
                org=org,
                key=key,
                version=_next_version(org, key),
                created_by=actor,
                status=DefinitionStatus.DRAFT,
            )
        definition.name, definition.description = name, (description or "").strip()[:500]
        definition.bpmn_xml, definition.forms = bpmn_xml, forms
        definition.save()
        audit.record(
            events.DEFINITION_SAVED,
            actor=actor,
            target=definition,
            after=audit.snapshot(definition, DEFINITION_FIELDS),
        )
    return definition


def _validated_model(
    bpmn_xml: str,
    forms: dict,
    *,
    actor,
    org,
    key_hint: str = "",
    conversion: bpmn_import.Conversion | None = None,
) -> bpmn.ProcessModel:
    """The checked model; refused (and audited) with the import problems of the file first, then the
    validation's own messages — without those about the handlers the import already reported, which would
    list the same problem twice (the import's message says what to do)."""
    messages: list[str] = list(conversion.problems if conversion else [])
    model = None
    try:
        model = bpmn.load(bpmn_xml, forms, reported=conversion.reported if conversion else ())
    except bpmn.BpmnError as error:
        messages.extend(m for m in error.messages if m not in messages)
    if messages:
        with transaction.atomic():
            audit.record(
                events.DEFINITION_DEPLOY_REFUSED,
                actor=actor,
                org=org,
                success=False,
                message="；".join(messages)[:500],
                after={"key": key_hint},
            )
        raise _definition_errors(bpmn.BpmnError(messages))
    return model


def _imported(bpmn_xml: str, forms: dict, form_files: FormFiles = ()) -> bpmn_import.Conversion:
    """A file from another engine (Flowable, Activiti, Camunda 7 or 8) in the platform's convention, with the
    forms it brought added (forms given by name win); `form_files` are the Camunda .form files (file name,
    text) imported with it, which its linked forms name. A document that is not safe, well-formed BPMN comes
    back as it is: its errors are reported where it is read. Form files over the import's limits are refused
    (ValidationFailed under `form_files`)."""
    bpmn_import.check_form_files(list(form_files))
    try:
        conversion = bpmn_import.convert(bpmn_xml, forms, form_files)
    except bpmn.BpmnError:
        return bpmn_import.Conversion(xml=bpmn_xml, forms=dict(forms))
    conversion.forms = {**conversion.forms, **forms}
    return conversion


def definition_import(
    *, actor, org: OrgUnit, bpmn_xml: str, forms=None, form_files: FormFiles = ()
) -> bpmn_import.Conversion:
    """What the designer's 导入 shows before anything is saved: the file converted from its modeler's
    extensions (with the Camunda .form files imported beside it), the forms it carries, what was converted
    and what the administrator must fix before deploy. Raises ValidationFailed for a file that is not safe,
    well-formed BPMN."""
    require(actor, PERM_DEPLOY, org)
    bpmn_xml, forms = _unpack_forms(forms, bpmn_xml)
    _read_head(bpmn_xml)
    return _imported(bpmn_xml, forms, form_files)


def definition_deploy(*, actor, definition: ProcessDefinition) -> ProcessDefinition:
    """Validate a draft and make it the deployed version; refused with Chinese messages naming the element."""
    require(actor, PERM_DEPLOY, definition.org)
    with transaction.atomic():
        locked = ProcessDefinition.objects.select_for_update().get(pk=definition.pk)
        if locked.status != DefinitionStatus.DRAFT:
            raise ServiceError(_("只有草稿可以发布。"), code="not_draft")
    saved_xml, saved_forms = locked.bpmn_xml, locked.forms
    # A draft saved through the API (or before imports were converted) may still carry another modeler's
    # extensions, which the engine would ignore: converted here like an import, or refused naming them.
    conversion = _imported(saved_xml, saved_forms)
    model = _validated_model(
        conversion.xml,
        conversion.forms,
        actor=actor,
        org=locked.org,
        key_hint=locked.key,
        conversion=conversion,
    )
    if model.process_id != locked.key:
        raise ValidationFailed({"bpmn_xml": [_("流程标识与草稿不一致。")]})
    with transaction.atomic():
        # The process's other versions are locked too: a deploy beside this one cannot take the same number.
        others = list(
            ProcessDefinition.objects.select_for_update()
            .filter(org=definition.org, key=definition.key)
            .exclude(pk=definition.pk)
            .values_list("version", flat=True)
        )
        locked = ProcessDefinition.objects.select_for_update().get(pk=definition.pk)
        if locked.status != DefinitionStatus.DRAFT:
            raise ServiceError(_("只有草稿可以发布。"), code="not_draft")
        if (locked.bpmn_xml, locked.forms) != (saved_xml, saved_forms):
            # Saved again while it was being validated: what was checked is not what would be deployed.
            raise Conflict(_("草稿刚被修改，请重新发布。"), code="draft_changed")
        if others and max(others) > locked.version:
            # A newer version was deployed while this draft was open (through the API, or an import): the
            # highest version is the one in use (`resolve_definition`), so the draft takes the next number
            # and its publication takes effect, instead of being deployed under a number nobody starts.
            locked.version = max(others) + 1
        locked.bpmn_xml, locked.forms = conversion.xml, conversion.forms
        locked.status = DefinitionStatus.DEPLOYED
        locked.deployed_by, locked.deployed_at = actor, timezone.now()
        locked.save()
        audit.record(
            events.DEFINITION_DEPLOYED,
            actor=actor,
            target=locked,
            after=audit.snapshot(locked, DEFINITION_FIELDS),
        )
    definition.refresh_from_db()
    return definition


def definition_deploy_xml(
    *,
    actor,
    org: OrgUnit,
    bpmn_xml: str,
    forms=None,
    form_files: FormFiles = (),
    name: str = "",
    description: str = "",
) -> ProcessDefinition:
    """Validate and deploy a document as the next version of its process at `org`, in one go (`form_files`:
    the Camunda .form files its linked forms name). Nothing is saved when validation fails."""
    require(actor, PERM_DEPLOY, org)
    bpmn_xml, forms = _unpack_forms(forms, bpmn_xml)
    # A file exported by another modeler is deployed in the platform's convention, or refused with what
    # could not be converted (never with an assignee silently dropped).
    conversion = _imported(bpmn_xml, forms, form_files)
    bpmn_xml, forms = conversion.xml, conversion.forms
    model = _validated_model(bpmn_xml, forms, actor=actor, org=org, conversion=conversion)
    with transaction.atomic():
        # Serialise concurrent deploys of the same process (the unique constraint is the last guard).
        list(ProcessDefinition.objects.select_for_update().filter(org=org, key=model.process_id))
        definition = ProcessDefinition.objects.create(
            org=org,
            key=model.process_id,
            name=(name or model.name or model.process_id).strip()[:100],
            description=(description or "").strip()[:500],
            version=_next_version(org, model.process_id),
            bpmn_xml=bpmn_xml,
            forms=forms,
            status=DefinitionStatus.DEPLOYED,
            created_by=actor,
            deployed_by=actor,
            deployed_at=timezone.now(),
        )
        audit.record(
            events.DEFINITION_DEPLOYED,
            actor=actor,
            target=definition,
            after=audit.snapshot(definition, DEFINITION_FIELDS),
        )
    return definition


def definition_warnings(definition: ProcessDefinition) -> list[str]:
    """What may stop requests of a deployed version without having stopped its deploy (said on publishing)."""
    return bpmn.publish_warnings(bpmn.model_for(definition))


def definition_new_version(*, actor, definition: ProcessDefinition) -> ProcessDefinition:
    """A draft copy of a deployed (or retired) version, to edit in the designer."""
    require(actor, PERM_DEPLOY, definition.org)
    existing = ProcessDefinition.objects.filter(
        org=definition.org, key=definition.key, status=DefinitionStatus.DRAFT
    ).first()
    if existing is not None:
        return existing
    return definition_save_draft(
        actor=actor,
        org=definition.org,
        bpmn_xml=definition.bpmn_xml,
        forms=copy.deepcopy(definition.forms),
        name=definition.name,
        description=definition.description,
    )


def definition_delete_draft(*, actor, definition: ProcessDefinition) -> None:
    """Delete a draft nobody needs (an accidental 新建 or import). A deployed or retired version stays:
    instances and the audit trail refer to it."""
    require(actor, PERM_DEPLOY, definition.org)
    with transaction.atomic():
        locked = ProcessDefinition.objects.select_for_update().get(pk=definition.pk)
        if locked.status != DefinitionStatus.DRAFT:
            raise ServiceError(_("只有未发布的草稿可以删除；已发布的版本请停用。"), code="not_draft")
        audit.record(
            events.DEFINITION_DELETED,
            actor=actor,
            target=locked,
            before=audit.snapshot(locked, DEFINITION_FIELDS),
        )
        locked.delete()


def current_definition_ids(definitions: Iterable[ProcessDefinition]) -> set[int]:
    """Of these definitions, those in use: the highest deployed version of its process at its own org node,
    the one `resolve_definition` gives there."""
    definitions = list(definitions)
    if not definitions:
        return set()
    latest = (
        ProcessDefinition.objects.filter(
            status=DefinitionStatus.DEPLOYED,
            org__in={d.org_id for d in definitions},
            key__in={d.key for d in definitions},
        )
        .values("org", "key")
        .annotate(top=Max("version"))
    )
    tops = {(row["org"], row["key"]): row["top"] for row in latest}
    return {
        d.pk
        for d in definitions
        if d.status == DefinitionStatus.DEPLOYED and tops.get((d.org_id, d.key)) == d.version
    }


def definition_retire(*, actor, definition: ProcessDefinition) -> ProcessDefinition:
    """No new instances of this version; running ones continue."""
    require(actor, PERM_RETIRE, definition)
    with transaction.atomic():
        locked = ProcessDefinition.objects.select_for_update().get(pk=definition.pk)
        if locked.status != DefinitionStatus.DEPLOYED:
            raise ServiceError(_("只有已发布的版本可以停用。"), code="not_deployed")
        locked.status = DefinitionStatus.RETIRED
        locked.save(update_fields=["status", "updated_at"])
        audit.record(events.DEFINITION_RETIRED, actor=actor, target=locked)
    definition.refresh_from_db()
    return definition


def resolve_definition(key: str, org: OrgUnit) -> ProcessDefinition | None:
    """The definition `key` that applies at `org`: the nearest node (the org itself, then its ancestors)
    that has deployed it, and there its latest deployed version."""
    nodes = [org, *reversed(list(org.ancestors()))]
    candidates = ProcessDefinition.objects.filter(
        key=key, status=DefinitionStatus.DEPLOYED, org__in=[n.pk for n in nodes]
    ).select_related("org")
    best = None
    for definition in candidates:
        rank = (len(definition.org.path), definition.version)
        if best is None or rank > best[0]:
            best = (rank, definition)
    return best[1] if best else None


def deployed_definitions(org: OrgUnit) -> list[ProcessDefinition]:
    """One deployed definition per key that applies at `org` (see `resolve_definition`), in 拼音 order."""
    nodes = [org, *reversed(list(org.ancestors()))]
    chosen: dict[str, tuple] = {}
    for definition in ProcessDefinition.objects.filter(
        status=DefinitionStatus.DEPLOYED, org__in=[n.pk for n in nodes]
    ).select_related("org"):
        rank = (len(definition.org.path), definition.version)
        if definition.key not in chosen or rank > chosen[definition.key][0]:
            chosen[definition.key] = (rank, definition)
    return sorted((d for _r, d in chosen.values()), key=lambda d: name_order(d.name))


def startable_definitions(org: OrgUnit) -> list[ProcessDefinition]:
    """The deployed definitions a person may start on 发起流程: those a business record starts (a
    service-hall application's, `jiedao:businessOnly`) are left out."""
    return [d for d in deployed_definitions(org) if not d.business_only]


def name_order(name: str) -> tuple[str, str]:
    """Sort key of a process name: in 拼音 order, as a Chinese office user looks for it (by code point 三部门…
    came before 临时救助… and 请销假 last)."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(name)).lower(), name


# --- one step ------------------------------------------------------------------------------------------------


def lock_instance(instance_id: int) -> ProcessInstance:
    """The instance row locked for one step (`select_for_update`), with its definition, org and initiator;
    every write to a running instance starts here, so steps on one instance run one after another."""
    # The BPMN text is only read to parse the definition, which `bpmn.model_for` caches per (immutable)
    # version; leaving it out spares fetching (and, on PostgreSQL, de-TOASTing) it on every step. On a
    # cache miss the deferred field is loaded with one extra query.
    return (
        ProcessInstance.objects.select_for_update(of=("self",))
        .select_related("definition", "org", "initiator")
        .defer("definition__bpmn_xml")
        .get(pk=instance_id)
    )


def actor_name(actor: User | None) -> str:
    """How a person is named in history rows and messages: the full name, else the username; 系统 for the
    engine itself (no actor, or an unsaved one)."""
    if actor is None or not getattr(actor, "pk", None):
        return _("系统")
    return actor.full_name or actor.username


def _history_row(
    instance: ProcessInstance,
    action: str,
    *,
    actor=None,
    task: WorkTask | None = None,
    opinion: str | Text = "",
    outcome: str = "",
    detail: dict | None = None,
    at: dt.datetime | None = None,
) -> TaskHistory:
    """An unsaved history row (see `_Step.history`, which writes a step's rows in one INSERT). An opinion the
    system writes is a `Message`, shown in each reader's language; a person's is the string they typed."""
    opinion, opinion_message = for_record(opinion)
    return TaskHistory(
        instance=instance,
        task=task,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        element_id=task.element_id if task else (detail or {}).get("element", ""),
        step_name=task.name if task else (detail or {}).get("step", ""),
        outcome=outcome,
        opinion=opinion,
        opinion_message=opinion_message,
        detail=detail or {},
        at=at or engine.now(),
    )


def record_history(instance: ProcessInstance, action: str, **kwargs) -> TaskHistory:
    """Write one history row now (steps that do not run the engine)."""
    row = _history_row(instance, action, **kwargs)
    row.save()
    return row


def _audit(event, *, actor, target, message="", before=None, after=None, success=True):
    audit.record(
        event,
        actor=actor,
        actor_name="" if getattr(actor, "pk", None) else SYSTEM_ACTOR_NAME,
        target=target,
        success=success,
        message=message[:500],
        before=before,
        after=after,
    )


def timer_name(model: bpmn.ProcessModel, spec) -> str | Message:
    """What the history calls a timer: its name; an unnamed one drawn on a step (the designer leaves
    them unnamed) as that step's time running out, never its generated id (Event_0oow06t)."""
    if spec.bpmn_name:
        return spec.bpmn_name
    element = model.element(spec.bpmn_id)
    step = model.element(element.attached_to) if element is not None and element.attached_to else None
    if step is not None:
        return Message(gettext_noop("%(step)s超时"), step=step.name or step.id)
    return Message(gettext_noop("定时等待"))


class EngineFailure(ServiceError):
    """A step the engine could not take, in the platform's words: the message answers whoever acted in their
    language, `text` is what an instance it stops keeps (each administrator reads it in theirs)."""

    def __init__(self, text: Text, *, code: str, configuration: bool = True):
        super().__init__(str(text), code=code)
        self.text = text
        # False when the data of this request was refused (by an action), not the process's drawing.
        self.configuration = configuration


class _Step:
    """Restore → run → sync → save, inside the caller's transaction.

    The history rows of a step are collected (`history`) and written with one INSERT by `finish`, in the
    order they were recorded, so their ids keep the order of events."""

    def __init__(self, instance: ProcessInstance, actor, moment: dt.datetime | None = None):
        self.instance = instance
        self.actor = actor
        self.moment = moment or engine.now()
        self.model = bpmn.model_for(instance.definition)
        self.context = engine.StepContext(
            instance=instance, actor=actor, model=self.model, moment=self.moment
        )
        self.workflow = engine.restore(instance.state, self.model, self.context) if instance.state else None
        self.new_tasks: list[WorkTask] = []
        # Shared with the step context, so an action (an approval sheet) sees this step's history too.
        self.pending_history: list[TaskHistory] = self.context.pending_history

    def spiff_task(self, task_id):
        try:
            return self.workflow.get_task_from_id(task_id)
        except Exception:
            return None

    #: How the open rows that the step leaves behind are noted in the history (action, actor, opinion);
    #: None: the process moved on without them.
    cancel_note: tuple[str, object, Message] | None = None

    def history(self, action: str, **kwargs) -> None:
        """Record a history row of this step; written by `write_history` / `finish`."""
        self.pending_history.append(_history_row(self.instance, action, **kwargs))

    def write_history(self) -> None:
        if self.pending_history:
            TaskHistory.objects.bulk_create(self.pending_history)
            self.pending_history.clear()

    def run(self, operation=None) -> None:
        """Run `operation(workflow)` (completing a task, resetting…) then the engine, turning engine errors into
        Chinese service errors. Timers that fired are recorded."""
        waiting = {t.id: t for t in engine.waiting_timers(self.workflow)}
        try:
            # Service tasks write records (SMS, notices, documents, registry entries): in the site's language.
            with records_language():
                if operation is not None:
                    operation(self.workflow)
                engine.run_engine(self.workflow)
        except engine.EngineError as error:
            raise EngineFailure(
                error.args[0],
                code="engine_error",
                configuration=not isinstance(error, engine.ActionFailed),
            ) from None
        except WorkflowException as error:
            raise EngineFailure(
                Message(gettext_noop("流程引擎出错：%(m)s"), m=str(error)[:300]), code="engine_error"
            ) from None
        waiting_at = engine.stuck_at(self.workflow)
        if waiting_at:
            raise EngineFailure(
                Message(
                    gettext_noop(
                        "流程在「%(n)s」处等待永远不会到达的分支，无法继续：请检查该汇合网关之前的分支（排他网关只走一条路）。"
                    ),
                    n=Joined(waiting_at),
                ),
                code="engine_error",
            )
        for task_id, task in waiting.items():
            if task.state == TaskState.COMPLETED and task_id not in self.context.fired_timers:
                self.context.fired_timers.append(task_id)
                self._record_timer(task)

    @in_records_language
    def _record_timer(self, task) -> None:
        """A timer that fired, in the history and the audit log."""
        name = timer_name(self.model, task.task_spec)
        opinion = Message(gettext_noop("定时事件「%(n)s」已触发。"), n=name)
        step, step_message = for_record(name)
        detail = {"element": task.task_spec.bpmn_id, "step": step, "timer": True}
        if step_message:
            detail["step_message"] = step_message
        self.history(HistoryAction.AUTO, opinion=opinion, detail=detail, at=self.moment)
        _audit(
            events.TIMER_FIRED,
            actor=None,
            target=self.instance,
            message=str(opinion),
            after={"element": task.task_spec.bpmn_id},
        )

    # --- bringing WorkTask rows in line ---------------------------------------------------------------

    def sync(self) -> list[str]:
        """Create rows for the newly ready user tasks and cancel the open rows whose user task is gone.

        Returns the names of the rows left open, oldest first: the one read of the open rows serves both
        this and the instance's `current_step_names`."""
        instance = self.instance
        ready = [] if self.workflow.is_completed() else engine.ready_user_tasks(self.workflow)
        active: set[str] = set()
        for spiff_task in ready:
            activation = spiff_task.internal_data.get(ACTIVATION_KEY)
            if activation is None:
                activation = str(uuid.uuid4())
                spiff_task.internal_data[ACTIVATION_KEY] = activation
                self._create_tasks(spiff_task, activation)
            active.add(activation)
        # Usually every open row is still active: read just (id, activation, name), and load the full rows
        # (with their clocks, in one query) only for those to cancel.
        open_names: list[str] = []
        stale: list[int] = []
        open_rows = (
            WorkTask.objects.filter(instance=instance, status__in=OPEN_TASK_STATUSES)
            .order_by("created_at", "id")
            .values_list("pk", "activation", "name")
        )
        for pk, activation, name in open_rows:
            if str(activation) in active:
                open_names.append(name)
            else:
                stale.append(pk)
        if stale:
            cancelled = (
                WorkTask.objects.filter(pk__in=stale).select_related("clock").order_by("created_at", "id")
            )
            action, actor, opinion = self.cancel_note or (
                HistoryAction.AUTO,
                None,
                Message(gettext_noop("流程已向前推进，该任务自动取消。")),
            )
            for task in cancelled:
                _close_task(task, TaskStatus.CANCELLED, moment=self.moment)
                self.history(action, actor=actor, task=task, opinion=opinion, at=self.moment)
        if self.new_tasks:
            announce_tasks(*self.new_tasks)
        return open_names

    def _create_tasks(self, spiff_task, activation: str) -> None:
        instance = self.instance
        element = self.model.element(spiff_task.task_spec.bpmn_id)
        if element is None:
            raise EngineFailure(
                Message(gettext_noop("流程定义中找不到环节「%(e)s」。"), e=spiff_task.task_spec.bpmn_id),
                code="engine_error",
            )
        context = AssignmentContext(org=instance.org, initiator=instance.initiator, data=spiff_task.data)
        try:
            assignee, candidates = resolve(element, context)
        except AssignmentError as error:
            raise EngineFailure(error.args[0], code="no_assignee") from None
        common = {
            "instance": instance,
            "org_id": instance.org_id,
            "spiff_task_id": spiff_task.id,
            "activation": activation,
            "element_id": element.id,
            "name": element.name or element.id,
            "form_key": element.form_key,
            "countersign": element.countersign,
            "created_by": self.actor if getattr(self.actor, "pk", None) else None,
        }
        if element.countersign:
            specs = [(user, [user]) for user in candidates]
        elif assignee is not None:
            specs = [(assignee, candidates)]
        elif len(candidates) == 1:
            specs = [(candidates[0], candidates)]
        else:
            specs = [(None, candidates)]
        self.new_tasks.extend(_insert_tasks(element, common, specs, actor=self.actor, moment=self.moment))

    # --- saving ---------------------------------------------------------------------------------------

    @in_records_language
    def finish(self) -> ProcessInstance:
        open_names = self.sync()
        self.write_history()
        instance, workflow = self.instance, self.workflow
        # The one serialisation of the step: the tree is dumped once, after the engine and the sync (which
        # stamps activation ids into the ready tasks).
        instance.state = engine.dump(workflow)
        old_data, instance.data = instance.data or {}, _current_data(workflow)
        _retitle(instance, old_data)
        completed = workflow.is_completed()
        instance.next_timer_at = None if completed else engine.next_timer(workflow)
        instance.current_step_names = "、".join(dict.fromkeys(open_names))[:500]
        # A step went through: a series of transient errors of the timer sweep is over.
        instance.transient_failures, instance.retry_at = 0, None
        if len(json.dumps(instance.data, ensure_ascii=False).encode()) > MAX_DATA_BYTES:
            raise ValidationFailed(_("流程数据过大。"))
        if completed and instance.status == InstanceStatus.RUNNING:
            instance.status = InstanceStatus.COMPLETED
            instance.ended_at = self.moment
            end = _reached_end(workflow, self.model)
            instance.end_name = end[1] if end else ""
            _audit(events.INSTANCE_COMPLETED, actor=self.actor, target=instance)
            _notify_initiator_of_end(instance, end, sender=self.actor, moment=self.moment)
            instance_id = instance.pk
            transaction.on_commit(
                lambda: instance_finished.send(
                    sender=ProcessInstance, instance_id=instance_id, status=InstanceStatus.COMPLETED
                )
            )
        instance.save(update_fields=STEP_FIELDS)
        for action in self.context.actions_run:
            _audit(events.ACTION_RUN, actor=self.actor, target=instance, after=action)
        return instance


def _insert_tasks(
    element: bpmn.Element, common: dict, specs, *, actor, moment: dt.datetime
) -> list[WorkTask]:
    """Rows for the (handler, candidates) `specs` of a step, after the running 流程代理 settings, each with
    its clock when the step has a time limit."""
    instance = common["instance"]
    specs = with_proxies(specs, org=instance.org, moment=moment)
    tasks = [
        WorkTask(
            assignee=handler,
            status=TaskStatus.CLAIMED if handler else TaskStatus.READY,
            on_behalf_of=principal,
            **common,
        )
        for handler, _users, principal in specs
    ]
    # One INSERT for the rows (a countersign has one per signer) and one for all their candidates: the
    # rows are new, so `candidates.set()` (which first reads the existing links) is not needed.
    # SQLite ≥ 3.35 and PostgreSQL return the new ids, which the candidate links need.
    WorkTask.objects.bulk_create(tasks)
    for task, (handler, users, _principal) in zip(tasks, specs, strict=True):
        task.handlers = [handler] if handler else list(users)
    through = WorkTask.candidates.through
    through.objects.bulk_create(
        [
            through(worktask_id=task.pk, user_id=user_id)
            for task, (_handler, users, _principal) in zip(tasks, specs, strict=True)
            for user_id in dict.fromkeys(user.pk for user in users)
        ]
    )
    if element.due_rule:
        for task in tasks:
            _start_clock(task, element, actor=actor, moment=moment)
    return tasks


def _start_clock(task: WorkTask, element: bpmn.Element, *, actor, moment: dt.datetime) -> None:
    try:
        clock = timelimits.clock_start(
            actor=actor if getattr(actor, "pk", None) else None,
            target=task,
            kind=CLOCK_KIND,
            rule=element.due_rule,
            limit=element.due_limit,
            org=task.instance.org,
            started_at=moment,
        )
    except CalendarNotCovered:
        logger.warning("no clock for workflow task %s: calendar year not covered", task.pk)
        return
    task.clock, task.due_at = clock, clock.due_at
    task.save(update_fields=["clock", "due_at"])


def _reached_end(workflow, model: bpmn.ProcessModel) -> tuple[str, str] | None:
    """(id, name) of the end event the finished process reached last: 未批准 and 请假结束 both end it; a
    side branch that ended earlier (a reminder after a timer) is not the outcome."""
    ends = []
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        element = model.element(getattr(task.task_spec, "bpmn_id", None) or "")
        if element is not None and element.type == "endEvent":
            ends.append((task.last_state_change, element))
    if not ends:
        return None
    element = max(ends, key=lambda pair: pair[0])[1]
    return element.id, (element.name or "")[:200]


def _notify_initiator_of_end(instance: ProcessInstance, end, *, sender, moment) -> None:
    """A copy (抄送) to the initiator saying how the process ended — unless an unread copy of it already
    waits for them (a process that copies its initiator as its last step)."""
    from jiedao.workflow.signals import copies_created

    if instance.copies.filter(recipient_id=instance.initiator_id, read_at__isnull=True).exists():
        return
    name = end[1] if end else ""
    note, note_message = for_record(
        Message(gettext_noop("流程已办结：%(end)s"), end=name)
        if name
        else Message(gettext_noop("流程已办结。"))
    )
    copy = CarbonCopy.objects.create(
        instance=instance,
        recipient_id=instance.initiator_id,
        sender=sender if getattr(sender, "pk", None) else None,
        element_id=end[0] if end else "",
        note=note[:500],
        note_message=note_message,
        created_at=moment,
    )
    transaction.on_commit(lambda: copies_created.send(sender=CarbonCopy, copy_ids=[copy.pk]))


def _current_data(workflow) -> dict:
    """The process data as it stands: the data of the tasks waiting, or of the last task when finished."""
    data: dict = {}
    live = workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED)
    for task in live:
        data.update(task.data)
    if not live and workflow.last_task is not None:
        data.update(workflow.last_task.data)
    return data


def _close_task(
    task: WorkTask,
    status: str,
    *,
    moment: dt.datetime,
    actor=None,
    outcome: str = "",
    opinion: str = "",
    form_data: dict | None = None,
) -> None:
    task.status = status
    task.version += 1
    fields = ["status", "version", "updated_at"]
    if status == TaskStatus.COMPLETED:
        task.completed_by, task.completed_at = actor, moment
        task.outcome, task.opinion = outcome, opinion
        fields += ["completed_by", "completed_at", "outcome", "opinion"]
        if form_data is not None:
            task.form_data = form_data
            fields.append("form_data")
    # Only the columns a close changes: the row was just read under the instance lock.
    task.save(update_fields=fields)
    if task.clock_id and task.clock.status != ClockStatus.STOPPED:
        timelimits.clock_stop(actor=actor, clock=task.clock, at=max(moment, task.clock.started_at))


# --- starting -----------------------------------------------------------------------------------------------


def _plain_data(data) -> dict:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationFailed({"data": [_("流程数据应为对象。")]})
    try:
        encoded = json.dumps(data, ensure_ascii=False)
    except (TypeError, ValueError):
        raise ValidationFailed({"data": [_("流程数据只能包含文本、数字、布尔值、列表和对象。")]}) from None
    if len(encoded.encode()) > MAX_DATA_BYTES:
        raise ValidationFailed({"data": [_("流程数据过大。")]})
    return json.loads(encoded)


def process_start(
    *,
    actor,
    definition_key: str,
    org: OrgUnit,
    data: dict | None = None,
    business_object=None,
    title: str = "",
    start_token: str = "",
    from_form: bool = False,
) -> ProcessInstance:
    """Start the process `definition_key` that applies at `org` (see `resolve_definition`).

    `from_form`: `data` is what a person sent (the 发起 page, the API), not what code sets (an application's
    data, the demo): only the fields its start form declares are kept, as when a step is completed, so an
    initiator cannot pre-seed the variables a gateway or an assignment reads (``outcome``, ``days``).
    Without a start form nothing of it is kept.

    `start_token`: the 发起 form's one-time token. The same form sent again (a double click, the back button,
    even at the same moment) raises `StartedAlready` with the instance the first one started."""
    require(actor, PERM_START, org)
    start_token = (start_token or "").strip()[:64]
    if start_token:
        _require_not_started(actor, start_token)
    definition = resolve_definition(definition_key, org)
    if definition is None:
        # Named as people know it (请销假), not by its key (leave), when any version of it has a name.
        known = (
            ProcessDefinition.objects.filter(key=definition_key)
            .order_by("-version")
            .values_list("name", flat=True)
            .first()
        )
        raise ServiceError(
            _("「%(k)s」流程尚未发布，或不适用于%(org)s。") % {"k": known or definition_key, "org": org.name},
            code="no_definition",
        )
    model = bpmn.model_for(definition)
    if model.business_only and business_object is None:
        raise ServiceError(
            _("「%(name)s」由办件发起：请通过网上办事大厅或窗口受理办件，不能直接发起。")
            % {"name": definition.name},
            code="business_only",
        )
    data = _plain_data(data)
    if model.start_form_key:
        schema = definition.forms.get(model.start_form_key)
        data_from_form, errors = formschema.validate_data(schema, data)
        if errors:
            raise ValidationFailed(errors)
        extra = (
            {} if from_form else {k: v for k, v in data.items() if k not in formschema.field_labels(schema)}
        )
        data = {**extra, **data_from_form}
    elif from_form:
        data = {}
    data["initiator"] = actor.username
    moment = engine.now()
    content_type, object_id = None, ""
    if business_object is not None:
        if business_object.pk is None:
            raise ValidationFailed({"business_object": [_("业务对象尚未保存。")]})
        content_type = ContentType.objects.get_for_model(business_object, for_concrete_model=False)
        object_id = str(business_object.pk)
        _require_no_live_process(content_type, object_id)
    try:
        with transaction.atomic(), records_language():
            instance = ProcessInstance(
                org=org,
                definition=definition,
                title=(title or _default_title(definition, actor, data, moment)).strip()[:200],
                status=InstanceStatus.RUNNING,
                data=data,
                content_type=content_type,
                object_id=object_id,
                initiator=actor,
                started_at=moment,
                created_by=actor,
                start_token=start_token,
            )
            if content_type is None and not start_token:
                instance.save(force_insert=True)
            else:
                # Two starts at once (two clerks, two tabs, a double click) both pass the checks above; the second
                # waits here on the first's row of a unique index and is refused once the first has committed.
                try:
                    with transaction.atomic():
                        instance.save(force_insert=True)
                except IntegrityError:
                    if start_token:
                        _require_not_started(actor, start_token)
                    if content_type is not None:
                        _require_no_live_process(content_type, object_id)
                    raise
            record_history(instance, HistoryAction.START, actor=actor, detail={"step": _("发起")}, at=moment)
            step = _Step(instance, actor, moment)
            step.workflow = engine.new_workflow(model, data, step.context)
            try:
                step.run()
            except EngineFailure as failure:
                if failure.code != "engine_error" or not failure.configuration:
                    raise
                raise _Misconfigured(failure) from None
            step.finish()
            _audit(
                events.INSTANCE_STARTED,
                actor=actor,
                target=instance,
                after={"definition": definition.pk, "key": definition.key, "version": definition.version},
            )
    except _Misconfigured as refused:
        # Rolled back: nothing of the start is kept but the audit of the refusal.
        raise _start_refused(actor, definition, refused.failure) from None
    return instance


class _Misconfigured(Exception):
    def __init__(self, failure: EngineFailure):
        super().__init__(str(failure.message))
        self.failure = failure


def _start_refused(actor, definition: ProcessDefinition, failure: EngineFailure) -> ServiceError:
    """A start the process's own configuration stops (a condition on a missing variable, no path out of a
    gateway, a loop): nothing was started. The clerk is told plainly whom to ask — the engine's words name
    expressions and element ids they cannot act on; whoever may edit the process reads them, and the audit
    keeps them for the process administrator."""
    detail = str(failure.message)
    logger.warning("start of %s v%s refused by the engine: %s", definition.key, definition.version, detail)
    with transaction.atomic():
        _audit(
            events.INSTANCE_FAILED,
            actor=actor,
            target=definition,
            success=False,
            message=detail,
            after={"key": definition.key, "version": definition.version},
        )
    if scope_for(actor, PERM_DEPLOY).covers_org(definition.org_id):
        text = _("流程「%(name)s」配置有误，暂时无法发起：%(m)s") % {"name": definition.name, "m": detail}
    else:
        text = _("流程「%(name)s」配置有误，暂时无法发起，请联系流程管理员。") % {"name": definition.name}
    return ServiceError(text, code="process_misconfigured")


LIVE_STATUSES = (InstanceStatus.RUNNING, InstanceStatus.SUSPENDED)


class StartedAlready(Conflict):
    """The 发起 form was sent again: `instance` is the one its first sending started."""

    code = "already_started"

    def __init__(self, instance: ProcessInstance):
        self.instance = instance
        super().__init__(_("该申请已发起（%(title)s），无需重复提交。") % {"title": instance.title})


def _require_not_started(actor, start_token: str) -> None:
    started = ProcessInstance.objects.filter(initiator=actor, start_token=start_token).first()
    if started is not None:
        raise StartedAlready(started)


def _require_no_live_process(content_type, object_id: str, message: str = "") -> None:
    """A business record (an application) is handled by one running (or suspended) process at a time.
    `message` (with %(title)s for the live one) says what is refused; by default a second start."""
    live = (
        ProcessInstance.objects.filter(
            content_type=content_type, object_id=object_id, status__in=LIVE_STATUSES
        )
        .only("title")
        .first()
    )
    if live is not None:
        raise Conflict(
            (message or _("该业务已有流程正在办理（%(title)s），不能重复发起。")) % {"title": live.title},
            code="already_running",
        )


def _default_title(definition, actor, data, moment) -> str:
    """The data's ``title``; else the process, who started it and what tells it apart — the fields its
    forms mark for the title (see `formschema.title_details`), or the day it was started."""
    if isinstance(data.get("title"), str) and data["title"].strip():
        return data["title"]
    details = formschema.title_details(definition.forms, data)
    return _("%(name)s（%(who)s，%(date)s）") % {
        "name": definition.name,
        "who": actor_name(actor),
        "date": details or timezone.localtime(moment).strftime("%Y-%m-%d"),
    }


def _retitle(instance: ProcessInstance, old_data: dict) -> None:
    """A default title follows the data its forms mark for the title: the leave request gets its dates once
    the application is filled in (or corrected). A title someone typed is left alone."""
    definition = instance.definition
    if not any(
        (c.get("properties") or {}).get("title")
        for schema in (definition.forms or {}).values()
        for c in formschema.fields(schema)
    ):
        return
    initiator, started = instance.initiator, instance.started_at
    before = _default_title(definition, initiator, old_data, started).strip()[:200]
    if instance.title != before:
        return
    instance.title = _default_title(definition, initiator, instance.data, started).strip()[:200]


# --- acting on tasks ------------------------------------------------------------------------------------------


def may_act(user, task: WorkTask) -> bool:
    if task.status not in OPEN_TASK_STATUSES or user is None or not user.is_authenticated:
        return False
    if task.assignee_id is not None:
        return task.assignee_id == user.pk
    return task.candidates.filter(pk=user.pk).exists()


def _require_running(instance: ProcessInstance, ended: str = "") -> None:
    if instance.status == InstanceStatus.SUSPENDED:
        raise Conflict(
            _("流程已挂起（%(r)s），恢复后才能办理。") % {"r": instance.hold_reason_text or _("未说明原因")},
            code="suspended",
        )
    if instance.status == InstanceStatus.FAILED:
        raise Conflict(_("流程运行异常，暂不能办理：请联系流程管理员恢复运行后再办理。"), code="failed")
    if instance.status != InstanceStatus.RUNNING:
        raise Conflict(ended or _("流程已结束，不能再办理。"))


def _current_task(actor, task: WorkTask, instance: ProcessInstance) -> WorkTask:
    """The task as it is now (under the lock of `instance`, its instance), refused when it is no longer the
    caller's to act on."""
    # Only the clock is joined: every completion stops it. The users (assignee, owner, completer) are only
    # read on the rare paths that name them (a conflict message, handing a delegated task back).
    _require_running(instance)
    current = WorkTask.objects.select_related("clock").get(pk=task.pk)
    # The locked instance is the task's instance: reuse it rather than re-read it (history, audit text).
    current.instance = instance
    # The candidate links are only looked up when the actor is not already the assignee, owner or completer.
    involved = actor.pk in (current.assignee_id, current.owner_id, current.completed_by_id)
    if not involved:
        involved = current.candidates.filter(pk=actor.pk).exists()
    if not involved:
        # The page was loaded while the task was still theirs (its version is older) and someone transferred
        # it meanwhile: say where it went. A caller with the current version never had it.
        handed_on = _handed_on(current) if task.version != current.version else None
        if handed_on is not None:
            raise Conflict(handed_on)
        raise PermissionDenied(_("您不是该任务的办理人。"))
    if current.status == TaskStatus.COMPLETED:
        who = current.completed_by
        if current.completed_by_id == actor.pk:
            # Most often the same form sent twice (a double click, the back button): say it was theirs.
            raise Conflict(_("您已办理过该任务，无需重复提交。"))
        if who and current.outcome == Outcome.RETURN:
            # Sent back while the other was deciding: not "办理", which reads as approved.
            returned = current.history.filter(action=HistoryAction.RETURN).order_by("-id").first()
            to_name = (returned.detail or {}).get("to_name", "") if returned else ""
            if to_name:
                raise Conflict(
                    _("该任务已由 %(who)s 退回到「%(step)s」。") % {"who": actor_name(who), "step": to_name}
                )
            raise Conflict(_("该任务已由 %(who)s 退回。") % {"who": actor_name(who)})
        raise Conflict(
            _("该任务已由 %(who)s 办理。") % {"who": actor_name(who)} if who else _("该任务已办理。")
        )
    if current.status == TaskStatus.CANCELLED:
        raise Conflict(_("该任务已取消（流程已向前推进、被退回或被撤回），请刷新待办。"))
    if current.assignee_id is not None and current.assignee_id != actor.pk:
        if task.version != current.version:
            handed_on = _handed_on(current)
            if handed_on is not None:
                raise Conflict(handed_on)
        raise Conflict(_("该任务已由 %(who)s 认领办理。") % {"who": actor_name(current.assignee)})
    if task.version != current.version:
        raise Conflict(_("该任务已被他人处理或修改，请刷新后重试。"))
    return current


# What someone whose page of a step went stale is told, by the last thing done with the step.
HANDED_ON = {
    HistoryAction.TRANSFER: gettext_noop("该任务已由 %(who)s 转办给 %(to)s，请刷新待办。"),
    HistoryAction.DELEGATE: gettext_noop("该任务已由 %(who)s 委派给 %(to)s，请刷新待办。"),
    HistoryAction.REASSIGN: gettext_noop("该任务已由流程管理员 %(who)s 改派给 %(to)s，请刷新待办。"),
}


def _handed_on(task: WorkTask) -> str | None:
    """What to tell someone whose open page of `task` went stale because it was transferred or delegated
    (the last thing done with it), or None when something else was."""
    last = task.history.select_related("actor").order_by("-id").first()
    if last is None or last.action not in HANDED_ON:
        return None
    detail = last.detail or {}
    to_name = detail.get("to_name") or detail.get("to") or ""
    return _(HANDED_ON[last.action]) % {"who": actor_name(last.actor), "to": to_name}


def reassigned_away(user, task_id: int) -> str | None:
    """What to tell a former holder of a step an administrator 改派'd, who acts on it from a page loaded
    before (it is no longer theirs to open): who gave it to whom. None for anyone who did not hold it."""
    last = TaskHistory.objects.filter(task_id=task_id).select_related("actor").order_by("-id").first()
    if last is None or last.action != HistoryAction.REASSIGN:
        return None
    if user.username not in (last.detail or {}).get("from_users", []):
        return None
    return _handed_on(last.task)


def _outcome(cleaned: dict) -> str:
    value = cleaned.get("outcome")
    if value in (Outcome.APPROVE, Outcome.REJECT):
        return value
    approved = cleaned.get("approved")
    if isinstance(approved, bool):
        return Outcome.APPROVE if approved else Outcome.REJECT
    return Outcome.DONE


def _validate_form(instance: ProcessInstance, task: WorkTask, form_data) -> tuple[dict, str]:
    schema = instance.definition.forms.get(task.form_key) if task.form_key else None
    if schema is None:
        if form_data not in (None, {}) and not isinstance(form_data, dict):
            raise ValidationFailed({"__all__": [_("表单数据格式不正确。")]})
        outcome = (form_data or {}).get("outcome")
        if outcome not in (None, "", Outcome.APPROVE, Outcome.REJECT):
            raise ValidationFailed({"outcome": [_("办理结果应为同意或不同意。")]})
        cleaned = {"outcome": outcome} if outcome else {}
        return cleaned, _outcome(cleaned)
    labels = {
        key: label
        for other in (instance.definition.forms or {}).values()
        for key, label in formschema.field_labels(other).items()
    }
    cleaned, errors = formschema.validate_data(schema, form_data, instance.data, labels)
    if errors:
        raise ValidationFailed(errors)
    return cleaned, _outcome(cleaned)


def _countersign_group(task: WorkTask) -> list[dict]:
    """Every signer's row of the task's countersign, in the order the votes were cast (open rows last):
    one read serves both the decision and the votes handed to the process."""
    return list(
        WorkTask.objects.filter(instance_id=task.instance_id, activation=task.activation)
        .order_by(F("completed_at").asc(nulls_last=True), "id")
        .values("status", "outcome", "form_data", "completed_by__username")
    )


def _countersign_decision(task: WorkTask, group: list[dict]) -> str | None:
    """approve / reject once the rule decides, else None."""
    total = len(group)
    done = [row["outcome"] for row in group if row["status"] == TaskStatus.COMPLETED]
    approvals = sum(1 for outcome in done if outcome != Outcome.REJECT)
    rejections = len(done) - approvals
    pending = total - approvals - rejections
    rule = task.countersign
    if rule == "all":
        needed = total
    elif rule == "any":
        needed = 1
    else:
        needed = max(1, math.ceil(float(rule) * total - 1e-9))
    if approvals >= needed:
        return Outcome.APPROVE
    if approvals + pending < needed:
        return Outcome.REJECT
    return None


def task_complete(*, actor, task: WorkTask, form_data=None, opinion: str = "") -> WorkTask:
    """Handle a task with its form data (validated against the task's form-js schema) and advance the process.

    Two people completing the same task: the second is told who did it. A task completed with a stale
    version (the page was loaded before someone else changed it) is refused.
    """
    opinion = (opinion or "").strip()[:2000]
    with transaction.atomic():
        instance = lock_instance(task.instance_id)
        current = _current_task(actor, task, instance)
        cleaned, outcome = _validate_form(instance, current, form_data)
        step = _Step(instance, actor)
        spiff_task = step.spiff_task(current.spiff_task_id)
        if spiff_task is None or spiff_task.state != TaskState.READY:
            raise Conflict(_("流程已变化，该任务不能再办理，请刷新待办。"))
        if current.owner_id and current.owner_id != actor.pk:
            # A delegated task goes back to its owner with the delegate's answer.
            owner = current.owner
            current.assignee, current.owner, current.status = owner, None, TaskStatus.CLAIMED
            current.version += 1
            current.form_data = cleaned
            current.save()
            record_history(
                instance,
                HistoryAction.COMPLETE,
                actor=actor,
                task=current,
                opinion=opinion,
                outcome=outcome,
                detail={"delegated_to_owner": owner.username},
                at=step.moment,
            )
            _audit(
                events.TASK_COMPLETED,
                actor=actor,
                target=current,
                after={"delegated": True, "outcome": outcome},
            )
            return current
        _close_task(
            current,
            TaskStatus.COMPLETED,
            moment=step.moment,
            actor=actor,
            outcome=outcome,
            opinion=opinion,
            form_data=cleaned,
        )
        step.history(
            HistoryAction.COMPLETE,
            actor=actor,
            task=current,
            opinion=opinion,
            outcome=outcome,
            at=step.moment,
        )
        _audit(
            events.TASK_COMPLETED,
            actor=actor,
            target=current,
            after={"outcome": outcome, "element": current.element_id, "fields": sorted(cleaned)},
        )
        data = dict(cleaned)
        data[f"{current.element_id}_outcome"] = outcome
        if "outcome" in cleaned or current.countersign:
            data["outcome"] = outcome
        if current.countersign:
            group = _countersign_group(current)
            decision = _countersign_decision(current, group)
            if decision is None:
                step.write_history()
                instance.save(update_fields=["updated_at"])
                return current
            _cancel_other_signers(step, current, decision, actor)
            votes = [row for row in group if row["status"] == TaskStatus.COMPLETED]
            data = {}
            for vote in votes:
                data.update(vote["form_data"] or {})
            data.update(
                {
                    "outcome": decision,
                    f"{current.element_id}_outcome": decision,
                    f"{current.element_id}_votes": {v["completed_by__username"]: v["outcome"] for v in votes},
                }
            )

        def complete(_workflow):
            spiff_task.data.update(data)
            spiff_task.run()

        step.run(complete)
        step.finish()
    return current


# Why the copies of the other signers are cancelled when a 会签 is decided before they signed.
COUNTERSIGN_DECIDED = {
    Outcome.APPROVE: gettext_noop("会签已有结果（%(who)s 同意后会签已通过），无需再签。"),
    Outcome.REJECT: gettext_noop("会签已有结果（%(who)s 不同意，会签未通过），无需再签。"),
}


def _cancel_other_signers(step: _Step, task: WorkTask, decision: str, actor) -> None:
    """The vote of `actor` decided the countersign of `task`: the signers still to sign are told why their
    copy is cancelled (whose vote decided it, and how), not the generic note of a process that moved on."""
    opinion = Message(COUNTERSIGN_DECIDED[decision], who=actor_name(actor))
    others = (
        WorkTask.objects.filter(
            instance_id=task.instance_id, activation=task.activation, status__in=OPEN_TASK_STATUSES
        )
        .select_related("clock")
        .order_by("created_at", "id")
    )
    for other in others:
        _close_task(other, TaskStatus.CANCELLED, moment=step.moment)
        step.history(HistoryAction.AUTO, task=other, opinion=opinion, at=step.moment)


MAX_BATCH = 50


@dataclass
class BatchResult:
    """One task of a 批量审批: done, or refused and why (nothing of it changed)."""

    task_id: int
    title: str
    step: str
    done: bool
    message: str = ""


def task_complete_batch(
    *, actor, versions: dict[int, int], outcome: str, opinion: str = ""
) -> list[BatchResult]:
    """批量审批: the actor decides several of their steps at once with one outcome and one opinion.

    `versions` maps each task to the version the caller saw. Only steps whose form asks for nothing beyond
    同意 / 不同意 and the opinion qualify (`formschema.batch_refusal`). Each goes through `task_complete` in
    its own transaction with its own version check, so one that someone else decided, returned or changed
    meanwhile is refused with the reason and leaves the others done. Results come in the order given.
    """
    if outcome not in (Outcome.APPROVE, Outcome.REJECT):
        raise ValidationFailed({"outcome": [_("办理结果应为同意或不同意。")]})
    if not versions:
        raise ValidationFailed({"tasks": [_("请至少勾选一件待办。")]})
    if len(versions) > MAX_BATCH:
        raise ValidationFailed({"tasks": [_("一次最多批量审批 %(n)d 件，请分批办理。") % {"n": MAX_BATCH}]})
    # The actor's own steps only (those they handle, handled or may handle): anything else reads as unknown.
    found = {
        task.pk: task
        for task in selectors.involved_tasks(actor)
        .filter(pk__in=list(versions))
        .select_related("instance__definition")
    }
    results: list[BatchResult] = []
    for task_id, version in versions.items():
        task = found.get(task_id)
        if task is None:
            results.append(BatchResult(task_id, "", "", False, _("未找到该待办，或该待办不是您的。")))
            continue
        title, step = task.instance.title, task.name
        schema = task.instance.definition.forms.get(task.form_key) if task.form_key else None
        refusal = formschema.batch_refusal(schema)
        if refusal:
            results.append(BatchResult(task_id, title, step, False, refusal))
            continue
        task.version = version
        try:
            task_complete(actor=actor, task=task, form_data={"outcome": outcome}, opinion=opinion)
        except ServiceError as error:
            if isinstance(error, ValidationFailed):
                message = "；".join(str(m) for messages in error.errors.values() for m in messages)
            else:
                message = str(error.message)
            results.append(BatchResult(task_id, title, step, False, message))
        else:
            results.append(BatchResult(task_id, title, step, True))
    return results


def task_claim(*, actor, task: WorkTask) -> WorkTask:
    with transaction.atomic():
        instance = lock_instance(task.instance_id)
        current = _current_task(actor, task, instance)
        if current.assignee_id == actor.pk:
            return current
        current.assignee, current.status = actor, TaskStatus.CLAIMED
        current.version += 1
        current.save()
        record_history(current.instance, HistoryAction.CLAIM, actor=actor, task=current)
        _audit(events.TASK_CLAIMED, actor=actor, target=current)
    return current


def task_unclaim(*, actor, task: WorkTask) -> WorkTask:
    with transaction.atomic():
        instance = lock_instance(task.instance_id)
        current = _current_task(actor, task, instance)
        if current.assignee_id != actor.pk:
            raise ServiceError(_("该任务尚未被您认领。"), code="not_claimed")
        if current.countersign:
            raise ServiceError(_("会签任务不能放弃认领。"), code="countersign")
        if current.candidates.count() < 2:
            raise ServiceError(
                _("该任务只有您一位办理人，不能放弃认领；如需他人办理请转办。"), code="single_candidate"
            )
        current.assignee, current.status = None, TaskStatus.READY
        current.version += 1
        current.save()
        record_history(current.instance, HistoryAction.UNCLAIM, actor=actor, task=current)
        _audit(events.TASK_UNCLAIMED, actor=actor, target=current)
    return current


_AMBIGUOUS = object()


def _users_named(names: list[str]) -> dict[str, User | object | None]:
    """The active user each typed name stands for: a username (what the suggestion lists fill in), or a full
    name only one active user has — people type the colleague's name; `_AMBIGUOUS` when several have it, None
    when nobody does. Two queries whatever the number of names."""
    active = User.objects.filter(is_active=True)
    found: dict[str, User | object | None] = {u.username: u for u in active.filter(username__in=names)}
    rest = [name for name in names if name not in found]
    by_name: dict[str, list[User]] = {}
    for user in active.filter(full_name__in=rest) if rest else []:
        by_name.setdefault(user.full_name, []).append(user)
    for name in rest:
        namesakes = by_name.get(name, [])
        found[name] = namesakes[0] if len(namesakes) == 1 else (_AMBIGUOUS if namesakes else None)
    return found


def _ambiguous(name: str) -> str:
    return _("有多位名为“%(name)s”的用户，请从列表中选择（按用户名区分）。") % {"name": name}


def _user_named(text: str) -> User | None:
    """The active user a person typed on a page (see `_users_named`); several of that name: they are asked
    to pick from the list."""
    name = text.strip()
    if not name:
        raise ValidationFailed({"to_user": [_("请选择办理人。")]})
    user = _users_named([name])[name]
    if user is _AMBIGUOUS:
        raise ValidationFailed({"to_user": [_ambiguous(name)]})
    return user


def _check_target_user(
    actor, to_user, instance: ProcessInstance, task: WorkTask | None = None, *, may_be_actor: bool = False
) -> User:
    """Someone who may see the instance by their own roles (and no admin of the three separated duties): a
    task handed on must not carry the process data (an applicant's reasons, a household's income) to a user
    outside the instance's org scope. `to_user` is a user, or a username as typed on the task page.

    Nor to the initiator, on a step that is not theirs (their own filling in or reporting back) and that the
    process does not already offer them: an applicant must not approve their own request."""
    if isinstance(to_user, str):
        to_user = _user_named(to_user)
    elif to_user is None or not getattr(to_user, "pk", None):
        raise ValidationFailed({"to_user": [_("请选择办理人。")]})
    else:
        to_user = User.objects.filter(pk=to_user.pk, is_active=True).first()
    if to_user is None:
        raise ValidationFailed({"to_user": [_("该用户不存在或已停用。")]})
    if to_user.pk == actor.pk and not may_be_actor:
        raise ValidationFailed({"to_user": [_("不能选择您本人。")]})
    if not may_handle(to_user, instance.org):
        raise ValidationFailed({"to_user": [_("该用户无权查看本流程（不在其管辖范围内），不能转交给他。")]})
    if (
        task is not None
        and to_user.pk == instance.initiator_id
        and not is_initiator_step(bpmn.model_for(instance.definition), task.element_id)
        and not task.candidates.filter(pk=to_user.pk).exists()
    ):
        raise ValidationFailed(
            {"to_user": [_("不能转给发起人本人：发起人不能审批（办理）自己发起的流程的这一环节。")]}
        )
    return to_user


def task_transfer(*, actor, task: WorkTask, to_user, reason: str) -> WorkTask:
    """转办: the task becomes `to_user`'s."""
    reason = (reason or "").strip()[:2000]
    if not reason:
        raise ValidationFailed({"reason": [_("请填写转办原因。")]})
    with transaction.atomic():
        instance = lock_instance(task.instance_id)
        current = _current_task(actor, task, instance)
        _require_not_delegated_to(current, actor, DELEGATED_NO_TRANSFER)
        to_user = _check_target_user(actor, to_user, instance, current)
        if current.countersign:
            _require_not_signing(current, to_user)
        _hand_to(current, to_user, actor=actor, reason=reason)
    return current


# What the one a task was delegated to (委派) is told when they try to pass it on or send it back: the
# decision stays with whoever delegated it (the owner), to whom the task returns once it is handled.
DELEGATED_NO_TRANSFER = gettext_noop("该任务由 %(who)s 委派给您，办理后将交回委派人决定，不能转办。")
DELEGATED_NO_DELEGATE = gettext_noop("该任务由 %(who)s 委派给您，办理后将交回委派人决定，不能再委派。")
DELEGATED_NO_RETURN = gettext_noop(
    "该任务由 %(who)s 委派给您，办理后将交回委派人决定，不能退回；如认为应当退回，请在意见中说明。"
)


def delegated_by(task: WorkTask, user) -> User | None:
    """Who delegated (委派) the open `task` to `user`, or None when it is not a task delegated to them."""
    if task.owner_id is None or task.owner_id == getattr(user, "pk", None) or not task.is_open:
        return None
    return task.owner if task.assignee_id == getattr(user, "pk", None) else None


def _require_not_delegated_to(task: WorkTask, actor, message: str) -> None:
    owner = delegated_by(task, actor)
    if owner is not None:
        raise ServiceError(_(message) % {"who": actor_name(owner)}, code="delegated")


def _hand_to(
    current: WorkTask,
    to_user: User,
    *,
    actor,
    reason: str,
    action: str = HistoryAction.TRANSFER,
    event=events.TASK_TRANSFERRED,
    detail: dict | None = None,
    before: dict | None = None,
) -> None:
    """The step becomes `to_user`'s alone (转办, 改派), under its instance's lock: the others offered it and
    whoever delegated it let it go; the history and the audit log keep who gave it to whom and why, and the
    new holder is told (`announce_tasks`)."""
    before = {"assignee": current.assignee_id, **(before or {})}
    current.assignee, current.owner, current.status = to_user, None, TaskStatus.CLAIMED
    current.on_behalf_of = None  # the new holder has it in their own right, not as someone's 流程代理
    current.version += 1
    current.save()
    current.candidates.set([to_user])
    record_history(
        current.instance,
        action,
        actor=actor,
        task=current,
        opinion=reason,
        detail={"to": to_user.username, "to_name": actor_name(to_user), **(detail or {})},
    )
    _audit(event, actor=actor, target=current, before=before, after={"assignee": to_user.pk}, message=reason)
    announce_tasks(current)


def can_reassign(instance: ProcessInstance, user) -> bool:
    """Whether the instance page offers 改派: the instance runs and the user administers its processes."""
    return instance.status == InstanceStatus.RUNNING and user is not None and _may_administer(user, instance)


def task_reassign(*, actor, task: WorkTask, to_user, reason: str) -> WorkTask:
    """改派 by an administrator of the instance's processes: an open step goes to `to_user`, whoever holds it
    now — its holder is away without a 流程代理 (sick leave, a course) and a resident's case runs late. A step
    offered to a group and not yet claimed becomes the one person's. `to_user` is checked as for 转办, except
    that the administrator may take the step themselves. The former holders see it leave their 待办; the one
    who had claimed (or delegated) it is told by SMS when a mobile number is on file."""
    reason = (reason or "").strip()[:2000]
    if not reason:
        raise ValidationFailed({"reason": [_("请填写改派原因。")]})
    with transaction.atomic():
        instance = lock_instance(task.instance_id)
        require(actor, PERM_CANCEL, instance)
        _require_running(instance)
        current = WorkTask.objects.select_related("assignee", "owner").get(pk=task.pk)
        current.instance = instance
        if current.status not in OPEN_TASK_STATUSES:
            raise Conflict(_("该环节已办理或已取消，不能改派，请刷新后查看。"))
        if task.version != current.version:
            raise Conflict(_("该环节的办理人已有变化，请刷新后重试。"))
        to_user = _check_target_user(actor, to_user, instance, current, may_be_actor=True)
        if current.assignee_id == to_user.pk and current.owner_id is None:
            raise ValidationFailed({"to_user": [_("该环节已由此人办理，无需改派。")]})
        if current.countersign:
            _require_not_signing(current, to_user)
        personal = [user for user in (current.assignee, current.owner) if user is not None]
        former = personal or [user for user in current.candidates.all() if user.is_active]
        former = [user for user in dict.fromkeys(former) if user.pk != to_user.pk]
        _hand_to(
            current,
            to_user,
            actor=actor,
            reason=reason,
            action=HistoryAction.REASSIGN,
            event=events.TASK_REASSIGNED,
            detail={
                "from_users": [user.username for user in former],
                "from_name": "、".join(actor_name(user) for user in former),
            },
            before={"holders": [user.pk for user in former]},
        )
        _text_reassigned(current, [user for user in personal if user.pk not in (to_user.pk, actor.pk)], actor)
    return current


def _text_reassigned(task: WorkTask, users: list[User], actor) -> None:
    """An SMS to whoever had the step in hand (claimed or delegated it), so they do not look for it: to the
    mobile number on the account, unless they switched task reminders off (none: the 待办 only)."""
    from jiedao.sms.services import sms_queue

    with records_language():
        body = _("“%(title)s”的“%(step)s”环节已由流程管理员改派给 %(to)s 办理，您无需再办理。") % {
            "title": task.instance.title,
            "step": task.name,
            "to": actor_name(task.assignee),
        }
    for user in users:
        if not user.mobile or not user.task_sms:
            continue
        try:
            sms_queue(
                actor=actor,
                phone=user.mobile,
                body=body,
                org=task.instance.org,
                purpose="workflow.reassigned",
            )
        except ValidationFailed:  # a number on the account that cannot take an SMS: the 待办 only
            continue


def announce_tasks(*tasks: WorkTask) -> None:
    """Steps wait for new handlers (new steps, 转办, 委派, 加签): tell the listeners after commit. The rows
    go along with `handlers`, the users the step was given to, as loaded here (the SMS reminders need no
    query to find them)."""
    for task in tasks:
        if not hasattr(task, "handlers"):
            task.handlers = [task.assignee]
    ids = [task.pk for task in tasks]
    transaction.on_commit(lambda: tasks_created.send(sender=WorkTask, task_ids=ids, tasks=list(tasks)))


def _require_not_signing(task: WorkTask, user) -> None:
    """A countersign counts each signer once: whoever holds or signed a row of it cannot take another."""
    group = WorkTask.objects.filter(instance_id=task.instance_id, activation=task.activation)
    if group.filter(Q(assignee=user) | Q(completed_by=user)).exists():
        raise ValidationFailed({"to_user": [_("该用户已是本会签的签署人。")]})


def task_delegate(*, actor, task: WorkTask, to_user, reason: str) -> WorkTask:
    """委派: `to_user` handles the task and it comes back to the actor (the owner) to decide."""
    reason = (reason or "").strip()[:2000]
    if not reason:
        raise ValidationFailed({"reason": [_("请填写委派说明。")]})
    with transaction.atomic():
        instance = lock_instance(task.instance_id)
        current = _current_task(actor, task, instance)
        if current.countersign:
            raise ServiceError(_("会签任务不能委派，可以转办。"), code="countersign")
        _require_not_delegated_to(current, actor, DELEGATED_NO_DELEGATE)
        to_user = _check_target_user(actor, to_user, instance, current)
        current.owner = current.owner or actor
        current.assignee, current.status = to_user, TaskStatus.CLAIMED
        current.version += 1
        current.save()
        current.candidates.add(to_user)
        record_history(
            current.instance,
            HistoryAction.DELEGATE,
            actor=actor,
            task=current,
            opinion=reason,
            detail={"to": to_user.username, "to_name": actor_name(to_user)},
        )
        _audit(
            events.TASK_DELEGATED, actor=actor, target=current, after={"assignee": to_user.pk}, message=reason
        )
        announce_tasks(current)
    return current


# 会签加签: a countersign takes at most this many signers.
MAX_COUNTERSIGN_SIGNERS = 50


def task_add_signer(*, actor, task: WorkTask, to_user, reason: str) -> WorkTask:
    """会签加签: one more signer joins an open countersign, with the step's time limit from now; the rule
    (all / any / a proportion) counts them from then on. A signer of the countersign or an administrator of
    the instance's processes adds them. Returns the new signer's task."""
    reason = (reason or "").strip()[:2000]
    if not reason:
        raise ValidationFailed({"reason": [_("请填写加签说明。")]})
    moment = engine.now()
    with transaction.atomic():
        instance = lock_instance(task.instance_id)
        _require_running(instance)
        current = WorkTask.objects.get(pk=task.pk)
        if not current.countersign:
            raise ServiceError(_("只有会签环节可以加签，其他环节可以转办或委派。"), code="not_countersign")
        if current.status not in OPEN_TASK_STATUSES:
            raise Conflict(_("该会签任务已办理或已取消，不能再加签。"))
        if not may_act(actor, current):
            require(actor, PERM_CANCEL, instance)
        to_user = _check_target_user(actor, to_user, instance, current)
        _require_not_signing(current, to_user)
        if (
            WorkTask.objects.filter(instance=instance, activation=current.activation).count()
            >= MAX_COUNTERSIGN_SIGNERS
        ):
            raise ValidationFailed(
                {"to_user": [_("一个会签最多 %(n)d 人，不能再加签。") % {"n": MAX_COUNTERSIGN_SIGNERS}]}
            )
        element = bpmn.model_for(instance.definition).element(current.element_id)
        common = {
            field: getattr(current, field)
            for field in ("spiff_task_id", "activation", "element_id", "name", "form_key", "countersign")
        }
        common.update(instance=instance, org_id=instance.org_id, created_by=actor)
        added = _insert_tasks(element, common, [(to_user, [to_user])], actor=actor, moment=moment)
        record_history(
            instance,
            HistoryAction.ADD_SIGNER,
            actor=actor,
            task=current,
            opinion=reason,
            detail={"to": to_user.username, "to_name": actor_name(to_user)},
            at=moment,
        )
        _audit(
            events.TASK_SIGNER_ADDED,
            actor=actor,
            target=current,
            after={"signer": to_user.pk},
            message=reason,
        )
        announce_tasks(*added)
    return added[0]


def is_initiator_step(model: bpmn.ProcessModel, element_id: str) -> bool:
    """A step the initiator handles themselves (filling in, reporting back): 退回 is an approver's action, and
    the initiator has 撤回 and 撤销 instead — an applicant must not send their own approved request back."""
    element = model.element(element_id)
    return element is not None and element.assignee.strip() == "initiator"


def return_targets(task: WorkTask) -> list[tuple[str, str]]:
    """(element id, name) of the earlier steps the task may be returned to, nearest first."""
    instance = task.instance
    if not instance.state or task.status not in OPEN_TASK_STATUSES:
        return []
    model = bpmn.model_for(instance.definition)
    if is_initiator_step(model, task.element_id):
        return []
    workflow = engine.restore(instance.state, model)
    spiff_task = workflow.get_task_from_id(task.spiff_task_id)
    if spiff_task is None:
        return []
    found: dict[str, str] = {}
    for previous in engine.previous_user_tasks(spiff_task):
        element = model.element(previous.task_spec.bpmn_id)
        if element is not None and element.id != task.element_id:
            found.setdefault(element.id, element.name or element.id)
    return list(found.items())


def task_return(*, actor, task: WorkTask, reason: str, to_element: str | None = None) -> WorkTask:
    """退回: send the process back to an earlier step (the previous one by default) with a reason."""
    reason = (reason or "").strip()[:2000]
    if not reason:
        raise ValidationFailed({"reason": [_("请填写退回原因。")]})
    with transaction.atomic():
        instance = lock_instance(task.instance_id)
        current = _current_task(actor, task, instance)
        _require_not_delegated_to(current, actor, DELEGATED_NO_RETURN)
        step = _Step(instance, actor)
        spiff_task = step.spiff_task(current.spiff_task_id)
        if spiff_task is None or spiff_task.state != TaskState.READY:
            raise Conflict(_("流程已变化，该任务不能再办理，请刷新待办。"))
        if is_initiator_step(bpmn.model_for(instance.definition), current.element_id):
            raise ValidationFailed(
                {"to_element": [_("发起人办理的环节不能退回；如需取消申请，请撤销申请。")]}
            )
        previous = [
            t for t in engine.previous_user_tasks(spiff_task) if t.task_spec.bpmn_id != current.element_id
        ]
        if to_element:
            previous = [t for t in previous if t.task_spec.bpmn_id == to_element]
            if not previous:
                raise ValidationFailed({"to_element": [_("不能退回到该环节。")]})
        if not previous:
            raise ValidationFailed({"to_element": [_("没有可以退回的上一环节。")]})
        target = previous[0]
        target_name = target.task_spec.bpmn_name or target.task_spec.bpmn_id
        _close_task(
            current,
            TaskStatus.COMPLETED,
            moment=step.moment,
            actor=actor,
            outcome=Outcome.RETURN,
            opinion=reason,
        )
        step.history(
            HistoryAction.RETURN,
            actor=actor,
            task=current,
            opinion=reason,
            outcome=Outcome.RETURN,
            detail={"to": target.task_spec.bpmn_id, "to_name": target_name},
            at=step.moment,
        )
        kept = copy.deepcopy(target.data)

        def reset(workflow):
            engine.reset_to(workflow, target.id, kept)
            # Returned past a parallel join to a branch other than the one the tree hangs from: the task is
            # not among those the reset dropped. It goes; the join brings it back once the branch is done.
            if spiff_task.state == TaskState.READY:
                spiff_task.cancel()

        step.run(reset)
        step.finish()
        _audit(
            events.TASK_RETURNED,
            actor=actor,
            target=current,
            message=reason,
            after={"to": target.task_spec.bpmn_id},
        )
    return current


# --- the instance as a whole ----------------------------------------------------------------------------------

ACTED = (
    HistoryAction.CLAIM,
    HistoryAction.COMPLETE,
    HistoryAction.RETURN,
    HistoryAction.TRANSFER,
    HistoryAction.DELEGATE,
)


def can_withdraw(instance: ProcessInstance, user) -> bool:
    """撤回到我: the initiator may take the request back to their own step (the next step has not acted)."""
    if instance.status != InstanceStatus.RUNNING or user is None or instance.initiator_id != user.pk:
        return False
    return _withdraw_target(instance) is not None


def can_revoke(instance: ProcessInstance, user) -> bool:
    """撤销申请: the initiator may cancel the whole request while nobody else has acted since their last
    action (the request is in their hands, or the next step has not acted)."""
    if instance.status != InstanceStatus.RUNNING or user is None or instance.initiator_id != user.pk:
        return False
    return _revocable(instance)


def _revocable(instance: ProcessInstance) -> bool:
    """Nobody else has acted since the initiator's last action, or the request was sent back (退回) to the
    initiator and is in their hands: every open step is one of their own and held by them. Someone else
    acted last, yet the request waits on nobody but them. Not an approved request waiting for their report
    (销假): an approver completed the step before it, and cancelling would undo the approval."""
    if _withdraw_point(instance) is not None:
        return True
    last_other = (
        instance.history.filter(action__in=ACTED)
        .exclude(actor_id=instance.initiator_id)
        .order_by("-id")
        .first()
    )
    if last_other is None or last_other.action != HistoryAction.RETURN:
        return False
    open_steps = list(
        WorkTask.objects.filter(instance=instance, status__in=OPEN_TASK_STATUSES).values_list(
            "element_id", "assignee_id"
        )
    )
    if not open_steps:
        return False
    model = bpmn.model_for(instance.definition)
    return all(
        assignee_id == instance.initiator_id and is_initiator_step(model, element_id)
        for element_id, assignee_id in open_steps
    )


URGE_INTERVAL = dt.timedelta(hours=2)


def _may_administer(user, instance: ProcessInstance) -> bool:
    try:
        require(user, PERM_CANCEL, instance)
    except ServiceError:
        return False
    return True


def can_urge(instance: ProcessInstance, user) -> bool:
    """催办: the initiator, or an administrator of the instance's processes, while it waits on a step that
    someone other than them holds (the recipients `process_urge` would remind): not while the request is
    back in the initiator's own hands."""
    if instance.status != InstanceStatus.RUNNING or user is None:
        return False
    if instance.initiator_id != user.pk and not _may_administer(user, instance):
        return False
    tasks = (
        WorkTask.objects.filter(instance=instance, status__in=OPEN_TASK_STATUSES)
        .select_related("assignee")
        .prefetch_related("candidates")
    )
    return any(_urge_recipients(task, user) for task in tasks)


def _urge_recipients(task: WorkTask, actor) -> list[User]:
    """Who holds the step: its assignee, else every candidate — never the one urging."""
    users = (
        [task.assignee] if task.assignee_id else [user for user in task.candidates.all() if user.is_active]
    )
    return [user for user in users if user.pk != actor.pk]


def process_urge(*, actor, instance: ProcessInstance, note: str = "") -> list[WorkTask]:
    """催办 the open steps of a running instance: each holder sees 已催办 on the step in the inbox and gets an
    SMS (when a mobile number is on file); the history and the audit log keep who urged and when. At most
    once per `URGE_INTERVAL` per instance, so a handler is reminded, not flooded. Returns the urged steps."""
    note = (note or "").strip()[:200]
    if instance.initiator_id != actor.pk:
        require(actor, PERM_CANCEL, instance)
    moment = engine.now()
    with transaction.atomic():
        instance = lock_instance(instance.pk)
        _require_running(instance, _("流程已结束，无需催办。"))
        tasks = list(
            WorkTask.objects.select_for_update(of=("self",))
            .select_related("assignee")
            .prefetch_related("candidates")  # one query for every step's candidates
            .filter(instance=instance, status__in=OPEN_TASK_STATUSES)
            .order_by("id")
        )
        held = [(task, _urge_recipients(task, actor)) for task in tasks]
        held = [(task, users) for task, users in held if users]
        if not held:
            raise ServiceError(_("当前环节由您本人办理或无人待办，无需催办。"), code="nobody_to_urge")
        last = max((task.urged_at for task, _users in held if task.urged_at), default=None)
        if last is not None and moment - last < URGE_INTERVAL:
            raise RateLimited(
                _("该流程已于 %(time)s 催办，%(hours)d 小时内不能重复催办。")
                % {
                    "time": timezone.localtime(last).strftime("%H:%M"),
                    "hours": URGE_INTERVAL.total_seconds() // 3600,
                }
            )
        WorkTask.objects.filter(pk__in=[task.pk for task, _users in held]).update(
            urged_at=moment, urge_count=F("urge_count") + 1
        )
        steps = Joined(dict.fromkeys(task.name for task, _users in held))
        opinion = (
            Message(gettext_noop("催办：%(steps)s（%(note)s）"), steps=steps, note=note)
            if note
            else Message(gettext_noop("催办：%(steps)s"), steps=steps)
        )
        with records_language():
            body = _("%(who)s 催办：“%(title)s”的“%(step)s”环节在您处待办，请尽快办理。")
        rows = [
            _history_row(instance, HistoryAction.URGE, actor=actor, task=task, opinion=opinion, at=moment)
            for task, _users in held
        ]
        TaskHistory.objects.bulk_create(rows)
        _audit(events.INSTANCE_URGED, actor=actor, target=instance, message=rows[0].opinion)
        _text_holders(instance, held, body, actor=actor, note=note)
    return [task for task, _users in held]


def _text_holders(instance: ProcessInstance, held, body: str, *, actor, note: str) -> None:
    """One SMS per holder and step, to the mobile number on their account (none: the inbox mark only)."""
    from jiedao.sms.services import sms_queue

    for task, users in held:
        text = body % {"who": actor_name(actor), "title": instance.title, "step": task.name}
        if note:
            text += note
        for user in users:
            if not user.mobile:
                continue
            try:
                sms_queue(
                    actor=actor, phone=user.mobile, body=text, org=instance.org, purpose="workflow.urge"
                )
            except ValidationFailed:  # a number on the account that cannot take an SMS: the inbox mark only
                continue


def _withdraw_point(instance: ProcessInstance) -> TaskHistory | None:
    """The initiator's last action (start, or completing their own step), if nobody acted after it."""
    history = list(instance.history.order_by("id"))
    own = [
        h
        for h in history
        if h.actor_id == instance.initiator_id and h.action in (HistoryAction.START, HistoryAction.COMPLETE)
    ]
    if not own:
        return None
    last = own[-1]
    later = [h for h in history if h.pk > last.pk]
    if any(h.action in ACTED and h.actor_id != instance.initiator_id for h in later):
        return None
    return last


def _withdraw_target(instance: ProcessInstance, step: _Step | None = None):
    """(history point, engine task) of the initiator's own completed step to go back to, or None: nobody
    acted since, and the request is not already back at that step."""
    point = _withdraw_point(instance)
    if point is None or point.action != HistoryAction.COMPLETE or point.task is None:
        return None
    step = step or _Step(instance, None)
    target = step.spiff_task(point.task.spiff_task_id)
    if target is None or target.state != TaskState.COMPLETED:
        return None
    return point, target


def process_withdraw(*, actor, instance: ProcessInstance) -> ProcessInstance:
    """撤回到我 by the initiator while the next step has not been acted on: the request goes back to the
    initiator's own step; the next step's open tasks are cancelled, noted as withdrawn by the initiator.
    Cancelling the whole request is `process_revoke`."""
    if instance.initiator_id != actor.pk:
        raise PermissionDenied(_("只有发起人可以撤回。"))
    with transaction.atomic():
        instance = lock_instance(instance.pk)
        _require_running(instance, ended=_("流程已结束，不能撤回。"))
        if _withdraw_point(instance) is None:
            raise Conflict(_("下一环节已有人办理，不能撤回。"))
        step = _Step(instance, actor)
        found = _withdraw_target(instance, step)
        if found is None:
            raise Conflict(_("申请已在您的环节，无需撤回；如需取消整个申请，请撤销申请。"))
        point, target = found
        kept = copy.deepcopy(target.data)
        step.history(
            HistoryAction.WITHDRAW,
            actor=actor,
            detail={"to": point.task.element_id, "to_name": point.task.name, "step": point.task.name},
            at=step.moment,
        )
        step.cancel_note = (HistoryAction.WITHDRAW, actor, Message(gettext_noop("申请人撤回，任务取消。")))
        step.run(lambda workflow: engine.reset_to(workflow, target.id, kept))
        step.finish()
        _audit(events.INSTANCE_WITHDRAWN, actor=actor, target=instance, after={"to": point.task.element_id})
    return instance


def process_revoke(*, actor, instance: ProcessInstance) -> ProcessInstance:
    """撤销申请 by the initiator while nobody else has acted since their last action, or while the request is
    in their hands (sent back to their own step): the whole request is cancelled and its open steps leave
    the inboxes."""
    if instance.initiator_id != actor.pk:
        raise PermissionDenied(_("只有发起人可以撤销申请。"))
    with transaction.atomic():
        instance = lock_instance(instance.pk)
        _require_running(instance, ended=_("流程已结束，不能撤销。"))
        if not _revocable(instance):
            raise Conflict(_("下一环节已有人办理，不能撤销申请。"))
        step = _Step(instance, actor)
        _cancel_instance(step, HistoryAction.WITHDRAW, opinion=Message(gettext_noop("申请人撤销了申请。")))
        _audit(
            events.INSTANCE_WITHDRAWN,
            actor=actor,
            target=instance,
            after={"status": InstanceStatus.CANCELLED},
        )
    return instance


def _open_rows(instance: ProcessInstance):
    """The instance's open task rows, with their clocks (cancelling, suspending and resuming touch both)."""
    return WorkTask.objects.filter(instance=instance, status__in=OPEN_TASK_STATUSES).select_related("clock")


def _cancel_instance(step: _Step, action: str, *, opinion: Message) -> None:
    instance = step.instance
    step.workflow.cancel()
    for task in _open_rows(instance):
        _close_task(task, TaskStatus.CANCELLED, moment=step.moment)
    record_history(instance, action, actor=step.actor, opinion=opinion, at=step.moment)
    instance.state = engine.dump(step.workflow)
    instance.status, instance.ended_at = InstanceStatus.CANCELLED, step.moment
    instance.current_step_names, instance.next_timer_at = "", None
    instance.save()
    instance_id = instance.pk
    transaction.on_commit(
        lambda: instance_finished.send(
            sender=ProcessInstance, instance_id=instance_id, status=InstanceStatus.CANCELLED
        )
    )


def _check_right(actor, instance: ProcessInstance, by_owner: bool) -> None:
    """`by_owner`: the app whose business object the instance handles (an application) acts, and has checked
    the actor's right over that object; otherwise the actor must administer the instance's processes."""
    if not by_owner:
        require(actor, PERM_CANCEL, instance)


def process_cancel(
    *, actor, instance: ProcessInstance, reason: str | Text, by_owner: bool = False
) -> ProcessInstance:
    """撤销 by an administrator of the instance's org, or by the app that owns its business object (the
    application was rejected): open steps leave the inboxes, the reason goes into the history (a `Message`
    when the owning app words it, so it is read in each reader's language)."""
    if isinstance(reason, str):
        reason = reason.strip()[:2000]
    if not reason:
        raise ValidationFailed({"reason": [_("请填写撤销原因。")]})
    _check_right(actor, instance, by_owner)
    with transaction.atomic():
        instance = lock_instance(instance.pk)
        if instance.status not in (InstanceStatus.RUNNING, InstanceStatus.SUSPENDED):
            raise Conflict(_("流程已结束。"))
        step = _Step(instance, actor)
        opinion = gettext_noop("撤销：%(r)s") if by_owner else gettext_noop("管理员撤销：%(r)s")
        _cancel_instance(step, HistoryAction.AUTO, opinion=Message(opinion, r=reason))
        _audit(events.INSTANCE_CANCELLED, actor=actor, target=instance, message=for_record(reason)[0])
    return instance


def process_suspend(
    *, actor, instance: ProcessInstance, reason: str | Text, by_owner: bool = False
) -> ProcessInstance:
    """挂起: the instance waits (its application is suspended, or awaits the applicant's correction). Nobody
    can act on its steps, its timers wait, and the time limits of its open steps pause (the time does not
    count against the staff)."""
    if isinstance(reason, str):
        reason = reason.strip()[:500]
    if not reason:
        raise ValidationFailed({"reason": [_("请填写挂起原因。")]})
    _check_right(actor, instance, by_owner)
    with transaction.atomic():
        instance = lock_instance(instance.pk)
        if instance.status != InstanceStatus.RUNNING:
            raise Conflict(_("只有办理中的流程可以挂起。"))
        moment = engine.now()
        reason_text, instance.hold_reason_message = for_record(reason)
        for task in _open_rows(instance):
            if task.clock_id and task.clock.status not in (ClockStatus.PAUSED, ClockStatus.STOPPED):
                timelimits.clock_pause(actor=actor, clock=task.clock, reason=reason, at=moment)
        # The timer sweep takes running instances only: `next_timer_at` stays, and fires on resumption.
        instance.status, instance.hold_reason = InstanceStatus.SUSPENDED, reason_text
        instance.save(update_fields=["status", "hold_reason", "hold_reason_message"])
        opinion = Message(gettext_noop("流程挂起：%(r)s"), r=reason)
        record_history(instance, HistoryAction.AUTO, actor=actor, opinion=opinion, at=moment)
        _audit(events.INSTANCE_SUSPENDED, actor=actor, target=instance, message=reason_text)
    return instance


def process_resume(*, actor, instance: ProcessInstance, by_owner: bool = False) -> ProcessInstance:
    """恢复 a suspended instance: its steps can be acted on again, the paused time limits run on (their due
    dates move by the time suspended), and timers that fell due meanwhile fire at the next sweep."""
    _check_right(actor, instance, by_owner)
    with transaction.atomic():
        instance = lock_instance(instance.pk)
        if instance.status != InstanceStatus.SUSPENDED:
            raise Conflict(_("流程未挂起。"))
        moment = engine.now()
        for task in _open_rows(instance):
            if task.clock_id and task.clock.status == ClockStatus.PAUSED:
                clock = timelimits.clock_resume(actor=actor, clock=task.clock, at=moment)
                task.due_at = clock.due_at
                task.save(update_fields=["due_at"])
        instance.status, instance.hold_reason, instance.hold_reason_message = InstanceStatus.RUNNING, "", {}
        instance.save(update_fields=["status", "hold_reason", "hold_reason_message"])
        record_history(
            instance,
            HistoryAction.AUTO,
            actor=actor,
            opinion=Message(gettext_noop("流程恢复办理。")),
            at=moment,
        )
        _audit(events.INSTANCE_RESUMED, actor=actor, target=instance)
    return instance


def can_retry(instance: ProcessInstance, user) -> bool:
    """Whether the page offers 恢复运行: the instance failed and the user administers its processes."""
    if instance.status != InstanceStatus.FAILED:
        return False
    try:
        require(user, PERM_CANCEL, instance)
    except ServiceError:
        return False
    return True


def process_retry(*, actor, instance: ProcessInstance) -> ProcessInstance:
    """恢复运行 an instance the engine marked failed, by an administrator of its processes (once the cause —
    a role without holders, a broken definition, the database — is dealt with).

    One transaction under the instance lock: the error is cleared, the instance runs again and the engine
    takes its step (due timers fire, automatic steps run, the ready steps get their tasks). When the step
    fails again the instance stays failed with the new reason, which is returned to the caller on the
    instance; both outcomes go into the history and the audit log."""
    require(actor, PERM_CANCEL, instance)
    try:
        with transaction.atomic():
            instance = lock_instance(instance.pk)
            if instance.status != InstanceStatus.FAILED:
                raise Conflict(_("流程当前不是“运行异常”状态，无需恢复运行。"), code="not_failed")
            if instance.content_type_id:
                _require_no_live_process(
                    instance.content_type_id,
                    instance.object_id,
                    _("该业务已有流程正在办理（%(title)s），不能再恢复本流程。"),
                )
            old_error, moment = instance.error, engine.now()
            try:
                with transaction.atomic():
                    instance.status, instance.error, instance.error_message = InstanceStatus.RUNNING, "", {}
                    instance.save(update_fields=["status", "error", "error_message", "updated_at"])
                    _audit(events.INSTANCE_RETRIED, actor=actor, target=instance, message=old_error)
                    step = _Step(instance, actor, moment)
                    step.history(
                        HistoryAction.AUTO,
                        actor=actor,
                        opinion=Message(gettext_noop("管理员恢复运行。")),
                        at=moment,
                    )
                    step.run(lambda workflow: workflow.refresh_timers())
                    step.finish()
            except Exception as error:
                if is_transient(error):
                    raise
                if not isinstance(error, ServiceError):
                    logger.exception("workflow instance %s failed again on retry", instance.pk)
                instance = lock_instance(instance.pk)  # as the savepoint left it: failed, old reason
                _fail_again(instance, actor, _failure_reason(error), moment)
    except DatabaseError as error:
        if not is_transient(error):
            raise
        logger.warning("workflow instance %s: retry met a transient database error: %s", instance.pk, error)
        raise Conflict(_("数据库暂时繁忙，流程仍为“运行异常”，请稍后再试。"), code="transient") from None
    return instance


def _keep_failure(instance: ProcessInstance, reason: str | Text) -> str:
    """Put the failure on the instance (the caller saves it); returns its text as written."""
    text, instance.error_message = for_record(reason)
    instance.error = text[:2000]
    return text


def _short(reason: str | Text) -> str | Text:
    """The reason inside a history opinion: a platform message whole, any other text cut."""
    return reason[:300] if isinstance(reason, str) else reason


@in_records_language
def _fail_again(instance: ProcessInstance, actor, reason: str | Text, moment: dt.datetime) -> None:
    text = _keep_failure(instance, reason)
    instance.save(update_fields=["error", "error_message", "updated_at"])
    record_history(
        instance,
        HistoryAction.AUTO,
        actor=actor,
        opinion=Message(gettext_noop("管理员恢复运行未成功，流程仍运行异常：%(r)s"), r=_short(reason)),
        at=moment,
    )
    _audit(events.INSTANCE_RETRIED, actor=actor, target=instance, message=text, success=False)


# 抄送 by hand: at most this many people at once (a 传阅 goes to a few colleagues, not to a whole office).
MAX_COPY_RECIPIENTS = 20


def can_copy(instance: ProcessInstance, user) -> bool:
    """抄送 by hand (传阅): whoever takes part in the instance — its initiator, whoever holds or held one of
    its steps — or an administrator of its processes. Ended instances too: a finished document is often
    circulated for information."""
    if user is None or not user.is_authenticated or user.admin_duties:
        return False
    if instance.initiator_id == user.pk:
        return True
    took_part = selectors.held_condition(user, delegated=True) | selectors.handled_condition(user)
    return instance.tasks.filter(took_part).exists() or _may_administer(user, instance)


def _copy_recipients(actor, instance: ProcessInstance, usernames: list[str]) -> list[User]:
    """The named users, each one who may see the instance by their own roles (the copy opens its data)."""
    names = list(dict.fromkeys(name.strip() for name in usernames if name and name.strip()))
    if not names:
        raise ValidationFailed({"recipients": [_("请选择抄送对象。")]})
    if len(names) > MAX_COPY_RECIPIENTS:
        raise ValidationFailed({"recipients": [_("一次最多抄送 %(n)d 人。") % {"n": MAX_COPY_RECIPIENTS}]})
    users = _users_named(names)
    errors = []
    for name in names:
        user = users[name]
        if user is _AMBIGUOUS:
            errors.append(_ambiguous(name))
        elif user is None:
            errors.append(_("用户“%(u)s”不存在或已停用。") % {"u": name})
        elif user.pk == actor.pk:
            errors.append(_("不能抄送给自己。"))
        elif not may_handle(user, instance.org):
            errors.append(
                _("%(u)s 无权查看本流程（不在其管辖范围内），不能抄送给他。") % {"u": user.full_name or name}
            )
    if errors:
        raise ValidationFailed({"recipients": errors})
    return list({user.pk: user for user in (users[name] for name in names)}.values())


def process_copy(
    *, actor, instance: ProcessInstance, recipients: list[str], note: str = ""
) -> list[CarbonCopy]:
    """抄送 (传阅) by hand: the named colleagues find the instance under 抄送 in their inbox, read it and may
    leave a 阅知意见 (`copy_comment`). Someone with an unread copy of the instance is not copied again.
    Returns the new copies."""
    from jiedao.workflow.signals import copies_created

    if not can_copy(instance, actor):
        raise PermissionDenied(_("只有流程的发起人、办理人或流程管理员可以抄送。"))
    note = (note or "").strip()[:500]
    users = _copy_recipients(actor, instance, recipients)
    moment = engine.now()
    with transaction.atomic():
        instance = lock_instance(instance.pk)
        waiting = set(
            instance.copies.filter(recipient__in=users, read_at__isnull=True).values_list(
                "recipient_id", flat=True
            )
        )
        users = [user for user in users if user.pk not in waiting]
        if not users:
            raise ServiceError(
                _("所选人员都已收到本流程的抄送，尚未阅读，无需重复抄送。"), code="already_copied"
            )
        created = CarbonCopy.objects.bulk_create(
            [
                CarbonCopy(instance=instance, recipient=user, sender=actor, note=note, created_at=moment)
                for user in users
            ]
        )
        names = "、".join(actor_name(user) for user in users)
        record_history(
            instance,
            HistoryAction.COPY,
            actor=actor,
            opinion=note,
            detail={"to_name": names, "to": [user.username for user in users]},
            at=moment,
        )
        _audit(
            events.COPY_SENT,
            actor=actor,
            target=instance,
            message=names,
            after={"recipients": [u.pk for u in users]},
        )
        ids = [copy.pk for copy in created]
        transaction.on_commit(lambda: copies_created.send(sender=CarbonCopy, copy_ids=ids))
    return created


def copy_comment(*, actor, instance: ProcessInstance, comment: str) -> CarbonCopy:
    """阅知意见: the recipient of a copy of `instance` writes what they make of it, once per copy (the latest
    still without one); it joins the instance's history so the sender and the handlers see it."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed({"comment": [_("请填写阅知意见。")]})
    if len(comment) > 500:
        raise ValidationFailed({"comment": [_("阅知意见不能超过 500 字。")]})
    with transaction.atomic():
        mine = CarbonCopy.objects.select_for_update().filter(instance=instance, recipient=actor)
        copy = mine.filter(comment="").order_by("-created_at", "-id").first()
        if copy is None:
            raise Conflict(_("您已填写过阅知意见。") if mine.exists() else _("该流程没有抄送给您。"))
        copy.comment = comment
        copy.read_at = copy.read_at or timezone.now()
        copy.save(update_fields=["comment", "read_at"])
        record_history(instance, HistoryAction.READ, actor=actor, opinion=comment)
        _audit(events.COPY_READ, actor=actor, target=instance, message=comment)
    return copy


def copies_mark_read(*, actor, instance: ProcessInstance) -> int:
    """The actor opened `instance`: their unread copies of it are read (one UPDATE, one audit record)."""
    with transaction.atomic():
        read = CarbonCopy.objects.filter(instance=instance, recipient=actor, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        if read:
            audit.record(events.COPY_READ, actor=actor, target=instance)
    return read


# --- timers ---------------------------------------------------------------------------------------------------


# SQLSTATEs (or their classes) of PostgreSQL errors that a later attempt gets past: 08 the connection failed or
# was lost, 40001 serialization failure, 40P01 deadlock, 55P03 lock not available (lock_timeout), 57014
# statement cancelled (statement_timeout), 57P01-57P03 the server shutting down or starting, 53 out of resources
# (too many connections, disk full).
TRANSIENT_SQLSTATES = ("08", "40001", "40P01", "55P03", "57014", "57P0", "53")
# A timer sweep that meets a transient error tries the instance again after 1, 2, 4 … minutes (at most an
# hour); the 8th failure in a row, about two hours after the first, marks it failed. A deadlock, a lock
# timeout or a failover clears in seconds or minutes; two hours of failures while the database still takes
# writes (the count is written) means something a person must look at — a stuck job holding a lock, a step
# that deadlocks every time — and the 运行异常 list shows it to the administrator, who resumes it
# (`process_retry`). The back-off keeps such an instance from taking a place of the sweep's batch (oldest
# timer first) every minute, and its own timer moment is kept (`next_timer_at`).
MAX_TRANSIENT_FAILURES = 8
MAX_RETRY_DELAY = dt.timedelta(hours=1)


def is_transient(error: BaseException) -> bool:
    """Whether a database error comes from the moment rather than from the instance: trying again later can
    succeed. A broken process definition, a script error or a refused step (ServiceError) is not."""
    if isinstance(error, InterfaceError):  # the connection was closed under us
        return True
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate:
        return sqlstate.startswith(TRANSIENT_SQLSTATES)
    if isinstance(cause, sqlite3.Error):
        # A lock the busy timeout did not outlast; SQLite's other OperationalErrors (no such table, a syntax
        # error) are not cured by waiting.
        message = str(error).lower()
        return "locked" in message or "busy" in message
    return True  # PostgreSQL reports a lost connection without a SQLSTATE


def retry_delay(failures: int) -> dt.timedelta:
    """How long the sweep leaves an instance after its `failures`-th transient error in a row."""
    return min(dt.timedelta(minutes=2 ** min(failures - 1, 10)), MAX_RETRY_DELAY)


def _failure_reason(error: BaseException) -> str | Text:
    """Why a step failed, as an instance keeps it: the platform's words as a message, anything else as it
    came."""
    if isinstance(error, EngineFailure):
        return error.text
    if isinstance(error, ServiceError):
        return str(error.message)
    return f"{error.__class__.__name__}: {error}"[:500]


@dataclass(frozen=True)
class TimerRun:
    advanced: int
    failed: int
    retried: int = 0


def fire_due_timers(*, now: dt.datetime | None = None, limit: int = 500) -> TimerRun:
    """Advance every running instance whose next timer is due: refresh its timers and run the engine.

    One transaction per instance. A transient database error (`is_transient`) leaves the instance as it was,
    to be tried again after a back-off (`retry_delay`); any other error marks it failed (with the reason),
    as do `MAX_TRANSIENT_FAILURES` transient ones in a row. The other instances go on."""
    moment = now or engine.now()
    due = list(
        ProcessInstance.objects.filter(status=InstanceStatus.RUNNING, next_timer_at__lte=moment)
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=moment))
        .order_by("next_timer_at")
        .values_list("pk", flat=True)[:limit]
    )
    advanced = failed = retried = 0
    for instance_id in due:
        try:
            with transaction.atomic():
                instance = lock_instance(instance_id)
                if (
                    instance.status != InstanceStatus.RUNNING
                    or not instance.next_timer_at
                    or instance.next_timer_at > moment
                    or (instance.retry_at and instance.retry_at > moment)
                ):
                    continue
                step = _Step(instance, None, moment)
                step.run(lambda workflow: workflow.refresh_timers())
                step.finish()
            advanced += 1
        except Exception as error:  # a bug must not stop the other instances
            if is_transient(error):
                if _note_transient_failure(instance_id, error, moment):
                    failed += 1
                else:
                    retried += 1
                continue
            failed += 1
            if not isinstance(error, ServiceError):
                logger.exception("workflow timer failed for instance %s", instance_id)
            _mark_failed(instance_id, _failure_reason(error))
    return TimerRun(advanced=advanced, failed=failed, retried=retried)


def _note_transient_failure(instance_id: int, error: BaseException, moment: dt.datetime) -> bool:
    """Count a transient error of the sweep on an instance and put its next try off; True when it was the
    last one allowed and the instance is now failed."""
    try:
        with transaction.atomic():
            failures = (
                ProcessInstance.objects.select_for_update()
                .filter(pk=instance_id, status=InstanceStatus.RUNNING)
                .values_list("transient_failures", flat=True)
                .first()
            )
            if failures is None:  # ended or failed meanwhile
                return False
            failures += 1
            if failures >= MAX_TRANSIENT_FAILURES:
                logger.error(
                    "workflow timer of instance %s: transient database error %d times in a row, marked failed: %s",
                    instance_id,
                    failures,
                    error,
                )
                reason = Message(
                    gettext_noop("定时处理连续 %(n)d 次遇到数据库临时故障，已停止自动重试：%(e)s"),
                    n=failures,
                    e=_short(_failure_reason(error)),
                )
                return _mark_failed(instance_id, reason)
            retry_at = moment + retry_delay(failures)
            ProcessInstance.objects.filter(pk=instance_id).update(
                transient_failures=failures, retry_at=retry_at
            )
            logger.warning(
                "workflow timer of instance %s met a transient database error (%d in a row), tried again at %s: %s",
                instance_id,
                failures,
                retry_at.isoformat(),
                error,
            )
    except DatabaseError:
        # The database still does not answer: nothing was written, and the next sweep tries again.
        logger.exception("workflow timer of instance %s: could not note a transient error", instance_id)
    return False


@in_records_language
def _mark_failed(instance_id: int, reason: str | Text) -> bool:
    """Mark a running instance failed (its timers stop); False when it is no longer running."""
    with transaction.atomic():
        instance = (
            ProcessInstance.objects.select_for_update()
            .filter(pk=instance_id, status=InstanceStatus.RUNNING)
            .first()
        )
        if instance is None:
            return False
        instance.status = InstanceStatus.FAILED
        text = _keep_failure(instance, reason)
        instance.next_timer_at, instance.transient_failures, instance.retry_at = None, 0, None
        instance.save(
            update_fields=[
                "status",
                "error",
                "error_message",
                "next_timer_at",
                "transient_failures",
                "retry_at",
                "updated_at",
            ]
        )
        record_history(
            instance,
            HistoryAction.AUTO,
            opinion=Message(gettext_noop("流程运行异常：%(r)s"), r=_short(reason)),
        )
        _audit(events.INSTANCE_FAILED, actor=None, target=instance, message=text, success=False)
    return True
