import pickle
from datetime import date

import pytest

from jiedao.registry.validators import (
    USCC_CHARSET,
    IdNumber,
    InvalidNumber,
    Phone,
    Uscc,
    compute_check_char,
    compute_org_check_char,
    compute_uscc_check_char,
    looks_like_float_damage,
    make_id_number,
    make_uscc,
    parse_id_number,
    parse_phone,
    parse_uscc,
)

TODAY = date(2026, 1, 5)


def _with_check(first17: str) -> str:
    return first17 + compute_check_char(first17)


def _error(func, raw, **kwargs) -> InvalidNumber:
    with pytest.raises(InvalidNumber) as excinfo:
        func(raw, **kwargs)
    return excinfo.value


# ------------------------------------------------------------- check character


class TestComputeCheckChar:
    def test_published_sample_from_gb11643(self):
        assert compute_check_char("11010519491231002") == "X"
        assert compute_check_char("44052418800101001") == "4"

    def test_every_remainder_maps_through_10X98765432(self):
        # Vary the last digit (weight 2): the remainders walk through the map.
        seen = {compute_check_char(f"1101051990010100{d}") for d in range(10)}
        assert len(seen) == 10
        assert seen <= set("0123456789X")

    @pytest.mark.parametrize("bad", ["1101051949123100", "110105194912310021", "1101051949123100A"])
    def test_rejects_anything_but_17_digits(self, bad):
        with pytest.raises(ValueError):
            compute_check_char(bad)


class TestMakeIdNumber:
    def test_generates_a_number_that_parses(self):
        number = make_id_number("330106", date(1985, 7, 1), 123)
        assert number[:17] == "33010619850701123"
        parsed = parse_id_number(number, today=TODAY)
        assert parsed.number == number
        assert parsed.birth_date == date(1985, 7, 1)
        assert parsed.gender == "1"

    def test_even_sequence_is_female_and_is_zero_padded(self):
        number = make_id_number("110105", date(2000, 2, 29), 8)
        assert number[14:17] == "008"
        assert parse_id_number(number, today=TODAY).gender == "2"

    @pytest.mark.parametrize(
        ("region", "sequence"), [("11010", 1), ("11010A", 1), ("110105", 1000), ("110105", -1)]
    )
    def test_rejects_bad_arguments(self, region, sequence):
        with pytest.raises(ValueError):
            make_id_number(region, date(1990, 1, 1), sequence)


# ------------------------------------------------------------- parse_id_number


