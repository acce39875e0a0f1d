"""The restricted expression language of gateway conditions and action parameters.

Processes never run Python. A condition such as ``days > 3 and leave_type in ["sick", "personal"]`` is
parsed with `ast` and evaluated by walking the tree, allowing only:

* names (process variables) and constants (numbers, strings, booleans, None), list/tuple literals;
* comparisons (``== != < <= > >= in not in``, ``is``/``is not`` against None);
* ``and``, ``or``, ``not``, unary ``-``/``+``;
* arithmetic ``+ - * / // %`` on numbers (``+`` also joins two strings);
* subscripts over the data (``form["days"]``, ``items[0]``) — no attributes, calls, slices, lambdas or
  comprehensions.

Expressions written for Camunda (``${days > 3}``, ``&&``, ``||``, ``!``) are accepted and translated.
"""

from __future__ import annotations

import ast
import io
import operator
import tokenize
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

MAX_LENGTH = 1000
MAX_NODES = 200
MAX_NUMBER = 10**15
MAX_STRING = 10_000


class ExpressionError(Exception):
    """The expression is not allowed, or cannot be evaluated on the data. The message is in Chinese."""


_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_ARITH = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    ast.Compare,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Subscript,
    ast.List,
    ast.Tuple,
    *_COMPARE,
    *_ARITH,
)


def normalize(source: str) -> str:
    """Strip a Camunda ``${…}`` wrapper and translate ``&&``, ``||`` and ``!`` outside string literals."""
    text = (source or "").strip()
    if (text.startswith("${") or text.startswith("#{")) and text.endswith("}"):
        text = text[2:-1].strip()
    if not any(mark in text for mark in ("&&", "||", "!")):
        return text
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return text
    out: list[str] = []
    for token in tokens:
        if token.type == tokenize.STRING:
            out.append(token.string)
        elif token.type == tokenize.OP and token.string == "!=":
            out.append("!=")
        elif token.type in (tokenize.OP, tokenize.ERRORTOKEN):
            out.append(
                token.string.replace("&&", " and ").replace("||", " or ").replace("!", " not ")
                if token.string.strip() in ("&&", "||", "!", "&", "|")
                else token.string
            )
        else:
            out.append(token.string)
    translated = " ".join(part for part in out if part.strip())
    return translated.replace("& &", "and").replace("| |", "or").strip()


def compile_expression(source: str) -> ast.Expression:
    """Parse and check an expression; raise `ExpressionError` naming what is not allowed."""
    text = normalize(source)
    if not text:
        raise ExpressionError(_("表达式为空。"))
    if len(text) > MAX_LENGTH:
        raise ExpressionError(_("表达式过长（不超过 %(n)d 个字符）。") % {"n": MAX_LENGTH})
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise ExpressionError(_("表达式「%(e)s」语法错误。") % {"e": text[:100]}) from None
    for count, node in enumerate(ast.walk(tree), start=1):
        if count > MAX_NODES:
            raise ExpressionError(_("表达式过于复杂。"))
        if not isinstance(node, _ALLOWED):
            raise ExpressionError(
                _(
                    "表达式「%(e)s」中使用了不允许的写法（%(what)s）：只能使用变量、常量、比较、逻辑运算、算术和下标。"
                )
                % {"e": text[:100], "what": _describe(node)}
            )
        if isinstance(node, ast.Constant) and not isinstance(
            node.value, str | int | float | bool | type(None)
        ):
            raise ExpressionError(_("表达式「%(e)s」中含有不支持的常量。") % {"e": text[:100]})
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            raise ExpressionError(_("表达式「%(e)s」不支持切片。") % {"e": text[:100]})
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise ExpressionError(_("变量名「%(n)s」不能以下划线开头。") % {"n": node.id})
    return tree


def _describe(node: ast.AST) -> str:
    names = {
        ast.Call: _("函数调用"),
        ast.Attribute: _("属性访问"),
        ast.Lambda: "lambda",
        ast.Pow: _("乘方"),
        ast.ListComp: _("推导式"),
        ast.GeneratorExp: _("推导式"),
        ast.DictComp: _("推导式"),
        ast.SetComp: _("推导式"),
        ast.NamedExpr: _("赋值"),
        ast.IfExp: _("条件表达式"),
    }
    for kind, label in names.items():
        if isinstance(node, kind):
            return str(label)
    return type(node).__name__


