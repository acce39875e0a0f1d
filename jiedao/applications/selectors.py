"""Reads shared by the staff pages, the home panels and the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.applications.choices import (
    OPEN_STATUSES,
    ApplicationStatus,
    RatingChannel,
    RatingLevel,
    RectificationStatus,
)
from jiedao.applications.models import (
    Application,
    DeferredMaterial,
    ExtensionStatus,
    Rectification,
    Resident,
)
from jiedao.applications.statistics import ONLINE, window_key
from jiedao.catalog.choices import Audience, ItemKind
from jiedao.catalog.models import ServiceItem
from jiedao.orgs.models import OrgUnit
from jiedao.orgs.selectors import node_in_scope
from jiedao.registry.choices import PersonStatus
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


def is_instant(application: Application) -> bool:
    """即办件: concluded on the spot, so a page shows 即办（当场办结） where others show the due date."""
    return application.item.kind == ItemKind.INSTANT


def missing_required(application: Application) -> list:
    """The item's required (必须) catalog materials with no file of that material in the application; reads
    `item.materials` and `materials` (prefetch both for a list)."""
    handed_in = {material.material_id for material in application.materials.all()}
    return [
        material
        for material in application.item.materials.all()
        if material.required and material.pk not in handed_in
    ]


def missing_required_materials(application: Application) -> list[str]:
    """Names of `missing_required`."""
    return [material.name for material in missing_required(application)]


# 容缺 materials matter while the application is being handled: after the decision nobody waits for them.
DEFERRAL_STATUSES = (ApplicationStatus.ACCEPTED, ApplicationStatus.SUSPENDED)
DEFERRAL_FILTERS = ("outstanding", "overdue")


def deferral_outstanding(queryset):
    """Applications being handled with 容缺 materials not supplied yet."""
    return queryset.filter(
        status__in=DEFERRAL_STATUSES,
        pk__in=DeferredMaterial.objects.filter(supplied_at__isnull=True).values("application"),
    )


def deferral_overdue(queryset, today: dt.date | None = None):
    """容缺逾期: outstanding 容缺 materials past the day they were to be supplied by."""
    return deferral_outstanding(queryset).filter(defer_until__lt=today or timezone.localdate())


def with_deferral_overdue(queryset, today: dt.date | None = None):
    """Annotate `deferral_overdue` (True: 容缺逾期) for a page of rows."""
    outstanding = DeferredMaterial.objects.filter(application=OuterRef("pk"), supplied_at__isnull=True)
    return queryset.annotate(
        deferral_overdue=Case(
            When(
                Q(status__in=DEFERRAL_STATUSES, defer_until__lt=today or timezone.localdate())
                & Exists(outstanding),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


CLOCK_FILTERS = (ClockStatus.GREEN, ClockStatus.YELLOW, ClockStatus.RED, ClockStatus.PAUSED)


def filter_applications(queryset, params, *, user) -> tuple[QuerySet, dict[str, list[str]]]:
    """The staff list's filters, shared by the page and the API: status, time-limit colour (`clock`),
    pending extension, 容缺 materials (`deferral`: outstanding 待补交, overdue 容缺逾期), org node (with everything below it, within the user's scope), item, and a search
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
    deferral = (params.get("deferral") or "").strip()
    if deferral:
        if deferral == "overdue":
            queryset = deferral_overdue(queryset)
        elif deferral == "outstanding":
            queryset = deferral_outstanding(queryset)
        else:
            invalid("deferral", DEFERRAL_FILTERS)
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
            # only an application of an enterprise can contain the words: saying so lets the index of those
            # rows (applications_enterprise_name) answer this branch, however short the words
            | (Q(enterprise_name__icontains=q) & ~Q(enterprise_name=""))
        )
    return queryset, errors


RATING_CHANNEL_LABELS = dict(RatingChannel.choices)

RATING_TABLES = {
    "by_item": ("item__name",),
    "by_window": ("window", "window__number", "window__name", "window__org__name"),
    "by_staff": ("rating__staff", "rating__staff__full_name", "rating__staff__username"),
    "by_org": ("org__name",),
    "by_channel": ("rating__channel",),
}


def _rating_names(groups: list[dict]) -> dict[str, dict]:
    """The names the tables show, for the few items, windows, staff and orgs the groups name."""
    from jiedao.accounts.models import User
    from jiedao.applications.models import ServiceWindow
    from jiedao.orgs.models import OrgUnit

    def ids(field: str) -> set:
        return {group[field] for group in groups if group[field] is not None}

    return {
        "item": dict(ServiceItem.objects.filter(pk__in=ids("item_id")).values_list("pk", "name")),
        "window": {
            row["pk"]: row
            for row in ServiceWindow.objects.filter(pk__in=ids("window_id")).values(
                "pk", "number", "name", "org__name"
            )
        },
        "staff": {
            row["pk"]: row
            for row in User.objects.filter(pk__in=ids("staff_id")).values("pk", "full_name", "username")
        },
        "org": dict(OrgUnit.objects.filter(pk__in=ids("org_id")).values_list("pk", "name")),
    }


