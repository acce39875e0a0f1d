"""Where the current request's id, IP and user agent are kept for the audit log.

This carries request metadata only. The actor is always passed to services explicitly.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestInfo:
    request_id: str = ""
    ip: str | None = None
    user_agent: str = ""


_current: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar("jiedao_request", default=None)


def current() -> RequestInfo:
    return _current.get() or RequestInfo()


def bind(info: RequestInfo) -> contextvars.Token:
    return _current.set(info)


def reset(token: contextvars.Token) -> None:
    _current.reset(token)
