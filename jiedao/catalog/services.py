"""Service catalog writes: service items with their guides and materials, and announcements.

Every function checks the actor's permission and scope (`require`), validates with Chinese messages per
field (nothing is written when validation fails) and records an audit event in the same transaction.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.audit import services as audit
from jiedao.catalog import audit_events as events
from jiedao.catalog.choices import (
    AnnouncementCategory,
    Audience,
    Availability,
    DeliveryMethod,
    ItemKind,
    LifeEvent,
    MaterialForm,
    PowerType,
)
from jiedao.catalog.models import Announcement, Material, ServiceItem
from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.core.scope import require
from jiedao.orgs.choices import OrgLevel
from jiedao.orgs.models import OrgUnit

# The guide fields a service item may be given through `service_item_create` / `service_item_update`.
ITEM_FIELDS = [
    "code",
    "name",
    "kind",
    "power_type",
    "audience",
    "life_events",
    "department",
    "legal_basis",
    "conditions",
    "steps",
    "statutory_limit_days",
    "promised_limit_days",
    "fee",
    "fee_basis",
    "window_address",
    "office_hours",
    "consultation_phone",
    "complaint_phone",
    "availability",
    "process_key",
    "certificate_kind",
    "delivery_methods",
    "responsibility",
    "accountability",
    "chief_representative",
    "publishes_result",
]
# Guide fields every item must fill in (办事指南要素).
REQUIRED_ITEM_FIELDS = [
    "code",
    "name",
    "kind",
    "legal_basis",
    "conditions",
    "steps",
    "fee",
    "window_address",
    "office_hours",
    "consultation_phone",
    "complaint_phone",
]
TEXT_FIELDS = {
    "code",
    "name",
    "department",
    "legal_basis",
    "conditions",
    "steps",
    "fee",
    "fee_basis",
    "window_address",
    "office_hours",
    "consultation_phone",
    "complaint_phone",
    "process_key",
    "responsibility",
    "accountability",
    "chief_representative",
}
AUDIT_ITEM_FIELDS = ["org", *ITEM_FIELDS, "is_published"]
MATERIAL_FIELDS = ["name", "form", "copies", "required", "tolerable", "note", "sort_order"]
MATERIAL_FILE_FIELDS = ["blank_form", "sample"]
ANNOUNCEMENT_FIELDS = ["title", "category", "body", "valid_from", "valid_until"]
AUDIT_ANNOUNCEMENT_FIELDS = ["org", *ANNOUNCEMENT_FIELDS, "is_published", "published_at"]

IMPLEMENTING_LEVELS = (OrgLevel.DISTRICT, OrgLevel.SUBDISTRICT, OrgLevel.COMMUNITY)
# Blank forms and samples residents download: office documents, PDF / OFD and images only.
FORM_FILE_EXTENSIONS = {"pdf", "ofd", "doc", "docx", "wps", "xls", "xlsx", "et", "jpg", "jpeg", "png"}
FORM_FILE_MAX_BYTES = 10 * 1024 * 1024
# What such a file starts with, by extension: residents download these, so a file whose content is not what
# its name says (a program renamed .doc) is refused as applicants' uploads are.
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc / .xls / WPS / ET (Compound File)
_ZIP = b"PK\x03\x04"  # .docx / .xlsx / OFD (Office Open XML and OFD are zip packages)
FORM_FILE_MAGIC = {
    "pdf": (b"%PDF-",),
    "ofd": (_ZIP,),
    "doc": (_OLE2,),
    "xls": (_OLE2,),
    "wps": (_OLE2, _ZIP),
    "et": (_OLE2, _ZIP),
    "docx": (_ZIP,),
    "xlsx": (_ZIP,),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}


# --- service items ----------------------------------------------------------------------------------------


def _label(field_name: str) -> str:
    return str(ServiceItem._meta.get_field(field_name).verbose_name)


def _clean_item_data(data: dict) -> dict:
    cleaned = {}
    for key, value in data.items():
        if key not in ITEM_FIELDS:
            continue
        if key in TEXT_FIELDS:
            value = (value or "").strip()
        if key == "code":
            value = value.upper()
        cleaned[key] = value
    return cleaned


def _has_phone_number(text: str) -> bool:
    from jiedao.public.templatetags.public_text import PHONE

    return bool(PHONE.search(text or ""))


def process_definitions_for(*orgs: OrgUnit):
    """The process definitions (draft or deployed) an item implemented by one of `orgs` may name: those of
    the org itself and of the nodes above it, where the engine looks for an application's process."""
    from jiedao.workflow.choices import DefinitionStatus
    from jiedao.workflow.models import ProcessDefinition

    ids = {int(part) for org in orgs for part in org.path.split(".") if part}
    return ProcessDefinition.objects.filter(org__in=ids).exclude(status=DefinitionStatus.RETIRED)


