"""Home page panels per role: each app offers panels; a user sees those their permissions allow."""

from __future__ import annotations

from collections.abc import Callable

PANEL_PROVIDERS: list[Callable] = []


def home_panel(provider: Callable) -> Callable:
    PANEL_PROVIDERS.append(provider)
    return provider


def panels_for(user) -> list[dict]:
    panels = []
    for provider in PANEL_PROVIDERS:
        panel = provider(user)
        if panel:
            panels.append(panel)
    return panels
