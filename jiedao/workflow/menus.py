from django.utils.translation import gettext_lazy as _

from jiedao.core.menus import MenuItem, add, menu_group


def _count(box: str):
    def count(user) -> int:
        from jiedao.workflow import selectors

        return selectors.request_count(user, box)

    return count


menu_group("workflow", _("流程审批"), 20)
add("workflow", MenuItem(_("待办"), "workflow:inbox", None, "inbox", badge=_count("todo")))
add("workflow", MenuItem(_("已办"), "workflow:inbox", None, "check2-square", query="box=done"))
add("workflow", MenuItem(_("我发起的"), "workflow:inbox", None, "send", query="box=started"))
add("workflow", MenuItem(_("抄送"), "workflow:inbox", None, "envelope", query="box=cc", badge=_count("cc")))
add("workflow", MenuItem(_("流程代理"), "workflow:proxies", None, "person-check"))
add("workflow", MenuItem(_("发起流程"), "workflow:start_list", "workflow.add_processinstance", "plus-circle"))
add(
    "workflow",
    MenuItem(_("流程实例"), "workflow:instance_list", "workflow.view_processinstance", "diagram-3"),
)
add(
    "workflow",
    MenuItem(_("流程定义"), "workflow:definition_list", "workflow.view_processdefinition", "bezier2"),
)
