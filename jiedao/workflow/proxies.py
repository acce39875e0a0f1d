"""流程代理 (工作委托): a user away on leave or a trip names a colleague who handles their steps meanwhile.

While a proxy setting runs (its dates, Beijing time), a step that reaches the principal reaches the proxy
too: the principal's own step (an assignee step, a countersign vote) becomes one either of them may claim,
and a step of a group gains the proxy as a candidate. The step remembers on whose behalf (`on_behalf_of`), so
the inbox and the records say "代 张主任". A proxy who could not see the instance's org is not added (the
step stays with the principal), and a proxy's own proxy is not followed. Setting one may also hand over the
principal's steps already waiting.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jiedao.accounts.models import User
from jiedao.audit import services as audit
from jiedao.core.exceptions import OutOfScope, ServiceError, ValidationFailed
from jiedao.core.i18n import Message, for_record
from jiedao.orgs.models import OrgUnit
from jiedao.workcalendar.services import CHINA_TZ
from jiedao.workflow import audit_events as events
from jiedao.workflow import engine
from jiedao.workflow.assignment import may_handle
from jiedao.workflow.choices import HistoryAction, TaskStatus
from jiedao.workflow.models import TaskHistory, TaskProxy, WorkTask
from jiedao.workflow.selectors import held_condition

MAX_DAYS = 90  # a longer absence is a change of post: the roles should move, not a proxy


def today() -> dt.date:
    return timezone.localtime(engine.now(), CHINA_TZ).date()


def proxy_candidates(principal: User) -> list[User]:
    """Whom the form offers: active colleagues of the principal's node, its parent and its children, who
    could see the principal's processes and do business (no separated admin duties)."""
    org = principal.org
    nodes = Q(org=org) | Q(org__parent=org)
    if org.parent_id:
        nodes |= Q(org_id=org.parent_id)
    users = User.objects.filter(nodes, is_active=True).exclude(pk=principal.pk).select_related("org")
    return [user for user in users.order_by("org__path", "username")[:300] if may_handle(user, org)]


def proxy_set(
    *,
    actor: User,
    proxy: User | None,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    reason: str,
    hand_over_open: bool = False,
) -> TaskProxy:
    """The actor names their own proxy for [starts_on, ends_on]; every problem is reported at once."""
    reason = (reason or "").strip()[:200]
    current_day = today()
    errors: dict[str, list[str]] = {}
    if proxy is None:
        errors["proxy"] = [_("请选择代理人。")]
    elif proxy.pk == actor.pk:
        errors["proxy"] = [_("不能委托给自己。")]
    elif not proxy.is_active or not may_handle(proxy, actor.org):
        errors["proxy"] = [
            _("%(name)s 不能办理您所在组织的流程，不能作为代理人。")
            % {"name": proxy.full_name or proxy.username}
        ]
    if not reason:
        errors["reason"] = [_("请填写委托事由（如：休假、出差）。")]
    if starts_on is None:
        errors["starts_on"] = [_("请填写开始日期。")]
    elif starts_on < current_day:
        errors["starts_on"] = [_("开始日期不能早于今天。")]
    if ends_on is None:
        errors["ends_on"] = [_("请填写结束日期。")]
    elif starts_on is not None and ends_on < starts_on:
        errors["ends_on"] = [_("结束日期不能早于开始日期。")]
    elif starts_on is not None and (ends_on - starts_on).days + 1 > MAX_DAYS:
        errors["ends_on"] = [_("代理期限最长 %(days)d 天。") % {"days": MAX_DAYS}]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=actor.pk).first()  # one setting at a time per principal
        overlapping = (
            TaskProxy.objects.filter(
                principal=actor, cancelled_at__isnull=True, starts_on__lte=ends_on, ends_on__gte=starts_on
            )
            .order_by("starts_on")
            .first()
        )
        if overlapping is not None:
            raise ValidationFailed(
                {
                    "starts_on": [
                        _("与已有的代理设置（%(start)s 至 %(end)s）时间重叠，请先取消原设置。")
                        % {"start": overlapping.starts_on, "end": overlapping.ends_on}
                    ]
                }
            )
        setting = TaskProxy.objects.create(
            principal=actor,
            proxy=proxy,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason,
            created_at=engine.now(),
        )
        handed = _hand_over_open(setting) if hand_over_open and starts_on <= current_day else 0
        audit.record(
            events.PROXY_SET,
            actor=actor,
            target=setting,
            after={
                "proxy": proxy.username,
                "starts_on": str(starts_on),
                "ends_on": str(ends_on),
                "handed_over": handed,
            },
        )
    return setting


