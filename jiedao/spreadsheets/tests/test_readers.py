"""Reading: formats detected by content, the two .xlsx engines agree, headers found under title rows,
zip bombs and non-spreadsheets refused with Chinese messages."""

# ruff: noqa: DTZ001 - spreadsheet cells hold naive dates and times
from __future__ import annotations

import codecs
import io
import struct
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
import xlsxwriter

from jiedao.spreadsheets.cleaning import normalise_header, parse_date, text_digits
from jiedao.spreadsheets.readers import (
    EncryptedFile,
    FileTooLarge,
    HeaderNotFound,
    Limits,
    UnreadableFile,
    XlsxPackage,
    ZipBombSuspected,
    column_index,
    column_letter,
    detect_header,
    format_kind,
    open_rows,
    too_large,
)
from jiedao.spreadsheets.tests.conftest import FULLWIDTH, SampleSpec, messy_workbook
from jiedao.spreadsheets.tests.xls_writer import compound_file, xls_bytes

UNREADABLE = "文件不是有效的 Excel（.xlsx/.xls）或 CSV 文件。"
BOMB = "文件疑似压缩炸弹，已拒绝。"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _read(path: Path, **kwargs) -> list[list]:
    with open_rows(path, **kwargs) as source:
        return list(source)


# --- formats ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["calamine", "stream"])
def test_messy_xlsx_rows_come_back_numbered_stripped_and_typed(tmp_path, engine):
    path = _write(tmp_path, "roster.bin", messy_workbook())  # the extension does not matter
    rows = _read(path, engine=engine)
    assert rows[0] == ["柳浪社区人口花名册（2026年1月）"]
    # 序号 is merged down over both header rows: the lower one reads it too, as Excel shows it
    assert rows[2] == ["序号", "*姓名", "公民身份号码（必填）", "出生\u3000日期", "手机", "备注"]
    assert rows[3] == [1, "张三", "110105199001011234", date(1990, 1, 1), 13800138000]  # stray spaces gone
    assert rows[4][2] == "110105199202022345".translate(FULLWIDTH)  # the spec decides about full-width
    assert rows[4][3] == "2026年1月5日"
    assert rows[5] == []  # row 6 is blank
    assert rows[12] == []  # and row 13
    assert len(rows) == 14


def test_both_xlsx_engines_agree_cell_for_cell(tmp_path):
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = workbook.add_worksheet()
    formats = {
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": workbook.add_format({"num_format": "yyyy/m/d h:mm"}),
        "time": workbook.add_format({"num_format": "hh:mm"}),
        "cn": workbook.add_format({"num_format": 31}),
        "money": workbook.add_format({"num_format": "#,##0.00"}),
        "sci": workbook.add_format({"num_format": "0.00E+00"}),
    }
    sheet.write("D3", "sparse")
    sheet.write_datetime("A5", datetime(2026, 1, 5), formats["date"])
    sheet.write_datetime("B5", datetime(2026, 1, 5, 8, 30), formats["datetime"])
    sheet.write_datetime("C5", time(14, 15), formats["time"])
    sheet.write_number("D5", 46027, formats["cn"])
    sheet.write_number("E5", 1234.5, formats["money"])
    sheet.write_number("F5", 12345678, formats["sci"])
    sheet.write_boolean("G5", True)
    sheet.write_formula("H5", "=1+1", None, 2)
    sheet.write_formula("I5", '="a"&"b"', None, "ab")
    sheet.write("J5", 1.1e17)
    sheet.write_string("A7", "  x\u00a0")
    sheet.write_string("C7", "_x000D_a")
    workbook.close()
    path = _write(tmp_path, "types.xlsx", output.getvalue())
    calamine, stream = _read(path, engine="calamine"), _read(path, engine="stream")
    assert calamine == stream
    assert stream[2] == [None, None, None, "sparse"]
    assert stream[4] == [
        date(2026, 1, 5),
        datetime(2026, 1, 5, 8, 30),
        time(14, 15),
        date(2026, 1, 5),
        1234.5,
        12345678,
        True,
        2,
        "ab",
        1.1e17,
    ]
    assert stream[6] == ["x", None, "_x000D_a"]  # written escaped as _x005F_x000D_, read back literally


