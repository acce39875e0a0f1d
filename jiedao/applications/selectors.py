"""Reads shared by the staff pages, the home panels and the API."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, CharField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from jiedao.applications.choices import ApplicationStatus
from jiedao.applications.models import Application, ExtensionStatus
from jiedao.orgs.selectors import node_in_scope
from jiedao.timelimits.choices import ClockStatus
from jiedao.timelimits.models import Clock


def _clocks():
    return Clock.objects.filter(content_type=ContentType.objects.get_for_model(Application))


def with_clock_status(queryset):
    """Annotate `clock_status` (green / yellow / red / paused / stopped, or None before acceptance) and
    `due_provisional` (the open clock's due date reaches a year whose holiday notice is not entered yet)."""
    clock = _clocks().filter(object_id=Cast(OuterRef("pk"), CharField()))
    return queryset.annotate(
        clock_status=Subquery(clock.values("status")[:1]),
        due_provisional=Subquery(clock.exclude(status=ClockStatus.STOPPED).values("due_provisional")[:1]),
    )


def overdue(queryset):
    red = _clocks().filter(status=ClockStatus.RED).annotate(oid=Cast("object_id", BigIntegerField()))
    return queryset.filter(pk__in=red.values("oid"))


def missing_required_materials(application: Application) -> list[str]:
    """Names of the item's required (必须) materials with no file of that material in the application; reads
    `item.materials` and `materials` (prefetch both for a list)."""
    handed_in = {material.material_id for material in application.materials.all()}
    return [
        material.name
        for material in application.item.materials.all()
        if material.required and material.pk not in handed_in
    ]


CLOCK_FILTERS = (ClockStatus.GREEN, ClockStatus.YELLOW, ClockStatus.RED, ClockStatus.PAUSED)


def filter_applications(queryset, params, *, user) -> tuple[QuerySet, dict[str, list[str]]]:
    """The staff list's filters, shared by the page and the API: status, time-limit colour (`clock`),
    pending extension, org node (with everything below it, within the user's scope), item, and a search
    (`q`: tracking code, applicant name, item or enterprise name). Returns the filtered queryset and the
    errors of values that are not valid (the API refuses them; the page ignores them)."""
    errors: dict[str, list[str]] = {}

    def invalid(name: str, values) -> None:
        errors[name] = [
            _("%(name)s 的取值无效，可选：%(values)s。") % {"name": name, "values": "、".join(values)}
        ]

    status = (params.get("status") or "").strip()
    if status:
        if status in ApplicationStatus.values:
            queryset = queryset.filter(status=status)
        else:
            invalid("status", ApplicationStatus.values)
    clock = (params.get("clock") or "").strip()
    if clock:
        if clock in CLOCK_FILTERS:
            queryset = queryset.filter(clock_status=clock)
        else:
            invalid("clock", CLOCK_FILTERS)
    extension = (params.get("extension") or "").strip()
    if extension:
        if extension == "pending":
            queryset = queryset.filter(extension_requests__status=ExtensionStatus.PENDING)
        else:
            invalid("extension", ("pending",))
    for name in ("org", "item"):
        raw = (params.get(name) or "").strip()
        if not raw:
            continue
        if not raw.isdigit() or not 0 < int(raw) < 2**31:
            errors[name] = [_("请填写正整数。")]
        elif name == "item":
            queryset = queryset.filter(item=int(raw))
        else:
            node, error = node_in_scope(user, "applications.view_application", int(raw))
            if error:
                errors[name] = [error]
            else:
                queryset = queryset.filter(org__path__startswith=node.path)
    q = (params.get("q") or params.get("search") or "").strip()[:100]
    if q:
        queryset = queryset.filter(
            Q(tracking_code=q.upper())
            | Q(applicant_name=q)
            | Q(item__name__icontains=q)
            | Q(enterprise_name__icontains=q)
        )
    return queryset, errors
