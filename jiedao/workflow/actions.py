"""Actions that service tasks may run. Apps register theirs in a `workflow_actions.py` module:

    from jiedao.workflow.actions import workflow_action

    @workflow_action(
        "registry.tag_person",
        label="为人员添加标签",
        params={"person_id": {"type": "int"}, "tag": {"type": "str"}, "note": {"type": "str", "required": False}},
    )
    def tag_person(ctx, *, person_id, tag, note=""):
        ...  # ctx.actor, ctx.instance, ctx.data (the task's data, writable), ctx.on_commit(fn)

Parameter types: ``str``, ``int``, ``bool``, ``identifier`` (a variable name), ``value`` (any JSON value;
a literal string is kept as text), ``users`` (comma-separated user references and groups, see
`jiedao.workflow.assignment`), ``choice`` (with ``choices``). In the BPMN a value written ``${…}`` is an
expression on the process data evaluated at run time (its result is then checked against the type).
Parameters are checked on deploy and again when the action runs. Anything sent outside the platform must
go through ``ctx.on_commit`` so a rolled-back step sends nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from jiedao.workflow import expressions

PARAM_TYPES = ("str", "int", "bool", "identifier", "value", "users", "choice")
_IDENTIFIER_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_EXPR_RE = re.compile(r"^\$\{(.*)\}$", re.DOTALL)


@dataclass(frozen=True)
class Param:
    type: str = "str"
    required: bool = True
    label: str = ""
    choices: tuple = ()
    default: Any = None


@dataclass
class WorkflowAction:
    name: str
    func: Callable
    label: str
    params: dict[str, Param] = field(default_factory=dict)
    # The process variables the action writes (besides those its ``identifier`` parameters name); None: not
    # declared, it may write any (deploy then cannot tell which variables a condition may rely on).
    provides: tuple[str, ...] | None = None


ACTIONS: dict[str, WorkflowAction] = {}


class ActionError(Exception):
    """An action could not run; the message is Chinese. The step is rolled back."""


def workflow_action(
    name: str, *, params: dict | None = None, label: str = "", provides: tuple[str, ...] | None = None
):
    specs: dict[str, Param] = {}
    for key, spec in (params or {}).items():
        param = spec if isinstance(spec, Param) else Param(**spec)
        if param.type not in PARAM_TYPES:
            raise ValueError(f"unknown parameter type {param.type!r} for {name}.{key}")
        specs[key] = param

    def register(func: Callable) -> Callable:
        ACTIONS[name] = WorkflowAction(
            name=name, func=func, label=label or name, params=specs, provides=provides
        )
        return func

    return register


def variables_set(name: str, raw: dict[str, str]) -> set[str] | None:
    """The process variables a service task running action `name` with parameters `raw` writes; None when
    the action does not declare them (or is unknown)."""
    action = ACTIONS.get(name)
    if action is None or action.provides is None:
        return None
    named = {
        str(raw[key]).strip()
        for key, param in action.params.items()
        if param.type == "identifier" and raw.get(key)
    }
    if any(_expression(value) is not None for value in named):
        return None  # the variable's name is computed when the step runs
    return {*action.provides, *named}


def choices() -> list[tuple[str, str]]:
    return sorted((a.name, str(a.label)) for a in ACTIONS.values())


def _expression(raw: str) -> str | None:
    match = _EXPR_RE.match(raw.strip()) if isinstance(raw, str) else None
    return match.group(1) if match else None


def _convert(param: Param, key: str, value: Any) -> Any:
    """Check and convert one value; raise ActionError."""
    if param.type == "str":
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ActionError(_("参数「%(k)s」应为文本。") % {"k": key})
        return str(value)
    if param.type == "int":
        if isinstance(value, bool):
            raise ActionError(_("参数「%(k)s」应为整数。") % {"k": key})
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        if isinstance(value, int):
            return value
        raise ActionError(_("参数「%(k)s」应为整数。") % {"k": key})
    if param.type == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        raise ActionError(_("参数「%(k)s」应为 true 或 false。") % {"k": key})
    if param.type == "identifier":
        if not isinstance(value, str) or not _IDENTIFIER_RE.match(value) or value == "initiator":
            raise ActionError(_("参数「%(k)s」应为变量名（字母开头，只含字母、数字和下划线）。") % {"k": key})
        return value
    if param.type == "choice":
        if value not in param.choices:
            raise ActionError(
                _("参数「%(k)s」应为以下之一：%(c)s。") % {"k": key, "c": "、".join(map(str, param.choices))}
            )
        return value
    if param.type == "users":
        if not isinstance(value, str) or not value.strip():
            raise ActionError(_("参数「%(k)s」应为用户或角色列表。") % {"k": key})
        return value
    # "value": anything JSON can hold
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        raise ActionError(_("参数「%(k)s」的值无法保存。") % {"k": key}) from None
    return value


def validate_params(name: str, raw: dict[str, str]) -> list[str]:
    """Deploy-time check: the action exists, required parameters are present, literals have the right type
    and expressions are allowed. Messages are Chinese."""
    action = ACTIONS.get(name)
    if action is None:
        return [
            _("未知的动作「%(a)s」（可用：%(list)s）。")
            % {"a": name, "list": "、".join(sorted(ACTIONS)) or "—"}
        ]
    errors = []
    for key in raw:
        if key not in action.params:
            errors.append(_("动作「%(a)s」没有参数「%(k)s」。") % {"a": name, "k": key})
    for key, param in action.params.items():
        if key not in raw or str(raw[key]).strip() == "":
            if param.required:
                errors.append(_("动作「%(a)s」缺少参数「%(k)s」。") % {"a": name, "k": key})
            continue
        value = raw[key]
        source = _expression(value)
        try:
            if source is not None:
                expressions.check(source)
            elif param.type == "users":
                _check_users(value)
            else:
                _convert(param, key, value)
        except (ActionError, expressions.ExpressionError) as error:
            errors.append(f"{error}")
    return errors


def _check_users(value: str) -> None:
    from jiedao.workflow.assignment import validate_element
    from jiedao.workflow.bpmn import Element

    probe = Element(id="_", type="userTask")
    for part in [p.strip() for p in value.split(",") if p.strip()]:
        if part.startswith(("role:", "orgrole:")):
            probe.candidate_groups.append(part)
        else:
            probe.candidate_users.append(part)
    problems = validate_element(probe)
    if problems:
        raise ActionError(problems[0].replace("用户任务「_」", ""))


def resolve_params(name: str, raw: dict[str, str], data: dict) -> dict[str, Any]:
    """Run-time conversion: evaluate expressions on the data and check every value."""
    action = ACTIONS.get(name)
    if action is None:
        raise ActionError(_("未知的动作「%(a)s」。") % {"a": name})
    values: dict[str, Any] = {}
    for key, param in action.params.items():
        if key not in raw or str(raw[key]).strip() == "":
            if param.required:
                raise ActionError(_("动作「%(a)s」缺少参数「%(k)s」。") % {"a": name, "k": key})
            if param.default is not None:
                values[key] = param.default
            continue
        value: Any = raw[key]
        source = _expression(value)
        if source is not None:
            try:
                value = expressions.evaluate(source, data)
            except expressions.ExpressionError as error:
                raise ActionError(_("参数「%(k)s」：%(m)s") % {"k": key, "m": error}) from None
        values[key] = _convert(param, key, value)
    return values
