"""Import templates offer drop-down lists (Excel data validation) under the dictionary and choice columns;
long lists (56 民族, GB/T 4761 relations) on a hidden sheet referenced by a range."""

from __future__ import annotations

import io

import openpyxl
import pytest

from jiedao.dictionaries import selectors as dictionaries
from jiedao.spreadsheets.readers import open_rows
from jiedao.spreadsheets.services import template_workbook
from jiedao.spreadsheets.specs import get_spec

pytestmark = pytest.mark.django_db


def validations(spec_key):
    book = openpyxl.load_workbook(io.BytesIO(template_workbook(get_spec(spec_key))))
    sheet = book.worksheets[0]
    headers = {cell.column_letter: str(cell.value).lstrip("*") for cell in sheet[2]}
    found = {}
    for validation in sheet.data_validations.dataValidation:
        letter = str(validation.sqref).split(":")[0].rstrip("0123456789")
        assert str(validation.sqref) == f"{letter}3:{letter}1048576"
        assert validation.type == "list" and validation.showErrorMessage is False
        found[headers[letter]] = validation.formula1
    return book, found


def listed(book, formula):
    """The values of a list: inline ("a,b") or a range on the hidden sheet."""
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet_name, cells = formula.lstrip("=").split("!")
    sheet = book[sheet_name.strip("'")]
    return [cell.value for (cell,) in sheet[cells.replace("$", "")]]


def test_person_template_has_drop_downs_for_its_dictionary_columns():
    book, found = validations("registry-persons")
    assert set(found) == {"性别", "民族", "文化程度", "政治面貌", "婚姻状况", "与房屋关系", "与户主关系"}
    assert listed(book, found["性别"]) == ["男", "女"]
    assert found["性别"] == '"男,女"'  # short: inline
    ethnicities = listed(book, found["民族"])
    assert len(ethnicities) >= 56 and ethnicities[:2] == ["汉族", "蒙古族"]
    assert ethnicities == [entry.name for entry in dictionaries.items("ethnicity")]
    hidden = book[found["民族"].lstrip("=").split("!")[0].strip("'")]
    assert hidden.sheet_state == "hidden" and book.worksheets[0].sheet_state == "visible"
    assert "户主" in listed(book, found["与户主关系"]) and "配偶" in listed(book, found["与户主关系"])
    assert listed(book, found["与房屋关系"]) == ["产权人", "家庭成员", "承租人", "集体居住", "其他"]


def test_other_registry_templates_list_their_closed_columns():
    book, found = validations("registry-households")
    assert listed(book, found["户别"]) == ["家庭户", "集体户"]
    book, found = validations("registry-houses")
    assert set(found) == {"用途", "产权性质", "是否出租"}
    assert listed(book, found["是否出租"]) == ["是", "否"]
    book, found = validations("registry-enterprises")
    assert listed(book, found["经营状态"]) == ["在营", "停业", "迁出", "注销"]


def test_the_template_with_its_hidden_list_sheet_is_still_read_from_its_data_sheet(tmp_path):
    path = tmp_path / "template.xlsx"
    path.write_bytes(template_workbook(get_spec("registry-persons")))
    with open_rows(path, engine="stream") as source:
        rows = list(source)
    assert rows[1][:2] == ["*姓名", "*身份证号"] and rows[2][0] == "张三"
