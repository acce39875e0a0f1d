"""Accounts: login with lockout and two-factor, passwords, users and roles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pyotp
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.accounts import audit_events as events
from jiedao.accounts.choices import AdminDuty
from jiedao.accounts.models import LoginAttempt, PasswordHistory, Role, User
from jiedao.audit import services as audit
from jiedao.core import request_context
from jiedao.core.exceptions import PermissionDenied, ServiceError, ValidationFailed
from jiedao.core.handover import HandoverKind, LeftBehind
from jiedao.core.handover import kinds as handover_kinds
from jiedao.core.scope import DataScope, require
from jiedao.parameters.services import get_parameter

USER_FIELDS = ["username", "full_name", "org", "mobile", "is_active"]


class LoginRefused(ServiceError):
    code = "authentication_failed"


# --- login -------------------------------------------------------------------------------------------


FAILURES = [LoginAttempt.Outcome.BAD_CREDENTIALS, LoginAttempt.Outcome.BAD_OTP]


def _recent_failures(window, **lookup) -> int:
    """Failed attempts within the lockout window since the last success there, in one query."""
    recent = LoginAttempt.objects.filter(created_at__gte=window, **lookup)
    last_success = recent.filter(outcome=LoginAttempt.Outcome.SUCCESS).order_by("-id").values("id")[:1]
    return recent.filter(outcome__in=FAILURES, id__gt=Coalesce(Subquery(last_success), Value(0))).count()


def is_locked(*, username: str, ip: str | None) -> bool:
    """Locked when the account, or the address, has too many recent failures (per account and per IP).

    Every API request asks this, and almost always nobody has failed lately: one indexed look for any
    recent failure settles that case before the two counting queries."""
    window = timezone.now() - timedelta(minutes=get_parameter("login.lockout_minutes"))
    anyone = Q(username=username) | Q(ip=ip) if ip else Q(username=username)
    if not LoginAttempt.objects.filter(anyone, created_at__gte=window, outcome__in=FAILURES).exists():
        return False
    threshold = get_parameter("login.lockout_threshold")
    if _recent_failures(window, username=username) >= threshold:
        return True
    return bool(ip) and _recent_failures(window, ip=ip) >= threshold


def _log_attempt(username: str, user: User | None, outcome: str, channel: str) -> None:
    info = request_context.current()
    LoginAttempt.objects.create(
        username=username[:150],
        user=user,
        ip=info.ip,
        user_agent=info.user_agent[:300],
        channel=channel,
        outcome=outcome,
    )


def authenticate_user(*, username: str, password: str, channel: str = "web") -> User:
    """Check a username and password under the lockout rules; log and audit every attempt.

    Messages do not reveal whether the username exists. The failed attempt is committed before the
    refusal is raised, so it counts towards the lockout.
    """
    username = (username or "").strip()
    info = request_context.current()
    user = User.objects.filter(username=username).first()
    if is_locked(username=username, ip=info.ip):
        minutes = get_parameter("login.lockout_minutes")
        refusal = LoginRefused(
            _("登录失败次数过多，账号已锁定，请 %(m)d 分钟后再试。") % {"m": minutes}, code="locked"
        )
        outcome = LoginAttempt.Outcome.LOCKED
    elif user is None:
        make_password(password)  # same work as for a real account, so timing does not reveal the name
        refusal = LoginRefused(_("用户名或密码错误。"))
        outcome = LoginAttempt.Outcome.BAD_CREDENTIALS
    elif not user.check_password(password):
        refusal = LoginRefused(_("用户名或密码错误。"))
        outcome = LoginAttempt.Outcome.BAD_CREDENTIALS
    elif not user.is_active:
        refusal = LoginRefused(_("账号已停用，请联系系统管理员。"), code="disabled")
        outcome = LoginAttempt.Outcome.DISABLED
    else:
        return user
    with transaction.atomic():
        _log_attempt(username, user, outcome, channel)
        audit.record(events.LOGIN_FAILED, actor=user, actor_name=username, success=False, message=outcome)
    raise refusal


def login_succeeded(*, user: User, channel: str = "web") -> None:
    with transaction.atomic():
        _log_attempt(user.username, user, LoginAttempt.Outcome.SUCCESS, channel)
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
        audit.record(events.LOGIN_SUCCEEDED, actor=user, message=channel)


def logged_out(*, user: User) -> None:
    audit.record(events.LOGOUT, actor=user)


def verify_second_factor(*, user: User, code: str) -> None:
    """Check a TOTP code; a wrong code counts as a failed login for the lockout rule."""
    info = request_context.current()
    if is_locked(username=user.username, ip=info.ip):
        minutes = get_parameter("login.lockout_minutes")
        raise LoginRefused(
            _("登录失败次数过多，账号已锁定，请 %(m)d 分钟后再试。") % {"m": minutes}, code="locked"
        )
    if not user.totp_secret or not pyotp.TOTP(user.totp_secret).verify((code or "").strip(), valid_window=1):
        with transaction.atomic():
            _log_attempt(user.username, user, LoginAttempt.Outcome.BAD_OTP, "web")
            audit.record(events.LOGIN_FAILED, actor=user, success=False, message="bad_otp")
        raise LoginRefused(_("动态口令不正确。"), code="bad_otp")


def begin_two_factor_enrolment(*, user: User) -> str:
    """A fresh secret for the user to scan; it only takes effect after `confirm_two_factor`."""
    return pyotp.random_base32()


def confirm_two_factor(*, user: User, secret: str, code: str) -> None:
    if not pyotp.TOTP(secret).verify((code or "").strip(), valid_window=1):
        raise ValidationFailed({"code": [_("动态口令不正确，请重新输入手机上显示的 6 位数字。")]})
    with transaction.atomic():
        user.totp_secret = secret
        user.totp_confirmed = True
        user.save(update_fields=["totp_secret", "totp_confirmed"])
        audit.record(events.TWO_FACTOR_ENROLLED, actor=user, target=user)


def password_expired(user: User) -> bool:
    max_age = get_parameter("password.max_age_days")
    if not max_age:
        return False
    if user.password_changed_at is None:
        return True
    return timezone.now() - user.password_changed_at > timedelta(days=max_age)


# --- passwords ---------------------------------------------------------------------------------------


def _set_password(user: User, new_password: str) -> None:
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as error:
        raise ValidationFailed({"new_password": list(error.messages)}) from None
    if user.password:
        PasswordHistory.objects.create(user=user, password=user.password)
    user.set_password(new_password)
    user.password_changed_at = timezone.now()


def password_change(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise ValidationFailed({"old_password": [_("原密码不正确。")]})
    with transaction.atomic():
        _set_password(user, new_password)
        user.save(update_fields=["password", "password_changed_at"])
        audit.record(events.PASSWORD_CHANGED, actor=user, target=user)


# --- users (system administrator) --------------------------------------------------------------------


@dataclass
class UserData:
    username: str
    full_name: str
    org: object
    mobile: str = ""
    is_active: bool = True


def my_settings_update(*, user: User, task_sms: bool) -> None:
    """个人设置: the signed-in user's own preferences (for now, whether step reminders come by SMS)."""
    if user.task_sms == task_sms:
        return
    before = {"task_sms": user.task_sms}
    with transaction.atomic():
        user.task_sms = task_sms
        user.save(update_fields=["task_sms"])
        audit.record(
            events.SETTINGS_CHANGED, actor=user, target=user, before=before, after={"task_sms": task_sms}
        )


