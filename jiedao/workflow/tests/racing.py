"""Real people at the same moment, for tests on PostgreSQL: each call in its own thread with its own database
connection. `one_during_the_other` makes an order certain (the second request arrives while the first is being
handled); `at_once` lets them race. Any exception but a service's refusal fails the test: the user would have
seen a 500."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from jiedao.audit import services as audit_services
from jiedao.audit.services import verify_chain
from jiedao.core.exceptions import ServiceError


def require_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("threads need row locks on a shared database (PostgreSQL); SQLite runs one writer")


def _outcome(results, name, call):
    try:
        results[name] = ("ok", call())
    except ServiceError as error:
        results[name] = ("refused", str(error.message))
    except Exception as error:  # reported by _no_crash
        results[name] = ("crashed", error)
    finally:
        connections.close_all()


def _no_crash(results):
    crashed = {name: error for name, (kind, error) in results.items() if kind == "crashed"}
    assert not crashed, f"a database error reached the user: {crashed!r}"
    return results


def at_once(**calls):
    """Run the calls in threads released together: {name: ("ok", result) | ("refused", message)}."""
    barrier = threading.Barrier(len(calls))
    results: dict = {}

    def run(name, call):
        barrier.wait()
        _outcome(results, name, call)

    threads = [threading.Thread(target=run, args=item) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return _no_crash(results)


def _waiting_or_done(pid, thread) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # the view is read once per transaction otherwise
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return not thread.is_alive() or (row is not None and row[0] == "Lock")


def one_during_the_other(**calls):
    """Two calls, the second arriving while the first is being handled: the first runs until it waits to
    write its audit record (the chain head is held here), the second starts then and runs until it waits
    too (or ends), then both go on. Same result shape as `at_once`; the order is the calls' order."""
    results: dict = {}
    pids: dict = {}

    def run(name, call):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pids[name] = cursor.fetchone()[0]
        _outcome(results, name, call)

    threads = []
    with transaction.atomic():
        audit_services._locked_head()
        for name, call in calls.items():
            thread = threading.Thread(target=run, args=(name, call))
            thread.start()
            threads.append(thread)
            deadline = time.monotonic() + 20
            while name not in pids and thread.is_alive():
                time.sleep(0.01)
            while not _waiting_or_done(pids.get(name), thread):
                assert time.monotonic() < deadline, f"{name} neither waited nor ended"
                time.sleep(0.01)
    for thread in threads:
        thread.join()
    return _no_crash(results)


def both_orders(a: str, b: str):
    """(runner, order) three times: `a` during `b`, `b` during `a`, then both released together."""
    yield one_during_the_other, (a, b)
    yield one_during_the_other, (b, a)
    yield at_once, (a, b)


def run(runner, order, calls: dict):
    return runner(**{name: calls[name] for name in order})


def winner(results) -> str:
    won = [name for name, (kind, _value) in results.items() if kind == "ok"]
    assert len(won) == 1, results
    return won[0]


def assert_chain_verifies():
    report = verify_chain()
    assert report.ok, report.summary
