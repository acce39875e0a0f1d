from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimelimitsConfig(AppConfig):
    name = "jiedao.timelimits"
    label = "timelimits"
    verbose_name = _("时限管理")

    def ready(self) -> None:
        from jiedao.workcalendar.signals import calendar_changed

        calendar_changed.connect(_calendar_changed, dispatch_uid="timelimits.recompute_on_calendar_change")


def _calendar_changed(sender, *, first, last, actor=None, reason="", **kwargs) -> None:
    """The calendar changed (sent after commit): recompute the open clocks it reaches, in the background.
    The change itself is saved already: a queue that cannot be reached is logged, not shown as an error
    (`manage.py clocks_recompute` does the same work by hand)."""
    from jiedao.core.i18n import for_record
    from jiedao.core.tasks import enqueue_or_log
    from jiedao.timelimits.tasks import recompute_clocks

    # A task's arguments are JSON: the calendar's reason, a `Message`, travels as what a record keeps of it.
    text, message = for_record(reason)
    enqueue_or_log(
        recompute_clocks,
        first.isoformat(),
        last.isoformat(),
        message or text,
        getattr(actor, "pk", None) or None,
        what=f"run manage.py clocks_recompute --from {first} --to {last}",
    )