class TestParseIdNumberValid:
    def test_published_sample(self):
        parsed = parse_id_number("11010519491231002X", today=TODAY)
        assert parsed == IdNumber(
            number="11010519491231002X",
            kind="citizen",
            birth_date=date(1949, 12, 31),
            gender="2",
            region_code="110105",
            upgraded_from_15=False,
        )
        assert str(parsed) == "11010519491231002X"
        assert parsed.masked == "110105********002X"
        assert parsed.is_male is False

    def test_lower_case_x_is_stored_as_upper_case(self):
        assert parse_id_number("11010519491231002x", today=TODAY).number == "11010519491231002X"

    def test_full_width_and_spaces_are_normalised(self):
        raw = "\u00a0１１０１０５\u3000１９４９１２３１ ００２ｘ "
        assert parse_id_number(raw, today=TODAY).number == "11010519491231002X"

    def test_male_from_odd_17th_digit(self):
        number = _with_check("32010619900101123")
        parsed = parse_id_number(number, today=TODAY)
        assert parsed.gender == "1"
        assert parsed.is_male
        assert parsed.region_code == "320106"

    def test_retired_region_code_is_still_valid(self):
        # 110103 (the old 崇文区) was merged away in 2010; a number is for life.
        number = _with_check("11010319750615004")
        assert parse_id_number(number, today=TODAY).region_code == "110103"

    @pytest.mark.parametrize("province", ["11", "15", "23", "37", "46", "54", "65", "71"])
    def test_province_codes_at_the_edges_of_each_range(self, province):
        number = _with_check(f"{province}010219800101001")
        assert parse_id_number(number, today=TODAY).kind == "citizen"

    @pytest.mark.parametrize(
        ("prefix", "kind"),
        [("810000", "hk_macao_permit"), ("820000", "hk_macao_permit"), ("830000", "taiwan_permit")],
    )
    def test_residence_permits(self, prefix, kind):
        number = _with_check(f"{prefix}19900101002")
        parsed = parse_id_number(number, today=TODAY)
        assert parsed.kind == kind
        assert parsed.region_code == prefix
        assert parsed.birth_date == date(1990, 1, 1)

    def test_foreign_permanent_residence_card(self):
        number = _with_check("93384019880512017")
        parsed = parse_id_number(number, today=TODAY)
        assert parsed.kind == "foreign_permanent"
        assert parsed.birth_date == date(1988, 5, 12)
        assert parsed.gender == "1"

    def test_foreign_permanent_wrong_check_names_the_card(self):
        first17 = "93384019880512017"
        wrong = "0" if compute_check_char(first17) != "0" else "1"
        err = _error(parse_id_number, first17 + wrong, today=TODAY)
        assert err.code == "check_digit"
        assert err.message.startswith("外国人永久居留身份证号码校验位错误：第18位应为 ")

    def test_born_today_is_allowed(self):
        number = make_id_number("110105", TODAY, 1)
        assert parse_id_number(number, today=TODAY).birth_date == TODAY

    def test_born_on_1890_01_01_is_allowed(self):
        number = make_id_number("110105", date(1890, 1, 1), 1)
        assert parse_id_number(number, today=TODAY).birth_date == date(1890, 1, 1)

    def test_int_input(self):
        number = make_id_number("110105", date(1990, 1, 1), 11)
        assert number[-1] != "X"
        assert parse_id_number(int(number), today=TODAY).number == number

    def test_default_today_is_used(self):
        assert parse_id_number("11010519491231002X").birth_date == date(1949, 12, 31)


class TestUpgradeFrom15:
    def test_published_sample(self):
        parsed = parse_id_number("110105491231002", today=TODAY)
        assert parsed.number == "11010519491231002X"
        assert parsed.upgraded_from_15 is True
        assert parsed.birth_date == date(1949, 12, 31)
        assert parsed.gender == "2"
        assert parsed.region_code == "110105"
        assert parsed.kind == "citizen"

    def test_exact_float_from_excel_is_accepted(self):
        # 15 digits fit a double exactly, so such a cell did not lose anything.
        assert parse_id_number(110105491231002.0, today=TODAY).number == "11010519491231002X"
        assert parse_id_number("110105491231002.0", today=TODAY).number == "11010519491231002X"

    def test_impossible_birth_date(self):
        err = _error(parse_id_number, "110105490230002", today=TODAY)
        assert err.code == "birth_date"
        assert err.message == "出生日期 19490230 不存在。"

    def test_non_digit(self):
        err = _error(parse_id_number, "11010549123100X", today=TODAY)
        assert err.code == "charset"
        assert err.message == "公民身份号码第15位“X”不是数字。"

    def test_non_mainland_province(self):
        err = _error(parse_id_number, "810000491231002", today=TODAY)
        assert err.code == "region"
        assert "“81”" in err.message

    def test_2017_foreign_card_is_reported_as_unsupported(self):
        err = _error(parse_id_number, "USA110065010101", today=TODAY)
        assert err.code == "unsupported"
        assert "2017版外国人永久居留身份证" in err.message


