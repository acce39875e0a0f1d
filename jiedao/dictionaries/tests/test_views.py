import pytest
from django.urls import reverse

from jiedao.audit.models import AuditEvent
from jiedao.core.testing import client_for, make_user
from jiedao.dictionaries import selectors
from jiedao.dictionaries.models import DictionaryItem
from jiedao.dictionaries.standard_data import ETHNICITY, SPECIAL_GROUP

pytestmark = pytest.mark.django_db

VIEW = "dictionaries.view_dictionaryitem"
EDIT_PERMS = (VIEW, "dictionaries.add_dictionaryitem", "dictionaries.change_dictionaryitem")


@pytest.fixture
def admin(tree):
    return make_user(tree.district, *EDIT_PERMS)


@pytest.fixture
def viewer(tree):
    return make_user(tree.community_a1, VIEW)


def test_type_list_shows_dictionaries_with_item_counts(viewer):
    response = client_for(viewer).get(reverse("dictionaries:type_list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "民族" in content and "GB/T 3304-1991" in content
    ethnicity = next(t for t in response.context["types"] if t.code == ETHNICITY)
    assert (ethnicity.active_count, ethnicity.item_count) == (58, 58)


def test_menu_shows_the_entry_to_viewers_only(viewer, tree):
    content = client_for(viewer).get(reverse("dictionaries:type_list")).content.decode()
    assert "数据字典" in content and reverse("dictionaries:type_list") in content
    nobody = make_user(tree.community_a1, "orgs.view_orgunit")
    assert (
        reverse("dictionaries:type_list")
        not in client_for(nobody).get(reverse("orgs:orgunit_tree")).content.decode()
    )


def test_item_list_shows_items_and_hides_edit_links_from_viewers(viewer):
    response = client_for(viewer).get(reverse("dictionaries:item_list", args=[ETHNICITY]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "基诺族" in content and "HA" in content
    assert reverse("dictionaries:item_create", args=[ETHNICITY]) not in content
    assert "停用" not in content.replace("已停用", "")


def test_unknown_dictionary_is_404(viewer):
    assert client_for(viewer).get(reverse("dictionaries:item_list", args=["nope"])).status_code == 404


def test_pages_need_permission(tree):
    nobody = make_user(tree.district)
    client = client_for(nobody)
    assert client.get(reverse("dictionaries:type_list")).status_code == 403
    assert client.get(reverse("dictionaries:item_list", args=[ETHNICITY])).status_code == 403


def test_edit_pages_are_forbidden_to_viewers(viewer):
    client = client_for(viewer)
    item = DictionaryItem.objects.get(type__code=ETHNICITY, code="01")
    create_url = reverse("dictionaries:item_create", args=[ETHNICITY])
    edit_url = reverse("dictionaries:item_edit", args=[ETHNICITY, item.pk])
    activation_url = reverse("dictionaries:item_activation", args=[ETHNICITY, item.pk])
    assert client.get(create_url).status_code == 403
    assert client.post(create_url, {"code": "99", "name": "新民族"}).status_code == 403
    assert client.get(edit_url).status_code == 403
    assert client.post(edit_url, {"name": "改名"}).status_code == 403
    assert client.post(activation_url, {"active": "0"}).status_code == 403
    item.refresh_from_db()
    assert item.name == "汉族" and item.is_active
    assert not DictionaryItem.objects.filter(type__code=ETHNICITY, code="99").exists()
    assert not AuditEvent.objects.filter(event_name__startswith="dictionaries.").exists()


def test_admin_adds_an_item_through_the_form(admin):
    client = client_for(admin)
    url = reverse("dictionaries:item_create", args=[SPECIAL_GROUP])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"code": "left_behind_child", "name": "留守儿童", "abbreviation": "", "sort_order": ""}
    )
    assert response.status_code == 302
    assert response.url == reverse("dictionaries:item_list", args=[SPECIAL_GROUP])
    assert ("left_behind_child", "留守儿童") in selectors.choices(SPECIAL_GROUP)
    assert AuditEvent.objects.filter(event_name="dictionaries.item.created").count() == 1
    page = client.get(response.url).content.decode()
    assert "字典项已新增。" in page and "留守儿童" in page


def test_duplicate_code_shows_the_error_next_to_the_field(admin):
    response = client_for(admin).post(
        reverse("dictionaries:item_create", args=[ETHNICITY]), {"code": "01", "name": "重复"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["代码 01 在“民族”中已存在。"]
    assert "代码 01 在“民族”中已存在。" in response.content.decode()
    assert not DictionaryItem.objects.filter(name="重复").exists()


def test_admin_edits_an_item(admin):
    item = DictionaryItem.objects.get(type__code=SPECIAL_GROUP, code="dibao")
    url = reverse("dictionaries:item_edit", args=[SPECIAL_GROUP, item.pk])
    client = client_for(admin)
    assert client.get(url).context["form"].initial["name"] == "低保对象"
    response = client.post(url, {"name": "最低生活保障对象", "abbreviation": "低保", "sort_order": "5"})
    assert response.status_code == 302
    assert selectors.label(SPECIAL_GROUP, "dibao") == "最低生活保障对象"
    assert AuditEvent.objects.filter(event_name="dictionaries.item.changed").count() == 1


def test_item_of_another_dictionary_is_404(admin):
    item = DictionaryItem.objects.get(type__code=SPECIAL_GROUP, code="dibao")
    assert (
        client_for(admin).get(reverse("dictionaries:item_edit", args=[ETHNICITY, item.pk])).status_code == 404
    )


def test_admin_deactivates_and_reactivates_an_item(admin):
    item = DictionaryItem.objects.get(type__code=SPECIAL_GROUP, code="key_youth")
    url = reverse("dictionaries:item_activation", args=[SPECIAL_GROUP, item.pk])
    client = client_for(admin)
    response = client.post(url, {"active": "0"}, follow=True)
    assert "已停用“key_youth 重点青少年”。" in response.content.decode()
    assert "key_youth" not in dict(selectors.choices(SPECIAL_GROUP))
    assert selectors.label(SPECIAL_GROUP, "key_youth") == "重点青少年"
    client.post(url, {"active": "1"})
    assert "key_youth" in dict(selectors.choices(SPECIAL_GROUP))
    names = list(AuditEvent.objects.order_by("id").values_list("event_name", flat=True))
    assert names == ["dictionaries.item.deactivated", "dictionaries.item.reactivated"]
    assert client.get(url).status_code == 405


def test_demo_system_admin_maintains_dictionaries_and_others_only_read(tree):
    from jiedao.core.demo import load_roles

    roles = load_roles()
    system = make_user(tree.district, roles=[roles["system-admin"]])
    client = client_for(system)
    assert "数据字典" in client.get(reverse("dictionaries:type_list")).content.decode()
    response = client.post(
        reverse("dictionaries:item_create", args=[SPECIAL_GROUP]), {"code": "x1", "name": "新类别"}
    )
    assert response.status_code == 302
    clerk = make_user(tree.community_a1, roles=[roles["community-staff"]])
    assert client_for(clerk).get(reverse("dictionaries:item_create", args=[SPECIAL_GROUP])).status_code == 403
