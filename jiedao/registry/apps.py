from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "jiedao.registry"
    label = "registry"
    verbose_name = _("人口房屋企业信息（一标三实）")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from jiedao.orgs.signals import org_moved

        post_migrate.connect(_ensure_search_structures, sender=self)
        org_moved.connect(_org_moved, dispatch_uid="registry.residence_split_on_org_move")


def _org_moved(sender, *, node, **kwargs) -> None:
    """A grid moved to another community changes the 人户分离 of its persons and of those registered or living
    in it: stored again in the move's transaction. A community (or sub-district) moved keeps its id and its
    grids their parent, so the communities `community_id_of` reads stay what they were: nothing to do."""
    from jiedao.orgs.choices import OrgLevel
    from jiedao.registry.services.residence import refresh_org_subtree

    if node.level == OrgLevel.GRID:
        refresh_org_subtree(node)


def _ensure_search_structures(sender, using="default", **kwargs) -> None:
    from django.db import connections

    from jiedao.registry.search_indexes import ensure

    ensure(connections[using])
