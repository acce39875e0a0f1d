"""Reading uploaded spreadsheets as a stream of rows, whatever the file is called.

`open_rows(path)` looks at the content, not the extension:

- a ZIP whose `[Content_Types].xml` names a SpreadsheetML workbook → .xlsx. A small first sheet (its XML
  below `JIEDAO_IMPORT_CALAMINE_MAX_SHEET_BYTES`, default 64 MiB ≈ 150k rows) is read by python-calamine,
  which is fast but holds the whole sheet in memory; a larger one is parsed here with pyexpat as it is
  decompressed, so memory stays flat whatever the row count.
- an OLE2 compound file → .xls, read by python-calamine (a .xls sheet has at most 65,536 rows).
- anything else that decodes as text → CSV (UTF-8 with or without BOM, UTF-16 with BOM, or GB18030),
  separated by commas, tabs or semicolons.

Anything else raises `UnreadableFile` with a Chinese message. ZIP packages are checked against zip bombs
before anything is decompressed (declared total size and per-member compression ratio) and while they are
decompressed (never more bytes than a member declares).

A `RowSource` yields one list per spreadsheet row, row 1 first: an empty row (or a row missing from a
sparse sheet) is an empty list, so the n-th list is always spreadsheet row n. Cell values are `str`
(stripped of surrounding blanks), `int`, `float`, `bool`, `datetime.date`, `datetime.datetime`,
`datetime.time`, `datetime.timedelta` or None; trailing empty cells are dropped. Dates stored as Excel
serial numbers come back as dates when their cell format is a date format.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import mmap
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiedao.core.exceptions import ServiceError
from jiedao.spreadsheets.cleaning import BLANKS, excel_serial_to_datetime, normalise_header

MiB = 1024 * 1024
GiB = 1024 * MiB

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Refuse a member this big or this compressible only when it is also bigger than this: a small member
# cannot hurt whatever its ratio.
RATIO_CHECK_FLOOR = 1 * MiB
MAX_ZIP_MEMBERS = 10_000
READ_CHUNK = 256 * 1024
INFLATE_CHUNK = 1 * MiB
HEADER_SCAN_ROWS = 20

WORKBOOK_CONTENT_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroenabled.main+xml",
    "application/vnd.ms-excel.template.macroenabled.main+xml",
}


# --- errors and limits ---------------------------------------------------------------------------------


class UnreadableFile(ServiceError):
    """The upload is not a spreadsheet this engine reads, or it is damaged or dangerous."""

    code = "unreadable_file"
    default_message = gettext_lazy("文件不是有效的 Excel（.xlsx/.xls）或 CSV 文件。")


class FileTooLarge(UnreadableFile):
    code = "file_too_large"


class ZipBombSuspected(UnreadableFile):
    code = "zip_bomb"
    default_message = gettext_lazy("文件疑似压缩炸弹，已拒绝。")


class EncryptedFile(UnreadableFile):
    code = "encrypted_file"
    default_message = gettext_lazy("文件设置了打开密码，无法读取。请在 Excel 中取消密码后重新上传。")


class HeaderNotFound(ServiceError):
    code = "header_not_found"


@dataclass(frozen=True)
class Limits:
    max_upload_bytes: int = 100 * MiB
    max_uncompressed_bytes: int = 2 * GiB
    max_compression_ratio: int = 200
    calamine_max_sheet_bytes: int = 64 * MiB

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_upload_bytes=getattr(settings, "JIEDAO_IMPORT_MAX_UPLOAD_BYTES", cls.max_upload_bytes),
            max_uncompressed_bytes=getattr(
                settings, "JIEDAO_IMPORT_MAX_UNCOMPRESSED_BYTES", cls.max_uncompressed_bytes
            ),
            max_compression_ratio=getattr(
                settings, "JIEDAO_IMPORT_MAX_COMPRESSION_RATIO", cls.max_compression_ratio
            ),
            calamine_max_sheet_bytes=getattr(
                settings, "JIEDAO_IMPORT_CALAMINE_MAX_SHEET_BYTES", cls.calamine_max_sheet_bytes
            ),
        )


def too_large(limit: int) -> FileTooLarge:
    if limit < MiB:
        return FileTooLarge(_("文件超过 %(kb)d KB 上限。") % {"kb": max(1, limit // 1024)})
    return FileTooLarge(_("文件超过 %(mb)d MB 上限。") % {"mb": limit // MiB})


def check_size(size: int, limits: Limits | None = None) -> None:
    limits = limits or Limits.from_settings()
    if size > limits.max_upload_bytes:
        raise too_large(limits.max_upload_bytes)


# --- the row source --------------------------------------------------------------------------------------


WHOLE_FLOAT_LIMIT = 2**53


def _clean_value(value: Any) -> Any:
    """One cell as the engine hands it on: stripped text or None; whole floats as ints (while exact)."""
    if isinstance(value, str):
        value = value.strip(BLANKS)
        return value or None
    if isinstance(value, float) and value.is_integer() and -WHOLE_FLOAT_LIMIT < value < WHOLE_FLOAT_LIMIT:
        return int(value)
    return value


def _trim(row: list) -> list:
    end = len(row)
    while end and row[end - 1] is None:
        end -= 1
    if end != len(row):
        del row[end:]
    return row


class RowSource:
    """Rows of one worksheet (the first visible one unless named), one list per spreadsheet row. Iterate once;
    close when done."""

    def __init__(
        self,
        rows: Iterator[list],
        *,
        file_format: str,
        engine: str,
        total_rows: int | None,
        closers: Iterable = (),
    ):
        self._rows = rows
        self.format = file_format  # "xlsx", "xls" or "csv"
        self.engine = engine  # "calamine", "stream" or "csv"
        self.total_rows = total_rows  # the last row number when the file says so, else None
        self._closers = list(closers)
        self.rows_read = 0

    def __iter__(self) -> RowSource:
        return self

    def __next__(self) -> list:
        row = next(self._rows)
        self.rows_read += 1
        return row

    def close(self) -> None:
        closers, self._closers = self._closers, []
        for close in reversed(closers):
            close()

    def __enter__(self) -> RowSource:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def sniff_format(path: str | Path) -> str:
    """ "xlsx", "xls" or "csv" from the first bytes of the file (the package itself is checked later)."""
    with open(path, "rb") as source:
        head = source.read(8)
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head == OLE2_MAGIC:
        return "xls"
    return "csv"


def open_rows(
    path: str | Path,
    *,
    engine: str = "auto",
    limits: Limits | None = None,
    sheet: str | None = None,
    fill_merged: bool = True,
) -> RowSource:
    """Open an uploaded spreadsheet for reading; see the module docstring.

    `engine` forces the .xlsx reader: "calamine" or "stream" (benchmarks, the quick header check). `sheet`
    names the worksheet to read (`data_sheet`); None reads the first visible one. A CSV file ignores it.
    `fill_merged=False` leaves the cells under a merged range empty: a look at the header only, where
    `detect_header` fills them itself, spares the streaming reader its pass over the whole sheet.
    """
    limits = limits or Limits.from_settings()
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise UnreadableFile(_("导入文件已不存在或无法读取。")) from error
    if size > limits.max_upload_bytes:
        raise too_large(limits.max_upload_bytes)
    if size == 0:
        raise UnreadableFile(_("文件是空的。"))
    file_format = sniff_format(path)
    if file_format == "xlsx":
        return _open_xlsx(path, engine=engine, limits=limits, sheet=sheet, fill_merged=fill_merged)
    if file_format == "xls":
        return _open_xls(path, sheet=sheet)
    return _open_csv(path)


# --- .xls and small .xlsx: calamine ----------------------------------------------------------------------


def _calamine_rows(sheet) -> Iterator[list]:
    # iter_rows() starts at spreadsheet row 1 but at the sheet's first used column.
    start = sheet.start
    pad = [None] * (start[1] if start else 0)
    rows = (
        _trim([*pad, *map(_clean_value, raw)]) if pad else _trim([_clean_value(v) for v in raw])
        for raw in sheet.iter_rows()
    )
    merges = [
        (top, left, bottom, right)
        for (top, left), (bottom, right) in (getattr(sheet, "merged_cell_ranges", None) or ())
        if bottom > top
    ]
    return _fill_merged_down(rows, merges) if merges else rows


def _fill_merged_down(rows: Iterator[list], merges: list[tuple[int, int, int, int]]) -> Iterator[list]:
    """Every cell of a merged range spanning several rows holds the range's value, as Excel shows it: a
    roster merges 户号 and 户籍地址 down over a household's members, and each member's row needs them. A
    range within one row (a title, a group header over its columns) is left alone, and so is a row with
    nothing else in it.

    Both readers do it: the streaming one finds the ranges first (`_vertical_merges`)."""
    starting: dict[int, list[tuple[int, int, int]]] = {}
    for top, left, bottom, right in merges:
        starting.setdefault(top, []).append((left, bottom, right))
    active: list[tuple[int, int, int, int, Any]] = []  # (top, left, bottom, right, value)
    for index, row in enumerate(rows):
        for left, bottom, right in starting.pop(index, ()):
            value = row[left] if left < len(row) else None
            if value is not None:
                active.append((index, left, bottom, right, value))
        # A row with nothing of its own stays blank (skipped), even inside a range merged down past the data.
        if active and any(cell is not None for cell in row):
            for top, left, _bottom, right, value in active:
                if len(row) <= right:
                    row.extend([None] * (right + 1 - len(row)))
                for column in range(left, right + 1):
                    if index > top or column > left:
                        row[column] = value
        if active:
            active = [merge for merge in active if merge[2] > index]
        yield row


def _visible_calamine_worksheets(workbook) -> list[tuple[int, str]]:
    """(index, name) of the workbook's visible worksheets (not charts, not hidden), in the workbook's order."""
    import python_calamine as calamine

    return [
        (index, meta.name)
        for index, meta in enumerate(workbook.sheets_metadata)
        if meta.typ == calamine.SheetTypeEnum.WorkSheet and meta.visible == calamine.SheetVisibleEnum.Visible
    ]


def _first_calamine_sheet(workbook, name: str | None = None):
    import python_calamine as calamine

    if name is not None:
        return workbook.get_sheet_by_name(name)
    visible = _visible_calamine_worksheets(workbook)
    if visible:
        return workbook.get_sheet_by_index(visible[0][0])
    for index, meta in enumerate(workbook.sheets_metadata):
        if meta.typ == calamine.SheetTypeEnum.WorkSheet:
            return workbook.get_sheet_by_index(index)
    raise UnreadableFile(_("文件中没有工作表。"))


def _calamine_source(path: Path, file_format: str, sheet_name: str | None = None) -> RowSource:
    import python_calamine as calamine

    handle = open(path, "rb")  # noqa: SIM115 - closed by the RowSource
    try:
        workbook = calamine.CalamineWorkbook.from_filelike(handle)
        sheet = _first_calamine_sheet(workbook, sheet_name)
    except calamine.PasswordError as error:
        handle.close()
        raise EncryptedFile() from error
    except UnreadableFile:
        handle.close()
        raise
    except Exception as error:
        handle.close()
        raise UnreadableFile() from error
    end = sheet.end
    return RowSource(
        _calamine_rows(sheet),
        file_format=file_format,
        engine="calamine",
        total_rows=end[0] + 1 if end else 0,
        closers=[handle.close, workbook.close],
    )


def _open_xls(path: Path, sheet: str | None = None) -> RowSource:
    with open(path, "rb") as source, mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ) as data:
        # An encrypted .xlsx is an OLE2 container holding an "EncryptedPackage" stream.
        if data.find("EncryptedPackage".encode("utf-16-le")) != -1:
            raise EncryptedFile()
    return _calamine_source(path, "xls", sheet)


# --- .xlsx: the package ------------------------------------------------------------------------------------


def _refuse_doctype(*_args) -> None:
    raise UnreadableFile()


def _parser() -> expat.XMLParserType:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 256 * 1024
    # OOXML never declares a DTD; refusing one rules out entity expansion attacks.
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    return parser


def _local(name: str) -> str:
    return name[name.find(":") + 1 :]


def _attr(attrs: dict[str, str], local_name: str) -> str | None:
    """An attribute by local name, whatever its namespace prefix (r:id, ns1:id…)."""
    for key, value in attrs.items():
        if _local(key) == local_name and ":" in key:
            return value
    return None


@dataclass
class _Sheet:
    name: str
    part: str
    visible: bool


class XlsxPackage:
    """A checked .xlsx package: guards against zip bombs, finds the workbook, its first sheet and its parts."""

    def __init__(self, path: Path, limits: Limits, sheet: str | None = None):
        self.limits = limits
        self.sheet_name = sheet
        self.file = open(path, "rb")  # noqa: SIM115 - closed by close()
        try:
            self._open()
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            OSError,
            ValueError,
            KeyError,
            EOFError,
            struct.error,
            expat.ExpatError,
        ) as error:
            self.close()
            raise UnreadableFile() from error
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self.file.close()

    # guards and parts

    def _open(self) -> None:
        self.zip = zipfile.ZipFile(self.file)
        infos = [info for info in self.zip.infolist() if not info.is_dir()]
        if len(infos) > MAX_ZIP_MEMBERS:
            raise ZipBombSuspected()
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > RATIO_CHECK_FLOOR and (
                info.file_size > self.limits.max_compression_ratio * max(info.compress_size, 1)
            ):
                raise ZipBombSuspected()
        if total > self.limits.max_uncompressed_bytes:
            raise ZipBombSuspected()
        self.members = {info.filename.lower().lstrip("/"): info for info in infos}
        content_types = self._read_small("[content_types].xml")
        if content_types is None or b"spreadsheetml" not in content_types.lower():
            raise UnreadableFile()
        self.workbook_part = self._workbook_part(content_types)
        self.sheet, self.shared_strings_part, self.styles_part, self.epoch_1904 = self._workbook()

    def member(self, part: str) -> zipfile.ZipInfo | None:
        return self.members.get(part.lower().lstrip("/"))

    def _read_small(self, part: str, limit: int = 16 * MiB) -> bytes | None:
        info = self.member(part)
        if info is None:
            return None
        if info.file_size > limit:
            raise UnreadableFile()
        return b"".join(self.inflate(info))

    def _workbook_part(self, content_types: bytes) -> str:
        overrides: dict[str, str] = {}
        defaults: dict[str, str] = {}

        def start(name, attrs):
            local = _local(name)
            if local == "Override":
                overrides[attrs.get("PartName", "").lstrip("/").lower()] = attrs.get(
                    "ContentType", ""
                ).lower()
            elif local == "Default":
                defaults[attrs.get("Extension", "").lower()] = attrs.get("ContentType", "").lower()

        def content_type(part: str) -> str:
            part = part.lower()
            return overrides.get(part) or defaults.get(posixpath.splitext(part)[1].lstrip("."), "")

        _parse_bytes(content_types, start)
        rels = self._relationships("_rels/.rels", "")
        candidates = [target for kind, target in rels.values() if kind.endswith("/officedocument")]
        candidates += [part for part, kind in overrides.items() if kind in WORKBOOK_CONTENT_TYPES]
        for part in candidates:
            if content_type(part) in WORKBOOK_CONTENT_TYPES and self.member(part):
                return part
        raise UnreadableFile()  # a document, an add-in, a binary workbook…

    def _relationships(self, part: str, base: str) -> dict[str, tuple[str, str]]:
        """Relationship id → (type, target part) of a .rels part; targets resolved against `base`."""
        data = self._read_small(part)
        found: dict[str, tuple[str, str]] = {}
        if data is None:
            return found

        def start(name, attrs):
            if _local(name) == "Relationship" and attrs.get("TargetMode") != "External":
                target = attrs.get("Target", "")
                resolved = (
                    target.lstrip("/")
                    if target.startswith("/")
                    else posixpath.normpath(posixpath.join(base, target))
                )
                found[attrs.get("Id", "")] = (attrs.get("Type", "").lower(), resolved)

        _parse_bytes(data, start)
        return found

    def _workbook(self) -> tuple[_Sheet, str | None, str | None, bool]:
        base = posixpath.dirname(self.workbook_part)
        rels = self._relationships(
            posixpath.join(base, "_rels", posixpath.basename(self.workbook_part) + ".rels"), base
        )
        sheets: list[_Sheet] = []
        flags = {"date1904": False}

        def start(name, attrs):
            local = _local(name)
            if local == "sheet":
                kind, target = rels.get(_attr(attrs, "id") or "", ("", ""))
                if kind.endswith("/worksheet") and self.member(target):
                    sheets.append(
                        _Sheet(attrs.get("name", ""), target, attrs.get("state", "visible") == "visible")
                    )
            elif local == "workbookPr":
                flags["date1904"] = attrs.get("date1904", "0").lower() in ("1", "true")

        _parse_bytes(self._read_small(self.workbook_part) or b"", start)
        if not sheets:
            raise UnreadableFile(_("文件中没有工作表。"))
        self.sheets = sheets
        sheet = next((s for s in sheets if s.name == self.sheet_name), None) or next(
            (s for s in sheets if s.visible), sheets[0]
        )
        shared = next(
            (t for kind, t in rels.values() if kind.endswith("/sharedstrings") and self.member(t)), None
        )
        styles = next((t for kind, t in rels.values() if kind.endswith("/styles") and self.member(t)), None)
        return sheet, shared, styles, flags["date1904"]

    # reading members

    def inflate(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The member's bytes, decompressed here so that a member producing more than it declares (a zip
        bomb hiding behind a small declared size) is stopped at once; the CRC is checked at the end."""
        if info.flag_bits & 0x1:
            raise EncryptedFile()
        self.file.seek(info.header_offset)
        header = self.file.read(30)
        if len(header) != 30 or header[:4] != ZIP_MAGIC:
            raise UnreadableFile()
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        self.file.seek(info.header_offset + 30 + name_length + extra_length)
        remaining = info.compress_size
        declared = info.file_size
        produced = 0
        crc = 0
        if info.compress_type == zipfile.ZIP_STORED:
            while remaining:
                chunk = self.file.read(min(READ_CHUNK, remaining))
                if not chunk:
                    raise UnreadableFile()
                remaining -= len(chunk)
                produced += len(chunk)
                if produced > declared:
                    raise ZipBombSuspected()
                crc = zlib.crc32(chunk, crc)
                yield chunk
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            inflater = zlib.decompressobj(-15)
            pending = b""
            while not inflater.eof:
                if not pending:
                    if not remaining:
                        break
                    pending = self.file.read(min(READ_CHUNK, remaining))
                    if not pending:
                        raise UnreadableFile()
                    remaining -= len(pending)
                try:
                    chunk = inflater.decompress(pending, INFLATE_CHUNK)
                except zlib.error as error:
                    raise UnreadableFile() from error
                pending = inflater.unconsumed_tail
                if chunk:
                    produced += len(chunk)
                    if produced > declared:
                        raise ZipBombSuspected()
                    crc = zlib.crc32(chunk, crc)
                    yield chunk
            tail = inflater.flush()
            produced += len(tail)
            if produced > declared:
                raise ZipBombSuspected()
            if tail:
                crc = zlib.crc32(tail, crc)
                yield tail
            if not inflater.eof:
                raise UnreadableFile()
        else:
            raise UnreadableFile()
        if produced != declared or crc != info.CRC:
            raise UnreadableFile()

    def verify_all(self) -> None:
        """Decompress every member once, discarding the bytes: proves the declared sizes before another
        reader (calamine) trusts them."""
        for info in self.members.values():
            for _chunk in self.inflate(info):
                pass