class TestParseIdNumberErrors:
    def test_17_characters(self):
        err = _error(parse_id_number, "11010519491231002", today=TODAY)
        assert err.code == "length"
        assert err.message == "公民身份号码应为18位（或15位旧号码），当前为17位。"
        assert str(err) == err.message
        assert isinstance(err, ValueError)

    def test_error_survives_pickling(self):
        err = _error(parse_id_number, "11010519491231002", today=TODAY)
        copy = pickle.loads(pickle.dumps(err))
        assert (copy.message, copy.code, str(copy)) == (err.message, "length", err.message)

    def test_19_characters(self):
        err = _error(parse_id_number, "11010519491231002X1", today=TODAY)
        assert err.code == "length"
        assert err.message == "公民身份号码应为18位（或15位旧号码），当前为19位。"

    @pytest.mark.parametrize("raw", ["", "   ", "\u3000", None])
    def test_empty(self, raw):
        err = _error(parse_id_number, raw, today=TODAY)
        assert err.code == "empty"
        assert err.message == "公民身份号码不能为空。"

    def test_non_digit_character(self):
        err = _error(parse_id_number, "1101051949A231002X", today=TODAY)
        assert err.code == "charset"
        assert err.message == "公民身份号码第11位“A”不是数字。"

    def test_x_only_allowed_last(self):
        err = _error(parse_id_number, "1101051949123100X2", today=TODAY)
        assert err.code == "charset"
        assert err.message == "公民身份号码第17位“X”不是数字。"

    def test_bad_last_character(self):
        err = _error(parse_id_number, "11010519491231002Y", today=TODAY)
        assert err.code == "charset"
        assert err.message == "公民身份号码第18位“Y”无效，只能是数字或 X。"

    def test_wrong_check_character_says_the_expected_one(self):
        err = _error(parse_id_number, "110105194912310023", today=TODAY)
        assert err.code == "check_digit"
        assert err.message == "公民身份号码校验位错误：第18位应为 X，实际为 3。"

    def test_wrong_check_character_digit_expected(self):
        number = make_id_number("310104", date(1990, 1, 1), 27)
        expected = number[-1]
        wrong = "X" if expected != "X" else "0"
        err = _error(parse_id_number, number[:17] + wrong, today=TODAY)
        assert err.message == f"公民身份号码校验位错误：第18位应为 {expected}，实际为 {wrong}。"

    def test_february_30(self):
        err = _error(parse_id_number, _with_check("11010519900230002"), today=TODAY)
        assert err.code == "birth_date"
        assert err.message == "出生日期 19900230 不存在。"

    def test_month_13(self):
        err = _error(parse_id_number, _with_check("11010519901301002"), today=TODAY)
        assert err.code == "birth_date"
        assert err.message == "出生日期 19901301 不存在。"

    def test_future_birth_date(self):
        err = _error(parse_id_number, make_id_number("110105", date(2026, 1, 6), 2), today=TODAY)
        assert err.code == "birth_date"
        assert err.message == "出生日期 20260106 晚于今天（20260105），号码有误。"

    def test_birth_before_1890(self):
        # The sample in GB 11643-1999 itself (born 1880) has a correct check digit,
        # but a living resident cannot have been born before 1890.
        err = _error(parse_id_number, "440524188001010014", today=TODAY)
        assert err.code == "birth_date"
        assert err.message == "出生日期 18800101 早于 1890年1月1日，号码有误。"

    @pytest.mark.parametrize(
        "province", ["00", "10", "16", "20", "24", "30", "38", "40", "47", "55", "60", "66", "72", "84"]
    )
    def test_invalid_province(self, province):
        err = _error(parse_id_number, _with_check(f"{province}010519900101002"), today=TODAY)
        assert err.code == "region"
        assert err.message == f"公民身份号码前两位“{province}”不是有效的省级行政区划代码。"

    def test_permit_prefix_must_be_exact(self):
        err = _error(parse_id_number, _with_check("81010019900101002"), today=TODAY)
        assert err.code == "region"
        assert err.message == "港澳居民居住证号码前6位应为 810000，实际为 810100。"


