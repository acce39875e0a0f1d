from django.apps import AppConfig
from django.db.models.signals import pre_delete
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    name = "jiedao.appointments"
    label = "appointments"
    verbose_name = _("预约办理")

    def ready(self) -> None:
        from jiedao.applications.models import Resident
        from jiedao.appointments.receivers import cancel_with_account

        # The applications app deletes accounts (closing, merging on a phone change) and knows nothing of bookings.
        pre_delete.connect(
            cancel_with_account, sender=Resident, dispatch_uid="appointments.cancel_with_account"
        )
