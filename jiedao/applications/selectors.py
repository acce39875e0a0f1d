"""Reads shared by the staff pages, the home panels and the API."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, CharField, Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from jiedao.applications.choices import ApplicationStatus, RatingLevel
from jiedao.applications.models import Application, ExtensionStatus
from jiedao.catalog.models import ServiceItem
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


def with_clock_in(queryset, status: str):
    """Applications whose clock is in `status`: read from the clocks of that status (index
    `timelimits_status_due`, a few thousand open ones), not by looking up every application's clock — the
    `clock_status` annotation as a filter did that for each of a district's 300,000 applications."""
    clocks = _clocks().filter(status=status).annotate(oid=Cast("object_id", BigIntegerField()))
    return queryset.filter(pk__in=clocks.values("oid"))


def overdue(queryset):
    return with_clock_in(queryset, ClockStatus.RED)


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
            queryset = with_clock_in(queryset, clock)
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
        # The items named are read first (a catalogue of tens): each branch is then a condition on the
        # application's own indexed columns, which the database combines, instead of a join with the item
        # for each of the applications in scope.
        items = list(ServiceItem.objects.filter(name__icontains=q).values_list("pk", flat=True))
        queryset = queryset.filter(
            Q(tracking_code=q.upper())
            | Q(applicant_name=q)
            | Q(item__in=items)
            | Q(enterprise_name__icontains=q)
        )
    return queryset, errors


RATING_TABLES = {
    "by_item": ("item__name",),
    "by_window": ("window", "window__number", "window__name", "window__org__name"),
    "by_staff": ("rating__staff", "rating__staff__full_name", "rating__staff__username"),
    "by_org": ("org__name",),
}


def rating_tables(applications: QuerySet) -> dict[str, list[dict]]:
    """好差评统计 of `applications` (already scoped) per item, window, staff member rated and implementing
    body: rows of the grouping fields with `total`, `good` (满意 and above), `bad` (不满意 and below) and
    `score` (the mean level), most rated first.

    One pass over the rated applications, grouped by all four at once (a few hundred groups), then summed
    per table here: each table read by itself walked the district's ratings and their applications again."""
    fields = tuple(dict.fromkeys(field for names in RATING_TABLES.values() for field in names))
    groups = (
        applications.filter(rating__isnull=False)
        .values(*fields)
        .annotate(
            total=Count("pk"),
            good=Count("pk", filter=Q(rating__level__gte=RatingLevel.SATISFIED)),
            bad=Count("pk", filter=Q(rating__level__lte=RatingLevel.UNSATISFIED)),
            level_sum=Sum("rating__level"),
        )
        .order_by()
    )
    tables: dict[str, dict[tuple, dict]] = {name: {} for name in RATING_TABLES}
    for group in groups:
        for name, names in RATING_TABLES.items():
            key = tuple(group[field] for field in names)
            row = tables[name].setdefault(
                key, {**dict(zip(names, key, strict=True)), "total": 0, "good": 0, "bad": 0, "level_sum": 0}
            )
            for measure in ("total", "good", "bad", "level_sum"):
                row[measure] += group[measure]
    result = {}
    for name, rows in tables.items():
        for row in rows.values():
            row["score"] = row.pop("level_sum") / row["total"]
        result[name] = sorted(rows.values(), key=lambda row: -row["total"])
    return result