class TestExcelDamage:
    EXPECTED = "身份证号码被 Excel 当作数字保存，后几位已丢失（如 1.10105E+17），请将该列设为文本后重新录入。"

    @pytest.mark.parametrize(
        "raw",
        [
            "1.10105199001011E+17",
            "1.10105E+17",
            "1.10105e+17",
            "110105199001011000.0",
            "110105199001011000.",
            1.10105199001011e17,
        ],
    )
    def test_scientific_and_decimal_forms(self, raw):
        err = _error(parse_id_number, raw, today=TODAY)
        assert err.code == "excel_precision"
        assert err.message == self.EXPECTED

    def test_trailing_zeros_with_failed_check_get_a_hint(self):
        number = "110105199001011000"
        assert compute_check_char(number[:17]) != "0"
        err = _error(parse_id_number, number, today=TODAY)
        assert err.code == "check_digit"
        assert err.message.startswith(
            f"公民身份号码校验位错误：第18位应为 {compute_check_char(number[:17])}，实际为 0。"
        )
        assert "Excel" in err.message

    def test_ordinary_check_failure_has_no_hint(self):
        assert "Excel" not in _error(parse_id_number, "110105194912310023", today=TODAY).message

    def test_16_digits_from_a_float_get_a_hint(self):
        err = _error(parse_id_number, "1101051990010100", today=TODAY)
        assert err.code == "length"
        assert err.message.startswith("公民身份号码应为18位（或15位旧号码），当前为16位。")
        assert "Excel" in err.message

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("1.10105E+17", True),
            ("1.10105199001011E+17", True),
            ("110105199001011000.0", True),
            (1.10105199001011e17, True),
            ("110105199001011000", True),  # ends in 000 and the check fails
            ("11010519900101100", True),  # 17 digits, zeros after the 15th
            ("1101051990010110", True),
            ("11010519491231002X", False),
            ("110105194912310023", False),  # check fails but no trailing zeros
            ("11010519900101120", False),
            ("110105491231002", False),
        ],
    )
    def test_looks_like_float_damage(self, raw, expected):
        assert looks_like_float_damage(raw) is expected

    def test_genuine_number_ending_in_000_is_not_flagged(self):
        # Some real numbers end in 000; only a failed check makes it suspicious.
        genuine = next(
            _with_check(f"110105199001{day:02d}{n}00")
            for day in range(1, 29)
            for n in range(10)
            if compute_check_char(f"110105199001{day:02d}{n}00") == "0"
        )
        assert genuine.endswith("000")
        assert looks_like_float_damage(genuine) is False
        assert parse_id_number(genuine, today=TODAY).number == genuine


class TestAgeOn:
    def test_before_and_on_birthday(self):
        parsed = parse_id_number("11010519491231002X", today=TODAY)
        assert parsed.age_on(date(2025, 12, 30)) == 75
        assert parsed.age_on(date(2025, 12, 31)) == 76
        assert parsed.age_on(date(1949, 12, 31)) == 0

    def test_leap_day_birthday(self):
        parsed = parse_id_number(make_id_number("110105", date(2000, 2, 29), 1), today=TODAY)
        assert parsed.age_on(date(2018, 2, 28)) == 17
        assert parsed.age_on(date(2018, 3, 1)) == 18
        assert parsed.age_on(date(2020, 2, 29)) == 20

    def test_before_birth_is_an_error(self):
        parsed = parse_id_number("11010519491231002X", today=TODAY)
        with pytest.raises(ValueError):
            parsed.age_on(date(1949, 12, 30))

    def test_frozen(self):
        parsed = parse_id_number("11010519491231002X", today=TODAY)
        with pytest.raises(AttributeError):
            parsed.number = "x"


# ------------------------------------------------------------------- USCC


