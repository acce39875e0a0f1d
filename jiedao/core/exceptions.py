"""Errors raised by services. Views and the API turn them into Chinese messages with stable codes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class ServiceError(Exception):
    """A business rule refused the request; nothing was changed."""

    code = "invalid"
    default_message = _("请求无法处理。")

    def __init__(self, message=None, *, code: str | None = None, field: str | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.field = field
        super().__init__(str(self.message))


class ValidationFailed(ServiceError):
    code = "invalid"

    def __init__(self, errors: dict[str, list[str]] | str, *, code: str | None = None):
        if isinstance(errors, str):
            errors = {"__all__": [errors]}
        self.errors = errors
        first = next(iter(errors.values()))[0]
        super().__init__(first, code=code)


class RateLimited(ServiceError):
    """Too many attempts from one address or account: the API answers 429 Too Many Requests, with
    Retry-After when the service says how long to wait (seconds)."""

    code = "rate_limited"

    def __init__(self, message=None, *, retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermissionDenied(ServiceError):
    """The actor lacks the permission (but may see the object)."""

    code = "permission_denied"
    default_message = _("您没有执行此操作的权限。")


class OutOfScope(ServiceError):
    """The object lies outside the actor's data scope. Answered as 'not found' so nothing leaks."""

    code = "not_found"
    default_message = _("未找到该记录，或该记录不在您的管辖范围内。")


class Conflict(ServiceError):
    code = "conflict"
    default_message = _("记录已被他人修改，请刷新后重试。")