def test_stream_reader_handles_what_other_writers_write(tmp_path):
    """A hand-written package: namespace prefixes, cells without references, inline rich text with a
    phonetic run, t="str"/"b"/"e"/"d" cells, a custom Chinese date format and the 1904 date system."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    files = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/book.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="book.xml"/></Relationships>'
        ),
        "book.xml": (
            f'<x:workbook xmlns:x="{main}" xmlns:r="{rel}"><x:workbookPr date1904="1"/><x:sheets>'
            '<x:sheet name="hidden" sheetId="1" state="hidden" r:id="rs0"/>'
            '<x:sheet name="data" sheetId="2" r:id="rs1"/></x:sheets></x:workbook>'
        ),
        "_rels/book.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rs0" Type="{rel}/worksheet" Target="/sheets/hidden.xml"/>'
            f'<Relationship Id="rs1" Type="{rel}/worksheet" Target="sheets/data.xml"/>'
            f'<Relationship Id="rs2" Type="{rel}/styles" Target="styles.xml"/></Relationships>'
        ),
        "styles.xml": (
            f'<styleSheet xmlns="{main}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;;@"/>'
            '</numFmts><cellStyleXfs count="1"><xf numFmtId="22"/></cellStyleXfs>'
            '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs></styleSheet>'
        ),
        "sheets/hidden.xml": f'<worksheet xmlns="{main}"><sheetData><row r="1"><c r="A1"><v>9</v></c></row></sheetData></worksheet>',
        "sheets/data.xml": (
            f'<x:worksheet xmlns:x="{main}"><x:dimension ref="A1:E4"/><x:sheetData>'
            '<x:row><x:c t="inlineStr"><x:is><x:r><x:t>柳</x:t></x:r><x:r><x:t xml:space="preserve">浪 </x:t></x:r>'
            '<x:rPh sb="0" eb="1"><x:t>liu</x:t></x:rPh></x:is></x:c><x:c t="b"><x:v>0</x:v></x:c>'
            '<x:c t="str"><x:f>A1</x:f><x:v>&lt;公式&gt;</x:v></x:c><x:c t="e"><x:v>#N/A</x:v></x:c></x:row>'
            '<x:row r="3"><x:c r="B3" s="1"><x:v>45000</x:v></x:c><x:c t="d"><x:v>2026-01-05T00:00:00</x:v></x:c></x:row>'
            "</x:sheetData></x:worksheet>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, text in files.items():
            package.writestr(name, text)
    path = _write(tmp_path, "handmade.xlsx", buffer.getvalue())
    with open_rows(path, engine="stream") as source:
        rows = list(source)
        assert source.total_rows == 4
    assert rows == [["柳浪", False, "<公式>"], [], [None, date(2027, 3, 16), date(2026, 1, 5)]]


def test_xls_is_read(tmp_path):
    data = xls_bytes(
        [
            ["柳浪社区花名册"],
            ["姓名", "身份证号", "出生日期"],
            ["张三", "110105199001011234", date(1990, 1, 1)],
        ]
    )
    path = _write(tmp_path, "roster.xlsx", data)  # misnamed on purpose
    with open_rows(path) as source:
        assert source.format == "xls"
        assert list(source) == [
            ["柳浪社区花名册"],
            ["姓名", "身份证号", "出生日期"],
            ["张三", "110105199001011234", date(1990, 1, 1)],
        ]


def test_encrypted_workbook_is_refused_with_a_hint(tmp_path):
    stream = "EncryptedPackage".encode("utf-16-le") + b"\x00" * 100
    path = _write(tmp_path, "secret.xlsx", compound_file(stream, "EncryptedPackage"))
    with pytest.raises(EncryptedFile) as caught:
        open_rows(path)
    assert "密码" in str(caught.value.message)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030", "utf-16"])
def test_csv_in_the_encodings_offices_use(tmp_path, encoding):
    text = '柳浪社区花名册,,\r\n姓名,身份证号,出生日期\r\n张三,110105199001011234,2026年1月5日\r\n\r\n"李,四","110105199202022345",\r\n'
    path = _write(tmp_path, "roster.csv", text.encode(encoding))
    with open_rows(path) as source:
        assert source.format == "csv"
        rows = list(source)
    assert rows == [
        ["柳浪社区花名册"],
        ["姓名", "身份证号", "出生日期"],
        ["张三", "110105199001011234", "2026年1月5日"],
        [],
        ["李,四", "110105199202022345"],
    ]


@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_csv_delimiter_is_sniffed(tmp_path, delimiter):
    text = (
        delimiter.join(["姓名", "身份证号", "备注"])
        + "\n"
        + delimiter.join(["张三", "110105199001011234", "a,b"])
        + "\n"
    )
    path = _write(tmp_path, "roster.txt", text.encode("gb18030"))
    assert _read(path) == [["姓名", "身份证号", "备注"], ["张三", "110105199001011234", "a,b"]]


# --- refusals ----------------------------------------------------------------------------------------------


def test_pdf_renamed_xlsx_is_refused(tmp_path):
    path = _write(tmp_path, "花名册.xlsx", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n")
    with pytest.raises(UnreadableFile) as caught:
        open_rows(path)
    assert str(caught.value.message) == UNREADABLE


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        b"\x00\x01\x02\x03binary\x00\x00",
        bytes(range(256)) * 4,
    ],
    ids=["png", "binary", "bytes"],
)
def test_binary_files_are_refused(tmp_path, data):
    with pytest.raises(UnreadableFile) as caught:
        open_rows(_write(tmp_path, "x.csv", data))
    assert str(caught.value.message) == UNREADABLE


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in members.items():
            package.writestr(name, data)
    return buffer.getvalue()


def test_word_document_and_plain_zip_are_refused(tmp_path):
    docx = _zip(
        {
            "[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            b'wordprocessingml.document.main+xml"/><Default Extension="xlsx" ContentType="application/vnd.'
            b'openxmlformats-officedocument.spreadsheetml.sheet"/></Types>',
            "word/document.xml": b"<document/>",
        }
    )
    for name, data in (("report.xlsx", docx), ("archive.xlsx", _zip({"a.txt": b"hello"}))):
        with pytest.raises(UnreadableFile) as caught:
            open_rows(_write(tmp_path, name, data))
        assert str(caught.value.message) == UNREADABLE


def test_zip_bomb_is_refused_before_decompressing(tmp_path):
    bomb = _zip(
        {"[Content_Types].xml": b"spreadsheetml", "xl/worksheets/sheet1.xml": b"\x00" * (50 * 1024 * 1024)}
    )
    assert len(bomb) < 100 * 1024  # 50 MB of zeros deflate to ~50 KB: a ratio of ~1000:1
    with pytest.raises(ZipBombSuspected) as caught:
        open_rows(_write(tmp_path, "bomb.xlsx", bomb))
    assert str(caught.value.message) == BOMB


def test_declared_total_size_limit(tmp_path):
    data = messy_workbook()
    with pytest.raises(ZipBombSuspected):
        open_rows(_write(tmp_path, "a.xlsx", data), limits=Limits(max_uncompressed_bytes=1000))


def _lie_about_size(data: bytes, member: str, declared: int) -> bytes:
    """Patch a member's uncompressed size in the local header and the central directory."""
    data = bytearray(data)
    name = member.encode()
    offset = 0
    while True:
        offset = data.find(b"PK\x01\x02", offset)
        assert offset != -1
        name_length = struct.unpack_from("<H", data, offset + 28)[0]
        if bytes(data[offset + 46 : offset + 46 + name_length]) == name:
            struct.pack_into("<I", data, offset + 24, declared)
            local = struct.unpack_from("<I", data, offset + 42)[0]
            struct.pack_into("<I", data, local + 22, declared)
            return bytes(data)
        offset += 4


