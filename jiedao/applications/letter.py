"""The layout of every paper the service hall hands an applicant: the 办结通知书 (`outcome`) and the written
notices (`written_notices`: 受理通知书, 不予受理通知书, 补正材料通知书, 材料接收凭证).

An A4 page: the title, the tracking code at the top right, the addressee, the body, a table where there is one,
the issuing body and the date written out in Chinese (2026年12月7日) over a box where the office stamps its
seal (专用章), and a footer line. A body too long for one page goes on to the next, whose top repeats the
title and the tracking code so a loose page is still known.

Chinese text is set in the platform's embedded font (`jiedao.core.pdf`) and has no spaces to break lines at:
lines are cut by character count, never inside a run of letters and digits (a tracking code stays whole).
Why by hand and not ReportLab's `Paragraph(wordWrap="CJK")`: that wrap cuts anywhere between characters, so
a tracking code, a mobile number or 0571-87001234 is split over two lines (tried with ReportLab 5.1), and a
clerk reading a code aloud from a notice must not have to join it.
The canvas is `invariant`: the same document is the same bytes, whenever it is rendered.
"""

from __future__ import annotations

import datetime as dt
import io
import re

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from jiedao.core.pdf import cjk_font
from jiedao.workcalendar.services import CHINA_TZ

WIDTH, HEIGHT = A4
LEFT = 25 * mm
RIGHT = WIDTH - 25 * mm
BOTTOM = 32 * mm  # lowest baseline of the body; the footer is below
LINE = 9 * mm
BODY_SIZE = 13
INDENT = 2 * BODY_SIZE  # a paragraph's first line is indented by two characters
# Runs a line never breaks inside: tracking codes, phone numbers (0571-87001234, 138****8000), hours (8:30-17:00).
_UNBREAKABLE = re.compile(r"[0-9A-Za-z*][0-9A-Za-z*\-.:/]*[0-9A-Za-z*]")
# Punctuation a Chinese line does not begin with (避头) — it stays at the end of the line before — and opening
# punctuation it does not end with (避尾): it goes to the next line with what it opens.
_NO_LINE_START = set("，。、；：？！）》」』”’,.;:?!)")
_NO_LINE_END = set("（《「『“‘(")


def _fit(text: str, width: float, measure) -> int:
    """How many leading characters of `text` fit in `width` (at least one)."""
    if measure is len:
        return max(1, min(len(text), int(width)))
    used = 0.0
    for index, char in enumerate(text):
        used += measure(char)
        if used > width:
            return max(1, index)
    return len(text)


def wrap(text: str, width: float, measure=len, first: float | None = None) -> list[str]:
    """Split text into lines no wider than `width` — `measure` gives a string's width, by default its number
    of characters; `first`: the first line's width when it differs (an indented first line). Chinese has no
    spaces to break at: a line breaks between any two characters, but never inside a run of letters and
    digits (a tracking code, a phone number stays on one line) and never before closing punctuation."""
    lines: list[str] = []
    for paragraph in (text or "").splitlines() or [""]:
        paragraph = paragraph.strip()
        room = width if first is None or lines else first
        while measure(paragraph) > room:
            cut = _fit(paragraph, room, measure)
            for run in _UNBREAKABLE.finditer(paragraph):
                if run.start() < cut < run.end() and measure(run.group()) <= width:
                    cut = run.start() or cut
                    break
            if cut > 1 and paragraph[cut] in _NO_LINE_START:
                cut -= 1
            if cut > 1 and paragraph[cut - 1] in _NO_LINE_END:
                cut -= 1
            lines.append(paragraph[:cut])
            paragraph = paragraph[cut:]
            room = width
        lines.append(paragraph)
    return lines


def chinese_date(value: dt.date | dt.datetime | str | None) -> str:
    """A date as a Chinese official document writes it (GB/T 9704 成文日期): year, month and day in full, no
    padding zeros (2026年3月5日). A datetime is taken in Beijing time; a string is ISO 8601."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        value = value.astimezone(CHINA_TZ).date() if value.tzinfo else value.date()
    return f"{value.year}年{value.month}月{value.day}日"


def chinese_time(value: dt.datetime | str | None) -> str:
    """A moment as 2026年3月5日 9:05 (Beijing time)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    local = value.astimezone(CHINA_TZ)
    return f"{chinese_date(local)} {local.hour}:{local.minute:02d}"


