from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save, pre_delete
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    name = "jiedao.appointments"
    label = "appointments"
    verbose_name = _("预约办理")

    def ready(self) -> None:
        from jiedao.applications.models import Resident
        from jiedao.appointments.models import Slot
        from jiedao.appointments.receivers import cancel_with_account
        from jiedao.public.page_cache import mark_public_pages_stale

        # The applications app deletes accounts (closing, merging on a phone change) and knows nothing of bookings.
        pre_delete.connect(
            cancel_with_account, sender=Resident, dispatch_uid="appointments.cancel_with_account"
        )
        # The cached guide page offers 预约窗口办理 only when the item's hall has open slots: a hall opening
        # or closing its slots renders the public pages afresh (a schedule is set a few times a year).
        post_save.connect(mark_public_pages_stale, sender=Slot, dispatch_uid="public-pages-Slot")
        post_delete.connect(mark_public_pages_stale, sender=Slot, dispatch_uid="public-pages-del-Slot")
