"""Files with personal data are SM4-GCM encrypted on disk and read back as they were uploaded; files stored
before encryption are still read, and key rotation encrypts them and re-encrypts the rest."""

import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from jiedao.core import crypto
from jiedao.core.storage import private_files
from jiedao.registry.models import Person
from jiedao.registry.tests.factories import person, staff

OLD_KEY = "0123456789abcdeffedcba9876543210"
NEW_KEY = "00112233445566778899aabbccddeeff"
SCAN = "%PDF-1.7\n身份证正反面扫描件 110105199001010021\n%%EOF".encode()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def stored_on_disk(settings, name: str) -> bytes:
    return (settings.MEDIA_ROOT / name).read_bytes()


def test_a_stored_file_is_encrypted_on_disk_and_read_back_whole(settings):
    name = private_files().save("applications/2026/12/scan.pdf", ContentFile(SCAN))
    on_disk = stored_on_disk(settings, name)
    assert (
        on_disk.startswith(crypto.FILE_MAGIC)
        and b"110105199001010021" not in on_disk
        and b"%PDF" not in on_disk
    )
    with private_files().open(name) as handle:
        assert handle.read() == SCAN
    assert private_files().size(name) == len(SCAN)


def test_a_tampered_file_is_refused():
    name = private_files().save("registry/evidence/cert.pdf", ContentFile(SCAN))
    path = Path(private_files().path(name))
    blob = bytearray(path.read_bytes())
    blob[-20] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(crypto.DecryptionError):
        private_files().open(name)


def test_a_photo_through_the_model_field_is_encrypted(tree, settings):
    from PIL import Image

    clerk = staff(tree.community_a1)
    resident = person(clerk, tree.community_a1)
    image = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(image, format="PNG")
    resident.photo.save("face.png", ContentFile(image.getvalue()))
    assert not stored_on_disk(settings, resident.photo.name).startswith(b"\x89PNG")
    fresh = Person.objects.get(pk=resident.pk)
    assert fresh.photo.read() == image.getvalue()


def test_rotation_encrypts_old_plaintext_files_and_moves_the_rest_to_the_new_key(tree, settings):
    from PIL import Image

    settings.JIEDAO_FIELD_KEYS = [OLD_KEY]
    clerk = staff(tree.community_a1)
    old, plain = person(clerk, tree.community_a1, name="甲"), person(clerk, tree.community_a1, name="乙")
    image = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(image, format="PNG")
    old.photo.save("old.png", ContentFile(image.getvalue()))
    # a photo saved before the storage encrypted anything: plaintext on disk
    legacy = "registry/photos/legacy.png"
    (settings.MEDIA_ROOT / "registry/photos").mkdir(parents=True, exist_ok=True)
    (settings.MEDIA_ROOT / legacy).write_bytes(image.getvalue())
    Person.objects.filter(pk=plain.pk).update(photo=legacy)
    assert Person.objects.get(pk=plain.pk).photo.read() == image.getvalue()  # read as it is

    settings.JIEDAO_FIELD_KEYS = [NEW_KEY, OLD_KEY]
    call_command("rotate_field_keys", stdout=io.StringIO(), stderr=io.StringIO())
    settings.JIEDAO_FIELD_KEYS = [NEW_KEY]  # the old key is gone: everything must read with the new one
    for resident in (old, plain):
        name = Person.objects.get(pk=resident.pk).photo.name
        blob = stored_on_disk(settings, name)
        assert crypto.is_encrypted_bytes(blob) and crypto.bytes_key_is_current(blob)
        assert Person.objects.get(pk=resident.pk).photo.read() == image.getvalue()
