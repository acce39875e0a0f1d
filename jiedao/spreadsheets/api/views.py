from jiedao.core.api.viewsets import ScopedReadOnlyViewSet
from jiedao.spreadsheets.api.serializers import ImportJobSerializer
from jiedao.spreadsheets.models import ImportJob


class ImportJobViewSet(ScopedReadOnlyViewSet):
    """Import jobs within the caller's data scope (status and counters; row errors stay in the staff UI)."""

    model = ImportJob
    queryset = ImportJob.objects.all()
    serializer_class = ImportJobSerializer

    def get_queryset(self):
        queryset = super().get_queryset().order_by("-created_at", "-id")
        status = self.request.query_params.get("status")
        if status:
            queryset = queryset.filter(status=status)
        return queryset
