"""A resident applies from a phone (375 × 812, elder mode) with what the phone gives: a file that would be
refused is said beside its field as soon as it is chosen and leaves the selection, the rest stay chosen, and
the application goes through with the iPhone's HEIC photo kept as an upright JPEG."""

from pathlib import Path

import pytest
from django.test import Client

from jiedao.applications.models import Application
from jiedao.applications.tests.factories import make_item, make_resident
from jiedao.applications.views import SESSION_KEY
from jiedao.catalog.models import Material
from jiedao.parameters.models import SystemParameter
from jiedao.parameters.services import clear_cache

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEIC = (Path(__file__).parents[2] / "jiedao/applications/tests/files/iphone_portrait_gps.heic").read_bytes()
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00" * 200


def test_a_phone_applicant_is_told_at_once_and_keeps_the_good_files(open_page, live_server, tree):
    SystemParameter.objects.create(key="applications.max_file_mb", value=1)
    clear_cache()
    item = make_item(tree.community_a1, name="居家养老服务补贴申请")
    card = Material.objects.create(item=item, name="申请人居民身份证", required=True)
    resident = make_resident()
    client = Client()
    session = client.session
    session[SESSION_KEY] = resident.pk
    session.save()
    page = open_page(375, 812, console=False)
    page.context.add_cookies(
        [
            {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url},
            {"name": "jiedao_elder", "value": "1", "url": live_server.url},
        ]
    )
    page.goto(f"/hall/me/apply/{item.pk}/")
    assert "PDF 每个不超过 1 MB" in page.get_by_test_id("upload-rules").inner_text()

    field = page.locator(f"#id_material_{card.pk}")
    field.set_input_files(
        [
            {"name": "IMG_0001.HEIC", "mimeType": "image/heic", "buffer": HEIC},
            {"name": "IMG_0001.MOV", "mimeType": "video/quicktime", "buffer": MOV},
            {"name": "空文件.jpg", "mimeType": "image/jpeg", "buffer": b""},
            {
                "name": "扫描全能王.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-1.7\n" + b"0" * 1_200_000,
            },
        ]
    )
    status = page.locator(f"#id_material_{card.pk}_status")
    status.get_by_role("alert").wait_for()
    said = status.inner_text()
    assert "已选择：IMG_0001.HEIC" in said
    assert "“IMG_0001.MOV”是视频" in said and "“空文件.jpg”是空文件" in said
    assert "“扫描全能王.pdf”有 1.1 MB，超过单个文件 1 MB 的上限" in said
    assert field.evaluate("input => [...input.files].map(f => f.name)") == ["IMG_0001.HEIC"]
    assert f"id_material_{card.pk}_status" in field.get_attribute("aria-describedby")
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0

    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/hall/me/applications/*/")
    material = Application.objects.get().materials.get()
    assert material.original_name == "IMG_0001.HEIC" and material.content_type == "image/jpeg"
    assert page.problems == []
