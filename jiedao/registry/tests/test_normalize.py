from datetime import date, datetime
from decimal import Decimal

import pytest

from jiedao.registry.normalize import (
    clean_text,
    header_key,
    parse_date_cell,
    parse_decimal_cell,
    parse_int_cell,
    to_halfwidth,
)


class TestCleanText:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (None, ""),
            ("", ""),
            (12, "12"),
            (12.0, "12"),
            (-3.0, "-3"),
            (12.5, "12.5"),
            (0.1 + 0.2, "0.3"),
            (13800138000.0, "13800138000"),
            # Excel keeps 15 significant digits: show what Excel shows, not float noise.
            (1.10105199001011e17, "110105199001011000"),
            (float("nan"), ""),
            (Decimal("12.50"), "12.50"),
            (True, "TRUE"),
            (False, "FALSE"),
            (date(2026, 1, 5), "2026-01-05"),
            # Spreadsheet readers return naive datetimes.
            (datetime(2026, 1, 5), "2026-01-05"),  # noqa: DTZ001
            (datetime(2026, 1, 5, 8, 30), "2026-01-05 08:30:00"),  # noqa: DTZ001
        ],
    )
    def test_non_text_values(self, value, expected):
        assert clean_text(value) == expected

    def test_full_width_ascii_becomes_half_width(self):
        assert clean_text("ＡＢＣ　ａｂｃ　１２３！～（）［］，：；") == "ABC abc 123!~()[],:;"

    def test_whitespace_is_stripped_and_collapsed(self):
        assert clean_text("  张\u3000\u3000三 \t\n 李四\u00a0\u00a0王五  ") == "张 三 李四 王五"

    def test_zero_width_characters_are_removed(self):
        assert clean_text("\ufeff张\u200b三\u200d") == "张三"

    def test_chinese_punctuation_outside_the_block_is_kept(self):
        assert clean_text("街道。、“办事处”") == "街道。、“办事处”"

    def test_to_halfwidth_keeps_other_text(self):
        assert to_halfwidth("街道１号\u3000Ａ座") == "街道1号 A座"


class TestParseDateCell:
    @pytest.mark.parametrize(
        "value",
        [
            "2026-01-05",
            "2026-1-5",
            "2026/1/5",
            "2026/01/05",
            "2026.1.5",
            "2026.01.05",
            "20260105",
            "2026年1月5日",
            "2026年01月05日",
            "2026 年 1 月 5 日",
            "2026年1月5号",
            "２０２６－０１－０５",
            "２０２６年１月５日",
            " 2026-01-05 ",
            "2026-01-05 00:00:00",
            "2026-01-05T08:30",
            date(2026, 1, 5),
            datetime(2026, 1, 5, 23, 59),  # noqa: DTZ001 - spreadsheet readers return naive datetimes
            46027,
            46027.0,
            46027.75,  # time of day is dropped
            Decimal("46027"),
        ],
    )
    def test_accepted_forms(self, value):
        assert parse_date_cell(value) == date(2026, 1, 5)

    def test_excel_serial_44927_is_2023_01_01(self):
        assert parse_date_cell(44927) == date(2023, 1, 1)

    @pytest.mark.parametrize(
        ("serial", "expected"),
        [
            (1, date(1900, 1, 1)),
            (31, date(1900, 1, 31)),
            (59, date(1900, 2, 28)),
            (61, date(1900, 3, 1)),
            (2958465, date(9999, 12, 31)),
        ],
    )
    def test_excel_serials_around_the_lotus_bug(self, serial, expected):
        assert parse_date_cell(serial) == expected

    def test_serial_60_is_the_fake_leap_day(self):
        with pytest.raises(ValueError, match="1900-02-29"):
            parse_date_cell(60)
        with pytest.raises(ValueError, match="1900-02-29"):
            parse_date_cell(60.5)

    @pytest.mark.parametrize("serial", [0, -1, 0.5, 2958466])
    def test_out_of_range_serials(self, serial):
        with pytest.raises(ValueError, match="Excel 日期序号"):
            parse_date_cell(serial)

    @pytest.mark.parametrize("value", ["26-1-5", "26/01/05", "1/5/2026", "05.01.2026", "26年1月5日"])
    def test_ambiguous_forms_are_rejected(self, value):
        with pytest.raises(ValueError) as excinfo:
            parse_date_cell(value)
        assert (
            str(excinfo.value)
            == f"日期“{value}”有歧义：年份须写全四位并放在最前，请写成 2026-01-05 这样的格式。"
        )

    @pytest.mark.parametrize("value", ["2026-02-30", "2026/13/1", "20260230", "2025年2月29日"])
    def test_impossible_dates(self, value):
        with pytest.raises(ValueError) as excinfo:
            parse_date_cell(value)
        assert str(excinfo.value) == f"日期 {value} 不存在。"

    @pytest.mark.parametrize("value", ["abc", "2026-01", "202601", "2026-01/05", "4492", "明天"])
    def test_unrecognised_text(self, value):
        with pytest.raises(ValueError, match="^无法识别日期"):
            parse_date_cell(value)

    # Issue 3: an 8-digit number typed into a numeric cell is a date written YYYYMMDD.
    @pytest.mark.parametrize("value", [19920404, 19920404.0, Decimal("19920404"), Decimal("19920404.000")])
    def test_eight_digit_number_is_a_compact_date(self, value):
        assert parse_date_cell(value) == date(1992, 4, 4)

    @pytest.mark.parametrize(
        ("value", "expected"),
        [(18900101, date(1890, 1, 1)), (21001231, date(2100, 12, 31)), (20000229, date(2000, 2, 29))],
    )
    def test_compact_number_date_limits(self, value, expected):
        assert parse_date_cell(value) == expected

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            (19921304, "日期 19921304 不存在（按年月日读取为 1992 年 13 月 4 日）。"),
            (20230229, "日期 20230229 不存在（按年月日读取为 2023 年 2 月 29 日）。"),
            (18891231, "日期 18891231 超出范围（按年月日读取，应在 1890-01-01 至 2100-12-31 之间）。"),
            (21010101, "日期 21010101 超出范围（按年月日读取，应在 1890-01-01 至 2100-12-31 之间）。"),
        ],
    )
    def test_eight_digit_number_that_is_no_date(self, value, message):
        with pytest.raises(ValueError) as excinfo:
            parse_date_cell(value)
        assert str(excinfo.value) == message
        assert "Excel 日期序号" not in message

    def test_a_fractional_eight_digit_number_is_still_a_serial_out_of_range(self):
        with pytest.raises(ValueError, match="Excel 日期序号 19920404.5 超出范围"):
            parse_date_cell(19920404.5)

    @pytest.mark.parametrize(
        ("value", "shown"), [("44000", "2020-06-18"), ("44927", "2023-01-01"), ("44000.5", "2020-06-18")]
    )
    def test_serial_in_a_text_cell_is_refused_naming_its_date(self, value, shown):
        """A CSV cell is text: 44000 there is refused (it may as well be a typo or an amount), with the date it
        would be so that the office can correct the column."""
        with pytest.raises(ValueError) as excinfo:
            parse_date_cell(value)
        assert str(excinfo.value) == (
            f"“{value}”像是 Excel 日期序号（对应 {shown}）。文字单元格（如 CSV 文件）中的数字不按日期序号读取，"
            f"以免把填错的数字当成日期：请写成 {shown} 这样的日期。"
        )

    @pytest.mark.parametrize("value", [None, "", "  ", "\u3000", float("nan")])
    def test_empty(self, value):
        with pytest.raises(ValueError, match="^日期不能为空。$"):
            parse_date_cell(value)

    def test_bool_is_not_a_date(self):
        with pytest.raises(ValueError, match="不是有效的日期"):
            parse_date_cell(True)