def evaluate(source: str | ast.Expression, data: Mapping[str, Any]) -> Any:
    """Evaluate an expression over the process data."""
    tree = compile_expression(source) if isinstance(source, str) else source
    return _Evaluator(data).visit(tree.body)


def check(source: str) -> None:
    """Raise `ExpressionError` when the expression would be refused (used on deploy)."""
    compile_expression(source)


def variables(source: str) -> set[str]:
    """The process variables an (allowed) expression reads: ``form["days"] > 3`` reads ``form``."""
    literals = {"true", "True", "false", "False", "null", "None"}
    return {
        node.id
        for node in ast.walk(compile_expression(source))
        if isinstance(node, ast.Name) and node.id not in literals
    }


def _check_size(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and abs(value) > MAX_NUMBER:
        raise ExpressionError(_("计算结果超出范围。"))
    if isinstance(value, str) and len(value) > MAX_STRING:
        raise ExpressionError(_("计算结果过长。"))
    return value


class _Evaluator:
    def __init__(self, data: Mapping[str, Any]):
        self.data = data

    def visit(self, node: ast.AST) -> Any:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:  # compile_expression refuses these; defence in depth
            raise ExpressionError(_("表达式中使用了不允许的写法。"))
        return method(node)

    def visit_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in ("true", "True"):
            return True
        if node.id in ("false", "False"):
            return False
        if node.id in ("null", "None"):
            return None
        if node.id not in self.data:
            raise ExpressionError(_("流程变量「%(n)s」不存在。") % {"n": node.id})
        return self.data[node.id]

    def visit_List(self, node: ast.List) -> list:
        return [self.visit(item) for item in node.elts]

    def visit_Tuple(self, node: ast.Tuple) -> tuple:
        return tuple(self.visit(item) for item in node.elts)

    def visit_BoolOp(self, node: ast.BoolOp) -> Any:
        if isinstance(node.op, ast.And):
            result: Any = True
            for value in node.values:
                result = self.visit(value)
                if not result:
                    return result
            return result
        result = False
        for value in node.values:
            result = self.visit(value)
            if result:
                return result
        return result

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            return not operand
        if not _is_number(operand):
            raise ExpressionError(_("正负号只能用于数字。"))
        return -operand if isinstance(node.op, ast.USub) else +operand

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        kind = type(node.op)
        if kind is ast.Add and isinstance(left, str) and isinstance(right, str):
            return _check_size(left + right)
        if not (_is_number(left) and _is_number(right)):
            raise ExpressionError(_("算术运算只能用于数字。"))
        try:
            return _check_size(_ARITH[kind](left, right))
        except ZeroDivisionError:
            raise ExpressionError(_("除数为零。")) from None

    def visit_Compare(self, node: ast.Compare) -> bool:
        left = self.visit(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.visit(comparator)
            try:
                if isinstance(op, ast.In | ast.NotIn):
                    if not isinstance(right, str | list | tuple | dict):
                        raise ExpressionError(_("in 的右侧应为列表或文本。"))
                    ok = left in right
                    ok = ok if isinstance(op, ast.In) else not ok
                elif isinstance(op, ast.Is | ast.IsNot):
                    if left is not None and right is not None:
                        raise ExpressionError(_("is 只能与 None 比较。"))
                    ok = (left is right) if isinstance(op, ast.Is) else (left is not right)
                else:
                    ok = _COMPARE[type(op)](left, right)
            except TypeError:
                raise ExpressionError(
                    _("无法比较 %(a)s 与 %(b)s。") % {"a": _type_name(left), "b": _type_name(right)}
                ) from None
            if not ok:
                return False
            left = right
        return True

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        container = self.visit(node.value)
        key = self.visit(node.slice)
        if not isinstance(container, dict | list | tuple | str):
            raise ExpressionError(_("只能对字典、列表或文本取下标。"))
        try:
            return container[key]
        except (KeyError, IndexError, TypeError):
            raise ExpressionError(_("下标「%(k)s」不存在。") % {"k": str(key)[:50]}) from None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _type_name(value: Any) -> str:
    if value is None:
        return _("空值")
    if isinstance(value, bool):
        return _("布尔值")
    if _is_number(value):
        return _("数字")
    if isinstance(value, str):
        return _("文本")
    return _("其他类型")
