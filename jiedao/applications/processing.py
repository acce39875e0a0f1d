"""Processing an accepted application on the workflow engine.

`application_accept` calls `start_processing(application, actor=...)` inside the accepting transaction,
after the time-limit clock has started. When the item has a `process_key`, the process of that key that
applies (the engine's nearest-ancestor rule: the definition deployed at the process's org or its nearest
ancestor) is started with the application as its business object, so its steps appear in the staff
inbox.

Where the process runs: at the applicant's community when the applicant is a registered resident living
under the application's org (so ``role:community-staff`` reaches the community that knows the household,
and ``role:approver`` / ``role:subdistrict-leader`` still resolve upward to the sub-district); else at the
community the application names (``Application.community``, 居住社区: chosen by the applicant or at the
window, for an applicant not in the registry); otherwise at the application's org.

Process data: ``application_id``, ``tracking_code``, ``item_code``, ``item_name``, ``applicant_name``,
``applicant_id_masked``, ``channel``, ``materials`` (labels of the uploaded files),
``applicant_person_id`` (the registry person, or None) and ``title``. Processes read the household facts
with the ``registry.load_household`` action (see `jiedao.registry.workflow_actions`).

Conclusion (the one mechanism): a process ends an application with the ``applications.conclude`` service
task (`jiedao.applications.workflow_actions`), which runs in the same transaction as the step that decides.
A process that ends without it leaves the application accepted, for staff to conclude by hand.

Nothing is started (the application is processed by hand, as before) when the item has no process key,
when no definition of the key applies at the org, or when there is no accepting user (deemed acceptance
by the periodic job): the engine needs an initiator who may start processes at the org. A deemed-accepted
application then shows 转入流程办理 on its staff page (`application_start_processing`), which starts the
process with that staff member as the initiator.

The applicant's registry person is the resident's linked person (set by real-name verification, which
refuses an identity number registered under another name), or for a window application the person
registered under both the identity number and the applicant's name — never the number alone, which anyone
can type.

While an application is suspended (中止) or awaits the applicant's correction (补正) its process is
suspended too (`hold_processing`, the engine's 挂起): nobody can handle its steps (they are told why), its
timers wait and its steps' time limits pause. On resumption or resubmission (`release_processing`) it
resumes and timers that fell due meanwhile fire at the next sweep. The 公示 and conclusion actions also
refuse to run for an application that is not accepted. Rejecting an accepted application (it was in
correction) cancels its process with the reason (`cancel_processing`).
"""

from __future__ import annotations

import logging

from jiedao.core.i18n import Text

logger = logging.getLogger(__name__)


def applicant_person(application):
    """The registry person of the applicant, or None: the resident's linked person when the resident was
    matched at verification, else the person registered under both the identity number (blind index) and
    the applicant's name. Never by the number alone: a number typed under another name is not that person."""
    from jiedao.registry.models import Person

    resident = application.resident if application.resident_id else None
    if (
        resident is not None
        and resident.person_id
        and resident.id_number_hash == application.applicant_id_hash
    ):
        return Person.objects.filter(pk=resident.person_id).select_related("org").first()
    if not application.applicant_id_hash or not application.applicant_name:
        return None
    return registry_match(application.applicant_id_hash, application.applicant_name)[0]


def registry_match(number_hash: str, name: str):
    """(the registry person under this identity number's blind index and this name, or None; whether the
    number is registered at all): the one rule matching an applicant to the registry — never the number
    alone, which anyone can type. The number of a merged duplicate (已合并) stands for the record it was merged
    into."""
    from jiedao.registry.models import Person
    from jiedao.registry.selectors import number_condition

    registered = list(
        Person.objects.filter(number_condition("id", number_hash)).unmerged().select_related("org")
    )
    return next((person for person in registered if person.name == name), None), bool(registered)


def process_org(application, person=None):
    """Where the process runs: the registered applicant's community; else the community the application
    names (居住社区, for an applicant not in the registry); else the application's org."""
    org = application.org
    if person is not None and person.org.path.startswith(org.path):
        community = person.org.community()
        return community or person.org
    if application.community_id and application.community.path.startswith(org.path):
        return application.community
    return org


