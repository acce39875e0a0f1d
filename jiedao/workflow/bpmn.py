"""Reading BPMN 2.0: safe XML parsing, the platform's extension attributes, validation on deploy, and the
SpiffWorkflow spec.

Safe parsing
------------
The bytes are first vetted by `defusedxml.ElementTree.fromstring(..., forbid_dtd=True)`: a DOCTYPE (and so
every entity declaration: XXE, billion laughs) or malformed XML is refused before anything else reads the
document. Only then is it parsed by lxml with entity resolution and network access off, and that tree is
handed to SpiffWorkflow's parser.

Extension attributes (the documented convention)
------------------------------------------------
Camunda-style attributes are read from the Camunda, Flowable or Activiti namespace; platform-specific ones use
``xmlns:jiedao="http://jiedao.org.cn/schema/bpmn/1.0"``. A file drawn in Flowable Modeler, Activiti Designer or
Camunda Modeler (Camunda 7 or 8) is first converted to this convention on import
(`jiedao.workflow.bpmn_import`: the initiator variable, groups named by a role's name, formProperty fields
and Camunda Forms, JUEL and FEEL conditions, ISO due dates…), and what cannot be converted is reported there,
naming the element.

User tasks (``bpmn:userTask``, ``bpmn:manualTask``):

* ``camunda:assignee`` — one handler: ``initiator``, ``user:<username>`` (or a bare username), or
  ``${variable}`` holding a username;
* ``camunda:candidateUsers`` — comma-separated usernames / ``initiator`` / ``${variable}`` (one username,
  filled by a form field: deploy refuses a variable no form fills, which other engines use for a list);
* ``camunda:candidateGroups`` — comma-separated groups: ``role:<role code>`` (holders of the role at the
  instance's org node or, failing that, the nearest ancestor node that has some), ``orgrole:<role
  code>@<anchor>`` (holders of the role at exactly that node) or a bare role code. Anchors: ``org`` (the
  instance's node), ``parent``, ``community``, ``subdistrict``, ``district``, ``initiator_org``,
  ``applicant_community`` / ``initiator_community``, ``applicant_subdistrict`` / ``initiator_subdistrict``;
* ``camunda:formKey`` — the key of a form-js schema in the definition's forms;
* ``jiedao:dueWorkingDays`` / ``jiedao:dueDays`` / ``jiedao:dueHours`` — the task's time limit (a
  ``timelimits`` clock, kind ``workflow.task``);
* ``bpmn:multiInstanceLoopCharacteristics`` marks a countersign (会签); ``jiedao:completion`` on the task
  (``all`` — everyone must approve, ``any`` — one approval suffices, or a share such as ``0.6`` / ``60%``)
  says how it decides. One task is created per candidate;
* ``jiedao:excludeInitiator="true"`` — the initiator never handles the step (an applicant does not approve
  their own request): they are left out of its candidates, a ``role:`` group looks further up when the
  initiator is its only holder at a level, and nobody left is refused like any step without a handler.

The process (``bpmn:process``): ``jiedao:businessOnly="true"`` — the process handles a business record (a
service-hall application) and is started only by the service that owns the record, never from 发起流程;
``jiedao:confidential="true"`` — 仅经办人可见: a personnel matter (请销假) whose instances are read only by
their initiator, those who hold or held one of their steps, their copies' recipients and the process
administrators, not by everyone with the view permission over the org.

Service tasks: ``jiedao:action="workflow.set_variable"`` (or ``camunda:topic``) names a registered action;
its parameters are ``camunda:property`` entries in ``extensionElements/camunda:properties``, or a JSON
object in ``jiedao:params`` (what the platform's designer writes). A value
``${…}`` is evaluated on the process data at run time.

Timers (``bpmn:boundaryEvent`` on a user task, ``bpmn:intermediateCatchEvent``): ``timeDuration`` ``P5D``
(calendar days), ``PT4H`` (hours) or ``P1DT4H``; ``timeDate`` an ISO date-time; ``jiedao:workingDays="5"``
on the event or its ``timerEventDefinition`` counts working days of the platform calendar instead.

Gateway conditions use the restricted language of `jiedao.workflow.expressions`. Script tasks are refused.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from threading import Lock
from xml.etree.ElementTree import ParseError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import ElementTree as SafeElementTree
from django.utils.translation import gettext as _
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.parser.event_parsers import BoundaryEventParser, IntermediateCatchEventParser
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, IntermediateCatchEvent, ServiceTask
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util import PendingBpmnEvent

from jiedao.workflow import expressions

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
FLOWABLE_NS = "http://flowable.org/bpmn"
ACTIVITI_NS = "http://activiti.org/bpmn"
JIEDAO_NS = "http://jiedao.org.cn/schema/bpmn/1.0"
VENDOR_NAMESPACES = (CAMUNDA_NS, FLOWABLE_NS, ACTIVITI_NS)
NSMAP = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "jiedao": JIEDAO_NS}
MAX_BPMN_BYTES = 2 * 1024 * 1024

USER_TASK_TYPES = ("userTask", "manualTask")
FLOW_NODE_TYPES = (
    "startEvent",
    "endEvent",
    "userTask",
    "manualTask",
    "task",
    "serviceTask",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "boundaryEvent",
    "intermediateCatchEvent",
)
# Process children that carry no behaviour and are accepted as they are.
PASSIVE_TYPES = (
    "sequenceFlow",
    "laneSet",
    "textAnnotation",
    "association",
    "documentation",
    "extensionElements",
    "group",
)
TYPE_LABELS = {
    "scriptTask": "脚本任务",
    "subProcess": "子流程",
    "callActivity": "调用活动",
    "transaction": "事务子流程",
    "adHocSubProcess": "自由子流程",
    "sendTask": "发送任务",
    "receiveTask": "接收任务",
    "businessRuleTask": "业务规则任务",
    "eventBasedGateway": "事件网关",
    "complexGateway": "复杂网关",
    "intermediateThrowEvent": "中间抛出事件",
    "dataObject": "数据对象",
    "dataObjectReference": "数据对象引用",
    "dataStoreReference": "数据存储引用",
    "userTask": "用户任务",
    "manualTask": "人工任务",
    "serviceTask": "服务任务",
    "startEvent": "开始事件",
    "endEvent": "结束事件",
    "exclusiveGateway": "排他网关",
    "parallelGateway": "并行网关",
    "inclusiveGateway": "包容网关",
    "boundaryEvent": "边界事件",
    "intermediateCatchEvent": "中间捕获事件",
    "task": "任务",
}
ANCHORS = (
    "org",
    "parent",
    "community",
    "subdistrict",
    "district",
    "initiator_org",
    "initiator_community",
    "applicant_community",
    "initiator_subdistrict",
    "applicant_subdistrict",
)
# A process key (the BPMN process id); the new-draft form and the demo loader check keys against it too.
PROCESS_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")
_VAR_RE = re.compile(r"^\$\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}$")
_ISO_DURATION_RE = re.compile(
    r"^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$"
)


class BpmnError(Exception):
    """The document cannot be used. `messages` are Chinese and name the element concerned."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("; ".join(messages))


