"""The outcome document embeds its Chinese font (a TrueType subset), so it reads the same on a machine
without Chinese fonts, and its text extracts as Chinese."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from jiedao.applications import outcome, services
from jiedao.applications.choices import Outcome
from jiedao.applications.tests import factories
from jiedao.applications.tests.pdftext import embedded_fonts, pdf_text
from jiedao.core import pdf
from jiedao.core.models import SystemAlert
from jiedao.core.testing import make_user


@pytest.fixture
def concluded(tree):
    window = make_user(
        tree.subdistrict_a,
        "applications.view_application",
        "applications.accept_application",
        "applications.conclude_application",
    )
    item = factories.make_item(tree.subdistrict_a, name="最低生活保障（低保）申请")
    application = factories.submit(factories.make_resident(name="王秀兰"), item)
    services.application_accept(actor=window, application=application)
    services.application_conclude(
        actor=window, application=application, outcome=Outcome.APPROVED, text="符合条件，准予纳入低保。"
    )
    application.refresh_from_db()
    return application


def test_the_font_ships_with_the_project_setup():
    path = pdf.font_file()
    assert path.is_file(), f"{path} missing: `make setup` installs it (package.json)"
    assert path.read_bytes()[:4] == b"\x00\x01\x00\x00"  # TrueType outlines: ReportLab can subset them


def test_outcome_pdf_embeds_a_chinese_truetype_subset(concluded):
    data = concluded.outcome_document.read()
    assert data.startswith(b"%PDF-")
    assert b"/FontFile2" in data and b"/ToUnicode" in data
    fonts = embedded_fonts(data)
    assert fonts and all("NotoSerifSC" in name for name in fonts), fonts
    assert b"STSong-Light" not in data  # no font left for the viewer to find
    text = pdf_text(data)
    for expected in (
        "办结通知书",
        "王秀兰",  # the applicant's own document: the full name
        "最低生活保障（低保）申请",
        concluded.tracking_code,
        "准予",
        "符合条件，准予纳入低保。",
        "甲街道",
        "如对办理结果有异议，可依法申请行政复议或提起行政诉讼。",
    ):
        assert expected in text, expected
    assert "\ufffd" not in text
    assert len(data) < 200_000  # a subset, not the 15 MB font


def test_date_and_long_explanations_extract_in_full(concluded):
    concluded.concluded_at = dt.datetime(2026, 3, 5, 1, 0, tzinfo=dt.UTC)
    concluded.outcome_text = "经入户核实，家庭人均收入低于当地最低生活保障标准，" * 4
    text = pdf_text(outcome.render_pdf(concluded)).replace("\n", "")
    assert "2026年3月5日" in text and concluded.outcome_text in text


def test_missing_font_falls_back_visibly(concluded, settings, tmp_path, caplog):
    settings.JIEDAO_PDF_FONT = str(tmp_path / "absent.ttf")
    with caplog.at_level(logging.ERROR, logger="jiedao.applications.outcome"):
        data = outcome.render_pdf(concluded)
    assert data.startswith(b"%PDF-") and b"STSong-Light" in data
    assert "absent.ttf" in caplog.text
    alert = SystemAlert.objects.get(key=pdf.FONT_ALERT_KEY, resolved_at__isnull=True)
    assert "make setup" in alert.message
    settings.JIEDAO_PDF_FONT = ""  # installed again: the next document embeds it and the alert is resolved
    assert b"/FontFile2" in outcome.render_pdf(concluded)
    alert.refresh_from_db()
    assert alert.resolved_at is not None
