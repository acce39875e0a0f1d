"""Service-hall actions for the processes that handle applications (see `jiedao.applications.processing`).

The application is the instance's business object. Every action runs inside the engine's step, so what it
writes commits or rolls back with the step.

* ``applications.publish_notice`` — start the public notice (公示) of the proposed result, masked names
  only; objections filed during the period become `ObjectionTask`s for the staff member who published it.
* ``applications.check_objections`` — after the period: ``objection_count`` and ``objection_text`` into the
  data (the process routes on them; dates in local time).
* ``applications.resolve_objections`` — after the objection review (异议核实): every open objection to the
  notice is resolved with ``answer`` (the review's opinion), leaves 异议处理 and the workbench count, and its
  objector is texted the answer.
* ``applications.conclude`` — conclude the application with the outcome the process decided (``approved``
  / ``denied``, or ``${expression}``). This is how a process ends an application: it stops the clock,
  queues the SMS and produces the outcome document (办结通知书), exactly like a staff conclusion.

While the application is suspended or awaits correction its process is suspended too
(`jiedao.applications.processing`), so none of these runs then.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.workflow.actions import ActionError, workflow_action


def _application(ctx):
    from jiedao.applications.models import Application

    instance = ctx.instance
    application = None
    if instance.content_type_id and instance.object_id and instance.content_type.model_class() is Application:
        application = Application.objects.filter(pk=instance.object_id).first()
    if application is None:
        raise ActionError(_("该流程没有关联办件。"))
    return application


@workflow_action(
    "applications.publish_notice",
    label=_("办件公示（拟办理结果）"),
    params={"days": {"type": "int", "required": False, "label": _("公示天数（默认取系统参数）")}},
)
def publish_notice(ctx, *, days=None):
    from jiedao.applications import services

    application = _application(ctx)
    notice = services.notice_publish_proposed(application, actor=ctx.actor, at=ctx.step.moment, days=days)
    ctx.data["notice_id"] = notice.pk
    ctx.data["notice_ends_at"] = notice.ends_at.isoformat()


@workflow_action("applications.check_objections", label=_("汇总公示期异议"), params={})
def check_objections(ctx):
    from jiedao.applications.models import Objection, PublicNotice

    application = _application(ctx)
    # Under the notice's lock (objection_file takes it too) and closing it: an objection filed at this very
    # moment is either counted here or refused as after the period, never saved unweighed.
    PublicNotice.objects.filter(application=application).update(objections_closed_at=ctx.step.moment)
    objections = list(Objection.objects.filter(notice__application=application).order_by("id"))
    ctx.data["objection_count"] = len(objections)
    ctx.data["objection_text"] = "\n".join(
        f"{i}. {o.content}（{timezone.localtime(o.created_at):%Y-%m-%d}）"
        for i, o in enumerate(objections, start=1)
    )


@workflow_action(
    "applications.resolve_objections",
    label=_("答复公示期异议"),
    params={"answer": {"type": "str", "label": _("处理结果（可写 ${表达式}，如核实情况）")}},
)
def resolve_objections(ctx, *, answer):
    from jiedao.applications import services

    application = _application(ctx)
    ctx.data["objections_resolved"] = services.objections_resolve_by_process(
        application, actor=ctx.actor, answer=str(answer or ""), at=ctx.step.moment
    )


@workflow_action(
    "applications.conclude",
    label=_("办结办件"),
    params={
        "outcome": {"type": "str", "label": _("办理结果：approved 准予 / denied 不予准予（可写 ${表达式}）")},
        "text": {"type": "str", "required": False, "default": "", "label": _("结果说明")},
    },
)
def conclude(ctx, *, outcome, text=""):
    from jiedao.applications import services
    from jiedao.applications.choices import Outcome

    if outcome not in Outcome.values:
        raise ActionError(_("办理结果应为 approved 或 denied，而不是「%(o)s」。") % {"o": outcome})
    application = _application(ctx)
    services.application_conclude_by_process(
        application, actor=ctx.actor, outcome=outcome, text=text, at=ctx.step.moment
    )
    ctx.data["application_outcome"] = outcome
