"""Demo district: the org tree, the built-in roles and one account per role.

Idempotent: running it again finds what exists and adds only what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyotp
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from jiedao.accounts.choices import AdminDuty
from jiedao.accounts.models import Role, User
from jiedao.core.scope import DataScope
from jiedao.orgs.choices import OrgLevel
from jiedao.orgs.models import OrgUnit

DEMO_PASSWORD = "Jiedao@2026"

DISTRICT = ("明湖区", "330110000000")
# Named in every refusal of the district's offices (inherited down the tree): a 街道办事处 is the district
# government's 派出机关, so the district government hears reconsideration (行政复议法第二十四条).
DISTRICT_REMEDY = {"reconsideration_body": "杭州市明湖区人民政府", "litigation_court": "杭州市明湖区人民法院"}
SUBDISTRICTS = {
    ("清波街道", "330110001000"): [
        ("柳浪社区", "330110001001"),
        ("涌金社区", "330110001002"),
        ("南屏社区", "330110001003"),
    ],
    ("望江街道", "330110002000"): [
        ("江城社区", "330110002001"),
        ("近江社区", "330110002002"),
        ("秋涛社区", "330110002003"),
    ],
}
GRIDS_PER_COMMUNITY = 3


@dataclass(frozen=True)
class RoleSpec:
    code: str
    name: str
    scope: str
    permissions: tuple[str, ...]
    admin_duty: str = ""
    description: str = ""


# Permission patterns: "app.codename", or "app.*" for every permission of an app.
ROLE_SPECS = [
    RoleSpec(
        "system-admin",
        "系统管理员",
        DataScope.ALL,
        (
            "accounts.view_user",
            "accounts.add_user",
            "accounts.change_user",
            "accounts.unlock_user",
            "orgs.*",
            "parameters.view_systemparameter",
            "parameters.manage_systemparameter",
            "dictionaries.*",
            "workcalendar.*",
            "timelimits.view_clockpolicy",
            "timelimits.change_clockpolicy",
            "sms.view_outboundmessage",
        ),
        AdminDuty.SYSTEM,
        "用户、组织机构、系统参数、数据字典、工作日历；不能查看审计日志，不能分配角色。",
    ),
    RoleSpec(
        "security-admin",
        "安全管理员",
        DataScope.ALL,
        (
            "accounts.view_role",
            "accounts.add_role",
            "accounts.change_role",
            "accounts.view_user",
            "accounts.assign_roles_user",
            "accounts.unlock_user",
            "parameters.view_systemparameter",
            "parameters.manage_security_policy",
        ),
        AdminDuty.SECURITY,
        "角色、权限、安全策略；不能管理业务数据。",
    ),
    RoleSpec(
        "auditor",
        "安全审计员",
        DataScope.ALL,
        (
            "audit.view_auditevent",
            "audit.export_auditevent",
            "audit.verify_auditevent",
            "audit.view_auditarchive",
            "accounts.view_loginattempt",
        ),
        AdminDuty.AUDIT,
        "查看、导出审计日志与登录日志，校验审计链；无其他权限。",
    ),
    RoleSpec(
        "district-leader",
        "区领导",
        DataScope.SUBTREE,
        ("orgs.view_orgunit", "timelimits.view_clock"),
        description="全区数据只读。",
    ),
    RoleSpec(
        "subdistrict-leader",
        "街道领导",
        DataScope.SUBTREE,
        ("orgs.view_orgunit", "timelimits.view_clock"),
        description="本街道及所辖社区数据只读。",
    ),
    RoleSpec(
        "window-staff",
        "窗口人员",
        DataScope.SUBTREE,
        ("orgs.view_orgunit", "timelimits.view_clock"),
        description="政务服务中心窗口受理。",
    ),
    RoleSpec(
        "community-staff",
        "社区工作人员",
        DataScope.SUBTREE,
        ("orgs.view_orgunit", "timelimits.view_clock"),
        description="维护本社区人口、房屋、企业等信息。",
    ),
    RoleSpec(
        "approver",
        "部门审批人员",
        DataScope.SUBTREE,
        ("orgs.view_orgunit", "timelimits.view_clock"),
        description="办理待办审批。",
    ),
    RoleSpec(
        "office-staff",
        "办公室人员",
        DataScope.NODE,
        ("orgs.view_orgunit",),
        description="公文、请销假、会议室等行政事务。",
    ),
    RoleSpec(
        "supervisor",
        "监察人员",
        DataScope.SUBTREE,
        ("orgs.view_orgunit", "timelimits.view_clock"),
        description="纪工委、效能办：时限监察、红黄牌。",
    ),
]

# username, full name, role, org name. Every sub-district with published catalog items has a window, a
# department approver and a leader, and every community a community staff member, so that each item can be
# accepted, processed (the household check runs at the applicant's community) and concluded in the demo.
DEMO_USERS = [
    ("sysadmin", "林志远", "system-admin", DISTRICT[0]),
    ("secadmin", "周静怡", "security-admin", DISTRICT[0]),
    ("auditor", "吴建华", "auditor", DISTRICT[0]),
    ("quleader", "郑国强", "district-leader", DISTRICT[0]),
    ("leader", "陈海燕", "subdistrict-leader", "清波街道"),
    ("window", "王晓梅", "window-staff", "清波街道"),
    ("approver", "李卫东", "approver", "清波街道"),
    ("office", "赵丽娟", "office-staff", "清波街道"),
    ("supervisor", "孙德明", "supervisor", "清波街道"),
    ("shequ", "张秀英", "community-staff", "柳浪社区"),
    ("shequ3", "黄桂芳", "community-staff", "涌金社区"),
    ("shequ4", "杨文斌", "community-staff", "南屏社区"),
    ("leader2", "何美玲", "subdistrict-leader", "望江街道"),
    ("window2", "钱丽华", "window-staff", "望江街道"),
    ("approver2", "冯志刚", "approver", "望江街道"),
    ("office2", "蒋雅琴", "office-staff", "望江街道"),
    ("shequ2", "刘建国", "community-staff", "江城社区"),
    ("shequ5", "徐春燕", "community-staff", "近江社区"),
    ("shequ6", "马永林", "community-staff", "秋涛社区"),
]


def _node(name: str, level: int, code: str, parent: OrgUnit | None) -> OrgUnit:
    node = OrgUnit.objects.filter(division_code=code).first()
    if node is None:
        node = OrgUnit.objects.create(name=name, level=level, division_code=code, parent=parent, path="tmp")
        node.path = node.path_for(parent)
        node.save(update_fields=["path"])
    return node


def load_tree() -> OrgUnit:
    district = _node(DISTRICT[0], OrgLevel.DISTRICT, DISTRICT[1], None)
    if not (district.reconsideration_body or district.litigation_court):  # an administrator's edit stays
        OrgUnit.objects.filter(pk=district.pk).update(**DISTRICT_REMEDY)
        district.refresh_from_db()
    for (sub_name, sub_code), communities in SUBDISTRICTS.items():
        subdistrict = _node(sub_name, OrgLevel.SUBDISTRICT, sub_code, district)
        for community_name, community_code in communities:
            community = _node(community_name, OrgLevel.COMMUNITY, community_code, subdistrict)
            for n in range(1, GRIDS_PER_COMMUNITY + 1):
                _node(
                    f"{community_name[:-2]}第{'一二三四五'[n - 1]}网格",
                    OrgLevel.GRID,
                    f"{community_code}{n:03d}",
                    community,
                )
    return district


def resolve_permissions(patterns: tuple[str, ...]) -> list[Permission]:
    found: list[Permission] = []
    for pattern in patterns:
        app_label, codename = pattern.split(".", 1)
        queryset = Permission.objects.filter(content_type__app_label=app_label)
        if codename != "*":
            queryset = queryset.filter(codename=codename)
        found.extend(queryset)
    return found


def load_roles(specs=ROLE_SPECS) -> dict[str, Role]:
    roles = {}
    for spec in specs:
        role, _created = Role.objects.get_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "data_scope": spec.scope,
                "admin_duty": spec.admin_duty,
                "description": spec.description,
            },
        )
        role.permissions.add(*resolve_permissions(spec.permissions))
        roles[spec.code] = role
    return roles


# Staff who handle the 低保 case's steps at 清波街道 have a mobile number, so the demo's 短信发件箱 shows the
# 待办 reminders they get (fictitious numbers, as the demo residents').
DEMO_STAFF_MOBILES = {"leader": "13957200001", "approver": "13957200002", "shequ": "13957200003"}


def load_users(roles: dict[str, Role]) -> list[tuple[User, str]]:
    created = []
    for username, full_name, role_code, org_name in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, full_name=full_name, org=OrgUnit.objects.get(name=org_name))
            user.mobile = DEMO_STAFF_MOBILES.get(username, "")
            user.set_password(DEMO_PASSWORD)
            user.password_changed_at = timezone.now()
            if roles[role_code].admin_duty:
                user.totp_secret = pyotp.random_base32()
                user.totp_confirmed = True
            user.save()
            user.roles.add(roles[role_code])
        created.append((user, role_code))
    return created


def account_lines(users: list[tuple[User, str]]) -> list[str]:
    """The demo accounts as `make run` prints them: one line per org group (the district, each
    sub-district, the communities of each sub-district); `*` marks the accounts that need a TOTP code."""
    by_org: dict[str, list[User]] = {}
    for user, _role in users:
        by_org.setdefault(user.org.name, []).append(user)

    def entry(user: User, where: str = "") -> str:
        roles = "、".join(role.name for role in user.roles.all())
        return f"{user.username}（{where or roles}）{'*' if user.totp_confirmed else ''}"

    lines = [f"演示账号（密码均为 {DEMO_PASSWORD}；* 为三员账号，须输入动态口令，见下）："]
    if DISTRICT[0] in by_org:
        lines.append(f"  {DISTRICT[0]}：" + "  ".join(entry(u) for u in by_org[DISTRICT[0]]))
    for (sub_name, _code), communities in SUBDISTRICTS.items():
        if sub_name in by_org:
            lines.append(f"  {sub_name}：" + "  ".join(entry(u) for u in by_org[sub_name]))
        staff = [(u, name) for name, _c in communities for u in by_org.get(name, [])]
        if staff:
            lines.append(
                f"  {sub_name}各社区（社区工作人员）：" + "  ".join(entry(u, name) for u, name in staff)
            )
    listed = {DISTRICT[0], *(n for (sub, _c), cs in SUBDISTRICTS.items() for n in (sub, *(c for c, _ in cs)))}
    others = [u for name, group in by_org.items() if name not in listed for u in group]
    if others:
        lines.append("  其他：" + "  ".join(entry(u, f"{u.org.name}") for u in others))
    return lines


@transaction.atomic
def load() -> list[tuple[User, str]]:
    load_tree()
    return load_users(load_roles())
