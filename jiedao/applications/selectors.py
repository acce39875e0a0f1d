"""Reads shared by the staff pages, the home panels and the API."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, CharField, OuterRef, Subquery
from django.db.models.functions import Cast

from jiedao.applications.models import Application
from jiedao.timelimits.choices import ClockStatus
from jiedao.timelimits.models import Clock


def _clocks():
    return Clock.objects.filter(content_type=ContentType.objects.get_for_model(Application))


def with_clock_status(queryset):
    """Annotate `clock_status` (green / yellow / red / paused / stopped, or None before acceptance)."""
    status = _clocks().filter(object_id=Cast(OuterRef("pk"), CharField())).values("status")[:1]
    return queryset.annotate(clock_status=Subquery(status))


def overdue(queryset):
    red = _clocks().filter(status=ClockStatus.RED).annotate(oid=Cast("object_id", BigIntegerField()))
    return queryset.filter(pk__in=red.values("oid"))


def missing_required_materials(application: Application) -> list[str]:
    """Names of the item's required (必须) materials with no file of that material in the application; reads
    `item.materials` and `materials` (prefetch both for a list)."""
    handed_in = {material.material_id for material in application.materials.all()}
    return [
        material.name
        for material in application.item.materials.all()
        if material.required and material.pk not in handed_in
    ]
