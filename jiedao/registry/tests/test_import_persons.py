"""Importing a messy community roster into the registry through the spreadsheet engine: persons created and
updated by the ID number's blind index, every refused row reported with its row, column and a Chinese reason,
households created from their head's row, one audit event per batch, scope, and idempotent re-imports."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import OutOfScope, PermissionDenied
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.registry.models import Household, HouseholdMember, LifeEvent, Person
from jiedao.registry.tests.factories import house, new_id_number, person, staff
from jiedao.registry.validators import compute_check_char
from jiedao.spreadsheets.models import ImportJob
from jiedao.spreadsheets.services import error_workbook, import_run, import_start
from jiedao.spreadsheets.specs import get_spec

run_jobs = pytest.mark.django_db(transaction=True)
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
FORMULA = "=cmd|' /C calc'!A0"
SPEC = "registry-persons"
HEADERS = [
    "序号",
    "*姓名",
    "公民身份号码（必填）",
    "性别",
    "出生日期",
    "民族",
    "手机号",
    "文化程度",
    "政治面貌",
    "婚姻状况",
    "现住址",
    "户籍地址",
    "户号",
    "与户主关系",
    "备注",
]


class AsNumber(float):
    """An ID number typed into a numeric cell: Excel keeps 15 significant digits."""


def workbook(rows: list[list | None], headers=HEADERS, title="柳浪社区人口花名册") -> bytes:
    """A roster as community offices keep them: a title row, a merged group header above the real header
    (序号 merged down over both), then `rows` from spreadsheet row 4 (None: a blank row)."""
    output = io.BytesIO()
    book = xlsxwriter.Workbook(
        output, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False}
    )
    sheet = book.add_worksheet("花名册")
    date_format = book.add_format({"num_format": 'yyyy"年"m"月"d"日"'})
    text = book.add_format({"num_format": "@"})
    last = len(headers) - 1
    sheet.merge_range(0, 0, 0, last, f"{title}（2026年11月）")
    sheet.merge_range(1, 0, 2, 0, headers[0])
    middle = min(5, last - 2)
    sheet.merge_range(1, 1, 1, middle, "基本信息")
    sheet.merge_range(1, middle + 1, 1, last, "联系与居住")
    for column, title_text in enumerate(headers[1:], start=1):
        sheet.write_string(2, column, title_text)
    for offset, cells in enumerate(rows):
        if cells is None:
            continue
        row = 3 + offset
        for column, value in enumerate(cells):
            if value is None:
                continue
            if isinstance(value, date):
                sheet.write_datetime(row, column, value, date_format)
            elif isinstance(value, str):
                sheet.write_string(row, column, value, text if column == 2 else None)
            else:
                sheet.write_number(row, column, value)
    book.close()
    return output.getvalue()


def upload(data: bytes, name="柳浪社区花名册.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def run(user, org, data: bytes, spec=SPEC) -> ImportJob:
    job = import_start(actor=user, spec_key=spec, org=org, uploaded_file=upload(data))
    job.refresh_from_db()
    assert job.status == "done", job.failure_message
    return job


def errors_of(job) -> list[tuple]:
    """(row, column, value, reason) of the error workbook the user downloads."""
    sheet = openpyxl.load_workbook(error_workbook(job), read_only=True)["错误明细"]
    rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ("行号", "列号", "列名", "单元格内容", "错误原因")
    return [(number, column, value, reason) for number, _letter, column, value, reason in rows[1:]]


def wrong_check(number: str) -> tuple[str, str]:
    right = compute_check_char(number[:17])
    wrong = "1" if right != "1" else "2"
    return number[:17] + wrong, right


@pytest.fixture
def world(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    clerk = staff(tree.community_a1)
    other_clerk = staff(tree.community_b1)
    home = house(clerk, tree.community_a1, street="幸福路12号", building="3幢", unit="2单元", room="301")
    return tree, clerk, other_clerk, home


def roster(world):
    """The messy roster and what each row should become."""
    tree, clerk, other_clerk, _home = world
    ids = {
        "zhang": new_id_number(date(1990, 3, 7)),
        "li": new_id_number(date(1991, 6, 18), female=True),
        "wang": new_id_number(date(1985, 3, 7)),
        "formula": new_id_number(date(2001, 12, 1)),
        "bad_check": new_id_number(date(1970, 1, 2)),
        "gender": new_id_number(date(1980, 8, 8), female=True),
        "ethnic": new_id_number(date(1979, 9, 9)),
        "orphan": new_id_number(date(2010, 10, 10)),
    }
    outsider = person(other_clerk, tree.community_b1, name="外社区")
    known = person(clerk, tree.community_a1, name="老住户", phone="13900000000")
    bad_check, right = wrong_check(ids["bad_check"])
    rows = [
        # 4: the head of a new household, a real Excel date, the phone as a number, an existing house
        [1, "张三", ids["zhang"], "男", date(1990, 3, 7), "汉族", 13800138000, "大学本科毕业", "群众", "已婚",
         "幸福路12号 3幢2单元301", "浙江省杭州市明湖区幸福路12号", "H001", "户主"],
        # 5: full-width digits, stray spaces, a text date, codes instead of labels; joins the new household
        [2, " 李四\u3000", ids["li"].translate(FULLWIDTH), "女", "1991年6月18日", "01", " 139 0000 1111 ", "21",
         "13", "20", None, None, "H001", "10"],
        None,  # 6: blank
        # 7: "1985/3/7", an address matching no house (kept as text), Chinese name typed with a space
        [3, "王  五", f" {ids['wang']} ", None, "1985/3/7", "汉", None, "高中", "党员", None, "柳浪路88号"],
        # 8: the ID was typed into a number cell and lost its last digits
        [4, "赵六", AsNumber(1.10105199001011e17), "男", "1990.03.07"],
        # 9: row 4 again
        [5, "张三", ids["zhang"], "男", date(1990, 3, 7)],
        # 10: a wrong check character
        [6, "钱七", bad_check, "男"],
        # 11: a 17-character ID
        [7, "孙八", ids["wang"][:17], "男"],
        # 12: registered in another community
        [8, "外社区", outsider.id_number, "男"],
        # 13: formula injection in the name (refused by the name rule); birth date as a bare Excel serial number
        [9, FORMULA, ids["formula"], None, (date(2001, 12, 1) - date(1899, 12, 30)).days, "汉族"],
        None,  # 14: blank
        # 15: a member of a household nobody has registered
        [10, "周九", ids["orphan"], None, "2010.10.10", None, None, None, None, None, None, None, "H999", "子"],
        # 16: already registered here: updated (new phone), not duplicated
        [11, "老住户", known.id_number, None, None, None, "13700001111", None, None, None, None, None, None, None,
         "更新"],
        # 17: the gender contradicts the ID number
        [12, "吴十", ids["gender"], "男"],
        # 18: not an ethnicity
        [13, "郑十一", ids["ethnic"], None, None, "火星族"],
    ]  # fmt: skip
    expected_errors = [
        (8, "身份证号", "110105199001011", None),  # value checked separately
        (9, "身份证号", ids["zhang"], "与第 4 行重复"),
        (
            10,
            "身份证号",
            bad_check,
            f"公民身份号码校验位错误：第18位应为 {right}，实际为 {bad_check[17]}。",
        ),
        (11, "身份证号", ids["wang"][:17], "公民身份号码应为18位（或15位旧号码），当前为17位。"),
        (12, "身份证号", outsider.id_number, "该证件号码已登记在其他社区，请办理迁入"),
        (13, "姓名", FORMULA, "姓名只能包含汉字、字母和间隔号（·）。"),
        (15, "户号", "H999", "户号 H999 尚未登记户主"),
        (17, "性别", "男", "性别与证件号码不符（号码显示为女）。"),
        (18, "民族", "火星族", "“火星族”不是有效的民族，请填写代码或名称。"),
    ]
    return rows, ids, known, outsider, expected_errors


@run_jobs
def test_messy_roster_creates_updates_and_reports_every_refused_row(world):
    tree, clerk, _other, home = world
    rows, ids, known, outsider, expected = roster(world)
    data = workbook(rows)
    job = run(clerk, tree.community_a1, data)

    assert job.header_row == 3
    assert (job.rows_processed, job.created_count, job.updated_count, job.error_count) == (13, 3, 1, 9)

    zhang = Person.objects.get(name="张三")
    assert zhang.id_number == ids["zhang"] and zhang.org == tree.community_a1
    assert (zhang.gender, zhang.birth_date, zhang.ethnicity, zhang.phone) == (
        "1",
        date(1990, 3, 7),
        "01",
        "13800138000",
    )
    assert (zhang.education, zhang.political_status, zhang.marital_status) == ("21", "13", "20")
    assert zhang.house == home and zhang.residence_address == "幸福路12号3幢2单元301"
    assert zhang.name_pinyin == "zhangsan" and zhang.created_by == clerk
    li = Person.objects.get(name="李四")
    assert (li.name, li.id_number, li.gender, li.phone) == ("李四", ids["li"], "2", "13900001111")
    wang = Person.objects.get(name="王五")
    assert wang.house is None and wang.residence_address == "柳浪路88号"
    assert (wang.ethnicity, wang.education, wang.political_status) == ("01", "60", "01")
    assert not Person.objects.filter(birth_date=date(2001, 12, 1)).exists()  # the formula name: refused
    known.refresh_from_db()
    assert (known.phone, known.note, known.name) == ("13700001111", "更新", "老住户")
    assert not Person.objects.filter(name__in=["赵六", "钱七", "孙八", "周九", "吴十", "郑十一"]).exists()
    outsider.refresh_from_db()
    assert outsider.org == tree.community_b1  # never moved silently

    # The head's row created the household; the spouse's row (same batch) joined it.
    household = Household.objects.get(number="H001")
    assert (household.head, household.org, household.house) == (zhang, tree.community_a1, home)
    assert household.registered_address == "浙江省杭州市明湖区幸福路12号"
    assert sorted(household.members.values_list("person__name", "relation")) == [
        ("张三", "02"),
        ("李四", "10"),
    ]

    # One "registered" life event per new person.
    assert LifeEvent.objects.filter(kind="registered", person__in=[zhang, li, wang]).count() == 3
    # The factory's registration, and the update's own entry naming what changed (issue 3).
    assert sorted(LifeEvent.objects.filter(person=known).values_list("kind", "summary")) == [
        ("registered", "登记于甲一社区"),
        ("updated", "导入修改：联系电话、备注"),
    ]

    found = errors_of(job)
    assert [(n, c, r) for n, c, _v, r in found][1:] == [(n, c, r) for n, c, _v, r in expected][1:]
    number, column, value, reason = found[0]
    assert (number, column) == (8, "身份证号")
    assert value == "1.10105199001011e+17"
    assert (
        reason
        == "身份证号码被 Excel 当作数字保存，后几位已丢失（如 1.10105E+17），请将该列设为文本后重新录入。"
    )
    assert {n: v for n, _c, v, _r in found}[12] == outsider.id_number

    # One audit event for the batch, with the ids of what it created and updated.
    event = AuditEvent.objects.get(event_name="registry.person.imported")
    assert event.message == f"导入任务 #{job.pk} 第 4–16 行：新增 3，更新 1"
    assert sorted(event.after["created_ids"]) == sorted([zhang.pk, li.pk, wang.pk])
    assert event.after["updated_ids"] == [known.pk]
    assert event.actor == clerk and event.org_id == tree.community_a1.pk

    # The same file again: nothing created, every valid row updated, the same errors.
    again = run(clerk, tree.community_a1, data)
    assert (again.created_count, again.updated_count, again.error_count) == (0, 4, 9)
    assert Person.objects.filter(org=tree.community_a1).count() == 4
    assert HouseholdMember.objects.count() == 2 and Household.objects.count() == 1
    assert LifeEvent.objects.filter(kind="registered").count() == 5  # 3 imported + 2 made by the factory
    assert [(n, r) for n, _c, _v, r in errors_of(again)] == [(n, r) for n, _c, _v, r in found]


@run_jobs
def test_formula_in_a_name_is_refused_and_reported_as_inert_text(world):
    """The name rule of every write path (no formula) applies to the import; the error workbook shows the
    cell as inert text."""
    tree, clerk, _other, _home = world
    number = new_id_number(date(1995, 1, 1))
    job = run(clerk, tree.community_a1, workbook([[1, FORMULA, number, "男"]]))
    assert (job.created_count, job.error_count) == (0, 1) and not Person.objects.exists()
    assert errors_of(job) == [(4, "姓名", "'" + FORMULA, "姓名只能包含汉字、字母和间隔号（·）。")]


@run_jobs
def test_small_batches_give_the_same_result_with_one_audit_event_per_batch(world, monkeypatch):
    tree, clerk, _other, _home = world
    monkeypatch.setattr(get_spec(SPEC), "batch_size", 2)
    rows, _ids, _known, _outsider, expected = roster(world)
    job = run(clerk, tree.community_a1, workbook(rows))
    assert (job.created_count, job.updated_count, job.error_count) == (3, 1, 9)
    # The household's head (row 4) and its member (row 5) are in the same batch of two valid rows.
    assert Household.objects.get(number="H001").members.count() == 2
    assert [(n, r) for n, _c, _v, r in errors_of(job)][1:] == [(n, r) for n, _c, _v, r in expected][1:]
    messages = list(
        AuditEvent.objects.filter(event_name="registry.person.imported")
        .order_by("id")
        .values_list("message", flat=True)
    )
    # Batches of two rows: valid rows 4, 5 | 7 | 12 (refused on save: no event) | 15 (refused) | 16.
    assert messages == [
        f"导入任务 #{job.pk} 第 4–5 行：新增 2，更新 0",
        f"导入任务 #{job.pk} 第 7–7 行：新增 1，更新 0",
        f"导入任务 #{job.pk} 第 16–16 行：新增 0，更新 1",
    ]


@run_jobs
def test_member_before_head_and_head_of_another_household(world):
    tree, clerk, _other, _home = world
    head, member, later = (
        new_id_number(date(1960, 1, 1)),
        new_id_number(date(1988, 2, 2), female=True),
        new_id_number(date(1990, 1, 1)),
    )
    rows = [
        [1, "成员", member, None, None, None, None, None, None, None, None, None, "H7", "女"],
        [2, "户主", head, None, None, None, None, None, None, None, None, "柳浪路1号", "H7", "户主"],
        [3, "无户籍地址", later, None, None, None, None, None, None, None, None, None, "H8", "02"],
    ]
    job = run(clerk, tree.community_a1, workbook(rows))
    assert (job.created_count, job.error_count) == (1, 2)
    assert [(n, r) for n, _c, _v, r in errors_of(job)] == [
        (4, "户号 H7 尚未登记户主"),
        (6, "户号 H8 尚未登记，立户须填写户籍地址。"),
    ]
    assert Household.objects.get(number="H7").head.name == "户主"
    # The member's row again, now that the head is registered: accepted.
    again = run(clerk, tree.community_a1, workbook(rows[:1]))
    assert (again.created_count, again.error_count) == (1, 0)
    assert sorted(Household.objects.get(number="H7").members.values_list("relation", flat=True)) == [
        "02",
        "30",
    ]


@run_jobs
def test_a_clerk_imports_only_into_their_own_community(world):
    tree, clerk, _other, _home = world
    data = workbook([[1, "张三", new_id_number(), "男"]])
    for org in (tree.community_b1, tree.community_a2):
        with pytest.raises(OutOfScope):
            import_start(actor=clerk, spec_key=SPEC, org=org, uploaded_file=upload(data))
    viewer = make_user(tree.community_a1, "registry.view_person")
    with pytest.raises(PermissionDenied):
        import_start(actor=viewer, spec_key=SPEC, org=tree.community_a1, uploaded_file=upload(data))
    assert not ImportJob.objects.exists()
    # Into a grid of their community: the person belongs to the grid.
    job = run(clerk, tree.grid_a1, data)
    assert job.created_count == 1 and Person.objects.get().org == tree.grid_a1


@run_jobs
def test_a_resumed_job_does_not_duplicate(world):
    tree, clerk, _other, _home = world
    rows, *_rest = roster(world)
    job = import_start(
        actor=clerk, spec_key=SPEC, org=tree.community_a1, uploaded_file=upload(workbook(rows))
    )
    job.refresh_from_db()
    ImportJob.objects.filter(pk=job.pk).update(  # as if the operator re-ran it from the start
        status="failed", resume_after_row=0, created_count=0, updated_count=0, error_count=0
    )
    assert import_run(job.pk)["status"] == "done"
    job.refresh_from_db()
    assert (job.created_count, job.updated_count) == (0, 4)  # the re-run only updated
    assert Person.objects.filter(org=tree.community_a1).count() == 4


@pytest.mark.parametrize(
    "name",
    ["张三", "单田芳", "曾国藩", "乐嘉", "欧阳娜娜", "尉迟恭", "阿卜杜·热合曼", "Li Na", "王A", "𠀀明", ""],
)
def test_one_call_pinyin_matches_the_search_keys_of_the_services(name):
    from jiedao.registry.identity import pinyin_keys
    from jiedao.registry.import_specs import fast_pinyin_keys

    assert fast_pinyin_keys(name) == pinyin_keys(name)


def test_per_character_pinyin_matches_pypinyin_on_many_names():
    """The per-character path must give what pypinyin gives the whole name, phrases and polyphones included
    (长 in 长江, 重 in 重庆, 行 in 银行, 解 and 曾 as surnames, 朝阳, 乐乐…)."""
    import random

    from jiedao.registry.identity import pinyin_keys
    from jiedao.registry.import_specs import fast_pinyin_keys

    chars = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈单解仇朴查区乐尉迟欧阳长重行朝和会便都强好觉得中国人民银江庆阳明华建国志红玉梅晓东海燕伟芳娜秀英敏静丽磊军洋勇艳杰娟涛超兰霞平刚桂"
    rng = random.Random(7)
    for _ in range(3000):
        name = "".join(rng.choice(chars) for _ in range(rng.choice((2, 3, 3, 4))))
        assert fast_pinyin_keys(name) == pinyin_keys(name), name


@run_jobs
def test_imported_persons_are_found_by_name_pinyin_and_address_and_later_edits_stay_searchable(world):
    from django.db import connection

    from jiedao.registry import services
    from jiedao.registry.selectors import PersonFilter, search_persons

    tree, clerk, _other, _home = world
    mover = person(clerk, tree.community_a1, name="搬家户", residence_address="柳浪路5号")
    rows = [
        [1, "张小明", new_id_number(date(1990, 1, 1)), None, None, None, None, None, None, None, "柳浪路88号3单元501"],
        [2, "欧阳娜娜", new_id_number(date(1992, 2, 2), female=True), None, None, None, None, None, None, None,
         "幸福里小区7幢"],
        [3, "搬家户", mover.id_number, None, None, None, None, None, None, None, "桃源路9号2单元"],
    ]  # fmt: skip
    job = run(clerk, tree.community_a1, workbook(rows))
    assert (job.created_count, job.updated_count, job.error_count) == (2, 1, 0)

    def names(**criteria):
        return sorted(search_persons(clerk, PersonFilter(**criteria)).values_list("name", flat=True))

    assert (
        names(q="张小明") == ["张小明"]
        and names(q="zhangxiaoming") == ["张小明"]
        and names(q="zxm") == ["张小明"]
    )
    assert names(q="欧阳") == ["欧阳娜娜"] and names(q="ouyang") == ["欧阳娜娜"]
    assert names(address="88号3单元") == ["张小明"] and names(address="小区7幢") == ["欧阳娜娜"]
    assert names(address="桃源路9号") == ["搬家户"] and names(address="柳浪路5号") == []

    # Writes after the import (the services' single edits) are indexed by the triggers, which are back.
    newcomer = person(clerk, tree.community_a1, name="新来户", residence_address="梅花巷12号")
    services.person_change_address(
        actor=clerk, person=Person.objects.get(pk=mover.pk), house=None, relation="family",
        residence_address="竹林路3号",
    )  # fmt: skip
    assert names(address="梅花巷12") == [newcomer.name] and names(address="竹林路3") == ["搬家户"]
    assert names(address="桃源路9号") == []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'registry_person'"
            )
            assert {name for (name,) in cursor.fetchall()} == {
                "registry_person_fts_ai",
                "registry_person_fts_ad",
                "registry_person_fts_au",
            }
            # Compares the index with registry_person, the external content table.
            cursor.execute(
                "INSERT INTO registry_person_address_fts(registry_person_address_fts, rank)"
                " VALUES ('integrity-check', 1)"
            )


def test_mobile_validity_depends_on_five_digits():
    """parse_phone accepts an 11-digit mobile number without phonenumbers once a number with the same first
    MOBILE_PREFIX digits was accepted; if phonenumbers' metadata ever looks further, this fails. The fast
    path must also give the same number, kind and display as phonenumbers does."""
    import random

    from jiedao.registry.validators import (
        MOBILE_PREFIX,
        InvalidNumber,
        parse_phone,
        parse_phone_with_metadata,
    )

    def valid(number: str) -> bool:
        try:
            phone = parse_phone_with_metadata(number)
        except InvalidNumber:
            return False
        return phone.kind == "mobile" and phone.national == number

    width = 11 - MOBILE_PREFIX
    rng = random.Random(11)
    for prefix in range(13 * 10 ** (MOBILE_PREFIX - 2), 20 * 10 ** (MOBILE_PREFIX - 2)):
        tails = [digit * width for digit in "0123456789"]
        tails += [f"{rng.randrange(10**width):0{width}d}" for _ in range(6)]
        outcomes = {valid(f"{prefix}{tail}") for tail in tails}
        assert len(outcomes) == 1, prefix
        if outcomes == {True}:
            parse_phone(f"{prefix}{tails[0]}")  # accepted through phonenumbers: the prefix is now known
            number = f"{prefix}{tails[-1]}"
            assert parse_phone(number) == parse_phone_with_metadata(number), number


def template_with(rows: list[dict[str, object]]) -> bytes:
    """The downloadable template, its grey example row left in, with `rows` ({header: value}) typed below."""
    from jiedao.spreadsheets.services import template_workbook

    book = openpyxl.load_workbook(io.BytesIO(template_workbook(get_spec(SPEC))))
    sheet = book.worksheets[0]
    headers = {str(cell.value).lstrip("*"): cell.column for cell in sheet[2]}
    for offset, row in enumerate(rows):
        for header, value in row.items():
            sheet.cell(row=4 + offset, column=headers[header], value=value)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def as_csv(data: bytes) -> bytes:
    """The workbook saved as CSV (what a clerk's “另存为 CSV” writes): every cell as text."""
    import csv

    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    output = io.StringIO()
    writer = csv.writer(output)
    for row in sheet.iter_rows(min_row=2, values_only=True):
        writer.writerow(
            ["" if v is None else v.strftime("%Y/%m/%d") if isinstance(v, date) else v for v in row]
        )
    return output.getvalue().encode("utf-8-sig")


@run_jobs
@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_the_templates_example_row_left_in_is_skipped_and_said_so_not_imported_as_zhang_san(world, kind):
    tree, _clerk, _other, _home = world
    clerk = staff(tree.community_a1, "spreadsheets.view_importjob")
    real = new_id_number(date(1988, 4, 5), female=True)
    # the example's name with another ID number is a real person: imported
    data = template_with(
        [
            {"姓名": "丁丽", "身份证号": real, "性别": "女"},
            {"姓名": "张三", "身份证号": new_id_number(date(1990, 1, 1)), "性别": "男"},
        ]
    )
    if kind == "csv":
        data = as_csv(data)
    job = import_start(
        actor=clerk, spec_key=SPEC, org=tree.community_a1, uploaded_file=upload(data, f"人口模板.{kind}")
    )
    job.refresh_from_db()
    assert job.status == "done", job.failure_message
    assert (job.created_count, job.error_count, job.example_count) == (2, 0, 1)
    names = sorted(Person.objects.values_list("name", flat=True))
    assert names == ["丁丽", "张三"] and Person.objects.filter(name="丁丽").get().id_number == real
    assert not any(p.id_number == "110105199001011232" for p in Person.objects.all())
    page = client_for(clerk).get(f"/imports/{job.pk}/").content.decode()
    assert "示例行已跳过" in page and "1 行（模板中的灰色示例行，未导入）" in page
    assert api_client_for(clerk).get(f"/api/v1/imports/{job.pk}/").json()["example_count"] == 1
