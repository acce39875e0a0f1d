"""Two residents booking the last place of a slot at the same moment, on PostgreSQL with real threads
(`jiedao.workflow.tests.racing`): exactly one gets it, the other is told 该时段已约满, the slot never holds more
bookings than places, and the audit chain verifies. Also one resident booking the same item twice at once (a
double click, two devices): one booking."""

from __future__ import annotations

import datetime as dt

import pytest

from jiedao.applications.tests.factories import make_item, make_resident
from jiedao.appointments import services
from jiedao.appointments.models import Appointment
from jiedao.appointments.tests.factories import FRIDAY, HALL_ADMIN, open_hall
from jiedao.core.testing import make_user
from jiedao.workflow.tests.racing import (
    assert_chain_verifies,
    both_orders,
    one_during_the_other,
    require_postgresql,
    run,
    winner,
)

pytestmark = pytest.mark.django_db(transaction=True)

MONDAY = dt.date(2025, 9, 29)


@pytest.fixture(autouse=True)
def _postgresql_only():
    require_postgresql()


def _book(resident, item, slot):
    return lambda: services.appointment_book(
        resident=resident, item=item, day=MONDAY, slot_id=slot.pk, now=FRIDAY
    )


def test_two_residents_racing_for_the_last_place(tree):
    item = make_item(tree.subdistrict_a)
    [slot, *_rest] = open_hall(tree.subdistrict_a, capacity=1)
    for runner, order in both_orders("first", "second"):
        Appointment.objects.all().delete()
        residents = {"first": make_resident(), "second": make_resident()}
        results = run(runner, order, {name: _book(r, item, slot) for name, r in residents.items()})
        loser = ({"first", "second"} - {winner(results)}).pop()
        assert results[loser] == ("refused", "该时段已约满，请选择其他时段。")
        assert Appointment.objects.filter(slot=slot, date=MONDAY).count() == 1
    assert_chain_verifies()


def test_one_resident_booking_one_item_twice_at_once(tree):
    item = make_item(tree.subdistrict_a)
    slots = open_hall(tree.subdistrict_a, capacity=5)
    resident = make_resident()
    for runner, order in both_orders("morning", "afternoon"):
        Appointment.objects.all().delete()
        calls = {"morning": _book(resident, item, slots[0]), "afternoon": _book(resident, item, slots[-1])}
        results = run(runner, order, calls)
        loser = ({"morning", "afternoon"} - {winner(results)}).pop()
        assert results[loser][0] == "refused"
        assert results[loser][1].startswith(f"您已预约“{item.name}”")
        assert Appointment.objects.filter(resident=resident).count() == 1
    assert_chain_verifies()


def test_a_booking_waiting_on_a_new_schedule_that_closes_its_slot_is_refused(tree):
    """The booking checked the slot open before the hall's new schedule committed; it then waits for the
    slot's lock and must read the slot again: the morning is closed, no booking is made on it."""
    item = make_item(tree.subdistrict_a)
    [slot, *_rest] = open_hall(tree.subdistrict_a, capacity=5)
    admin = make_user(tree.subdistrict_a, *HALL_ADMIN)

    def afternoon_only():
        return services.schedule_set(
            actor=admin,
            org=tree.subdistrict_a,
            morning=None,
            afternoon=(dt.time(13, 30), dt.time(17)),
            minutes=30,
            capacity=5,
            now=FRIDAY,
        )

    results = one_during_the_other(schedule=afternoon_only, book=_book(make_resident(), item, slot))
    assert results["schedule"][0] == "ok"
    assert results["book"] == ("refused", "该时段不开放预约，请选择其他时段。")
    assert not Appointment.objects.filter(slot=slot).exists()
    assert_chain_verifies()


def test_one_resident_booking_two_items_at_once_at_the_limit_of_open_bookings(tree):
    """Two open bookings of three allowed, and two items booked at the same moment (two devices): the
    resident's row lock makes the second count the first, so one is refused and three stay open."""
    items = [make_item(tree.subdistrict_a) for _n in range(4)]
    slots = open_hall(tree.subdistrict_a, capacity=5)
    resident = make_resident()
    for n in range(2):
        _book(resident, items[n], slots[n])()
    for runner, order in both_orders("third", "fourth"):
        Appointment.objects.filter(item__in=items[2:]).delete()
        calls = {"third": _book(resident, items[2], slots[2]), "fourth": _book(resident, items[3], slots[3])}
        results = run(runner, order, calls)
        loser = ({"third", "fourth"} - {winner(results)}).pop()
        assert results[loser] == (
            "refused",
            "您已有 3 个未办理的预约，同时最多只能有 3 个。请先办理或取消其中一个（我的预约），再预约新的事项。",
        )
        assert Appointment.objects.filter(resident=resident, status="booked").count() == 3
    assert_chain_verifies()


def test_a_booking_waiting_on_the_closing_of_its_slot_is_refused_and_nothing_is_left_booked(tree):
    """停止部分时段预约 takes the hall's slot locks before its audit record: a booking of the slot arriving
    meanwhile waits, then finds the slot closed for the day; another slot of the day still books."""
    item = make_item(tree.subdistrict_a)
    slots = open_hall(tree.subdistrict_a, capacity=5)
    leader = make_user(tree.subdistrict_a, "appointments.view_appointment", "appointments.cancel_appointment")

    def close_first_slot():
        return services.appointments_cancel_slots(
            actor=leader,
            org=tree.subdistrict_a,
            day=MONDAY,
            slot_ids=[slots[0].pk],
            reason="会议",
            now=FRIDAY,
        )

    results = one_during_the_other(close=close_first_slot, book=_book(make_resident(), item, slots[0]))
    assert results["close"][0] == "ok"
    assert results["book"] == (
        "refused",
        "2025-09-29（星期一） 09:00–09:30 服务大厅停止预约（会议），请选择其他时段。",
    )
    assert not Appointment.objects.filter(slot=slots[0], status="booked").exists()
    assert _book(make_resident(), item, slots[1])().status == "booked"
    assert_chain_verifies()
