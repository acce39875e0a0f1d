"""Test data for the service hall: service items, residents, uploads and applications."""

from __future__ import annotations

import datetime as dt
import io
import re
from itertools import count

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jiedao.applications import services
from jiedao.applications.models import Resident
from jiedao.catalog.choices import Audience, Availability, ItemKind
from jiedao.catalog.models import ServiceItem
from jiedao.core import crypto
from jiedao.registry.identity import id_number_hash, phone_hash
from jiedao.registry.validators import make_id_number
from jiedao.sms.models import OutboundMessage
from jiedao.workcalendar.services import CHINA_TZ

_serial = count(1)


def image_bytes(image_format: str, width: int, height: int, *, exif=None, colour=(200, 30, 30)) -> bytes:
    """An image file of `image_format` (Pillow's name: JPEG, PNG, WEBP…), optionally with EXIF."""
    from PIL import Image

    out = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    Image.new("RGB", (width, height), colour).save(out, format=image_format, **options)
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = image_bytes("PNG", 2, 2)  # a real image: photos are decoded and written anew
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def local(year, month, day, hour=10, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=CHINA_TZ)


def make_item(org, **fields) -> ServiceItem:
    n = next(_serial)
    values = {
        "code": f"TEST-{n:05d}",
        "name": f"测试事项{n}",
        "kind": ItemKind.PROMISED,
        "audience": Audience.PERSON,
        "legal_basis": "《测试条例》",
        "conditions": "符合条件",
        "steps": "申请、受理、办结",
        "statutory_limit_days": 20,
        "promised_limit_days": 10,
        "window_address": "街道便民服务中心 3 号窗口",
        "office_hours": "工作日 9:00-17:00",
        "consultation_phone": "010-12345678",
        "complaint_phone": "010-12345679",
        "availability": Availability.ONLINE,
        "department": "社会事务科",
    }
    values.update(fields)
    return ServiceItem.objects.create(org=org, **values)


def make_resident(phone: str | None = None, name: str = "张三明", verified: bool = True) -> Resident:
    n = next(_serial)
    phone = phone or f"139{n:08d}"
    resident = Resident.objects.create(
        phone=phone, phone_hash=phone_hash(phone), phone_masked=crypto.mask_phone(phone)
    )
    if verified:
        number = make_id_number("110105", dt.date(1980, 1, 1), n % 1000)
        resident.real_name = name
        resident.id_number = number
        resident.id_number_hash = id_number_hash(number)
        resident.id_number_masked = crypto.mask_id_number(number)
        resident.verified_at = timezone.now()
        resident.save()
    return resident


def pdf(name: str = "申请表.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def uploads(*files) -> list[services.Upload]:
    return [services.Upload(file=f, label="申请表") for f in (files or [pdf()])]


def submit(resident, item, at=None):
    return services.application_submit(resident=resident, item=item, uploads=uploads(), at=at)


def walk_in(actor, item, phone="13800138000", at=None, name="李四", id_number=None):
    return services.application_register_walk_in(
        actor=actor,
        item=item,
        applicant_name=name,
        applicant_id_number=id_number or make_id_number("110105", dt.date(1975, 5, 5), next(_serial) % 1000),
        applicant_phone=phone,
        uploads=uploads(),
        at=at,
    )


CLERK_PERMISSIONS = (
    "applications.view_application",
    "applications.add_application",
    "applications.accept_application",
    "applications.conclude_application",
    "applications.add_rating",
)


def rate_by_link(application, level: int, comment: str = ""):
    """The applicant rates by the application's link (SMS / QR code), as staff can no longer rate for them."""
    token = services.rating_link_for_window(application)
    assert token is not None, "no open rating link"
    return services.rating_by_link(token=token, level=level, comment=comment)


def paired_pad(actor, window, *, enforce_csrf_checks: bool = False):
    """A browser paired as `window`'s 评价器 (its device cookie, no login), paired by `actor`."""
    from django.test import Client

    from jiedao.applications.views import PAD_COOKIE

    _device, token = services.pad_pair(token=services.pad_pairing_start(actor=actor, window=window))
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    client.cookies[PAD_COOKIE] = token
    return client


def resident_client(resident) -> Client:
    """A test client signed in as `resident` (the session the SMS sign-in pages leave)."""
    client = Client()
    session = client.session
    session["resident_id"] = resident.pk
    session.save()
    return client


def last_sms_code(phone: str) -> str:
    """The 6-digit code of the latest SMS sent to `phone` (read from the outbox, as the resident would)."""
    body = OutboundMessage.objects.filter(phone_masked=crypto.mask_phone(phone)).latest("id").body
    return re.search(r"\d{6}", body).group()