class TestUsccChecks:
    def test_organisation_code_check(self):
        # M=22, Y=34: 22*3 + 1*5 + 34*2 = 139; 139 % 11 = 7; 11 - 7 = 4
        assert compute_org_check_char("M000100Y") == "4"

    def test_organisation_code_check_maps_10_to_x_and_11_to_0(self):
        assert compute_org_check_char("00000000") == "0"  # sum 0 -> 11 - 0 = 11 -> "0"
        assert compute_org_check_char("00000006") == "X"  # 6*2 = 12; 12 % 11 = 1 -> 10 -> "X"
        assert compute_org_check_char("00000005") == "1"  # 5*2 = 10; 11 - 10 = 1
        assert compute_org_check_char("A0000000") == "3"  # A=10; 10*3 = 30; 30 % 11 = 8 -> 3

    def test_final_check(self):
        assert compute_uscc_check_char("91350100M000100Y4") == "3"

    def test_charset_has_31_characters_without_i_o_z_s_v(self):
        assert len(USCC_CHARSET) == 31
        assert not set("IOZSV") & set(USCC_CHARSET)


class TestParseUscc:
    def test_published_sample(self):
        parsed = parse_uscc("91350100M000100Y43")
        assert parsed == Uscc(
            code="91350100M000100Y43",
            authority="9",
            org_type="1",
            region_code="350100",
            organisation_code="M000100Y4",
        )
        assert parsed.authority_label == "工商（市场监管）"
        assert parsed.organisation_code_display == "M000100Y-4"
        assert str(parsed) == "91350100M000100Y43"

    def test_normalises_case_spaces_and_full_width(self):
        assert parse_uscc(" 9135 0100 m000 100y 43 ").code == "91350100M000100Y43"
        assert parse_uscc("９１３５０１００Ｍ０００１００Ｙ４３").code == "91350100M000100Y43"

    @pytest.mark.parametrize(
        ("region", "body", "authority", "org_type"),
        [
            ("110105", "12345678", "9", "1"),
            ("330106", "50012345", "5", "3"),
            ("440300", "00000006", "1", "2"),
            ("100000", "87654321", "Y", "1"),
        ],
    )
    def test_generated_codes_parse(self, region, body, authority, org_type):
        code = make_uscc(region, body, authority=authority, org_type=org_type)
        parsed = parse_uscc(code)
        assert parsed.code == code
        assert parsed.authority == authority
        assert parsed.org_type == org_type
        assert parsed.region_code == region
        assert parsed.organisation_code == body + compute_org_check_char(body)

    def test_length(self):
        err = _error(parse_uscc, "91350100M000100Y4")
        assert err.code == "length"
        assert err.message == "统一社会信用代码应为18位，当前为17位。"

    def test_empty(self):
        assert _error(parse_uscc, "  ").code == "empty"

    @pytest.mark.parametrize(("position", "letter"), [(5, "O"), (9, "I"), (12, "Z"), (16, "S"), (18, "V")])
    def test_forbidden_letters_are_named(self, position, letter):
        code = list("91350100M000100Y43")
        code[position - 1] = letter
        err = _error(parse_uscc, "".join(code))
        assert err.code == "charset"
        assert err.message == f"统一社会信用代码不能包含字母 I、O、Z、S、V，第{position}位为 {letter}。"

    def test_sample_message_from_the_brief(self):
        assert (
            _error(parse_uscc, "9135O100M000100Y43").message
            == "统一社会信用代码不能包含字母 I、O、Z、S、V，第5位为 O。"
        )

    def test_other_invalid_character(self):
        err = _error(parse_uscc, "91350100-000100Y43")
        assert err.code == "charset"
        assert err.message == "统一社会信用代码第9位“-”不是有效字符，只能是数字和大写字母。"

    def test_unknown_authority(self):
        err = _error(parse_uscc, "B1350100M000100Y43")
        assert err.code == "authority"
        assert err.message == "统一社会信用代码第1位（登记管理部门代码）“B”无效。"

    def test_region_must_be_digits(self):
        err = _error(parse_uscc, "9135A100M000100Y43")
        assert err.code == "region"

    def test_bad_organisation_code_check(self):
        err = _error(parse_uscc, "91350100M000100Y53")
        assert err.code == "org_check_digit"
        assert (
            err.message == "统一社会信用代码中的组织机构代码（第9–17位）校验位错误：第17位应为 4，实际为 5。"
        )

    def test_bad_final_check(self):
        err = _error(parse_uscc, "91350100M000100Y44")
        assert err.code == "check_digit"
        assert err.message == "统一社会信用代码校验位错误：第18位应为 3，实际为 4。"

    def test_make_uscc_rejects_bad_arguments(self):
        with pytest.raises(ValueError):
            make_uscc("11010", "12345678")
        with pytest.raises(ValueError):
            make_uscc("110105", "1234567O")
        with pytest.raises(ValueError):
            make_uscc("110105", "12345678", authority="B")