def _parse_bytes(data: bytes, start, end=None, chars=None) -> None:
    parser = _parser()
    parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if chars:
        parser.CharacterDataHandler = chars
    parser.Parse(data, True)


def _parse_stream(chunks: Iterable[bytes], parser: expat.XMLParserType) -> None:
    for chunk in chunks:
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """OOXML writes control characters as `_xHHHH_`."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


class CompactStrings:
    """The shared-string table as one UTF-8 buffer plus offsets: about a quarter of the memory of a list of
    Python strings for the short Chinese texts of a roster."""

    def __init__(self):
        from array import array

        self._buffer = bytearray()
        self._ends = array("Q")

    def append(self, text: str) -> None:
        self._buffer += text.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._buffer))

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, index: int) -> str:
        if index < 0:
            raise IndexError(index)
        start = self._ends[index - 1] if index else 0
        return self._buffer[start : self._ends[index]].decode("utf-8", "surrogatepass")


class LazySharedStrings:
    """The shared-string table parsed only as far as the rows read so far need it, from a second handle on
    the file. The header check of an upload reads a handful of rows: it no longer parses a table of 100,000
    addresses first (≈ 1 s). A full read ends up parsing all of it, as before, in the same memory."""

    def __init__(self, path: Path, limits: Limits):
        self._package = XlsxPackage(path, limits)
        part = self._package.shared_strings_part and self._package.member(self._package.shared_strings_part)
        self._strings: list[str] | CompactStrings = (
            CompactStrings() if part is not None and part.file_size > 16 * MiB else []
        )
        self._parser = _shared_strings_parser(self._strings)
        self._chunks = self._package.inflate(part) if part is not None else None
        if self._chunks is None:
            self._package.close()

    def __getitem__(self, index: int) -> str:
        if index < 0:
            raise IndexError(index)
        strings = self._strings
        while index >= len(strings) and self._chunks is not None:
            chunk = next(self._chunks, None)
            if chunk is None:
                self._chunks = None
                self._package.close()
                self._parser.Parse(b"", True)
            else:
                self._parser.Parse(chunk, False)
        return strings[index]

    def close(self) -> None:
        self._chunks = None
        self._package.close()


def _shared_strings_parser(strings: list[str] | CompactStrings) -> expat.XMLParserType:
    state = {"parts": None, "collect": False, "phonetic": False, "text": []}

    def start(name, _attrs):
        local = _local(name)
        if local == "si":
            state["parts"] = []
        elif local == "t" and state["parts"] is not None and not state["phonetic"]:
            state["collect"] = True
            state["text"] = []
        elif local == "rPh":
            state["phonetic"] = True

    def end(name):
        local = _local(name)
        if local == "t" and state["collect"]:
            state["parts"].append("".join(state["text"]))
            state["collect"] = False
        elif local == "rPh":
            state["phonetic"] = False
        elif local == "si":
            strings.append(_unescape("".join(state["parts"] or ())))
            state["parts"] = None

    def chars(data):
        if state["collect"]:
            state["text"].append(data)

    parser = _parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    return parser


# Built-in number formats that show dates or times. 14–17 and 22 are dates; 18–21 and 45–47 times; 27–36 and
# 50–58 the East Asian date formats (“yyyy年m月d日” and friends in a Chinese Excel).
BUILTIN_DATE_FORMATS = {14, 15, 16, 17, 22, *range(27, 37), *range(50, 59)}
BUILTIN_TIME_FORMATS = {18, 19, 20, 21, 45, 47}
BUILTIN_DURATION_FORMATS = {46}

_FORMAT_NOISE = re.compile(r'"[^"]*"|\\.|_.|\*.|\[(?!h\]|hh\]|m\]|mm\]|s\]|ss\])[^\]]*\]', re.IGNORECASE)


def format_kind(code: str) -> str | None:
    """ "date", "time", "duration" or None for a custom number format code."""
    section = _FORMAT_NOISE.sub("", code.split(";", 1)[0]).lower()
    if re.search(r"\[(h|hh|m|mm|s|ss)\]", section):
        return "duration"
    if "y" in section or "d" in section:
        return "date"
    if "h" in section or "s" in section:
        return "time"
    if "m" in section:
        return "date"  # a month on its own (“m月”, “mmm”)
    return None


def load_date_styles(package: XlsxPackage) -> list[str | None]:
    """For each cell style index (the `s` attribute of a cell): "date", "time", "duration" or None."""
    part = package.styles_part and package.member(package.styles_part)
    if part is None:
        return []
    custom: dict[int, str] = {}
    kinds: list[str | None] = []
    state = {"in_cell_xfs": False}

    def start(name, attrs):
        local = _local(name)
        if local == "numFmt":
            with contextlib.suppress(ValueError):
                custom[int(attrs.get("numFmtId", "-1"))] = attrs.get("formatCode", "")
        elif local == "cellXfs":
            state["in_cell_xfs"] = True
        elif local == "xf" and state["in_cell_xfs"]:
            try:
                number_format = int(attrs.get("numFmtId", "0"))
            except ValueError:
                number_format = 0
            kinds.append(number_format)

    def end(name):
        if _local(name) == "cellXfs":
            state["in_cell_xfs"] = False

    parser = _parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    _parse_stream(package.inflate(part), parser)
    resolved: list[str | None] = []
    for number_format in kinds:
        if number_format in custom:
            resolved.append(format_kind(custom[number_format]))
        elif number_format in BUILTIN_DATE_FORMATS:
            resolved.append("date")
        elif number_format in BUILTIN_TIME_FORMATS:
            resolved.append("time")
        elif number_format in BUILTIN_DURATION_FORMATS:
            resolved.append("duration")
        else:
            resolved.append(None)
    return resolved


def _serial_value(number: float, kind: str, epoch_1904: bool) -> Any:
    if kind == "duration":
        return timedelta(milliseconds=round(number * 86_400_000))
    try:
        moment = excel_serial_to_datetime(number, epoch_1904=epoch_1904)
    except ValueError:
        return number
    if kind == "time" and 0 <= number < 1:
        return moment.time()
    if moment.time() == time(0):
        return moment.date()
    return moment


_COLUMN_CACHE: dict[str, int] = {}


def column_index(reference: str) -> int:
    """ "C5" → 2 (zero-based column of a cell reference)."""
    letters = reference.rstrip("0123456789")
    index = _COLUMN_CACHE.get(letters)
    if index is None:
        index = 0
        for letter in letters.upper():
            index = index * 26 + (ord(letter) - 64)
        index -= 1
        if len(_COLUMN_CACHE) < 20_000:
            _COLUMN_CACHE[letters] = index
    return index


def column_letter(index: int) -> str:
    """2 → "C"."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


