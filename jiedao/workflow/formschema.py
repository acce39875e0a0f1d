"""Server-side validation of data submitted against a form-js schema.

The browser renders forms with the form-js viewer, but nothing the browser sends is trusted: the service
checks every submission against the task's schema. Supported input components: ``textfield``,
``textarea``, ``number``, ``select``, ``radio``, ``checkbox``, ``checklist``, ``datetime``; layout
components (``text``, ``html``, ``spacer``, ``separator``, ``group`` without a ``path``) are accepted and
carry no value. Keys not in the schema, and disabled or read-only fields, are ignored.

Fields with a ``conditional`` (FEEL) rule are not required on the server, since FEEL is not evaluated here.

Rules across fields are custom properties of a field (the form editor's 自定义属性, `CROSS_FIELD_RULES`),
checked here on every submission against the other fields of the form and the process data:

* ``notBefore``: the key of another date or number field (of this form or an earlier one): the value may not
  be earlier (smaller). 销假's 返岗日期 is not before the leave's 开始日期.
* ``requiredIf``: a condition in the platform's expression language (`expressions`) over the process data
  and this form's values; when it holds, the field is required. ``requiredIfText`` says why, after the
  required message: 销假's 超假说明 when the actual days exceed the approved ones.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

INPUT_TYPES = ("textfield", "textarea", "number", "select", "radio", "checkbox", "checklist", "datetime")
LAYOUT_TYPES = ("text", "html", "spacer", "separator", "group", "default")
CHOICE_TYPES = ("select", "radio", "checklist")
MAX_TEXT = 10_000
MAX_PATTERN = 200
_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{5,20}$")
RESERVED_KEYS = ("initiator",)
CROSS_FIELD_RULES = ("notBefore", "requiredIf")


def _components(schema: dict) -> Iterator[dict]:
    for component in schema.get("components") or []:
        if not isinstance(component, dict):
            continue
        yield component
        if component.get("type") == "group" and not component.get("path"):
            yield from _components(component)


def walk_components(schema: dict | None) -> list[dict]:
    """Every component of a schema, those inside groups too."""
    return list(_components(schema)) if isinstance(schema, dict) else []


def fields(schema: dict | None) -> list[dict]:
    """The input components of a schema, groups flattened."""
    if not isinstance(schema, dict):
        return []
    return [c for c in _components(schema) if c.get("type") in INPUT_TYPES and c.get("key")]


def _label(component: dict) -> str:
    """The field's label; form-js's date and time fields carry theirs as ``dateLabel`` / ``timeLabel``."""
    label = component.get("label") or component.get("dateLabel") or component.get("timeLabel")
    return str(label or component.get("key") or _("未命名字段"))[:50]


def validate_schema(form_key: str, schema: Any) -> list[str]:
    """Deploy-time check of a form: supported component types, keys, option lists."""
    where = _("表单「%(f)s」") % {"f": form_key}
    if not _KEY_RE.match(str(form_key)):
        return [
            _("表单标识「%(f)s」无效：应以字母开头，只含字母、数字和下划线。") % {"f": str(form_key)[:64]}
        ]
    if not isinstance(schema, dict) or not isinstance(schema.get("components"), list):
        return [_("%(w)s不是有效的 form-js 表单（缺少 components）。") % {"w": where}]
    errors: list[str] = []
    keys: set[str] = set()
    for component in _components(schema):
        kind = component.get("type")
        if kind in LAYOUT_TYPES:
            if kind == "group" and component.get("path"):
                errors.append(
                    _("%(w)s的分组「%(l)s」使用了 path，暂不支持。") % {"w": where, "l": _label(component)}
                )
            continue
        if kind not in INPUT_TYPES:
            errors.append(
                _("%(w)s中的组件类型「%(t)s」不受支持（支持：%(list)s）。")
                % {"w": where, "t": str(kind)[:30], "list": "、".join(INPUT_TYPES)}
            )
            continue
        key = component.get("key")
        if not isinstance(key, str) or not _KEY_RE.match(key):
            errors.append(
                _("%(w)s的字段「%(l)s」的 key 无效：应以字母开头，只含字母、数字和下划线。")
                % {"w": where, "l": _label(component)}
            )
            continue
        if key in RESERVED_KEYS:
            errors.append(_("%(w)s的字段 key「%(k)s」为保留字。") % {"w": where, "k": key})
        if key in keys:
            errors.append(_("%(w)s中的字段 key「%(k)s」重复。") % {"w": where, "k": key})
        keys.add(key)
        if kind in CHOICE_TYPES and not component.get("valuesKey"):
            values = component.get("values")
            if not isinstance(values, list) or not values:
                errors.append(_("%(w)s的字段「%(l)s」没有可选项。") % {"w": where, "l": _label(component)})
        errors += _rule_errors(where, component)
        pattern = (component.get("validate") or {}).get("pattern")
        if pattern:
            if len(str(pattern)) > MAX_PATTERN:
                errors.append(
                    _("%(w)s的字段「%(l)s」的格式规则过长。") % {"w": where, "l": _label(component)}
                )
            else:
                try:
                    re.compile(str(pattern))
                except re.error:
                    errors.append(
                        _("%(w)s的字段「%(l)s」的格式规则无效。") % {"w": where, "l": _label(component)}
                    )
                else:
                    if nested_repeat(str(pattern)):
                        errors.append(
                            _(
                                "%(w)s的字段「%(l)s」的格式规则「%(p)s」对重复的内容再次重复（如 (\\d+)+），"
                                "校验较长的输入时可能耗尽服务器，请改写（如 \\d+）。"
                            )
                            % {"w": where, "l": _label(component), "p": str(pattern)[:50]}
                        )
    try:
        json.dumps(schema)
    except (TypeError, ValueError):
        errors.append(_("%(w)s无法保存为 JSON。") % {"w": where})
    return errors


def _rule_errors(where: str, component: dict) -> list[str]:
    """Deploy-time check of a field's cross-field rules (see the module's docstring)."""
    from jiedao.workflow import expressions

    properties = component.get("properties") or {}
    if not isinstance(properties, dict):
        return []
    errors: list[str] = []
    label = _label(component)
    other = properties.get("notBefore")
    if other is not None:
        if component.get("type") not in ("datetime", "number"):
            errors.append(
                _("%(w)s的字段「%(l)s」不是日期或数字，不能设置 notBefore。") % {"w": where, "l": label}
            )
        elif not isinstance(other, str) or not _KEY_RE.match(other) or other == component.get("key"):
            errors.append(
                _("%(w)s的字段「%(l)s」的 notBefore 应为另一个字段的 key。") % {"w": where, "l": label}
            )
    condition = properties.get("requiredIf")
    if condition is not None:
        try:
            expressions.check(str(condition))
        except expressions.ExpressionError as error:
            errors.append(
                _("%(w)s的字段「%(l)s」的 requiredIf 条件无效：%(e)s")
                % {"w": where, "l": label, "e": error.args[0]}
            )
    return errors


@functools.lru_cache(maxsize=256)
def nested_repeat(pattern: str) -> bool:
    """Whether a format rule repeats something that itself repeats without bound — ``(\\d+)+``,
    ``(?:\\w+\\s?)+`` — which Python's regex engine can take minutes or hours to refuse on a value of a
    few dozen characters (catastrophic backtracking): one submitted form would hold a server worker."""
    from re import _constants as c
    from re import _parser

    repeats = (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT))

    def children(value):
        if isinstance(value, _parser.SubPattern):
            yield value
        elif isinstance(value, list | tuple):
            for item in value:
                yield from children(item)

    def walk(items, inside_repeat: bool) -> bool:
        for op, args in items:
            if op in repeats:
                _low, high, body = args
                if inside_repeat and high == c.MAXREPEAT:
                    return True
                if walk(body, inside_repeat or high > 1):
                    return True
            else:
                for child in children(args):
                    if walk(child, inside_repeat):
                        return True
        return False

    try:
        return walk(_parser.parse(pattern), False)
    except (re.error, RecursionError, ValueError, TypeError):
        return False


def _allowed_values(component: dict, context: dict) -> list:
    key = component.get("valuesKey")
    values = context.get(key) if key else component.get("values")
    allowed = []
    for option in values or []:
        if isinstance(option, dict) and "value" in option:
            allowed.append(option["value"])
        elif isinstance(option, str | int | float | bool):
            allowed.append(option)
    return allowed


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            return None
        if not math.isfinite(number):
            return None
        return int(number) if re.fullmatch(r"-?\d+", text) else number
    return None


def _datetime_value(value: Any, subtype: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        if subtype == "date":
            return dt.date.fromisoformat(text).isoformat()
        if subtype == "time":
            return dt.time.fromisoformat(text.removesuffix("Z")).isoformat(timespec="minutes")
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat(timespec="minutes")
    except ValueError:
        return None


def _check_one(component: dict, value: Any, context: dict) -> tuple[Any, str | None]:
    """(clean value, error message or None)."""
    kind, label = component["type"], _label(component)
    rules = component.get("validate") or {}
    if kind in ("textfield", "textarea"):
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            return None, _("「%(l)s」应为文本。") % {"l": label}
        value = value.strip()
        if len(value) > MAX_TEXT:
            return None, _("「%(l)s」过长。") % {"l": label}
        min_length, max_length = rules.get("minLength"), rules.get("maxLength")
        if isinstance(min_length, int) and len(value) < min_length:
            return None, _("「%(l)s」至少 %(n)d 个字。") % {"l": label, "n": min_length}
        if isinstance(max_length, int) and len(value) > max_length:
            return None, _("「%(l)s」不能超过 %(n)d 个字。") % {"l": label, "n": max_length}
        pattern = rules.get("pattern")
        if pattern and len(str(pattern)) <= MAX_PATTERN and nested_repeat(str(pattern)):
            # A version deployed before such rules were refused: not run (it could hold the worker for hours).
            return None, _("「%(l)s」的格式规则有误，暂时无法校验，请联系流程管理员。") % {"l": label}
        if pattern and len(str(pattern)) <= MAX_PATTERN:
            try:
                if not re.fullmatch(str(pattern), value):
                    return None, _("「%(l)s」的格式不正确。") % {"l": label}
            except re.error:
                pass
        validation_type = rules.get("validationType")
        if validation_type == "email" and not _EMAIL_RE.match(value):
            return None, _("「%(l)s」应为有效的电子邮箱地址。") % {"l": label}
        if validation_type == "phone" and not _PHONE_RE.match(value):
            return None, _("「%(l)s」应为有效的电话号码。") % {"l": label}
        return value, None
    if kind == "number":
        number = _number(value)
        if number is None:
            return None, _("「%(l)s」应为数字。") % {"l": label}
        low, high = _number(rules.get("min")), _number(rules.get("max"))
        if low is not None and number < low:
            return None, _("「%(l)s」不能小于 %(n)s。") % {"l": label, "n": f"{low:g}"}
        if high is not None and number > high:
            return None, _("「%(l)s」不能大于 %(n)s。") % {"l": label, "n": f"{high:g}"}
        digits = component.get("decimalDigits")
        if isinstance(digits, int) and isinstance(number, float) and round(number, digits) != number:
            return None, _("「%(l)s」最多保留 %(n)d 位小数。") % {"l": label, "n": digits}
        if isinstance(number, float) and number.is_integer() and not digits:
            number = int(number)
        return number, None
    if kind in ("select", "radio"):
        allowed = _allowed_values(component, context)
        if value not in allowed:
            return None, _("「%(l)s」的取值不在可选范围内。") % {"l": label}
        return value, None
    if kind == "checkbox":
        if isinstance(value, str) and value.lower() in ("true", "on", "1", "false", "off", "0"):
            value = value.lower() in ("true", "on", "1")
        if not isinstance(value, bool):
            return None, _("「%(l)s」应为是或否。") % {"l": label}
        return value, None
    if kind == "checklist":
        if not isinstance(value, list):
            return None, _("「%(l)s」应为多选列表。") % {"l": label}
        allowed = _allowed_values(component, context)
        if any(item not in allowed for item in value):
            return None, _("「%(l)s」中有取值不在可选范围内。") % {"l": label}
        return list(dict.fromkeys(value)), None
    if kind == "datetime":
        subtype = component.get("subtype") or "date"
        clean = _datetime_value(value, subtype)
        if clean is None:
            # Named as what the field asks for: a date field is not a 日期时间.
            if subtype == "time":
                return None, _("「%(l)s」应为有效的时间（HH:MM）。") % {"l": label}
            if subtype == "datetime":
                return None, _("「%(l)s」应为有效的日期时间（YYYY-MM-DDTHH:MM）。") % {"l": label}
            return None, _("「%(l)s」应为有效的日期（YYYY-MM-DD）。") % {"l": label}
        return clean, None
    return None, _("「%(l)s」的类型不受支持。") % {"l": label}


def validate_data(
    schema: dict | None, data: Any, context: dict | None = None, labels: dict[str, str] | None = None
) -> tuple[dict, dict[str, list[str]]]:
    """(cleaned data, errors by field key). Only the schema's enabled input fields are kept.

    `context`: the process data (option lists named by ``valuesKey``, the other side of a cross-field rule);
    `labels`: the labels of the process's fields in its other forms, to name them in a rule's message."""
    context = context or {}
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return {}, {"__all__": [_("表单数据格式不正确。")]}
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for component in fields(schema):
        if component.get("disabled") or component.get("readonly") is True:
            continue
        key = component["key"]
        value = data.get(key)
        required = bool((component.get("validate") or {}).get("required")) and not component.get(
            "conditional"
        )
        if _empty(value) or (component["type"] == "checkbox" and value is False and required):
            if required:
                errors[key] = [_("「%(l)s」为必填项。") % {"l": _label(component)}]
            elif component["type"] == "checkbox" and value is not None:
                cleaned[key] = bool(value) if isinstance(value, bool) else False
            continue
        clean, error = _check_one(component, value, context)
        if error:
            errors[key] = [error]
        else:
            cleaned[key] = clean
    _check_rules(schema, cleaned, errors, context, {**(labels or {}), **field_labels(schema)})
    return cleaned, errors


def _check_rules(
    schema: dict | None, cleaned: dict, errors: dict[str, list[str]], context: dict, labels: dict[str, str]
) -> None:
    """The cross-field rules of the form's fields (see the module's docstring), on what passed the checks
    of each field: `errors` gets a message per field that breaks one."""
    from jiedao.workflow import expressions

    values = {**context, **cleaned}
    for component in fields(schema):
        key, properties = component["key"], component.get("properties") or {}
        if key in errors or not isinstance(properties, dict):
            continue
        other = properties.get("notBefore")
        if isinstance(other, str) and key in cleaned:
            floor = _comparable(component, values.get(other))
            value = _comparable(component, cleaned[key])
            if floor is not None and value is not None and value < floor:
                message = (
                    _("「%(l)s」不能早于「%(o)s」（%(v)s）。")
                    if component["type"] == "datetime"
                    else _("「%(l)s」不能小于「%(o)s」（%(v)s）。")
                )
                errors[key] = [
                    message % {"l": _label(component), "o": labels.get(other, other), "v": values[other]}
                ]
                continue
        condition = properties.get("requiredIf")
        if condition and key not in cleaned and not component.get("disabled"):
            try:
                required = bool(expressions.evaluate(str(condition), values))
            except expressions.ExpressionError:
                required = False  # the data the rule reads is missing: nothing to enforce
            if required:
                why = str(properties.get("requiredIfText") or "").strip()[:200]
                errors[key] = [
                    _("「%(l)s」为必填项：%(why)s") % {"l": _label(component), "why": why}
                    if why
                    else _("「%(l)s」为必填项。") % {"l": _label(component)}
                ]


def _comparable(component: dict, value: Any) -> dt.date | float | None:
    """`value` as the `component`'s type compares it (a date, a number), or None when it is not one."""
    if component["type"] == "number":
        number = _number(value)
        return float(number) if number is not None else None
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def editable_keys(schema: dict | None) -> set[str]:
    """The keys a submission of the form sets: its enabled, writable input fields (see `validate_data`)."""
    return {c["key"] for c in fields(schema) if not c.get("disabled") and c.get("readonly") is not True}


