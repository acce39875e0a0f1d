"""The outcome document (办结通知书): a one-page PDF produced when an application is concluded, stored with
the application (`Application.outcome_document`) and downloadable by the applicant and by staff.

It is the applicant's own document: it carries the applicant's full name, the item, the tracking code, the outcome and its explanation, the
date and the issuing body (the application's org).

Laid out as every paper of the service hall (`letter`): Chinese text in the platform's embedded font, so the
document looks the same on any machine and its text can be searched and copied.
"""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from jiedao.applications.choices import Outcome
from jiedao.applications.letter import Letter, applicant_of, chinese_date, remedy_facts, remedy_sentence


def document_lines(application) -> dict:
    """What the document says (also used by tests)."""
    return {
        "title": _("办结通知书"),
        "applicant": applicant_of(application),  # the applicant's own document: the full name
        "item": application.item.name,
        "tracking_code": application.tracking_code,
        "outcome": application.get_outcome_display(),
        "text": application.outcome_text,
        "date": chinese_date(application.concluded_at),
        "issuer": application.org.name,
        # A 不予准予 decision names where to contest it; the document is stored, so it keeps these names.
        **(remedy_facts(application) if application.outcome == Outcome.DENIED else {}),
    }


def render_pdf(application) -> bytes:
    facts = document_lines(application)
    letter = Letter(
        title=facts["title"],
        tracking_code=facts["tracking_code"],
        issuer=facts["issuer"],
        reference=_("查询码：%(c)s") % {"c": facts["tracking_code"]},
        footer=_("本通知书由系统生成，可凭查询码在网上办事大厅核验。"),
    )
    letter.addressee(facts["applicant"])
    letter.paragraph(
        _("您申请办理的“%(item)s”（查询码 %(code)s）已办结，办理结果为：%(outcome)s。")
        % {"item": facts["item"], "code": facts["tracking_code"], "outcome": facts["outcome"]}
    )
    if facts["text"]:
        letter.paragraph(_("结果说明：%(t)s") % {"t": facts["text"]})
    letter.paragraph(remedy_sentence(facts) or _("如对办理结果有异议，可依法申请行政复议或提起行政诉讼。"))
    letter.sign_off(issuer=facts["issuer"], date=facts["date"], seal=_("（专用章）"))
    return letter.pdf()


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


def outcome_document_response(application) -> FileResponse:
    """The stored document as a download (the staff page, the resident's page and the resident API); an
    application with none (not concluded) is not found."""
    if not application.outcome_document:
        raise Http404()
    return FileResponse(
        application.outcome_document.open("rb"),
        as_attachment=True,
        filename=f"办结通知书-{application.tracking_code}.pdf",
        content_type="application/pdf",
    )