# --- what the platform reads from the document --------------------------------------------------------


@dataclass(frozen=True)
class TimerSpec:
    """When a timer fires: after `amount` working days / a duration / at a moment."""

    kind: str  # "working_days" | "duration" | "date"
    working_days: int = 0
    duration: timedelta = timedelta(0)
    months: int = 0
    at: str = ""

    def describe(self) -> str:
        if self.kind == "working_days":
            return _("%(n)d 个工作日") % {"n": self.working_days}
        if self.kind == "date":
            return self.at
        return str(self.duration)


@dataclass
class Element:
    id: str
    type: str
    name: str = ""
    assignee: str = ""
    candidate_users: list[str] = field(default_factory=list)
    candidate_groups: list[str] = field(default_factory=list)
    form_key: str = ""
    due_rule: str = ""
    due_limit: int = 0
    countersign: str = ""  # "", "all", "any", or a share "0.6"
    exclude_initiator: bool = False
    action: str = ""
    params: dict[str, str] = field(default_factory=dict)
    timer: TimerSpec | None = None
    attached_to: str = ""
    cancel_activity: bool = True
    default_flow: str = ""
    event_kinds: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"「{self.name}」（{self.id}）" if self.name else f"「{self.id}」"

    @property
    def is_user_task(self) -> bool:
        return self.type in USER_TASK_TYPES


@dataclass
class Flow:
    id: str
    source: str
    target: str
    name: str = ""
    condition: str | None = None

    @property
    def label(self) -> str:
        return f"「{self.name}」（{self.id}）" if self.name else f"「{self.id}」"


@dataclass
class ProcessModel:
    """The platform's reading of one executable process, plus the Spiff spec built from it."""

    process_id: str
    name: str
    elements: dict[str, Element]
    flows: dict[str, Flow]
    start_form_key: str = ""
    business_only: bool = False
    spec: object = None
    subprocess_specs: dict = field(default_factory=dict)
    # Elements of the file already refused with their own message (a script task…): the flows that
    # touch them are not reported again.
    refused: set[str] = field(default_factory=set)

    def element(self, element_id: str) -> Element | None:
        return self.elements.get(element_id)

    def user_tasks(self) -> list[Element]:
        return [e for e in self.elements.values() if e.is_user_task]


# --- safe parsing ----------------------------------------------------------------------------------------


def _as_bytes(xml: str | bytes) -> bytes:
    return xml.encode("utf-8") if isinstance(xml, str) else xml


def vet_xml(xml: str | bytes) -> bytes:
    """Refuse malformed XML, DTDs and entities (XXE, entity expansion); return the bytes to parse."""
    data = _as_bytes(xml or b"")
    if not data.strip():
        raise BpmnError([_("BPMN 内容为空。")])
    if len(data) > MAX_BPMN_BYTES:
        raise BpmnError([_("BPMN 文件过大（不超过 2 MB）。")])
    if isinstance(xml, str) and data.lstrip().startswith(b"<?xml"):
        # A str has already been decoded: drop an encoding declaration that no longer applies.
        data = re.sub(rb"^\s*<\?xml[^>]*\?>", b"", data, count=1)
    try:
        SafeElementTree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DTDForbidden:
        raise BpmnError([_("BPMN 文件不能包含 DOCTYPE 声明（出于安全原因不允许 DTD 与实体）。")]) from None
    except EntitiesForbidden:
        raise BpmnError([_("BPMN 文件不能声明实体（出于安全原因不允许实体扩展）。")]) from None
    except ExternalReferenceForbidden:
        raise BpmnError([_("BPMN 文件不能引用外部资源。")]) from None
    except ParseError as error:
        line = getattr(error, "position", (None,))[0]
        where = _("（第 %(n)d 行）") % {"n": line} if line else ""
        raise BpmnError([_("BPMN 文件不是格式正确的 XML%(where)s。") % {"where": where}]) from None
    return data


