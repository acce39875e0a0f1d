"""Writing .xlsx files row by row (xlsxwriter `constant_memory`), safe to open in Excel or WPS.

- Formula injection: a text cell starting with =, +, -, @, tab or carriage return (or their full-width
  forms) is written as text prefixed with ' — never as a formula — so that neither opening the file nor
  re-saving it as CSV runs it.
- Identifiers (ID numbers, phone numbers: `text_columns`) are written as text in a text-formatted column,
  so Excel neither rounds them to 15 digits nor shows them as 1.10105E+17.
- `xlsx_response()` streams the finished file from a temporary file with a Chinese file name
  (RFC 5987 `filename*=UTF-8''…`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import xlsxwriter
from django.http import FileResponse
from django.utils import timezone

# One worksheet holds 1,048,576 rows; the header takes one.
MAX_SHEET_ROWS = 1_048_576
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXACT_NUMBER_LIMIT = 2**53


def neutralise(value: str) -> str:
    """A leading ' makes spreadsheet programs treat the cell as text, whatever follows."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


_NEUTRALISED = frozenset(FORMULA_TRIGGERS)


def unneutralise(value: Any) -> Any:
    """The inverse of `neutralise`, for a cell read from an upload: "'=1+1" is read as "=1+1".

    A clerk corrects the refused rows of an error report (or edits an export) and uploads the file again:
    without this the ' added on writing became part of the stored value (“'-待业-”)."""
    if value.__class__ is str and value[:1] == "'" and value[1:2] in _NEUTRALISED:
        return value[1:]
    return value


def workbook_options() -> dict[str, Any]:
    return {
        "constant_memory": True,
        "tmpdir": tempfile.gettempdir(),
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "remove_timezone": True,
    }


class SheetWriter:
    """Writes typed values into a constant-memory worksheet, rolling over to a new sheet when one is full."""

    def __init__(
        self,
        workbook,
        headers: Sequence[Any],
        *,
        sheet_name: str = "",
        text_columns: Iterable = (),
        widths: Sequence[int] | None = None,
        note: str = "",
    ):
        self.workbook = workbook
        self.note = note  # a line above the header of the first sheet (written as text)
        self.headers = [str(header) for header in headers]
        self.sheet_name = sheet_name
        self.text_columns = _column_indexes(text_columns, self.headers)
        self.widths = widths
        self.header_format = workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
        self.text_format = workbook.add_format({"num_format": "@"})
        self.date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.time_format = workbook.add_format({"num_format": "hh:mm:ss"})
        self.sheets = 0
        self.sheet = None
        self.row = 0
        self.rows_written = 0

    def _new_sheet(self) -> None:
        self.sheets += 1
        if self.sheets == 1:
            name = self.sheet_name or "Sheet1"
        else:
            name = f"{self.sheet_name or 'Sheet'}{self.sheets}"
        self.sheet = self.workbook.add_worksheet(name[:31])
        for column in range(len(self.headers)):
            width = self.widths[column] if self.widths and column < len(self.widths) else 16
            self.sheet.set_column(
                column, column, width, self.text_format if column in self.text_columns else None
            )
        top = 1 if self.note and self.sheets == 1 else 0
        if top:
            self.sheet.write_string(0, 0, neutralise(self.note))
        for column, title in enumerate(self.headers):
            self.sheet.write_string(top, column, neutralise(title), self.header_format)
        self.sheet.freeze_panes(top + 1, 0)
        self.row = top

    def write_row(self, values: Sequence[Any]) -> None:
        if self.sheet is None or self.row + 1 >= MAX_SHEET_ROWS:
            self._new_sheet()
        self.row += 1
        for column, value in enumerate(values):
            self.write_cell(self.row, column, value)
        self.rows_written += 1

    def write_cell(self, row: int, column: int, value: Any) -> None:
        sheet = self.sheet
        if value is None or value == "":
            return
        as_text = column in self.text_columns
        if isinstance(value, str):
            sheet.write_string(row, column, neutralise(value), self.text_format if as_text else None)
        elif isinstance(value, bool):
            sheet.write_boolean(row, column, value)
        elif isinstance(value, int | float | Decimal):
            if as_text or (isinstance(value, int | Decimal) and abs(value) >= EXACT_NUMBER_LIMIT):
                sheet.write_string(row, column, str(value), self.text_format)
            else:
                sheet.write_number(row, column, float(value))
        elif isinstance(value, datetime):
            if timezone.is_aware(value):
                value = timezone.localtime(value).replace(tzinfo=None)
            sheet.write_datetime(row, column, value, self.datetime_format)
        elif isinstance(value, date):
            sheet.write_datetime(row, column, value, self.date_format)
        elif isinstance(value, time):
            sheet.write_datetime(row, column, value, self.time_format)
        else:
            sheet.write_string(row, column, neutralise(str(value)), self.text_format if as_text else None)

    def finish(self) -> None:
        if self.sheet is None:
            self._new_sheet()


