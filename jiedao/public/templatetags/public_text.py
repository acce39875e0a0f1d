"""Template filters of the public pages."""

from __future__ import annotations

import re

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()

# A dialable number: with an area code (0571-87021099), a mobile (13800138000), or a service number of
# 5 to 8 digits (12345, 96345); only its digits go into tel:. A pattern of our own rather than phonenumbers'
# PhoneNumberMatcher, which skips the short service numbers (12345) a guide lists most.
PHONE = re.compile(r"(?<![\d-])(0\d{2,3}-?\d{7,8}|1[3-9]\d{9}|\d{5,8})(?![\d-])")


@register.filter
def phone_links(value: str):
    """“0571-87021099（街道纪工委），或拨打 12345”: each number a tel: link, the words around it plain text."""
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


# Paths of the public site and the residents' hall: a missing page there is told in residents' words, on
# the public layout (the staff hall is under /hall/staff/).
PUBLIC_PREFIXES = ("/guide/", "/announcements/", "/elder-mode/", "/hall/")
STAFF_PREFIXES = ("/hall/staff/",)


@register.filter
def is_public_path(request) -> bool:
    path = getattr(request, "path", "") or ""
    if path.startswith(STAFF_PREFIXES):
        return False
    return path == "/" or path.startswith(PUBLIC_PREFIXES)


@register.filter
def elder_mode_on(request) -> bool:
    from jiedao.public.views import PublicPageMixin

    return request is not None and PublicPageMixin.elder_mode_requested(request)
