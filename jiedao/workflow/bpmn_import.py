"""Importing a process drawn for another engine: Flowable 6 Modeler, Activiti 5/6 Designer, Camunda Modeler 5
(Camunda 7). Offices bring their existing OA processes as such files; their vendor extensions are mapped onto
the platform's convention (see `jiedao.workflow.bpmn`) where the meaning is the same, and what cannot run here
is taken out of the document and reported, naming the element, so the administrator fixes it before deploy.

Converted:

* the process initiator: ``$INITIATOR`` (Flowable Modeler), ``${initiator}`` or the variable the start event
  names in ``flowable:initiator`` / ``activiti:initiator`` / ``camunda:initiator`` → ``initiator``;
* ``assignee`` / ``candidateUsers`` naming users of the platform → ``user:<username>``; ``${variable}`` kept
  when a form of the process fills that variable;
* ``candidateGroups`` whose group id is a role's code, or whose id or display name (Flowable Modeler keeps it
  in ``modeler:group-info-name-<id>``) is a role's name → ``role:<code>`` (nearest holders up the tree);
* ``formKey`` → ``camunda:formKey``; Activiti/Flowable ``formProperty`` fields → a form-js form;
* ``dueDate`` as an ISO-8601 duration (P3D, PT4H) → ``jiedao:dueDays`` / ``jiedao:dueHours``;
* a countersign's ``completionCondition`` on nrOfCompletedInstances/nrOfInstances → ``jiedao:completion``;
* JUEL gateway conditions (``${days > 3}``, ``${approved == true}``, ``eq``/``gt``/… operators) → the
  platform's expression language;
* a file without a diagram (``bpmndi:BPMNDiagram``) gets a generated left-to-right layout, so the designer
  can open it.

Taken out and reported (each becomes a problem the administrator must look at): assignment expressions the
platform cannot resolve, unknown users and groups, listeners and Java delegates (no external code runs
here), Camunda external tasks without a registered action of that name, per-variable multi-instance
collections, due dates and completion conditions that are expressions, and any other vendor attribute.
A user task that loses its handler this way is refused on deploy ("没有指定办理人"), never run with nobody.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils.translation import gettext as _
from lxml import etree

from jiedao.workflow import bpmn, expressions, formschema
from jiedao.workflow.bpmn import ACTIVITI_NS, BPMN_NS, CAMUNDA_NS, FLOWABLE_NS, JIEDAO_NS, _local, _ns

VENDOR_PREFIX = {CAMUNDA_NS: "camunda", FLOWABLE_NS: "flowable", ACTIVITI_NS: "activiti"}
# How other extension namespaces are named in the messages (Camunda 8 files carry zeebe:…).
SHOWN_PREFIX = {**VENDOR_PREFIX, "http://camunda.org/schema/zeebe/1.0": "zeebe"}
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
}
# Camunda-namespace attributes the platform reads itself (`jiedao.workflow.bpmn`).
PLATFORM_READS = {"assignee", "candidateUsers", "candidateGroups", "formKey", "topic"}
_VAR = re.compile(r"^[$#]\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}$")
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
    def __init__(self, root, process, forms: dict):
        from jiedao.accounts.models import Role

        self.root, self.process = root, process
        self.forms = dict(forms or {})
        self.new_forms: dict[str, dict] = {}
        self.notes: list[str] = []
        self.problems: list[str] = []
        self.reported: set[tuple[str, str, str]] = set()
        self.touched = False
        self.roles = list(Role.objects.filter(is_active=True).values_list("code", "name"))
        self.initiators = {"initiator"}
        for start in process.iter(f"{{{BPMN_NS}}}startEvent"):
            for ns in VENDOR_PREFIX:
                name = start.get(f"{{{ns}}}initiator")
                if name:
                    self.initiators.add(name.strip())

    # --- helpers -----------------------------------------------------------------------------------------

    def label(self, node) -> str:
        kind = _local(node.tag)
        if kind == "process":
            return _("流程「%(n)s」") % {"n": node.get("name") or node.get("id") or ""}
        name, node_id = (node.get("name") or "").strip(), node.get("id") or ""
        what = _("连线") if kind == "sequenceFlow" else bpmn.TYPE_LABELS.get(kind, kind)
        return f"{what}「{name}」（{node_id}）" if name else f"{what}「{node_id}」"

    @staticmethod
    def shown(attr: str, value: str) -> str:
        ns, local = _ns(attr), _local(attr)
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
        return [(a, _ns(a), _local(a)) for a in list(node.attrib) if _ns(a) in VENDOR_PREFIX]

    def fill_variables(self) -> set[str]:
        keys: set[str] = set()
        for schema in {**self.forms, **self.new_forms}.values():
            try:
                keys |= formschema.editable_keys(schema)
            except (AttributeError, KeyError, TypeError):
                continue
        return keys

    # --- the walk ------------------------------------------------------------------------------------------

    def run(self) -> None:
        self.extensions(self.process)
        self.generic(self.process, handled=())
        # Forms first: a ${variable} assignee is kept when a form fills it.
        for node in self.process:
            if _local(node.tag) in (*bpmn.USER_TASK_TYPES, "startEvent") and _ns(node.tag) == BPMN_NS:
                self.form_properties(node)
        for node in self.process:
            if not isinstance(node.tag, str) or _ns(node.tag) != BPMN_NS:
                continue
            kind = _local(node.tag)
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
                ns, local = _ns(child.tag), _local(child.tag)
                if not isinstance(child.tag, str) or ns not in (*SHOWN_PREFIX, *MODELER_NAMESPACES):
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
                    self.problem(
                        _(
                            "%(e)s带有%(kind)s（%(how)s），本平台不执行外部代码，已移除：如需在此环节自动处理，请改用服务任务（已登记的动作）。"
                        )
                        % {
                            "e": self.label(node),
                            "kind": _("任务监听器") if local == "taskListener" else _("执行监听器"),
                            "how": (how or child.get("event") or local)[:100],
                        }
                    )
                else:
                    self.problem(
                        _("%(e)s的扩展元素 %(x)s 本平台不支持，已移除。")
                        % {"e": self.label(node), "x": f"{SHOWN_PREFIX.get(ns, ns)}:{local}"[:100]}
                    )
                holder.remove(child)
                self.touched = True
            if len(holder) == 0:
                node.remove(holder)

    # --- user tasks ------------------------------------------------------------------------------------------

    def user_ref(self, value: str) -> tuple[str, str]:
        """(the platform's reference, why it cannot be used — "" when it can). A reference that cannot be used
        stays in the document, so the designer shows it where the administrator replaces it and deploy
        refuses it."""
        value = value.strip()
        if value in ("$INITIATOR", "initiator"):
            return "initiator", ""
        match = _VAR.match(value)
        if match:
            name = match.group(1)
            if name in self.initiators:
                return "initiator", ""
            return "${" + name + "}", ""
        if "${" in value or "#{" in value:
            return value, _("是本平台无法计算的表达式")
        from jiedao.accounts.models import User

        username = value[len("user:") :].strip() if value.startswith("user:") else value
        if User.objects.filter(username=username).exists():
            return f"user:{username}", ""
        return value, _("用户「%(u)s」在本平台不存在") % {"u": username[:50]}

    def variable_note(self, label: str, attr: str, value: str) -> None:
        """A handler read from a process variable no form fills: said now, not when the first start fails."""
        match = _VAR.match(value)
        if match and match.group(1) not in self.fill_variables():
            self.note(
                _(
                    "%(e)s的 %(a)s 取自流程变量「%(v)s」，本流程的表单中没有填写它的字段：发起时须提供该变量（办理人的用户名），否则无法发起。"
                )
                % {"e": label, "a": self.shown(attr, value), "v": match.group(1)}
            )

    def group_ref(self, node, group: str) -> str | None:
        group = group.strip()
        if group.startswith(("role:", "orgrole:")):
            return group
        if "${" in group or "#{" in group:
            return None
        display = ""
        for holder in node.findall(f"{{{BPMN_NS}}}extensionElements"):
            for child in holder:
                if _ns(child.tag) in MODELER_NAMESPACES and _local(child.tag) == f"group-info-name-{group}":
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
                for part in [value] if local == "assignee" else bpmn._split(value):
                    ref, why = self.user_ref(part)
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
                for part in bpmn._split(value):
                    ref = self.group_ref(node, part)
                    if ref is None:
                        kept.append(part)
                        self.reported.add((node.get("id") or "", "group", part))
                        self.problem(
                            _(
                                "%(e)s的候选组「%(g)s」（%(a)s）在本平台没有代码或名称相同的角色：请在设计器中为它选择办理角色。"
                            )
                            % {"e": label, "g": part[:50], "a": self.shown(attr, value)}
                        )
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
                if _ns(child.tag) in MODELER_NAMESPACES:
                    holder.remove(child)  # the group display names, read above
            if len(holder) == 0:
                node.remove(holder)
        self.generic(node, handled=())

    def due_date(self, node, label: str, attr: str, value: str) -> None:
        parsed = bpmn.parse_iso_duration(value)
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
            if local != "formKey":
                continue
            value = (node.get(attr) or "").strip()
            if value in self.new_forms or value in self.forms:
                self.put(node, attr, local, value)  # a form of the file (or generated from its fields)
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
            if _ns(child.tag) in (FLOWABLE_NS, ACTIVITI_NS) and _local(child.tag) == "formProperty"
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
                    if _local(v.tag) == "value"
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
        key = bpmn.generated_form_key(node.get("id") or "")
        self.new_forms[key] = {"type": "default", "id": key, "schemaVersion": 16, "components": components}
        for attr, _vns, local in self.vendor_attrs(node):
            if local == "formKey":
                self.drop(node, attr)
        self.set(node, CAMUNDA_NS, "formKey", key)
        self.note(
            _("%(e)s的 %(n)d 个表单字段（formProperty）已转换为表单「%(k)s」。")
            % {"e": self.label(node), "n": len(components), "k": key}
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
                match = _VAR.match(node.get(attr) or "") if local == "assignee" else None
                if match and match.group(1) == element_var:
                    self.drop(node, attr)
        for cardinality in loop.findall(f"{{{BPMN_NS}}}loopCardinality"):
            self.problem(
                _("%(e)s按固定次数（loopCardinality）多实例，本平台不支持，已移除：会签按候选人生成。")
                % {"e": label}
            )
            loop.remove(cardinality)
            self.touched = True
        for condition in loop.findall(f"{{{BPMN_NS}}}completionCondition"):
            text = expressions.normalize(condition.text or "")
            text = re.sub(r"\s+", " ", text).strip()
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
        text = expressions.normalize(original)
        text = re.sub(
            r"""("[^"]*"|'[^']*')|\b(eq|ne|gt|lt|ge|le|div|mod)\b""",
            lambda m: m.group(1) or f" {_JUEL_WORDS[m.group(2)]} ",
            text,
        )
        text = re.sub(r"\s+", " ", text).strip()
        try:
            expressions.check(text)
        except expressions.ExpressionError as error:
            self.problem(
                _(
                    "%(e)s的条件「%(c)s」无法转换为本平台的条件表达式（%(m)s）：请在设计器中改写（如 days > 3）。"
                )
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
        and _ns(n.tag) == BPMN_NS
        and _local(n.tag) not in bpmn.PASSIVE_TYPES
        and _local(n.tag) != "boundaryEvent"
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
    kinds = {n.get("id"): _local(n.tag) for n in nodes}
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
        width, height = _size(_local(node.tag))
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


def convert(xml: str, forms: dict | None = None) -> Conversion:
    """The document with vendor extensions mapped onto the platform's convention (see the module doc).
    A document that needs nothing comes back as it was. Raises `bpmn.BpmnError` for an unsafe or malformed
    file, as `bpmn.load` does."""
    root = bpmn.parse_tree(xml)
    process, _model, _errors = bpmn.read_process(root)
    importer = _Importer(root, process, forms or {})
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
