"""Home page panels of the registry: residents in the user's scope, residence permits about to expire, houses
due for a visit (入户走访核查), special-group tags due for review."""

from django.urls import reverse
from django.utils.translation import gettext as _

from jiedao.core.home import home_panel
from jiedao.core.scope import has_permission

PERMIT_WARNING_DAYS = 30


@home_panel
def residents_panel(user):
    if not has_permission(user, "registry.view_person"):
        return None
    from jiedao.registry.choices import PersonStatus
    from jiedao.registry.selectors import persons_for

    count = persons_for(user).filter(status=PersonStatus.LIVING).count()
    return {
        "title": _("辖区现居住人口"),
        "value": count,
        "text": _("本级及可见下级社区、网格登记的现居住人员"),
        "url": reverse("registry:person_list") + f"?status={PersonStatus.LIVING}",
        "link_text": _("查询人口信息"),
    }


@home_panel
def expiring_permits_panel(user):
    if not has_permission(user, "registry.view_migrant"):
        return None
    from jiedao.registry.selectors import expiring_permits

    count = expiring_permits(user, within_days=PERMIT_WARNING_DAYS).count()
    return {
        "title": _("居住证即将到期"),
        "value": count,
        "text": _("%(d)d 天内到期的流动人口居住证") % {"d": PERMIT_WARNING_DAYS},
        "url": reverse("registry:migrant_list") + "?permit=expiring",
        "link_text": _("查看名单"),
    }


@home_panel
def houses_due_for_visit_panel(user):
    """The grid worker's round: houses never visited, overdue, or where nobody answered last time."""
    if not has_permission(user, "registry.add_housevisit"):
        return None
    from jiedao.registry.selectors import houses_due_for_visit

    count = houses_due_for_visit(user, action="registry.add_housevisit").count()
    return {
        "title": _("待核查房屋"),
        "value": count,
        "text": _("从未核查、超过核查周期或上次无人应门的房屋"),
        "url": reverse("registry:house_visit_due"),
        "link_text": _("查看名单"),
    }


@home_panel
def tags_due_for_review_panel(user):
    """低保年审 and the like: the tags ending soon that nobody has renewed yet."""
    if not has_permission(user, "registry.view_specialgrouptag"):
        return None
    from jiedao.registry.selectors import tag_review_window, tags_due_for_review

    first, last = tag_review_window()
    count = tags_due_for_review(user, window=(first, last)).count()
    return {
        "title": _("特殊人群待复核"),
        "value": count,
        "text": _("%(d)d 天内到期、尚未续期的特殊人群标记") % {"d": (last - first).days},
        "url": reverse("registry:tag_review"),
        "link_text": _("查看名单"),
    }
