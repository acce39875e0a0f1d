"""Documents a process generates (``workflow.generate_document``): an approval sheet (审批单) with the
process data as its forms label it and who handled each step with which opinion, the way a paper 审批表 is
filed. Rendered with ReportLab in the platform's embedded Chinese font (`jiedao.core.pdf`)."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from jiedao.core.pdf import cjk_font
from jiedao.workcalendar.services import CHINA_TZ


def _styles(font: str) -> dict[str, ParagraphStyle]:
    # Chinese has no spaces to break lines at: CJK word wrap breaks between any two characters.
    base = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=15, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, alignment=1, spaceAfter=4),
        "sub": ParagraphStyle("sub", parent=base, fontSize=9, textColor=colors.grey, alignment=1),
        "body": base,
        "head": ParagraphStyle("head", parent=base, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4),
    }


def _cell(text, style) -> Paragraph:
    return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)


def approval_sheet(*, instance, title: str, rows: list[tuple[str, str]], history: list[dict]) -> bytes:
    """The PDF bytes. `rows`: (label, value) of the process data; `history`: dicts with step, actor,
    action, opinion and at (aware datetime)."""
    font = cjk_font()
    styles = _styles(font)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=instance.org.name,
    )
    started = instance.started_at.astimezone(CHINA_TZ) if instance.started_at else None
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
        ]
    )
    story = [
        _cell(title, styles["title"]),
        _cell(
            _("%(org)s · %(process)s · 编号 %(number)s · 发起 %(when)s")
            % {
                "org": instance.org.name,
                "process": instance.definition.name,
                "number": instance.pk,
                "when": f"{started:%Y年%m月%d日 %H:%M}" if started else "—",
            },
            styles["sub"],
        ),
        Spacer(1, 6 * mm),
    ]
    initiator = instance.initiator.full_name if instance.initiator_id else "—"
    facts = [(_("发起人"), initiator), *rows]
    story.append(
        Table(
            [[_cell(label, styles["body"]), _cell(value, styles["body"])] for label, value in facts],
            colWidths=[40 * mm, 130 * mm],
            style=grid,
        )
    )
    if history:
        story += [Spacer(1, 4 * mm), _cell(_("办理记录"), styles["head"])]
        header = [
            _cell(label, styles["body"])
            for label in (_("环节"), _("办理人"), _("办理"), _("意见"), _("时间"))
        ]
        lines = [
            [
                _cell(entry["step"], styles["body"]),
                _cell(entry["actor"], styles["body"]),
                _cell(entry["action"], styles["body"]),
                _cell(entry["opinion"], styles["body"]),
                _cell(f"{entry['at'].astimezone(CHINA_TZ):%Y-%m-%d %H:%M}", styles["body"]),
            ]
            for entry in history
        ]
        history_style = TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
            ]
        )
        story.append(
            Table(
                [header, *lines],
                colWidths=[30 * mm, 22 * mm, 18 * mm, 70 * mm, 30 * mm],
                style=history_style,
                repeatRows=1,
            )
        )
    document.build(story)
    return buffer.getvalue()
