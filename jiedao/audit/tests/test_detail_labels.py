"""The auditor reads an event's details by their labels (筛选条件, 原因…), never by the raw keys the code
writes (`filter`), in Chinese or English."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from jiedao.audit import services
from jiedao.audit.audit_events import AUDIT_LOG_VIEWED
from jiedao.audit.models import AuditEvent
from jiedao.audit.registry import detail_label
from jiedao.core.testing import client_for

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SOURCE = Path(__file__).resolve().parents[2]


def test_the_page_of_a_viewed_log_names_the_filter_and_its_fields(db, auditor):
    client = client_for(auditor)
    client.get("/audit/", {"actor": "nobody"})
    viewed = AuditEvent.objects.filter(event_name=AUDIT_LOG_VIEWED.name).get()
    assert viewed.after == {"filter": {"actor": "nobody"}}

    page = client.get(f"/audit/{viewed.pk}/").content.decode()
    assert "筛选条件（filter）" in page and "操作人账号：nobody" in page
    assert '"actor"' not in page

    english = client.get(f"/audit/{viewed.pk}/", **EN).content.decode()
    assert "Filter (filter)" in english and "Actor account: nobody" in english


def test_a_key_nobody_declared_is_shown_as_it_is(db, auditor, tree):
    event = services.record(AUDIT_LOG_VIEWED, actor=auditor, after={"something_new": 1})
    page = client_for(auditor).get(f"/audit/{event.pk}/").content.decode()
    assert "something_new" in page


def _written_keys():
    """(app, key, file) for every literal key an app writes into an event's `before` / `after`."""
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE)
        if "tests" in relative.parts or "migrations" in relative.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None) or ""
            if name not in ("record", "_audit"):
                continue
            for keyword in node.keywords:
                if keyword.arg in ("before", "after") and isinstance(keyword.value, ast.Dict):
                    for key in keyword.value.keys:
                        if isinstance(key, ast.Constant) and isinstance(key.value, str):
                            yield relative.parts[0], key.value, str(relative)


@pytest.mark.parametrize("app,key,where", sorted(set(_written_keys())))
def test_every_key_written_into_an_event_has_a_label(app, key, where):
    assert detail_label(f"{app}.any", key), (
        f"{where} writes “{key}” without a label (audit_events.detail_labels)"
    )
