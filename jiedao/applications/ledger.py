"""办件台账: the staff application list, with the filters it shows, as an .xlsx file.

Built like the registry's list exports (`jiedao.registry.ui.export`): the rows are read in chunks and written
one by one by `jiedao.spreadsheets.exporters.SheetWriter` (xlsxwriter `constant_memory`, formula injection
neutralised, identifiers as text) to a temporary file that the view streams; every export is audited with
its filters and row count. ID numbers and phones are masked unless the user holds
`registry.view_full_person` over the application's org — the permission that shows them in full in the
registry.

容缺受理 is recorded as a 容缺受理台账 does: the materials deferred, each with the day it was supplied, the day
they were to be supplied by, and whether they all arrived, are still awaited, or are overdue (容缺逾期, the
same rule as the list's filter).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import xlsxwriter
from django.db.models import Exists, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.applications.audit_events import LEDGER_EXPORTED
from jiedao.applications.choices import ApplicationStatus, EventAction, Outcome, RatingLevel
from jiedao.applications.letter import chinese_date, chinese_time
from jiedao.applications.models import Application, ApplicationEvent, ExtensionRequest, ExtensionStatus
from jiedao.applications.selectors import (
    DEFERRAL_STATUSES,
    filter_applications,
    with_clock_status,
    with_deferral_overdue,
)
from jiedao.audit import services as audit
from jiedao.catalog.choices import ItemKind
from jiedao.catalog.models import ServiceItem
from jiedao.core.i18n import records_language
from jiedao.core.scope import ScopeGrant, scope_for
from jiedao.orgs.models import OrgUnit
from jiedao.registry.ui.common import masked_term
from jiedao.spreadsheets.exporters import SheetWriter, workbook_options
from jiedao.timelimits.choices import ClockStatus

VIEW_PERMISSION = "applications.view_application"
EXPORT_PERMISSION = "applications.export_application"
FULL_DATA_PERMISSION = "registry.view_full_person"
ENCRYPTED_FIELDS = ("applicant_id_number", "applicant_phone")
TEXT_COLUMNS = (1, 5, 6)  # 查询码, 证件号码, 联系电话: never numbers (a leading 0, 18 digits)
WIDTHS = (6, 14, 24, 8, 10, 20, 14, 14, 16, 10, 18, 18, 14, 18, 14, 16, 10, 10, 36, 14, 10, 18)
# Chinese office dates (2026年3月5日), still real dates in Excel: the ledger sorts and filters by them.
DATE_FORMAT = 'yyyy"年"m"月"d"日"'
DATETIME_FORMAT = 'yyyy"年"m"月"d"日" hh:mm'


@dataclass(frozen=True)
class Ledger:
    path: str  # a temporary file; the caller streams and removes it
    filename: str
    rows: int
    full_values: bool


def ledger_queryset(user, params: Mapping[str, str]):
    """The applications the staff list shows for `params`, within what the user may both list and export.

    A filter value that is not valid is left out, as the list page does (the API refuses it): the ledger
    holds what the clerk saw on the screen. Returns the queryset and the errors of the values left out."""
    scoped = Application.objects.visible_to(user, VIEW_PERMISSION).visible_to(user, EXPORT_PERMISSION)
    queryset, errors = filter_applications(scoped, params, user=user)
    return queryset.order_by("-id"), errors


def _filter_terms(params: Mapping[str, str], errors: dict) -> list[tuple[str, object]]:
    """(field name, value) of each filter applied, the names of org and item read once."""
    terms: list[tuple[str, object]] = []
    for name in ("status", "clock", "extension", "deferral", "org", "item"):
        raw = (params.get(name) or "").strip()
        if not raw or name in errors:
            continue
        if name == "org":
            raw = OrgUnit.objects.filter(pk=int(raw)).values_list("name", flat=True).first() or raw
        elif name == "item":
            raw = ServiceItem.objects.filter(pk=int(raw)).values_list("name", flat=True).first() or raw
        terms.append((name, raw))
    q = (params.get("q") or params.get("search") or "").strip()[:100]
    if q:
        terms.append(("q", q))
    return terms


def describe_filters(terms: list[tuple[str, object]]) -> dict[str, str]:
    """label → value of each filter, in the active language; an ID or phone number searched for is masked
    (the description goes into the file's title row and the audit log)."""
    labels = {
        "status": _("状态"),
        "clock": _("时限状态"),
        "extension": _("延期"),
        "deferral": _("容缺材料"),
        "org": _("所属组织"),
        "item": _("事项"),
        "q": _("查询"),
    }
    described = {}
    for name, value in terms:
        if name == "status":
            text = str(ApplicationStatus(value).label)
        elif name == "clock":
            text = str(ClockStatus(value).label)
        elif name == "extension":
            text = _("有待审批的延期申请")
        elif name == "deferral":
            text = _("容缺逾期") if value == "overdue" else _("容缺待补交")
        elif name == "q":
            text = masked_term(str(value))
        else:
            text = str(value)
        described[labels[name]] = text
    return described


def headers() -> list[str]:
    return [
        _("序号"),
        _("查询码"),
        _("事项名称"),
        _("事项类型"),
        _("申请人"),
        _("证件号码"),
        _("联系电话"),
        _("所属组织"),
        _("受理窗口"),
        _("受理人"),
        _("提交时间"),
        _("受理时间"),
        _("承诺期限（到期日）"),
        _("办结时间"),
        _("状态"),
        _("时限状态"),
        _("办理结果"),
        _("评价"),
        _("容缺材料"),
        _("补交期限"),
        _("补交情况"),
        _("补齐时间"),
    ]


def _rows_queryset(queryset, *, full: bool):
    """Two queries per chunk of rows: the item, org, window and rating joined, the clock, the extensions,
    容缺逾期 and the member of staff who accepted read as columns of the same row; then the chunk's 容缺
    materials."""
    accepted_by = (
        ApplicationEvent.objects.filter(application=OuterRef("pk"), action=EventAction.ACCEPTED)
        .order_by("-at", "-id")
        .annotate(name=Coalesce(NullIf("actor__full_name", Value("")), "actor__username"))
        .values("name")[:1]
    )
    extensions = ExtensionRequest.objects.filter(application=OuterRef("pk"))
    rows = with_deferral_overdue(
        with_clock_status(
            queryset.select_related("item", "org", "window", "rating").annotate(
                accepted_by=Subquery(accepted_by),
                extended=Exists(extensions.filter(status=ExtensionStatus.APPROVED)),
                extension_pending=Exists(extensions.filter(status=ExtensionStatus.PENDING)),
            )
        )
    ).prefetch_related("deferred_materials")
    # Without the full-data permission the encrypted numbers are not even read (nor decrypted).
    return rows if full else rows.defer(*ENCRYPTED_FIELDS)


def _sees_full(user, grant: ScopeGrant, application: Application) -> bool:
    return grant.covers_org(application.org_id) or (
        grant.own_records and application.created_by_id == user.pk
    )


def _deferral_cells(application: Application) -> list:
    """容缺材料 (each with the day it was supplied), 补交期限, 补交情况 and 补齐时间; blank when nothing was
    deferred."""
    deferred = list(application.deferred_materials.all())
    if not deferred:
        return ["", None, "", None]
    names = "、".join(
        _("%(name)s（%(date)s补交）") % {"name": d.name, "date": chinese_date(d.supplied_at)}
        if d.supplied_at
        else _("%(name)s（未补交）") % {"name": d.name}
        for d in deferred
    )
    complete = all(d.supplied_at for d in deferred)
    if complete:
        state = _("已补齐")
    elif application.deferral_overdue:
        state = _("容缺逾期")
    elif application.status in DEFERRAL_STATUSES:
        state = _("待补交")
    else:  # decided or ended while some were still missing
        state = _("未补齐")
    return [
        names,
        application.defer_until,
        state,
        max(d.supplied_at for d in deferred) if complete else None,
    ]


def _due_cell(application: Application, provisional: str):
    """The due date as a date cell; as text marked 临时 while it is provisional (counted before the year's
    holiday notice was entered), so the mark travels with the ledger to the district."""
    if not application.due_at:
        return None
    due = timezone.localtime(application.due_at).date()
    if application.due_provisional:
        return _("%(date)s（%(mark)s）") % {"date": chinese_date(due), "mark": provisional}
    return due


def ledger_rows(user, queryset, grant: ScopeGrant) -> Iterator[list]:
    full = not grant.nothing
    statuses = {value: str(label) for value, label in ApplicationStatus.choices}
    kinds = {value: str(label) for value, label in ItemKind.choices}
    clocks = {value: str(label) for value, label in ClockStatus.choices}
    outcomes = {value: str(label) for value, label in Outcome.choices}
    levels = {value: str(label) for value, label in RatingLevel.choices}
    extended, pending, provisional = _("已延期"), _("延期待审批"), _("临时")
    for number, application in enumerate(
        _rows_queryset(queryset, full=full).iterator(chunk_size=2000), start=1
    ):
        if full and _sees_full(user, grant, application):
            id_number, phone = application.applicant_id_number, application.applicant_phone
        else:
            id_number, phone = application.applicant_id_masked, application.applicant_phone_masked
        clock = [clocks[application.clock_status]] if application.clock_status in clocks else []
        if application.extended:
            clock.append(extended)
        if application.extension_pending:
            clock.append(pending)
        window = application.window
        rating = getattr(application, "rating", None)
        yield [
            number,
            application.tracking_code,
            application.item.name,
            kinds.get(application.item.kind, application.item.kind),
            application.applicant_name,
            id_number,
            phone,
            application.org.name,
            f"{window.number} {window.name}".strip() if window else "",
            application.accepted_by or "",
            application.submitted_at,
            application.accepted_at,
            _due_cell(application, provisional),
            application.concluded_at,
            statuses.get(application.status, application.status),
            "、".join(clock),
            outcomes.get(application.outcome, application.outcome),
            levels.get(rating.level, "") if rating else "",
            *_deferral_cells(application),
        ]


def export_ledger(*, user, params: Mapping[str, str]) -> Ledger:
    """Write the 办件台账 of what the staff list shows for `params` to a temporary .xlsx and audit it.

    The caller (the view) holds `applications.export_application`; the rows are those the user may both
    list and export. The file is the caller's to stream and remove."""
    queryset, errors = ledger_queryset(user, params)
    grant = scope_for(user, FULL_DATA_PERMISSION)
    terms = _filter_terms(params, errors)
    now = timezone.now()
    described = describe_filters(terms)
    title = _("%(org)s办件台账　筛选条件：%(filters)s　导出时间：%(time)s") % {
        "org": user.org.name if user.org_id else "",
        "filters": "；".join(f"{k}：{v}" for k, v in described.items()) or _("无（全部办件）"),
        "time": chinese_time(now),
    }
    descriptor, path = tempfile.mkstemp(suffix=".xlsx", prefix="applications-ledger-")
    os.close(descriptor)
    try:
        workbook = xlsxwriter.Workbook(path, workbook_options())
        try:
            writer = SheetWriter(
                workbook,
                headers(),
                sheet_name=_("办件台账"),
                text_columns=TEXT_COLUMNS,
                widths=WIDTHS,
                note=title,
            )
            writer.date_format = workbook.add_format({"num_format": DATE_FORMAT})
            writer.datetime_format = workbook.add_format({"num_format": DATETIME_FORMAT})
            for values in ledger_rows(user, queryset, grant):
                writer.write_row(values)
            writer.finish()
        finally:
            workbook.close()
        with records_language():
            logged = describe_filters(terms)
            audit.record(
                LEDGER_EXPORTED,
                actor=user,
                org=user.org_id,
                message=_("导出办件台账 %(n)d 条；筛选条件：%(f)s")
                % {
                    "n": writer.rows_written,
                    "f": "；".join(f"{k}：{v}" for k, v in logged.items()) or _("无"),
                },
                after={"filter": logged, "rows": writer.rows_written, "full_values": not grant.nothing},
            )
    except BaseException:
        os.unlink(path)
        raise
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M%S")
    return Ledger(
        path=path,
        filename=f"{_('办件台账')}-{stamp}.xlsx",
        rows=writer.rows_written,
        full_values=not grant.nothing,
    )
