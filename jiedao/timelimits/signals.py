"""Signals of the time-limit clocks. Sender: the `Clock` class.

`clock_status_changed` is sent after the transaction commits, once per kind and new status, with
`kind`, `status` and `clock_ids` (a list of Clock ids), so later apps (notifications, red/yellow cards)
can react without the timelimits app knowing them.

`clock_deadlines_changed` is sent *inside* the transaction that moved the due dates of open clocks (after a
working-day calendar change, `services.clocks_recompute`), once per kind and batch, with `kind` and
`changes`: a list of ``(clock_id, object_id, due_at)``. An app that keeps its own copy of a clock's due
date (an application's 办理期限, a workflow task's 办理时限) updates it in the same transaction, e.g. with
one ``UPDATE … WHERE id = …`` per row through ``executemany``, so the copy never disagrees with the clock.
"""

from django.dispatch import Signal

clock_status_changed = Signal()
clock_deadlines_changed = Signal()
