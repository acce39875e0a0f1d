"""A minimal .xls (BIFF8 in an OLE2 compound file) writer, for test fixtures only.

Neither LibreOffice nor xlwt is installed here, and the engine must be tested on a real .xls: this writes
what Excel itself writes for a plain sheet — a workbook globals substream (BOF, code page, date mode, XF
records, one BOUNDSHEET, a shared-string table, EOF) and one worksheet substream (BOF, DIMENSIONS,
LABELSST / NUMBER cells, EOF) — inside a version-3 compound file with 512-byte sectors and a single FAT
sector (workbooks up to ~60 KB, plenty for a fixture).
"""

from __future__ import annotations

import struct
from datetime import date

ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
SECTOR = 512
DATE_XF = 16
GENERAL_XF = 15


def _record(kind: int, data: bytes) -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _bof(kind: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 0x06))


def _xf(font: int, number_format: int, style: bool) -> bytes:
    flags = 0xFFF5 if style else 0x0001  # style XF (parent 0xFFF) / locked cell XF with parent 0
    return _record(
        0x00E0, struct.pack("<HHHBBBBIIH", font, number_format, flags, 0x20, 0, 0, 0, 0, 0, 0x20C0)
    )


def _unicode(text: str) -> bytes:
    return struct.pack("<HB", len(text), 0x01) + text.encode("utf-16-le")


def _excel_serial(value: date) -> float:
    return float((value - date(1899, 12, 30)).days)


def workbook_stream(rows: list[list], sheet_name: str = "Sheet1") -> bytes:
    strings: list[str] = []
    index: dict[str, int] = {}
    cells = b""
    last_column = 0
    for row_number, row in enumerate(rows):
        for column, value in enumerate(row):
            if value is None:
                continue
            last_column = max(last_column, column + 1)
            if isinstance(value, str):
                if value not in index:
                    index[value] = len(strings)
                    strings.append(value)
                cells += _record(0x00FD, struct.pack("<HHHI", row_number, column, GENERAL_XF, index[value]))
            elif isinstance(value, date):
                cells += _record(
                    0x0203, struct.pack("<HHHd", row_number, column, DATE_XF, _excel_serial(value))
                )
            else:
                cells += _record(0x0203, struct.pack("<HHHd", row_number, column, GENERAL_XF, float(value)))
    sheet = (
        _bof(0x0010)
        + _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, last_column, 0))
        + cells
        + _record(0x000A, b"")
    )
    sst = struct.pack("<II", len(strings), len(strings)) + b"".join(_unicode(s) for s in strings)
    name = sheet_name.encode("utf-16-le")

    def globals_stream(sheet_offset: int) -> bytes:
        xfs = b"".join(_xf(0, 0, True) for _ in range(15)) + _xf(0, 0, False) + _xf(0, 14, False)
        font = _record(
            0x0031, struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0, 0) + _short("Arial")
        )
        return (
            _bof(0x0005)
            + _record(0x0042, struct.pack("<H", 1200))
            + _record(0x0022, struct.pack("<H", 0))
            + font * 5
            + xfs
            + _record(0x0085, struct.pack("<IBBBB", sheet_offset, 0, 0, len(sheet_name), 0x01) + name)
            + _record(0x00FC, sst)
            + _record(0x000A, b"")
        )

    first = globals_stream(0)
    return globals_stream(len(first)) + sheet


def _short(text: str) -> bytes:
    return struct.pack("<BB", len(text), 0) + text.encode("latin-1")


def _directory_entry(name: str, kind: int, start: int, size: int, child: int = NOSTREAM) -> bytes:
    encoded = (name + "\x00").encode("utf-16-le") if name else b""
    return (
        encoded.ljust(64, b"\x00")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", NOSTREAM, NOSTREAM, child)
        + b"\x00" * 16  # CLSID
        + struct.pack("<I", 0)  # state bits
        + b"\x00" * 16  # creation and modification times
        + struct.pack("<IQ", start, size)
    )


def compound_file(stream: bytes, stream_name: str = "Workbook") -> bytes:
    """One stream in an OLE2 file: sector 0 the FAT, sector 1 the directory, the stream from sector 2."""
    stream = stream.ljust(4096, b"\x00")  # at least the mini-stream cutoff: stored in regular sectors
    sectors = (len(stream) + SECTOR - 1) // SECTOR
    if sectors + 2 > SECTOR // 4:
        raise ValueError("fixture workbook too large for one FAT sector")
    fat = [FATSECT, ENDOFCHAIN] + [3 + i for i in range(sectors - 1)] + [ENDOFCHAIN]
    fat += [FREESECT] * (SECTOR // 4 - len(fat))
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", FREESECT) * 108
    )
    assert len(header) == SECTOR
    directory = (
        _directory_entry("Root Entry", 5, ENDOFCHAIN, 0, child=1)
        + _directory_entry(stream_name, 2, 2, len(stream))
        + _directory_entry("", 0, 0, 0) * 2
    )
    body = struct.pack(f"<{SECTOR // 4}I", *fat) + directory + stream.ljust(sectors * SECTOR, b"\x00")
    return header + body


def xls_bytes(rows: list[list], sheet_name: str = "Sheet1") -> bytes:
    return compound_file(workbook_stream(rows, sheet_name))
