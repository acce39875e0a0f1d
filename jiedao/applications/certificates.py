"""Certificates (证明) the window prints on an approved application, filled from the registry: the 居住证明 of
a service item whose 出具证明类型 (`ServiceItem.certificate_kind`) says so.

Who it certifies: the registry person matched to the applicant by the one rule of the service hall
(`processing.applicant_person`: the identity number's blind index and the name, never the number alone),
registered under the issuing org (the application's org) and living there (status 现居住). Anyone else gets
a Chinese message and no certificate.

Since when: the start of the person's current stay — the latest of their 迁入, 登记 and 出生 events in the
registry timeline (a later 迁入 starts a new stay after a 迁出; a person never moved in since being
registered has lived here since the registration). A person with none of these is refused: the office
cannot certify a date it does not have.

Numbered per issuing org, kind and year (〔2026〕柳浪居证字第 0001 号) from a counter row locked while the
certificate is numbered, with a unique constraint behind it: two clerks issuing at the same moment get
consecutive numbers, and a number is never given twice (a revoked certificate keeps its number).

What it says is fixed when it is issued (`Certificate.facts`, the identity number encrypted beside them),
so a reprint is byte-identical whatever changed in the registry since; the applicant saves the same document
from their own application page while it is in force, a staff system through the API. It carries a 查验码
and a QR code for the public check page /verify/<code>, which shows the issuing org, the number, the dates
and the holder's masked name — nothing else — and 已作废 once it is revoked. Written in the site's
language: the certificate and the audit entries are the office's records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.units import mm

from jiedao.applications import audit_events as events
from jiedao.applications import processing, services
from jiedao.applications.choices import ApplicationStatus
from jiedao.applications.letter import LEFT, Letter, chinese_date
from jiedao.applications.models import Application, Certificate, CertificateCounter
from jiedao.audit import services as audit
from jiedao.catalog.choices import CertificateKind
from jiedao.core import crypto, pdf
from jiedao.core.exceptions import OutOfScope, ServiceError, ValidationFailed
from jiedao.core.i18n import records_language
from jiedao.core.scope import require
from jiedao.parameters.services import get_parameter
from jiedao.registry.choices import IdKind, LifeEventKind, PersonStatus
from jiedao.workcalendar.services import CHINA_TZ, add_months

# The 查验码: no 0/O, 1/I/L, so it can be read off paper and typed.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
# The events that start a stay in the community (see the module's docstring).
_STAY_STARTS = (LifeEventKind.MOVE_IN, LifeEventKind.REGISTERED, LifeEventKind.BIRTH)
# 居证字: the word of the number for each kind.
_NUMBER_WORD = {CertificateKind.RESIDENCE: "居证字"}
# What an org's name ends with that the number leaves out (柳浪社区 → 柳浪).
_NAME_SUFFIXES = ("社区居民委员会", "居民委员会", "村民委员会", "街道办事处", "居委会", "社区", "街道", "村")
_MONTHS = "一二三四五六七八九十"


def _chinese_months(months: int) -> str:
    return _MONTHS[months - 1] if months <= 10 else "十" + _MONTHS[months - 11]


def short_name(name: str) -> str:
    for suffix in _NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def format_number(org_name: str, kind: str, year: int, serial: int) -> str:
    return f"〔{year}〕{short_name(org_name)}{_NUMBER_WORD.get(kind, '证字')}第 {serial:04d} 号"


def verify_url(code: str) -> str:
    return services.public_url("certificate_verify", code)


# --- who, where, since when --------------------------------------------------------------------------------


def _holder(application: Application):
    """The registry person the certificate is about, living under the issuing org; else a Chinese refusal."""
    person = processing.applicant_person(application)
    org = application.org
    if person is None or not person.org.path.startswith(org.path):
        raise ServiceError(
            _(
                "实有人口库中没有找到申请人（按姓名和证件号码在%(org)s辖区内查找），不能开具居住证明。"
                "请核对申请人的姓名和证件号码，或先到实有人口库登记。"
            )
            % {"org": org.name},
            code="not_in_registry",
        )
    if person.status != PersonStatus.LIVING:
        raise ServiceError(
            _("实有人口库中申请人的状态为“%(status)s”，不在本辖区居住，不能开具居住证明。")
            % {"status": person.get_status_display()},
            code="not_living_here",
        )
    return person


def _since(person) -> dt.date:
    event = person.life_events.filter(kind__in=_STAY_STARTS).order_by("-occurred_on", "-id").first()
    if event is None:
        raise ServiceError(
            _("实有人口库中没有该居民的迁入或登记日期，不能证明自何时起居住。请先在人口信息中补登迁入事项。"),
            code="no_move_in",
        )
    return event.occurred_on


def _address(person) -> str:
    """The full address: the community and the orgs above it, then the house (or the 现住址 kept)."""
    house = person.house.full_address if person.house_id else person.residence_address.strip()
    if not house:
        raise ServiceError(
            _("实有人口库中没有该居民的居住地址，不能开具居住证明。请先在人口信息中登记居住房屋。"),
            code="no_address",
        )
    place = person.org.community() or person.org
    names = [a.name for a in place.ancestors()] + [place.name]
    if any(house.startswith(name) for name in names):  # the 现住址 kept already names them
        return house
    return "".join(names) + house


# --- issue and revoke --------------------------------------------------------------------------------------


def _next_serial(org, kind: str, year: int) -> int:
    """The next serial of `org`'s `kind` certificates in `year`, the counter row held locked until the
    caller's transaction ends (a second issuer waits, then takes the next)."""
    counter, _created = CertificateCounter.objects.select_for_update().get_or_create(
        org=org, kind=kind, year=year
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def _new_code() -> str:
    return services.unique_code(CODE_ALPHABET, CODE_LENGTH, Certificate, "code")


def certificate_issue(
    *, actor, application: Application, purpose: str = "", at: dt.datetime | None = None
) -> Certificate:
    """开具 the item's certificate for an application concluded as approved, from the registry as it is now.
    Refused (Chinese message) for another item or outcome, while one is in force, or when the registry does
    not show the applicant living under the issuing org."""
    require(actor, "applications.conclude_application", application)
    purpose = (purpose or "").strip()
    if len(purpose) > 100:
        raise ValidationFailed({"purpose": [_("用途不能超过 100 个字。")]})
    at = at or timezone.now()
    with transaction.atomic():
        # The process first, then the application (the lock order of a process step): the application's
        # lock makes a second click wait and then see the certificate the first issued.
        processing.lock_process(application)
        # Only the application's row (`of`): locking the joined org row would hold up every write that
        # refers to the org; the year's counter orders the numbers.
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("item", "org")
            .get(pk=application.pk)
        )
        kind = locked.item.certificate_kind
        if not kind:
            raise ServiceError(_("该事项不出具证明。"), code="no_certificate")
        if locked.status != ApplicationStatus.CONCLUDED_APPROVED:
            raise ServiceError(
                _("该办件当前状态为“%(status)s”，办结准予后才能开具证明。")
                % {"status": locked.get_status_display()},
                code="bad_status",
            )
        current = locked.certificates.filter(revoked_at__isnull=True).first()
        if current is not None:
            raise ServiceError(
                _("该办件已开具证明（%(number)s），可直接打印；如需重新开具，请先作废原证明。")
                % {"number": current.number},
                code="already_issued",
            )
        person = _holder(locked)
        since, address = _since(person), _address(person)
        org = locked.org
        day = at.astimezone(CHINA_TZ).date()
        months = int(get_parameter("applications.certificate_validity_months"))
        valid_until = add_months(day, months) - dt.timedelta(days=1)
        serial = _next_serial(org, kind, day.year)
        code = _new_code()
        with records_language():
            facts = {
                "title": str(CertificateKind(kind).label),
                "number": format_number(org.name, kind, day.year, serial),
                "holder": person.name,
                "holder_masked": crypto.mask_name(person.name),
                # 公民身份号码 for a 居民身份证; else the document's name (港澳居民居住证号码…)
                "id_label": (
                    _("公民身份号码")
                    if person.id_kind == IdKind.CITIZEN
                    else _("%(kind)s号码") % {"kind": person.get_id_kind_display()}
                ),
                "since": since.isoformat(),
                "address": address,
                "purpose": purpose,
                "validity": _chinese_months(months),
                "issued_on": day.isoformat(),
                "valid_until": valid_until.isoformat(),
                "issuer": org.name,
                "code": code,
                "verify_url": verify_url(code),
                "tracking_code": locked.tracking_code,
            }
        certificate = Certificate.objects.create(
            org=org,
            created_by=actor if getattr(actor, "pk", None) else None,
            application=locked,
            kind=kind,
            year=day.year,
            serial=serial,
            number=facts["number"],
            code=code,
            holder_id_number=person.id_number,
            issued_at=at,
            valid_until=valid_until,
            facts=facts,
        )
        audit.record(
            events.CERTIFICATE_ISSUED,
            actor=actor,
            target=certificate,
            message=f"{facts['number']}（{locked.tracking_code}）",
        )
    return certificate


