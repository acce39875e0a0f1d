from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    name = "jiedao.public"
    label = "public"
    verbose_name = _("公众门户")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from jiedao.catalog.models import Announcement, Material, ServiceItem
        from jiedao.orgs.models import OrgUnit
        from jiedao.public.page_cache import mark_public_pages_stale

        for model in (ServiceItem, Material, Announcement, OrgUnit):
            post_save.connect(
                mark_public_pages_stale, sender=model, dispatch_uid=f"public-pages-{model.__name__}"
            )
            post_delete.connect(
                mark_public_pages_stale, sender=model, dispatch_uid=f"public-pages-del-{model.__name__}"
            )
