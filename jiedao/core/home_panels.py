from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from jiedao.core.home import home_panel
from jiedao.core.models import SystemAlert
from jiedao.core.scope import has_permission


@home_panel
def my_account(user):
    from datetime import timedelta

    from jiedao.accounts.selectors import previous_login
    from jiedao.parameters.services import get_parameter

    max_age = get_parameter("password.max_age_days")
    previous = previous_login(user)
    if previous.attempt is None:
        text = _("上次登录：首次登录")
    else:
        text = _("上次登录：%(t)s（IP %(ip)s）") % {
            "t": timezone.localtime(previous.attempt.created_at).strftime("%Y-%m-%d %H:%M"),
            "ip": previous.attempt.ip or _("未知"),
        }
    if previous.failures_since:
        text += _("；此后有 %(n)d 次登录失败，如非本人操作请立即修改密码") % {"n": previous.failures_since}
    if max_age and user.password_changed_at:
        expires = timezone.localtime(user.password_changed_at + timedelta(days=max_age)).date()
        text += _("；密码有效期至 %(d)s") % {"d": date_format(expires)}
    if not user.totp_confirmed:
        return {
            "title": _("我的账号"),
            "value": None,
            "text": text + _("；可绑定动态口令，提高账号安全"),
            "url": reverse("accounts:two_factor_setup"),
            "link_text": _("绑定动态口令"),
        }
    return {
        "title": _("我的账号"),
        "value": None,
        "text": text,
        "url": reverse("accounts:password_change"),
        "link_text": _("修改密码"),
    }


@home_panel
def system_alerts(user):
    if not has_permission(user, "parameters.manage_systemparameter"):
        return None
    open_alerts = SystemAlert.objects.filter(resolved_at__isnull=True)
    return {
        "title": _("待处理的系统提醒"),
        "value": open_alerts.count(),
        "text": "；".join(a.message for a in open_alerts[:3]) or _("没有待处理的提醒。"),
        "url": None,
    }


@home_panel
def org_nodes(user):
    if not has_permission(user, "orgs.view_orgunit"):
        return None
    from jiedao.orgs.models import OrgUnit

    count = OrgUnit.objects.visible_to(user, "view").filter(is_active=True).count()
    return {
        "title": _("管辖组织节点"),
        "value": count,
        "text": _("本级及可见的下级街道、社区、网格"),
        "url": reverse("orgs:orgunit_tree"),
        "link_text": _("查看组织机构"),
    }


@home_panel
def users_panel(user):
    if not has_permission(user, "accounts.view_user"):
        return None
    from jiedao.accounts.models import User

    count = User.objects.visible_to(user, "view").filter(is_active=True).count()
    return {
        "title": _("在用账号"),
        "value": count,
        "text": "",
        "url": reverse("accounts:user_list"),
        "link_text": _("用户管理"),
    }
