"""Materials as phones make them (issue #5): iPhone HEIC, WebP screenshots, a .jpg that is something else,
large camera photos turned by EXIF with the home's GPS position in them, scanner-app PDFs, Live Photo videos,
empty files, odd names — on the resident's apply and correction pages, at the window and through the API."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from jiedao.applications import services
from jiedao.applications.models import Application, ApplicationMaterial
from jiedao.applications.tests.factories import (
    CLERK_PERMISSIONS,
    PDF,
    image_bytes,
    make_item,
    make_resident,
    pdf,
    walk_in,
)
from jiedao.applications.views import SESSION_KEY
from jiedao.catalog.choices import Audience
from jiedao.catalog.models import Material
from jiedao.core import uploads
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.testing import make_user
from jiedao.parameters.models import SystemParameter
from jiedao.parameters.services import clear_cache
from jiedao.registry.validators import make_id_number, make_uscc

pytestmark = pytest.mark.django_db

HEIC = (Path(__file__).parent / "files" / "iphone_portrait_gps.heic").read_bytes()  # 48×64 upright, GPS
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00" * 200  # a Live Photo's moving half
GPS = {1: "N", 2: (30.0, 15.0, 12.34), 3: "E", 4: (120.0, 9.0, 45.6)}  # the resident's home, to metres


def camera_exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "HUAWEI", "ALN-AL00", orientation
    exif[0x8825] = GPS
    return exif


def portrait_photo(width=64, height=48) -> bytes:
    """A portrait photo as the camera stores it: landscape pixels, EXIF orientation 6 (turn 90° clockwise),
    GPS. Upright it is 48×64 with a red top-left corner."""
    upright = Image.new("RGB", (height, width), (40, 90, 200))
    upright.paste((255, 0, 0), (0, 0, 16, 16))
    out = io.BytesIO()
    upright.transpose(Image.Transpose.ROTATE_90).save(out, format="JPEG", exif=camera_exif(6), quality=95)
    return out.getvalue()


def stored_image(material: ApplicationMaterial) -> Image.Image:
    with material.file.open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def parameter(key: str, value: int) -> None:
    SystemParameter.objects.update_or_create(key=key, defaults={"value": value})
    clear_cache()


def upload(name: str, content: bytes, field: str = "files") -> services.Upload:
    return services.Upload(file=SimpleUploadedFile(name, content), label="申请人居民身份证", field=field)


def apply_with(item, *files: services.Upload) -> Application:
    return services.application_submit(resident=make_resident(), item=item, uploads=list(files))


def refusal(item, *files: services.Upload) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        apply_with(item, *files)
    assert not Application.objects.exists() and not ApplicationMaterial.objects.exists()
    return caught.value.errors


@pytest.fixture
def item(tree):
    return make_item(tree.community_a1)


# --- what is stored --------------------------------------------------------------------------------------


def test_an_iphone_heic_photo_is_kept_as_an_upright_jpeg_without_its_location(item):
    material = apply_with(item, upload("IMG_0001.HEIC", HEIC)).materials.get()
    assert material.content_type == "image/jpeg" and material.file.name.endswith(".jpg")
    assert material.original_name == "IMG_0001.HEIC" and material.download_name == "IMG_0001.jpg"
    image = stored_image(material)
    assert image.format == "JPEG" and image.size == (48, 64)  # portrait, as it was taken
    assert image.getpixel((4, 4))[0] > 200 and image.getpixel((4, 4))[2] < 60  # red corner at the top left
    assert not image.getexif() and "exif" not in image.info


def test_a_camera_photo_turned_by_exif_is_stored_upright_and_without_gps(item):
    material = apply_with(item, upload("IMG_20261130_091244.jpg", portrait_photo())).materials.get()
    image = stored_image(material)
    assert image.size == (48, 64) and image.getpixel((4, 4))[0] > 200
    exif = image.getexif()
    assert not exif.get_ifd(0x8825) and 0x0112 not in exif and 0x010F not in exif  # no GPS, turn or phone
    assert material.size == material.file.size  # the size the limits counted is what is kept


def test_a_wechat_webp_screenshot_is_accepted_as_jpeg(item):
    material = apply_with(
        item, upload("mmexport1701234567890.webp", image_bytes("WEBP", 30, 60))
    ).materials.get()
    assert material.content_type == "image/jpeg" and stored_image(material).size == (30, 60)


def test_a_jpg_that_is_really_png_or_webp_is_kept_as_what_it_is(item):
    application = apply_with(
        item,
        upload("户口本.jpg", image_bytes("PNG", 20, 20)),
        upload("Screenshot_2026.jpg", image_bytes("WEBP", 20, 20)),
    )
    png, webp = application.materials.order_by("id")
    assert png.content_type == "image/png" and png.download_name == "户口本.png"
    assert stored_image(png).format == "PNG"
    assert webp.content_type == "image/jpeg" and stored_image(webp).format == "JPEG"


def test_an_ultra_hdr_multi_picture_jpeg_and_a_cmyk_scan_are_kept_as_plain_rgb_jpegs(item):
    """Pixel and Samsung cameras write a second picture (the HDR gain map) into the JPEG (MPO); a print
    shop's scanner may write CMYK."""
    out = io.BytesIO()
    first, gain_map = Image.new("RGB", (40, 30), (255, 0, 0)), Image.new("RGB", (20, 15), "white")
    first.save(out, format="MPO", save_all=True, append_images=[gain_map], exif=camera_exif(1))
    assert Image.open(io.BytesIO(out.getvalue())).format == "MPO"
    cmyk = io.BytesIO()
    Image.new("CMYK", (30, 20), (0, 255, 255, 0)).save(cmyk, format="JPEG")
    application = apply_with(
        item, upload("PXL_20261130.jpg", out.getvalue()), upload("扫描.jpg", cmyk.getvalue())
    )
    assert application.materials.count() == 2
    for material, size in zip(application.materials.order_by("id"), [(40, 30), (30, 20)], strict=True):
        image = stored_image(material)
        assert image.format == "JPEG" and image.mode == "RGB" and image.size == size
        assert image.getpixel((5, 5))[0] > 200 and image.getpixel((5, 5))[1] < 60  # still red
        assert not image.getexif()


