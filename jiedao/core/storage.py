"""Where files with personal data are kept: application materials (ID card scans, income certificates),
special-group evidence, person photos, outcome documents and approval sheets are SM4-GCM encrypted on disk
with the field keys (`jiedao.core.crypto`), like the ID numbers and phones in the database. Public files
(a catalog item's blank form and sample) are not.

Files written before this storage was used are plaintext on disk and are still read as they are;
`manage.py rotate_field_keys` encrypts them, and re-encrypts every file under the newest key.
A file is written a chunk at a time, and read whole to be decrypted (GCM checks the whole file before
releasing any of it, and nothing unchecked is ever served): uploads are capped well below what that costs.
"""

from __future__ import annotations

import os
import tempfile

from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible

from jiedao.core import crypto


@deconstructible(path="jiedao.core.storage.EncryptedFileSystemStorage")
class EncryptedFileSystemStorage(FileSystemStorage):
    def _save(self, name, content):
        # Encrypted a chunk at a time into a temporary file (on disk past 1 MB): a large upload, which Django
        # already keeps on disk, is never held in memory whole, plaintext or encrypted.
        content.seek(0)
        with tempfile.SpooledTemporaryFile(max_size=crypto.FILE_CHUNK) as sealed:
            crypto.encrypt_stream(content.chunks(crypto.FILE_CHUNK), sealed)
            sealed.seek(0)
            return super()._save(name, File(sealed))

    def _open(self, name, mode="rb"):
        with super()._open(name, "rb") as stored:
            blob = stored.read()
        data = crypto.decrypt_bytes(blob) if crypto.is_encrypted_bytes(blob) else blob
        return ContentFile(data, name=name)

    def size(self, name):
        with super()._open(name, "rb") as stored:
            encrypted = crypto.is_encrypted_bytes(stored.read(len(crypto.FILE_MAGIC)))
        return super().size(name) - (crypto.FILE_OVERHEAD if encrypted else 0)

    def stored_bytes(self, name) -> bytes:
        """The file as it is on disk (for key rotation and tests)."""
        with super()._open(name, "rb") as stored:
            return stored.read()

    def rewrite(self, name) -> bool:
        """Encrypt a plaintext file, or re-encrypt one under the newest key; False when it already is."""
        blob = self.stored_bytes(name)
        if crypto.is_encrypted_bytes(blob):
            if crypto.bytes_key_is_current(blob):
                return False
            blob = crypto.decrypt_bytes(blob)
        path = self.path(name)
        temporary = f"{path}.rotating"
        with open(temporary, "wb") as out:
            out.write(crypto.encrypt_bytes(blob))
        os.replace(temporary, path)  # atomic: a crash leaves either the old file or the new one
        return True


def private_files() -> EncryptedFileSystemStorage:
    """The storage of every FileField holding personal data (referenced by the fields and their migrations)."""
    return _PRIVATE


_PRIVATE = EncryptedFileSystemStorage()
