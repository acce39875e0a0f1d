"""Staff pages: items, materials, announcements."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiedao.catalog.models import Announcement, Material, ServiceItem
from jiedao.catalog.tests.factories import item_data, make_announcement, make_item, make_material
from jiedao.core.testing import client_for, make_user

ALL_ITEM_PERMS = (
    "catalog.view_serviceitem",
    "catalog.add_serviceitem",
    "catalog.change_serviceitem",
    "catalog.publish_serviceitem",
    "catalog.delete_serviceitem",
)


def _form(data: dict, org) -> dict:
    post = {k: v for k, v in data.items() if k != "life_events"}
    post["org"] = org.pk
    post["life_events"] = data.get("life_events", [])
    post["publishes_result"] = "on" if data.get("publishes_result") else ""
    return post


@pytest.fixture
def manager(tree):
    return make_user(tree.subdistrict_a, *ALL_ITEM_PERMS)


def test_staff_without_permission_gets_403(tree):
    user = make_user(tree.subdistrict_a, "orgs.view_orgunit")
    client = client_for(user)
    item = make_item(tree.subdistrict_a)
    for url in (
        "/catalog/items/",
        "/catalog/items/new/",
        f"/catalog/items/{item.pk}/",
        f"/catalog/items/{item.pk}/edit/",
        "/catalog/announcements/",
        "/catalog/announcements/new/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/catalog/items/{item.pk}/publish/", {"publish": "0"}).status_code == 403
    viewer = client_for(make_user(tree.subdistrict_a, "catalog.view_serviceitem"))
    assert viewer.get(f"/catalog/items/{item.pk}/").status_code == 200
    assert viewer.get(f"/catalog/items/{item.pk}/edit/").status_code == 403


def test_anonymous_is_sent_to_login(db):
    from django.test import Client

    response = Client().get("/catalog/items/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_create_through_the_form_then_publish(tree, manager):
    client = client_for(manager)
    page = client.get("/catalog/items/new/")
    assert page.status_code == 200 and "新建服务事项" in page.content.decode()
    response = client.post("/catalog/items/new/", _form(item_data(code="QB-TEST-1"), tree.community_a1))
    assert response.status_code == 302
    item = ServiceItem.objects.get(code="QB-TEST-1")
    assert item.org == tree.community_a1 and not item.is_published and item.life_events == ["hardship"]
    assert response["Location"] == f"/catalog/items/{item.pk}/"
    make_material(item)
    assert client.post(f"/catalog/items/{item.pk}/publish/", {"publish": "1"}).status_code == 302
    assert ServiceItem.objects.get(pk=item.pk).is_published


def test_form_shows_chinese_error_when_promised_exceeds_statutory(tree, manager):
    client = client_for(manager)
    data = item_data(statutory_limit_days=5, promised_limit_days=8)
    response = client.post("/catalog/items/new/", _form(data, tree.subdistrict_a))
    assert response.status_code == 200
    assert "承诺时限（8 个工作日）不能超过法定时限（5 个工作日）。" in response.content.decode()
    assert not ServiceItem.objects.exists()


def test_list_shows_only_scope_and_detail_of_other_subdistrict_is_404(tree):
    user = make_user(tree.community_a1, *ALL_ITEM_PERMS)
    client = client_for(user)
    mine = make_item(tree.community_a1, name="本社区事项")
    other = make_item(tree.subdistrict_b, name="乙街道事项")
    body = client.get("/catalog/items/").content.decode()
    assert "本社区事项" in body and "乙街道事项" not in body
    assert client.get(f"/catalog/items/{mine.pk}/").status_code == 200
    assert client.get(f"/catalog/items/{other.pk}/").status_code == 404
    assert client.get(f"/catalog/items/{other.pk}/edit/").status_code == 404
    response = client.post(
        f"/catalog/items/{other.pk}/edit/", _form(item_data(name="被改"), tree.subdistrict_b)
    )
    assert response.status_code == 404
    assert client.post(f"/catalog/items/{other.pk}/publish/", {"publish": "0"}).status_code == 404
    assert client.post(f"/catalog/items/{other.pk}/delete/").status_code == 404
    assert ServiceItem.objects.get(pk=other.pk).name == "乙街道事项"


def test_edit_item(tree, manager):
    item = make_item(tree.subdistrict_a)
    client = client_for(manager)
    assert client.get(f"/catalog/items/{item.pk}/edit/").status_code == 200
    data = item_data(code=item.code, name="改过的名称")
    response = client.post(f"/catalog/items/{item.pk}/edit/", _form(data, tree.subdistrict_a))
    assert response.status_code == 302
    assert ServiceItem.objects.get(pk=item.pk).name == "改过的名称"


def test_materials_add_edit_remove_with_files(tree, manager, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    item = make_item(tree.subdistrict_a, published=False)
    client = client_for(manager)
    assert client.get(f"/catalog/items/{item.pk}/materials/new/").status_code == 200
    response = client.post(
        f"/catalog/items/{item.pk}/materials/new/",
        {
            "name": "最低生活保障申请书",
            "form": "original",
            "copies": 1,
            "required": "on",
            "sort_order": 1,
            "blank_form": SimpleUploadedFile("申请书.pdf", b"%PDF-1.4 blank", content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    material = Material.objects.get(item=item)
    assert material.blank_form and material.required
    response = client.post(
        f"/catalog/items/{item.pk}/materials/{material.pk}/edit/",
        {"name": "最低生活保障申请书", "form": "original", "copies": 2, "required": "on", "sort_order": 1},
    )
    assert response.status_code == 302
    material.refresh_from_db()
    assert material.copies == 2 and material.blank_form  # the file stays
    assert client.post(f"/catalog/items/{item.pk}/materials/{material.pk}/delete/").status_code == 302
    assert not Material.objects.filter(pk=material.pk).exists()


def test_material_of_another_subdistrict_is_404(tree):
    user = make_user(tree.subdistrict_a, *ALL_ITEM_PERMS)
    material = make_material(make_item(tree.subdistrict_b))
    client = client_for(user)
    assert (
        client.post(f"/catalog/items/{material.item_id}/materials/{material.pk}/delete/").status_code == 404
    )
    assert Material.objects.filter(pk=material.pk).exists()


def test_announcement_pages(tree):
    user = make_user(
        tree.subdistrict_a,
        "catalog.view_announcement",
        "catalog.add_announcement",
        "catalog.change_announcement",
        "catalog.publish_announcement",
    )
    client = client_for(user)
    assert client.get("/catalog/announcements/new/").status_code == 200
    response = client.post(
        "/catalog/announcements/new/",
        {
            "org": tree.community_a1.pk,
            "title": "柳浪社区停水通知",
            "category": "outage",
            "body": "周六停水",
            "valid_from": "2026-11-26",
            "valid_until": "2026-11-20",
        },
    )
    assert response.status_code == 200 and "截止日期不能早于生效日期。" in response.content.decode()
    response = client.post(
        "/catalog/announcements/new/",
        {
            "org": tree.community_a1.pk,
            "title": "柳浪社区停水通知",
            "category": "outage",
            "body": "周六停水",
            "valid_from": "2026-11-26",
            "valid_until": "2026-11-30",
        },
    )
    assert response.status_code == 302
    announcement = Announcement.objects.get(title="柳浪社区停水通知")
    assert client.get(f"/catalog/announcements/{announcement.pk}/edit/").status_code == 200
    response = client.post(
        f"/catalog/announcements/{announcement.pk}/edit/",
        {
            "title": "柳浪社区停水通知（更正）",
            "category": "outage",
            "body": "周日停水",
            "valid_from": "2026-11-26",
        },
    )
    assert response.status_code == 302
    client.post(f"/catalog/announcements/{announcement.pk}/publish/", {"publish": "1"})
    announcement.refresh_from_db()
    assert announcement.is_published and announcement.title.endswith("（更正）")
    assert announcement.valid_until is None
    listing = client.get("/catalog/announcements/?category=outage").content.decode()
    assert "柳浪社区停水通知（更正）" in listing
    other = make_announcement(tree.subdistrict_b)
    assert client.get(f"/catalog/announcements/{other.pk}/edit/").status_code == 404
    assert client.post(f"/catalog/announcements/{other.pk}/publish/", {"publish": "0"}).status_code == 404


def test_menu_entries(tree):
    from jiedao.core.menus import menu_for

    user = make_user(tree.subdistrict_a, "catalog.view_serviceitem", "catalog.view_announcement")
    sections = {str(s["label"]): [str(i["label"]) for i in s["items"]] for s in menu_for(user)}
    assert {"服务事项", "公告管理"} <= set(sections["政务服务"])
    nobody = make_user(tree.subdistrict_a, "orgs.view_orgunit")
    labels = [str(i["label"]) for s in menu_for(nobody) for i in s["items"]]
    assert "服务事项" not in labels and "公告管理" not in labels


def test_material_file_type_is_checked(tree, manager, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    item = make_item(tree.subdistrict_a)
    response = client_for(manager).post(
        f"/catalog/items/{item.pk}/materials/new/",
        {
            "name": "申请书",
            "form": "original",
            "copies": 1,
            "sort_order": 1,
            "blank_form": SimpleUploadedFile(
                "form.html", b"<script>alert(1)</script>", content_type="text/html"
            ),
        },
    )
    assert response.status_code == 200 and "仅支持以下文件类型" in response.content.decode()
    assert not Material.objects.filter(item=item).exists()