def proxy_cancel(*, actor: User, setting: TaskProxy) -> TaskProxy:
    """The principal ends their setting; steps already shared with the proxy stay shared."""
    if setting.principal_id != actor.pk:
        raise OutOfScope()
    with transaction.atomic():
        locked = TaskProxy.objects.select_for_update().get(pk=setting.pk)
        if locked.cancelled_at is not None:
            raise ServiceError(_("该代理设置已取消。"), code="cancelled")
        if locked.ends_on < today():
            raise ServiceError(_("该代理设置已到期，无需取消。"), code="ended")
        locked.cancelled_at = engine.now()
        locked.save(update_fields=["cancelled_at"])
        audit.record(events.PROXY_CANCELLED, actor=actor, target=locked)
    return locked


def _running(principal_ids, day: dt.date) -> dict[int, TaskProxy]:
    settings = TaskProxy.objects.filter(
        principal_id__in=principal_ids, cancelled_at__isnull=True, starts_on__lte=day, ends_on__gte=day
    ).select_related("proxy", "principal")
    return {setting.principal_id: setting for setting in settings}


def with_proxies(specs: list[tuple], *, org: OrgUnit, moment: dt.datetime) -> list[tuple]:
    """(handler, users) of new step rows → (handler, users, on_behalf_of) with the running proxies added (one
    query). A row with a handler away becomes the handler's and their proxy's, either to claim; a group row
    gains the proxies of its members away."""
    named = {user.pk for _handler, users in specs for user in users}
    running = _running(named, timezone.localtime(moment, CHINA_TZ).date()) if named else {}
    result = []
    for handler, users in specs:
        away = [user for user in ([handler] if handler is not None else users) if user.pk in running]
        present = {user.pk for user in users}
        deputies: list[User] = []
        for user in away:
            deputy = running[user.pk].proxy
            if (
                deputy.is_active
                and deputy.pk not in present
                and deputy not in deputies
                and may_handle(deputy, org)
            ):
                deputies.append(deputy)
        if not deputies:
            result.append((handler, users, None))
        elif handler is not None:
            result.append((None, [handler, *deputies], handler))
        else:
            result.append((None, [*users, *deputies], away[0]))
    return result


def _hand_over_open(setting: TaskProxy) -> int:
    """The principal's steps waiting now (theirs, or theirs among others unclaimed) gain the proxy."""
    principal, proxy = setting.principal, setting.proxy
    tasks = list(
        WorkTask.objects.select_for_update(of=("self",))
        .select_related("instance__org")
        .filter(held_condition(principal))
    )
    tasks = [task for task in tasks if may_handle(proxy, task.instance.org)]
    already = set(
        WorkTask.candidates.through.objects.filter(
            user_id=proxy.pk, worktask_id__in=[task.pk for task in tasks]
        ).values_list("worktask_id", flat=True)
    )
    moment = engine.now()
    opinion, opinion_message = for_record(
        Message(
            gettext_noop("流程代理：%(principal)s 委托 %(proxy)s 代为办理（%(start)s 至 %(end)s）。"),
            principal=principal.full_name or principal.username,
            proxy=proxy.full_name or proxy.username,
            start=setting.starts_on,
            end=setting.ends_on,
        )
    )
    handed = [task for task in tasks if task.pk not in already]
    for task in handed:
        task.assignee, task.status, task.on_behalf_of = None, TaskStatus.READY, principal
        task.version += 1
    WorkTask.objects.bulk_update(handed, ["assignee", "status", "on_behalf_of", "version"])
    # The principal is a candidate already unless the step was assigned to them alone.
    through = WorkTask.candidates.through
    through.objects.bulk_create(
        [through(worktask_id=task.pk, user_id=user.pk) for task in handed for user in (principal, proxy)],
        ignore_conflicts=True,
    )
    TaskHistory.objects.bulk_create(
        [
            TaskHistory(
                instance=task.instance,
                task=task,
                actor=principal,
                action=HistoryAction.AUTO,
                element_id=task.element_id,
                step_name=task.name,
                opinion=opinion,
                opinion_message=opinion_message,
                at=moment,
            )
            for task in handed
        ]
    )
    return len(handed)