class _SheetState:
    """What the worksheet callbacks share with the reader loop."""

    def __init__(self):
        self.done: list[tuple[int, list]] = []
        self.last_row: int | None = None


def _sheet_parser(
    shared, styles: list[str | None], epoch_1904: bool
) -> tuple[expat.XMLParserType, _SheetState]:
    """A pyexpat parser for a worksheet part; finished rows collect in `state.done` as (row number, cells).

    The callbacks are closures over local variables (pyexpat calls them five times per cell, and closure
    variables are markedly cheaper than attribute look-ups); element names are compared with the
    namespace prefix the document uses, learned from its root element.
    """
    state = _SheetState()
    done = state.done
    parser = _parser()
    blanks = BLANKS
    columns = _COLUMN_CACHE
    digits = "0123456789"
    whole_limit = WHOLE_FLOAT_LIMIT
    row: list | None = None
    row_number = 0
    next_column = 0
    cell_ref = cell_type = cell_style = None
    value: str | None = None
    inline: list[str] | None = None
    collect = False
    phonetic = False
    text = ""

    def number_value(raw: str):
        if "." in raw or "E" in raw or "e" in raw:
            try:
                number = float(raw)
            except ValueError:
                return raw
            if number.is_integer() and -whole_limit < number < whole_limit:
                number = int(number)
        else:
            try:
                number = int(raw)
            except ValueError:
                return raw
        if cell_style is not None and styles:
            try:
                kind = styles[int(cell_style)]
            except (ValueError, IndexError):
                kind = None
            if kind is not None:
                return _serial_value(float(number), kind, epoch_1904)
        return number

    def end_cell():
        nonlocal next_column
        if row is None:
            return
        if cell_ref:
            letters = cell_ref.rstrip(digits)
            column = columns.get(letters)
            if column is None:
                column = column_index(letters)
        else:
            column = next_column
        next_column = column + 1
        kind = cell_type
        raw = value
        if kind == "s":
            if raw is None:
                return
            try:
                result = shared[int(raw)]
            except (ValueError, IndexError):
                return
            result = result.strip(blanks) or None
        elif kind is None or kind == "n":
            if not raw:
                return
            result = number_value(raw)
        elif kind == "inlineStr":
            result = _unescape("".join(inline or ())).strip(blanks) or None
        elif kind == "b":
            result = None if raw is None else raw.strip() in ("1", "true")
        elif kind == "d":
            try:
                result = datetime.fromisoformat(raw) if raw else None
            except ValueError:
                result = raw
            if isinstance(result, datetime) and result.time() == time(0):
                result = result.date()
        elif kind == "e":
            return  # an error such as #N/A reads as empty, as calamine reads it
        else:  # "str": a formula's text result
            result = (_unescape(raw).strip(blanks) or None) if raw else None
        if result is None:
            return
        length = len(row)
        if column == length:
            row.append(result)
        elif column > length:
            row.extend([None] * (column - length))
            row.append(result)
        else:
            row[column] = result

    def start(name, attrs):
        nonlocal cell_ref, cell_type, cell_style, value, inline, collect, text, row, row_number, next_column
        nonlocal phonetic
        if name == C:
            cell_ref = attrs.get("r")
            cell_type = attrs.get("t")
            cell_style = attrs.get("s")
            value = None
            inline = None
        elif name == V:
            collect = True
            text = ""
        elif name == ROW:
            number = attrs.get("r")
            row_number = int(number) if number else row_number + 1
            row = []
            next_column = 0
        elif name == IS:
            inline = []
        elif name == T:
            if inline is not None and not phonetic:
                collect = True
                text = ""
        elif name == RPH:
            phonetic = True
        elif name == DIMENSION:
            reference = attrs.get("ref", "")
            if ":" in reference:
                last = reference.split(":", 1)[1].lstrip(
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz$"
                )
                if last.isdigit():
                    state.last_row = int(last)

    def end(name):
        nonlocal value, collect, row, phonetic
        if name == C:
            end_cell()
        elif name == V:
            value = text
            collect = False
        elif name == ROW:
            done.append((row_number, _trim(row)))
            row = None
        elif name == T:
            if collect:
                inline.append(text)
                collect = False
        elif name == RPH:
            phonetic = False

    def chars(data):
        nonlocal text
        if collect:
            text += data

    def root(name, attrs):
        # The first element tells the prefix ("x:worksheet" → "x:"); then the real handlers take over.
        nonlocal C, V, ROW, IS, T, RPH, DIMENSION
        prefix = name[: name.find(":") + 1]
        C, V, ROW, IS, T, RPH, DIMENSION = (
            prefix + local for local in ("c", "v", "row", "is", "t", "rPh", "dimension")
        )
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = chars

    C = V = ROW = IS = T = RPH = DIMENSION = None
    parser.StartElementHandler = root
    return parser, state


