"""`clock_status_changed` is sent after the transaction commits, once per kind and new status, with
`kind`, `status` and `clock_ids` (a list of Clock ids), so later apps (notifications, red/yellow cards)
can react without the timelimits app knowing them. Sender: the `Clock` class."""

from django.dispatch import Signal

clock_status_changed = Signal()
