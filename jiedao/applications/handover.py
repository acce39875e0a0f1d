"""工作交接 of the service hall: the open 首问 inquiries a person owns or must acknowledge, their 代办
assignments, the 差评整改 they are responsible for and the 异议 they must answer go to their successor.

The successor must be able to act on each record by their own roles (the permission that acts on it, over the
record's org, or their own records); a record they could not act on stays where it was and is named in the
answer. Each kind writes one audit event per hand-over listing the records; an inquiry also gets a 首问转交 row
(from the leaver to the successor, acknowledged at once: the administrator ordered it), so its page shows who
holds it and why.
"""

from __future__ import annotations

from django.db.models import Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiedao.applications import audit_events as events
from jiedao.applications.choices import InquiryStatus, RectificationStatus
from jiedao.applications.models import (
    AgencyAssignment,
    Inquiry,
    InquiryHandOver,
    ObjectionTask,
    Rectification,
)
from jiedao.audit import services as audit
from jiedao.core.handover import HandoverKind, LeftBehind, Moved, register
from jiedao.core.i18n import records_language
from jiedao.core.scope import scope_for

OPEN_INQUIRY = (InquiryStatus.OPEN, InquiryStatus.HANDED_OVER)


def _may_act(user, permission: str, record: Model) -> bool:
    """The successor may take the record: their scope covers its org, or — a role limited to one's own
    records — it belongs to their own node. Not any org's: the record becomes theirs, and with it the
    visitor's name and question would become visible outside the node."""
    grant = scope_for(user, permission)
    if grant.covers_org(record.org_id):
        return True
    return grant.own_records and not grant.nothing and record.org_id == user.org_id


def _record(event, *, actor, from_user, to_user, reason: str, moved: list[int], left: list[int]) -> None:
    audit.record(
        event,
        actor=actor,
        target=from_user,
        message=reason[:500],
        after={"to_user": to_user.username, "records": moved, "records_left": left},
    )


# --- 首问负责制 ----------------------------------------------------------------------------------------------


def _owned_inquiries(user):
    return Inquiry.objects.filter(owner=user, status__in=OPEN_INQUIRY)


def _inquiries_to_acknowledge(user):
    return InquiryHandOver.objects.filter(
        to_user=user, acknowledged_at__isnull=True, inquiry__status=InquiryStatus.HANDED_OVER
    )


def count_inquiries(user) -> int:
    return _owned_inquiries(user).count() + _inquiries_to_acknowledge(user).count()


def move_inquiries(*, actor, from_user, to_user, reason: str) -> Moved:
    """The successor owns the leaver's open inquiries, and must acknowledge the hand-offs that waited for the
    leaver."""
    owned = list(_owned_inquiries(from_user).select_for_update().order_by("pk"))
    receiving = list(
        _inquiries_to_acknowledge(from_user)
        .select_for_update(of=("self",))
        .select_related("inquiry")
        .order_by("pk")
    )
    if not owned and not receiving:
        return Moved()
    permission = "applications.change_inquiry"
    why = _("接替人没有处理该首问登记的权限（不在其管辖范围内）。")
    left: list[LeftBehind] = []
    taken = []
    for inquiry in owned:
        if _may_act(to_user, permission, inquiry):
            taken.append(inquiry)
        else:
            left.append(LeftBehind.of("applications.inquiries", inquiry, why))
    passed = []
    for handover in receiving:
        if _may_act(to_user, permission, handover.inquiry):
            passed.append(handover)
        else:
            left.append(LeftBehind.of("applications.inquiries", handover.inquiry, why))
    now = timezone.now()
    if taken:
        Inquiry.objects.filter(pk__in=[inquiry.pk for inquiry in taken]).update(owner=to_user, updated_at=now)
        with records_language():
            note = _("工作交接：%(reason)s") % {"reason": reason}
        InquiryHandOver.objects.bulk_create(
            [
                InquiryHandOver(
                    inquiry=inquiry, from_user=from_user, to_user=to_user, note=note, acknowledged_at=now
                )
                for inquiry in taken
            ]
        )
    if passed:
        InquiryHandOver.objects.filter(pk__in=[handover.pk for handover in passed]).update(to_user=to_user)
    moved_ids = sorted({inquiry.pk for inquiry in taken} | {handover.inquiry_id for handover in passed})
    left_ids = {inquiry.pk for inquiry in owned} | {handover.inquiry_id for handover in receiving}
    _record(
        events.INQUIRIES_HANDED_OVER,
        actor=actor,
        from_user=from_user,
        to_user=to_user,
        reason=reason,
        moved=moved_ids,
        left=sorted(left_ids - set(moved_ids)),
    )
    return Moved(len(taken) + len(passed), left)


# --- records with one responsible person ---------------------------------------------------------------------


def _register_mover(
    model, *, code: str, label, order: int, field: str, still_open: Q, permission: str, why: str, event
) -> None:
    """A kind of work: the open records of `model` whose `field` names a person, counted and moved."""

    def held(user):
        return model.objects.filter(still_open, **{field: user})

    def count(user) -> int:
        return held(user).count()

    def move(*, actor, from_user, to_user, reason: str) -> Moved:
        records = list(held(from_user).select_for_update().order_by("pk"))
        if not records:
            return Moved()
        taken_ids = [record.pk for record in records if _may_act(to_user, permission, record)]
        taken = set(taken_ids)
        kept = [record for record in records if record.pk not in taken]
        left = [LeftBehind.of(code, record, why) for record in kept]
        if taken_ids:
            model.objects.filter(pk__in=taken_ids).update(**{field: to_user, "updated_at": timezone.now()})
        _record(
            event,
            actor=actor,
            from_user=from_user,
            to_user=to_user,
            reason=reason,
            moved=taken_ids,
            left=[record.pk for record in kept],
        )
        return Moved(len(taken_ids), left)

    register(HandoverKind(code=code, label=label, count=count, move=move, order=order))


register(
    HandoverKind(
        code="applications.inquiries",
        label=gettext_lazy("首问登记"),
        count=count_inquiries,
        move=move_inquiries,
        order=20,
    )
)
_register_mover(
    AgencyAssignment,
    code="applications.agency",
    label=gettext_lazy("企业代办"),
    order=30,
    field="agent",
    still_open=Q(is_active=True),
    permission="applications.view_application",
    why=gettext_lazy("接替人不能查看该代办服务所属组织的办件。"),
    event=events.AGENCY_HANDED_OVER,
)
_register_mover(
    Rectification,
    code="applications.rectifications",
    label=gettext_lazy("差评整改"),
    order=40,
    field="responsible",
    still_open=Q(status=RectificationStatus.OPEN),
    permission="applications.change_rectification",
    why=gettext_lazy("接替人没有办理该差评整改的权限（不在其管辖范围内）。"),
    event=events.RECTIFICATION_HANDED_OVER,
)
_register_mover(
    ObjectionTask,
    code="applications.objections",
    label=gettext_lazy("公示异议处理"),
    order=50,
    field="assignee",
    still_open=Q(resolved_at__isnull=True),
    permission="applications.change_objectiontask",
    why=gettext_lazy("接替人没有处理该公示异议的权限（不在其管辖范围内）。"),
    event=events.OBJECTION_HANDED_OVER,
)
