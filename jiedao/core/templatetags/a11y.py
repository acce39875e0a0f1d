"""Template filters for assistive technology."""

from __future__ import annotations

import re

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext

register = template.Library()

_MASKED = re.compile(r"^(?P<start>[^*]*)(?P<hidden>\*+)(?P<end>[^*]*)$")


def _one_by_one(digits: str) -> str:
    """`1101` → `1 1 0 1`: a screen reader reads each digit, not "one thousand one hundred and one"."""
    return " ".join(digits)


@register.filter
def spoken_mask(value, testid: str = "") -> str:
    """A masked ID or phone number (`110105********002X`) as the screen shows it, hidden from screen readers,
    and what they read instead: the kept digits one by one and how many are hidden — not "star" eight times.
    A value that is not masked (empty, revealed) is shown as it is. `testid` marks what the screen shows."""
    text = "" if value is None else str(value)
    # Several numbers in one field (other phones) are kept as one string joined by "、".
    matches = [_MASKED.match(part) for part in text.split("、")]
    if not text or not all(matches):
        return format_html('<span data-testid="{}">{}</span>', testid, text) if testid else text
    spoken = "、".join(
        gettext("%(start)s，中间 %(hidden)s 位已隐藏，%(end)s")
        % {
            "start": _one_by_one(match["start"]),
            "hidden": len(match["hidden"]),
            "end": _one_by_one(match["end"]),
        }
        for match in matches
    )
    shown = format_html(' data-testid="{}"', testid) if testid else ""
    return format_html(
        '<span aria-hidden="true"{}>{}</span><span class="visually-hidden">{}</span>', shown, text, spoken
    )
