"""A resident's photo and a special-group tag's evidence go through the same upload path as the service hall's
materials (`core.uploads.prepare`): a phone's photo is kept upright and without its EXIF (the GPS position of
the resident's home, the phone), WebP and HEIC are taken, a PDF as a person's photo is refused in words."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from jiedao.applications.tests.factories import PDF, image_bytes
from jiedao.applications.tests.test_phone_uploads import HEIC, portrait_photo
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.testing import client_for
from jiedao.registry import services
from jiedao.registry.models import Person
from jiedao.registry.services.persons import person_set_photo
from jiedao.registry.tests.factories import person


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def stored(field) -> Image.Image:
    with field.open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def upright_without_location(image: Image.Image) -> None:
    assert image.size == (48, 64)  # portrait, as it was taken
    assert image.getpixel((4, 4))[0] > 200 and image.getpixel((4, 4))[2] < 60  # red corner top left
    exif = image.getexif()
    assert not exif.get_ifd(0x8825) and 0x0112 not in exif and 0x010F not in exif  # no GPS, turn or phone


def test_a_camera_photo_of_a_resident_is_kept_upright_and_without_gps(tree, clerk):
    resident = person(clerk, tree.community_a1)
    response = client_for(clerk).post(
        f"/registry/persons/{resident.pk}/edit/",
        {
            "name": resident.name,
            "id_number": "",
            "org": tree.community_a1.pk,
            "house_relation": "family",
            "photo": SimpleUploadedFile("IMG_20261130_091244.jpg", portrait_photo()),
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    resident = Person.objects.get(pk=resident.pk)
    assert resident.photo.name.endswith(".jpg")
    upright_without_location(stored(resident.photo))


def test_an_iphone_heic_and_a_wechat_webp_are_taken_as_photos(tree, clerk):
    resident = person(clerk, tree.community_a1)
    person_set_photo(actor=clerk, person=resident, photo=SimpleUploadedFile("IMG_0001.HEIC", HEIC))
    upright_without_location(stored(resident.photo))
    person_set_photo(
        actor=clerk, person=resident, photo=SimpleUploadedFile("mmexport.webp", image_bytes("WEBP", 30, 60))
    )
    assert stored(resident.photo).size == (30, 60) and resident.photo.name.endswith(".jpg")


def test_a_pdf_is_refused_as_a_photo(tree, clerk):
    resident = person(clerk, tree.community_a1)
    with pytest.raises(ValidationFailed) as refused:
        person_set_photo(actor=clerk, person=resident, photo=SimpleUploadedFile("证件照.jpg", PDF))
    assert refused.value.errors["photo"] == [
        "“证件照.jpg”不是照片（JPG、PNG、WebP、HEIC），系统按文件内容识别，与文件名无关。"
    ]
    assert not Person.objects.get(pk=resident.pk).photo


def test_evidence_photographed_at_home_keeps_no_location_and_a_pdf_is_kept_as_sent(tree, clerk):
    resident = person(clerk, tree.community_a1)
    tag = services.tag_add(
        actor=clerk,
        person=resident,
        group="dibao",
        valid_from=date(2026, 1, 1),
        valid_until=date(2026, 6, 30),
        evidence_file=SimpleUploadedFile("低保证.jpg", portrait_photo()),
    )
    upright_without_location(stored(tag.evidence_file))
    tag = services.tag_add(
        actor=clerk,
        person=resident,
        group="dibao",
        valid_from=date(2026, 7, 1),
        evidence_file=SimpleUploadedFile("批准文件.pdf", PDF),
    )
    with tag.evidence_file.open("rb") as handle:
        assert handle.read() == PDF