def applicant_of(application) -> str:
    """Who the document is addressed to: the applicant's full name (it is their own document), under the
    enterprise's name when they applied for one."""
    who = application.applicant_name
    if application.enterprise_name:
        who = f"{application.enterprise_name}（{who}）"
    return who


def remedy_facts(application) -> dict:
    """The 行政复议机关 and 管辖法院 a refusal of `application` names (its org's, or the nearest ancestor's;
    blank where none is set), as a document keeps them."""
    bodies = application.org.remedy_bodies()
    return {"reconsideration_body": bodies.reconsideration_body, "litigation_court": bodies.litigation_court}


def remedy_sentence(facts: dict) -> str:
    """How to contest a refusal (行政许可法第三十八条第二款; 行政复议法第二十条: 60 days; 行政诉讼法第四十六条:
    six months), naming the bodies `facts` holds (`remedy_facts`); "" when it names none, and the document says
    it in its own general words. Full sentences, not fragments: a translator sees each one whole."""
    values = {"body": facts.get("reconsideration_body", ""), "court": facts.get("litigation_court", "")}
    if values["body"] and values["court"]:
        return (
            _(
                "如不服本决定，您可以自收到本通知书之日起六十日内向%(body)s申请行政复议，或者自收到本通知书之日起"
                "六个月内向%(court)s提起行政诉讼。"
            )
            % values
        )
    if values["body"]:
        return (
            _(
                "如不服本决定，您可以自收到本通知书之日起六十日内向%(body)s申请行政复议，或者自收到本通知书之日起"
                "六个月内依法向人民法院提起行政诉讼。"
            )
            % values
        )
    if values["court"]:
        return (
            _(
                "如不服本决定，您可以自收到本通知书之日起六十日内依法申请行政复议，或者自收到本通知书之日起"
                "六个月内向%(court)s提起行政诉讼。"
            )
            % values
        )
    return ""


