from jiedao.core.api.viewsets import ScopedReadOnlyViewSet
from jiedao.orgs.api.serializers import OrgUnitSerializer
from jiedao.orgs.models import OrgUnit


class OrgUnitViewSet(ScopedReadOnlyViewSet):
    """Org tree nodes within the caller's data scope."""

    model = OrgUnit
    queryset = OrgUnit.objects.all()
    serializer_class = OrgUnitSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        level = self.request.query_params.get("level")
        if level and level.isdigit():
            queryset = queryset.filter(level=int(level))
        return queryset