_LXML_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def parse_tree(xml: str | bytes) -> etree._Element:
    data = vet_xml(xml)
    try:
        root = etree.fromstring(data, etree.XMLParser(**_LXML_PARSER_OPTIONS))
    except etree.XMLSyntaxError:
        raise BpmnError([_("BPMN 文件不是格式正确的 XML。")]) from None
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise BpmnError([_("这不是 BPMN 2.0 文件：根元素应为 bpmn:definitions。")])
    return root


# --- reading the platform's attributes ------------------------------------------------------------------


def tag_local(tag) -> str:
    """The local part of an ElementTree tag or attribute name (`{namespace}local`); "" for comments and
    processing instructions, whose tag is not a string."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def tag_namespace(tag) -> str:
    """The namespace URI of an ElementTree tag or attribute name; "" when it has none."""
    if isinstance(tag, str) and tag.startswith("{"):
        return tag[1:].split("}", 1)[0]
    return ""


def _vendor_attr(node, name: str) -> str:
    for ns in VENDOR_NAMESPACES:
        value = node.get(f"{{{ns}}}{name}")
        if value is not None:
            return value.strip()
    return ""


def _jiedao_attr(node, name: str) -> str:
    value = node.get(f"{{{JIEDAO_NS}}}{name}")
    return value.strip() if value is not None else ""


def _business_only(process) -> bool:
    return _jiedao_attr(process, "businessOnly").lower() in ("true", "1")


def declares_business_only(xml: str) -> bool:
    """Whether the document's executable process is marked ``jiedao:businessOnly`` (read without building the
    process, so also for a draft that does not validate yet; False for a document that does not parse)."""
    process = _declared_process(xml)
    return process is not None and _business_only(process)


def declares_confidential(xml: str) -> bool:
    """Whether the document's executable process is marked ``jiedao:confidential`` (仅经办人可见), read like
    `declares_business_only`."""
    process = _declared_process(xml)
    return process is not None and _jiedao_attr(process, "confidential").lower() in ("true", "1")


def _declared_process(xml: str):
    try:
        root = parse_tree(xml)
    except BpmnError:
        return None
    processes = root.findall(f"{{{BPMN_NS}}}process")
    if len(processes) > 1:
        processes = [p for p in processes if p.get("isExecutable", "true").lower() == "true"]
    return processes[0] if len(processes) == 1 else None


def split_handlers(value: str) -> list[str]:
    """The comma-separated parts of a handler list. A comma inside brackets or quotes belongs to an expression
    (``${svc.find(execution, 'a,b')}``, FEEL ``=["a", "b"]``), which stays one part."""
    text = value or ""
    parts, depth, quote, start = [], 0, "", 0
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


def _vendor_properties(node) -> dict[str, str]:
    params: dict[str, str] = {}
    for ext in node.findall(f"{{{BPMN_NS}}}extensionElements"):
        for holder in ext:
            namespace = tag_namespace(holder.tag)
            if tag_local(holder.tag) != "properties" or namespace not in (*VENDOR_NAMESPACES, JIEDAO_NS):
                continue
            for prop in holder:
                if tag_local(prop.tag) == "property" and prop.get("name"):
                    params[prop.get("name")] = prop.get("value", "")
    return params


def parse_iso_duration(text: str) -> tuple[int, timedelta] | None:
    """(months, timedelta) of an ISO-8601 duration such as P5D, PT4H, P1DT2H30M, P2W; None if not one."""
    match = _ISO_DURATION_RE.match((text or "").strip().upper())
    if not match:
        return None
    years, months, weeks, days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return years * 12 + months, timedelta(
        weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds
    )


def _timer_spec(event_node, definition_node, errors: list[str], label: str) -> TimerSpec | None:
    working = _jiedao_attr(definition_node, "workingDays") or _jiedao_attr(event_node, "workingDays")
    if working:
        if not working.isdigit() or not 0 < int(working) <= 3660:
            errors.append(_("定时事件%(e)s的工作日数「%(v)s」应为正整数。") % {"e": label, "v": working})
            return None
        return TimerSpec(kind="working_days", working_days=int(working))
    for child in definition_node:
        kind = tag_local(child.tag)
        text = (child.text or "").strip().strip("\"'")
        if kind == "timeDuration":
            parsed = parse_iso_duration(text)
            if parsed is None or (parsed[0] == 0 and parsed[1] <= timedelta(0)):
                errors.append(
                    _("定时事件%(e)s的时长「%(v)s」不是有效的 ISO-8601 时长（如 P5D、PT4H）。")
                    % {"e": label, "v": text[:50]}
                )
                return None
            return TimerSpec(kind="duration", months=parsed[0], duration=parsed[1])
        if kind == "timeDate":
            try:
                datetime.fromisoformat(text)
            except ValueError:
                errors.append(
                    _("定时事件%(e)s的时间「%(v)s」不是有效的 ISO-8601 时间。") % {"e": label, "v": text[:50]}
                )
                return None
            return TimerSpec(kind="date", at=text)
        if kind == "timeCycle":
            errors.append(_("定时事件%(e)s使用了循环定时（timeCycle），暂不支持。") % {"e": label})
            return None
    errors.append(_("定时事件%(e)s没有设置时长或时间。") % {"e": label})
    return None


def _parse_countersign(node, loop, errors: list[str], label: str) -> str:
    raw = _jiedao_attr(node, "completion") or _jiedao_attr(loop, "completion") or "all"
    if loop.get("isSequential", "false").lower() == "true":
        errors.append(_("用户任务%(e)s是顺序多实例（依次会签），暂不支持；请改为并行会签。") % {"e": label})
    value = raw.strip().lower()
    if value in ("all", "any"):
        return value
    try:
        share = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        share = -1
    if not 0 < share <= 1:
        errors.append(
            _("用户任务%(e)s的会签规则「%(v)s」无效：应为 all、any 或 0 到 1 之间的比例（如 0.6）。")
            % {"e": label, "v": raw[:20]}
        )
        return "all"
    return f"{share:g}"


def _read_due(node, element: Element, errors: list[str]) -> None:
    from jiedao.workcalendar.choices import CountingRule

    for attr, rule in (
        ("dueWorkingDays", CountingRule.WORKING_DAYS),
        ("dueDays", CountingRule.CALENDAR_DAYS),
        ("dueHours", CountingRule.HOURS),
    ):
        value = _jiedao_attr(node, attr)
        if not value:
            continue
        if element.due_rule:
            errors.append(_("用户任务%(e)s同时设置了多种办理时限，只能设置一种。") % {"e": element.label})
            return
        if not value.isdigit() or not 0 < int(value) <= 3660:
            errors.append(
                _("用户任务%(e)s的办理时限「%(v)s」应为正整数。") % {"e": element.label, "v": value[:20]}
            )
            return
        element.due_rule, element.due_limit = str(rule), int(value)


def read_process(root: etree._Element) -> tuple[etree._Element, ProcessModel, list[str]]:
    """Find the executable process and read its elements and flows. Returns (process node, model, errors)."""
    errors: list[str] = []
    processes = root.findall(f"{{{BPMN_NS}}}process")
    # A lone process is the one to run whatever its flag says: bpmn.io and other modelers save new diagrams
    # with isExecutable="false". With several, the flag picks one.
    executable = (
        processes
        if len(processes) == 1
        else [p for p in processes if p.get("isExecutable", "true").lower() == "true"]
    )
    if not processes:
        raise BpmnError([_("文件中没有流程（bpmn:process）。")])
    if len(executable) != 1:
        raise BpmnError(
            [_("文件中应恰好有一个可执行流程（isExecutable），现有 %(n)d 个。") % {"n": len(executable)}]
        )
    process = executable[0]
    process_id = process.get("id") or ""
    if not PROCESS_KEY_RE.match(process_id):
        errors.append(
            _("流程标识「%(id)s」无效：应以字母开头，只含字母、数字、下划线、点和连字符，不超过 64 个字符。")
            % {"id": process_id[:70]}
        )
    model = ProcessModel(process_id=process_id, name=process.get("name") or process_id, elements={}, flows={})
    model.business_only = _business_only(process)
    for node in process:
        if not isinstance(node.tag, str):
            continue
        kind = tag_local(node.tag)
        if tag_namespace(node.tag) != BPMN_NS:
            continue
        node_id = node.get("id") or ""
        if kind == "sequenceFlow":
            condition_node = node.find(f"{{{BPMN_NS}}}conditionExpression")
            condition = None
            if condition_node is not None and (condition_node.text or "").strip():
                condition = condition_node.text.strip()
            model.flows[node_id] = Flow(
                node_id, node.get("sourceRef", ""), node.get("targetRef", ""), node.get("name", ""), condition
            )
            continue
        if kind in PASSIVE_TYPES:
            continue
        name = (node.get("name") or "").strip()
        label = f"「{name}」（{node_id}）" if name else f"「{node_id}」"
        if kind == "scriptTask":
            errors.append(
                _(
                    "脚本任务%(e)s不允许使用：出于安全原因，流程中不能执行脚本。"
                    "请改用服务任务（已登记的动作，如 workflow.set_variable）或网关条件。"
                )
                % {"e": label}
            )
            model.refused.add(node_id)
            continue
        if kind not in FLOW_NODE_TYPES:
            errors.append(
                _("不支持的元素类型：%(type)s%(e)s。") % {"type": TYPE_LABELS.get(kind, kind), "e": label}
            )
            model.refused.add(node_id)
            continue
        if not node_id:
            errors.append(_("有一个%(type)s缺少 id。") % {"type": TYPE_LABELS.get(kind, kind)})
            continue
        element = Element(id=node_id, type=kind, name=name)
        element.default_flow = node.get("default", "")
        element.event_kinds = [tag_local(c.tag) for c in node if tag_local(c.tag).endswith("EventDefinition")]
        if element.is_user_task:
            _read_user_task(node, element, errors)
        elif kind == "serviceTask":
            element.action = _jiedao_attr(node, "action") or _vendor_attr(node, "topic")
            element.params = _vendor_properties(node)
            raw_params = _jiedao_attr(node, "params")
            if raw_params:
                try:
                    extra = json.loads(raw_params)
                except ValueError:
                    extra = None
                if not isinstance(extra, dict):
                    errors.append(_("服务任务%(e)s的参数（jiedao:params）应为 JSON 对象。") % {"e": label})
                else:
                    element.params.update(
                        {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in extra.items()}
                    )
        elif kind == "startEvent":
            element.form_key = _form_key(node)
            model.start_form_key = model.start_form_key or element.form_key
            if element.event_kinds:
                errors.append(
                    _("开始事件%(e)s带有事件定义（%(k)s），只支持普通开始事件。")
                    % {"e": label, "k": "、".join(element.event_kinds)}
                )
        elif kind == "endEvent":
            unsupported = [k for k in element.event_kinds if k != "terminateEventDefinition"]
            if unsupported:
                errors.append(
                    _("结束事件%(e)s带有不支持的事件定义（%(k)s）。")
                    % {"e": label, "k": "、".join(unsupported)}
                )
        elif kind in ("boundaryEvent", "intermediateCatchEvent"):
            element.attached_to = node.get("attachedToRef", "")
            element.cancel_activity = node.get("cancelActivity", "true").lower() == "true"
            definitions = [c for c in node if tag_local(c.tag).endswith("EventDefinition")]
            if len(definitions) != 1 or tag_local(definitions[0].tag) != "timerEventDefinition":
                errors.append(_("事件%(e)s只支持定时事件（timerEventDefinition）。") % {"e": label})
            else:
                element.timer = _timer_spec(node, definitions[0], errors, label)
        if any(tag_local(c.tag) == "standardLoopCharacteristics" for c in node):
            errors.append(_("元素%(e)s使用了循环标记，暂不支持。") % {"e": label})
        loops = [c for c in node if tag_local(c.tag) == "multiInstanceLoopCharacteristics"]
        if loops and not element.is_user_task:
            errors.append(_("只有用户任务可以设置多实例（会签），%(e)s不行。") % {"e": label})
        if node_id in model.elements:
            errors.append(_("元素 id「%(id)s」重复。") % {"id": node_id})
        model.elements[node_id] = element
    return process, model, errors


def _read_user_task(node, element: Element, errors: list[str]) -> None:
    element.assignee = _vendor_attr(node, "assignee")
    element.candidate_users = split_handlers(_vendor_attr(node, "candidateUsers"))
    element.candidate_groups = split_handlers(_vendor_attr(node, "candidateGroups"))
    element.form_key = _form_key(node)
    element.exclude_initiator = _jiedao_attr(node, "excludeInitiator").lower() in ("true", "1")
    _read_due(node, element, errors)
    loops = [c for c in node if tag_local(c.tag) == "multiInstanceLoopCharacteristics"]
    if loops:
        element.countersign = _parse_countersign(node, loops[0], errors, element.label)


# --- Camunda 7 generated task forms (camunda:formData) ----------------------------------------------------

# Camunda's form field types and the form-js component each becomes.
_CAMUNDA_FIELD_TYPES = {
    "string": "textfield",
    "long": "number",
    "boolean": "checkbox",
    "date": "datetime",
    "enum": "select",
}
_CAMUNDA_CONSTRAINTS = {"minlength": "minLength", "maxlength": "maxLength", "min": "min", "max": "max"}


def _form_fields(node) -> list:
    return node.findall(f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}formData/{{{CAMUNDA_NS}}}formField")


def generated_form_key(element_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", f"form_{element_id}")[:64]


def _form_key(node) -> str:
    """The element's form: its formKey, or the form generated from its camunda:formData."""
    key = _vendor_attr(node, "formKey")
    if not key and _form_fields(node):
        key = generated_form_key(node.get("id") or "")
    return key


