from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from jiedao.accounts.models import Role, User
from jiedao.core.scope import DataScope
from jiedao.core.testing import Tree, make_user, permissions
from jiedao.workcalendar.services import CHINA_TZ
from jiedao.workflow import engine
from jiedao.workflow.tests import processes

START_PERMS = ("workflow.add_processinstance", "workflow.view_processinstance")


def at(year, month, day, hour=9, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=CHINA_TZ)


class Clock:
    def __init__(self, moment: dt.datetime):
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment

    def set(self, *args) -> dt.datetime:
        self.moment = at(*args) if not isinstance(args[0], dt.datetime) else args[0]
        return self.moment

    def advance(self, **kwargs) -> dt.datetime:
        self.moment += dt.timedelta(**kwargs)
        return self.moment


@pytest.fixture
def clock(monkeypatch):
    """The engine's time, starting on Monday 2026-09-21 09:00 Beijing time."""
    fake = Clock(at(2026, 9, 21))
    monkeypatch.setattr(engine, "now", fake)
    return fake


def role(code: str, *perms: str, scope=DataScope.SUBTREE) -> Role:
    found, _created = Role.objects.get_or_create(
        code=code, defaults={"name": f"角色{code}", "data_scope": scope}
    )
    if perms:
        found.permissions.add(*permissions(*perms))
    return found


@dataclass
class People:
    tree: Tree
    applicant: User
    applicant2: User
    head: User
    head2: User
    leader: User
    office1: User
    office2: User
    office3: User
    dept_a: User
    dept_b: User
    dept_c: User
    supervisor: User
    deployer: User
    outsider: User


def _user(org, username, *roles_, perms=()):
    user = make_user(org, *perms, username=username)
    user.full_name = {"applicant": "张三", "head": "李主任", "leader": "陈书记"}.get(username, username)
    user.save(update_fields=["full_name"])
    for r in roles_:
        user.roles.add(r)
    return user


@pytest.fixture
def people(tree) -> People:
    staff = role("community-staff", *START_PERMS)
    approver = role("approver", *START_PERMS)
    leader = role("subdistrict-leader", *START_PERMS)
    office = role("office-staff", *START_PERMS)
    dept_a, dept_b, dept_c = role("dept-a"), role("dept-b"), role("dept-c")
    supervisor = role("supervisor", "workflow.view_processinstance", "workflow.view_worktask")
    deploy = role(
        "workflow-admin",
        "workflow.add_processdefinition",
        "workflow.view_processdefinition",
        "workflow.change_processdefinition",
        "workflow.change_processinstance",
    )
    sub = tree.subdistrict_a
    return People(
        tree=tree,
        applicant=_user(tree.community_a1, "applicant", staff),
        applicant2=_user(tree.community_a2, "applicant2", staff),
        head=_user(sub, "head", approver),
        head2=_user(sub, "head2", approver),
        leader=_user(sub, "leader", leader),
        office1=_user(sub, "office1", office),
        office2=_user(sub, "office2", office),
        office3=_user(sub, "office3", office),
        dept_a=_user(sub, "depta", dept_a),
        dept_b=_user(sub, "deptb", dept_b),
        dept_c=_user(sub, "deptc", dept_c),
        supervisor=_user(sub, "supervisor", supervisor),
        deployer=_user(sub, "deployer", deploy),
        outsider=_user(tree.subdistrict_b, "outsider", approver),
    )


@pytest.fixture
def leave(people):
    """The leave process deployed at sub-district A."""
    return processes.deploy(people, "leave")
