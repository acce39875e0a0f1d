"""Test data for the catalog."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from django.utils import timezone

from jiedao.catalog.choices import (
    AnnouncementCategory,
    Audience,
    Availability,
    ItemKind,
    LifeEvent,
    PowerType,
)
from jiedao.catalog.models import Announcement, Material, ServiceItem

_serial = count(1)


def item_data(**overrides) -> dict:
    n = next(_serial)
    data = {
        "code": f"CAT-{n:04d}",
        "name": f"测试服务事项{n}",
        "kind": ItemKind.PROMISED,
        "power_type": PowerType.BENEFIT,
        "audience": Audience.PERSON,
        "life_events": [LifeEvent.HARDSHIP],
        "department": "社会事务科",
        "legal_basis": "《社会救助暂行办法》第九条",
        "conditions": "人均收入低于当地低保标准",
        "steps": "申请、受理、调查、公示、审核确认",
        "statutory_limit_days": 30,
        "promised_limit_days": 20,
        "fee": "不收费",
        "fee_basis": "《测试收费依据》",
        "window_address": "甲街道便民服务中心 1号窗口",
        "office_hours": "工作日 9:00-12:00，13:30-17:00",
        "consultation_phone": "0571-87021001",
        "complaint_phone": "0571-87021099",
        "availability": Availability.ONLINE,
        "process_key": "dibao",
        "responsibility": "受理、审核、发放",
        "accountability": "超过时限办理的追究责任",
        "chief_representative": "王晓梅",
        "publishes_result": True,
    }
    data.update(overrides)
    return data


def make_item(org, *, published: bool = True, **overrides) -> ServiceItem:
    return ServiceItem.objects.create(org=org, is_published=published, **item_data(**overrides))


def make_material(item, **overrides) -> Material:
    values = {"name": "申请人居民身份证", "form": "both", "copies": 1, "required": True}
    values.update(overrides)
    return Material.objects.create(item=item, **values)


def make_announcement(org, *, published: bool = True, days_from: int = -1, days_until: int | None = 5, **kw):
    today = timezone.localdate()
    values = {
        "title": f"测试公告{next(_serial)}",
        "category": AnnouncementCategory.OUTAGE,
        "body": "定于周六停水。",
        "valid_from": today + timedelta(days=days_from),
        "valid_until": None if days_until is None else today + timedelta(days=days_until),
        "is_published": published,
        "published_at": timezone.now() if published else None,
    }
    values.update(kw)
    return Announcement.objects.create(org=org, **values)
