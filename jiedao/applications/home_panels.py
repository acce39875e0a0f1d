"""Home panels: pending and overdue applications for window staff; the user's own inquiries, hand-offs
waiting for them, objections and rectifications assigned to them."""

from django.urls import reverse
from django.utils.translation import gettext as _

from jiedao.core.home import home_panel
from jiedao.core.scope import has_permission


@home_panel
def pending_applications_panel(user):
    if not has_permission(user, "applications.view_application"):
        return None
    from jiedao.applications.choices import ApplicationStatus
    from jiedao.applications.models import Application
    from jiedao.applications.selectors import overdue

    visible = Application.objects.visible_to(user, "applications.view_application")
    pending = visible.filter(status=ApplicationStatus.SUBMITTED).count()
    late = overdue(visible).count()
    return {
        "title": _("待受理办件"),
        "value": pending,
        "text": _("另有 %(n)d 件已超期未办结") % {"n": late},
        "url": reverse("applications:staff_list") + "?status=submitted",
        "link_text": _("去受理"),
    }


@home_panel
def pending_extensions_panel(user):
    """Requests to extend a time limit wait for someone who may approve them (a leader)."""
    if not has_permission(user, "applications.approve_extension"):
        return None
    from jiedao.applications.models import Application, ExtensionStatus

    count = (
        Application.objects.visible_to(user, "applications.approve_extension")
        .filter(extension_requests__status=ExtensionStatus.PENDING)
        .count()
    )
    if not count:
        return None
    return {
        "title": _("待审批的延期申请"),
        "value": count,
        "text": _("延长办理时限须经审批，批准后才改变办结期限"),
        "url": reverse("applications:staff_list") + "?extension=pending",
        "link_text": _("去审批"),
    }


@home_panel
def my_inquiries_panel(user):
    if not has_permission(user, "applications.view_inquiry"):
        return None
    from jiedao.applications.choices import InquiryStatus
    from jiedao.applications.models import Inquiry, InquiryHandOver

    mine = Inquiry.objects.filter(owner=user).exclude(status=InquiryStatus.ANSWERED).count()
    waiting = InquiryHandOver.objects.filter(to_user=user, acknowledged_at__isnull=True).count()
    return {
        "title": _("我负责的首问"),
        "value": mine,
        "text": _("待我接收的转交 %(n)d 件") % {"n": waiting},
        "url": reverse("applications:inquiry_list"),
        "link_text": _("查看首问登记"),
    }


@home_panel
def my_objections_panel(user):
    if not has_permission(user, "applications.view_objectiontask"):
        return None
    from jiedao.applications.models import ObjectionTask

    count = ObjectionTask.objects.filter(assignee=user, resolved_at__isnull=True).count()
    if not count:
        return None
    return {
        "title": _("待处理的公示异议"),
        "value": count,
        "text": _("公示期内群众提出的异议"),
        "url": reverse("applications:objection_list"),
        "link_text": _("去处理"),
    }


@home_panel
def my_rectifications_panel(user):
    if not has_permission(user, "applications.view_rectification"):
        return None
    from jiedao.applications.choices import RectificationStatus
    from jiedao.applications.models import Rectification

    count = Rectification.objects.filter(responsible=user, status=RectificationStatus.OPEN).count()
    if not count:
        return None
    return {
        "title": _("待整改的差评"),
        "value": count,
        "text": _("不满意评价须按期整改、回访"),
        "url": reverse("applications:rectification_list"),
        "link_text": _("去整改"),
    }


@home_panel
def rectifications_in_scope_panel(user):
    """A supervisor's (or leader's) overview of 差评整改 in their scope: how many are open and how many of
    those are past their 整改期限, whoever is responsible."""
    if not has_permission(user, "applications.view_rectification"):
        return None
    from jiedao.applications.selectors import rectification_counts

    counts = rectification_counts(user)
    return {
        "title": _("差评整改（管辖范围）"),
        "value": counts.open,
        "text": _("整改中 %(open)d 件，其中已超过整改期限 %(late)d 件")
        % {"open": counts.open, "late": counts.overdue},
        "url": reverse("applications:rectification_list")
        + ("?status=overdue" if counts.overdue else "?status=open"),
        "link_text": _("查看差评整改"),
    }


@home_panel
def overdue_applications_panel(user):
    """For those who oversee rather than accept (leaders, supervisors): the 办件 in scope past their time
    limit or in their warning period. Window staff read the same count on 待受理办件."""
    if not has_permission(user, "applications.view_application") or has_permission(
        user, "applications.accept_application"
    ):
        return None
    from jiedao.applications.models import Application
    from jiedao.applications.selectors import overdue, with_clock_in
    from jiedao.timelimits.choices import ClockStatus

    visible = Application.objects.visible_to(user, "applications.view_application")
    return {
        "title": _("超期未办结的办件"),
        "value": overdue(visible).count(),
        "text": _("另有 %(n)d 件已进入预警期") % {"n": with_clock_in(visible, ClockStatus.YELLOW).count()},
        "url": reverse("applications:staff_list") + "?clock=red",
        "link_text": _("查看超期办件"),
    }