def batch_refusal(schema: dict | None) -> str | None:
    """Why a step with this form must be handled one by one, or None when 批量审批 may decide it: it asks
    for nothing but 同意 / 不同意 (an ``outcome`` radio or select offering both) and the opinion. A step
    without a form qualifies (its page offers the same two outcomes)."""
    if schema is None:
        return None
    outcome = None
    for component in fields(schema):
        if component.get("disabled") or component.get("readonly") is True:
            continue
        if component["key"] == "outcome" and component["type"] in ("radio", "select"):
            outcome = component
        elif (component.get("validate") or {}).get("required"):
            return _("需逐件办理：表单有必填项")
    if outcome is None or not {"approve", "reject"} <= set(_allowed_values(outcome, {})):
        return _("需逐件办理：表单没有同意 / 不同意选项")
    return None


def field_labels(schema: dict | None) -> dict[str, str]:
    return {c["key"]: _label(c) for c in fields(schema)}


def title_details(forms: dict | None, data: dict) -> str:
    """What tells one instance from another in its title, from the fields a form marks with the custom
    property ``title`` (set in the form editor): a template where ``{}`` stands for the value, "{}起"
    on the start date and "{}天" on the days give "12月14日起2天". Empty when no marked field has a value."""
    pieces: list[str] = []
    seen: set[str] = set()
    for schema in (forms or {}).values():
        for component in fields(schema):
            key = component["key"]
            template = (component.get("properties") or {}).get("title")
            if key in seen or not isinstance(template, str) or _empty(data.get(key)):
                continue
            seen.add(key)
            shown = display_value(component, data[key], data)
            if component["type"] == "datetime" and (component.get("subtype") or "date") == "date":
                try:
                    day = dt.date.fromisoformat(shown)
                    shown = _("%(m)d月%(d)d日") % {"m": day.month, "d": day.day}
                except ValueError:
                    pass
            pieces.append(template.replace("{}", shown) if "{}" in template else shown)
    return "".join(pieces)[:120]


