"""The outcome document (办结通知书): a one-page PDF produced when an application is concluded, stored with
the application (`Application.outcome_document`) and downloadable by the applicant and by staff.

It is the applicant's own document: it carries the applicant's full name, the item, the tracking code, the outcome and its explanation, the
date and the issuing body (the application's org).

Chinese text is set in the platform's embedded font (`jiedao.core.pdf`), so the document looks the same on
any machine and its text can be searched and copied.
"""

from __future__ import annotations

import io
import re

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from jiedao.core.pdf import cjk_font
from jiedao.workcalendar.services import CHINA_TZ

_UNBREAKABLE = re.compile(r"[0-9A-Za-z]+")


def _wrap(text: str, width: int) -> list[str]:
    """Split text into lines of at most `width` characters (Chinese has no spaces to break on), never inside
    a run of letters and digits (a tracking code stays on one line)."""
    lines: list[str] = []
    for paragraph in (text or "").splitlines() or [""]:
        paragraph = paragraph.strip()
        while len(paragraph) > width:
            cut = width
            for run in _UNBREAKABLE.finditer(paragraph):
                if run.start() < cut < run.end() and run.end() - run.start() <= width:
                    cut = run.start() or width
                    break
            lines.append(paragraph[:cut])
            paragraph = paragraph[cut:]
        lines.append(paragraph)
    return lines


def document_lines(application) -> dict:
    """What the document says (also used by tests)."""
    who = application.applicant_name  # the applicant's own document: the full name
    if application.enterprise_name:
        who = f"{application.enterprise_name}（{who}）"
    concluded = application.concluded_at.astimezone(CHINA_TZ) if application.concluded_at else None
    return {
        "title": _("办结通知书"),
        "applicant": who,
        "item": application.item.name,
        "tracking_code": application.tracking_code,
        "outcome": application.get_outcome_display(),
        "text": application.outcome_text,
        # GB/T 9704 成文日期: year, month and day in full, no padding zeros (2026年3月5日).
        "date": f"{concluded.year}年{concluded.month}月{concluded.day}日" if concluded else "",
        "issuer": application.org.name,
    }


def render_pdf(application) -> bytes:
    facts = document_lines(application)
    font = cjk_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"{facts['title']} {facts['tracking_code']}")
    pdf.setAuthor(facts["issuer"])
    width, height = A4
    pdf.setFont(font, 22)
    pdf.drawCentredString(width / 2, height - 35 * mm, facts["title"])
    pdf.setFont(font, 11)
    pdf.drawRightString(width - 25 * mm, height - 45 * mm, _("查询码：%(c)s") % {"c": facts["tracking_code"]})
    y = height - 62 * mm
    pdf.setFont(font, 13)
    pdf.drawString(25 * mm, y, _("%(who)s：") % {"who": facts["applicant"]})
    y -= 12 * mm
    body = _("您申请办理的“%(item)s”（查询码 %(code)s）已办结，办理结果为：%(outcome)s。") % {
        "item": facts["item"],
        "code": facts["tracking_code"],
        "outcome": facts["outcome"],
    }
    rows = [*_wrap(body, 30)]
    if facts["text"]:
        rows += _wrap(_("结果说明：%(t)s") % {"t": facts["text"]}, 30)
    rows += _wrap(_("如对办理结果有异议，可依法申请行政复议或提起行政诉讼。"), 30)
    for row in rows:
        pdf.drawString(32 * mm, y, row)
        y -= 9 * mm
    y -= 18 * mm
    pdf.drawRightString(width - 25 * mm, y, facts["issuer"])
    y -= 9 * mm
    pdf.drawRightString(width - 25 * mm, y, facts["date"])
    pdf.setFont(font, 9)
    pdf.drawString(25 * mm, 20 * mm, _("本通知书由系统生成，可凭查询码在网上办事大厅核验。"))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def outcome_document_store(application) -> None:
    """Render the document and store it with the (locked, concluded) application."""
    content = render_pdf(application)
    name = f"{application.tracking_code}.pdf"
    if application.outcome_document:
        application.outcome_document.delete(save=False)
    application.outcome_document.save(name, ContentFile(content), save=False)
    type(application).objects.filter(pk=application.pk).update(
        outcome_document=application.outcome_document.name
    )