def test_a_photo_larger_than_the_file_limit_is_made_smaller_not_refused(item):
    """A 2 MB camera JPEG with the per-file limit at 1 MB: kept as a smaller copy (photos count after
    conversion; the photo limit is for the camera's original)."""
    parameter("applications.max_file_mb", 1)
    picture = Image.blend(
        Image.linear_gradient("L").resize((2000, 1500)).convert("RGB"),
        Image.effect_noise((2000, 1500), 30).convert("RGB"),
        0.2,
    )
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=100, subsampling=0, exif=camera_exif(1))
    assert len(out.getvalue()) > 1024 * 1024
    material = apply_with(item, upload("IMG_HDR.jpg", out.getvalue())).materials.get()
    assert material.size < 1024 * 1024 and stored_image(material).size == (2000, 1500)


def test_a_photo_with_more_pixels_than_kept_is_scaled_down(item, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_STORED_PIXELS", 40 * 30)
    material = apply_with(item, upload("48MP.jpg", image_bytes("JPEG", 400, 300))).materials.get()
    assert stored_image(material).size == (40, 30)


def test_a_long_screenshot_keeps_its_width(item):
    material = apply_with(item, upload("长截图.png", image_bytes("PNG", 1080, 9000))).materials.get()
    assert stored_image(material).size == (1080, 9000)


def test_a_pdf_is_kept_as_sent(item):
    material = apply_with(item, upload("扫描件.pdf", PDF)).materials.get()
    assert material.content_type == "application/pdf" and material.file.read() == PDF


def test_names_in_chinese_upper_case_with_emoji_or_too_long_are_kept_and_saved_under_a_usable_name(item):
    long_name = "很长的名字" * 60 + ".jpg"
    application = apply_with(
        item,
        upload("身份证正面.JPG", image_bytes("JPEG", 10, 10)),
        upload("📷身份证😀.jpg", image_bytes("JPEG", 10, 10)),
        upload(long_name, image_bytes("JPEG", 10, 10)),
    )
    upper, emoji, long = application.materials.order_by("id")
    assert upper.original_name == "身份证正面.JPG" and upper.download_name == "身份证正面.jpg"
    assert emoji.original_name == "📷身份证😀.jpg"
    assert len(long.original_name) == 255 and long.original_name.endswith(".jpg")
    assert len(long.download_name) == 84 and long.download_name.endswith(".jpg")


# --- what is refused, and how it is said ------------------------------------------------------------------


def test_a_live_photo_video_is_refused_with_what_to_do_and_the_photo_of_the_pair_named_nowhere(item):
    errors = refusal(
        item, upload("IMG_0001.HEIC", HEIC, "material_1"), upload("IMG_0001.MOV", MOV, "material_1")
    )
    assert errors == {
        "material_1": [
            "“IMG_0001.MOV”是视频，不能作为材料。苹果手机的“实况照片”会同时带出一段视频，只需上传照片本身"
            "（或在相册中关闭“实况”后再选择）。"
        ]
    }


def test_each_refusal_is_said_under_the_field_of_its_file(item):
    errors = refusal(
        item,
        upload("空文件.jpg", b"", "material_1"),
        upload("病毒.pdf", b"MZ\x90\x00" + b"\x00" * 60, "other"),
        upload("ok.pdf", PDF, "other"),
    )
    assert errors == {
        "material_1": ["“空文件.jpg”是空文件。"],
        "other": [
            "“病毒.pdf”不是 PDF 文件或照片（JPG、PNG、WebP、HEIC），系统按文件内容识别，与文件名无关。"
            "Word、Excel 等文档请先另存为 PDF；其他格式的图片请截屏后上传截图。"
        ],
    }


def test_a_scanner_app_pdf_over_the_limit_is_refused_having_read_only_its_first_bytes(item):
    """A 30 MB 扫描全能王 export: refused with its size, the limit and what to do; the file is not read."""

    class BigScan(io.RawIOBase):
        name, size, read_bytes = "扫描全能王 2026-11-30 09.30.pdf", 30 * 1024 * 1024 + 5, 0

        def readable(self):
            return True

        def seek(self, offset, whence=0):
            self.position = offset
            return offset

        def read(self, n=-1):
            n = 1024 * 1024 if n < 0 else n
            self.read_bytes += n
            return (b"%PDF-1.7\n" + b"0" * n)[:n]

    scan = BigScan()
    errors = refusal(item, services.Upload(file=scan, label="扫描件"))
    assert errors["files"] == [
        "“扫描全能王 2026-11-30 09.30.pdf”有 30.0 MB，超过单个文件 10 MB 的上限。扫描件请在扫描软件中"
        "选择较低的清晰度或压缩后重新导出，页数多的可分成几个文件上传。"
    ]
    assert scan.read_bytes <= uploads.HEAD_BYTES


def test_a_photo_over_the_photo_limit_is_refused_naming_it(item):
    parameter("applications.max_photo_mb", 1)
    big = b"\xff\xd8\xff\xe0" + b"\x00" * (1024 * 1024 + 100)
    errors = refusal(item, upload("IMG_200MP.jpg", big))
    assert errors["files"] == [
        "“IMG_200MP.jpg”有 1.0 MB，超过照片原图 1 MB 的上限。请在相机设置中选择较低的分辨率重新拍摄，"
        "或截屏后上传截图。"
    ]


def test_a_heic_that_cannot_be_read_says_how_to_switch_the_iphone_camera(item):
    broken = HEIC[:200]  # the header of an iPhone photo, the rest never arrived
    errors = refusal(item, upload("IMG_0002.HEIC", broken))
    assert "“IMG_0002.HEIC”是苹果手机的 HEIC 格式照片，系统未能打开" in errors["files"][0]
    assert "“设置 → 相机 → 格式”中选择“兼容性最佳”" in errors["files"][0]


def test_a_broken_jpeg_is_refused_not_a_server_error(item):
    errors = refusal(item, upload("IMG_0003.jpg", image_bytes("JPEG", 50, 50)[:100]))
    assert errors["files"] == [
        "“IMG_0003.jpg”无法作为图片打开，文件可能已损坏或没有传完整。请重新拍照或重新选择该文件。"
    ]


def test_too_many_pixels_are_refused_before_they_are_decoded(item, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_SOURCE_PIXELS", 100)
    errors = refusal(item, upload("huge.png", image_bytes("PNG", 20, 20)))
    assert "像素过多" in errors["files"][0]


def test_the_total_counts_what_is_kept_and_says_what_to_do(item):
    parameter("applications.max_total_mb", 1)
    half = b"%PDF-" + b"0" * (600 * 1024)
    errors = refusal(item, upload("a.pdf", half), upload("b.pdf", half))
    assert errors["files"] == [
        "材料合计 1.2 MB，超过每件申请 1 MB 的上限。PDF 请压缩或减少页数后再上传（照片会自动压缩，不必处理）。"
    ]


def test_a_very_long_name_is_shortened_in_the_message():
    refused = uploads.UploadRefused("empty", "很长的名字" * 60 + ".jpg")
    assert refused.message == f"“{'很长的名字' * 8}…{('很长的名字' * 4)[-12:]}.jpg”是空文件。"


# --- correction, window, API, staff view -----------------------------------------------------------------


def test_corrected_materials_from_a_phone_are_converted_too(tree, item):
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    resident = make_resident()
    application = services.application_submit(resident=resident, item=item, uploads=[upload("a.pdf", PDF)])
    services.application_request_correction(actor=clerk, application=application, items=["身份证照片"])
    services.application_resubmit(
        resident=resident, application=application, uploads=[upload("IMG_0001.HEIC", HEIC)]
    )
    material = application.materials.get(original_name="IMG_0001.HEIC")
    assert material.content_type == "image/jpeg" and not stored_image(material).getexif()


def test_the_window_api_takes_a_heic_and_names_an_empty_file(tree):
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    item = make_item(tree.community_a1, audience=Audience.PERSON)
    client = Client()
    client.force_login(clerk)
    data = {
        "item": item.pk,
        "applicant_name": "孙七",
        "applicant_id_number": make_id_number("110105", dt.date(1970, 1, 1), 7),
        "applicant_phone": "13700137000",
    }
    empty = client.post(
        "/api/v1/applications/submit/",
        {**data, "files": [SimpleUploadedFile("空.jpg", b""), SimpleUploadedFile("IMG.HEIC", HEIC)]},
    )
    assert empty.status_code == 400
    assert empty.json()["errors"]["files"] == ["“空.jpg”是空文件。"]
    response = client.post(
        "/api/v1/applications/submit/", {**data, "files": [SimpleUploadedFile("IMG.HEIC", HEIC)]}
    )
    assert response.status_code == 201, response.content
    listed = client.get(f"/api/v1/applications/{response.json()['id']}/materials/").json()
    assert [(m["original_name"], m["content_type"]) for m in listed] == [("IMG.HEIC", "image/jpeg")]


def test_staff_see_a_photo_in_the_browser_and_can_still_download_it(tree, item):
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    application = walk_in(clerk, item)
    services.application_request_correction(actor=clerk, application=application, items=["照片"])
    services.application_resubmit(
        actor=clerk, application=application, uploads=[upload("IMG_0001.HEIC", HEIC)]
    )
    material = application.materials.get(original_name="IMG_0001.HEIC")
    client = Client()
    client.force_login(clerk)
    url = f"/hall/staff/applications/{application.pk}/materials/{material.pk}/"
    shown = client.get(url)
    assert shown["Content-Type"] == "image/jpeg"
    assert shown["Content-Disposition"] == 'inline; filename="IMG_0001.jpg"'
    assert "sandbox" in shown["Content-Security-Policy"] and "no-store" in shown["Cache-Control"]
    saved = client.get(url + "?download=1")
    assert saved["Content-Disposition"] == 'attachment; filename="IMG_0001.jpg"'
    page = client.get(f"/hall/staff/applications/{application.pk}/").content.decode()
    assert f'href="{url}" target="_blank"' in page and "去除了拍摄地点等附加信息" in page


# --- the resident's pages --------------------------------------------------------------------------------


def resident_client(resident) -> Client:
    client = Client()
    session = client.session
    session[SESSION_KEY] = resident.pk
    session.save()
    return client


def test_the_apply_page_states_the_limits_and_offers_phone_formats(item):
    Material.objects.create(item=item, name="申请人居民身份证", required=True)
    parameter("applications.max_file_mb", 8)
    page = resident_client(make_resident()).get(f"/hall/me/apply/{item.pk}/").content.decode()
    assert "PDF 每个不超过 8 MB；照片原图不超过 30 MB，系统会自动转正、压缩，并去除拍摄地点等信息" in page
    assert "image/heic" in page and "image/webp" in page and "data-upload-check" in page
    assert 'id="upload-rules"' in page and "applications/uploads.js" in page


def test_a_refused_file_keeps_what_was_typed_and_says_which_file_where(tree):
    item = make_item(tree.community_a1, audience=Audience.ENTERPRISE)
    card = Material.objects.create(item=item, name="法定代表人身份证", required=True)
    client = resident_client(make_resident())
    response = client.post(
        f"/hall/me/apply/{item.pk}/",
        {
            "enterprise_name": "杭州示例科技有限公司",
            "enterprise_uscc": make_uscc("330106", "12345678"),
            f"material_{card.pk}": [SimpleUploadedFile("IMG_0001.MOV", MOV)],
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and not Application.objects.exists()
    assert 'value="杭州示例科技有限公司"' in page
    assert f'id="id_material_{card.pk}_error"' in page and "“IMG_0001.MOV”是视频" in page
    assert "重新选择要上传的全部文件" in page


def test_the_correction_page_takes_a_heic_from_a_phone(tree, item):
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    resident = make_resident()
    application = services.application_submit(resident=resident, item=item, uploads=[upload("a.pdf", PDF)])
    services.application_request_correction(actor=clerk, application=application, items=["身份证照片"])
    client = resident_client(resident)
    page = client.get(f"/hall/me/applications/{application.pk}/").content.decode()
    assert "照片原图不超过 30 MB" in page and 'id="upload-rules"' in page
    response = client.post(
        f"/hall/me/applications/{application.pk}/resubmit/",
        {"other": [SimpleUploadedFile("IMG_0001.HEIC", HEIC), pdf("b.pdf")]},
    )
    assert response.status_code == 302
    assert application.materials.get(original_name="IMG_0001.HEIC").content_type == "image/jpeg"