def _camunda_component(field) -> dict:
    kind = (field.get("type") or "string").strip()
    key = (field.get("id") or "").strip()
    component: dict = {
        "type": _CAMUNDA_FIELD_TYPES.get(kind, "textfield"),
        "key": key,
        "id": key,
        "label": (field.get("label") or key).strip(),
    }
    if kind == "long":
        component["decimalDigits"] = 0
    elif kind == "date":
        component["subtype"] = "date"
    elif kind == "enum":
        component["values"] = [
            {"label": value.get("name") or value.get("id") or "", "value": value.get("id") or ""}
            for value in field.findall(f"{{{CAMUNDA_NS}}}value")
        ]
    default = field.get("defaultValue")
    if default is not None and "${" not in default:
        if kind == "boolean":
            component["defaultValue"] = default.strip().lower() == "true"
        elif kind == "long" and re.fullmatch(r"-?\d+", default.strip()):
            component["defaultValue"] = int(default)
        else:
            component["defaultValue"] = default
    rules: dict = {}
    for constraint in field.findall(f"{{{CAMUNDA_NS}}}validation/{{{CAMUNDA_NS}}}constraint"):
        name, config = (constraint.get("name") or "").lower(), (constraint.get("config") or "").strip()
        if name == "required":
            rules["required"] = True
        elif name == "readonly":
            component["readonly"] = True
        elif name in _CAMUNDA_CONSTRAINTS and re.fullmatch(r"-?\d+(\.\d+)?", config):
            rules[_CAMUNDA_CONSTRAINTS[name]] = float(config) if "." in config else int(config)
    if rules:
        component["validate"] = rules
    return component


