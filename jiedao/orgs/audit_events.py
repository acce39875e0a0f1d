from django.utils.translation import gettext_lazy as _

from jiedao.audit.registry import event_type

ORG_CREATED = event_type(1101, "orgs.orgunit.created", _("新建组织节点"))
ORG_RENAMED = event_type(1102, "orgs.orgunit.renamed", _("修改组织节点"))
ORG_MOVED = event_type(1103, "orgs.orgunit.moved", _("移动组织节点"))
ORG_DEACTIVATED = event_type(1104, "orgs.orgunit.deactivated", _("停用组织节点"))
ORG_REACTIVATED = event_type(1105, "orgs.orgunit.reactivated", _("启用组织节点"))
ORG_DELETED = event_type(1106, "orgs.orgunit.deleted", _("删除组织节点"))