# <mergeCell ref="A3:A5"/>, whatever the namespace prefix; absolute references ($A$3) as some writers do
_MERGE_CELL = re.compile(
    rb'<(?:[\w.-]+:)?mergeCell\b[^>]*?\bref="\$?([A-Za-z]{1,3})\$?(\d+):\$?([A-Za-z]{1,3})\$?(\d+)"'
)


def _vertical_merges(package: XlsxPackage) -> list[tuple[int, int, int, int]]:
    """(top, left, bottom, right), zero-based, of the sheet's merged ranges spanning several rows. They are
    listed after the rows, so the sheet is inflated once more here (no XML parsing, a byte search)."""
    merges: list[tuple[int, int, int, int]] = []
    tail = b""
    for chunk in package.inflate(package.member(package.sheet.part)):
        data = tail + chunk
        end = 0
        if b"mergeCell" in data:
            for match in _MERGE_CELL.finditer(data):
                left, top, right, bottom = match.groups()
                top_index, bottom_index = int(top) - 1, int(bottom) - 1
                if bottom_index > top_index:
                    merges.append(
                        (
                            top_index,
                            column_index(left.decode()),
                            bottom_index,
                            column_index(right.decode()),
                        )
                    )
                end = match.end()
        tail = data[max(end, len(data) - 256) :]  # a tag cut in two by the chunk boundary
    return merges


