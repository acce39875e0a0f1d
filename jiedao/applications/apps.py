from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "jiedao.applications"
    label = "applications"
    verbose_name = _("网上办事大厅")

    def ready(self) -> None:
        from jiedao.applications.receivers import follow_recomputed_deadlines
        from jiedao.timelimits.signals import clock_deadlines_changed

        clock_deadlines_changed.connect(
            follow_recomputed_deadlines, dispatch_uid="applications.follow_deadlines"
        )
