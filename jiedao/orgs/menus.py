from django.utils.translation import gettext_lazy as _

from jiedao.core.menus import MenuItem, add

add("admin", MenuItem(_("组织机构"), "orgs:orgunit_tree", "orgs.view_orgunit", "diagram-3"))