def user_create(*, actor: User, data: UserData, password: str) -> User:
    require(actor, "accounts.add_user", data.org)
    if User.objects.filter(username=data.username).exists():
        raise ValidationFailed({"username": [_("用户名已存在。")]})
    user = User(username=data.username, full_name=data.full_name, org=data.org, mobile=data.mobile)
    with transaction.atomic():
        _set_password(user, password)
        user.password_changed_at = None  # first login must choose a new password
        user.save()
        audit.record(events.USER_CREATED, actor=actor, target=user, after=audit.snapshot(user, USER_FIELDS))
    return user


def user_update(*, actor: User, user: User, data: UserData) -> User:
    """修改用户. Unticking 启用 deactivates through `user_deactivate` (refused while the account holds open
    work, tokens revoked); moving the account to another org (调岗) is refused too while it holds open work:
    its steps and inquiries could end with someone whose new post no longer reaches them, so the work is
    handed over first (工作交接)."""
    require(actor, "accounts.change_user", user)
    require(actor, "accounts.change_user", data.org)
    deactivating = user.is_active and not data.is_active
    moving = data.org.pk != user.org_id
    if deactivating and user.pk == actor.pk:
        raise ValidationFailed({"is_active": [_("不能停用自己的账号。")]})
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # as a hand-over of this person
        if deactivating or moving:
            try:
                _require_no_open_work(user, moving=not deactivating)
            except ServiceError as error:
                raise ValidationFailed({"is_active" if deactivating else "org": [error.message]}) from None
        before = audit.snapshot(user, USER_FIELDS)
        user.full_name, user.org, user.mobile = data.full_name, data.org, data.mobile
        if not deactivating:
            user.is_active = data.is_active
        user.save()
        audit.record(
            events.USER_CHANGED,
            actor=actor,
            target=user,
            before=before,
            after=audit.snapshot(user, USER_FIELDS),
        )
        if deactivating:
            user_deactivate(actor=actor, user=user)
    return user


