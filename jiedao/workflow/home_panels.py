from django.urls import reverse
from django.utils.translation import gettext as _

from jiedao.core.home import home_panel
from jiedao.core.scope import has_permission
from jiedao.workflow import selectors


@home_panel
def my_tasks(user):
    counts = selectors.request_counts(user)
    if not (counts["todo"] or counts["started"] or has_permission(user, "workflow.add_processinstance")):
        return None
    overdue = selectors.todo_tasks(user).filter(clock__status="red").count()
    text = _("已办 %(done)d 件，未读抄送 %(cc)d 件") % counts
    if overdue:
        text = _("其中 %(n)d 件已超期；") % {"n": overdue} + text
    return {
        "title": _("我的待办"),
        "value": counts["todo"],
        "text": text,
        "url": reverse("workflow:inbox"),
        "link_text": _("进入待办"),
    }
