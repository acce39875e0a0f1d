"""入户走访核查: a grid worker records a visit to a house (date, who, what was found)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.audit import services as audit
from jiedao.core.exceptions import Conflict, ValidationFailed
from jiedao.core.scope import require
from jiedao.registry import audit_events as events
from jiedao.registry.choices import VisitResult
from jiedao.registry.models import House, HouseVisit
from jiedao.registry.services.common import length_errors

VISIT_FIELDS = ["house", "visited_on", "visited_by", "companion", "result", "note"]


@dataclass
class VisitData:
    visited_on: date | None
    result: str
    companion: str = ""
    note: str = ""


# Paper visit records may be typed in when a community starts on the platform, so a visit may precede the
# house's entry in the registry; one more than five years back is taken for a mistyped year.
OLDEST_VISIT_DAYS = 5 * 365 + 1


def _visit_errors(data: VisitData) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if data.visited_on is None:
        errors["visited_on"] = [_("请填写核查日期。")]
    elif data.visited_on > today:
        errors["visited_on"] = [_("核查日期不能晚于今天（%(d)s）。") % {"d": f"{today:%Y-%m-%d}"}]
    elif data.visited_on < today - timedelta(days=OLDEST_VISIT_DAYS):
        errors["visited_on"] = [
            _("核查日期 %(d)s 早于 5 年前，请检查年份是否填错。") % {"d": f"{data.visited_on:%Y-%m-%d}"}
        ]
    if data.result not in VisitResult.values:
        errors["result"] = [_("请选择核查结果。")]
    elif data.result == VisitResult.CORRECTED and not data.note.strip():
        # a correction nobody can trace is worth little at the next check
        errors["note"] = [_("核查结果为“信息有变更（已更正）”时，请在备注中写明更正了哪些信息。")]
    errors.update(length_errors(HouseVisit, companion=data.companion, note=data.note))
    return errors


def house_visit_record(*, actor, house: House, data: VisitData) -> HouseVisit:
    """Record a visit to `house` by `actor`; the actor needs `registry.add_housevisit` over the house."""
    require(actor, "registry.add_housevisit", house)
    errors = _visit_errors(data)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        # The house's row lock orders two saves of the same visit (a double click, an API retry): the second
        # finds the first and is refused instead of recording the visit twice.
        House.objects.select_for_update().filter(pk=house.pk).first()
        if HouseVisit.objects.filter(
            house=house,
            visited_on=data.visited_on,
            visited_by=actor if getattr(actor, "pk", None) else None,
            result=data.result,
            companion=data.companion.strip(),
            note=data.note.strip(),
        ).exists():
            raise Conflict(_("这次核查已经登记过了，请勿重复提交。"))
        visit = HouseVisit.objects.create(
            house=house,
            visited_on=data.visited_on,
            visited_by=actor if getattr(actor, "pk", None) else None,
            companion=data.companion.strip(),
            result=data.result,
            note=data.note.strip(),
        )
        audit.record(
            events.HOUSE_VISITED, actor=actor, target=visit, after=audit.snapshot(visit, VISIT_FIELDS)
        )
    return visit