def _column_indexes(columns: Iterable, headers: Sequence[str]) -> set[int]:
    indexes = set()
    for column in columns:
        if isinstance(column, int):
            indexes.add(column)
        else:
            indexes.add(headers.index(str(column)))
    return indexes


def write_xlsx(
    rows: Iterable[Sequence[Any]],
    headers: Sequence[Any],
    path_or_stream: str | os.PathLike | IO[bytes],
    *,
    text_columns: Iterable[int | str] = (),
    sheet_name: str = "",
    widths: Sequence[int] | None = None,
) -> int:
    """Write `rows` under `headers` to an .xlsx file or binary stream; return the number of data rows.

    `text_columns` are column indexes or header texts written as text (identifiers). Memory stays flat: each
    row goes to xlsxwriter's temporary file as it comes.
    """
    target = os.fspath(path_or_stream) if isinstance(path_or_stream, str | os.PathLike) else path_or_stream
    workbook = xlsxwriter.Workbook(target, workbook_options())
    try:
        writer = SheetWriter(
            workbook, headers, sheet_name=sheet_name, text_columns=text_columns, widths=widths
        )
        for values in rows:
            writer.write_row(values)
        writer.finish()
    finally:
        workbook.close()
    return writer.rows_written


def content_disposition(filename: str, *, attachment: bool = True) -> str:
    """`attachment; filename="download.xlsx"; filename*=UTF-8''%E5%AF%BC…`: the RFC 5987 form carries the
    Chinese name, the plain one an ASCII fallback for old clients."""
    filename = (
        "".join(ch for ch in filename if ch >= " " and ch != "\x7f").replace("/", "_").replace("\\", "_")
    )
    filename = filename.strip() or "download"
    _stem, dot, extension = filename.rpartition(".")
    if filename.isascii():
        fallback = filename.replace('"', "")
    else:
        fallback = (
            f"download.{extension}" if dot and extension.isascii() and extension.isalnum() else "download"
        )
    kind = "attachment" if attachment else "inline"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def open_and_unlink(path: str | Path) -> IO[bytes]:
    """Open a temporary file and remove its name at once: the open handle keeps the data until the response
    is finished (POSIX), and nothing is left behind even if the client goes away."""
    handle = open(path, "rb")  # noqa: SIM115 - closed by the response
    with contextlib.suppress(OSError):  # e.g. Windows; the temporary directory is cleaned anyway
        os.unlink(path)
    return handle


def file_response(
    path: str | Path, filename: str, *, content_type: str = XLSX_CONTENT_TYPE, delete: bool = True
) -> FileResponse:
    """Stream a (temporary) file as a download named `filename`."""
    handle = open_and_unlink(path) if delete else open(path, "rb")  # noqa: SIM115 - closed by the response
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def xlsx_response(
    rows: Iterable[Sequence[Any]],
    headers: Sequence[Any],
    filename: str,
    *,
    text_columns: Iterable[int | str] = (),
    sheet_name: str = "",
    widths: Sequence[int] | None = None,
) -> FileResponse:
    """Write the rows to a temporary .xlsx and return a streaming download of it."""
    descriptor, path = tempfile.mkstemp(suffix=".xlsx", prefix="export-")
    os.close(descriptor)
    try:
        write_xlsx(rows, headers, path, text_columns=text_columns, sheet_name=sheet_name, widths=widths)
    except BaseException:
        os.unlink(path)
        raise
    return file_response(path, filename)