def test_member_expanding_beyond_its_declared_size_is_stopped(tmp_path):
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = workbook.add_worksheet()
    for row in range(20000):
        sheet.write_string(row, 0, "填充数据" * 5)
    workbook.close()
    with zipfile.ZipFile(io.BytesIO(output.getvalue())) as package:
        real = package.getinfo("xl/worksheets/sheet1.xml").file_size
    lying = _lie_about_size(output.getvalue(), "xl/worksheets/sheet1.xml", 4096)
    path = _write(tmp_path, "liar.xlsx", lying)
    assert real > 100 * 4096
    for engine in ("stream", "calamine"):  # calamine is only handed a package whose sizes were proven
        with pytest.raises(ZipBombSuspected):
            _read(path, engine=engine)
    package = XlsxPackage(path, Limits())
    try:
        with pytest.raises(ZipBombSuspected):
            for _chunk in package.inflate(package.member("xl/worksheets/sheet1.xml")):
                pass
    finally:
        package.close()


def test_oversized_file_is_refused(tmp_path):
    path = _write(tmp_path, "big.csv", b"a,b\n" * 1000)
    with pytest.raises(FileTooLarge) as caught:
        open_rows(path, limits=Limits(max_upload_bytes=2048))
    assert str(caught.value.message) == "文件超过 2 KB 上限。"
    assert str(too_large(100 * 1024 * 1024).message) == "文件超过 100 MB 上限。"
    assert _read(path, limits=Limits(max_upload_bytes=10 * 1024))


def test_empty_file_is_refused(tmp_path):
    with pytest.raises(UnreadableFile):
        open_rows(_write(tmp_path, "empty.csv", b""))


