"""Personal data at rest: SM4-GCM encryption and an HMAC-SM3 blind index (GB/T 32907, GB/T 32905).

Keys come from settings (environment), never from the database. `JIEDAO_FIELD_KEYS` is a list: the
first key encrypts, every key decrypts (the key id is stored with each value), which is how keys
are rotated: add a new key in front, run `manage.py rotate_field_keys`, then drop the old one.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Iterable
from typing import BinaryIO

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

PREFIX = "sm4g"
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(ValueError):
    pass


def _keys() -> list[bytes]:
    return _parsed_keys(tuple(settings.JIEDAO_FIELD_KEYS))


@functools.lru_cache(maxsize=8)
def _parsed_keys(configured: tuple[str, ...]) -> list[bytes]:
    keys = [bytes.fromhex(k) for k in configured]
    for key in keys:
        if len(key) != 16:
            raise ValueError("JIEDAO_FIELD_KEYS entries must be 32 hex characters (128-bit SM4 keys)")
    return keys


@functools.lru_cache(maxsize=16)
def key_id(key: bytes) -> str:
    return hashlib.new("sm3", key).hexdigest()[:8]


@functools.lru_cache(maxsize=8)
def _encrypting(configured: tuple[str, ...]) -> tuple[algorithms.SM4, str]:
    """The newest key as a cipher algorithm and its id: an import encrypts two values a row, and checking the
    key and hashing its id each time cost as much as the encryption."""
    key = _parsed_keys(configured)[0]
    return algorithms.SM4(key), key_id(key)


def _seal(plaintext: bytes) -> tuple[str, bytes]:
    """(the newest key's id, nonce + ciphertext + tag): what a text value and a file both carry."""
    algorithm, newest_key_id = _encrypting(tuple(settings.JIEDAO_FIELD_KEYS))
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithm, modes.GCM(nonce)).encryptor()
    body = encryptor.update(plaintext) + encryptor.finalize()
    return newest_key_id, nonce + body + encryptor.tag


def _unseal(wanted_key_id: str, raw: bytes, what: str) -> bytes:
    nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    key = next((k for k in _keys() if key_id(k) == wanted_key_id), None)
    if key is None:
        raise DecryptionError(f"key {wanted_key_id} is not configured in JIEDAO_FIELD_KEYS")
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    try:
        return decryptor.update(body) + decryptor.finalize()
    except Exception as error:
        raise DecryptionError(f"{what} fails its integrity check") from error


def encrypt(plaintext: str) -> str:
    sealed_key_id, raw = _seal(plaintext.encode())
    return f"{PREFIX}:{sealed_key_id}:" + base64.b64encode(raw).decode()


def is_current(ciphertext: str) -> bool:
    """Whether a stored value is encrypted with the newest key (rotation leaves older ones behind)."""
    return ciphertext.split(":", 2)[1] == key_id(_keys()[0])


def decrypt(ciphertext: str) -> str:
    try:
        prefix, wanted_key_id, token = ciphertext.split(":", 2)
        if prefix != PREFIX:
            raise DecryptionError("unknown ciphertext format")
        raw = base64.b64decode(token)
    except ValueError as error:
        raise DecryptionError(str(error)) from error
    return _unseal(wanted_key_id, raw, "value").decode()


# Files (application materials, evidence, photos, generated documents): a binary envelope of the same
# SM4-GCM, marked so that files stored before encryption (plaintext) are still told apart and read.
FILE_MAGIC = b"JDSM4G1:"
FILE_OVERHEAD = len(FILE_MAGIC) + 8 + NONCE_BYTES + TAG_BYTES


def encrypt_bytes(plaintext: bytes) -> bytes:
    sealed_key_id, raw = _seal(plaintext)
    return FILE_MAGIC + sealed_key_id.encode() + raw


def is_encrypted_bytes(blob: bytes) -> bool:
    return blob.startswith(FILE_MAGIC)


def bytes_key_is_current(blob: bytes) -> bool:
    start = len(FILE_MAGIC)
    return blob[start : start + 8].decode("ascii", "replace") == key_id(_keys()[0])


def decrypt_bytes(blob: bytes) -> bytes:
    if not is_encrypted_bytes(blob) or len(blob) < FILE_OVERHEAD:
        raise DecryptionError("not an encrypted file")
    start = len(FILE_MAGIC)
    return _unseal(blob[start : start + 8].decode("ascii", "replace"), blob[start + 8 :], "file")


# Large files (uploaded spreadsheets, up to the import limit) in the same envelope, a chunk at a time, so that
# memory stays flat with file size. Decrypting releases plaintext before the tag is checked at the end: the
# caller writes it to a working file and must discard that file when DecryptionError is raised.
FILE_CHUNK = 1024 * 1024


def encrypt_stream(chunks: Iterable[bytes], target: BinaryIO) -> int:
    """Write the chunks to `target` encrypted under the newest key (readable by `decrypt_bytes` too);
    return the plaintext size."""
    algorithm, newest_key_id = _encrypting(tuple(settings.JIEDAO_FIELD_KEYS))
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithm, modes.GCM(nonce)).encryptor()
    target.write(FILE_MAGIC + newest_key_id.encode() + nonce)
    size = 0
    for chunk in chunks:
        size += len(chunk)
        target.write(encryptor.update(chunk))
    target.write(encryptor.finalize() + encryptor.tag)
    return size