def camunda_forms(xml: str | bytes) -> dict[str, dict]:
    """form-js schemas for the user tasks and start event that declare Camunda 7 generated task forms
    (``camunda:formData``) instead of a formKey, so a process drawn in Camunda Modeler keeps its fields.
    Field types string / long / boolean / date / enum, default values and the required, readonly,
    minlength, maxlength, min and max constraints carry over."""
    root = parse_tree(xml)
    forms: dict[str, dict] = {}
    for node in root.iter(*(f"{{{BPMN_NS}}}{kind}" for kind in (*USER_TASK_TYPES, "startEvent"))):
        fields = _form_fields(node)
        if not fields or _vendor_attr(node, "formKey"):
            continue
        key = generated_form_key(node.get("id") or "")
        forms[key] = {
            "type": "default",
            "id": key,
            "schemaVersion": 16,
            "components": [_camunda_component(field) for field in fields],
        }
    return forms


# --- validation -------------------------------------------------------------------------------------------


def validate_model(
    model: ProcessModel, forms: dict, *, reported: Collection[tuple[str, str, str]] = ()
) -> list[str]:
    """The checks run on deploy (beyond what `read_process` already refused). `reported`: handler
    references the import already reported (see `bpmn_import.Conversion.reported`), not checked again."""
    from jiedao.workflow import actions, assignment, formschema

    errors: list[str] = []
    elements, flows = model.elements, model.flows
    starts = [e for e in elements.values() if e.type == "startEvent"]
    ends = [e for e in elements.values() if e.type == "endEvent"]
    if len(starts) != 1:
        errors.append(_("流程应有且只有一个开始事件，现有 %(n)d 个。") % {"n": len(starts)})
    if not ends:
        errors.append(_("流程没有结束事件。"))
    outgoing: dict[str, list[Flow]] = {}
    incoming: dict[str, list[Flow]] = {}
    for flow in flows.values():
        for end, message in (
            (flow.source, _("连线%(f)s的起点「%(id)s」不在本流程中。")),
            (flow.target, _("连线%(f)s的终点「%(id)s」不在本流程中。")),
        ):
            # An element refused by `read_process` has its own message; its flows are not reported again.
            if end not in elements and end not in model.refused:
                errors.append(message % {"f": flow.label, "id": end})
        outgoing.setdefault(flow.source, []).append(flow)
        incoming.setdefault(flow.target, []).append(flow)
        if flow.condition is not None and (flow.id, "condition", "") not in reported:
            try:
                expressions.check(flow.condition)
            except expressions.ExpressionError as error:
                errors.append(_("连线%(f)s的条件无效：%(m)s") % {"f": flow.label, "m": error})
    for element in elements.values():
        out = outgoing.get(element.id, [])
        if element.type in ("exclusiveGateway", "inclusiveGateway") and len(out) > 1:
            for flow in out:
                if flow.condition is None and flow.id != element.default_flow:
                    errors.append(
                        _("网关%(g)s的出口连线%(f)s没有条件（只有默认连线可以不设条件）。")
                        % {"g": element.label, "f": flow.label}
                    )
        elif (
            element.type not in ("exclusiveGateway", "inclusiveGateway", "parallelGateway", "startEvent")
            and len(out) > 1
        ):
            errors.append(_("%(e)s有多条出口连线：请用网关表达分支。") % {"e": element.label})
        if element.type == "task":
            errors.append(
                _(
                    "%(e)s是未指定类型的任务：请在设计器中把它改为用户任务（由人办理）或服务任务（自动执行动作）。"
                )
                % {"e": element.label}
            )
        if element.default_flow and element.default_flow not in {flow.id for flow in out}:
            errors.append(
                _("%(e)s的默认连线「%(f)s」不是它的出口连线。")
                % {"e": element.label, "f": element.default_flow[:64]}
            )
        if element.type == "startEvent" and incoming.get(element.id):
            errors.append(_("开始事件%(e)s不能有进入的连线。") % {"e": element.label})
        if element.type not in ("startEvent", "boundaryEvent") and not incoming.get(element.id):
            errors.append(_("%(e)s没有进入的连线，永远不会执行。") % {"e": element.label})
        if element.type == "boundaryEvent":
            host = elements.get(element.attached_to)
            if host is None or not host.is_user_task:
                errors.append(_("边界事件%(e)s只能附着在用户任务上。") % {"e": element.label})
        if element.is_user_task:
            if not element.name.strip():
                # Else the inbox, the task page and the history show the generated id (Activity_0hfl7xl).
                errors.append(
                    _("用户任务「%(id)s」没有名称：请填写名称（待办和办理记录中向办理人显示的就是它）。")
                    % {"id": element.id}
                )
            errors.extend(assignment.validate_element(element, reported=reported))
            if element.form_key and element.form_key not in forms:
                errors.append(
                    _("用户任务%(e)s引用的表单「%(f)s」未定义。")
                    % {"e": element.label, "f": element.form_key}
                )
        if element.type == "startEvent" and element.form_key and element.form_key not in forms:
            errors.append(
                _("开始事件%(e)s引用的表单「%(f)s」未定义。") % {"e": element.label, "f": element.form_key}
            )
        if element.type == "serviceTask":
            if not element.action:
                errors.append(_("服务任务%(e)s没有指定动作（jiedao:action）。") % {"e": element.label})
            else:
                errors.extend(
                    f"{_('服务任务')}{element.label}：{message}"
                    for message in actions.validate_params(element.action, element.params)
                )
    for form_key, schema in (forms or {}).items():
        errors.extend(formschema.validate_schema(form_key, schema))
    errors.extend(_loops_without_exit(elements, outgoing))
    # (An element refused above, or an untyped task, is a step once fixed: said by its own message.)
    if not model.refused and not any(
        e.is_user_task or e.type in ("serviceTask", "task") for e in elements.values()
    ):
        errors.append(
            _(
                "流程中没有用户任务（由人办理）也没有服务任务（自动执行动作），发起后不会有任何环节办理：请至少添加一个环节。"
            )
        )
    errors.extend(_conditions_without_source(model, forms, reported))
    return errors