def _stream_rows(package: XlsxPackage, shared, styles, header: dict) -> Iterator[list]:
    parser, state = _sheet_parser(shared, styles, package.epoch_1904)
    info = package.member(package.sheet.part)
    expected = 1
    chunks = package.inflate(info)
    finished = False
    try:
        while not finished:
            chunk = next(chunks, None)
            if chunk is None:
                parser.Parse(b"", True)
                finished = True
            else:
                parser.Parse(chunk, False)
            if header.get("last_row") is None and state.last_row is not None:
                header["last_row"] = state.last_row
            if state.done:
                done = state.done[:]
                state.done.clear()
                for number, cells in done:
                    while expected < number:
                        yield []
                        expected += 1
                    yield cells
                    expected += 1
    except expat.ExpatError as error:
        raise UnreadableFile() from error


def _open_xlsx(
    path: Path, *, engine: str, limits: Limits, sheet: str | None = None, fill_merged: bool = True
) -> RowSource:
    package = XlsxPackage(path, limits, sheet)
    shared = None
    try:
        sheet_size = package.member(package.sheet.part).file_size
        use_calamine = engine == "calamine" or (
            engine == "auto" and sheet_size < limits.calamine_max_sheet_bytes
        )
        if use_calamine:
            package.verify_all()
            package.close()
            return _calamine_source(path, "xlsx", package.sheet.name if sheet is not None else None)
        shared = LazySharedStrings(path, limits)
        styles = load_date_styles(package)
        # The dimension element comes before the rows: read the first chunk to learn the row count.
        state: dict[str, int | None] = {"last_row": None}
        merges = _vertical_merges(package) if fill_merged else []
        rows = _stream_rows(package, shared, styles, state)
        if merges:
            rows = _fill_merged_down(rows, merges)
        first = next(rows, None)
        source = RowSource(
            _prepend(first, rows),
            file_format="xlsx",
            engine="stream",
            total_rows=state["last_row"],
            closers=[package.close, shared.close],
        )
        return source
    except expat.ExpatError as error:
        package.close()
        if shared is not None:
            shared.close()
        raise UnreadableFile() from error
    except BaseException:
        package.close()
        if shared is not None:
            shared.close()
        raise


