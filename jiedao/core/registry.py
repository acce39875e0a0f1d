"""Collects what each app declares in its own small modules.

Like Mayan EDMS, an app states its menu entries (`menus.py`), audit events (`audit_events.py`),
periodic jobs (`schedules.py`) and demo data (`demo.py`) next to its code; the platform finds them here.
"""

from __future__ import annotations

from importlib import import_module

from django.apps import apps

DECLARATION_MODULES = (
    "menus",
    "audit_events",
    "schedules",
    "parameters_declared",
    "home_panels",
    "clock_kinds",
    "workflow_actions",
    "handover",
)


def autodiscover() -> None:
    for config in apps.get_app_configs():
        if not config.name.startswith("jiedao."):
            continue
        for module in DECLARATION_MODULES:
            try:
                import_module(f"{config.name}.{module}")
            except ModuleNotFoundError as error:
                if error.name != f"{config.name}.{module}":
                    raise
