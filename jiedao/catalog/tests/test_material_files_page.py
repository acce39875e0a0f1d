"""The material edit page: a stored blank form or sample shows its name, linked to a download that works
(the storage's /media/ address is not served), with Chinese words to keep, delete or replace it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiedao.catalog.models import Material
from jiedao.catalog.tests.factories import make_item
from jiedao.catalog.tests.test_views import ALL_ITEM_PERMS
from jiedao.core.testing import client_for, make_user

pytestmark = pytest.mark.django_db

XLSX = b"PK\x03\x04 a workbook"


@pytest.fixture
def material(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    material = Material.objects.create(item=make_item(tree.subdistrict_a, published=False), name="收入情况表")
    material.blank_form.save("收入情况表.xlsx", SimpleUploadedFile("收入情况表.xlsx", XLSX))
    return material


def test_the_stored_file_is_named_and_linked_to_a_working_download(tree, material):
    client = client_for(make_user(tree.subdistrict_a, *ALL_ITEM_PERMS))
    url = f"/catalog/items/{material.item_id}/materials/{material.pk}/edit/"
    page = client.get(url).content.decode()
    stored = page.split('data-testid="stored-file">')[1].split("</div>")[0]
    download = f"/catalog/items/{material.item_id}/materials/{material.pk}/files/blank/"
    assert "当前文件" in stored and f'href="{download}"' in stored and "收入情况表（空白表格）.xlsx" in stored
    assert "/media/" not in page and "目前" not in page and "catalog/forms/" not in page
    assert "删除该文件" in page and "不选择则保留当前文件" in page
    response = client.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == XLSX
    assert "attachment" in response["Content-Disposition"]
    assert (
        client.get(f"/catalog/items/{material.item_id}/materials/{material.pk}/files/sample/").status_code
        == 404
    )


def test_another_subdistricts_file_is_not_served(tree, material):
    client = client_for(make_user(tree.subdistrict_b, *ALL_ITEM_PERMS))
    download = f"/catalog/items/{material.item_id}/materials/{material.pk}/files/blank/"
    assert client.get(download).status_code == 404
