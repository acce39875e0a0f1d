"""``sms.send`` — a service task that texts someone: the message is stored in the outbox inside the step
(so a rolled-back step sends nothing) and delivered after commit, like every other SMS of the platform.

``phone`` is a mobile number or an expression on the process data (``${applicant_phone}``); ``text`` may
name process data in braces (``您的请假申请（{days}天）已批准。``); a missing name is left out.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from jiedao.core.exceptions import ValidationFailed
from jiedao.workflow.actions import ActionError, workflow_action

# Only plain names: str.format would also let a process author reach attributes ({x.__class__}).
_PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]{0,63})\}")


def fill(text: str, data: dict) -> str:
    return _PLACEHOLDER.sub(lambda match: str(data.get(match.group(1), "")), text)


@workflow_action(
    "sms.send",
    label=_("发送短信"),
    params={
        "phone": {"type": "value", "label": _("手机号码（可写 ${变量}）")},
        "text": {"type": "str", "label": _("短信内容（可用 {变量名} 引用流程数据）")},
        "purpose": {"type": "str", "required": False, "label": _("用途"), "default": ""},
    },
)
def send(ctx, *, phone, text, purpose=""):
    from jiedao.sms.services import sms_queue

    try:
        sms_queue(
            actor=ctx.actor,
            phone=str(phone or ""),
            body=fill(text, ctx.data),
            org=ctx.instance.org,
            purpose=purpose or _("流程「%(n)s」通知") % {"n": ctx.instance.definition.name},
        )
    except ValidationFailed as error:
        problems = [str(problem) for problems in error.errors.values() for problem in problems]
        raise ActionError("；".join(problems)) from None
