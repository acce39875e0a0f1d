"""The seeded code tables, as a fresh database (and the demo) has them after `migrate`."""

import pytest

from jiedao.dictionaries import selectors
from jiedao.dictionaries.models import DictionaryItem, DictionaryType
from jiedao.dictionaries.standard_data import (
    DICTIONARIES,
    EDUCATION,
    ETHNICITY,
    GENDER,
    MARITAL_STATUS,
    POLITICAL_STATUS,
    RELATION,
    SPECIAL_GROUP,
    ensure_loaded,
    load_into,
)

pytestmark = pytest.mark.django_db


def test_every_builtin_dictionary_is_seeded():
    assert set(DictionaryType.objects.values_list("code", flat=True)) >= {d.code for d in DICTIONARIES}
    assert all(DictionaryType.objects.filter(is_builtin=True).values_list("standard", flat=True)[:6])


def test_ethnicity_has_the_56_nationalities_in_official_order():
    entries = selectors.items(ETHNICITY)
    nationalities = [e for e in entries if e.code <= "56"]
    assert len(nationalities) == 56
    assert [e.code for e in nationalities] == [f"{n:02d}" for n in range(1, 57)]
    assert (nationalities[0].code, nationalities[0].name, nationalities[0].abbreviation) == (
        "01",
        "汉族",
        "HA",
    )
    assert nationalities[0].extra == {"roman": "Han"}
    assert (nationalities[-1].code, nationalities[-1].name) == ("56", "基诺族")
    assert selectors.label(ETHNICITY, "10") == "朝鲜族"
    assert selectors.label(ETHNICITY, "29") == "柯尔克孜族"
    assert selectors.label(ETHNICITY, "43") == "乌孜别克族"
    assert selectors.label(ETHNICITY, "97") == "其他"
    assert selectors.label(ETHNICITY, "98") == "外国血统中国籍人士"
    assert len(entries) == 58


def test_relation_to_head_of_household_follows_gb_t_4761():
    pairs = dict(selectors.choices(RELATION))
    assert pairs["01"] == "本人"
    assert pairs["02"] == "户主"
    assert pairs["10"] == "配偶"
    assert pairs["20"] == "子" and pairs["30"] == "女"
    assert pairs["51"] == "父亲" and pairs["52"] == "母亲"
    assert pairs["99"] == "非亲属"
    assert "98" not in pairs  # the standard defines no 98


def test_other_national_standards():
    assert selectors.choices(GENDER) == [("0", "未知的性别"), ("1", "男"), ("2", "女"), ("9", "未说明的性别")]
    assert selectors.label(EDUCATION, "21") == "大学本科毕业"
    assert selectors.label(EDUCATION, "90") == "其他"
    assert [c for c, _ in selectors.choices(POLITICAL_STATUS)] == [f"{n:02d}" for n in range(1, 14)]
    assert selectors.label(POLITICAL_STATUS, "13") == "群众"
    assert [c for c, _ in selectors.choices(MARITAL_STATUS)] == [
        "10",
        "20",
        "21",
        "22",
        "23",
        "30",
        "40",
        "90",
    ]
    assert "key_youth" in dict(selectors.choices(SPECIAL_GROUP))


def test_loading_again_adds_only_what_is_missing_and_keeps_admin_changes():
    han = DictionaryItem.objects.get(type__code=ETHNICITY, code="01")
    han.name = "汉族（已改）"
    han.save()
    DictionaryItem.objects.filter(type__code=ETHNICITY, code="98").delete()
    assert load_into(DictionaryType, DictionaryItem) == (0, 1)
    assert DictionaryItem.objects.get(type__code=ETHNICITY, code="01").name == "汉族（已改）"
    assert DictionaryItem.objects.filter(type__code=ETHNICITY, code="98").exists()
    assert ensure_loaded() == (0, 0)


def test_the_english_ui_shows_builtin_items_in_english_and_typed_names_as_typed():
    from django.utils import translation

    with translation.override("en"):
        assert selectors.label(ETHNICITY, "01") == "Han"
        assert selectors.label(GENDER, "2") == "Female"
        # The same Chinese in another table: 女 in GB/T 4761 is the head's daughter.
        assert selectors.label(RELATION, "30") == "Daughter"
        assert ("20", "Married") in selectors.choices(MARITAL_STATUS)
        assert selectors.labels(SPECIAL_GROUP)["elderly_alone"] == "Elderly person living alone"
    with translation.override("zh-hans"):
        assert selectors.label(RELATION, "30") == "女"
        assert selectors.label(ETHNICITY, "01") == "汉族"

    dict_type = DictionaryType.objects.get(code=SPECIAL_GROUP)
    DictionaryItem.objects.create(type=dict_type, code="hospice", name="安宁疗护对象")
    selectors.clear_cache()
    with translation.override("en"):
        assert selectors.label(SPECIAL_GROUP, "hospice") == "安宁疗护对象"


def test_every_builtin_item_has_an_english_name():
    from django.utils import translation

    with translation.override("en"):
        untranslated = [
            (d.code, item.name)
            for d in DICTIONARIES
            for item in d.items
            if selectors.display_name(d.code, item.name) == item.name
        ]
    assert untranslated == []