def _validate_process(values: dict, org: OrgUnit | None, *, deployed: bool) -> dict[str, list[str]]:
    """The item's `process_key` must name a process the engine finds for `org` (deployed, to publish)."""
    key = values.get("process_key")
    if not key or org is None:
        return {}
    from jiedao.workflow.services import resolve_definition

    not_for_items = {
        "process_key": [
            _(
                "流程“%(key)s”不是办件流程：办件流程只能由受理的办件发起。"
                "请在流程设计器中勾选“仅由办件发起”后发布新版本，再选择它。"
            )
            % {"key": key}
        ]
    }
    if deployed:
        definition = resolve_definition(key, org)
        if definition is not None and not definition.business_only:
            return not_for_items
        if definition is None:
            return {
                "process_key": [
                    _(
                        "办理流程“%(key)s”尚未发布，网上申请将无法转入流程办理；"
                        "请先在流程定义中发布该流程，再发布事项。"
                    )
                    % {"key": key}
                ]
            }
    else:
        candidates = process_definitions_for(org).filter(key=key)
        if not candidates.exists():
            return {
                "process_key": [
                    _("没有找到%(org)s可用的办理流程“%(key)s”：须为实施主体或其上级已建立的流程。")
                    % {"org": org.name, "key": key}
                ]
            }
        if not candidates.filter(business_only=True).exists():
            return not_for_items
    return {}


def _validate_item(values: dict, *, exclude_pk: int | None = None) -> dict[str, list[str]]:
    """`values` holds every item field (the record's current values overlaid with the change)."""
    errors: dict[str, list[str]] = {}
    for name in ("consultation_phone", "complaint_phone"):
        if values.get(name) and not _has_phone_number(values[name]):
            errors.setdefault(name, []).append(
                _("%(field)s须含可拨打的号码，如 0571-87021001、13800138000 或 12345。")
                % {"field": _label(name)}
            )
    for name in REQUIRED_ITEM_FIELDS:
        if not values.get(name):
            errors.setdefault(name, []).append(_("请填写%(field)s。") % {"field": _label(name)})
    choice_fields = {
        "kind": ItemKind,
        "power_type": PowerType,
        "audience": Audience,
        "availability": Availability,
    }
    for name, choices in choice_fields.items():
        if values.get(name) and values[name] not in choices.values:
            errors.setdefault(name, []).append(_("%(field)s的取值无效。") % {"field": _label(name)})
    methods = values.get("delivery_methods") or []
    if not isinstance(methods, list) or any(m not in DeliveryMethod.values for m in methods):
        errors.setdefault("delivery_methods", []).append(_("送达方式的取值无效。"))
    events_ = values.get("life_events") or []
    if not isinstance(events_, list) or any(e not in LifeEvent.values for e in events_):
        errors.setdefault("life_events", []).append(_("人生事件的取值无效。"))
    statutory, promised = values.get("statutory_limit_days"), values.get("promised_limit_days")
    for name, value in (("statutory_limit_days", statutory), ("promised_limit_days", promised)):
        if value is None or value == "":
            errors.setdefault(name, []).append(_("请填写%(field)s。") % {"field": _label(name)})
        elif not isinstance(value, int) or value < 0:
            errors.setdefault(name, []).append(_("%(field)s须为不小于 0 的整数。") % {"field": _label(name)})
    if isinstance(promised, int) and values.get("kind") in ItemKind.values:
        # The guide shows 0 as 即时办结 and the clock counts at least a day: the kind and the limit must agree.
        if values["kind"] == ItemKind.INSTANT and promised > 0:
            errors.setdefault("promised_limit_days", []).append(
                _("即办件当场办结，承诺时限应为 0；需要若干工作日办结的，请选择承诺件或上报件。")
            )
        elif values["kind"] != ItemKind.INSTANT and promised == 0:
            errors.setdefault("promised_limit_days", []).append(
                _("承诺件和上报件的承诺时限至少为 1 个工作日；当场办结的，请选择即办件。")
            )
    if isinstance(statutory, int) and isinstance(promised, int) and promised > statutory:
        errors.setdefault("promised_limit_days", []).append(
            _("承诺时限（%(promised)d 个工作日）不能超过法定时限（%(statutory)d 个工作日）。")
            % {"promised": promised, "statutory": statutory}
        )
    if values.get("availability") == Availability.ONLINE and not values.get("process_key"):
        errors.setdefault("process_key", []).append(
            _("可网上申请的事项须指定办理流程；仅窗口办理的事项可以不指定。")
        )
    code = values.get("code")
    if code and ServiceItem.objects.filter(code=code).exclude(pk=exclude_pk).exists():
        errors.setdefault("code", []).append(_("事项编码 %(code)s 已被其他事项使用。") % {"code": code})
    return errors