def process_data(application, person=None) -> dict:
    return {
        "application_id": application.pk,
        "tracking_code": application.tracking_code,
        "item_code": application.item.code,
        "item_name": application.item.name,
        "applicant_name": application.applicant_name,
        "applicant_id_masked": application.applicant_id_masked,
        "enterprise_name": application.enterprise_name,
        "channel": application.channel,
        "materials": [m.label for m in application.materials.all()],
        "applicant_person_id": person.pk if person is not None else None,
        "title": f"{application.item.name}（{application.applicant_name}，{application.tracking_code}）",
    }


def start_processing(application, actor=None):
    """Start the item's process for an accepted application; return the instance, or None."""
    from jiedao.workflow import services as workflow

    key = application.item.process_key
    if not key:
        return None
    if not getattr(actor, "pk", None):
        logger.info("application %s accepted without a user: processed by hand", application.pk)
        return None
    person = applicant_person(application)
    org = process_org(application, person)
    if workflow.resolve_definition(key, org) is None:
        logger.warning(
            "no process %r applies at %s: application %s processed by hand", key, org, application.pk
        )
        return None
    return workflow.process_start(
        actor=actor,
        definition_key=key,
        org=org,
        data=process_data(application, person),
        business_object=application,
    )


def _instances(application):
    from django.contrib.contenttypes.models import ContentType

    from jiedao.workflow.models import ProcessInstance

    content_type = ContentType.objects.get_for_model(application, for_concrete_model=False)
    return ProcessInstance.objects.filter(content_type=content_type, object_id=str(application.pk))


def instance_for(application):
    """The process instance handling an application, or None."""
    return _instances(application).order_by("-id").first()


def lock_process(application) -> None:
    """Lock the application's process instances before the application itself. A step of the process locks
    its instance and then, through its actions (公示, 办结), the application; everything else that locks both
    must take them in the same order, or on PostgreSQL a suspension racing a completing step deadlocks."""
    list(_instances(application).select_for_update().values_list("pk", flat=True))


def running_instance(application):
    """The running process instance handling an application, or None."""
    from jiedao.workflow.choices import InstanceStatus

    instance = instance_for(application)
    return instance if instance is not None and instance.status == InstanceStatus.RUNNING else None


def last_human_actor(application):
    """The staff member who last completed a step of the application's process (active users only), or
    None: who handled an application its process concluded (the conclusion itself may be a timer's)."""
    from jiedao.workflow.choices import HistoryAction
    from jiedao.workflow.models import TaskHistory

    instance = instance_for(application)
    if instance is None:
        return None
    rows = TaskHistory.objects.filter(instance=instance, actor__isnull=False, actor__is_active=True)
    row = rows.filter(action=HistoryAction.COMPLETE).order_by("-id").select_related("actor").first()
    row = row or rows.order_by("-id").select_related("actor").first()
    return row.actor if row is not None else None


# --- the process waits while the application does -----------------------------------------------------------
#
# The engine's suspension, resumption and cancellation, called with `by_owner=True`: the application's own
# service has checked the actor's right over the application (rejecting one is the window's decision, not a
# workflow administrator's).


def hold_processing(application, *, actor, reason: str | Text):
    """The application is suspended or awaits correction: its running process is suspended (挂起) — no step
    can be handled, its timers wait, its steps' time limits pause. Returns the instance, or None."""
    from jiedao.workflow import services as workflow

    instance = running_instance(application)
    if instance is None:
        return None
    return workflow.process_suspend(actor=actor, instance=instance, reason=reason, by_owner=True)


def release_processing(application, *, actor):
    """The application is being handled again: its process resumes, and timers that fell due meanwhile fire
    at the next sweep. Returns the instance, or None."""
    from jiedao.workflow import services as workflow
    from jiedao.workflow.choices import InstanceStatus

    instance = instance_for(application)
    if instance is None or instance.status != InstanceStatus.SUSPENDED:
        return None
    return workflow.process_resume(actor=actor, instance=instance, by_owner=True)


def cancel_processing(application, *, actor, reason: str | Text):
    """The application was rejected or withdrawn after acceptance: its process is cancelled with `reason`
    (saying which), its open steps leave the inboxes. Returns the instance, or None."""
    from jiedao.workflow import services as workflow
    from jiedao.workflow.choices import InstanceStatus

    instance = instance_for(application)
    if instance is None or instance.status not in (InstanceStatus.RUNNING, InstanceStatus.SUSPENDED):
        return None
    return workflow.process_cancel(actor=actor, instance=instance, reason=reason, by_owner=True)
