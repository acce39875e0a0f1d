"""The Chinese font every generated PDF uses (办结通知书, 审批单…), embedded so a document reads the same on
any machine, with or without Chinese fonts, and its text can be searched and copied.

The font is Noto Serif SC (思源宋体, SIL Open Font License), a TrueType file the project installs with its
own front-end packages (`package.json`: `@expo-google-fonts/noto-serif-sc`, put in place by `make setup`),
registered as a ReportLab `TTFont`: the characters used are embedded as a subset (`/FontFile2`) with a
`/ToUnicode` map. The `JIEDAO_PDF_FONT` setting may point to another TrueType (glyf-outline) font file.
Without the file, documents fall back to the viewer-resolved CID font ``STSong-Light`` (nothing embedded),
and an error is logged and a system alert opened.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

logger = logging.getLogger(__name__)

FONT = "NotoSerifSC"
FALLBACK_FONT = "STSong-Light"
FONT_PACKAGE_FILE = Path("@expo-google-fonts", "noto-serif-sc", "400Regular", "NotoSerifSC_400Regular.ttf")
FONT_ALERT_KEY = "core.pdf_font_missing"
_registered_path: str | None = None  # the font file registered under FONT
_fell_back = False  # the last document went without it (an alert is open)


def font_file() -> Path:
    configured = getattr(settings, "JIEDAO_PDF_FONT", "")
    return Path(configured) if configured else Path(settings.BASE_DIR) / "node_modules" / FONT_PACKAGE_FILE


def cjk_font() -> str:
    """The registered font name: the embedded TrueType font, or the CID fallback when its file is missing."""
    global _registered_path, _fell_back
    path = str(font_file())
    if Path(path).is_file():
        if path != _registered_path or _fell_back:
            if path != _registered_path:
                pdfmetrics.registerFont(TTFont(FONT, path))
                _registered_path = path
            _fell_back = False
            _font_alert(None)  # the font is there (again): an alert about it is out of date
        return FONT
    logger.error("PDF font %s is missing (run `make setup`): Chinese text is not embedded", path)
    _font_alert(Path(path))
    _fell_back = True
    if FALLBACK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return FALLBACK_FONT


def _font_alert(path: Path | None) -> None:
    """Open the system alert about the missing font file, or (`path` None) resolve it."""
    from django.db import DatabaseError, transaction
    from django.utils import timezone

    from jiedao.core.models import SystemAlert

    try:
        with transaction.atomic():
            if path is None:
                SystemAlert.objects.filter(key=FONT_ALERT_KEY, resolved_at__isnull=True).update(
                    resolved_at=timezone.now()
                )
                return
            SystemAlert.objects.update_or_create(
                key=FONT_ALERT_KEY,
                defaults={
                    "message": _(
                        "PDF 文书的中文字体文件缺失（%(path)s），办结通知书、审批单等未嵌入字体：请运行 make setup 安装。"
                    )
                    % {"path": path},
                    "resolved_at": None,
                },
            )
    except DatabaseError:
        logger.exception("could not record the PDF font alert")


def pdf_response(content: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    """A generated document as a PDF answer, opened in the browser's PDF viewer (to print) unless `inline` is
    False; never cached (documents name people)."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    response["Cache-Control"] = "private, no-store"
    return response