def user_deactivate(*, actor: User, user: User, successor: User | None = None, reason: str = "") -> Handover:
    """停用: the account's open work goes to `successor` first (工作交接), in the same transaction. Refused,
    with nothing changed, when it holds open work and no successor is named, or when some of it cannot go to
    the one named: a step nobody can act on any more stops a resident's case while its time limit runs, so an
    office hands the work over before the account closes (离职交接), never after."""
    require(actor, "accounts.change_user", user)
    if user.pk == actor.pk:
        raise ServiceError(_("不能停用自己的账号。"), code="self_deactivation")
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one hand-over of a person at a time
        if successor is None:
            _require_no_open_work(user)
            done = _cancel_ending_with_post(actor, user, reason)
        else:
            done = _hand_over(actor, user, successor, reason)
            if done.left:
                raise ValidationFailed({"successor": [_left_behind_message(successor, done.left)]})
        user.is_active = False
        user.save(update_fields=["is_active"])
        user_tokens_revoke(user)
        audit.record(
            events.USER_DEACTIVATED,
            actor=actor,
            target=user,
            after={"successor": successor.username} if successor else None,
        )
    return done


# --- 工作交接 (a person leaves or moves post) ------------------------------------------------------------------


@dataclass
class Handover:
    """What a hand-over did: how many of each kind moved to the successor (kind code → count), what could not
    go, and what simply ended with the post (the 流程代理 settings cancelled)."""

    moved: dict[str, int]
    left: list[LeftBehind]
    ended: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.moved.values())


def open_work(user: User) -> list[tuple[HandoverKind, int]]:
    """The kinds of open work `user` holds, with how many of each (only those with some)."""
    counts = [(kind, kind.count(user)) for kind in handover_kinds()]
    return [(kind, count) for kind, count in counts if count]


def work_summary(work: list[tuple[HandoverKind, int]]) -> str:
    return _("、").join(_("%(kind)s %(n)d 项") % {"kind": kind.label, "n": count} for kind, count in work)


def _require_no_open_work(user: User, *, moving: bool = False) -> None:
    work = [(kind, count) for kind, count in open_work(user) if kind.needs_successor]
    if work:
        message = (
            _("该账号还有未办结的工作（%(work)s），须先通过“工作交接”交给接替人，才能调整所属组织。")
            if moving
            else _("该账号还有未办结的工作（%(work)s），须指定接替人，交接后才能停用。")
        )
        raise ServiceError(message % {"work": work_summary(work)}, code="open_work")


def left_behind_text(left: list[LeftBehind], limit: int = 10) -> str:
    """What could not be handed over, as one line: the first `limit` items with their reasons."""
    items = _("；").join(
        _("%(item)s（%(why)s）") % {"item": item.label, "why": item.reason} for item in left[:limit]
    )
    if len(left) > limit:
        items += _("；等共 %(n)d 项") % {"n": len(left)}
    return items