def display_value(component: dict, value: Any, context: dict | None = None) -> str:
    """A human-readable value (option labels instead of values)."""
    if value is None:
        return ""
    if component.get("type") in CHOICE_TYPES:
        options = component.get("values") or (context or {}).get(component.get("valuesKey"), []) or []
        labels = {o.get("value"): o.get("label") for o in options if isinstance(o, dict)}
        if isinstance(value, list):
            return "、".join(str(labels.get(v, v)) for v in value)
        return str(labels.get(value, value))
    if component.get("type") == "checkbox":
        return _("是") if value else _("否")
    return str(value)


# --- forms carried inside an exported .bpmn file ----------------------------------------------------------

_FORMS_TAG = "forms"
_FORM_TAG = "form"


class EmbeddedFormsError(ValueError):
    """An exported file's embedded form is not valid JSON."""


def embed_forms(bpmn_xml: str, forms: dict) -> str:
    """The document with `forms` inside its process: ``bpmn:extensionElements/jiedao:forms/jiedao:form``
    (one per form, ``key`` attribute, form-js JSON as text), so an exported file imports with its forms."""
    from lxml import etree

    from jiedao.workflow import bpmn

    if not forms:
        return bpmn_xml
    root = bpmn.parse_tree(bpmn_xml)
    process = root.find(f"{{{bpmn.BPMN_NS}}}process")
    if process is None:
        return bpmn_xml
    _remove_embedded(process)
    extension = process.find(f"{{{bpmn.BPMN_NS}}}extensionElements")
    if extension is None:
        extension = etree.Element(f"{{{bpmn.BPMN_NS}}}extensionElements")
        documentation = process.findall(f"{{{bpmn.BPMN_NS}}}documentation")
        process.insert(len(documentation), extension)  # right after any documentation, as BPMN requires
    holder = etree.SubElement(
        extension, f"{{{bpmn.JIEDAO_NS}}}{_FORMS_TAG}", nsmap={"jiedao": bpmn.JIEDAO_NS}
    )
    for key, schema in forms.items():
        form = etree.SubElement(holder, f"{{{bpmn.JIEDAO_NS}}}{_FORM_TAG}", key=str(key))
        form.text = json.dumps(schema, ensure_ascii=False)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="unicode")


