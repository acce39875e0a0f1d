from django.utils.translation import gettext_lazy as _

from jiedao.core.menus import MenuItem, add, menu_group

menu_group("workflow", _("流程审批"), 20)
add("workflow", MenuItem(_("我的待办"), "workflow:inbox", None, "inbox"))
add("workflow", MenuItem(_("发起流程"), "workflow:start_list", "workflow.add_processinstance", "plus-circle"))
add(
    "workflow",
    MenuItem(_("流程实例"), "workflow:instance_list", "workflow.view_processinstance", "diagram-3"),
)
add(
    "workflow",
    MenuItem(_("流程定义"), "workflow:definition_list", "workflow.view_processdefinition", "bezier2"),
)
