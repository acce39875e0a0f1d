"""Who handles a user task: the BPMN assignment expressions resolved to concrete users.

See `jiedao.workflow.bpmn` for the convention. Org-relative groups resolve against the instance's org node
and the initiator's node:

* ``role:<code>`` — active holders of the role at the instance's node; if there are none, at its parent,
  and so on up the tree (the nearest level that has some);
* ``orgrole:<code>@<anchor>`` — active holders of the role at exactly the anchor node;
* ``user:<username>``, ``initiator``, ``${variable}`` — one user.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jiedao.accounts.models import Role, User
from jiedao.core.i18n import Concat, Message, Text
from jiedao.core.scope import scope_for
from jiedao.orgs.choices import OrgLevel
from jiedao.orgs.models import OrgUnit
from jiedao.workflow.bpmn import ANCHORS, Element, var_name


@dataclass
class AssignmentContext:
    org: OrgUnit
    initiator: User
    data: dict


class AssignmentError(Exception):
    """Nobody can handle a step; its one argument is a `Message` (read by each administrator in their
    language when it stops an instance)."""


def _parse_group(group: str) -> tuple[str, str, str]:
    """("role"|"orgrole", code, anchor)."""
    if group.startswith("orgrole:"):
        body = group[len("orgrole:") :]
        code, _sep, anchor = body.partition("@")
        return "orgrole", code.strip(), anchor.strip()
    if group.startswith("role:"):
        return "role", group[len("role:") :].strip(), ""
    return "role", group.strip(), ""


def _user_ref(value: str) -> tuple[str, str]:
    """("initiator"|"var"|"user", name)."""
    if value == "initiator":
        return "initiator", ""
    name = var_name(value)
    if name:
        return "var", name
    if value.startswith("${"):
        return "invalid", value
    if value.startswith("user:"):
        return "user", value[len("user:") :].strip()
    return "user", value.strip()


def validate_element(element: Element, *, reported: Collection[tuple[str, str, str]] = ()) -> list[str]:
    """Deploy-time check of a user task's assignment: known roles, anchors and users. A reference in
    `reported` — (element id, "user" | "group", reference), one the import of another modeler's file
    already reported with what to do — is not reported again."""
    errors: list[str] = []
    refs = ([element.assignee] if element.assignee else []) + element.candidate_users
    groups = element.candidate_groups
    if not refs and not groups:
        errors.append(
            _("用户任务%(e)s没有指定办理人（camunda:assignee、candidateUsers 或 candidateGroups）。")
            % {"e": element.label}
        )
    refs = [ref for ref in refs if (element.id, "user", ref) not in reported]
    groups = [group for group in groups if (element.id, "group", group) not in reported]
    usernames = []
    for ref in refs:
        kind, name = _user_ref(ref)
        if kind == "invalid":
            errors.append(
                _("用户任务%(e)s的办理人表达式「%(v)s」无效。") % {"e": element.label, "v": ref[:50]}
            )
        elif kind == "user":
            usernames.append(name)
    if element.exclude_initiator and "initiator" in refs:
        errors.append(
            _("用户任务%(e)s设置了“发起人不能办理”，却又指定发起人（initiator）为办理人。")
            % {"e": element.label}
        )
    if usernames:
        known = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
        for name in usernames:
            if name not in known:
                errors.append(_("用户任务%(e)s指定的用户「%(u)s」不存在。") % {"e": element.label, "u": name})
    codes = []
    for group in groups:
        kind, code, anchor = _parse_group(group)
        if not code:
            errors.append(_("用户任务%(e)s的候选组「%(g)s」无效。") % {"e": element.label, "g": group[:50]})
            continue
        codes.append(code)
        if kind == "orgrole" and anchor not in ANCHORS:
            errors.append(
                _("用户任务%(e)s的候选组「%(g)s」使用了未知的组织位置「%(a)s」（可用：%(list)s）。")
                % {"e": element.label, "g": group[:50], "a": anchor or "?", "list": "、".join(ANCHORS)}
            )
    if codes:
        known_roles = set(Role.objects.filter(code__in=codes).values_list("code", flat=True))
        for code in codes:
            if code not in known_roles:
                errors.append(_("用户任务%(e)s引用的角色「%(r)s」不存在。") % {"e": element.label, "r": code})
    return errors


def _ancestors_inclusive(org: OrgUnit) -> list[OrgUnit]:
    """`org` and its ancestors, nearest first."""
    return [org, *reversed(list(org.ancestors()))]


def _at_level(org: OrgUnit, level: int) -> OrgUnit | None:
    for node in _ancestors_inclusive(org):
        if node.level == level:
            return node
    return None


def anchor_org(anchor: str, context: AssignmentContext) -> OrgUnit | None:
    org, initiator_org = context.org, context.initiator.org
    if anchor == "org":
        return org
    if anchor == "parent":
        return org.parent
    if anchor == "community":
        return org.community()
    if anchor == "subdistrict":
        return _at_level(org, OrgLevel.SUBDISTRICT)
    if anchor == "district":
        return _at_level(org, OrgLevel.DISTRICT)
    if anchor == "initiator_org":
        return initiator_org
    if anchor in ("initiator_community", "applicant_community"):
        return initiator_org.community()
    if anchor in ("initiator_subdistrict", "applicant_subdistrict"):
        return _at_level(initiator_org, OrgLevel.SUBDISTRICT)
    return None


def _holders(code: str, orgs: list[OrgUnit]):
    return User.objects.filter(
        is_active=True, roles__code=code, roles__is_active=True, org__in=[o.pk for o in orgs]
    ).distinct()


def _resolve_ref(ref: str, context: AssignmentContext) -> User:
    kind, name = _user_ref(ref)
    if kind == "initiator":
        return context.initiator
    if kind == "var":
        name = context.data.get(name)
        if not isinstance(name, str) or not name:
            raise AssignmentError(Message(gettext_noop("流程变量「%(v)s」中没有办理人的用户名。"), v=ref))
    user = User.objects.filter(username=name, is_active=True).first()
    if user is None:
        raise AssignmentError(Message(gettext_noop("用户「%(u)s」不存在或已停用。"), u=name))
    if not may_handle(user, context.org):
        # A name typed into a form (${variable}) must not hand the process data to someone outside its scope.
        raise AssignmentError(
            Message(
                gettext_noop("用户「%(u)s」不在本流程所属组织的管辖范围内，不能作为办理人或抄送对象。"),
                u=name,
            )
        )
    return user


def may_handle(user: User, org: OrgUnit) -> bool:
    """A user named to handle (or receive) a step of an instance at `org` must be able to see it by their own
    roles, and hold none of the three separated admin duties (they do no business)."""
    return not user.admin_duties and scope_for(user, "workflow.view_processinstance").covers_org(org.pk)


def resolve(element: Element, context: AssignmentContext) -> tuple[User | None, list[User]]:
    """(assignee, candidates) of a user task; the candidates include the assignee. Raises
    `AssignmentError` when nobody can handle it."""
    left_out = context.initiator.pk if element.exclude_initiator else None
    assignee = _resolve_ref(element.assignee, context) if element.assignee else None
    if assignee is not None and assignee.pk == left_out:
        assignee = None  # (a ${variable} naming the initiator): the step goes to its candidates
    found: dict[int, User] = {}
    if assignee is not None:
        found[assignee.pk] = assignee
    for ref in element.candidate_users:
        user = _resolve_ref(ref, context)
        if user.pk != left_out:
            found.setdefault(user.pk, user)
    for group in element.candidate_groups:
        for user in resolve_group(group, context, left_out=left_out):
            found.setdefault(user.pk, user)
    if not found:
        raise AssignmentError(_nobody_message(element, context))
    return assignee, sorted(found.values(), key=lambda u: u.username)


def _nobody_message(element: Element, context: AssignmentContext) -> Text:
    """Which step has nobody, in words staff understand: the step's name, the roles' Chinese names and the
    org where nobody holds them (no element ids, role codes or empty parts)."""
    step = element.name or element.id
    parts = []
    for group in element.candidate_groups:
        kind, code, anchor = _parse_group(group)
        role = Role.objects.filter(code=code).values_list("name", flat=True).first() or code
        node = anchor_org(anchor, context) if kind == "orgrole" else context.org
        where = node.name if node is not None else Message(gettext_noop("相应组织"))
        if element.exclude_initiator:
            parts.append(Message(gettext_noop("%(org)s除发起人外没有在岗的“%(role)s”"), org=where, role=role))
        else:
            parts.append(Message(gettext_noop("%(org)s没有在岗的“%(role)s”"), org=where, role=role))
    if not parts:
        message = Message(
            gettext_noop("环节「%(step)s」找不到办理人：指定的办理人不可用，请检查流程的办理人设置。"),
            step=step,
        )
    else:
        separator = Message(gettext_noop("；"))
        who = Concat(
            *[piece for n, part in enumerate(parts) for piece in ((separator, part) if n else (part,))]
        )
        message = Message(
            gettext_noop("环节「%(step)s」找不到办理人：%(who)s，请检查角色分配。"), step=step, who=who
        )
    if element.exclude_initiator:
        name = context.initiator.full_name or context.initiator.username
        message = Concat(message, Message(gettext_noop("（发起人%(name)s本人不能办理该环节。）"), name=name))
    return message


def resolve_group(group: str, context: AssignmentContext, *, left_out: int | None = None) -> list[User]:
    """The group's users; `left_out` (a user id, the initiator of a step that excludes them) is never among
    them, and a ``role:`` group whose only holder at a level is that user looks one level further up."""
    kind, code, anchor = _parse_group(group)
    if kind == "orgrole":
        node = anchor_org(anchor, context)
        users = list(_holders(code, [node])) if node is not None else []
        return [user for user in users if user.pk != left_out]
    for node in _ancestors_inclusive(context.org):
        users = [user for user in _holders(code, [node]) if user.pk != left_out]
        if users:
            return users
    return []


def resolve_users(expression: str, context: AssignmentContext) -> list[User]:
    """Users named by a comma-separated mix of user references and groups (for actions such as 抄送)."""
    found: dict[int, User] = {}
    for part in [p.strip() for p in (expression or "").split(",") if p.strip()]:
        if part.startswith(("role:", "orgrole:")):
            users = resolve_group(part, context)
        else:
            users = [_resolve_ref(part, context)]
        for user in users:
            found.setdefault(user.pk, user)
    return list(found.values())
