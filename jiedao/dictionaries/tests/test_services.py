import pytest

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import PermissionDenied, ValidationFailed
from jiedao.core.testing import make_user
from jiedao.dictionaries import selectors, services
from jiedao.dictionaries.models import DictionaryItem, DictionaryType
from jiedao.dictionaries.standard_data import ETHNICITY, MIGRANT_REASON, SPECIAL_GROUP

pytestmark = pytest.mark.django_db

EDIT_PERMS = (
    "dictionaries.view_dictionaryitem",
    "dictionaries.add_dictionaryitem",
    "dictionaries.change_dictionaryitem",
)


@pytest.fixture
def admin(tree):
    return make_user(tree.district, *EDIT_PERMS)


@pytest.fixture
def special_group():
    return DictionaryType.objects.get(code=SPECIAL_GROUP)


def events(name):
    return AuditEvent.objects.filter(event_name=name)


def test_added_item_appears_in_choices_and_is_audited(admin, special_group):
    assert "hiv" not in dict(selectors.choices(SPECIAL_GROUP))  # also fills the cache
    item = services.dictionary_item_create(
        actor=admin, type=special_group, code="left_behind_child", name="留守儿童", abbreviation="留守"
    )
    assert ("left_behind_child", "留守儿童") in selectors.choices(SPECIAL_GROUP)
    assert selectors.choices(SPECIAL_GROUP)[-1] == ("left_behind_child", "留守儿童")  # appended at the end
    event = events("dictionaries.item.created").get()
    assert event.actor == admin
    assert event.target_id == str(item.pk)
    assert event.after["code"] == "left_behind_child" and event.after["name"] == "留守儿童"


def test_type_may_be_given_by_code(admin):
    services.dictionary_item_create(actor=admin, type=MIGRANT_REASON, code="medical", name="就医")
    assert selectors.label(MIGRANT_REASON, "medical") == "就医"


def test_duplicate_code_is_refused_in_chinese_and_nothing_is_saved(admin):
    ethnicity = DictionaryType.objects.get(code=ETHNICITY)
    count = DictionaryItem.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        services.dictionary_item_create(actor=admin, type=ethnicity, code="01", name="测试民族")
    assert caught.value.code == "duplicate_code"
    assert caught.value.errors["code"] == ["代码 01 在“民族”中已存在。"]
    assert DictionaryItem.objects.count() == count
    assert not events("dictionaries.item.created").exists()


def test_code_of_a_deactivated_item_stays_taken(admin, special_group):
    veteran = DictionaryItem.objects.get(type=special_group, code="veteran")
    services.dictionary_item_set_active(actor=admin, item=veteran, active=False)
    with pytest.raises(ValidationFailed) as caught:
        services.dictionary_item_create(actor=admin, type=special_group, code="veteran", name="退伍军人")
    assert "已存在" in caught.value.errors["code"][0]


@pytest.mark.parametrize(
    ("code", "name", "field", "message"),
    [
        ("", "名称", "code", "请填写代码。"),
        ("a b", "名称", "code", "代码只能包含字母、数字、下划线、连字符和点。"),
        ("x" * 33, "名称", "code", "代码不能超过 32 个字符。"),
        ("new", "  ", "name", "请填写名称。"),
        ("new", "残疾人", "name", "名称“残疾人”已被代码 disabled 使用。"),
    ],
)
def test_invalid_input_is_refused_field_by_field(admin, special_group, code, name, field, message):
    with pytest.raises(ValidationFailed) as caught:
        services.dictionary_item_create(actor=admin, type=special_group, code=code, name=name)
    assert caught.value.errors[field] == [message]
    assert not events("dictionaries.item.created").exists()


def test_deactivated_item_leaves_choices_but_label_still_resolves(admin):
    item = DictionaryItem.objects.get(type__code=ETHNICITY, code="98")
    assert "98" in dict(selectors.choices(ETHNICITY))
    services.dictionary_item_set_active(actor=admin, item=item, active=False)
    assert "98" not in dict(selectors.choices(ETHNICITY))
    assert selectors.label(ETHNICITY, "98") == "外国血统中国籍人士"
    assert not selectors.is_valid(ETHNICITY, "98")
    assert selectors.is_valid(ETHNICITY, "98", allow_inactive=True)
    assert "98" in {e.code for e in selectors.items(ETHNICITY, active_only=False)}
    event = events("dictionaries.item.deactivated").get()
    assert event.before["is_active"] is True and event.after["is_active"] is False
    assert DictionaryItem.objects.filter(pk=item.pk).exists()  # never deleted

    services.dictionary_item_set_active(actor=admin, item=item, active=True)
    assert "98" in dict(selectors.choices(ETHNICITY))
    assert events("dictionaries.item.reactivated").count() == 1


