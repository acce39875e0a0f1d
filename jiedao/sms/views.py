from django.db.models import Q

from jiedao.core.views import ScopedListView
from jiedao.sms.models import OutboundMessage


class OutboxView(ScopedListView):
    """The outbox: every message the platform queued, with its delivery status (phones masked)."""

    model = OutboundMessage
    template_name = "sms/outbox.html"

    def get_queryset(self):
        queryset = super().get_queryset().defer("phone")
        status = self.request.GET.get("status")
        if status:
            queryset = queryset.filter(status=status)
        term = self.request.GET.get("q", "").strip()
        if term:
            queryset = queryset.filter(Q(body__contains=term) | Q(purpose__contains=term))
        return queryset