# --- the header --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["calamine", "stream"])
def test_header_found_on_lower_row_of_a_two_row_header(tmp_path, engine):
    with open_rows(_write(tmp_path, "roster.xlsx", messy_workbook()), engine=engine) as source:
        match = detect_header(source, SampleSpec())
        assert match.header_row == 3
        assert match.columns == {1: "name", 2: "id_number", 3: "birth_date", 4: "phone"}
        assert match.labels["id_number"] == "公民身份号码（必填）"
        first = next(match.data_rows(source))
    assert first == (4, [1, "张三", "110105199001011234", date(1990, 1, 1), 13800138000])


def test_header_split_over_two_rows_by_vertical_merges():
    rows = iter(
        [
            ["人口花名册"],
            ["姓名", "证件信息", None, "出生日期"],
            [None, "身份证号", "证件类型", None],
            ["张三", "110105199001011234", "居民身份证", date(1990, 1, 1)],
        ]
    )
    match = detect_header(rows, SampleSpec())
    assert match.header_row == 3
    assert match.columns == {0: "name", 1: "id_number", 3: "birth_date"}


def test_missing_required_column_is_named_in_chinese():
    rows = iter([["花名册"], ["姓名", "出生日期", "联系电话"], ["张三", "1990-01-01", "13800138000"]])
    with pytest.raises(HeaderNotFound) as caught:
        detect_header(rows, SampleSpec())
    assert str(caught.value.message) == "缺少必填列：身份证号。请检查表头是否与导入模板一致。"


def test_no_header_at_all():
    rows = iter([["a", "b"], [1, 2]] * 15)
    with pytest.raises(HeaderNotFound) as caught:
        detect_header(rows, SampleSpec())
    assert "前 20 行" in str(caught.value.message)


@pytest.mark.parametrize(
    "header",
    [
        "身份证号",
        " *身份证号（必填）",
        "身份证号(18位)",
        "＊身份证号：",
        "身份\u3000证号",
        "身份证号\n【必填】",
    ],
)
def test_header_normalisation(header):
    assert normalise_header(header) == "身份证号"


def test_full_width_header_letters_and_digits():
    assert normalise_header("ＩＤ　Ｎｏ．") == normalise_header("id no.")


# --- cleaning helpers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026年1月5日", date(2026, 1, 5)),
        ("２０２６年１月５日", date(2026, 1, 5)),
        ("2026-1-5", date(2026, 1, 5)),
        ("2026/01/05", date(2026, 1, 5)),
        ("2026.1.5", date(2026, 1, 5)),
        ("20260105", date(2026, 1, 5)),
        (20260105, date(2026, 1, 5)),
        (46027, date(2026, 1, 5)),
        (46027.5, date(2026, 1, 5)),
        (datetime(2026, 1, 5, 8, 0), date(2026, 1, 5)),
        ("2026-01-05 08:30:00", date(2026, 1, 5)),
        (None, None),
        ("  ", None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["2026-02-30", "明天", "2026年1月", True])
def test_parse_date_refuses(value):
    with pytest.raises(ValueError):
        parse_date(value)


def test_text_digits():
    assert text_digits("１１０ １０５") == "110105"
    assert text_digits(13800138000) == "13800138000"
    assert text_digits(None) is None
    with pytest.raises(ValueError):
        text_digits(1.101051990010112e17)


def test_column_references():
    assert [column_index(ref) for ref in ("A1", "Z9", "AA10", "XFD1")] == [0, 25, 26, 16383]
    assert [column_letter(i) for i in (0, 25, 26, 16383)] == ["A", "Z", "AA", "XFD"]


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("yyyy/m/d", "date"),
        ('yyyy"年"m"月"d"日"', "date"),
        ("[$-804]yyyy年m月", "date"),
        ("m月d日", "date"),
        ("h:mm:ss", "time"),
        ("mm:ss", "time"),
        ("[h]:mm", "duration"),
        ("0.00E+00", None),
        ("#,##0.00;[Red]-#,##0.00", None),
        ('0"天"', None),
        ("@", None),
    ],
)
def test_custom_number_formats(code, kind):
    assert format_kind(code) == kind


def test_utf16_bom_detection_does_not_need_the_whole_file(tmp_path):
    data = codecs.BOM_UTF16_LE + "姓名\t身份证号\n".encode("utf-16-le")
    assert _read(_write(tmp_path, "u.txt", data)) == [["姓名", "身份证号"]]


def test_duration_and_time_types_stay_distinct(tmp_path):
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_number("A1", 1.5, workbook.add_format({"num_format": "[h]:mm"}))
    workbook.close()
    path = _write(tmp_path, "d.xlsx", output.getvalue())
    assert _read(path, engine="stream") == _read(path, engine="calamine") == [[timedelta(days=1.5)]]
