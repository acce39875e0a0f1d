"""Read-only questions about accounts, for pages and panels."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth.models import Permission
from django.utils.translation import gettext_lazy as _

from jiedao.accounts.models import LoginAttempt, User


@dataclass(frozen=True)
class PreviousLogin:
    """The user's successful login before the current one, and the failed attempts on the account since."""

    attempt: LoginAttempt | None
    failures_since: int


def previous_login(user: User) -> PreviousLogin:
    """What a user checks on signing in to notice someone else using the account: when and from where they
    last signed in (the login of this session is the newest success, so the one before it), and how many
    attempts with their name failed after it."""
    successes = LoginAttempt.objects.filter(user=user, outcome=LoginAttempt.Outcome.SUCCESS).order_by("-id")
    previous = successes[1:2].first()
    failures = LoginAttempt.objects.filter(username=user.username).exclude(
        outcome=LoginAttempt.Outcome.SUCCESS
    )
    if previous is not None:
        failures = failures.filter(id__gt=previous.id)
    return PreviousLogin(attempt=previous, failures_since=failures.count())


# Django names its built-in permissions in English ("Can add 用户") when it creates them.
_BUILT_IN_ACTIONS = {"add": _("新增"), "change": _("修改"), "delete": _("删除"), "view": _("查看")}


def permission_label(permission: Permission) -> str:
    """A permission as an administrator reads it, in the interface language: "人口房屋企业信息（一标三实） · 查看人口"."""
    app_label = permission.content_type.app_label
    try:
        app = apps.get_app_config(app_label).verbose_name
    except LookupError:  # a permission left behind by an app no longer installed
        app = app_label
    model = permission.content_type.model_class()
    if model is None:
        return f"{app} · {permission.name}"
    action, _sep, model_name = permission.codename.partition("_")
    if action in _BUILT_IN_ACTIONS and model_name == model._meta.model_name:
        name = f"{_BUILT_IN_ACTIONS[action]}{model._meta.verbose_name}"
    else:  # declared in the model's Meta.permissions, with a translatable name
        name = dict(model._meta.permissions).get(permission.codename, permission.name)
    return f"{app} · {name}"
