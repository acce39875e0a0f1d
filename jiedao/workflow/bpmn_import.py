"""Importing a process drawn for another engine: Flowable 6 Modeler, Activiti 5/6 Designer, Camunda Modeler 5
(Camunda 7, and Camunda 8 / Zeebe, told by its namespace). Offices bring their existing OA processes as such
files; their vendor extensions are mapped onto the platform's convention (see `jiedao.workflow.bpmn`) where
the meaning is the same, and what cannot run here is taken out of the document and reported, naming the
element, so the administrator fixes it before deploy.

Converted:

* the process initiator: ``$INITIATOR`` (Flowable Modeler), ``${initiator}`` or the variable the start event
  names in ``flowable:initiator`` / ``activiti:initiator`` / ``camunda:initiator`` → ``initiator``;
* ``assignee`` / ``candidateUsers`` naming users of the platform → ``user:<username>``; a ``${variable}``
  (``#{variable}``, FEEL ``=variable``) holds one username here: kept for an assignee, and for candidateUsers
  (in the other engines usually a list of people) only when a form field fills it with one value;
* ``candidateGroups`` whose group id is a role's code, or whose id or display name (Flowable Modeler keeps it
  in ``modeler:group-info-name-<id>``) is a role's name → ``role:<code>`` (nearest holders up the tree);
* ``formKey`` → ``camunda:formKey``; Activiti/Flowable ``formProperty`` fields → a form-js form;
* ``dueDate`` as an ISO-8601 duration (P3D, PT4H) → ``jiedao:dueDays`` / ``jiedao:dueHours``;
* a countersign's ``completionCondition`` on nrOfCompletedInstances/nrOfInstances → ``jiedao:completion``;
* JUEL gateway conditions (``${days > 3}``, ``${approved == true}``, ``eq``/``gt``/… operators) → the
  platform's expression language;
* Camunda 8: ``zeebe:assignmentDefinition`` (FEEL literal lists too), ``zeebe:taskSchedule`` due dates
  (``P3D``, ``=now() + duration("P3D")``), ``zeebe:loopCharacteristics`` and Camunda Forms, embedded
  (``zeebe:userTaskForm``) or linked (``zeebe:formDefinition formId``, its ``.form`` file imported with the
  .bpmn, see `read_upload`) — form-js like the platform's: the field types the platform's forms have — go
  through the same conversions; FEEL gateway conditions (``=decision = "approve" and amount > 1000``) →
  the platform's expression language;
* a file without a diagram (``bpmndi:BPMNDiagram``) gets a generated left-to-right layout, so the designer
  can open it.

Taken out and reported (each becomes a problem the administrator must look at): assignment expressions the
platform cannot resolve (a candidate group is always a role), candidate lists read from a variable no form
fills with one username, unknown users and groups, listeners and Java delegates (no external code runs
here), Camunda external tasks without a registered action of that name, per-variable multi-instance
collections, due dates and completion conditions that are expressions, Camunda 8 job workers
(``zeebe:taskDefinition``), task headers, variable mappings (``zeebe:ioMapping``), called processes
(``zeebe:calledElement``) and Camunda Form fields of other types, and any other vendor attribute.
A user task that loses its handler this way is refused on deploy ("没有指定办理人"), never run with nobody.
"""

from __future__ import annotations

import io
import json
import re
import tokenize
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils.translation import gettext as _
from lxml import etree

from jiedao.core.exceptions import ValidationFailed
from jiedao.workflow import bpmn, expressions, formschema
from jiedao.workflow.bpmn import (
    ACTIVITI_NS,
    BPMN_NS,
    CAMUNDA_NS,
    FLOWABLE_NS,
    JIEDAO_NS,
    tag_local,
    tag_namespace,
)

# Camunda 8 (Zeebe): its settings are extension elements, lifted onto the element by `_Importer.zeebe`.
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
VENDOR_PREFIX = {CAMUNDA_NS: "camunda", FLOWABLE_NS: "flowable", ACTIVITI_NS: "activiti", ZEEBE_NS: "zeebe"}
# The modelers' own bookkeeping (display names, UI flags): no behaviour.
MODELER_NAMESPACES = (
    "http://flowable.org/modeler",
    "http://activiti.com/modeler",
    "http://camunda.org/schema/modeler/1.0",
)
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"

# Vendor attributes that change nothing here (asynchronous continuation, job priority, history settings,
# modeler switches): dropped without a word.
HARMLESS = {
    "formFieldValidation",
    "async",
    "asyncBefore",
    "asyncAfter",
    "exclusive",
    "jobPriority",
    "taskPriority",
    "priority",
    "category",
    "versionTag",
    "historyTimeToLive",
    "isStartableInTasklist",
    "failedJobRetryTimeCycle",
    "modelerTemplate",
    "modelerTemplateVersion",
    "modelerTemplateIcon",
}
# Camunda-namespace attributes the platform reads itself (`jiedao.workflow.bpmn`).
PLATFORM_READS = {"assignee", "candidateUsers", "candidateGroups", "formKey", "topic"}
# ${name} / #{name} (JUEL), =name (FEEL): one process variable.
_VAR = re.compile(r"^(?:[$#]\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}|=\s*([A-Za-z_][A-Za-z0-9_]*))$")
_JUEL_WORDS = {"eq": "==", "ne": "!=", "gt": ">", "lt": "<", "ge": ">=", "le": "<=", "div": "/", "mod": "%"}
_SHARE = re.compile(
    r"^nrOfCompletedInstances\s*/\s*nrOfInstances\s*(>=|>)\s*(0?\.\d+|1(?:\.0+)?)$|"
    r"^nrOfCompletedInstances\s*>=\s*nrOfInstances\s*\*\s*(0?\.\d+)$"
)
_ALL = re.compile(r"^nrOfCompletedInstances\s*(==|>=)\s*nrOfInstances$")
_ANY = re.compile(r"^nrOfCompletedInstances\s*(>=\s*1|>\s*0|==\s*1)$")
_FORM_PROPERTY_TYPES = {
    "string": "textfield",
    "long": "number",
    "double": "number",
    "boolean": "checkbox",
    "date": "datetime",
    "enum": "select",
}
# A form field that holds several values cannot name the one user a ${variable} handler stands for.
_MANY_VALUES = ("checklist",)
# Camunda Forms components the platform's forms show as they are (`formschema`); the others are refused.
_CAMUNDA_FORM_TYPES = (*formschema.INPUT_TYPES, "text", "html", "spacer", "separator")
# The FEEL way of writing a duration from now: =now() + duration("P3D").
_FEEL_DURATION = re.compile(r'^=\s*(?:now|today)\(\)\s*\+\s*duration\(\s*"([^"]+)"\s*\)$')
# An import of a Camunda Modeler project (the .bpmn with the .form files it links, chosen together or in one
# .zip): each file within the .bpmn's own limit, all of them together (a .zip's members as they inflate)
# within MAX_UPLOAD_BYTES and MAX_UPLOAD_FILES, so a small .zip cannot inflate into a large one (zip bomb).
MAX_FILE_BYTES = bpmn.MAX_BPMN_BYTES
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UPLOAD_FILES = 50