def _left_behind_message(successor: User, left: list[LeftBehind]) -> str:
    items = left_behind_text(left)
    return _(
        "以下工作不能交给 %(name)s，账号未停用：%(items)s。请先通过“工作交接”把它们交给能办理的同事，再停用。"
    ) % {"name": successor.full_name or successor.username, "items": items}


def handover_successors(actor: User, user: User):
    """Whom the administrator may name: active business staff (an active role, none of the separated admin
    duties) among the users they manage, other than `user`."""
    admin_roles = Role.objects.filter(is_active=True).exclude(admin_duty="")
    admins = User.objects.filter(roles__in=admin_roles).values("pk")
    return (
        User.objects.visible_to(actor, "accounts.change_user")
        .filter(is_active=True, roles__is_active=True)
        .exclude(pk=user.pk)
        .exclude(pk__in=admins)
        .select_related("org")
        .distinct()
        .order_by("org__path", "username")
    )


def _check_handover(actor: User, user: User, successor: User | None, reason: str) -> str:
    reason = (reason or "").strip()[:500]
    errors: dict[str, list[str]] = {}
    if successor is None:
        errors["successor"] = [_("请选择接替人。")]
    elif successor.pk == user.pk:
        errors["successor"] = [_("接替人不能是交接人本人。")]
    elif not handover_successors(actor, user).filter(pk=successor.pk).exists():
        errors["successor"] = [
            _(
                "接替人须为您管理范围内在岗的业务工作人员（不能是已停用账号或系统管理员、安全管理员、审计员）。"
            )
        ]
    if not reason:
        errors["reason"] = [_("请填写交接原因（如：离职、调岗）。")]
    if errors:
        raise ValidationFailed(errors)
    return reason


def _hand_over(actor: User, user: User, successor: User, reason: str) -> Handover:
    """Every kind of open work, in the caller's transaction (`core.handover.kinds` gives the locking order)."""
    reason = _check_handover(actor, user, successor, reason)
    # The successor's reach is asked afresh: the object may have cached an older answer.
    successor = User.objects.get(pk=successor.pk)
    done = Handover(moved={}, left=[])
    for kind in handover_kinds():
        result = kind.move(actor=actor, from_user=user, to_user=successor, reason=reason)
        if result.count:
            (done.moved if kind.needs_successor else done.ended)[kind.code] = result.count
        done.left.extend(result.left)
    audit.record(
        events.USER_HANDED_OVER,
        actor=actor,
        target=user,
        message=reason,
        after={
            "successor": successor.username,
            "moved": done.moved,
            "ended": done.ended,
            "left": len(done.left),
        },
    )
    return done


def _cancel_ending_with_post(actor: User, user: User, reason: str) -> Handover:
    """What ends with the post and needs no successor (流程代理 settings naming the person)."""
    done = Handover(moved={}, left=[])
    for kind in handover_kinds():
        if not kind.needs_successor:
            result = kind.move(actor=actor, from_user=user, to_user=None, reason=reason)
            if result.count:
                done.ended[kind.code] = result.count
    return done


def user_handover(*, actor: User, from_user: User, to_user: User | None, reason: str) -> Handover:
    """工作交接 (调岗, or before 停用): `from_user`'s open work goes to `to_user`, in one transaction; what
    `to_user` cannot take stays and is listed in the answer. The account stays as it is."""
    require(actor, "accounts.change_user", from_user)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=from_user.pk).first()
        return _hand_over(actor, from_user, to_user, reason)


def user_reset_password(*, actor: User, user: User, new_password: str) -> None:
    require(actor, "accounts.change_user", user)
    with transaction.atomic():
        _set_password(user, new_password)
        user.password_changed_at = None
        user.save(update_fields=["password", "password_changed_at"])
        audit.record(events.USER_PASSWORD_RESET, actor=actor, target=user)


def user_unlock(*, actor: User, user: User) -> None:
    require(actor, "accounts.unlock_user", user)
    with transaction.atomic():
        LoginAttempt.objects.create(
            username=user.username, user=user, outcome=LoginAttempt.Outcome.SUCCESS, channel="unlock"
        )
        audit.record(events.USER_UNLOCKED, actor=actor, target=user)


def user_tokens_revoke(user: User) -> None:
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=user).delete()


# --- roles (security administrator) ------------------------------------------------------------------


