"""Stopping the scheduler (systemd's SIGTERM, Ctrl-C of `make run`) ends it at once: it used to finish its
sleep first, so a stop waited up to the whole interval."""

import os
import signal
import threading

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_sigterm_stops_the_scheduler_without_waiting_for_the_interval(capsys):
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    stop = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    # If the stop did not end the wait, interrupt the test instead of hanging for an hour.
    watchdog = threading.Timer(30, os.kill, (os.getpid(), signal.SIGINT))
    stop.start()
    watchdog.start()
    try:
        call_command("run_scheduler", interval=3600)
    except KeyboardInterrupt:
        pytest.fail("the scheduler kept sleeping after SIGTERM")
    finally:
        stop.cancel()
        watchdog.cancel()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    assert "调度器" in capsys.readouterr().out