def _prepend(first, rows: Iterator[list]) -> Iterator[list]:
    if first is None:
        return
    yield first
    yield from rows


# --- CSV ---------------------------------------------------------------------------------------------------

_BINARY_SIGNATURES = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"II*\x00",
    b"MM\x00*",
    b"Rar!",
    b"\x1f\x8b",
    b"7z\xbc\xaf",
    b"{\\rtf",
    b"PK",
)


def _detect_encoding(path: Path) -> str:
    with open(path, "rb") as source:
        head = source.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if head.startswith(_BINARY_SIGNATURES):
            raise UnreadableFile()
        source.seek(0)
        for encoding in ("utf-8", "gb18030"):
            decoder = codecs.getincrementaldecoder(encoding)()
            try:
                for block in iter(lambda: source.read(1 * MiB), b""):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                source.seek(0)
                continue
            return encoding
    raise UnreadableFile()


# A web page or XML document saved with an .xls name: what many online systems' “导出 Excel” gives (an HTML
# table, or Excel 2003 XML). No CSV starts with “<”.
_MARKUP = re.compile(r"\ufeff?\s*<(?:!doctype|html|table|\?xml|meta|head|body|workbook)\b", re.IGNORECASE)
_MARKUP_MESSAGE = gettext_lazy(
    "该文件是网页（HTML）或 XML 格式，不是真正的 Excel 文件（有些系统导出的 .xls 实为网页）。"
    "请用 Excel 打开后“另存为” Excel 工作簿（.xlsx），再上传。"
)


