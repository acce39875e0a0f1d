"""Processing an accepted application on the workflow engine.

`application_accept` calls `start_processing(application, actor=...)` inside the accepting transaction,
after the time-limit clock has started. When the item has a `process_key`, the process of that key that
applies (the engine's nearest-ancestor rule: the definition deployed at the process's org or its nearest
ancestor) is started with the application as its business object, so its steps appear in the staff
inbox.

Where the process runs: at the applicant's community when the applicant is a registered resident living
under the application's org (so ``role:community-staff`` reaches the community that knows the household,
and ``role:approver`` / ``role:subdistrict-leader`` still resolve upward to the sub-district), otherwise
at the application's org.

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
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def applicant_person(application):
    """The registry person of the applicant (by the identity number's blind index), or None."""
    from jiedao.registry.models import Person

    if not application.applicant_id_hash:
        return None
    return Person.objects.filter(id_number_hash=application.applicant_id_hash).select_related("org").first()


def process_org(application, person=None):
    org = application.org
    if person is not None and person.org.path.startswith(org.path):
        community = person.org.community()
        return community or person.org
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


def instance_for(application):
    """The process instance handling an application, or None."""
    from django.contrib.contenttypes.models import ContentType

    from jiedao.workflow.models import ProcessInstance

    content_type = ContentType.objects.get_for_model(application, for_concrete_model=False)
    return (
        ProcessInstance.objects.filter(content_type=content_type, object_id=str(application.pk))
        .order_by("-id")
        .first()
    )


def running_instance(application):
    """The running process instance handling an application, or None."""
    from jiedao.workflow.choices import InstanceStatus

    instance = instance_for(application)
    return instance if instance is not None and instance.status == InstanceStatus.RUNNING else None
