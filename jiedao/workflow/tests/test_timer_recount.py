"""A leave request's 审批超时 escalation (3 working days) counted before the 2027 holiday notice was entered
fires during the Spring Festival; once the notice is entered it is counted again and fires on the right
working day, and the history says so."""

from jiedao.timelimits.tests.helpers import end_of
from jiedao.timelimits.tests.test_recompute import admin, enter_notice  # noqa: F401
from jiedao.workflow import services
from jiedao.workflow.choices import HistoryAction
from jiedao.workflow.models import ProcessInstance, TaskHistory
from jiedao.workflow.tests.conftest import at
from jiedao.workflow.tests.processes import start_leave
from jiedao.workflow.timers import timers_recompute


def test_an_escalation_counted_provisionally_moves_with_the_entered_notice(
    leave,
    people,
    clock,
    admin,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    clock.set(2027, 2, 4, 9)  # Thursday before the Spring Festival
    instance = start_leave(people)
    # Provisionally (weekends only): Fri 5, Mon 8, Tue 9 February.
    assert ProcessInstance.objects.get(pk=instance.pk).next_timer_at == end_of(2027, 2, 9)

    with django_capture_on_commit_callbacks(execute=True):  # the background recount runs after commit
        enter_notice(admin)  # 6–13 February off, Sunday 14 February worked

    instance.refresh_from_db()
    assert instance.next_timer_at == end_of(2027, 2, 15)  # Fri 5, Sun 14, Mon 15
    entry = TaskHistory.objects.filter(instance=instance, action=HistoryAction.AUTO).latest("pk")
    assert entry.opinion == "工作日历调整：定时事件「审批超时」的触发时间由 2027-02-09 改为 2027-02-15。"
    # counting again changes nothing
    assert timers_recompute(first=end_of(2027, 1, 1).date(), last=end_of(2027, 12, 31).date()) == 0
    assert services.fire_due_timers(now=at(2027, 2, 10, 9)).advanced == 0  # no escalation mid-holiday
    assert services.fire_due_timers(now=at(2027, 2, 16, 0, 30)).advanced == 1
    assert instance.copies.exists()