def decrypt_stream(source: BinaryIO, target: BinaryIO) -> None:
    """Decrypt a file written by `encrypt_stream` or `encrypt_bytes` (`source` open at its start) into
    `target`; DecryptionError when it is not one or fails its integrity check."""
    source.seek(0, os.SEEK_END)
    length = source.tell()
    source.seek(0)
    head = source.read(len(FILE_MAGIC) + 8 + NONCE_BYTES)
    if length < FILE_OVERHEAD or not is_encrypted_bytes(head):
        raise DecryptionError("not an encrypted file")
    wanted_key_id = head[len(FILE_MAGIC) : len(FILE_MAGIC) + 8].decode("ascii", "replace")
    key = next((k for k in _keys() if key_id(k) == wanted_key_id), None)
    if key is None:
        raise DecryptionError(f"key {wanted_key_id} is not configured in JIEDAO_FIELD_KEYS")
    source.seek(length - TAG_BYTES)
    tag = source.read(TAG_BYTES)
    source.seek(len(head))
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(head[-NONCE_BYTES:])).decryptor()
    remaining = length - len(head) - TAG_BYTES
    while remaining:
        chunk = source.read(min(FILE_CHUNK, remaining))
        remaining -= len(chunk)
        target.write(decryptor.update(chunk))
    try:
        target.write(decryptor.finalize_with_tag(tag))
    except Exception as error:
        raise DecryptionError("file fails its integrity check") from error


@functools.lru_cache(maxsize=4)
def _keyed_sm3(key_hex: str) -> hmac.HMAC:
    return hmac.new(bytes.fromhex(key_hex), digestmod="sm3")


def blind_index(value: str) -> str:
    """Keyed HMAC-SM3 of a normalised value: equal inputs give equal indexes, nothing else leaks."""
    # Copying a keyed HMAC skips the key schedule (two SM3 blocks), a third of the cost per value.
    mac = _keyed_sm3(settings.JIEDAO_BLIND_INDEX_KEY).copy()
    mac.update(value.encode())
    return mac.hexdigest()


def mask_middle(value: str, keep_start: int, keep_end: int, fill: str = "*") -> str:
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return fill * len(value)
    return value[:keep_start] + fill * (len(value) - keep_start - keep_end) + value[len(value) - keep_end :]


def mask_id_number(value: str) -> str:
    """`110105199001010002X` → `110105********002X` style: region code and last four kept."""
    return mask_middle(value, 6, 4)


def mask_phone(value: str) -> str:
    return mask_middle(value, 3, 4) if len(value) == 11 else mask_middle(value, 3, 2)


# A number as clerks type it into free text: digits, possibly in groups split by spaces, hyphens, dots or
# brackets (half- or full-width: "138 1234 5678", "(010)8765-4321", "110105 19491231 002X"), after an
# optional "+" or bracket, ending in a check character X and, for a 残疾人证号, its two more digits. What it
# is, and so what stays visible, is decided by counting its digits (`_mask_number`). `\d` also matches
# full-width digits.
_GROUP_BREAK = r"[ \u3000\-－–—.．()（）]{1,3}"
_NUMBER_IN_TEXT = re.compile(rf"(?<!\d)[+＋(（]?\d(?:(?:{_GROUP_BREAK})?\d)*(?:[XxＸｘ]\d{{0,2}})?(?!\d)")
_DATE_IN_TEXT = re.compile(r"\d{4}[\-－./．]\d{1,2}[\-－./．]\d{1,2}")
_CHECK_CHARACTERS = "XxＸｘ"


def _mask_characters(text: str, keep_start: int, keep_end: int) -> str:
    """Mask the digits (and check character) of `text` but the first `keep_start` and the last `keep_end`,
    keeping the separators where the clerk put them."""
    total = sum(1 for char in text if char.isdigit() or char in _CHECK_CHARACTERS)
    masked, seen = [], 0
    for char in text:
        if char.isdigit() or char in _CHECK_CHARACTERS:
            masked.append(char if seen < keep_start or seen >= total - keep_end else "*")
            seen += 1
        else:
            masked.append(char)
    return "".join(masked)


def _mask_number(match: re.Match) -> str:
    text = match.group()
    digits = "".join(char for char in text if char.isdigit())
    count = len(digits) + sum(1 for char in text if char in _CHECK_CHARACTERS)
    if _DATE_IN_TEXT.sub("", text).strip(" \u3000-－–—") == "":
        return text  # a date or a date range ("2024-01-01 2026-12-31"), not a number of a person
    first = unicodedata.digit(digits[0])
    if first == 0 and 10 <= count <= 12:  # a landline with its area code: 010 / 02x are three digits
        area = 3 if unicodedata.digit(digits[1]) in (1, 2) else 4
        return _mask_characters(text, area, 4)
    if count == 13 and digits[:3] in ("861", "８６１"):
        return _mask_characters(text, 5, 4)  # a mobile number after the country code
    if count >= 15:  # an ID number (15 or 18), a 残疾人证号, a bank card: region or bank code and last four
        return _mask_characters(text, 6, 4)
    if count >= 11:  # a mobile number, or another long number
        return _mask_characters(text, 3, 4 if count == 11 else 2)
    return text


def mask_numbers(value):
    """Mask ID-like and phone-like numbers inside free text or JSON (a tag's 依据, a life event's summary),
    wherever a list or an API shows what a clerk typed: see `_NUMBER_IN_TEXT` and `_mask_number`."""
    if isinstance(value, str):
        return _NUMBER_IN_TEXT.sub(_mask_number, value)
    if isinstance(value, dict):
        return {key: mask_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_numbers(item) for item in value]
    return value


def mask_name(value: str) -> str:
    """`张三明` → `张*明`, `张三` → `张*` (public notices)."""
    if len(value) <= 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]