def rating_tables(
    applications: QuerySet, between: tuple[dt.datetime, dt.datetime] | None = None
) -> dict[str, list[dict]]:
    """好差评统计 of `applications` (already scoped) per item, window, staff member rated and implementing
    body: rows of the fields in RATING_TABLES with `total`, `good` (满意 and above), `bad` (不满意 and below)
    and `score` (the mean level), most rated first; with `between` ([first, after)), only the ratings given
    in that time.

    按窗口 as 办件统计 counts: the ratings of applications that came in online are a row of their own (`window`
    is `statistics.ONLINE`), not the accepting clerk's window, so a window's figures here and its 满意度 there
    are of the same applications (`statistics.window_key`). The staff member rated still gets them.

    One pass over the rated applications grouped by the six keys at once (a few hundred groups, integers and
    the channel), then summed per table here with the names read for those keys: each table read by itself
    walked a district's ratings and their applications again, and grouping by the names sorted them on disk."""
    rated = applications.filter(rating__isnull=False)
    if between is not None:
        rated = rated.filter(rating__created_at__gte=between[0], rating__created_at__lt=between[1])
    groups = list(
        rated.values(
            "item_id",
            "window_id",
            "channel",
            "org_id",
            staff_id=F("rating__staff_id"),
            rating_channel=F("rating__channel"),
        )
        .annotate(
            total=Count("pk"),
            good=Count("pk", filter=Q(rating__level__gte=RatingLevel.SATISFIED)),
            bad=Count("pk", filter=Q(rating__level__lte=RatingLevel.UNSATISFIED)),
            level_sum=Sum("rating__level"),
        )
        .order_by()
    )
    names = _rating_names(groups)
    no_window = {"number": None, "name": None, "org__name": None}
    no_staff = {"full_name": None, "username": None}
    tables: dict[str, dict[tuple, dict]] = {name: {} for name in RATING_TABLES}
    for group in groups:
        window_row = window_key(group["window_id"], group["channel"])
        window = no_window if window_row == ONLINE else names["window"].get(window_row, no_window)
        staff = names["staff"].get(group["staff_id"], no_staff)
        values = {
            "item__name": names["item"].get(group["item_id"]),
            "window": window_row,
            "window__number": window["number"],
            "window__name": window["name"],
            "window__org__name": window["org__name"],
            "rating__staff": group["staff_id"],
            "rating__staff__full_name": staff["full_name"],
            "rating__staff__username": staff["username"],
            "org__name": names["org"].get(group["org_id"]),
            "rating__channel": group["rating_channel"],
        }
        for name, fields in RATING_TABLES.items():
            key = tuple(values[field] for field in fields)
            row = tables[name].setdefault(
                key, {**dict(zip(fields, key, strict=True)), "total": 0, "good": 0, "bad": 0, "level_sum": 0}
            )
            for measure in ("total", "good", "bad", "level_sum"):
                row[measure] += group[measure]
    result = {}
    for name, rows in tables.items():
        for row in rows.values():
            row["score"] = row.pop("level_sum") / row["total"]
            if "rating__channel" in row:
                row["channel_label"] = RATING_CHANNEL_LABELS.get(
                    row["rating__channel"], row["rating__channel"]
                )
        result[name] = sorted(rows.values(), key=lambda row: -row["total"])
    return result


def open_application(item: ServiceItem, enterprise_uscc: str, **applicant) -> Application | None:
    """The applicant's open application for `item` (and the same enterprise), if any: the same request is
    not filed twice (a double click, a form sent again)."""
    return (
        Application.objects.filter(
            item=item, enterprise_uscc=enterprise_uscc, status__in=OPEN_STATUSES, **applicant
        )
        .only("tracking_code")
        .first()
    )


def resident_open_application(resident: Resident, item: ServiceItem) -> Application | None:
    """The resident's own application for `item` still being handled, which the service would refuse to file
    twice (`open_application`): said on the apply page before any file is chosen. Items for enterprises are
    left out (one application per enterprise, which the resident has not named yet)."""
    if item.audience != Audience.PERSON:
        return None
    return open_application(item, "", resident=resident)


def home_outside_item_area(resident: Resident, item: ServiceItem) -> OrgUnit | None:
    """The community a resident is registered in (实有人口), when it lies outside the area of the item's
    implementing body: such an application is usually meant for the resident's own sub-district and would be
    refused there (不属于本机关受理范围). Said as a hint, not refused: a resident may live, work or own a house in
    another area. None when the resident is matched to no living person of the registry, or lives inside."""
    person = resident.person
    if person is None or person.status != PersonStatus.LIVING:
        return None
    home = person.org.community() or person.org
    if home.path.startswith(item.org.path):
        return None
    return home


@dataclass(frozen=True)
class RectificationCounts:
    open: int
    overdue: int  # open and past the 整改期限


RECTIFICATION_FILTERS = ("open", "overdue", "closed")


def filter_rectifications(queryset: QuerySet, status: str, now: dt.datetime | None = None) -> QuerySet:
    """The 差评整改 list by state: open (整改中), overdue (整改中 and past the 整改期限) or closed; any other
    value lists them all."""
    if status == "open":
        return queryset.filter(status=RectificationStatus.OPEN)
    if status == "overdue":
        return queryset.filter(status=RectificationStatus.OPEN, due_at__lt=now or timezone.now())
    if status == "closed":
        return queryset.filter(status=RectificationStatus.CLOSED)
    return queryset


def rectification_counts(user) -> RectificationCounts:
    """Open and overdue 差评整改 in the scope of the user's `applications.view_rectification`."""
    visible = Rectification.objects.visible_to(user, "applications.view_rectification")
    counted = filter_rectifications(visible, "open").aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=timezone.now()))
    )
    return RectificationCounts(open=counted["open"], overdue=counted["overdue"])