def split_forms(bpmn_xml: str) -> tuple[str, dict]:
    """(document without its embedded forms, the forms by key) of a file `embed_forms` wrote; a document
    without embedded forms comes back unchanged. Raises EmbeddedFormsError for a form that is not JSON,
    and the document's own BpmnError when it is not safe, well-formed BPMN."""
    from lxml import etree

    from jiedao.workflow import bpmn

    if f"{_FORMS_TAG}" not in bpmn_xml or bpmn.JIEDAO_NS not in bpmn_xml:
        return bpmn_xml, {}
    root = bpmn.parse_tree(bpmn_xml)
    forms: dict = {}
    found = False
    for process in root.findall(f"{{{bpmn.BPMN_NS}}}process"):
        for holder in process.findall(
            f"{{{bpmn.BPMN_NS}}}extensionElements/{{{bpmn.JIEDAO_NS}}}{_FORMS_TAG}"
        ):
            found = True
            for form in holder.findall(f"{{{bpmn.JIEDAO_NS}}}{_FORM_TAG}"):
                key = form.get("key") or ""
                try:
                    forms[key] = json.loads(form.text or "")
                except ValueError:
                    raise EmbeddedFormsError(key) from None
        _remove_embedded(process)
    if not found:
        return bpmn_xml, {}
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="unicode"), forms


def _remove_embedded(process) -> None:
    from jiedao.workflow import bpmn

    for extension in process.findall(f"{{{bpmn.BPMN_NS}}}extensionElements"):
        for holder in extension.findall(f"{{{bpmn.JIEDAO_NS}}}{_FORMS_TAG}"):
            extension.remove(holder)
        if len(extension) == 0:
            process.remove(extension)