def certificate_revoke(*, actor, certificate: Certificate, reason: str, at: dt.datetime | None = None):
    """作废: the certificate stays (its number is never given again) and /verify says 已作废."""
    require(actor, "applications.conclude_application", certificate)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("请填写作废原因。")]})
    if len(reason) > 300:
        raise ValidationFailed({"reason": [_("作废原因不能超过 300 个字。")]})
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if locked.revoked_at is not None:
            raise ServiceError(_("该证明已作废。"), code="already_revoked")
        locked.revoked_at = at or timezone.now()
        locked.revoked_by = actor
        locked.revoke_reason = reason
        locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason", "updated_at"])
        audit.record(
            events.CERTIFICATE_REVOKED, actor=actor, target=locked, message=f"{locked.number}：{reason}"
        )
    certificate.refresh_from_db()
    return locked


def certificate_get(application: Application, pk: int) -> Certificate:
    """A certificate of an application already in the caller's scope; not found otherwise."""
    certificate = application.certificates.filter(pk=pk).first()
    if certificate is None:
        raise OutOfScope()
    return certificate


def holder_certificate(application: Application, pk: int) -> Certificate:
    """The applicant's own copy, from their application page: a certificate of `application` (already the
    resident's own) still in force. A revoked one no longer certifies anything: refused with a Chinese
    message; another application's is not found."""
    certificate = certificate_get(application, pk)
    if certificate.revoked_at is not None:
        raise ServiceError(_("该证明已作废，不能下载。如仍需证明，请到办理窗口重新开具。"), code="revoked")
    return certificate


