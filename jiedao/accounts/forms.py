from django import forms
from django.contrib.auth.models import Permission
from django.utils.translation import gettext_lazy as _

from jiedao.accounts.models import Role, User
from jiedao.accounts.selectors import permission_label
from jiedao.core.forms import StyledForm
from jiedao.core.scope import DataScope
from jiedao.orgs.models import OrgUnit


class LoginForm(StyledForm):
    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("密码"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class OtpForm(StyledForm):
    code = forms.CharField(
        label=_("动态口令"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text=_("请输入身份验证器应用中显示的 6 位数字。"),
    )


class MySettingsForm(StyledForm):
    task_sms = forms.BooleanField(
        label=_("接收待办短信提醒"),
        required=False,
        help_text=_("新待办、待办即将到期和已超期时，短信发送到您账号上的手机号码。"),
    )


class PasswordChangeForm(StyledForm):
    old_password = forms.CharField(
        label=_("原密码"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        label=_("新密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    new_password_again = forms.CharField(
        label=_("再次输入新密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("两次输入的新密码不一致。"))
        return data


class UserForm(StyledForm):
    username = forms.RegexField(
        label=_("用户名"),
        regex=r"^[A-Za-z0-9_.-]{3,30}$",
        max_length=30,
        error_messages={"invalid": _("用户名为 3–30 位字母、数字或 _ . -")},
    )
    full_name = forms.CharField(label=_("姓名"), max_length=50)
    org = forms.ModelChoiceField(label=_("所属组织"), queryset=OrgUnit.objects.none())
    mobile = forms.RegexField(
        label=_("手机号码"),
        regex=r"^1[3-9]\d{9}$",
        required=False,
        error_messages={"invalid": _("请输入 11 位手机号码。")},
    )
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    password = forms.CharField(
        label=_("初始密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("用户首次登录时须修改密码。"),
    )

    def __init__(self, *args, orgs=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs
        if editing:
            del self.fields["password"]
            self.fields["username"].disabled = True


class HandoverForm(StyledForm):
    """工作交接 (and 停用, where the successor is asked only when the account holds open work)."""

    successor = forms.ModelChoiceField(
        label=_("接替人"),
        queryset=User.objects.none(),
        help_text=_("接替人须为在岗的业务工作人员，且能办理所交接的工作（在其管辖范围内）。"),
    )
    reason = forms.CharField(label=_("交接原因"), max_length=500, initial=_("调岗"))

    def __init__(self, *args, successors=None, deactivating=False, needs_successor=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["successor"].queryset = successors
        self.fields["successor"].label_from_instance = lambda u: (
            f"{u.full_name or u.username}（{u.username}，{u.org.name}）"
        )
        if deactivating:
            # Naming nobody is answered by the service, which says what the account still holds.
            self.fields["successor"].required = False
            self.fields["reason"].initial = _("离职")
            self.fields["reason"].required = needs_successor
            if not needs_successor:
                del self.fields["successor"]


class UserRolesForm(StyledForm):
    roles = forms.ModelMultipleChoiceField(
        label=_("角色"),
        queryset=Role.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class RoleForm(StyledForm):
    code = forms.SlugField(label=_("代码"), max_length=50)
    name = forms.CharField(label=_("名称"), max_length=50)
    description = forms.CharField(label=_("说明"), max_length=200, required=False)
    data_scope = forms.ChoiceField(label=_("数据范围"), choices=DataScope.choices)
    custom_orgs = forms.ModelMultipleChoiceField(
        label=_("自定义数据范围节点"), queryset=OrgUnit.objects.all(), required=False
    )
    permissions = forms.ModelMultipleChoiceField(
        label=_("权限"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        queryset=Permission.objects.filter(content_type__app_label__in=[]),
    )
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, permission_apps=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permissions"].queryset = (
            Permission.objects.filter(content_type__app_label__in=permission_apps)
            .select_related("content_type")
            .order_by("content_type__app_label", "codename")
        )
        self.fields["permissions"].label_from_instance = permission_label
        if editing:
            self.fields["code"].disabled = True
