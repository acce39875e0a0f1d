"""The audit log as an Excel workbook, written row by row (xlsxwriter `constant_memory`) to a temporary file."""

from __future__ import annotations

import tempfile
from typing import IO

import xlsxwriter
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.audit.filters import SHANGHAI
from jiedao.audit.registry import label_for

# One row is the header; Excel holds 1,048,576 rows.
MAX_ROWS = 1_048_575
# A cell that starts with one of these may be run as a formula when opened or re-saved as CSV.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Defeat formula injection: a leading ' makes spreadsheet programs show the value as text."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def _headers() -> list[str]:
    return [
        _("编号"),
        _("时间"),
        _("事件编号"),
        _("事件类型"),
        _("操作人账号"),
        _("IP 地址"),
        _("组织"),
        _("对象类型"),
        _("对象编号"),
        _("对象"),
        _("结果"),
        _("说明"),
        _("请求编号"),
        _("客户端"),
    ]


def _row(event) -> list[object]:
    org = event.org.name if event.org is not None else (f"#{event.org_id}" if event.org_id else "")
    return [
        event.pk,
        timezone.localtime(event.created_at, SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
        event.event_code,
        label_for(event.event_name),
        event.actor_name,
        event.ip or "",
        org,
        event.target_type,
        event.target_id,
        event.target_repr,
        _("成功") if event.success else _("失败"),
        event.message,
        event.request_id,
        event.user_agent,
    ]


def write_workbook(events: QuerySet, output: IO[bytes]) -> int:
    """Write `events` (at most MAX_ROWS) to `output`; return the number of rows written."""
    workbook = xlsxwriter.Workbook(
        output,
        {
            "constant_memory": True,
            "tmpdir": tempfile.gettempdir(),
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = workbook.add_worksheet(_("审计日志"))
    bold = workbook.add_format({"bold": True})
    widths = [10, 20, 10, 20, 16, 16, 20, 20, 12, 30, 8, 40, 34, 40]
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width)
    for column, title in enumerate(_headers()):
        sheet.write_string(0, column, title, bold)
    sheet.freeze_panes(1, 0)
    rows = 0
    for event in events.select_related("org").iterator(chunk_size=2000):
        rows += 1
        if rows > MAX_ROWS:
            raise ValueError("too many rows for one worksheet")
        for column, value in enumerate(_row(event)):
            if isinstance(value, int):
                sheet.write_number(rows, column, value)
            else:
                sheet.write_string(rows, column, neutralise(str(value)))
    workbook.close()
    return rows