# ------------------------------------------------------------------ phones


class TestParsePhone:
    @pytest.mark.parametrize(
        "raw",
        [
            "13800138000",
            "138 0013 8000",
            "138-0013-8000",
            "+86 138 0013 8000",
            "+8613800138000",
            "0086 13800138000",
            "１３８００１３８０００",
            13800138000,
            13800138000.0,
        ],
    )
    def test_mobile(self, raw):
        assert parse_phone(raw) == Phone(
            e164="+8613800138000", national="13800138000", kind="mobile", display="138 0013 8000"
        )

    @pytest.mark.parametrize(
        "raw",
        [
            "010-12345678",
            "01012345678",
            "(010)12345678",
            "（010）1234 5678",
            "+86 10 1234 5678",
            "０１０－１２３４５６７８",
            "010–12345678",
        ],
    )
    def test_beijing_fixed_line(self, raw):
        assert parse_phone(raw) == Phone(
            e164="+861012345678", national="01012345678", kind="fixed", display="010-12345678"
        )

    @pytest.mark.parametrize(
        "raw", ["0571 8765 4321", "(0571)87654321", "0571-87654321", "0086 571 87654321"]
    )
    def test_hangzhou_fixed_line(self, raw):
        assert parse_phone(raw) == Phone(
            e164="+8657187654321", national="057187654321", kind="fixed", display="0571-87654321"
        )

    @pytest.mark.parametrize(
        "raw",
        ["1380013800", "138001380001", "12345", "+1 650 253 0000", "0755-2345678", "95588", "0106234567"],
    )
    def test_invalid(self, raw):
        err = _error(parse_phone, raw)
        assert err.code == "format"
        assert err.message.startswith("电话号码格式不正确：")

    @pytest.mark.parametrize("raw", ["0571-1234", "05711234", "+86 571 1234", "010-95588", "0571-12345"])
    def test_an_area_code_with_a_short_number_is_rejected(self, raw):
        err = _error(parse_phone, raw)
        assert err.code == "format" and err.message.startswith("电话号码格式不正确：")

    def test_a_seven_digit_local_number_is_a_landline(self):
        assert parse_phone("0951-5012345").display == "0951-5012345"

    def test_fixed_line_without_area_code(self):
        err = _error(parse_phone, "87654321")
        assert (
            err.message
            == "电话号码格式不正确：固定电话“87654321”缺少区号，请写成“区号-号码”，如 010-12345678。"
        )

    @pytest.mark.parametrize(
        "raw", ["138abc38000", "010-12345678转123", "010-12345678 ext 12", "13800138000/13900139000"]
    )
    def test_letters_and_extensions_are_rejected(self, raw):
        err = _error(parse_phone, raw)
        assert err.code == "format"
        assert err.message.startswith("电话号码格式不正确：")

    @pytest.mark.parametrize("raw", ["4008001234", "800-810-8888"])
    def test_service_numbers_are_rejected(self, raw):
        err = _error(parse_phone, raw)
        assert err.code == "type"
        assert err.message.startswith("电话号码格式不正确：")

    def test_empty(self):
        assert _error(parse_phone, "  ").code == "empty"
        assert _error(parse_phone, None).code == "empty"