# --- the public check --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    title: str
    issuer: str
    number: str
    issued_on: dt.date
    valid_until: dt.date
    holder_masked: str
    revoked: bool
    expired: bool


def certificate_verify(*, code: str, ip: str | None, today: dt.date | None = None) -> Verification:
    """What /verify/<code> shows. Any wrong code gets the same answer; each address may try as often as it
    may track applications (`applications.track_limit` per 10 minutes)."""
    services.limit_lookup("verify", ip, _("查验过于频繁，请 10 分钟后再试。"))
    normalized = "".join((code or "").split()).upper()
    certificate = None
    if len(normalized) == CODE_LENGTH:
        certificate = Certificate.objects.filter(code=normalized).first()
    if certificate is None:
        raise ServiceError(_("未查到该证明，请核对查验码。"), code="not_found")
    facts = certificate.facts
    today = today or timezone.now().astimezone(CHINA_TZ).date()
    return Verification(
        title=facts["title"],
        issuer=facts["issuer"],
        number=certificate.number,
        issued_on=dt.date.fromisoformat(facts["issued_on"]),
        valid_until=certificate.valid_until,
        holder_masked=facts["holder_masked"],
        revoked=certificate.revoked_at is not None,
        expired=certificate.valid_until < today,
    )


# --- the document ------------------------------------------------------------------------------------------


def _draw_qr(letter: Letter, data: str, *, x: float, y: float, side: float) -> None:
    """A QR code with its lower left corner at (x, y), drawn module by module (the same bytes every time)."""
    import qrcode

    qr = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(data)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    cell = side / len(matrix)
    canvas = letter.canvas
    canvas.saveState()
    canvas.setFillGray(0)
    for row, line in enumerate(matrix):
        for column, dark in enumerate(line):
            if dark:
                canvas.rect(x + column * cell, y + side - (row + 1) * cell, cell, cell, stroke=0, fill=1)
    canvas.restoreState()


def render_pdf(certificate: Certificate) -> bytes:
    """The certificate's PDF, from its stored facts only."""
    with records_language():
        facts = certificate.facts
        letter = Letter(
            title=facts["title"],
            tracking_code=facts["number"],
            issuer=facts["issuer"],
            reference=facts["number"],
            # the 查验码 itself is printed under the QR code; the footer line must fit one line
            footer=_("可扫描二维码或访问 %(url)s 核验本证明真伪。") % {"url": facts["verify_url"]},
        )
        since = dt.date.fromisoformat(facts["since"])
        letter.paragraph(
            _("兹证明%(name)s（%(id_label)s：%(id)s）自%(year)d年%(month)d月起居住在%(address)s，情况属实。")
            % {
                "name": facts["holder"],
                "id_label": facts["id_label"],
                "id": certificate.holder_id_number,
                "year": since.year,
                "month": since.month,
                "address": facts["address"],
            }
        )
        letter.paragraph(_("特此证明。"))
        letter.space(4 * mm)
        if facts["purpose"]:
            letter.paragraph(_("用途：%(p)s") % {"p": facts["purpose"]})
        letter.paragraph(
            _("有效期：%(months)s个月（自开具之日起至%(until)s止）。")
            % {"months": facts["validity"], "until": chinese_date(facts["valid_until"])}
        )
        letter.sign_off(issuer=facts["issuer"], date=chinese_date(facts["issued_on"]), seal=_("（盖章）"))
        side = 28 * mm
        bottom = letter.y + 4 * mm
        _draw_qr(letter, facts["verify_url"], x=LEFT, y=bottom, side=side)
        letter.canvas.setFont(letter.font, 9)
        letter.canvas.drawString(LEFT, bottom - 5 * mm, _("查验码：%(code)s") % {"code": facts["code"]})
        return letter.pdf()


def filename(certificate: Certificate) -> str:
    return f"{certificate.facts['title']}-{certificate.year}-{certificate.serial:04d}.pdf"


def pdf_response(certificate: Certificate, *, inline: bool = True) -> HttpResponse:
    """打印: opened in the browser's PDF viewer, or saved (`inline` False: the holder's own copy, an API
    client); never cached (the holder's identity number)."""
    return pdf.pdf_response(render_pdf(certificate), filename(certificate), inline=inline)


def issuable(application: Application, issued: list[Certificate]) -> bool:
    """Whether the 开具证明 action applies, given the application's certificates (`issued`, which the page
    lists anyway); the service still checks the registry."""
    return (
        bool(application.item.certificate_kind)
        and application.status == ApplicationStatus.CONCLUDED_APPROVED
        and all(certificate.revoked_at is not None for certificate in issued)
    )
