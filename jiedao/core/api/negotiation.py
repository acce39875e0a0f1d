"""Content negotiation for an API that answers in JSON only."""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation


class SingleRendererNegotiation(DefaultContentNegotiation):
    """With one renderer there is nothing to choose: answer with it without parsing `Accept`.

    DRF's default parses the Accept header on every request to pick among renderers (about a sixth of a
    small request's time here); a view with several renderers is still negotiated the usual way. A client
    asking only for something else gets JSON rather than 406, as most JSON APIs answer.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        if len(renderers) == 1 and not format_suffix:
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