class Letter:
    """One document being drawn, top to bottom; `pdf()` returns its bytes."""

    def __init__(
        self,
        *,
        title: str,
        tracking_code: str,
        issuer: str,
        footer: str,
        reference: str = "",
        subtitle: str = "",
    ):
        self.title = title
        self.reference = reference or tracking_code
        self.footer = footer
        self.font = cjk_font()
        self.buffer = io.BytesIO()
        self.canvas = canvas.Canvas(self.buffer, pagesize=A4, invariant=1)
        self.canvas.setTitle(f"{title} {tracking_code}")
        self.canvas.setAuthor(issuer)
        self.canvas.setFont(self.font, 22)
        self.canvas.drawCentredString(WIDTH / 2, HEIGHT - 35 * mm, title)
        if subtitle:
            self.canvas.setFont(self.font, 12)
            self.canvas.drawCentredString(WIDTH / 2, HEIGHT - 43 * mm, subtitle)
        self.canvas.setFont(self.font, 11)
        self.canvas.drawRightString(RIGHT, HEIGHT - 45 * mm, self.reference)
        self.y = HEIGHT - 62 * mm

    # --- pages ---------------------------------------------------------------------------------------------

    def _footer(self) -> None:
        self.canvas.setFont(self.font, 9)
        self.canvas.drawString(LEFT, 20 * mm, self.footer)
        page = self.canvas.getPageNumber()
        if page > 1:
            self.canvas.drawRightString(RIGHT, 20 * mm, _("第 %(n)d 页") % {"n": page})

    def _next_page(self) -> None:
        self._footer()
        self.canvas.showPage()
        self.canvas.setFont(self.font, 11)
        self.canvas.drawString(LEFT, HEIGHT - 25 * mm, _("%(title)s（续）") % {"title": self.title})
        self.canvas.drawRightString(RIGHT, HEIGHT - 25 * mm, self.reference)
        self.y = HEIGHT - 40 * mm

    def room(self, height: float) -> None:
        """Go on to a new page unless `height` more fits above the bottom margin."""
        if self.y - height < BOTTOM:
            self._next_page()

    # --- text ----------------------------------------------------------------------------------------------

    def addressee(self, who: str) -> None:
        self.canvas.setFont(self.font, BODY_SIZE)
        self.canvas.drawString(LEFT, self.y, f"{who}：")
        self.y -= 12 * mm

    def _measure(self, size: float = BODY_SIZE):
        return lambda text: stringWidth(text, self.font, size)

    def _line(self, x: float, text: str) -> None:
        self.room(0)
        self.canvas.setFont(self.font, BODY_SIZE)
        self.canvas.drawString(x, self.y, text)
        self.y -= LINE

    def paragraph(self, text: str, *, indent: bool = True) -> None:
        """A paragraph across the text width, its first line indented by two characters (unless `indent` is
        False), going on to the next page as needed."""
        first = INDENT if indent else 0
        rows = wrap(text, RIGHT - LEFT, self._measure(), first=RIGHT - LEFT - first)
        for index, row in enumerate(rows):
            self._line(LEFT + (first if index == 0 else 0), row)

    def numbered(self, items: list[str]) -> None:
        """A numbered list (1. …) indented as a paragraph, continuation lines under the text rather than under
        the number; an item is kept on one page when it fits on one."""
        for number, text in enumerate(items, 1):
            prefix = f"{number}. "
            x = LEFT + INDENT + stringWidth(prefix, self.font, BODY_SIZE)
            rows = wrap(text, RIGHT - x, self._measure())
            if len(rows) * LINE < HEIGHT / 2:
                self.room((len(rows) - 1) * LINE)
            for index, row in enumerate(rows):
                self.room(0)
                if index == 0:
                    self.canvas.setFont(self.font, BODY_SIZE)
                    self.canvas.drawString(LEFT + INDENT, self.y, prefix)
                self._line(x, row)

    def space(self, height: float) -> None:
        self.y -= height

    def table(self, header: list[str], rows: list[list[str]], widths: list[float], *, size: float = 10.5):
        """A ruled table across the text width (`widths` in mm, summing to it); each cell wrapped to its width;
        the header row repeated at the top of each new page."""
        leading = size * 0.45 * mm
        pad = 2 * mm
        columns = [w * mm for w in widths]

        def cells(values):
            measure = self._measure(size)
            return [
                wrap(str(value), width - 2 * pad, measure)
                for value, width in zip(values, columns, strict=True)
            ]

        def draw(values) -> None:
            lines = cells(values)
            height = max(len(cell) for cell in lines) * leading + 2 * pad
            if self.y - height < BOTTOM:
                self._next_page()
                draw(header)
            top = self.y
            x = LEFT
            self.canvas.setFont(self.font, size)
            for cell, width in zip(lines, columns, strict=True):
                self.canvas.rect(x, top - height, width, height, stroke=1, fill=0)
                for index, text in enumerate(cell):
                    self.canvas.drawString(x + pad, top - pad - (index + 1) * leading + 1 * mm, text)
                x += width
            self.y = top - height

        self.canvas.setLineWidth(0.6)
        draw(header)
        for row in rows:
            draw(row)
        self.y -= LINE

    # --- the end -------------------------------------------------------------------------------------------

    def sign_off(self, *, issuer: str, date: str, seal: str) -> None:
        """The issuing body and the date, right-aligned, over a dashed box where the seal is stamped."""
        self.room(18 * mm + 24 * mm - 8 * mm)  # the box may reach into the bottom margin, not the footer
        self.y -= 18 * mm
        self.canvas.setFont(self.font, BODY_SIZE)
        self.canvas.drawRightString(RIGHT, self.y, issuer)
        self.canvas.drawRightString(RIGHT, self.y - LINE, date)
        side = 40 * mm
        centre_x = RIGHT - max(stringWidth(issuer, self.font, BODY_SIZE), 30 * mm) / 2
        top = self.y + 16 * mm
        self.canvas.saveState()
        self.canvas.setStrokeGray(0.55)
        self.canvas.setFillGray(0.45)
        self.canvas.setDash(3, 2)
        self.canvas.setLineWidth(0.8)
        self.canvas.rect(centre_x - side / 2, top - side, side, side, stroke=1, fill=0)
        self.canvas.setFont(self.font, 9)
        self.canvas.drawCentredString(centre_x, top - 6 * mm, seal)
        self.canvas.restoreState()
        self.y = top - side - 4 * mm

    def pdf(self) -> bytes:
        self._footer()
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()