def test_setting_the_same_state_again_changes_nothing(admin):
    item = DictionaryItem.objects.get(type__code=ETHNICITY, code="01")
    services.dictionary_item_set_active(actor=admin, item=item, active=True)
    assert not AuditEvent.objects.filter(event_name__startswith="dictionaries.").exists()


def test_reactivation_refused_when_an_active_item_now_has_the_name(admin, special_group):
    old = DictionaryItem.objects.get(type=special_group, code="elderly_alone")
    services.dictionary_item_set_active(actor=admin, item=old, active=False)
    services.dictionary_item_create(actor=admin, type=special_group, code="elderly_solo", name="独居老人")
    with pytest.raises(ValidationFailed) as caught:
        services.dictionary_item_set_active(actor=admin, item=old, active=True)
    assert "elderly_solo" in caught.value.errors["name"][0]
    old.refresh_from_db()
    assert not old.is_active


def test_update_changes_name_but_never_the_code_and_is_audited(admin):
    item = DictionaryItem.objects.get(type__code=MIGRANT_REASON, code="work")
    services.dictionary_item_update(actor=admin, item=item, name="务工就业", sort_order=1)
    assert selectors.label(MIGRANT_REASON, "work") == "务工就业"
    assert selectors.items(MIGRANT_REASON)[0].code == "work"
    event = events("dictionaries.item.changed").get()
    assert event.before["name"] == "务工" and event.after["name"] == "务工就业"
    assert event.before["code"] == event.after["code"] == "work"


def test_update_refuses_a_name_used_by_another_active_item(admin):
    item = DictionaryItem.objects.get(type__code=MIGRANT_REASON, code="work")
    with pytest.raises(ValidationFailed) as caught:
        services.dictionary_item_update(actor=admin, item=item, name="经商")
    assert caught.value.errors["name"] == ["名称“经商”已被代码 business 使用。"]
    item.refresh_from_db()
    assert item.name == "务工"


@pytest.mark.parametrize(
    "perms",
    [
        (),
        ("dictionaries.view_dictionaryitem",),
        ("dictionaries.view_dictionaryitem", "dictionaries.change_dictionaryitem"),
    ],
)
def test_create_needs_the_add_permission(tree, special_group, perms):
    user = make_user(tree.district, *perms)
    with pytest.raises(PermissionDenied):
        services.dictionary_item_create(actor=user, type=special_group, code="x", name="某类")
    assert not DictionaryItem.objects.filter(code="x").exists()


def test_change_and_deactivate_need_the_change_permission(tree):
    user = make_user(tree.district, "dictionaries.view_dictionaryitem", "dictionaries.add_dictionaryitem")
    item = DictionaryItem.objects.get(type__code=ETHNICITY, code="01")
    with pytest.raises(PermissionDenied):
        services.dictionary_item_update(actor=user, item=item, name="改")
    with pytest.raises(PermissionDenied):
        services.dictionary_item_set_active(actor=user, item=item, active=False)
    item.refresh_from_db()
    assert item.name == "汉族" and item.is_active


def test_unknown_dictionary_is_a_programming_error():
    with pytest.raises(selectors.UnknownDictionary):
        selectors.choices("no_such_dictionary")


def test_label_of_empty_and_unknown_codes():
    assert selectors.label(ETHNICITY, "") == ""
    assert selectors.label(ETHNICITY, None) == ""
    assert selectors.label(ETHNICITY, "77") == "77"


def test_choices_with_blank_and_lazy_choices_for_forms():
    from django import forms

    class PersonForm(forms.Form):
        ethnicity = forms.ChoiceField(choices=selectors.lazy_choices(ETHNICITY, blank=True))

    field = PersonForm().fields["ethnicity"]
    assert list(field.choices)[0] == ("", selectors.BLANK_LABEL)
    assert ("01", "汉族") in list(field.choices)
    assert PersonForm(data={"ethnicity": "56"}).is_valid()
    assert not PersonForm(data={"ethnicity": "99"}).is_valid()


def test_template_filter_renders_labels():
    from django.template import Context, Template

    rendered = Template('{% load dictionaries %}{{ code|dict_label:"ethnicity" }}').render(
        Context({"code": "03"})
    )
    assert rendered == "回族"
