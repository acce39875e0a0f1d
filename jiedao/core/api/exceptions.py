"""API errors as JSON with a stable `code` and a Chinese `detail`; field errors under `errors`."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from jiedao.core.exceptions import (
    Conflict,
    OutOfScope,
    PermissionDenied,
    RateLimited,
    ServiceError,
    ValidationFailed,
)


def exception_handler(exc, context):
    if isinstance(exc, ValidationFailed):
        return Response(
            {
                "code": exc.code,
                "detail": str(exc.message),
                "errors": {k: [str(m) for m in v] for k, v in exc.errors.items()},
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, OutOfScope | Http404):
        return Response(
            {"code": "not_found", "detail": _("未找到该记录，或该记录不在您的管辖范围内。")}, status=404
        )
    if isinstance(exc, PermissionDenied | DjangoPermissionDenied):
        message = str(getattr(exc, "message", "")) or _("您没有执行此操作的权限。")
        return Response({"code": "permission_denied", "detail": message}, status=403)
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return Response({"code": exc.code, "detail": str(exc.message)}, status=429, headers=headers)
    if isinstance(exc, ServiceError):
        http_status = 409 if isinstance(exc, Conflict) or exc.code == "conflict" else 400
        body = {"code": exc.code, "detail": str(exc.message)}
        if exc.field:
            body["errors"] = {exc.field: [str(exc.message)]}
        return Response(body, status=http_status)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        raw = exc.detail if isinstance(exc.detail, dict) else {"__all__": exc.detail}
        errors = {str(name): flat_messages(problems) for name, problems in raw.items()}
        first = next((messages[0] for messages in errors.values() if messages), "")
        response.data = {"code": "invalid", "detail": first, "errors": errors}
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        detail = str(getattr(exc, "detail", exc))
        if isinstance(exc, exceptions.ParseError):
            detail = _parse_error_detail(detail)
        if isinstance(exc, exceptions.PermissionDenied) and detail.startswith("CSRF Failed"):
            # DRF's session authentication says it in English ("CSRF Failed: CSRF cookie not set.").
            code, detail = (
                "csrf_failed",
                _("安全校验（CSRF）未通过：请刷新页面后重试；程序调用接口请使用令牌认证。"),
            )
        response.data = {"code": code if isinstance(code, str) else "error", "detail": detail}
    return response


def flat_messages(detail) -> list[str]:
    """A field's errors as the documented flat list of Chinese messages. DRF nests them for a list (`{0: [...]}`
    or `[{}, {...}]`) and for a nested object (`{"relation": [...]}`): each message says which item or part."""
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        detail = dict(enumerate(detail))  # the older list format of ListSerializer errors
    if isinstance(detail, dict):
        messages = []
        for key, value in detail.items():
            if key == api_settings.NON_FIELD_ERRORS_KEY:  # about the value as a whole: no field to name
                messages.extend(flat_messages(value))
                continue
            prefix = _("第%(n)d项") % {"n": key + 1} if isinstance(key, int) else key
            messages.extend(f"{prefix}：{m}" for m in flat_messages(value))
        return messages
    if isinstance(detail, list):
        return [str(item) for item in detail]
    return [str(detail)] if detail else []


_JSON_POSITION = re.compile(r"line (\d+) column (\d+)")


def _parse_error_detail(detail: str) -> str:
    """DRF's parsers put the parser's own English message in the error (“JSON parse error - Expecting property
    name enclosed in double quotes: line 1 column 2 (char 1)”): say it in Chinese, keeping where it is."""
    if detail.startswith("JSON parse error"):
        position = _JSON_POSITION.search(detail)
        if position:
            return _("请求体不是有效的 JSON：第 %(line)s 行第 %(column)s 列附近有语法错误。") % {
                "line": position[1],
                "column": position[2],
            }
        return _("请求体不是有效的 JSON（须为 UTF-8 编码的 JSON 文本）。")
    if detail.isascii():  # another parser's untranslated message
        return _("无法解析请求体，请检查其格式是否与 Content-Type 一致。")
    return detail
