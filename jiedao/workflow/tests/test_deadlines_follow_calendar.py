"""A task's 办理时限 in the inbox moves with its time-limit clock when the holiday notice is entered."""

from jiedao.core.testing import client_for
from jiedao.timelimits.tests.helpers import end_of
from jiedao.timelimits.tests.test_recompute import admin, enter_notice, recompute  # noqa: F401
from jiedao.workflow.models import WorkTask
from jiedao.workflow.tests.conftest import at
from jiedao.workflow.tests.processes import start_leave


def test_the_inbox_due_date_follows_the_entered_notice(leave, people, clock, admin):  # noqa: F811
    clock.set(2027, 2, 4, 9)  # Thursday before the Spring Festival; the head has 3 working days
    instance = start_leave(people)
    task = WorkTask.objects.get(instance=instance, element_id="head")
    assert task.due_at == end_of(2027, 2, 9) and task.clock.due_provisional
    inbox = client_for(people.head).get("/workflow/inbox/").content.decode()
    assert "2027-02-09" in inbox and 'data-testid="due-provisional"' in inbox

    enter_notice(admin)
    recompute(now=at(2027, 2, 4, 10))

    task.refresh_from_db()
    # Officially 6–13 February are off and Sunday 14 February is worked: the third working day is Monday 15.
    assert task.due_at == task.clock.due_at == end_of(2027, 2, 15)
    page = client_for(people.head).get("/workflow/inbox/")
    assert (
        "2027-02-15" in page.content.decode() and 'data-testid="due-provisional"' not in page.content.decode()
    )
