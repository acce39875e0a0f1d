"""The written notices an office hands the applicant (行政许可法第三十二条): 受理通知书, 不予受理通知书,
补正材料通知书 (一次性告知书) and 材料接收凭证, each a dated A4 PDF issued in the name of the application's
org, with a box for its seal (专用章).

Stored facts, rendered on demand. The service that accepts, refuses, asks for corrections or receives
materials at the window calls `issue_*` in its own transaction: a `WrittenNotice` row keeps what the document
says (applicant, item, dates, the time limit and due date as promised then, phones, every correction item,
the materials received), and `render_pdf` draws it, the same bytes every time (`letter` draws on an invariant
canvas). So a reprint months later says what the first print said, although the item's name or phones,
the org's name, the due date (paused, extended) or the correction list (cleared on acceptance, replaced by a
second round) have changed since; an act rolled back leaves no document, and no file is written.
Rendering costs a few tens of milliseconds and only happens when someone prints.

Documents are written in the site's language (`jiedao.core.i18n.records_language`), whatever the language of
the request that issued or prints them: they are the office's records.

An application accepted, refused or told to correct before these notices were kept has no row: its document
is issued from the application as it stands the first time someone asks for it (`written_notice_get`), and
kept from then on.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils.translation import gettext as _

from jiedao.applications import processing
from jiedao.applications.choices import ApplicationStatus, Channel, EventAction, NoticeKind
from jiedao.applications.letter import (
    Letter,
    applicant_of,
    chinese_date,
    chinese_time,
    remedy_facts,
    remedy_sentence,
)
from jiedao.applications.models import Application, ServiceWindow, WrittenNotice
from jiedao.catalog.choices import ItemKind, PowerType
from jiedao.core import pdf
from jiedao.core.exceptions import OutOfScope, ServiceError
from jiedao.core.i18n import records_language
from jiedao.workcalendar.services import CHINA_TZ


def _day(value: dt.datetime | None) -> str:
    return value.astimezone(CHINA_TZ).date().isoformat() if value else ""


def _common(application: Application, at: dt.datetime) -> dict:
    item = application.item
    return {
        "applicant": applicant_of(application),
        "item": item.name,
        # 行政许可 items cite 《行政许可法》 in the notices; other items (给付, 公共服务…) are not licences.
        "licensing": item.power_type == PowerType.LICENSING,
        "tracking_code": application.tracking_code,
        "issuer": application.org.name,
        "issued_on": _day(at),
        "submitted_on": _day(application.submitted_at),
        "phone_masked": application.applicant_phone_masked,
        "window_address": item.window_address,
        "office_hours": item.office_hours,
        "consultation_phone": item.consultation_phone,
        "complaint_phone": item.complaint_phone,
    }


def _issue(application: Application, kind: str, facts: dict, *, actor, at: dt.datetime) -> WrittenNotice:
    """Keep one more document of `kind` (the caller holds the application's lock)."""
    last = application.written_notices.filter(kind=kind).order_by("-number").first()
    return WrittenNotice.objects.create(
        application=application,
        kind=kind,
        number=(last.number + 1) if last else 1,
        issued_at=at,
        issued_by=actor if getattr(actor, "pk", None) else None,
        facts=facts,
    )


# --- issued by the services, in the transaction of the act ----------------------------------------------


def acceptance_facts(application: Application, at: dt.datetime) -> dict:
    from jiedao.timelimits.services import clock_for

    clock = clock_for(application)
    return {
        **_common(application, at),
        "accepted_on": _day(application.accepted_at),
        "deemed": application.deemed_accepted,
        "instant": application.item.kind == ItemKind.INSTANT,
        "limit_days": clock.limit if clock else max(1, application.item.promised_limit_days),
        "due_on": _day(application.due_at),
        # Counted before the year's holiday notice was entered: the notice says the date may move.
        "due_provisional": bool(clock and clock.due_provisional),
        "deferred": list(application.deferred_materials.values_list("name", flat=True)),
        "defer_until": application.defer_until.isoformat() if application.defer_until else "",
    }


def issue_acceptance(application: Application, *, actor, at: dt.datetime) -> WrittenNotice:
    """受理通知书, when an application is accepted (by staff, or deemed accepted)."""
    with records_language():
        return _issue(
            application, NoticeKind.ACCEPTANCE, acceptance_facts(application, at), actor=actor, at=at
        )


def issue_refusal(application: Application, *, actor, at: dt.datetime) -> WrittenNotice:
    """不予受理通知书, with the reason given (`status_note`) and where to contest it: the names as set now are
    kept, so a reprint names the bodies the first print named."""
    with records_language():
        facts = {**_common(application, at), "reason": application.status_note, **remedy_facts(application)}
        return _issue(application, NoticeKind.REFUSAL, facts, actor=actor, at=at)


def issue_correction(application: Application, *, actor, at: dt.datetime) -> WrittenNotice:
    """补正材料通知书 (一次性告知书): every item to correct, as the staff listed them."""
    with records_language():
        facts = {
            **_common(application, at),
            "received_on": _day(application.received_at or application.submitted_at),
            "items": list(application.correction_items),
            "accepted": application.accepted_at is not None,
            "online": application.channel == Channel.ONLINE and application.resident_id is not None,
        }
        return _issue(application, NoticeKind.CORRECTION, facts, actor=actor, at=at)


def issue_receipt(
    application: Application, *, materials, actor, at: dt.datetime, corrections: bool = False
) -> WrittenNotice | None:
    """材料接收凭证 for the materials just received at the window (`materials`: the `ApplicationMaterial` rows
    created); `corrections`: they were handed in to correct the application."""
    rows: dict[tuple, dict] = {}
    with records_language():
        for received in materials:
            catalog = received.material
            key = (received.material_id, received.label)
            row = rows.get(key)
            if row is None:
                row = rows[key] = {
                    "name": received.label,
                    "form": catalog.get_form_display() if catalog else "",
                    "copies": catalog.copies if catalog else 0,
                    "files": 0,
                }
            row["files"] += 1
        if not rows:
            return None
        window = ServiceWindow.of(actor)
        facts = {
            **_common(application, at),
            "received_at": at.astimezone(CHINA_TZ).isoformat(timespec="minutes"),
            "window": f"{window.number} {window.name}" if window else "",
            "receiver": (getattr(actor, "full_name", "") or getattr(actor, "username", "")) if actor else "",
            "corrections": corrections,
            "materials": list(rows.values()),
        }
        return _issue(application, NoticeKind.RECEIPT, facts, actor=actor, at=at)


# --- read, and print -------------------------------------------------------------------------------------


def _not_issued(application: Application, kind: str) -> ServiceError:
    status = application.get_status_display()
    message = {
        NoticeKind.ACCEPTANCE: _("该办件当前状态为“%(status)s”，尚未受理，没有受理通知书。"),
        NoticeKind.REFUSAL: _("该办件当前状态为“%(status)s”，未作出不予受理决定，没有不予受理通知书。"),
        NoticeKind.CORRECTION: _("该办件当前状态为“%(status)s”，未告知过补正材料，没有补正材料通知书。"),
        NoticeKind.RECEIPT: _("该办件没有在窗口收取过材料（网上提交的材料不出具凭证），没有材料接收凭证。"),
    }[kind]
    return ServiceError(message % {"status": status}, code="bad_status")


def _implied(application: Application, kind: str) -> bool:
    """Whether the application has had the act of a `kind` notice although no notice is stored (an act done
    before notices were kept): the 打印 links and `_issue_missing` read the same rule."""
    if kind == NoticeKind.ACCEPTANCE:
        return application.accepted_at is not None
    if kind == NoticeKind.REFUSAL:
        return application.status == ApplicationStatus.REJECTED
    if kind == NoticeKind.CORRECTION:
        return application.status == ApplicationStatus.CORRECTION_REQUESTED and bool(
            application.correction_items
        )
    return False


def _issue_missing(application: Application, kind: str) -> WrittenNotice | None:
    """The document of an act done before notices were kept, issued now from the application as it stands."""
    with transaction.atomic():
        # The process first, then the application: the lock order of a process step (no deadlock with one).
        processing.lock_process(application)
        locked = Application.objects.select_for_update().select_related("item", "org").get(pk=application.pk)
        existing = locked.written_notices.filter(kind=kind).order_by("-number").first()
        if existing is not None:
            return existing
        if not _implied(locked, kind):
            return None
        if kind == NoticeKind.ACCEPTANCE:
            return issue_acceptance(locked, actor=None, at=locked.accepted_at)
        if kind == NoticeKind.REFUSAL:
            return issue_refusal(locked, actor=None, at=locked.concluded_at or locked.received_at)
        if kind == NoticeKind.CORRECTION:
            told = locked.events.filter(action=EventAction.CORRECTION_REQUESTED).order_by("-at").first()
            return issue_correction(locked, actor=None, at=told.at if told else locked.received_at)
    return None


def written_notice_get(application: Application, kind: str, number: int | None = None) -> WrittenNotice:
    """The `kind` document of an application (already in the caller's scope): the latest, or the `number`-th.
    A `ServiceError` (code `bad_status`) says why there is none; an unknown kind or number is not found."""
    if kind not in NoticeKind.values:
        raise OutOfScope()
    issued = application.written_notices.filter(kind=kind)
    if number is not None:
        notice = issued.filter(number=number).first()
        if notice is None:
            raise OutOfScope()
        return notice
    notice = issued.order_by("-number").first()
    if notice is None:
        try:
            notice = _issue_missing(application, kind)
        except IntegrityError:  # issued by a concurrent request a moment ago
            notice = issued.order_by("-number").first()
    if notice is None:
        raise _not_issued(application, kind)
    return notice


def filename(notice: WrittenNotice) -> str:
    suffix = f"-{notice.number}" if notice.number > 1 else ""
    with records_language():
        title = NoticeKind(notice.kind).label
        return f"{title}-{notice.facts.get('tracking_code', '')}{suffix}.pdf"


def pdf_response(notice: WrittenNotice, *, inline: bool = True) -> HttpResponse:
    """The document as a PDF answer, opened in the browser's PDF viewer (to print) unless `inline` is False;
    never cached (the applicant's personal data)."""
    return pdf.pdf_response(render_pdf(notice), filename(notice), inline=inline)


# --- the documents -----------------------------------------------------------------------------------------


def render_pdf(notice: WrittenNotice) -> bytes:
    """The document's PDF, from its stored facts only."""
    with records_language():
        facts = notice.facts
        title = str(NoticeKind(notice.kind).label)
        reference = _("查询码：%(c)s") % {"c": facts["tracking_code"]}
        if notice.number > 1:
            reference = _("%(reference)s（第 %(n)d 份）") % {"reference": reference, "n": notice.number}
        footer = (
            _("本凭证由系统生成，可凭查询码在网上办事大厅核验。")
            if notice.kind == NoticeKind.RECEIPT
            else _("本通知书由系统生成，可凭查询码在网上办事大厅核验。")
        )
        letter = Letter(
            title=title,
            tracking_code=facts["tracking_code"],
            issuer=facts["issuer"],
            reference=reference,
            footer=footer,
            subtitle=_("（一次性告知书）") if notice.kind == NoticeKind.CORRECTION else "",
        )
        {
            NoticeKind.ACCEPTANCE: _acceptance,
            NoticeKind.REFUSAL: _refusal,
            NoticeKind.CORRECTION: _correction,
            NoticeKind.RECEIPT: _receipt,
        }[notice.kind](letter, facts)
        letter.sign_off(issuer=facts["issuer"], date=chinese_date(facts["issued_on"]), seal=_("（专用章）"))
        return letter.pdf()


def applied_for(item: str) -> str:
    """“<item>”申请, the thing the applicant handed in; an item named …申请 (“临时救助（困难救助）申请”) is not
    followed by 申请 once more."""
    if item.endswith("申请"):
        return _("“%(item)s”") % {"item": item}
    return _("“%(item)s”申请") % {"item": item}


def _values(facts: dict) -> dict:
    return {
        "item": facts["item"],
        "applied_for": applied_for(facts["item"]),
        "code": facts["tracking_code"],
        "submitted": chinese_date(facts["submitted_on"]),
        "phone": facts["phone_masked"],
        "consultation": facts["consultation_phone"],
        "complaint": facts["complaint_phone"],
        "address": facts["window_address"],
        "hours": facts["office_hours"],
    }


def _tracking(letter: Letter, values: dict, **where) -> None:
    letter.paragraph(
        _(
            "进度查询：请凭查询码 %(code)s 和申请时登记的手机号码（%(phone)s），"
            "在网上办事大厅“办件查询”中查询办理进度。"
        )
        % values,
        **where,
    )


def _acceptance(letter: Letter, facts: dict) -> None:
    values = {
        **_values(facts),
        "accepted": chinese_date(facts["accepted_on"]),
        "due": chinese_date(facts["due_on"]),
        "days": facts["limit_days"],
    }
    letter.addressee(facts["applicant"])
    if facts["deemed"]:
        letter.paragraph(
            _(
                "您于%(submitted)s提交的%(applied_for)s（查询码 %(code)s），本机关未在规定期限内作出是否受理的"
                "决定，依照《中华人民共和国行政许可法》第三十二条，自收到申请材料之日起即为受理。"
            )
            % values
        )
    elif facts.get("deferred"):
        letter.paragraph(
            _(
                "您于%(submitted)s提交的%(applied_for)s（查询码 %(code)s），经审查，主要申请材料齐全、"
                "符合法定形式，以下次要材料暂缺，您已签署容缺承诺书，本机关决定予以容缺受理："
            )
            % values
        )
        letter.numbered(facts["deferred"])
        letter.paragraph(
            _(
                "请于%(until)s前补交上述材料（网上办事大厅“我的办件”或窗口均可）。容缺材料补齐前，"
                "本机关不作出准予的决定；逾期未补交的，本机关可依法作出不予准予的决定。"
            )
            % {"until": chinese_date(facts["defer_until"])}
        )
    else:
        letter.paragraph(
            _(
                "您于%(submitted)s提交的%(applied_for)s（查询码 %(code)s），经审查，申请材料齐全、"
                "符合法定形式，本机关决定予以受理。"
            )
            % values
        )
    letter.paragraph(_("受理日期：%(accepted)s。") % values)
    if facts["instant"]:
        letter.paragraph(_("办理时限：即办件，当场办结。"))
    else:
        letter.paragraph(
            _(
                "办理时限：%(days)d 个工作日，本机关承诺于%(due)s前办结。依法补正材料、中止办理等期间"
                "不计入办理时限；办理时限依法延长的，另行告知。"
            )
            % values
        )
        if facts.get("due_provisional"):
            letter.paragraph(
                _(
                    "上述办结日期暂按周末计算，如遇国家法定节假日安排将相应顺延，调整后的日期以短信告知，"
                    "也可凭查询码查询。"
                )
            )
    _tracking(letter, values)
    letter.paragraph(_("咨询电话：%(consultation)s；投诉电话：%(complaint)s。") % values)
    letter.paragraph(_("特此通知。"))


def _refusal(letter: Letter, facts: dict) -> None:
    values = _values(facts)
    letter.addressee(facts["applicant"])
    letter.paragraph(
        _("您于%(submitted)s提交的%(applied_for)s（查询码 %(code)s），经审查，本机关决定不予受理，理由如下：")
        % values
    )
    letter.paragraph(facts["reason"])
    # A notice issued before the names were kept has none in its facts: it reprints as it first printed.
    letter.paragraph(
        remedy_sentence(facts)
        or _(
            "如不服本决定，您可以自收到本通知书之日起六十日内依法申请行政复议，或者自收到本通知书之日起"
            "六个月内依法向人民法院提起行政诉讼。"
        )
    )
    letter.paragraph(_("咨询电话：%(consultation)s；投诉电话：%(complaint)s。") % values)
    letter.paragraph(_("特此通知。"))


def _correction(letter: Letter, facts: dict) -> None:
    values = {**_values(facts), "received": chinese_date(facts["received_on"])}
    letter.addressee(facts["applicant"])
    # A notice issued before `licensing` was kept cited the statute: it reprints as it first printed.
    if facts.get("licensing", True):
        opening = _(
            "您于%(received)s提交的%(applied_for)s（查询码 %(code)s），经审查，申请材料不齐全或者不符合法定"
            "形式。依照《中华人民共和国行政许可法》第三十二条，现一次性告知您需要补正的全部内容如下："
        )
    else:
        opening = _(
            "您于%(received)s提交的%(applied_for)s（查询码 %(code)s），经审查，申请材料不齐全或者不符合规定"
            "形式。现一次性告知您需要补正的全部内容如下："
        )
    letter.paragraph(opening % values)
    letter.numbered(facts["items"])
    if facts["accepted"]:
        letter.paragraph(
            _("补正期间不计入办理时限：自本通知书出具之日起暂停计时，自您提交全部补正材料之日起恢复计算。")
        )
    else:
        letter.paragraph(
            _("补正期间不计入受理审查期限：本机关自收到您补正的全部材料之日起重新审查是否受理。")
        )
    if facts["online"]:
        letter.paragraph(
            _(
                "补正方式：请登录网上办事大厅，在“我的办件”的该申请中一次性提交全部补正材料；也可携带补正"
                "材料到%(address)s（%(hours)s）提交。"
            )
            % values
        )
    else:
        letter.paragraph(_("补正方式：请携带全部补正材料和本通知书到%(address)s（%(hours)s）提交。") % values)
    letter.paragraph(_("咨询电话：%(consultation)s。") % values)
    letter.paragraph(_("特此告知。"))


def _receipt(letter: Letter, facts: dict) -> None:
    values = {**_values(facts), "at": chinese_time(facts["received_at"])}
    wide = {"indent": False}  # a voucher, not a letter: lines from the margin
    fields = [
        (_("申请人"), facts["applicant"]),
        (_("申请事项"), facts["item"]),
        (_("接收时间"), values["at"]),
    ]
    if facts["window"]:
        fields.append((_("接收窗口"), facts["window"]))
    if facts["receiver"]:
        fields.append((_("收件人"), facts["receiver"]))
    for label, value in fields:
        letter.paragraph(_("%(label)s：%(value)s") % {"label": label, "value": value}, **wide)
    letter.space(3)
    letter.paragraph(
        _("今收到您提交的补正材料如下：") if facts["corrections"] else _("今收到您提交的申请材料如下："),
        **wide,
    )
    rows = [
        [
            str(number),
            row["name"],
            row["form"] or "—",
            str(row["copies"] or row["files"]),
            _("电子文件 %(n)d 个") % {"n": row["files"]},
        ]
        for number, row in enumerate(facts["materials"], 1)
    ]
    letter.table(
        [_("序号"), _("材料名称"), _("材料形式"), _("份数"), _("备注")], rows, widths=[12, 72, 30, 14, 32]
    )
    letter.paragraph(
        _("本凭证仅证明已收到上列材料，不表示申请已被受理或者材料已审查合格。")
        if facts["corrections"]
        else _(
            "本凭证仅证明已收到上列材料，不表示申请已被受理；是否受理，以本机关出具的受理通知书或者"
            "不予受理通知书为准。"
        ),
        **wide,
    )
    _tracking(letter, values, **wide)


def printable(application: Application) -> list[dict]:
    """The documents of an application that can be printed, in the order they were issued: every one kept
    (`number` set), and — for an act done before notices were kept — the one `written_notice_get` would issue
    (`number` and `issued_at` None). `label`: the title, with the round when there are several."""
    rows = [
        {"kind": n.kind, "title": n.get_kind_display(), "number": n.number, "issued_at": n.issued_at}
        for n in application.written_notices.all()
    ]
    issued = {row["kind"] for row in rows}
    rows += [
        {"kind": kind, "title": NoticeKind(kind).label, "number": None, "issued_at": None}
        for kind in (NoticeKind.ACCEPTANCE, NoticeKind.REFUSAL, NoticeKind.CORRECTION)
        if kind not in issued and _implied(application, kind)
    ]
    for row in rows:
        row["label"] = str(row["title"])
        if row["number"] and row["number"] > 1:
            row["label"] += _("（第 %(n)d 份）") % {"n": row["number"]}
    return rows
