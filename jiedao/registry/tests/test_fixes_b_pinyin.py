"""Issue 3 audit, pinyin: a surname is read as a surname (曾 zeng, 单 shan, 欧阳 ouyang…) by the services, the
import and the demo alike, and `rebuild_pinyin_keys` brings the keys of existing persons up to date."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from jiedao.core.testing import api_client_for
from jiedao.registry.identity import COMPOUND_SURNAMES, SURNAME_READINGS, pinyin_keys
from jiedao.registry.import_specs import fast_pinyin_keys
from jiedao.registry.management.commands.rebuild_pinyin_keys import rebuild_pinyin_keys
from jiedao.registry.models import Person
from jiedao.registry.tests.factories import new_id_number, person, staff

SURNAMES = [
    ("曾丽", "zengli", "zl"),
    ("单田芳", "shantianfang", "stf"),
    ("仇英", "qiuying", "qy"),
    ("解缙", "xiejin", "xj"),
    ("查良镛", "zhaliangyong", "zly"),
    ("乐嘉", "yuejia", "yj"),
    ("朴树", "piaoshu", "ps"),
    ("区家麟", "oujialin", "ojl"),
    ("覃海", "qinhai", "qh"),
    ("缪斯", "miaosi", "ms"),
    ("翟志刚", "zhaizhigang", "zzg"),
    ("盖丽丽", "gelili", "gll"),
    ("尉迟恭", "yuchigong", "ycg"),
    ("万俟卨", "moqixie", "mqx"),
    ("澹台明", "tantaiming", "ttm"),
    ("欧阳娜娜", "ouyangnana", "oynn"),
    ("司马光", "simaguang", "smg"),
    ("诸葛亮", "zhugeliang", "zgl"),
    ("曾国藩", "zengguofan", "zgf"),  # a phrase of pypinyin's own (ceng guo fan) no longer wins
    # Names without a misread surname keep what pypinyin gives.
    ("张三", "zhangsan", "zs"),
    ("王重阳", "wangchongyang", "wcy"),
    ("阿卜杜·热合曼", "abodureheman", "abdrhm"),
    ("Li Na", "lina", "ln"),
    ("John Smith", "johnsmith", "js"),
    ("李Na", "lina", "ln"),
    ("", "", ""),
]


@pytest.mark.parametrize(("name", "full", "initials"), SURNAMES)
def test_surnames_are_read_as_surnames(name, full, initials):
    assert pinyin_keys(name) == (full, initials)
    assert fast_pinyin_keys(name) == (full, initials)


def test_the_import_and_the_services_agree_on_every_listed_surname():
    for surname in [*SURNAME_READINGS, *COMPOUND_SURNAMES]:
        for given in ("丽", "国强", "长江", "行"):
            assert fast_pinyin_keys(surname + given) == pinyin_keys(surname + given), surname + given


@pytest.fixture
def clerk(tree):
    return staff(tree.community_a1)


def names(clerk, q: str) -> list[str]:
    response = api_client_for(clerk).get("/api/v1/persons/", {"q": q})
    assert response.status_code == 200
    return sorted(row["name"] for row in response.json()["results"])


def test_search_by_surname_pinyin(tree, clerk):
    for name in ("曾丽", "单田芳", "仇英", "欧阳娜娜", "张三"):
        person(clerk, tree.community_a1, name=name)
    assert names(clerk, "zengli") == ["曾丽"] and names(clerk, "zl") == ["曾丽"]
    assert names(clerk, "shan") == ["单田芳"] and names(clerk, "stf") == ["单田芳"]
    assert names(clerk, "qiu") == ["仇英"] and names(clerk, "ouyang") == ["欧阳娜娜"]
    assert names(clerk, "cengli") == [] and names(clerk, "dantianfang") == []


def test_rebuild_command_updates_only_stale_keys_in_batches(tree, clerk):
    zeng = person(clerk, tree.community_a1, name="曾丽")
    shan = person(clerk, tree.community_a1, name="单田芳")
    zhang = person(clerk, tree.community_a1, name="张三")
    # Keys as the earlier rule stored them.
    Person.objects.filter(pk=zeng.pk).update(name_pinyin="cengli", name_initials="cl")
    Person.objects.filter(pk=shan.pk).update(name_pinyin="dantianfang", name_initials="dtf")
    for n in range(5):
        person(
            clerk,
            tree.community_a1,
            name=f"曾{'一二三四五'[n]}",
            id_number=new_id_number(date(1970, 1, n + 1)),
        )

    assert rebuild_pinyin_keys(batch_size=2) == (7, 2)  # only names beginning with a listed surname are read
    assert Person.objects.get(pk=zeng.pk).name_pinyin == "zengli"
    assert Person.objects.get(pk=shan.pk).name_initials == "stf"
    assert rebuild_pinyin_keys() == (7, 0)  # run again: nothing left to do
    assert rebuild_pinyin_keys(everyone=True) == (8, 0)
    assert Person.objects.get(pk=zhang.pk).name_pinyin == "zhangsan"

    Person.objects.filter(pk=zeng.pk).update(name_pinyin="cengli", name_initials="cl")
    out = io.StringIO()
    call_command("rebuild_pinyin_keys", "--batch-size", "3", stdout=out)
    assert out.getvalue().strip() == "完成：检查 7 人，更新 1 人的拼音检索键。"
    assert Person.objects.get(pk=zeng.pk).name_pinyin == "zengli"


def test_person_lists_and_exports_are_in_pinyin_order(tree, clerk):
    # Code-point order would be Kim, 安 张 曾 李 章; a register is read as an kim li zeng zhang zhang.
    for n, name in enumerate(("张三", "李四", "曾丽", "安娜", "章三", "Kim Ji")):
        person(clerk, tree.community_a1, name=name, id_number=new_id_number(date(1980, 1, n + 1)))
    expected = ["安娜", "Kim Ji", "李四", "曾丽", "张三", "章三"]

    api = api_client_for(clerk).get("/api/v1/persons/")
    assert [row["name"] for row in api.json()["results"]] == expected

    page = Client()
    page.force_login(clerk)
    html = page.get("/registry/persons/").content.decode()
    assert sorted(expected, key=html.index) == expected

    export = page.get("/registry/persons/export/")
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] in expected] == expected


def test_rebuild_gives_latin_names_their_keys(tree, clerk):
    foreign = person(clerk, tree.community_a1, name="Li Na")
    person(clerk, tree.community_a1, name="王五")
    Person.objects.filter(pk=foreign.pk).update(name_pinyin="", name_initials="")  # as stored before

    assert rebuild_pinyin_keys() == (1, 1)  # names without a listed surname or a Latin letter are not read
    foreign.refresh_from_db()
    assert (foreign.name_pinyin, foreign.name_initials) == ("lina", "ln")
    assert names(clerk, "lina") == ["Li Na"] and names(clerk, "ln") == ["Li Na"]