def _looks_like_text(sample: str) -> bool:
    if not sample:
        return False
    if "\x00" in sample:
        return False
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\f\v\x1a")
    return controls <= len(sample) // 200


def _sniff_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:50] if line.strip()]
    best, best_score = ",", (0, 0)
    for delimiter in (",", "\t", ";"):
        counts = [line.count(delimiter) for line in lines]
        used = [count for count in counts if count]
        if not used:
            continue
        common = max(set(used), key=used.count)
        score = (used.count(common), sum(used))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _count_lines(path: Path) -> int:
    lines = 0
    last = b"\n"
    with open(path, "rb") as source:
        for block in iter(lambda: source.read(1 * MiB), b""):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (last != b"\n")


# How other systems' CSV exports keep a long number as text for Excel: ="330102195802141575" (Excel shows
# the text the formula gives) or a leading apostrophe before the digits ('13800138000). Read as the text.
_TEXT_FORMULA = re.compile(r'="((?:[^"]|"")*)"')
_APOSTROPHE_DIGITS = re.compile(r"'([0-9][0-9 ()+\-]*[0-9Xx]?)")


def _csv_cell(cell: str) -> str | None:
    cell = cell.strip(BLANKS)
    if cell[:1] in ("=", "'"):
        match = _TEXT_FORMULA.fullmatch(cell) or _APOSTROPHE_DIGITS.fullmatch(cell)
        if match:
            cell = match.group(1).replace('""', '"').strip(BLANKS)
    return cell or None


def _csv_rows(handle: io.TextIOBase, delimiter: str) -> Iterator[list]:
    reader = csv.reader(handle, delimiter=delimiter)
    try:
        for raw in reader:
            yield _trim([_csv_cell(cell) for cell in raw])
    except csv.Error as error:
        raise UnreadableFile(_("CSV 文件格式错误（第 %(n)d 行附近）。") % {"n": reader.line_num}) from error


def _open_csv(path: Path) -> RowSource:
    encoding = _detect_encoding(path)
    handle = open(path, encoding=encoding, newline="")  # noqa: SIM115 - closed by the RowSource
    try:
        sample = handle.read(64 * 1024)
        if not _looks_like_text(sample):
            raise UnreadableFile()
        if _MARKUP.match(sample):
            raise UnreadableFile(_MARKUP_MESSAGE)
        handle.seek(0)
        csv.field_size_limit(1 * MiB)
        delimiter = _sniff_delimiter(sample)
    except BaseException:
        handle.close()
        raise
    return RowSource(
        _csv_rows(handle, delimiter),
        file_format="csv",
        engine="csv",
        total_rows=_count_lines(path) if encoding != "utf-16" else None,
        closers=[handle.close],
    )


# --- finding the header ------------------------------------------------------------------------------------


@dataclass
class HeaderMatch:
    """Where the header is and which spreadsheet column feeds which spec column."""

    header_row: int  # 1-based spreadsheet row of the (lower) header row
    columns: dict[int, str]  # zero-based column index → spec column key
    labels: dict[str, str] = field(default_factory=dict)  # spec column key → header text found in the file
    buffered: list[list] = field(default_factory=list, repr=False)  # rows read past the header

    def column_of(self, key: str) -> int | None:
        for index, mapped in self.columns.items():
            if mapped == key:
                return index
        return None

    def data_rows(self, rows: Iterator[list]) -> Iterator[tuple[int, list]]:
        """(row number, cells) for every row after the header: the buffered ones, then the rest of `rows`."""
        number = self.header_row
        for row in self.buffered:
            number += 1
            yield number, row
        self.buffered = []
        for row in rows:
            number += 1
            yield number, row


