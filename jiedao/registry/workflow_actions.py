"""Registry actions for service tasks (see `jiedao.workflow.actions`).

* ``registry.load_household`` — read the applicant's household from the registry into the process data:
  ``household`` (number, address, members with their relation to the head, age and active special-group
  tags) and ``household_text`` (the same as readable lines, for a read-only field of a task form).
* ``registry.tag_add`` — mark a person as a special group (e.g. ``dibao``) with the approval as evidence.

Both run inside the engine's step. The tag is written on the process's authority, not the step actor's:
the deployed process (approved by its maintainers) says the tag follows from the approval, and the step
that reaches it may be a timer with no actor at all. The same checks as `registry.services.tag_add` apply
(a valid group, no overlapping tag); the life event and the audit record name the step's actor, or
"system".
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.workflow.actions import ActionError, workflow_action


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _person(ctx, person_id, *, lock: bool = False):
    """The person, when within the instance's org subtree: a process must not read or tag residents of an org
    it does not serve (a person id is just a number a form or a designer can carry). None when absent.
    `lock`: the person's row is locked for the rest of the step (see `registry.services.persons.lock_person`),
    so a status checked on it holds until the step commits. A merged duplicate (已合并) stands for the record
    it was merged into, even when merged after the process started."""
    from jiedao.registry.models import Person
    from jiedao.registry.selectors import survivor_ids

    if not isinstance(person_id, int) or isinstance(person_id, bool):
        return None
    person_id = next(iter(survivor_ids(Person.objects.filter(pk=person_id))), person_id)
    people = Person.objects.select_related("org")
    if lock:
        people = people.select_for_update(no_key=True, of=("self",))
    person = people.filter(pk=person_id).first()
    if person is not None and not person.org.path.startswith(ctx.instance.org.path):
        raise ActionError(
            _("人员不在本流程所属组织（%(org)s）的管辖范围内，不能读取或标记。")
            % {"org": ctx.instance.org.name}
        )
    return person


@workflow_action(
    "registry.load_household",
    label=_("读取申请人家庭（户籍成员与特殊人群标记）"),
    params={"person_id": {"type": "value", "label": _("人员编号（可写 ${applicant_person_id}）")}},
)
def load_household(ctx, *, person_id):
    from jiedao.core.i18n import records_language
    from jiedao.dictionaries import selectors as dictionaries
    from jiedao.registry.models import HouseholdMember, SpecialGroupTag

    today = timezone.localdate()
    person = _person(ctx, person_id)
    # process data that later steps show to whoever handles them: in the site language, like the timeline
    with records_language():
        if person is None:
            ctx.data["household"] = None
            ctx.data["household_text"] = str(_("实有人口库中未找到申请人，请入户核实家庭成员。"))
            return
        membership = HouseholdMember.objects.filter(person=person).select_related("household").first()
        people = [person]
        household = membership.household if membership else None
        if household is not None:
            people = [
                m.person
                for m in HouseholdMember.objects.filter(household=household)
                .select_related("person")
                .order_by("relation", "id")
            ]
        relations = {
            m.person_id: m.relation for m in HouseholdMember.objects.filter(person__in=[p.pk for p in people])
        }
        tags: dict[int, list[str]] = {}
        for tag in SpecialGroupTag.objects.filter(person__in=[p.pk for p in people]).filter(
            SpecialGroupTag.valid_on(today)
        ):
            tags.setdefault(tag.person_id, []).append(tag.group)
        members = []
        lines = []
        for member in people:
            relation = relations.get(member.pk, "")
            relation_label = dictionaries.label("relation", relation) if relation else ""
            groups = sorted(tags.get(member.pk, []))
            group_labels = [dictionaries.label("special_group", g) for g in groups]
            age = _age(member.birth_date, today)
            members.append(
                {
                    "person_id": member.pk,
                    "name": member.name,
                    "relation": relation,
                    "relation_label": relation_label or relation,
                    "age": age,
                    "tags": groups,
                    "tag_labels": group_labels,
                    "is_applicant": member.pk == person.pk,
                }
            )
            line = f"{member.name}（{relation_label or relation or _('本人')}，{age} 岁）"
            if group_labels:
                line += "：" + "、".join(group_labels)
            if member.pk == person.pk:
                line += " ← " + str(_("申请人"))
            lines.append(line)
        ctx.data["household"] = {
            "number": household.number if household else "",
            "address": household.registered_address if household else "",
            "org_id": household.org_id if household else None,
            "members": members,
        }
        head = (
            _("户号 %(n)s，%(a)s，共 %(c)d 人：")
            % {"n": household.number, "a": household.registered_address, "c": len(members)}
            if household
            else _("申请人未登记户籍，仅本人：")
        )
        ctx.data["household_text"] = "\n".join([str(head), *lines])
        ctx.data["household_size"] = len(members)


@workflow_action(
    "registry.tag_add",
    label=_("标记特殊人群"),
    params={
        "person_id": {"type": "value", "label": _("人员编号（可写 ${applicant_person_id}）")},
        "group": {"type": "str", "label": _("人群类别（字典 special_group，如 dibao）")},
        "evidence": {"type": "str", "required": False, "default": "", "label": _("依据")},
    },
)
def tag_add(ctx, *, person_id, group, evidence=""):
    from jiedao.audit import services as audit
    from jiedao.core.i18n import records_language
    from jiedao.dictionaries import selectors as dictionaries
    from jiedao.registry import audit_events as events
    from jiedao.registry.choices import LifeEventKind, PersonStatus
    from jiedao.registry.models import LifeEvent, SpecialGroupTag

    # locked: a 迁出 or death registered while the step runs is seen here, or waits and then ends this tag
    person = _person(ctx, person_id, lock=True)
    if person is None:
        ctx.data["tag_added"] = False
        ctx.data["tag_note"] = str(_("申请人不在实有人口库中，未能添加标记，请人工登记。"))
        return
    if not dictionaries.is_valid("special_group", group):
        raise ActionError(_("“%(g)s”不是有效的人群类别。") % {"g": group})
    if person.status != PersonStatus.LIVING:  # died or moved out while the process ran
        ctx.data["tag_added"] = False
        ctx.data["tag_note"] = str(
            _("该居民当前状态为“%(s)s”，未能添加标记，请人工核实。") % {"s": person.get_status_display()}
        )
        return
    today = timezone.localdate(ctx.step.moment)
    if (
        SpecialGroupTag.objects.filter(person=person, group=group)
        .filter(SpecialGroupTag.valid_on(today))
        .exists()
    ):
        ctx.data["tag_added"] = False
        ctx.data["tag_note"] = str(_("该居民已有有效的该类标记。"))
        return
    evidence = (evidence or "").strip()[:200]
    SpecialGroupTag.objects.create(
        person=person,
        group=group,
        valid_from=today,
        evidence=evidence,
        details={"process_instance": ctx.instance.pk},
    )
    actor = ctx.actor if getattr(ctx.actor, "pk", None) else None
    with records_language():
        label = dictionaries.label("special_group", group)
        summary = str(_("标记为%(g)s") % {"g": label})[:300]
    LifeEvent.objects.create(
        person=person,
        kind=LifeEventKind.TAG_ADDED,
        summary=summary,
        occurred_on=today,
        details={"group": group, "process_instance": ctx.instance.pk},
        actor=actor,
    )
    audit.record(
        events.TAG_ADDED,
        actor=actor,
        actor_name="" if actor else "system",
        target=person,
        after={
            "group": group,
            "valid_from": today,
            "evidence": evidence,
            "process_instance": ctx.instance.pk,
        },
    )
    ctx.data["tag_added"] = True
