"""Signals other apps may listen to (SMS, messages, business records). All are sent after the step's
transaction has committed, so a rolled-back step sends nothing."""

from django.dispatch import Signal

# sender=WorkTask, task_ids=[...], tasks=[...]: steps wait for new handlers (new steps, or handed to someone by
# 转办 / 委派 / 加签); `tasks` are the rows as the engine wrote them, each with `handlers`, the users it went to.
tasks_created = Signal()
# sender=CarbonCopy, copy_ids=[...]: instances copied (抄送) to users.
copies_created = Signal()
# sender=ProcessInstance, instance_id=..., status=...: an instance completed, was withdrawn or cancelled.
instance_finished = Signal()