def _lookup(spec) -> dict[str, str]:
    names: dict[str, str] = {}
    for column in spec.columns:
        for name in (column.header, *column.aliases, column.key):
            normalised = normalise_header(name)
            if normalised:
                names.setdefault(normalised, column.key)
    return names


def _match_row(cells: list, names: dict[str, str]) -> tuple[dict[int, str], dict[str, str]]:
    columns: dict[int, str] = {}
    labels: dict[str, str] = {}
    for index, cell in enumerate(cells):
        if cell is None or not isinstance(cell, str | int):
            continue
        key = names.get(normalise_header(cell))
        if key is not None and key not in labels:
            columns[index] = key
            labels[key] = str(cell).strip(BLANKS)
    return columns, labels


def merged_header_row(upper: list, lower: list) -> list:
    """The lower header row with its empty cells filled from the row above (vertically merged headers)."""
    width = max(len(upper), len(lower))
    return [
        (lower[i] if i < len(lower) and lower[i] is not None else (upper[i] if i < len(upper) else None))
        for i in range(width)
    ]


def detect_header(rows: Iterator[list], spec, *, scan_rows: int = HEADER_SCAN_ROWS) -> HeaderMatch:
    """Find the header among the first `scan_rows` rows: the row matching most of the spec's column headers
    and aliases (compared after `normalise_header`). A two-row header (group headers merged above the real
    ones, some headers merged down over both rows) matches on its lower row, with the empty cells filled from
    the row above. Raises HeaderNotFound naming the missing required columns."""
    rows = iter(rows)
    names = _lookup(spec)
    scanned: list[list] = []
    for row in rows:
        scanned.append(row)
        if len(scanned) >= scan_rows:
            break
    best: tuple[int, int, dict[int, str], dict[str, str]] | None = None  # (score, row index, columns, labels)
    required = [column.key for column in spec.columns if column.required]
    for index, row in enumerate(scanned):
        if not row:
            continue
        own_columns, own_labels = _match_row(row, names)
        columns, labels = own_columns, own_labels
        if index > 0 and scanned[index - 1]:
            combined_columns, combined_labels = _match_row(merged_header_row(scanned[index - 1], row), names)
            if own_columns and len(combined_labels) > len(own_labels):
                columns, labels = combined_columns, combined_labels
        if not labels:
            continue
        complete = all(key in labels for key in required)
        score = (complete, len(labels))
        if (
            best is None
            or score > best[0]
            or (
                # A lower row that repeats the same match is the real header under a group header row.
                score == best[0] and index == best[1] + 1 and own_columns
            )
        ):
            best = (score, index, columns, labels)
    if best is None:
        raise HeaderNotFound(
            _("未找到表头：前 %(n)d 行中没有与模板列名相符的行。请使用导入模板，或检查表头文字。")
            % {"n": scan_rows}
        )
    (_complete, _count), index, columns, labels = best
    missing = [column.header for column in spec.columns if column.required and column.key not in labels]
    if missing:
        raise HeaderNotFound(
            _("缺少必填列：%(columns)s。请检查表头是否与导入模板一致。") % {"columns": "、".join(missing)}
        )
    return HeaderMatch(header_row=index + 1, columns=columns, labels=labels, buffered=scanned[index + 1 :])


def visible_sheet_names(path: str | Path, limits: Limits | None = None) -> list[str]:
    """The names of a workbook's visible worksheets, in the workbook's order; [] for a CSV file."""
    limits = limits or Limits.from_settings()
    path = Path(path)
    file_format = sniff_format(path)
    if file_format == "xlsx":
        package = XlsxPackage(path, limits)
        try:
            return [sheet.name for sheet in package.sheets if sheet.visible]
        finally:
            package.close()
    if file_format == "xls":
        import python_calamine as calamine

        with open(path, "rb") as handle:
            try:
                workbook = calamine.CalamineWorkbook.from_filelike(handle)
            except Exception:  # unreadable or encrypted: open_rows says which
                return []
            try:
                return [name for _index, name in _visible_calamine_worksheets(workbook)]
            finally:
                workbook.close()
    return []


def data_sheet(
    path: str | Path, spec, limits: Limits | None = None, *, refuse_several: bool = False
) -> str | None:
    """The name of the worksheet to import: the first visible one whose header matches `spec` (a workbook
    may open on a 填表说明 sheet), or None to read the first visible sheet as before (a CSV file, a single
    sheet, or no sheet with the header: reading the first one then reports what its header lacks).

    `refuse_several` (at upload): more than one visible sheet with the header — one sheet per 网格, say —
    raises HeaderNotFound naming them, rather than importing the first and silently leaving the others out.
    Only each sheet's first rows are read (streaming reader)."""
    names = visible_sheet_names(path, limits)
    if len(names) < 2:
        return None
    matching: list[str] = []
    for name in names:
        with open_rows(path, engine="stream", limits=limits, sheet=name, fill_merged=False) as source:
            try:
                detect_header(source, spec)
            except HeaderNotFound:
                continue
        matching.append(name)
        if not refuse_several:
            break
    if len(matching) > 1:
        raise HeaderNotFound(
            _(
                "文件中有 %(n)d 个工作表都有表头（%(sheets)s），一次只能导入一个工作表。"
                "请把数据合并到一个工作表中，或把各工作表分别保存为文件后逐个上传。"
            )
            % {"n": len(matching), "sheets": "、".join(f"“{name}”" for name in matching)}
        )
    return matching[0] if matching else None


__all__ = [
    "EncryptedFile",
    "FileTooLarge",
    "HeaderMatch",
    "HeaderNotFound",
    "Limits",
    "RowSource",
    "UnreadableFile",
    "ZipBombSuspected",
    "check_size",
    "column_index",
    "column_letter",
    "data_sheet",
    "detect_header",
    "open_rows",
    "sniff_format",
    "visible_sheet_names",
]