def provided_variables(model: ProcessModel, forms: dict) -> set[str] | None:
    """The process variables a running instance of `model` can have: what its start and task forms fill,
    what the platform writes (the initiator, each step's outcome, a countersign's votes) and what its service
    tasks declare they write. None when that cannot be told: the data of a process a business record starts
    (`business_only`), or a service task whose action does not declare what it writes."""
    from jiedao.workflow import actions, formschema

    if model.business_only:
        return None
    provided = {"initiator"}
    for element in model.elements.values():
        if element.is_user_task:
            provided |= {"outcome", f"{element.id}_outcome"}
            if element.countersign:
                provided.add(f"{element.id}_votes")
        if element.type == "serviceTask" and element.action:
            written = actions.variables_set(element.action, element.params)
            if written is None:
                return None
            provided |= written
        schema = (forms or {}).get(element.form_key) if element.form_key else None
        if isinstance(schema, dict):
            for field_ in formschema.fields(schema):
                provided.add(str(field_["key"]).split(".")[0])
            provided |= {
                str(c["path"]).split(".")[0]
                for c in formschema.walk_components(schema)
                if isinstance(c.get("path"), str) and c["path"]
            }
    return provided


def _conditions_without_source(
    model: ProcessModel, forms: dict, reported: Collection[tuple[str, str, str]]
) -> list[str]:
    """Conditions on a variable nothing in the process fills: they cannot be evaluated when reached, so every
    request would stop there (a clerk only finds out on 发起)."""
    provided = provided_variables(model, forms)
    if provided is None:
        return []
    errors = []
    for flow in model.flows.values():
        if flow.condition is None or (flow.id, "condition", "") in reported:
            continue
        try:
            names = expressions.variables(flow.condition)
        except expressions.ExpressionError:
            continue  # reported as an invalid condition
        for name in sorted(names - provided):
            errors.append(
                _(
                    "连线%(f)s的条件用到流程变量「%(v)s」，但本流程的表单中没有填写它的字段，也没有环节设置它，"
                    "该条件将无法计算：请在开始表单或之前环节的表单中添加标识为「%(v)s」的字段"
                    "（由办件发起的流程请勾选“仅由办件发起”）。"
                )
                % {"f": flow.label, "v": name}
            )
    return errors


