"""Template filters of the service hall's pages."""

from __future__ import annotations

import re

from django import template
from django.utils.html import format_html, format_html_join

from jiedao.core import crypto

register = template.Library()


@register.filter
def mask_name(value: str) -> str:
    """张三明 → 张*明: an applicant's name where the page does not need it in full."""
    return crypto.mask_name(value or "")


# A dialable number: an optional area code with a dash (0571-87021099), a mobile (13800138000), or a short
# service number (12345, 110); the digits alone go into tel:.
PHONE = re.compile(r"(?<![\d-])(0\d{2,3}-?\d{7,8}|1[3-9]\d{9}|\d{5,8}|1\d{2})(?![\d-])")


@register.filter
def phone_links(value: str):
    """投诉电话 “0571-87021099（街道纪工委），或拨打 12345”: each number a tel: link, the rest plain text."""
    text = value or ""
    parts: list[tuple[str, str, str]] = []
    last = 0
    for match in PHONE.finditer(text):
        number = match.group(0)
        parts.append((text[last : match.start()], number.replace("-", ""), number))
        last = match.end()
    if not parts:
        return text
    linked = format_html_join("", '{}<a href="tel:{}">{}</a>', parts)
    return format_html("{}{}", linked, text[last:])