class TestParseIntCell:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (12, 12),
            (12.0, 12),
            (Decimal("12.00"), 12),
            ("12", 12),
            ("  12 ", 12),
            ("1,234", 1234),
            ("1,234,567", 1234567),
            ("１２３", 123),
            ("１，２３４", 1234),
            ("12.00", 12),
            ("-5", -5),
            ("+5", 5),
            ("－５", -5),
            ("\u22127", -7),
            ("0", 0),
        ],
    )
    def test_accepted(self, value, expected):
        result = parse_int_cell(value)
        assert result == expected
        assert type(result) is int

    @pytest.mark.parametrize("value", [12.5, "12.5", Decimal("0.1")])
    def test_not_integral(self, value):
        with pytest.raises(ValueError, match="不是整数。$"):
            parse_int_cell(value)

    @pytest.mark.parametrize("value", ["abc", "12a", "1,23", "12,3456", "1.2.3", "12%", True, "--1"])
    def test_not_a_number(self, value):
        with pytest.raises(ValueError, match="不是有效的数字。$"):
            parse_int_cell(value)

    @pytest.mark.parametrize("value", [None, "", "   "])
    def test_empty(self, value):
        with pytest.raises(ValueError, match="^数值不能为空。$"):
            parse_int_cell(value)


class TestParseDecimalCell:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("12.50", "12.50"),
            ("12.5", "12.5"),
            (12.5, "12.5"),
            (0.1 + 0.2, "0.3"),
            (3, "3"),
            ("1,234.5", "1234.5"),
            ("１２．５０", "12.50"),
            ("-0.75", "-0.75"),
            (".5", "0.5"),
            (Decimal("7.10"), "7.10"),
        ],
    )
    def test_accepted(self, value, expected):
        result = parse_decimal_cell(value)
        assert isinstance(result, Decimal)
        assert str(result) == expected

    def test_keeps_scale_of_text(self):
        assert parse_decimal_cell("12.50").as_tuple().exponent == -2

    @pytest.mark.parametrize("value", ["abc", "12%", "¥12", "12元", "NaN", "Infinity", "1e5", Decimal("NaN")])
    def test_rejected(self, value):
        with pytest.raises(ValueError, match="不是有效的数字。$"):
            parse_decimal_cell(value)

    def test_empty(self):
        with pytest.raises(ValueError, match="^数值不能为空。$"):
            parse_decimal_cell("")


class TestHeaderKey:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("姓名", "姓名"),
            ("*姓名", "姓名"),
            ("姓名*", "姓名"),
            ("＊ 姓名", "姓名"),
            ("身份证号（必填）", "身份证号"),
            ("身份证号(必填)", "身份证号"),
            ("* 身份证号 （必填）", "身份证号"),
            ("出生日期【选填】", "出生日期"),
            ("面积[平方米]", "面积"),
            ("备注（可选（最多200字））", "备注"),
            ("联 系 电 话", "联系电话"),
            ("联系电话：", "联系电话"),
            ("Ｅｍａｉｌ", "email"),
            (" ID ", "id"),
            (None, ""),
            (2026, "2026"),
        ],
    )
    def test_normalised(self, value, expected):
        assert header_key(value) == expected

    def test_variants_match(self):
        assert header_key("* 联系电话（必填）") == header_key("联系电话") == header_key("联系电话(必填)")
