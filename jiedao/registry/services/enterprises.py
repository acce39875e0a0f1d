"""Enterprises keyed by their unified social credit code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.audit import services as audit
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.scope import require
from jiedao.orgs.models import OrgUnit
from jiedao.registry import audit_events as events
from jiedao.registry.choices import CoordinateSystem, EnterpriseStatus
from jiedao.registry.models import Enterprise, House
from jiedao.registry.services.common import community_errors, length_errors, same_community
from jiedao.registry.services.houses import coordinate_errors
from jiedao.registry.validators import InvalidNumber, parse_phone, parse_uscc

FIELDS = [
    "name",
    "uscc",
    "legal_representative",
    "industry",
    "address",
    "house",
    "employees",
    "established_on",
    "status",
    "contact_phone",
    "latitude",
    "longitude",
    "coordinate_system",
    "org",
]


@dataclass
class EnterpriseData:
    org: OrgUnit
    name: str
    uscc: str
    legal_representative: str
    address: str
    industry: str = ""
    house: House | None = None
    employees: int | None = None
    established_on: date | None = None
    status: str = EnterpriseStatus.OPERATING
    contact_phone: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    coordinate_system: str = CoordinateSystem.WGS84


def _values(data: EnterpriseData, *, actor, exclude_pk=None) -> dict:
    errors = community_errors(data.org)
    values: dict = {}
    for attr, message in (
        ("name", _("请填写企业名称。")),
        ("legal_representative", _("请填写法定代表人。")),
        ("address", _("请填写经营地址。")),
    ):
        if not (getattr(data, attr) or "").strip():
            errors[attr] = [message]
    try:
        values["uscc"] = parse_uscc(data.uscc).code
    except InvalidNumber as error:
        errors["uscc"] = [error.message]
    else:
        duplicate = Enterprise.objects.filter(uscc=values["uscc"]).exclude(pk=exclude_pk).first()
        if (
            duplicate is not None
            and Enterprise.objects.visible_to(actor, "view").filter(pk=duplicate.pk).exists()
        ):
            errors["uscc"] = [
                _("统一社会信用代码已登记：%(n)s（%(o)s）。") % {"n": duplicate.name, "o": duplicate.org.name}
            ]
        elif duplicate is not None:
            # Registered where the actor may not look: say so without naming the enterprise or its community.
            errors["uscc"] = [_("该统一社会信用代码已登记在其他社区。")]
    if data.contact_phone.strip():
        try:
            values["contact_phone"] = parse_phone(data.contact_phone).national
        except InvalidNumber as error:
            errors["contact_phone"] = [error.message]
    else:
        values["contact_phone"] = ""
    if data.status not in EnterpriseStatus.values:
        errors["status"] = [_("经营状态不正确。")]
    if data.established_on and data.established_on > timezone.localdate():
        errors["established_on"] = [_("成立日期不能晚于今天。")]
    if data.house is not None and data.org is not None and not same_community(data.house.org, data.org):
        errors["house"] = [_("所在房屋不在该社区。")]
    errors.update(coordinate_errors(data.latitude, data.longitude, data.coordinate_system))
    errors.update(
        length_errors(
            Enterprise,
            name=data.name,
            legal_representative=data.legal_representative,
            industry=data.industry,
            address=data.address,
        )
    )
    if errors:
        raise ValidationFailed(errors)
    house = data.house
    values.update(
        org=data.org,
        name=data.name.strip(),
        legal_representative=data.legal_representative.strip(),
        industry=data.industry.strip(),
        address=data.address.strip(),
        house=house,
        employees=data.employees,
        established_on=data.established_on,
        status=data.status,
        latitude=data.latitude if data.latitude is not None else (house.latitude if house else None),
        longitude=data.longitude if data.longitude is not None else (house.longitude if house else None),
        coordinate_system=data.coordinate_system,
    )
    return values


def enterprise_create(*, actor, data: EnterpriseData) -> Enterprise:
    require(actor, "registry.add_enterprise", data.org)
    values = _values(data, actor=actor)
    with transaction.atomic():
        enterprise = Enterprise.objects.create(created_by=actor, **values)
        audit.record(
            events.ENTERPRISE_CREATED,
            actor=actor,
            target=enterprise,
            after=audit.snapshot(enterprise, FIELDS),
        )
    return enterprise


def enterprise_update(*, actor, enterprise: Enterprise, data: EnterpriseData) -> Enterprise:
    require(actor, "registry.change_enterprise", enterprise)
    require(actor, "registry.change_enterprise", data.org)
    values = _values(data, actor=actor, exclude_pk=enterprise.pk)
    before = audit.snapshot(enterprise, FIELDS)
    with transaction.atomic():
        for name, value in values.items():
            setattr(enterprise, name, value)
        enterprise.save()
        audit.record(
            events.ENTERPRISE_CHANGED,
            actor=actor,
            target=enterprise,
            before=before,
            after=audit.snapshot(enterprise, FIELDS),
        )
    return enterprise