def _variable(value: str) -> str | None:
    """The process variable a handler reference is (``${name}``, ``#{name}``, FEEL ``=name``), or None."""
    match = _VAR.match((value or "").strip())
    return (match.group(1) or match.group(2)) if match else None


def _feel_literal(value: str) -> str:
    """A FEEL literal handler list (``=["zhangsan", "lisi"]``, ``="zhangsan"``) as the comma list the other
    engines write; any other value as it is."""
    text = value.strip()
    if text.startswith("="):
        try:
            literal = json.loads(text[1:])
        except ValueError:
            return value
        if isinstance(literal, str):
            return literal
        if isinstance(literal, list) and literal and all(isinstance(item, str) for item in literal):
            return ",".join(literal)
    return value


def _is_expression(value: str) -> bool:
    """A JUEL (``${…}``, ``#{…}``) or FEEL (``=…``) expression, not a name."""
    value = value.strip()
    return "${" in value or "#{" in value or value.startswith("=")


def _juel(text: str) -> str:
    """A JUEL condition (Flowable, Activiti, Camunda 7) in the platform's expression language."""
    text = re.sub(
        r"""("[^"]*"|'[^']*')|\b(eq|ne|gt|lt|ge|le|div|mod)\b""",
        lambda m: m.group(1) or f" {_JUEL_WORDS[m.group(2)]} ",
        expressions.normalize(text),
    )
    return re.sub(r"\s+", " ", text).strip()


def _feel(text: str) -> str:
    """A FEEL condition (Camunda 8) in the platform's expression language: ``=`` compares, and ``and``,
    ``or``, ``not(…)``, numbers, strings and true/false read the same. Anything else FEEL has (paths,
    functions, ranges) is left for `expressions.check` to refuse."""
    text = text.strip().removeprefix("=").strip()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return text
    out = ["==" if t.type == tokenize.OP and t.string == "=" else t.string for t in tokens]
    return " ".join(part for part in out if part.strip())