def publish_warnings(model: ProcessModel) -> list[str]:
    """What does not stop a deploy but may stop a request: an exclusive or inclusive gateway whose outgoing
    flows all carry conditions, without a default flow, stops every request for which none holds (whether
    the conditions cover every case cannot be told without running them)."""
    warnings = []
    outgoing: dict[str, list[Flow]] = {}
    for flow in model.flows.values():
        outgoing.setdefault(flow.source, []).append(flow)
    for element in model.elements.values():
        out = outgoing.get(element.id, [])
        if (
            element.type in ("exclusiveGateway", "inclusiveGateway")
            and out
            and not element.default_flow
            and all(flow.condition is not None for flow in out)
        ):
            warnings.append(
                _(
                    "网关%(g)s的出口连线都带条件，且没有默认连线：条件都不成立时申请会停在这里、无法发起或继续。"
                    "建议把其中一条设为默认连线（如“其他情况”）。"
                )
                % {"g": element.label}
            )
    return warnings


def _loops_without_exit(elements: dict[str, Element], outgoing: dict[str, list[Flow]]) -> list[str]:
    """Cycles from which no end can be reached. An element without outgoing flow ends its branch."""
    graph: dict[str, set[str]] = {e: set() for e in elements}
    for source, flows in outgoing.items():
        if source in graph:
            graph[source].update(f.target for f in flows if f.target in graph)
    for element in elements.values():
        if element.type == "boundaryEvent" and element.attached_to in graph:
            graph[element.attached_to].add(element.id)
    reverse: dict[str, set[str]] = {e: set() for e in graph}
    for source, targets in graph.items():
        for target in targets:
            reverse[target].add(source)
    sinks = [e for e, targets in graph.items() if not targets or elements[e].type == "endEvent"]
    reach = set(sinks)
    stack = list(sinks)
    while stack:
        node = stack.pop()
        for previous in reverse[node]:
            if previous not in reach:
                reach.add(previous)
                stack.append(previous)
    trapped = [e for e in graph if e not in reach]
    if not trapped:
        return []
    # Report each trapped strongly connected group once, by the names of its elements.
    seen: set[str] = set()
    messages = []
    for start in trapped:
        if start in seen:
            continue
        group = {start}
        stack = [start]
        while stack:
            node = stack.pop()
            for nxt in graph[node] | reverse[node]:
                if nxt in trapped and nxt not in group:
                    group.add(nxt)
                    stack.append(nxt)
        seen |= group
        names = "、".join(elements[e].label for e in sorted(group))
        messages.append(
            _("流程中有无法结束的循环：%(names)s 之间的连线构成循环，且没有通往结束事件的出口。")
            % {"names": names}
        )
    return messages


