"""Audit event types of the service catalog (codes 5000-5099)."""

from django.utils.translation import gettext_lazy as _

from jiedao.audit.registry import event_type

ITEM_CREATED = event_type(5001, "catalog.serviceitem.created", _("新建服务事项"))
ITEM_UPDATED = event_type(5002, "catalog.serviceitem.updated", _("修改服务事项"))
ITEM_PUBLISHED = event_type(5003, "catalog.serviceitem.published", _("发布服务事项"))
ITEM_UNPUBLISHED = event_type(5004, "catalog.serviceitem.unpublished", _("撤回服务事项"))
ITEM_DELETED = event_type(5005, "catalog.serviceitem.deleted", _("删除服务事项"))
MATERIAL_ADDED = event_type(5011, "catalog.material.added", _("添加申请材料"))
MATERIAL_UPDATED = event_type(5012, "catalog.material.updated", _("修改申请材料"))
MATERIAL_REMOVED = event_type(5013, "catalog.material.removed", _("删除申请材料"))
ANNOUNCEMENT_CREATED = event_type(5021, "catalog.announcement.created", _("新建公告"))
ANNOUNCEMENT_UPDATED = event_type(5022, "catalog.announcement.updated", _("修改公告"))
ANNOUNCEMENT_PUBLISHED = event_type(5023, "catalog.announcement.published", _("发布公告"))
ANNOUNCEMENT_UNPUBLISHED = event_type(5024, "catalog.announcement.unpublished", _("撤回公告"))
