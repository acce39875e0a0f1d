from django.utils.translation import gettext_lazy as _

from jiedao.parameters.registry import MANAGE_SECURITY_POLICY, declare

GROUP = _("登录与密码策略")
PASSWORD_MIN_LENGTH = declare(
    "password.min_length",
    _("密码最小长度"),
    8,
    minimum=8,
    maximum=64,
    group=GROUP,
    permission=MANAGE_SECURITY_POLICY,
)
PASSWORD_MIN_CLASSES = declare(
    "password.min_classes",
    _("密码至少包含的字符类别数（大写、小写、数字、符号）"),
    3,
    minimum=1,
    maximum=4,
    group=GROUP,
    permission=MANAGE_SECURITY_POLICY,
)
PASSWORD_HISTORY = declare(
    "password.history",
    _("不得重复使用最近几次密码"),
    5,
    minimum=0,
    maximum=24,
    group=GROUP,
    permission=MANAGE_SECURITY_POLICY,
)
PASSWORD_MAX_AGE_DAYS = declare(
    "password.max_age_days",
    _("工作人员密码有效期（天，0 为不限）"),
    90,
    minimum=0,
    maximum=3650,
    group=GROUP,
    permission=MANAGE_SECURITY_POLICY,
)
LOCKOUT_THRESHOLD = declare(
    "login.lockout_threshold",
    _("连续登录失败锁定次数"),
    5,
    minimum=3,
    maximum=20,
    group=GROUP,
    permission=MANAGE_SECURITY_POLICY,
)
LOCKOUT_MINUTES = declare(
    "login.lockout_minutes",
    _("锁定时长（分钟）"),
    15,
    minimum=1,
    maximum=1440,
    group=GROUP,
    permission=MANAGE_SECURITY_POLICY,
)