# --- the Spiff side ---------------------------------------------------------------------------------------


class PlatformTimerEventDefinition(TimerEventDefinition):
    """A timer whose due moment is computed by the platform (working days, durations) from the engine's
    clock, so tests and the periodic job control time. The due moment is kept in the task's
    `internal_data["event_value"]` (ISO text), as Spiff's own timers do."""

    def __init__(self, name, expression, timer: TimerSpec | None = None, **kwargs):
        super().__init__(name, expression, **kwargs)
        self.timer = timer

    def has_fired(self, my_task):
        engine = my_task.workflow.script_engine
        now = engine.now()
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            event_value = engine.timer_due(self.timer, now).isoformat()
            # When it started counting: a working-day timer is counted again from here when the calendar
            # changes (`jiedao.workflow.timers.timers_recompute`).
            my_task._set_internal_data(event_value=event_value, event_started=now.isoformat())
        if datetime.fromisoformat(event_value) <= now:
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)

    def details(self, my_task):
        return PendingBpmnEvent(self.name, self.__class__.__name__, my_task._get_internal_data("event_value"))


class _TimerMixin:
    def parse_timer_event(self, event):
        errors: list[str] = []
        spec = _timer_spec(self.node, event, errors, self.node.get("id"))
        if spec is None:
            raise ValidationException("; ".join(errors), node=self.node, file_name=self.filename)
        name = self.node.get("name", self.node.get("id"))
        return PlatformTimerEventDefinition(name, spec.describe(), timer=spec, description=_("定时事件"))


class PlatformBoundaryEventParser(_TimerMixin, BoundaryEventParser):
    pass


class PlatformIntermediateCatchEventParser(_TimerMixin, IntermediateCatchEventParser):
    pass


class ActionServiceTask(ServiceTask):
    """A service task that runs a registered action (see `jiedao.workflow.actions`), never a script."""

    def _execute(self, task):
        task.workflow.script_engine.run_action(task)
        return True


class PlatformParser(BpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        full_tag("serviceTask"): (TaskParser, ActionServiceTask),
        full_tag("boundaryEvent"): (PlatformBoundaryEventParser, BoundaryEvent),
        full_tag("intermediateCatchEvent"): (PlatformIntermediateCatchEventParser, IntermediateCatchEvent),
    }


def _strip_multi_instance(process: etree._Element) -> None:
    """Countersign is run by the platform's services: Spiff sees one user task."""
    for loop in process.iter(f"{{{BPMN_NS}}}multiInstanceLoopCharacteristics"):
        loop.getparent().remove(loop)


def build_spec(root: etree._Element, process: etree._Element, model: ProcessModel) -> None:
    _strip_multi_instance(process)
    process.set("isExecutable", "true")  # the process `read_process` chose (Spiff refuses a "false" one)
    parser = PlatformParser()
    try:
        parser.add_bpmn_xml(root)
        model.spec = parser.get_spec(model.process_id)
        model.subprocess_specs = parser.get_subprocess_specs(model.process_id)
    except ValidationException as error:
        node_id = getattr(error, "id", None) or ""
        element = model.elements.get(node_id)
        where = element.label if element else (f"「{node_id}」" if node_id else "")
        raise BpmnError(
            [_("流程引擎无法解析%(where)s：%(m)s") % {"where": where, "m": str(error)[:300]}]
        ) from None
    except Exception as error:  # the parser reports some problems as plain exceptions
        raise BpmnError([_("流程引擎无法解析该流程：%(m)s") % {"m": str(error)[:300]}]) from None


def load(
    xml: str | bytes,
    forms: dict | None = None,
    *,
    validate: bool = True,
    reported: Collection[tuple[str, str, str]] = (),
) -> ProcessModel:
    """Parse and (by default) validate a document; raise `BpmnError` with every problem found (but the
    handler references in `reported`, which the import already reported)."""
    root = parse_tree(xml)
    process, model, errors = read_process(root)
    if validate:
        errors.extend(validate_model(model, forms or {}, reported=reported))
    if errors:
        raise BpmnError(list(OrderedDict.fromkeys(errors)))
    build_spec(root, process, model)
    return model


# --- the cache of parsed, deployed definitions -------------------------------------------------------------

_CACHE: OrderedDict[tuple[int, str], ProcessModel] = OrderedDict()
_CACHE_LOCK = Lock()
_CACHE_SIZE = 256


def model_for(definition) -> ProcessModel:
    """The parsed process of a definition row. Deployed rows never change, so the result is cached."""
    key = (definition.pk, definition.status if definition.status == "draft" else "frozen")
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    model = load(definition.bpmn_xml, definition.forms, validate=False)
    if definition.status != "draft":
        with _CACHE_LOCK:
            _CACHE[key] = model
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return model


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


def var_name(value: str) -> str | None:
    """The variable of a ``${name}`` reference, or None."""
    match = _VAR_RE.match(value or "")
    return match.group(1) if match else None
