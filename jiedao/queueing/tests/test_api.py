"""/api/v1/queue/: a window terminal calls, 重呼, 过号, 办结 and 重新排队 without the pages, through the window's
services, with the project's JSON errors: another hall's windows and tickets are not found, a window of the
hall the clerk does not work at is refused, and a ticket changed meanwhile is a conflict."""

from __future__ import annotations

import pytest

from jiedao.core.testing import api_client_for, make_user
from jiedao.queueing import services
from jiedao.queueing.models import Ticket
from jiedao.queueing.tests.factories import hall_open_now, make_caller, make_line, make_window

pytestmark = pytest.mark.django_db


@pytest.fixture
def window(tree):
    return make_window(tree.subdistrict_a, number="3号窗口")


@pytest.fixture
def caller(tree, window):
    return make_caller(tree.subdistrict_a, window)


@pytest.fixture
def line(tree, window):
    hall_open_now(tree.district)
    return make_line(tree.subdistrict_a, "A", window, name="社会救助")


def test_a_terminal_works_the_queue(tree, window, caller, line):
    first, second = services.ticket_take(line=line), services.ticket_take(line=line)
    client = api_client_for(caller)
    lines = client.get("/api/v1/queue/lines/")
    assert lines.status_code == 200
    assert [(x["prefix"], x["name"], x["waiting"], x["windows"]) for x in lines.json()] == [
        ("A", "社会救助", 2, [window.pk])
    ]
    [mine] = client.get("/api/v1/queue/windows/").json()
    assert (mine["id"], mine["number"], mine["lines"], mine["current"]) == (
        window.pk,
        "3号窗口",
        [line.pk],
        None,
    )

    called = client.post(f"/api/v1/queue/windows/{window.pk}/call-next/", {"current": None}, format="json")
    assert called.status_code == 200, called.json()
    body = called.json()
    assert (body["id"], body["code"], body["status_display"], body["called_window_number"]) == (
        first.pk,
        "A001",
        "已叫号",
        "3号窗口",
    )
    assert client.get("/api/v1/queue/windows/").json()[0]["current"]["code"] == "A001"
    assert client.get("/api/v1/queue/lines/").json()[0]["waiting"] == 1

    recalled = client.post(f"/api/v1/queue/tickets/{first.pk}/recall/").json()
    assert recalled["recall_count"] == 1
    assert client.post(f"/api/v1/queue/tickets/{first.pk}/skip/").json()["status_display"] == "已过号"
    back = client.post(f"/api/v1/queue/tickets/{first.pk}/requeue/", {"window": window.pk}, format="json")
    assert back.status_code == 200 and back.json()["status"] == "waiting"

    # Without `current`, no check: A002 comes next (A001 went back to the end of the line).
    assert client.post(f"/api/v1/queue/windows/{window.pk}/call-next/").json()["code"] == "A002"
    done = client.post(f"/api/v1/queue/tickets/{second.pk}/finish/")
    assert done.status_code == 200 and done.json()["status_display"] == "已办结"
    assert Ticket.objects.get(pk=second.pk).finished_at is not None


def test_finishing_twice_is_a_conflict_that_changes_nothing(window, caller, line):
    ticket = services.ticket_take(line=line)
    client = api_client_for(caller)
    client.post(f"/api/v1/queue/windows/{window.pk}/call-next/")
    assert client.post(f"/api/v1/queue/tickets/{ticket.pk}/finish/").status_code == 200
    finished_at = Ticket.objects.get(pk=ticket.pk).finished_at
    again = client.post(f"/api/v1/queue/tickets/{ticket.pk}/finish/")
    assert again.status_code == 409
    assert again.json() == {"code": "bad_status", "detail": "A001 号已办结，不能这样操作，请刷新页面。"}
    assert Ticket.objects.get(pk=ticket.pk).finished_at == finished_at


def test_a_stale_terminal_does_not_call_over_a_call_made_meanwhile(window, caller, line):
    first, second = services.ticket_take(line=line), services.ticket_take(line=line)
    client = api_client_for(caller)
    client.post(f"/api/v1/queue/windows/{window.pk}/call-next/", {"current": None}, format="json")
    # A second terminal of the same window still shows nobody being served.
    stale = client.post(f"/api/v1/queue/windows/{window.pk}/call-next/", {"current": None}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "window_changed"
    assert "正在办理 A001" in stale.json()["detail"]
    assert Ticket.objects.filter(status="waiting").count() == 1
    fresh = client.post(f"/api/v1/queue/windows/{window.pk}/call-next/", {"current": first.pk}, format="json")
    assert fresh.status_code == 200 and fresh.json()["id"] == second.pk
    nobody = client.post(f"/api/v1/queue/windows/{window.pk}/call-next/")
    assert nobody.status_code == 400 and nobody.json() == {"code": "empty", "detail": "目前没有等候的群众。"}


def test_a_clerk_of_another_hall_finds_nothing(tree, window, caller, line):
    ticket = services.ticket_take(line=line)
    services.ticket_call_next(actor=caller, window=window)
    other = api_client_for(make_caller(tree.subdistrict_b, make_window(tree.subdistrict_b)))
    assert other.get("/api/v1/queue/lines/").json() == []
    assert window.pk not in [w["id"] for w in other.get("/api/v1/queue/windows/").json()]
    for url in (
        f"/api/v1/queue/windows/{window.pk}/call-next/",
        f"/api/v1/queue/tickets/{ticket.pk}/finish/",
        f"/api/v1/queue/tickets/{ticket.pk}/recall/",
    ):
        response = other.post(url)
        assert response.status_code == 404 and response.json()["code"] == "not_found", url
    assert Ticket.objects.get(pk=ticket.pk).status == "called"


def test_a_clerk_calls_only_at_their_own_window(tree, window, caller, line):
    ticket = services.ticket_take(line=line)
    services.ticket_take(line=line)
    services.ticket_call_next(actor=caller, window=window)
    # Of the same hall, working at another window.
    neighbour = make_caller(tree.subdistrict_a, make_window(tree.subdistrict_a, number="5号窗口"))
    client = api_client_for(neighbour)
    refused = client.post(f"/api/v1/queue/windows/{window.pk}/call-next/")
    assert refused.status_code == 403
    assert refused.json() == {
        "code": "permission_denied",
        "detail": "您不是3号窗口 综合受理的工作人员，不能在该窗口叫号。",
    }
    for action in ("finish", "skip", "recall"):
        assert client.post(f"/api/v1/queue/tickets/{ticket.pk}/{action}/").status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == "called"
    assert Ticket.objects.filter(status="waiting").count() == 1
    # Without 窗口叫号 at all: refused before anything is read.
    viewer = api_client_for(make_user(tree.subdistrict_a, "queueing.view_ticket"))
    assert viewer.get("/api/v1/queue/lines/").status_code == 403
    assert viewer.post(f"/api/v1/queue/windows/{window.pk}/call-next/").status_code == 403
