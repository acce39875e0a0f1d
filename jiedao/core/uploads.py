"""Uploads of personal documents (application materials, special-group evidence, photos): the file's type
recognised by its content, never by its name, and a random stored name."""

from __future__ import annotations

import secrets

MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def sniff_type(head: bytes) -> str | None:
    """PDF, JPEG or PNG by the first bytes of the file; None for anything else."""
    for magic, content_type in MAGIC:
        if head.startswith(magic):
            return content_type
    return None


def stored_name(content_type: str) -> str:
    """A random file name: the uploaded name may carry a person's name or ID number."""
    return secrets.token_hex(16) + EXTENSIONS[content_type]
