from datetime import date, timedelta

import pytest
from django.utils import timezone

from jiedao.audit.models import AuditEvent
from jiedao.core.schedule import JOBS
from jiedao.parameters.models import SystemParameter
from jiedao.parameters.registry import PARAMETERS
from jiedao.registry import services
from jiedao.registry.models import Migrant
from jiedao.registry.reminders import send_permit_reminders
from jiedao.registry.tasks import permit_reminders
from jiedao.registry.tests.factories import new_id_number, person, staff

TODAY = date(2026, 3, 10)


@pytest.fixture
def clerk(tree):
    return staff(tree.district)


def migrant(clerk, org, name, valid_until, *, reminded_on=None):
    someone = person(clerk, org, name=name, id_number=new_id_number())
    record = services.migrant_register(
        actor=clerk,
        person=someone,
        data=services.MigrantData(
            origin_address="安徽省合肥市瑶海区",
            origin_region_code="340102",
            arrival_date=date(2025, 1, 1),
            permit_number=f"P-{name}",
            permit_valid_until=valid_until,
        ),
    )
    if reminded_on:
        Migrant.objects.filter(pk=record.pk).update(permit_reminded_on=reminded_on)
    return record


def reminded(*records):
    return [Migrant.objects.get(pk=r.pk).permit_reminded_on for r in records]


def test_parameter_and_job_are_declared():
    spec = PARAMETERS["registry.permit_reminder_days"]
    assert (spec.default, spec.minimum, spec.maximum) == (30, 1, 180)
    job = JOBS["registry.permit_reminders"]
    assert job.every == timedelta(days=1) and job.task is permit_reminders


def test_only_permits_expiring_within_the_window_are_reminded_once(tree, clerk):
    due_today = migrant(clerk, tree.grid_a1, "甲", TODAY)
    due_soon = migrant(clerk, tree.community_a1, "乙", TODAY + timedelta(days=10))
    last_day = migrant(clerk, tree.community_b1, "丙", TODAY + timedelta(days=30))
    too_far = migrant(clerk, tree.community_a1, "丁", TODAY + timedelta(days=31))
    expired = migrant(clerk, tree.community_a1, "戊", TODAY - timedelta(days=1))
    no_permit = migrant(clerk, tree.community_a1, "己", None)
    already = migrant(
        clerk, tree.community_a1, "庚", TODAY + timedelta(days=5), reminded_on=TODAY - timedelta(days=3)
    )
    left = migrant(clerk, tree.community_a2, "辛", TODAY + timedelta(days=3))
    services.person_move_out(actor=clerk, person=left.person, moved_on=TODAY, destination="上海市")

    assert send_permit_reminders(today=TODAY) == 3
    assert reminded(due_today, due_soon, last_day) == [TODAY] * 3
    assert reminded(too_far, expired, no_permit, left) == [None] * 4
    assert reminded(already) == [TODAY - timedelta(days=3)]

    events = AuditEvent.objects.filter(
        event_name="registry.migrant.permit_reminded", actor_name="system"
    ).order_by("id")
    assert [(e.org_id, e.after["count"]) for e in events] == [
        (tree.community_a1.pk, 2),
        (tree.community_b1.pk, 1),
    ]
    assert sorted(events[0].after["migrants"]) == sorted([due_today.pk, due_soon.pk])
    assert "居住证到期提醒" in events[0].message and "2 人" in events[0].message

    # the next day nothing new: each expiry is reminded once
    assert send_permit_reminders(today=TODAY + timedelta(days=1)) == 1  # too_far has entered the window
    assert reminded(too_far) == [TODAY + timedelta(days=1)]
    assert send_permit_reminders(today=TODAY + timedelta(days=1)) == 0
    assert (
        AuditEvent.objects.filter(event_name="registry.migrant.permit_reminded", actor_name="system").count()
        == 3
    )


def test_a_renewed_permit_is_reminded_again(tree, clerk):
    record = migrant(clerk, tree.community_a1, "甲", TODAY + timedelta(days=7))
    assert send_permit_reminders(today=TODAY) == 1
    services.migrant_register(
        actor=clerk,
        person=record.person,
        data=services.MigrantData(
            origin_address="安徽省合肥市瑶海区",
            arrival_date=date(2025, 1, 1),
            permit_valid_until=date(2027, 3, 1),
        ),
    )
    assert reminded(record) == [None]  # the service clears the mark when the expiry changes
    assert send_permit_reminders(today=TODAY) == 0
    assert send_permit_reminders(today=date(2027, 2, 1)) == 1


def test_the_window_follows_the_parameter(tree, clerk):
    near = migrant(clerk, tree.community_a1, "甲", TODAY + timedelta(days=5))
    far = migrant(clerk, tree.community_a1, "乙", TODAY + timedelta(days=20))
    SystemParameter.objects.create(key="registry.permit_reminder_days", value=7)
    assert send_permit_reminders(today=TODAY) == 1
    assert reminded(near, far) == [TODAY, None]


def test_the_task_runs_the_reminders(tree, clerk):
    record = migrant(clerk, tree.community_a1, "甲", timezone.localdate() + timedelta(days=3))
    result = permit_reminders.enqueue()
    assert result.return_value == 1
    assert reminded(record)[0] is not None