def _check_org(actor, permission: str, org: OrgUnit | None) -> None:
    if org is None:
        raise ValidationFailed({"org": [_("请选择实施主体。")]})
    require(actor, permission, org)
    if org.level not in IMPLEMENTING_LEVELS:
        raise ValidationFailed({"org": [_("实施主体须为区、街道或社区。")]})
    if not org.is_active:
        raise ValidationFailed({"org": [_("该组织节点已停用。")]})


def service_item_create(*, actor, org: OrgUnit, data: dict, publish: bool = False) -> ServiceItem:
    """A new item with its guide, implemented by `org`; unpublished unless `publish` (needs that permission)."""
    _check_org(actor, "catalog.add_serviceitem", org)
    if publish:
        require(actor, "catalog.publish_serviceitem", org)
    values = {
        "kind": ItemKind.PROMISED,
        "power_type": PowerType.PUBLIC_SERVICE,
        "audience": Audience.PERSON,
        "availability": Availability.ONLINE,
        "life_events": [],
        "delivery_methods": [],
        "fee": "不收费",
        "publishes_result": False,
        **_clean_item_data(data),
    }
    errors = _validate_item(values)
    for name, messages in _validate_process(values, org, deployed=publish).items():
        errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        item = ServiceItem(org=org, created_by=actor, is_published=publish, **values)
        item.save()
        audit.record(
            events.ITEM_CREATED, actor=actor, target=item, after=audit.snapshot(item, AUDIT_ITEM_FIELDS)
        )
    return item


def service_item_update(*, actor, item: ServiceItem, data: dict, org: OrgUnit | None = None) -> ServiceItem:
    """Change the guide (fields not in `data` stay); `org` moves the item to another implementing body."""
    require(actor, "catalog.change_serviceitem", item)
    if org is not None and org.pk != item.org_id:
        _check_org(actor, "catalog.change_serviceitem", org)
    changes = _clean_item_data(data)
    values = {name: getattr(item, name) for name in ITEM_FIELDS} | changes
    errors = _validate_item(values, exclude_pk=item.pk)
    if values.get("process_key") != item.process_key or (org is not None and org.pk != item.org_id):
        # A newly named process (or a new implementing body): it must exist there, deployed if published.
        target = org if org is not None else item.org
        for name, messages in _validate_process(values, target, deployed=item.is_published).items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(item, AUDIT_ITEM_FIELDS)
    with transaction.atomic():
        for name, value in changes.items():
            setattr(item, name, value)
        if org is not None:
            item.org = org
        item.save()
        audit.record(
            events.ITEM_UPDATED,
            actor=actor,
            target=item,
            before=before,
            after=audit.snapshot(item, AUDIT_ITEM_FIELDS),
        )
    return item


def service_item_publish(*, actor, item: ServiceItem, published: bool = True) -> ServiceItem:
    """Publish (shown on the public site, open for applications) or withdraw an item."""
    require(actor, "catalog.publish_serviceitem", item)
    if published:
        values = {name: getattr(item, name) for name in ITEM_FIELDS}
        errors = _validate_item(values, exclude_pk=item.pk)
        if values["availability"] == Availability.ONLINE:
            for name, messages in _validate_process(values, item.org, deployed=True).items():
                errors.setdefault(name, []).extend(messages)
            if not item.materials.exists():
                # The guide would say 无需提交申请材料 while an online application needs a file.
                errors.setdefault("materials", []).append(
                    _("可网上申请的事项须至少登记一项申请材料后才能发布。")
                )
        if errors:
            raise ValidationFailed(errors)
    if item.is_published == published:
        return item
    with transaction.atomic():
        item.is_published = published
        item.save(update_fields=["is_published", "updated_at"])
        audit.record(
            events.ITEM_PUBLISHED if published else events.ITEM_UNPUBLISHED, actor=actor, target=item
        )
    return item


