"""`calendar_changed` is sent after the transaction that changed the calendar commits, with `first` and
`last` (dates: every day whose working status may have changed lies in [first, last]), `actor` (a user or
None) and `reason` (a `core.i18n.Message`: the records keep it in Chinese and show it in each reader's
language). Sender: the `CalendarDay` class.

The time-limit clocks listen to it and recompute the due dates of open clocks in the background
(`jiedao.timelimits.services.clocks_recompute`): the calendar does not know who depends on it."""

from django.dispatch import Signal

calendar_changed = Signal()