def user_assign_roles(*, actor: User, user: User, roles: list[Role]) -> None:
    """Security administrator's duty. Nobody changes their own roles, and no one holds two admin duties."""
    require(actor, "accounts.assign_roles_user", user)
    if user.pk == actor.pk:
        raise PermissionDenied(_("不能为自己分配或取消角色。"))
    duties = {r.admin_duty for r in roles if r.admin_duty}
    if len(duties) > 1:
        raise ValidationFailed(
            {"roles": [_("三员分立：同一账号不能同时担任系统管理员、安全管理员、安全审计员中的两个。")]}
        )
    if duties and any(not r.admin_duty for r in roles):
        raise ValidationFailed({"roles": [_("三员分立：管理员账号不能同时持有业务角色。")]})
    before = sorted(user.roles.values_list("code", flat=True))
    with transaction.atomic():
        user.roles.set(roles)
        audit.record(
            events.ROLES_ASSIGNED,
            actor=actor,
            target=user,
            before={"roles": before},
            after={"roles": sorted(r.code for r in roles)},
        )


@dataclass
class RoleData:
    code: str
    name: str
    description: str
    data_scope: str
    permissions: list[Permission]
    custom_orgs: list
    is_active: bool = True


ADMIN_ONLY_APPS = {"accounts", "orgs", "parameters", "audit", "dictionaries", "workcalendar"}


def _check_role_data(data: RoleData, role: Role | None) -> None:
    if data.data_scope == DataScope.CUSTOM and not data.custom_orgs:
        raise ValidationFailed({"custom_orgs": [_("自定义数据范围须至少选择一个组织节点。")]})
    duty = role.admin_duty if role else AdminDuty.NONE
    if duty == AdminDuty.AUDIT and any(p.content_type.app_label != "audit" for p in data.permissions):
        raise ValidationFailed({"permissions": [_("三员分立：安全审计员只能持有审计权限。")]})
    if duty != AdminDuty.AUDIT and any(p.content_type.app_label == "audit" for p in data.permissions):
        raise ValidationFailed({"permissions": [_("三员分立：审计权限只能授予安全审计员。")]})


def role_create(*, actor: User, data: RoleData) -> Role:
    require(actor, "accounts.add_role", None)
    _check_role_data(data, None)
    if Role.objects.filter(code=data.code).exists():
        raise ValidationFailed({"code": [_("角色代码已存在。")]})
    with transaction.atomic():
        role = Role.objects.create(
            code=data.code,
            name=data.name,
            description=data.description,
            data_scope=data.data_scope,
            is_active=data.is_active,
        )
        role.permissions.set(data.permissions)
        role.custom_orgs.set(data.custom_orgs)
        audit.record(events.ROLE_CREATED, actor=actor, target=role, after=_role_snapshot(role))
    return role


def role_update(*, actor: User, role: Role, data: RoleData) -> Role:
    require(actor, "accounts.change_role", None)
    if role.pk in actor.roles.values_list("pk", flat=True):
        raise PermissionDenied(_("不能修改自己所持有角色的权限。"))
    _check_role_data(data, role)
    before = _role_snapshot(role)
    with transaction.atomic():
        role.name, role.description, role.data_scope, role.is_active = (
            data.name,
            data.description,
            data.data_scope,
            data.is_active,
        )
        role.save()
        role.permissions.set(data.permissions)
        role.custom_orgs.set(data.custom_orgs)
        audit.record(events.ROLE_CHANGED, actor=actor, target=role, before=before, after=_role_snapshot(role))
    return role


def _role_snapshot(role: Role) -> dict:
    return {
        "name": role.name,
        "data_scope": role.data_scope,
        "is_active": role.is_active,
        "permissions": sorted(
            f"{app}.{code}"
            for app, code in role.permissions.values_list("content_type__app_label", "codename")
        ),
        "custom_orgs": sorted(role.custom_orgs.values_list("pk", flat=True)),
    }


def issue_token(*, user: User):
    from rest_framework.authtoken.models import Token

    with transaction.atomic():
        token, _created = Token.objects.get_or_create(user=user)
        audit.record(events.TOKEN_ISSUED, actor=user)
    return token
