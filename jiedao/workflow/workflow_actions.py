"""The generic actions the workflow app ships; other apps register theirs in their own
`workflow_actions.py` (see `jiedao.workflow.actions`)."""

from __future__ import annotations

import uuid

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.workflow.actions import ActionError, workflow_action


@workflow_action(
    "workflow.set_variable",
    label=_("设置流程变量"),
    provides=(),  # and the variable its `name` gives
    params={
        "name": {"type": "identifier", "label": _("变量名")},
        "value": {"type": "value", "label": _("值（可写 ${表达式}）")},
    },
)
def set_variable(ctx, *, name, value):
    ctx.data[name] = value


@workflow_action(
    "workflow.notify_copy",
    label=_("抄送"),
    provides=(),
    params={
        "users": {"type": "users", "label": _("抄送对象（用户、角色，逗号分隔）")},
        "note": {"type": "str", "required": False, "label": _("说明"), "default": ""},
    },
)
def notify_copy(ctx, *, users, note=""):
    from jiedao.workflow.assignment import AssignmentError, resolve_users
    from jiedao.workflow.models import CarbonCopy
    from jiedao.workflow.signals import copies_created

    try:
        recipients = resolve_users(users, ctx.assignment_context())
    except AssignmentError as error:
        raise ActionError(str(error)) from None
    now = timezone.now()
    already = set(
        CarbonCopy.objects.filter(instance=ctx.instance, element_id=ctx.element_id).values_list(
            "recipient_id", flat=True
        )
    )
    created = CarbonCopy.objects.bulk_create(
        [
            CarbonCopy(
                instance=ctx.instance,
                recipient=user,
                sender=ctx.actor if getattr(ctx.actor, "pk", None) else None,
                element_id=ctx.element_id,
                note=str(note)[:500],
                created_at=now,
            )
            for user in recipients
            if user.pk not in already
        ]
    )
    ids = [copy.pk for copy in created if copy.pk]
    if ids:
        ctx.on_commit(lambda: copies_created.send(sender=CarbonCopy, copy_ids=ids))


@workflow_action(
    "workflow.generate_document",
    label=_("生成审批单（PDF）"),
    provides=("document_id",),
    params={
        "title": {"type": "str", "label": _("标题")},
        "history": {"type": "bool", "required": False, "default": True, "label": _("附办理记录")},
    },
)
def generate_document(ctx, *, title, history=True):
    """An approval sheet of the process as it stands: its data as the forms label it and, by default, who
    handled each step with which opinion (this step's too). Kept with the instance."""
    from django.core.files.base import ContentFile

    from jiedao.workflow import documents, selectors
    from jiedao.workflow.models import InstanceDocument

    instance = ctx.instance
    entries = []
    if history:
        stored = list(instance.history.select_related("actor").order_by("at", "id"))
        for row in stored + list(ctx.step.pending_history):
            if row.action in ("claim", "unclaim"):
                continue
            entries.append(
                {
                    "step": row.step_name or "—",
                    "actor": row.actor.full_name if row.actor_id else _("系统"),
                    "action": row.get_outcome_display() or row.get_action_display(),
                    "opinion": row.opinion,
                    "at": row.at,
                }
            )
    title = str(title).strip()[:100] or instance.definition.name
    content = documents.approval_sheet(
        instance=instance,
        title=title,
        rows=selectors.data_rows(instance.definition, ctx.data),
        history=entries,
    )
    document = InstanceDocument(instance=instance, element_id=ctx.element_id, title=title)
    # Stored under a random name: the title may come from what someone typed (slashes, personal data).
    document.file.save(f"{uuid.uuid4().hex}.pdf", ContentFile(content), save=False)
    document.save()
    ctx.data["document_id"] = document.pk
