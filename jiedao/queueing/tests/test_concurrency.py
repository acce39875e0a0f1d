"""Real people at the same moment, on PostgreSQL with real threads (`jiedao.workflow.tests.racing`): two
visitors taking a number of one line get two numbers, two windows pressing 叫下一位 together call two
visitors, one booking code used at two lines at once gives one priority ticket; the audit chain verifies."""

from __future__ import annotations

import pytest

from jiedao.queueing import services
from jiedao.queueing.models import Ticket
from jiedao.queueing.tests.factories import MONDAY, at, booking_on, make_caller, make_line, make_window, take
from jiedao.workflow.tests.racing import (
    assert_chain_verifies,
    at_once,
    both_orders,
    require_postgresql,
    run,
    winner,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    require_postgresql()


def test_two_visitors_taking_a_number_at_once_get_two_numbers(tree):
    line = make_line(tree.subdistrict_a, "A", make_window(tree.subdistrict_a))
    for runner, order in both_orders("first", "second"):
        Ticket.objects.all().delete()
        calls = {
            name: (lambda: services.ticket_take(line=line, now=at(MONDAY, 9))) for name in ("first", "second")
        }
        results = run(runner, order, calls)
        assert sorted(result.code for _kind, result in results.values()) == ["A001", "A002"]
    assert_chain_verifies()


def test_two_windows_calling_at_once_never_call_the_same_visitor(tree):
    hall = tree.subdistrict_a
    windows = [make_window(hall, number="1号窗口"), make_window(hall, number="2号窗口")]
    callers = [make_caller(hall, window) for window in windows]
    line = make_line(hall, "A", *windows)
    for runner, order in both_orders("one", "two"):
        Ticket.objects.all().delete()
        take(line, 3)
        calls = {
            name: (
                lambda c=caller, w=window: services.ticket_call_next(actor=c, window=w, now=at(MONDAY, 10))
            )
            for name, caller, window in zip(("one", "two"), callers, windows, strict=True)
        }
        results = run(runner, order, calls)
        assert all(kind == "ok" for kind, _ticket in results.values()), results
        assert sorted(ticket.code for _kind, ticket in results.values()) == ["A001", "A002"]
        called = Ticket.objects.filter(status="called")
        assert sorted(called.values_list("called_window__number", flat=True)) == ["1号窗口", "2号窗口"]
        assert Ticket.objects.get(code="A003").status == "waiting"
    # Many at once, more windows than visitors: each visitor called once, the rest told nobody waits.
    more = [make_window(hall, number=f"{n}号窗口") for n in range(3, 7)]
    more_callers = [make_caller(hall, window) for window in more]
    line.windows.add(*more)
    Ticket.objects.all().delete()
    take(line, 4)
    calls = {
        f"w{n}": (lambda c=caller, w=window: services.ticket_call_next(actor=c, window=w, now=at(MONDAY, 11)))
        for n, (caller, window) in enumerate(zip(callers + more_callers, windows + more, strict=True))
    }
    results = at_once(**calls)
    called = [ticket.code for kind, ticket in results.values() if kind == "ok"]
    assert sorted(called) == ["A001", "A002", "A003", "A004"]
    assert [value for kind, value in results.values() if kind == "refused"] == ["目前没有等候的群众。"] * 2
    assert_chain_verifies()


def test_windows_calling_at_once_with_a_phone_left_in_the_queue_all_call(tree):
    """The visitor a few places back left a phone: each call may text them (临近叫号) while other windows
    are calling that very ticket. No window waits on another's ticket after taking the audit chain."""
    hall = tree.subdistrict_a
    windows = [make_window(hall, number=f"{n}号窗口") for n in range(1, 6)]
    callers = [make_caller(hall, window) for window in windows]
    line = make_line(hall, "A", *windows)
    for _attempt in range(6):
        Ticket.objects.all().delete()
        take(line, 4)
        services.ticket_take(line=line, phone="13900001234", now=at(MONDAY, 9, 1))  # A005
        take(line, 4, minute=2)
        calls = {
            f"w{n}": (
                lambda c=caller, w=window: services.ticket_call_next(actor=c, window=w, now=at(MONDAY, 10))
            )
            for n, (caller, window) in enumerate(zip(callers, windows, strict=True))
        }
        results = at_once(**calls)
        assert all(kind == "ok" for kind, _ticket in results.values()), results
        # Five visitors called, each once (a ticket held by another window's text may be passed over).
        assert len({ticket.code for _kind, ticket in results.values()}) == 5
        assert Ticket.objects.filter(status="called").count() == 5
    assert_chain_verifies()


def test_one_booking_code_at_two_lines_at_once_gives_one_priority_ticket(tree):
    hall = tree.subdistrict_a
    window = make_window(hall)
    lines = {"a": make_line(hall, "A", window), "b": make_line(hall, "B", window)}
    booking = booking_on(hall, MONDAY)
    for runner, order in both_orders("a", "b"):
        Ticket.objects.all().delete()
        calls = {
            name: (
                lambda line=line: services.ticket_take(
                    line=line, appointment_code=booking.code, now=at(MONDAY, 9)
                )
            )
            for name, line in lines.items()
        }
        results = run(runner, order, calls)
        loser = ({"a", "b"} - {winner(results)}).pop()
        assert results[loser][0] == "refused"
        assert results[loser][1].startswith("该预约码已经取过号")
        assert Ticket.objects.filter(appointment=booking).count() == 1
    assert_chain_verifies()


def test_one_window_pressing_call_next_twice_at_once_calls_one_visitor(tree):
    """A double click, or two staff at one window, both from a page showing nobody being served."""
    from jiedao.accounts.models import User

    hall = tree.subdistrict_a
    window = make_window(hall, number="1号窗口")
    caller = make_caller(hall, window)
    line = make_line(hall, "A", window)
    for runner, order in both_orders("first", "second"):
        Ticket.objects.all().delete()
        take(line, 3)
        users = {name: User.objects.get(pk=caller.pk) for name in ("first", "second")}
        calls = {
            name: (
                lambda u=user: services.ticket_call_next(
                    actor=u, window=window, seen_current=None, now=at(MONDAY, 10)
                )
            )
            for name, user in users.items()
        }
        results = run(runner, order, calls)
        assert sorted(kind for kind, _value in results.values()) == ["ok", "refused"], results
        assert dict(Ticket.objects.values_list("code", "status")) == {
            "A001": "called",
            "A002": "waiting",
            "A003": "waiting",
        }
    assert_chain_verifies()


def test_two_admins_giving_one_letter_at_once_get_one_line(tree):
    from jiedao.core.testing import make_user
    from jiedao.queueing.models import QueueLine
    from jiedao.queueing.tests.factories import LINE_ADMIN

    hall = tree.subdistrict_a
    admins = {name: make_user(hall, *LINE_ADMIN) for name in ("one", "two")}
    calls = {
        name: (
            lambda a=admin, n=name: services.line_save(actor=a, org=hall, name=n, prefix="B", window_ids=[])
        )
        for name, admin in admins.items()
    }
    results = at_once(**calls)
    assert sorted(kind for kind, _value in results.values()) == ["ok", "refused"], results
    assert QueueLine.objects.filter(org=hall, prefix="B").count() == 1


@pytest.mark.parametrize("action", ["ticket_finish", "ticket_skip", "ticket_recall"])
def test_call_next_of_a_booked_visitor_while_another_clerk_ends_the_current_one(tree, action):
    """Two staff at one window: one presses 叫下一位 (the next visitor came with a booking, checked in by the
    call), the other 办结/过号/重呼 of the visitor being served, at the same moment. Both are answered (one may
    be told the page is out of date), never a database error; the booked visitor is called and checked in."""
    from jiedao.appointments.models import Appointment

    hall = tree.subdistrict_a
    window = make_window(hall, number="1号窗口")
    caller = make_caller(hall, window, "appointments.checkin_appointment")
    colleague = make_caller(hall, window)
    line = make_line(hall, "A", window)
    booking = booking_on(hall, MONDAY)
    for runner, order in both_orders("call", "other"):
        Ticket.objects.all().delete()
        Appointment.objects.filter(pk=booking.pk).update(
            status="booked", checked_in_at=None, checked_in_by=None
        )
        (serving,) = take(line)
        services.ticket_call_next(actor=caller, window=window, now=at(MONDAY, 9, 30))
        services.ticket_take(line=line, appointment_code=booking.code, now=at(MONDAY, 9, 31))
        calls = {
            "call": lambda: services.ticket_call_next(actor=caller, window=window, now=at(MONDAY, 10)),
            "other": lambda t=serving: getattr(services, action)(
                actor=colleague, ticket=t, now=at(MONDAY, 10)
            ),
        }
        results = run(runner, order, calls)
        assert results["call"][0] == "ok", results
        assert results["call"][1].code == "A002"
        assert results["other"][0] in ("ok", "refused"), results
        booking.refresh_from_db()
        assert booking.status == "checked_in"
        assert Ticket.objects.get(code="A001").status in ("done", "skipped")
    assert_chain_verifies()
