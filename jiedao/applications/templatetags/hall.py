"""Template filters of the service hall's pages."""

from __future__ import annotations

from django import template

from jiedao.core import crypto

register = template.Library()


@register.filter
def mask_name(value: str) -> str:
    """张三明 → 张*明: an applicant's name where the page does not need it in full."""
    return crypto.mask_name(value or "")
