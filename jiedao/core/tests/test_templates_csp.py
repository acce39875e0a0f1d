"""The CSP (style-src 'self') drops inline style attributes: a size written into a template would silently
not apply in the browser (a person's phone photo shown at full size, a QR code as wide as the page)."""

import re

from django.conf import settings

INLINE_STYLE = re.compile(r"<[a-zA-Z][^>]*\sstyle=\"")


def test_no_template_relies_on_an_inline_style():
    offenders = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}"
        for path in sorted((settings.BASE_DIR / "jiedao").rglob("templates/**/*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if INLINE_STYLE.search(line)
    ]
    assert offenders == []