def service_item_delete(*, actor, item: ServiceItem) -> None:
    """Delete a withdrawn item that nothing refers to (published items are withdrawn first)."""
    require(actor, "catalog.delete_serviceitem", item)
    if item.is_published:
        raise ServiceError(_("已发布的事项不能删除，请先撤回发布。"), code="item_published")
    before = audit.snapshot(item, AUDIT_ITEM_FIELDS)
    try:
        with transaction.atomic():
            audit.record(events.ITEM_DELETED, actor=actor, target=item, before=before)
            item.delete()
    except ProtectedError:
        raise ServiceError(_("该事项已有办件记录，不能删除，请改为撤回发布。"), code="item_in_use") from None


# --- materials --------------------------------------------------------------------------------------------


def _validate_material(values: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not (values.get("name") or "").strip():
        errors["name"] = [_("请填写材料名称。")]
    if values.get("form") not in MaterialForm.values:
        errors["form"] = [_("材料形式的取值无效。")]
    copies = values.get("copies")
    if not isinstance(copies, int) or copies < 1:
        errors["copies"] = [_("份数至少为 1。")]
    if values.get("tolerable") and not values.get("required"):
        # A material the applicant may leave out anyway has nothing to defer.
        errors["tolerable"] = [_("“可容缺”只适用于必须提交的材料：非必须材料本来就可以不提交，请取消勾选。")]
    for name in MATERIAL_FILE_FIELDS:
        upload = values.get(name)
        if not upload or not hasattr(upload, "size") or getattr(upload, "_committed", False):
            continue  # no file, or the one already stored
        extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if extension not in FORM_FILE_EXTENSIONS:
            errors[name] = [
                _("仅支持以下文件类型：%(types)s。") % {"types": "、".join(sorted(FORM_FILE_EXTENSIONS))}
            ]
        elif upload.size > FORM_FILE_MAX_BYTES:
            errors[name] = [_("文件不能超过 10 MB。")]
        elif not _content_matches(upload, extension):
            errors[name] = [
                _("“%(name)s”的内容不是 .%(extension)s 文件（按文件内容识别），请检查后重新上传。")
                % {"name": upload.name, "extension": extension}
            ]
    return errors


def _content_matches(upload, extension: str) -> bool:
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    return any(head.startswith(magic) for magic in FORM_FILE_MAGIC[extension])


def _material_values(data: dict) -> dict:
    values = {k: v for k, v in data.items() if k in MATERIAL_FIELDS + MATERIAL_FILE_FIELDS}
    for name in ("name", "note"):
        if name in values:
            values[name] = (values[name] or "").strip()
    return values


def material_add(*, actor, item: ServiceItem, data: dict) -> Material:
    require(actor, "catalog.change_serviceitem", item)
    values = {"form": MaterialForm.COPY, "copies": 1, "required": True, **_material_values(data)}
    errors = _validate_material(values)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        material = Material.objects.create(item=item, **values)
        audit.record(
            events.MATERIAL_ADDED,
            actor=actor,
            target=material,
            org=item.org_id,
            after=audit.snapshot(material, ["item", *MATERIAL_FIELDS, *MATERIAL_FILE_FIELDS]),
        )
    return material


def material_update(*, actor, material: Material, data: dict) -> Material:
    item = material.item
    require(actor, "catalog.change_serviceitem", item)
    changes = _material_values(data)
    values = {name: getattr(material, name) for name in MATERIAL_FIELDS + MATERIAL_FILE_FIELDS} | changes
    errors = _validate_material(values)
    if errors:
        raise ValidationFailed(errors)
    fields = ["item", *MATERIAL_FIELDS, *MATERIAL_FILE_FIELDS]
    before = audit.snapshot(material, fields)
    with transaction.atomic():
        for name, value in changes.items():
            if name in MATERIAL_FILE_FIELDS and value is None:
                continue  # no upload keeps the current file; "" removes it
            setattr(material, name, value)
        material.save()
        audit.record(
            events.MATERIAL_UPDATED,
            actor=actor,
            target=material,
            org=item.org_id,
            before=before,
            after=audit.snapshot(material, fields),
        )
    return material


def material_remove(*, actor, material: Material) -> None:
    item = material.item
    require(actor, "catalog.change_serviceitem", item)
    if item.is_published and item.is_online and not item.materials.exclude(pk=material.pk).exists():
        raise ServiceError(
            _("这是已发布的网上办理事项仅有的申请材料，不能删除；请先添加其他材料，或先撤回发布。"),
            code="last_material",
        )
    with transaction.atomic():
        audit.record(
            events.MATERIAL_REMOVED,
            actor=actor,
            target=material,
            org=item.org_id,
            before=audit.snapshot(material, ["item", *MATERIAL_FIELDS, *MATERIAL_FILE_FIELDS]),
        )
        material.delete()


# --- announcements ----------------------------------------------------------------------------------------


def _validate_announcement(values: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not values.get("title"):
        errors["title"] = [_("请填写标题。")]
    if not values.get("body"):
        errors["body"] = [_("请填写正文。")]
    if values.get("category") not in AnnouncementCategory.values:
        errors["category"] = [_("请选择公告类别。")]
    valid_from, valid_until = values.get("valid_from"), values.get("valid_until")
    if not isinstance(valid_from, date):
        errors["valid_from"] = [_("请填写生效日期。")]
    elif valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = [_("截止日期不能早于生效日期。")]
    return errors


def _announcement_values(data: dict) -> dict:
    values = {k: v for k, v in data.items() if k in ANNOUNCEMENT_FIELDS}
    for name in ("title", "body"):
        if name in values:
            values[name] = (values[name] or "").strip()
    return values


def announcement_create(*, actor, org: OrgUnit, data: dict) -> Announcement:
    """A draft announcement of `org`; `announcement_publish` puts it on the public site."""
    if org is None:
        raise ValidationFailed({"org": [_("请选择发布单位。")]})
    require(actor, "catalog.add_announcement", org)
    values = {"valid_until": None, **_announcement_values(data)}
    errors = _validate_announcement(values)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        announcement = Announcement.objects.create(org=org, created_by=actor, **values)
        audit.record(
            events.ANNOUNCEMENT_CREATED,
            actor=actor,
            target=announcement,
            after=audit.snapshot(announcement, AUDIT_ANNOUNCEMENT_FIELDS),
        )
    return announcement


def announcement_update(*, actor, announcement: Announcement, data: dict) -> Announcement:
    require(actor, "catalog.change_announcement", announcement)
    changes = _announcement_values(data)
    values = {name: getattr(announcement, name) for name in ANNOUNCEMENT_FIELDS} | changes
    errors = _validate_announcement(values)
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(announcement, AUDIT_ANNOUNCEMENT_FIELDS)
    with transaction.atomic():
        for name, value in changes.items():
            setattr(announcement, name, value)
        announcement.save()
        audit.record(
            events.ANNOUNCEMENT_UPDATED,
            actor=actor,
            target=announcement,
            before=before,
            after=audit.snapshot(announcement, AUDIT_ANNOUNCEMENT_FIELDS),
        )
    return announcement


def announcement_publish(*, actor, announcement: Announcement, published: bool = True) -> Announcement:
    require(actor, "catalog.publish_announcement", announcement)
    if published and announcement.valid_until is not None and announcement.valid_until < timezone.localdate():
        raise ServiceError(
            _("该公告的截止日期 %(date)s 已过，发布后公众网站也不会显示；请先修改截止日期。")
            % {"date": announcement.valid_until.isoformat()},
            code="announcement_expired",
        )
    if announcement.is_published == published:
        return announcement
    with transaction.atomic():
        announcement.is_published = published
        announcement.published_at = timezone.now() if published else None
        announcement.save(update_fields=["is_published", "published_at", "updated_at"])
        audit.record(
            events.ANNOUNCEMENT_PUBLISHED if published else events.ANNOUNCEMENT_UNPUBLISHED,
            actor=actor,
            target=announcement,
        )
    return announcement