@dataclass
class Conversion:
    """The document as the platform reads it, the forms it brought, what was converted (`notes`) and what
    could not be and was taken out (`problems`, to fix before deploy). `reported` names the handler
    references left in the document that a problem already explains — (element id, "user" | "group",
    reference) — so the deploy check does not report them a second time in its own words."""

    xml: str
    forms: dict[str, dict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    reported: frozenset[tuple[str, str, str]] = frozenset()

    @property
    def changed(self) -> bool:
        return bool(self.notes or self.problems)


class _Importer:
    def __init__(self, root, process, forms: dict, form_files: Iterable[tuple[str, str]] = ()):
        from jiedao.accounts.models import Role

        self.root, self.process = root, process
        self.forms = dict(forms or {})
        self.new_forms: dict[str, dict] = {}
        self.notes: list[str] = []
        self.problems: list[str] = []
        self.reported: set[tuple[str, str, str]] = set()
        self.touched = False
        # Camunda 8.4+ linked forms: the .form files imported with the document, by their form id.
        self.linked_forms: dict[str, tuple[str, str]] = {}
        self.linked_used: set[str] = set()
        for name, text in form_files:
            self.linked_form_file(name, text)
        self.roles = list(Role.objects.filter(is_active=True).values_list("code", "name"))
        # Camunda 8 (Zeebe): told by its namespace; its embedded forms, by id (zeebe:userTaskForm).
        self.is_zeebe = (
            ZEEBE_NS in root.nsmap.values() or next(root.iter(f"{{{ZEEBE_NS}}}*"), None) is not None
        )
        self.zeebe_forms: dict[str, str] = {}
        self.initiators = {"initiator"}
        for start in process.iter(f"{{{BPMN_NS}}}startEvent"):
            for ns in VENDOR_PREFIX:
                name = start.get(f"{{{ns}}}initiator")
                if name:
                    self.initiators.add(name.strip())

    # --- helpers -----------------------------------------------------------------------------------------

    def label(self, node) -> str:
        kind = tag_local(node.tag)
        if kind == "process":
            return _("流程「%(n)s」") % {"n": node.get("name") or node.get("id") or ""}
        name, node_id = (node.get("name") or "").strip(), node.get("id") or ""
        what = _("连线") if kind == "sequenceFlow" else bpmn.TYPE_LABELS.get(kind, kind)
        return f"{what}「{name}」（{node_id}）" if name else f"{what}「{node_id}」"

    @staticmethod
    def shown(attr: str, value: str) -> str:
        ns, local = tag_namespace(attr), tag_local(attr)
        return f"{VENDOR_PREFIX.get(ns, ns)}:{local}={value}"[:120]

    def problem(self, message: str) -> None:
        self.touched = True
        self.problems.append(message)

    def note(self, message: str) -> None:
        self.touched = True
        self.notes.append(message)

    def set(self, node, ns: str, name: str, value: str) -> None:
        if node.get(f"{{{ns}}}{name}") != value:
            node.set(f"{{{ns}}}{name}", value)
            self.touched = True

    def put(self, node, attr: str, local: str, new: str | None) -> None:
        """Replace the vendor attribute `attr` by ``camunda:<local>`` = `new` (None: remove it)."""
        target = f"{{{CAMUNDA_NS}}}{local}"
        if new is not None and attr == target and node.get(attr) == new:
            return
        self.drop(node, attr)
        if new is not None:
            self.set(node, CAMUNDA_NS, local, new)

    def drop(self, node, attr: str) -> None:
        if attr in node.attrib:
            del node.attrib[attr]
            self.touched = True

    def vendor_attrs(self, node) -> list[tuple[str, str, str]]:
        """(qualified attribute, namespace, local name) of the node's vendor attributes."""
        return [
            (a, tag_namespace(a), tag_local(a))
            for a in list(node.attrib)
            if tag_namespace(a) in VENDOR_PREFIX
        ]

    def filled_by(self) -> dict[str, str]:
        """The process variables the forms fill: {key: the type of the field filling it}."""
        filled: dict[str, str] = {}
        for schema in {**self.forms, **self.new_forms}.values():
            try:
                editable = formschema.editable_keys(schema)
                filled.update(
                    {c["key"]: c["type"] for c in formschema.fields(schema) if c["key"] in editable}
                )
            except (AttributeError, KeyError, TypeError):
                continue
        return filled

    def expression(self, text: str) -> str:
        """A condition of the file's engine (FEEL in Camunda 8, JUEL in the others) in the platform's language."""
        return _feel(text) if self.is_zeebe else _juel(text)

    def linked_form_file(self, name: str, text: str) -> None:
        """A .form file imported with the document, kept by its form id for the formIds linking it."""
        try:
            schema = json.loads(text)
            form_id = schema["id"]
            if not isinstance(form_id, str) or not form_id or not isinstance(schema["components"], list):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            self.problem(
                _("表单文件「%(f)s」不是有效的 Camunda 表单（应为含 id 和 components 的 JSON），未导入。")
                % {"f": name[:100]}
            )
            return
        if form_id in self.linked_forms:
            self.problem(
                _(
                    "表单文件「%(f)s」与「%(g)s」的表单标识同为「%(k)s」，只使用了「%(g)s」：请只保留其中一个。"
                )
                % {"f": name[:100], "g": self.linked_forms[form_id][0][:100], "k": form_id[:64]}
            )
            return
        self.linked_forms[form_id] = (name, text)

    def unused_form_files(self) -> None:
        """A .form file no element links was most likely meant for one whose link got lost: said, never
        dropped without a word."""
        for form_id, (name, _text) in self.linked_forms.items():
            if form_id not in self.linked_used:
                self.problem(
                    _(
                        "表单文件「%(f)s」（表单标识「%(k)s」）没有环节链接它（zeebe:formDefinition formId），未导入：请在 Camunda Modeler 中为环节链接该表单，或不选择该文件。"
                    )
                    % {"f": name[:100], "k": form_id[:64]}
                )

    # --- the walk ------------------------------------------------------------------------------------------

    def run(self) -> None:
        if self.is_zeebe:
            self.zeebe_user_task_forms()
            for node in (self.process, *self.process):
                if isinstance(node.tag, str) and tag_namespace(node.tag) == BPMN_NS:
                    self.zeebe(node)
        self.extensions(self.process)
        self.generic(self.process, handled=())
        # Forms first: a ${variable} assignee is kept when a form fills it.
        for node in self.process:
            if (
                tag_local(node.tag) in (*bpmn.USER_TASK_TYPES, "startEvent")
                and tag_namespace(node.tag) == BPMN_NS
            ):
                self.form_properties(node)
        for node in self.process:
            if not isinstance(node.tag, str) or tag_namespace(node.tag) != BPMN_NS:
                continue
            kind = tag_local(node.tag)
            self.extensions(node)
            # The countersign first: its per-person ${elementVariable} assignee goes with its collection.
            for loop in node.findall(f"{{{BPMN_NS}}}multiInstanceLoopCharacteristics"):
                self.multi_instance(node, loop)
            if kind in bpmn.USER_TASK_TYPES:
                self.user_task(node)
            elif kind == "startEvent":
                self.form_key(node)
                self.drop_named(node, "initiator")
                self.generic(node, handled=("formKey",))
            elif kind == "serviceTask":
                self.service_task(node)
            elif kind == "sequenceFlow":
                self.condition(node)
                self.generic(node, handled=())
            else:
                self.generic(node, handled=())
        self.unused_form_files()

    def drop_named(self, node, name: str) -> None:
        for attr, _vns, local in self.vendor_attrs(node):
            if local == name:
                self.drop(node, attr)

    def generic(self, node, handled) -> None:
        """Harmless vendor attributes go; any other one the platform does not read is reported and goes."""
        for attr, ns, local in self.vendor_attrs(node):
            if local in handled or (ns == CAMUNDA_NS and local in PLATFORM_READS):
                continue
            if local in HARMLESS:
                self.drop(node, attr)
                continue
            if local in ("candidateStarterGroups", "candidateStarterUsers"):
                self.problem(
                    _(
                        "%(e)s的 %(a)s（限定谁可以发起）在本平台不适用，已移除：谁能发起流程由组织和角色权限决定。"
                    )
                    % {"e": self.label(node), "a": self.shown(attr, node.get(attr))}
                )
            else:
                self.problem(
                    _("%(e)s的扩展属性 %(a)s 本平台不支持，已移除：请在设计器中检查该环节的设置。")
                    % {"e": self.label(node), "a": self.shown(attr, node.get(attr))}
                )
            self.drop(node, attr)

    def extensions(self, node) -> None:
        """Listeners and other vendor extension elements: the platform runs no external code."""
        for holder in node.findall(f"{{{BPMN_NS}}}extensionElements"):
            for child in list(holder):
                ns, local = tag_namespace(child.tag), tag_local(child.tag)
                if not isinstance(child.tag, str) or ns not in (*VENDOR_PREFIX, *MODELER_NAMESPACES):
                    continue  # the platform's own, or another tool's metadata the engine never reads
                if ns in MODELER_NAMESPACES:
                    if local.startswith("group-info-name-"):
                        continue  # read by `group_ref` (the group's display name), removed after it
                    holder.remove(child)
                    self.touched = True
                    continue
                if ns == CAMUNDA_NS and local in ("formData", "properties"):
                    continue  # read as they are (camunda_forms, service task parameters)
                if ns in (FLOWABLE_NS, ACTIVITI_NS) and local == "properties":
                    continue
                if ns in (FLOWABLE_NS, ACTIVITI_NS) and local == "formProperty":
                    continue  # converted by `form_properties`
                if ns in VENDOR_PREFIX and local == "field":
                    # A Java delegate's injected fields: the delegate itself is reported by `service_task`.
                    holder.remove(child)
                    self.touched = True
                    continue
                if local in ("executionListener", "taskListener"):
                    how = child.get("class") or child.get("delegateExpression") or child.get("expression")
                    self.listener(node, local, how or child.get("event") or local)
                else:
                    self.problem(
                        _("%(e)s的扩展元素 %(x)s 本平台不支持，已移除。")
                        % {"e": self.label(node), "x": f"{VENDOR_PREFIX.get(ns, ns)}:{local}"[:100]}
                    )
                holder.remove(child)
                self.touched = True
            if len(holder) == 0:
                node.remove(holder)

    def listener(self, node, local: str, how: str) -> None:
        self.problem(
            _(
                "%(e)s带有%(kind)s（%(how)s），本平台不执行外部代码，已移除：如需在此环节自动处理，请改用服务任务（已登记的动作）。"
            )
            % {
                "e": self.label(node),
                "kind": _("任务监听器") if local == "taskListener" else _("执行监听器"),
                "how": how[:100],
            }
        )

    # --- Camunda 8 (Zeebe) ---------------------------------------------------------------------------------

    def zeebe_user_task_forms(self) -> None:
        """The process's embedded Camunda Forms (``zeebe:userTaskForm``), kept by id and taken out of the
        document: an element's ``zeebe:formDefinition`` names one as ``camunda-forms:bpmn:<id>``."""
        for holder in self.process.findall(f"{{{BPMN_NS}}}extensionElements"):
            for child in holder.findall(f"{{{ZEEBE_NS}}}userTaskForm"):
                self.zeebe_forms[child.get("id") or ""] = child.text or ""
                holder.remove(child)
                self.touched = True

    def zeebe(self, node) -> None:
        """Camunda 8 keeps an element's settings in extension elements: those with a meaning here are lifted
        onto the element as the attributes the other engines write (zeebe:assignee, zeebe:dueDate,
        zeebe:collection…), which the shared conversion then maps or reports; those without (job workers,
        variable mappings, called processes) are reported and taken out. Any other is left to `extensions`."""
        label = self.label(node)
        for loop in node.findall(f"{{{BPMN_NS}}}multiInstanceLoopCharacteristics"):
            for holder in loop.findall(f"{{{BPMN_NS}}}extensionElements"):
                for setting in holder.findall(f"{{{ZEEBE_NS}}}loopCharacteristics"):
                    for name, value in setting.attrib.items():
                        lifted = {"inputCollection": "collection", "inputElement": "elementVariable"}.get(
                            name, name
                        )
                        self.set(loop, ZEEBE_NS, lifted, value)
                    holder.remove(setting)
                    self.touched = True
                if len(holder) == 0:
                    loop.remove(holder)
        for holder in node.findall(f"{{{BPMN_NS}}}extensionElements"):
            for child in list(holder):
                if tag_namespace(child.tag) != ZEEBE_NS:
                    continue
                local = tag_local(child.tag)
                if local == "assignmentDefinition":
                    for name, value in child.attrib.items():
                        self.set(node, ZEEBE_NS, name, _feel_literal(value))
                elif local == "taskSchedule":
                    for name, value in child.attrib.items():
                        self.set(node, ZEEBE_NS, name, value)
                elif local == "formDefinition":
                    self.zeebe_form(node, child)
                elif local in ("executionListeners", "taskListeners"):
                    for each in child:
                        self.listener(
                            node, tag_local(each.tag), each.get("type") or each.get("eventType") or ""
                        )
                elif local == "taskDefinition":
                    self.problem(
                        _(
                            "%(e)s由原系统的作业处理程序（job worker）执行（%(a)s），本平台没有作业处理程序，已移除：请在设计器中为它选择已登记的动作。"
                        )
                        % {"e": label, "a": f"zeebe:taskDefinition type={child.get('type') or ''}"[:120]}
                    )
                elif local == "ioMapping":
                    self.problem(
                        _(
                            "%(e)s的输入/输出变量映射（zeebe:ioMapping）本平台不支持，已移除：本平台的环节直接读写流程数据，如需计算变量，请改用服务任务（已登记的动作）。"
                        )
                        % {"e": label}
                    )
                elif local == "taskHeaders":
                    self.problem(
                        _(
                            "%(e)s的任务头（zeebe:taskHeaders）是给原系统作业处理程序的参数，本平台不使用，已移除。"
                        )
                        % {"e": label}
                    )
                elif local == "calledElement":
                    self.problem(
                        _(
                            "%(e)s的被调用流程 %(a)s 本平台无法调用（不支持子流程），已移除：请把被调用流程的环节画进本流程。"
                        )
                        % {
                            "e": label,
                            "a": f"zeebe:calledElement processId={child.get('processId') or ''}"[:120],
                        }
                    )
                elif local not in ("userTask", "priorityDefinition", "versionTag", "properties"):
                    continue  # reported by `extensions`; the others (markers, modeler properties) mean nothing here
                holder.remove(child)
                self.touched = True

    def zeebe_form(self, node, definition) -> None:
        """An embedded Camunda Form, or a linked one whose .form file came with the document, becomes the
        element's form; any other (a formId without its file, externalReference, a custom formKey) is lifted
        for `form_key`, which says what to create."""
        form_key = definition.get("formKey") or ""
        embedded = form_key.removeprefix("camunda-forms:bpmn:")
        if embedded != form_key and embedded in self.zeebe_forms:
            self.camunda_form(node, embedded, self.zeebe_forms[embedded])
            return
        linked = definition.get("formId") or ""
        if linked in self.linked_forms:
            self.linked_used.add(linked)
            name, text = self.linked_forms[linked]
            self.camunda_form(node, linked, text, source=name)
            return
        for name in ("formKey", "formId", "externalReference"):
            if definition.get(name):
                self.set(node, ZEEBE_NS, name, definition.get(name))

    def camunda_form(self, node, form_id: str, text: str, *, source: str = "") -> None:
        """A Camunda Form (form-js JSON, as the platform's forms are): its fields of the types the platform's
        forms have are kept as they are, each other one is reported by name and left out. `source` names a
        linked form's .form file (checked when it was read); an embedded one is checked here."""
        try:
            schema = json.loads(text)
            components = schema["components"]
            if not isinstance(components, list):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            self.problem(
                _(
                    "%(e)s的表单（zeebe:userTaskForm「%(f)s」）不是有效的 Camunda 表单，已移除：请在设计器中为该环节新建表单。"
                )
                % {"e": self.label(node), "f": form_id[:64]}
            )
            return
        self.add_form(
            node, self.camunda_components(node, components), source or f"zeebe:userTaskForm {form_id}"
        )

    def camunda_components(self, node, components: list) -> list[dict]:
        kept = []
        for component in components:
            if not isinstance(component, dict):
                continue
            kind = component.get("type")
            if kind == "group" and not component.get("path"):
                kept.append(
                    {
                        **component,
                        "components": self.camunda_components(node, component.get("components") or []),
                    }
                )
            elif kind in _CAMUNDA_FORM_TYPES:
                kept.append(component)
            else:
                self.problem(
                    _(
                        "%(e)s的表单字段「%(f)s」的类型 %(t)s 本平台的表单不支持，已移除：请在设计器的表单中改用支持的类型（%(list)s）。"
                    )
                    % {
                        "e": self.label(node),
                        "f": str(component.get("label") or component.get("key") or component.get("id") or "")[
                            :50
                        ],
                        "t": str(kind)[:30],
                        "list": "、".join(formschema.INPUT_TYPES),
                    }
                )
        return kept

    # --- user tasks ------------------------------------------------------------------------------------------

    def user_ref(self, value: str, *, candidate: bool = False) -> tuple[str, str]:
        """(the platform's reference, why it cannot be used — "" when it can). A reference that cannot be used
        stays in the document, so the designer shows it where the administrator replaces it and deploy
        refuses it. A process variable is one username here: a `candidate` list's variable (in the other
        engines usually a list of people) is kept only when a form field fills it with one value."""
        value = value.strip()
        if value in ("$INITIATOR", "initiator"):
            return "initiator", ""
        name = _variable(value)
        if name in self.initiators:
            return "initiator", ""
        if name:
            ref, filled = "${" + name + "}", self.filled_by().get(name)
            if filled in _MANY_VALUES:
                return ref, _("表单字段「%(v)s」可以填写多个值，而取自流程变量的办理人只能是一个用户名") % {
                    "v": name
                }
            if candidate and filled is None:
                return ref, _(
                    "流程变量「%(v)s」在原系统中通常是一组人员，本平台只能取表单字段中填写的一个用户名，而本流程的表单没有该字段"
                ) % {"v": name}
            return ref, ""
        if _is_expression(value):
            return value, _("是本平台无法计算的表达式")
        from jiedao.accounts.models import User

        username = value[len("user:") :].strip() if value.startswith("user:") else value
        if User.objects.filter(username=username).exists():
            return f"user:{username}", ""
        return value, _("用户「%(u)s」在本平台不存在") % {"u": username[:50]}

    def variable_note(self, label: str, attr: str, value: str) -> None:
        """A handler read from a process variable no form fills: said now, not when the first start fails."""
        name = _variable(value)
        if name and name not in self.filled_by():
            self.note(
                _(
                    "%(e)s的 %(a)s 取自流程变量「%(v)s」，本流程的表单中没有填写它的字段：发起时须提供该变量（办理人的用户名），否则无法发起。"
                )
                % {"e": label, "a": self.shown(attr, value), "v": name}
            )

    def group_ref(self, node, group: str) -> str | None:
        group = group.strip()
        if group.startswith(("role:", "orgrole:")):
            return group
        if _is_expression(group):
            return None
        display = ""
        for holder in node.findall(f"{{{BPMN_NS}}}extensionElements"):
            for child in holder:
                if (
                    tag_namespace(child.tag) in MODELER_NAMESPACES
                    and tag_local(child.tag) == f"group-info-name-{group}"
                ):
                    display = (child.text or "").strip()
        for code, _name in self.roles:
            if group == code:
                return group  # a bare role code is the platform's own shorthand
        for code, name in self.roles:
            if name in (group, display):
                return f"role:{code}"
        return None

    def user_task(self, node) -> None:
        label = self.label(node)
        for attr, _vns, local in self.vendor_attrs(node):
            value = node.get(attr) or ""
            if local in ("assignee", "candidateUsers"):
                kept = []
                for part in [value] if local == "assignee" else bpmn.split_handlers(value):
                    ref, why = self.user_ref(part, candidate=local == "candidateUsers")
                    kept.append(ref)
                    if why:
                        self.reported.add((node.get("id") or "", "user", ref))
                        self.problem(
                            _("%(e)s的 %(a)s 无法识别（%(why)s）：请在设计器中重新指定办理人。")
                            % {"e": label, "a": self.shown(attr, part), "why": why}
                        )
                    elif ref == "initiator" and part != "initiator":
                        self.note(
                            _("%(e)s的 %(a)s 已转换为发起人（initiator）。")
                            % {"e": label, "a": self.shown(attr, part)}
                        )
                    else:
                        self.variable_note(label, attr, ref)
                self.put(node, attr, local, ",".join(kept))
            elif local == "candidateGroups":
                kept = []
                for part in bpmn.split_handlers(value):
                    ref = self.group_ref(node, part)
                    if ref is None:
                        kept.append(part)
                        self.reported.add((node.get("id") or "", "group", part))
                        if _is_expression(part):
                            message = _(
                                "%(e)s的候选组「%(g)s」（%(a)s）是本平台无法计算的表达式，本平台的候选组只能是角色：请在设计器中为它选择办理角色。"
                            )
                        else:
                            message = _(
                                "%(e)s的候选组「%(g)s」（%(a)s）在本平台没有代码或名称相同的角色：请在设计器中为它选择办理角色。"
                            )
                        self.problem(message % {"e": label, "g": part[:50], "a": self.shown(attr, value)})
                    else:
                        kept.append(ref)
                        if ref != part:
                            self.note(
                                _("%(e)s的候选组「%(g)s」已对应到角色 %(r)s。")
                                % {"e": label, "g": part[:50], "r": ref}
                            )
                self.put(node, attr, local, ",".join(kept))
            elif local == "dueDate":
                self.drop(node, attr)
                self.due_date(node, label, attr, value)
        self.form_key(node)
        for holder in node.findall(f"{{{BPMN_NS}}}extensionElements"):
            for child in list(holder):
                if tag_namespace(child.tag) in MODELER_NAMESPACES:
                    holder.remove(child)  # the group display names, read above
            if len(holder) == 0:
                node.remove(holder)
        self.generic(node, handled=())

    def due_date(self, node, label: str, attr: str, value: str) -> None:
        feel = _FEEL_DURATION.match(value.strip())
        parsed = bpmn.parse_iso_duration(feel.group(1) if feel else value.strip())
        if parsed is not None and parsed[0] == 0 and parsed[1] > timedelta(0):
            delta = parsed[1]
            if delta % timedelta(days=1) == timedelta(0):
                self.set(node, JIEDAO_NS, "dueDays", str(delta.days))
                self.note(
                    _("%(e)s的办理期限 %(a)s 已转换为 %(n)d 个自然日。")
                    % {"e": label, "a": self.shown(attr, value), "n": delta.days}
                )
                return
            if delta % timedelta(hours=1) == timedelta(0):
                hours = int(delta.total_seconds() // 3600)
                self.set(node, JIEDAO_NS, "dueHours", str(hours))
                self.note(
                    _("%(e)s的办理期限 %(a)s 已转换为 %(n)d 小时。")
                    % {"e": label, "a": self.shown(attr, value), "n": hours}
                )
                return
        self.problem(
            _(
                "%(e)s的办理期限 %(a)s 无法转换（只支持整天或整小时的 ISO-8601 时长，如 P3D、PT4H），已移除：请在设计器中设置办理时限。"
            )
            % {"e": label, "a": self.shown(attr, value)}
        )

    def form_key(self, node) -> None:
        label = self.label(node)
        for attr, vns, local in self.vendor_attrs(node):
            if local not in ("formKey", "formId", "externalReference"):
                continue
            value = (node.get(attr) or "").strip()
            if value in self.new_forms or value in self.forms:
                self.put(node, attr, local, value)  # a form of the file (or generated from its fields)
            elif vns == ZEEBE_NS and local == "formId":
                # a Camunda 8 linked form whose .form file did not come with the process
                self.drop(node, attr)
                self.problem(
                    _(
                        "%(e)s链接的表单「%(k)s」（zeebe:formDefinition formId）的表单文件没有一起导入，已移除：请同时选择"
                        "流程文件和该表单的 .form 文件（或把它们压缩成一个 .zip）重新导入，或在设计器中为该环节新建表单。"
                    )
                    % {"e": label, "k": value[:64]}
                )
            elif re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,63}", value):
                self.put(node, attr, local, value)
                if vns == CAMUNDA_NS:
                    continue  # the platform's own attribute: deploy names a form that is missing
                self.problem(
                    _(
                        "%(e)s的表单 %(a)s 是原系统中的外部表单，文件中没有它的内容：请在设计器下方新建标识为「%(k)s」的表单，或清除该环节的表单。"
                    )
                    % {"e": label, "a": self.shown(attr, value), "k": value}
                )
            else:
                self.drop(node, attr)
                self.problem(
                    _("%(e)s的表单 %(a)s 不是本平台的表单标识，已移除：请在设计器中为该环节新建表单。")
                    % {"e": label, "a": self.shown(attr, value)}
                )

    def form_properties(self, node) -> None:
        """Activiti / Flowable ``formProperty`` fields → a form-js form, as camunda:formData becomes one."""
        props = [
            child
            for holder in node.findall(f"{{{BPMN_NS}}}extensionElements")
            for child in holder
            if tag_namespace(child.tag) in (FLOWABLE_NS, ACTIVITI_NS)
            and tag_local(child.tag) == "formProperty"
        ]
        if not props:
            return
        components = []
        for prop in props:
            key = (prop.get("variable") or prop.get("id") or "").strip()
            if not key or (prop.get("readable") or "true").lower() == "false":
                continue
            kind = (prop.get("type") or "string").strip()
            component: dict = {
                "type": _FORM_PROPERTY_TYPES.get(kind, "textfield"),
                "key": key,
                "id": key,
                "label": (prop.get("name") or key).strip(),
            }
            if kind == "long":
                component["decimalDigits"] = 0
            elif kind == "date":
                component["subtype"] = "date"
            elif kind == "enum":
                component["values"] = [
                    {"label": v.get("name") or v.get("id") or "", "value": v.get("id") or ""}
                    for v in prop
                    if tag_local(v.tag) == "value"
                ]
            # (A required boolean is a yes/no answer; a required checkbox would have to be ticked.)
            if (prop.get("required") or "").lower() == "true" and kind != "boolean":
                component["validate"] = {"required": True}
            if (prop.get("writable") or "true").lower() == "false":
                component["readonly"] = True
            default = prop.get("default")
            if default is not None and "${" not in default and kind in ("string", "enum"):
                component["defaultValue"] = default
            components.append(component)
        for prop in props:
            prop.getparent().remove(prop)
        for holder in node.findall(f"{{{BPMN_NS}}}extensionElements"):
            if len(holder) == 0:
                node.remove(holder)
        self.add_form(node, components, "formProperty")

    def add_form(self, node, components: list[dict], source: str) -> None:
        """The element's form, converted from the file's own (`source` names what it was): added to the
        definition's forms and made the element's formKey."""
        key = bpmn.generated_form_key(node.get("id") or "")
        self.new_forms[key] = {"type": "default", "id": key, "schemaVersion": 16, "components": components}
        for attr, _vns, local in self.vendor_attrs(node):
            if local == "formKey":
                self.drop(node, attr)
        self.set(node, CAMUNDA_NS, "formKey", key)
        self.note(
            _("%(e)s的 %(n)d 个表单字段（%(s)s）已转换为表单「%(k)s」。")
            % {
                "e": self.label(node),
                "n": len(formschema.fields({"components": components})),
                "s": source,
                "k": key,
            }
        )

    # --- countersign, service tasks, conditions ------------------------------------------------------------

    def multi_instance(self, node, loop) -> None:
        label = self.label(node)
        element_var = ""
        for attr, _vns, local in self.vendor_attrs(loop):
            value = loop.get(attr) or ""
            self.drop(loop, attr)
            if local == "elementVariable":
                element_var = value.strip()
            elif local == "collection":
                self.problem(
                    _(
                        "%(e)s按流程变量中的人员名单逐人会签（%(a)s），本平台的会签按候选人（角色或人员）生成，已移除：请在设计器中为它选择会签的角色或人员。"
                    )
                    % {"e": label, "a": self.shown(attr, value)}
                )
            else:
                self.problem(
                    _("%(e)s的多实例设置 %(a)s 本平台不支持，已移除。")
                    % {"e": label, "a": self.shown(attr, value)}
                )
        if element_var:
            # The task's ${elementVariable} assignee meant "each person of the collection", gone with it.
            for attr, _vns, local in self.vendor_attrs(node):
                if local == "assignee" and _variable(node.get(attr) or "") == element_var:
                    self.drop(node, attr)
        for cardinality in loop.findall(f"{{{BPMN_NS}}}loopCardinality"):
            self.problem(
                _("%(e)s按固定次数（loopCardinality）多实例，本平台不支持，已移除：会签按候选人生成。")
                % {"e": label}
            )
            loop.remove(cardinality)
            self.touched = True
        for condition in loop.findall(f"{{{BPMN_NS}}}completionCondition"):
            # (Camunda 8 names the counts numberOf…Instances.)
            text = re.sub(r"\bnumberOf(\w*Instances)\b", r"nrOf\1", self.expression(condition.text or ""))
            loop.remove(condition)
            self.touched = True
            share = _SHARE.match(text)
            if _ALL.match(text):
                rule = "all"
            elif _ANY.match(text):
                rule = "any"
            elif share:
                value = float(share.group(2) or share.group(3))
                rule = "all" if value >= 1 else f"{value:g}"
            else:
                self.problem(
                    _(
                        "%(e)s的会签完成条件「%(c)s」无法转换，已改为“全部同意”：如需其他规则，请在设计器中设置会签规则。"
                    )
                    % {"e": label, "c": (condition.text or "").strip()[:100]}
                )
                continue
            self.set(node, JIEDAO_NS, "completion", rule)
            self.note(
                _("%(e)s的会签完成条件「%(c)s」已转换为会签规则 %(r)s。")
                % {"e": label, "c": (condition.text or "").strip()[:100], "r": rule}
            )

    def service_task(self, node) -> None:
        from jiedao.workflow import actions

        label = self.label(node)
        for attr, _vns, local in self.vendor_attrs(node):
            value = node.get(attr) or ""
            if local == "type" and value == "external":
                self.drop(node, attr)
            elif local == "topic":
                if value in actions.ACTIONS:
                    continue
                self.drop(node, attr)
                self.problem(
                    _(
                        "%(e)s是原系统的外部任务（%(a)s），本平台没有同名的已登记动作，已移除：请在设计器中为它选择动作。"
                    )
                    % {"e": label, "a": self.shown(attr, value)}
                )
            elif local in ("class", "expression", "delegateExpression", "type", "resultVariable"):
                self.drop(node, attr)
                self.problem(
                    _(
                        "%(e)s调用原系统的代码（%(a)s），本平台不执行外部代码，已移除：请在设计器中为它选择已登记的动作。"
                    )
                    % {"e": label, "a": self.shown(attr, value)}
                )
        self.generic(node, handled=("topic",))

    def condition(self, node) -> None:
        condition = node.find(f"{{{BPMN_NS}}}conditionExpression")
        if condition is None or not (condition.text or "").strip():
            return
        original = condition.text.strip()
        language = (condition.get("language") or "").lower()
        if language and language not in ("juel", "${juel}", "http://www.w3.org/1999/xpath"):
            node.remove(condition)
            self.problem(
                _(
                    "%(e)s的条件是 %(l)s 脚本，本平台不执行脚本，已移除：请在设计器中改写为条件表达式（如 days > 3）。"
                )
                % {"e": self.label(node), "l": language[:30]}
            )
            return
        text = self.expression(original)
        try:
            expressions.check(text)
        except expressions.ExpressionError as error:
            if text == original:
                return  # nothing to convert: the deploy's validation says what is wrong with it, once
            # Said here, as a conversion that failed; the deploy's validation does not report it again.
            self.reported.add((node.get("id") or "", "condition", ""))
            self.problem(
                _("%(e)s的条件「%(c)s」无法转换为本平台的条件表达式：%(m)s请在设计器中改写（如 days > 3）。")
                % {"e": self.label(node), "c": original[:100], "m": error}
            )
            return
        if text != original:
            condition.text = text
            self.touched = True


# --- a diagram for a file without one -----------------------------------------------------------------------

_SIZES = {"event": (36, 36), "gateway": (50, 50), "task": (100, 80)}


def _size(kind: str) -> tuple[int, int]:
    if kind.endswith("Event"):
        return _SIZES["event"]
    if kind.endswith("Gateway"):
        return _SIZES["gateway"]
    return _SIZES["task"]


def has_diagram(root, process_id: str) -> bool:
    return any(
        plane.get("bpmnElement")
        in (process_id, *[p.get("id") for p in root.iter(f"{{{BPMN_NS}}}collaboration")])
        for plane in root.iter(f"{{{BPMNDI_NS}}}BPMNPlane")
    )


def add_layout(root, process) -> None:
    """A left-to-right layout: each element one column right of the furthest element leading to it (back
    edges of loops ignored), stacked in its column; boundary events on their task's lower edge."""
    nodes = [
        n
        for n in process
        if isinstance(n.tag, str)
        and tag_namespace(n.tag) == BPMN_NS
        and tag_local(n.tag) not in bpmn.PASSIVE_TYPES
        and tag_local(n.tag) != "boundaryEvent"
        and n.get("id")
    ]
    ids = [n.get("id") for n in nodes]
    flows = [
        (f.get("id"), f.get("sourceRef"), f.get("targetRef"))
        for f in process.findall(f"{{{BPMN_NS}}}sequenceFlow")
    ]
    boundaries = {b.get("id"): b.get("attachedToRef") for b in process.findall(f"{{{BPMN_NS}}}boundaryEvent")}

    def host(ref):  # a boundary event's flows leave from its task's column
        return boundaries.get(ref, ref)

    succ: dict[str, list[str]] = {i: [] for i in ids}
    for _id, source, target in flows:
        if host(source) in succ and target in succ:
            succ[host(source)].append(target)
    # Back edges by depth-first search from the start events (then from anything not reached).
    kinds = {n.get("id"): tag_local(n.tag) for n in nodes}
    order = sorted(ids, key=lambda i: 0 if kinds[i] == "startEvent" else 1)
    state: dict[str, int] = {}
    back: set[tuple[str, str]] = set()
    topo: list[str] = []
    for first in order:
        if first in state:
            continue
        stack = [(first, iter(succ[first]))]
        state[first] = 1
        while stack:
            current, children = stack[-1]
            nxt = next(children, None)
            if nxt is None:
                state[current] = 2
                topo.append(current)
                stack.pop()
            elif state.get(nxt) == 1:
                back.add((current, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(succ[nxt])))
    column = {i: 0 for i in ids}
    for current in reversed(topo):
        for nxt in succ[current]:
            if (current, nxt) not in back:
                column[nxt] = max(column[nxt], column[current] + 1)
    rows: dict[int, int] = {}
    bounds: dict[str, tuple[int, int, int, int]] = {}
    for node in nodes:
        node_id = node.get("id")
        col = column[node_id]
        row = rows.get(col, 0)
        rows[col] = row + 1
        width, height = _size(tag_local(node.tag))
        x = 100 + col * 170 + (100 - width) // 2
        y = 100 + row * 140 + (80 - height) // 2
        bounds[node_id] = (x, y, width, height)
    for boundary_id, attached in boundaries.items():
        if attached in bounds:
            hx, hy, hw, hh = bounds[attached]
            bounds[boundary_id] = (hx + hw - 28, hy + hh - 18, 36, 36)
    diagram = etree.SubElement(
        root,
        f"{{{BPMNDI_NS}}}BPMNDiagram",
        id=f"BPMNDiagram_{process.get('id')}",
        nsmap={"bpmndi": BPMNDI_NS},
    )
    plane = etree.SubElement(
        diagram,
        f"{{{BPMNDI_NS}}}BPMNPlane",
        id=f"BPMNPlane_{process.get('id')}",
        bpmnElement=process.get("id"),
    )
    for element_id, (x, y, width, height) in bounds.items():
        shape = etree.SubElement(
            plane, f"{{{BPMNDI_NS}}}BPMNShape", id=f"{element_id}_di", bpmnElement=element_id
        )
        etree.SubElement(
            shape,
            f"{{{DC_NS}}}Bounds",
            x=str(x),
            y=str(y),
            width=str(width),
            height=str(height),
            nsmap={"dc": DC_NS},
        )
    for flow_id, source, target in flows:
        if source not in bounds or target not in bounds or not flow_id:
            continue
        sx, sy, sw, sh = bounds[source]
        tx, ty, tw, th = bounds[target]
        start = (sx + sw, sy + sh // 2) if source not in boundaries else (sx + sw // 2, sy + sh)
        end = (tx, ty + th // 2) if tx > sx else (tx + tw // 2, ty + th)
        points = [start]
        if start[1] != end[1]:
            points.append((start[0], end[1]) if tx > sx else (start[0], end[1] + 40))
            if tx <= sx:
                points.append((end[0], end[1] + 40))
        points.append(end)
        edge = etree.SubElement(plane, f"{{{BPMNDI_NS}}}BPMNEdge", id=f"{flow_id}_di", bpmnElement=flow_id)
        for px, py in points:
            etree.SubElement(edge, f"{{{DI_NS}}}waypoint", x=str(px), y=str(py), nsmap={"di": DI_NS})
    etree.indent(diagram, space="  ", level=1)
    if diagram.getprevious() is not None:
        diagram.getprevious().tail = "\n  "
    diagram.tail = "\n"


# --- entry point ---------------------------------------------------------------------------------------------


def convert(xml: str, forms: dict | None = None, form_files: Iterable[tuple[str, str]] = ()) -> Conversion:
    """The document with vendor extensions mapped onto the platform's convention (see the module doc).
    `form_files` are the (file name, text) of the Camunda .form files imported with it. A document that
    needs nothing comes back as it was. Raises `bpmn.BpmnError` for an unsafe or malformed file, as
    `bpmn.load` does."""
    root = bpmn.parse_tree(xml)
    process, _model, _errors = bpmn.read_process(root)
    importer = _Importer(root, process, forms or {}, form_files)
    importer.run()
    if not has_diagram(root, process.get("id") or ""):
        add_layout(root, process)
        importer.note(_("文件没有流程图的图形信息（BPMNDiagram），已按流程顺序自动排版，可在设计器中调整。"))
    if not importer.touched:
        return Conversion(xml=xml, forms={})
    etree.cleanup_namespaces(root, top_nsmap={"camunda": CAMUNDA_NS, "jiedao": JIEDAO_NS})
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="unicode")
    return Conversion(
        xml=text,
        forms=importer.new_forms,
        notes=importer.notes,
        problems=importer.problems,
        reported=frozenset(importer.reported),
    )


# --- reading an upload ----------------------------------------------------------------------------------------


@dataclass
class Upload:
    """What an import was given: the document and the (file name, text) of the Camunda .form files."""

    xml: str
    form_files: list[tuple[str, str]]


def _is_form(name: str) -> bool:
    return name.lower().endswith(".form")


def _too_big(name: str, field: str = "bpmn_file") -> ValidationFailed:
    if _is_form(name) or name.lower().endswith(".zip"):
        return ValidationFailed({field: [_("文件「%(f)s」过大（不超过 2 MB）。") % {"f": name[:100]}]})
    return ValidationFailed({field: [_("BPMN 文件过大（不超过 2 MB）。")]})


def _zip_members(upload, name: str) -> list[tuple[str, bytes]]:
    """The .bpmn and .form files of a .zip (a Camunda Modeler project folder may hold others: .dmn tables,
    notes, the macOS ``__MACOSX/._*`` copies, which are passed over). The sizes the archive declares are
    checked before anything is inflated, and zipfile never inflates a member beyond its declared size."""
    unreadable = ValidationFailed(
        {
            "bpmn_file": [
                _(
                    "压缩包「%(f)s」无法读取：请上传由流程文件（.bpmn）和表单文件（.form）直接压缩成的 .zip 文件。"
                )
                % {"f": name[:100]}
            ]
        }
    )
    try:
        with zipfile.ZipFile(upload) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            if len(members) > MAX_UPLOAD_FILES:
                raise _too_many()
            if sum(info.file_size for info in members) > MAX_UPLOAD_BYTES:
                raise _too_large()
            found = []
            for info in members:
                base = info.filename.rsplit("/", 1)[-1]
                if info.filename.startswith("__MACOSX/") or base.startswith("."):
                    continue
                if not (_is_form(base) or base.lower().endswith((".bpmn", ".bpmn20.xml"))):
                    continue
                if info.file_size > MAX_FILE_BYTES:
                    raise _too_big(base)
                with archive.open(info) as member:
                    found.append((info.filename, member.read(MAX_FILE_BYTES + 1)))
            return found
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        NotImplementedError,
        RuntimeError,
        EOFError,
    ):
        # (RuntimeError: an encrypted member; NotImplementedError: a compression zipfile does not have.)
        raise unreadable from None


def _too_many(field: str = "bpmn_file") -> ValidationFailed:
    return ValidationFailed(
        {field: [_("文件过多：一次最多导入 %(n)d 个文件（含压缩包中的文件）。") % {"n": MAX_UPLOAD_FILES}]}
    )


def _too_large(field: str = "bpmn_file") -> ValidationFailed:
    return ValidationFailed(
        {
            field: [
                _("导入的文件合计过大（含压缩包解压后的大小，不超过 %(n)d MB）。")
                % {"n": MAX_UPLOAD_BYTES // (1024 * 1024)}
            ]
        }
    )


def check_form_files(form_files: Sequence[tuple[str, str]], field: str = "form_files") -> None:
    """The limits `read_upload` keeps for the files chosen on a page, for .form texts given another way (the
    API's `form_files`): at most MAX_UPLOAD_FILES, each within MAX_FILE_BYTES, all within MAX_UPLOAD_BYTES."""
    if len(form_files) > MAX_UPLOAD_FILES:
        raise _too_many(field)
    sizes = [(name, len(text.encode())) for name, text in form_files]
    for name, size in sizes:
        if size > MAX_FILE_BYTES:
            raise _too_big(name if _is_form(name) else f"{name}.form", field)
    if sum(size for _name, size in sizes) > MAX_UPLOAD_BYTES:
        raise _too_large(field)


def read_upload(files: Sequence) -> Upload:
    """The document and the .form files of an import's uploaded files: one .bpmn (any file that is not a
    .form or a .zip, as a single upload always was), the .form files it links, or a .zip holding them.
    Raises ValidationFailed (under ``bpmn_file``) for files too large or too many, an unreadable .zip, no
    or several documents, or a document that is not UTF-8; a .form that cannot be read is reported by
    `convert`, naming it."""
    if len(files) > MAX_UPLOAD_FILES:
        raise _too_many()
    entries: list[tuple[str, bytes]] = []
    for upload in files:
        name = upload.name or ""
        if upload.size > MAX_FILE_BYTES:
            raise _too_big(name)
        if name.lower().endswith(".zip"):
            entries.extend(_zip_members(upload, name))
        else:
            entries.append((name, upload.read()))
    if len(entries) > MAX_UPLOAD_FILES:
        raise _too_many()
    if sum(len(raw) for _name, raw in entries) > MAX_UPLOAD_BYTES:
        raise _too_large()
    documents = [(name, raw) for name, raw in entries if not _is_form(name)]
    if not documents:
        raise ValidationFailed(
            {
                "bpmn_file": [
                    _(
                        "没有流程文件：请选择流程的 .bpmn 文件（可同时选择它链接的表单文件 .form），或包含它们的 .zip 压缩包。"
                    )
                ]
            }
        )
    if len(documents) > 1:
        raise ValidationFailed(
            {
                "bpmn_file": [
                    _("一次只能导入一个流程文件，收到了 %(n)d 个：%(f)s。")
                    % {"n": len(documents), "f": "、".join(name[:100] for name, _raw in documents)}
                ]
            }
        )
    try:
        xml = documents[0][1].decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed({"bpmn_file": [_("BPMN 文件应为 UTF-8 编码。")]}) from None
    form_files = []
    for name, raw in entries:
        if _is_form(name):
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = ""  # reported by `convert` as not a Camunda form, naming the file
            form_files.append((name, text))
    return Upload(xml=xml, form_files=form_files)
