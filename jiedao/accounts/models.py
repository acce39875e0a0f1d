from __future__ import annotations

from django.contrib.auth.models import AbstractUser, Permission
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiedao.accounts.choices import AdminDuty
from jiedao.core.fields import EncryptedTextField
from jiedao.core.scope import DataScope, ScopeAware, ScopedQuerySet


class UserManager(DjangoUserManager.from_queryset(ScopedQuerySet)):
    pass


class User(ScopeAware, AbstractUser):
    """A staff account. Belongs to one org node; what it may do comes from its roles.

    There is no everyday superuser: `is_superuser` is never set and is ignored by the role backend.
    """

    scope_owner_field = None

    full_name = models.CharField(_("姓名"), max_length=50)
    org = models.ForeignKey(
        "orgs.OrgUnit", on_delete=models.PROTECT, related_name="users", verbose_name=_("所属组织")
    )
    mobile = models.CharField(_("手机号码"), max_length=20, blank=True)
    task_sms = models.BooleanField(
        _("接收待办短信提醒"), default=True, help_text=_("新待办、待办即将到期和已超期时短信告知。")
    )
    roles = models.ManyToManyField("accounts.Role", blank=True, related_name="users", verbose_name=_("角色"))
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    totp_secret = EncryptedTextField(_("动态口令密钥"), blank=True)
    totp_confirmed = models.BooleanField(_("已绑定动态口令"), default=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["username"]
        permissions = [("assign_roles_user", _("可为用户分配角色")), ("unlock_user", _("可解除账号锁定"))]

    def __str__(self) -> str:
        return f"{self.full_name}（{self.username}）" if self.full_name else self.username

    @property
    def admin_duties(self) -> set[str]:
        if "_admin_duties" not in self.__dict__:
            self.__dict__["_admin_duties"] = set(
                self.roles.filter(is_active=True).exclude(admin_duty="").values_list("admin_duty", flat=True)
            )
        return self.__dict__["_admin_duties"]

    @property
    def requires_two_factor(self) -> bool:
        return bool(self.admin_duties)


class Role(models.Model):
    """A set of permissions with a data scope. Three built-in roles carry the separated admin duties."""

    code = models.SlugField(_("代码"), max_length=50, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    data_scope = models.CharField(
        _("数据范围"), max_length=10, choices=DataScope.choices, default=DataScope.SUBTREE
    )
    custom_orgs = models.ManyToManyField(
        "orgs.OrgUnit", blank=True, related_name="+", verbose_name=_("自定义数据范围节点")
    )
    permissions = models.ManyToManyField(Permission, blank=True, related_name="roles", verbose_name=_("权限"))
    admin_duty = models.CharField(
        _("三员职责"), max_length=10, choices=AdminDuty.choices, default="", blank=True
    )
    home = models.CharField(_("首页"), max_length=50, default="staff", blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class PasswordHistory(models.Model):
    """Previous password hashes, so the policy can refuse reuse of the last N."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")

    def __str__(self) -> str:
        return f"{self.user_id}@{self.created_at:%Y-%m-%d}"


class LoginAttempt(ScopeAware, models.Model):
    """Every login attempt, UI or API: the login log and the input of the lockout rule.

    Scoped through the account's org; attempts on unknown names are visible only with an all-org scope.
    """

    scope_org_field = "user__org"
    scope_owner_field = None

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("成功")
        BAD_CREDENTIALS = "bad_credentials", _("用户名或密码错误")
        LOCKED = "locked", _("账号或 IP 已锁定")
        DISABLED = "disabled", _("账号已停用")
        BAD_OTP = "bad_otp", _("动态口令错误")

    username = models.CharField(_("用户名"), max_length=150, db_index=True)
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True, db_index=True)
    user_agent = models.CharField(_("客户端"), max_length=300, blank=True)
    channel = models.CharField(_("渠道"), max_length=10, default="web")
    outcome = models.CharField(_("结果"), max_length=20, choices=Outcome.choices)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("登录日志")
        verbose_name_plural = _("登录日志")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.username} {self.outcome}"

    @property
    def success(self) -> bool:
        return self.outcome == self.Outcome.SUCCESS
