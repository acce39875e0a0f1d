"""Every write of the service hall: resident accounts, applications, inquiries, ratings, notices.

Each transition locks the application, checks its current status (a bad transition raises a Chinese
`ServiceError` and changes nothing), writes an `ApplicationEvent` and an audit event, drives the time-limit
clock (`jiedao.timelimits`), and queues an SMS to the applicant through `sms_queue` (stored in the same
transaction, delivered after commit, deduplicated by the event's key).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from jiedao.applications import audit_events as events
from jiedao.applications import processing, written_notices
from jiedao.applications.choices import (
    OPEN_STATUSES,
    ApplicationStatus,
    Channel,
    EventAction,
    InquiryStatus,
    Outcome,
    RatingChannel,
    RatingLevel,
    RectificationStatus,
)
from jiedao.applications.clock_kinds import APPLICATION_CLOCK, RECTIFICATION_CLOCK
from jiedao.applications.models import (
    AgencyAssignment,
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    DeferredMaterial,
    ExtensionRequest,
    ExtensionStatus,
    Inquiry,
    InquiryHandOver,
    Objection,
    ObjectionTask,
    PadDevice,
    PublicNotice,
    Rating,
    RatingToken,
    Rectification,
    Resident,
    ResidentToken,
    ServiceWindow,
    SmsCode,
    SmsCodePurpose,
)
from jiedao.applications.processing import instance_for, start_processing
from jiedao.applications.selectors import missing_required, open_application
from jiedao.audit import services as audit
from jiedao.catalog.choices import Audience, Availability, DeliveryMethod, ItemKind
from jiedao.catalog.models import Material, ServiceItem
from jiedao.core import crypto, devices, ratelimit
from jiedao.core import uploads as uploads_core
from jiedao.core.exceptions import (
    Conflict,
    OutOfScope,
    PermissionDenied,
    RateLimited,
    ServiceError,
    ValidationFailed,
)
from jiedao.core.i18n import (
    Concat,
    Joined,
    Message,
    Text,
    for_record,
    in_records_language,
    records_language,
    shown,
)
from jiedao.core.scope import require
from jiedao.parameters.services import get_parameter
from jiedao.registry.identity import id_number_hash, phone_hash
from jiedao.registry.validators import (
    InvalidNumber,
    clean_person_name,
    parse_id_number,
    parse_phone,
    parse_uscc,
)
from jiedao.sms.services import sms_queue
from jiedao.timelimits import services as clocks
from jiedao.timelimits.models import Clock
from jiedao.workcalendar import services as workcalendar
from jiedao.workcalendar.choices import CountingRule
from jiedao.workcalendar.services import CHINA_TZ

TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
TRACKING_LENGTH = 12
CODE_TTL = dt.timedelta(minutes=5)
CODE_MAX_ATTEMPTS = 5
CODE_INTERVAL = dt.timedelta(seconds=60)
CODE_PER_IP_PER_HOUR = 10
# Tracking, rating links and the certificate check (/verify): each address may try `applications.track_limit`
# times per window, each in its own bucket.
LOOKUP_WINDOW = dt.timedelta(minutes=10)
LOOKUP_RETRY_AFTER = int(LOOKUP_WINDOW.total_seconds())
TRACK_FAILED_MESSAGE = gettext_noop("查询码或手机号码不正确。")
# A rating link lives 30 days after conclusion: long enough for an applicant who reads the SMS late or gets
# the certificate by post, short enough that an old SMS forwarded or left on a shared phone stops working, and
# within the month the rating statistics are read for.
RATING_LINK_TTL = dt.timedelta(days=30)
VERIFY_PER_DAY = 10  # real-name attempts per account: guessing the name that goes with a number
SYSTEM = "system"


def _now(at: dt.datetime | None = None) -> dt.datetime:
    return at or timezone.now()


def resident_name(resident: Resident) -> str:
    return f"resident:{resident.pk}"


def _bad_status(application: Application, doing: str) -> ServiceError:
    return ServiceError(
        _("该办件当前状态为“%(status)s”，不能%(doing)s。")
        % {"status": application.get_status_display(), "doing": doing},
        code="bad_status",
    )


def _unchanged(locked: Application, expected_status: str) -> None:
    """A decision taken on a page that showed another state: a colleague acted meanwhile (accepted what this
    clerk is asking to correct, asked for corrections this clerk is rejecting). Refused rather than applied
    to a state the clerk never saw — the applicant would get contradictory texts."""
    if expected_status and locked.status != expected_status:
        raise Conflict(
            _("该办件已由他人处理，当前状态为“%(status)s”，请刷新页面后再操作。")
            % {"status": locked.get_status_display()}
        )


def _locked(application: Application) -> Application:
    processing.lock_process(application)  # the process instance first: the lock order a process step takes
    return Application.objects.select_for_update().select_related("item", "org").get(pk=application.pk)


def _sync(target: Application, source: Application) -> None:
    """Copy the saved state back into the caller's instance."""
    if target is not source:
        target.refresh_from_db()


# --- phones, identity ------------------------------------------------------------------------------------


def _phone(raw: str, field: str = "phone", *, mobile_only: bool = False):
    try:
        parsed = parse_phone(raw or "")
    except InvalidNumber as error:
        raise ValidationFailed({field: [error.message]}) from None
    if mobile_only and parsed.kind != "mobile":
        raise ValidationFailed(
            {
                field: [
                    _("“%(phone)s”是固定电话，不能接收短信验证码，请填写手机号码。") % {"phone": raw.strip()}
                ]
            }
        )
    return parsed


def _sms(application: Application, event: ApplicationEvent, body: str, *, actor=None) -> None:
    """Queue a notice to the applicant (only to a mobile number), deduplicated by the event."""
    try:
        parsed = parse_phone(application.applicant_phone)
    except InvalidNumber:
        return
    if parsed.kind != "mobile":
        return
    sms_queue(
        actor=actor,
        phone=parsed.national,
        body=body,
        org=application.org,
        purpose=f"applications.{event.action}",
        dedupe_key=f"applications.event.{event.pk}",
    )


def _sms_date(moment: dt.datetime) -> str:
    """A due date in an SMS to the applicant: with its year, the one format of every SMS date."""
    return workcalendar.sms_date(moment.astimezone(CHINA_TZ).date())


def _site_org():
    from jiedao.orgs.models import OrgUnit

    return OrgUnit.objects.filter(parent__isnull=True).order_by("id").first()


# --- resident accounts -------------------------------------------------------------------------------------


def _code_hash(phone_key: str, code: str) -> str:
    return crypto.blind_index(f"smscode:{phone_key}:{code}")


def _code_body(purpose: str, code: str) -> str:
    with records_language():  # SMS templates are registered with the gateway in Chinese
        if purpose == SmsCodePurpose.CHANGE_PHONE:
            return _(
                "您正在更换政务服务账号绑定的手机号码，验证码为 %(code)s，5 分钟内有效。"
                "如非本人办理，请勿告诉他人。"
            ) % {"code": code}
        if purpose == SmsCodePurpose.CLOSE_ACCOUNT:
            return _(
                "您正在注销政务服务账号，验证码为 %(code)s，5 分钟内有效。如非本人办理，请勿告诉他人。"
            ) % {"code": code}
        return _("您的登录验证码为 %(code)s，5 分钟内有效。请勿告诉他人。") % {"code": code}


def resident_send_code(
    *, phone: str, ip: str | None, purpose: str = SmsCodePurpose.LOGIN, now: dt.datetime | None = None
) -> str:
    """Send a 6-digit code by SMS, to sign in or to prove a new number. One code per number per 60 s, at
    most 10 per hour per address (`ip` None: sent for a visitor at a window, where the office shares one).

    Returns the code (for the caller's tests; views never show it)."""
    parsed = _phone(phone, mobile_only=True)
    now = _now(now)
    key = phone_hash(parsed.national)
    if SmsCode.objects.filter(phone_hash=key, created_at__gt=now - CODE_INTERVAL).exists():
        raise RateLimited(_("验证码已发送，请 60 秒后再试。"))
    if ip and SmsCode.objects.filter(ip=ip, created_at__gt=now - dt.timedelta(hours=1)).count() >= (
        CODE_PER_IP_PER_HOUR
    ):
        raise RateLimited(_("获取验证码过于频繁，请一小时后再试。"))
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        SmsCode.objects.create(
            phone_hash=key,
            purpose=purpose,
            code_hash=_code_hash(key, code),
            ip=ip or None,
            created_at=now,
            expires_at=now + CODE_TTL,
        )
        sms_queue(
            actor=None,
            phone=parsed.national,
            body=_code_body(purpose, code),
            org=_site_org(),
            purpose=f"applications.{purpose}_code",
        )
    return code


def _checked_code(*, phone_key: str, masked: str, code: str, purpose: str, now: dt.datetime) -> SmsCode:
    """The newest live code of `purpose` sent to the number, if `code` is it. A wrong code counts against
    it: call outside any transaction, or a refusal would roll the count back and allow endless guesses."""
    invalid = ValidationFailed({"code": [_("验证码错误或已失效，请重新获取。")]}, code="bad_code")
    sms_code = (
        SmsCode.objects.filter(
            phone_hash=phone_key, purpose=purpose, used_at__isnull=True, expires_at__gt=now
        )
        .order_by("-created_at")
        .first()
    )
    if sms_code is None or sms_code.attempts >= CODE_MAX_ATTEMPTS:
        raise invalid
    if not hmac.compare_digest(sms_code.code_hash, _code_hash(phone_key, (code or "").strip())):
        SmsCode.objects.filter(pk=sms_code.pk).update(attempts=sms_code.attempts + 1)
        audit.record(
            events.RESIDENT_LOGIN_FAILED,
            actor_name=masked,
            success=False,
            message=f"{purpose} attempt {sms_code.attempts + 1}",
        )
        raise invalid
    return sms_code


def _spend_code(sms_code: SmsCode, now: dt.datetime) -> None:
    """Inside the transaction that acts on the code: spent once, and only if the action commits."""
    if not SmsCode.objects.filter(pk=sms_code.pk, used_at__isnull=True).update(used_at=now):
        raise ValidationFailed({"code": [_("验证码错误或已失效，请重新获取。")]}, code="bad_code")


# What a sign-in's audit event says when it came through the resident API, not the resident pages.
API_SIGN_IN = gettext_lazy("群众接口（小程序、移动端）")


@dataclass(frozen=True)
class ResidentSignIn:
    """A checked SMS sign-in; through the resident API also the token issued with it (returned once)."""

    resident: Resident
    token: str = ""
    token_record: ResidentToken | None = None


def resident_login(*, phone: str, code: str, now: dt.datetime | None = None) -> Resident:
    """Check the SMS code; sign the resident up on first login. A wrong code counts against the code."""
    return _resident_sign_in(phone=phone, code=code, now=now, issue_token=False).resident


def resident_api_login(*, phone: str, code: str, now: dt.datetime | None = None) -> ResidentSignIn:
    """Signing in through the resident API: `resident_login`'s check, and a token (`resident_token_issue`)
    issued in the same transaction that spends the code, so the audit event names the token it signed in."""
    return _resident_sign_in(phone=phone, code=code, now=now, issue_token=True)


def _resident_sign_in(*, phone: str, code: str, now: dt.datetime | None, issue_token: bool) -> ResidentSignIn:
    parsed = _phone(phone, mobile_only=True)
    now = _now(now)
    key = phone_hash(parsed.national)
    sms_code = _checked_code(
        phone_key=key,
        masked=crypto.mask_phone(parsed.national),
        code=code,
        purpose=SmsCodePurpose.LOGIN,
        now=now,
    )
    with transaction.atomic():
        _spend_code(sms_code, now)
        resident, created = Resident.objects.get_or_create(
            phone_hash=key,
            defaults={"phone": parsed.national, "phone_masked": crypto.mask_phone(parsed.national)},
        )
        Resident.objects.filter(pk=resident.pk).update(last_login_at=now)
        signed = ResidentSignIn(resident)
        if issue_token:
            token, record = resident_token_issue(resident=resident, now=now)
            signed = ResidentSignIn(resident, token, record)
        audit.record(
            events.RESIDENT_SIGNED_UP if created else events.RESIDENT_LOGGED_IN,
            actor_name=resident_name(resident),
            target=resident,
            # The token by its number: the token itself would sign the auditor in.
            after={"sign_in_via": API_SIGN_IN, "api_token": signed.token_record.pk} if issue_token else None,
        )
    return signed


def resident_verify_identity(*, resident: Resident, real_name: str, id_number: str) -> Resident:
    """Real-name verification: name + ID number; linked to the registry's person when both match, and the
    applications windows registered for that number and name go on the account."""
    errors: dict[str, list[str]] = {}
    try:
        # The registry's rule: a formula (=1+2) or digits are no name, and the name reaches notices and PDFs.
        real_name = clean_person_name(real_name)
    except InvalidNumber as error:
        errors["real_name"] = [error.message]
    try:
        parsed = parse_id_number(id_number or "")
    except InvalidNumber as error:
        errors["id_number"] = [error.message]
        parsed = None
    if errors:
        raise ValidationFailed(errors)
    if not ratelimit.attempt(
        "resident_verify", str(resident.pk), limit=VERIFY_PER_DAY, window=dt.timedelta(days=1)
    ):
        raise RateLimited(_("实名认证尝试次数过多，请明天再试，或携带身份证件到窗口办理。"))
    number_hash = id_number_hash(parsed.number)
    if Resident.objects.filter(id_number_hash=number_hash).exclude(pk=resident.pk).exists():
        raise ValidationFailed(
            {
                "id_number": [
                    _("该证件号码已绑定其他账号。如原手机号已停用，请携带身份证件到窗口办理更换绑定手机号。")
                ]
            }
        )
    person, registered = processing.registry_match(number_hash, real_name)
    if registered and person is None:
        # The number belongs to someone else in the registry: verifying would let this account apply (and
        # have the household checked) as that person. Refused without telling whose number it is.
        audit.record(
            events.RESIDENT_VERIFY_REFUSED,
            actor_name=resident_name(resident),
            target=resident,
            success=False,
            message="name does not match the registry",
        )
        raise ValidationFailed(
            {
                "__all__": [
                    _(
                        "您填写的姓名与该身份证件号码的登记信息不一致，不能完成实名认证。"
                        "请核对后重新填写；如确认无误，请携带身份证件到窗口办理。"
                    )
                ]
            },
            code="identity_mismatch",
        )
    with transaction.atomic():
        resident.real_name = real_name
        resident.id_number = parsed.number
        resident.id_number_hash = number_hash
        resident.id_number_masked = crypto.mask_id_number(parsed.number)
        resident.person = person
        resident.verified_at = timezone.now()
        resident.save()
        audit.record(
            events.RESIDENT_VERIFIED,
            actor_name=resident_name(resident),
            target=resident,
            after={"matched_person": person.pk if person else None},
        )
        # After an audit record, as the window's registration looks for the account after its own: from
        # there audited writes take turns (the chain head's lock), so of a visitor registered at a window
        # while verifying on the phone, one of the two sees the other and the application is linked.
        _link_window_applications(resident)
    return resident


def _verified_account(number_hash: str, name: str, phone_key: str) -> Resident | None:
    """The real-name account of the person with this ID number, exactly this name and this mobile number, or
    None. The number alone is not enough: a digit mistyped at the window must not put a stranger's
    application, with its materials and certificates, on someone else's page. Nor are a name and a number
    (real-name verification is declared, and a relative or a go-between may know both): the account must
    also be signed in with the phone the visitor gave the window, which the SMS code proved is theirs."""
    if not number_hash:
        return None
    return Resident.objects.filter(
        id_number_hash=number_hash, real_name=name, phone_hash=phone_key, verified_at__isnull=False
    ).first()


def _link_window_applications(resident: Resident) -> None:
    """线上线下一体: the applications windows registered for this person before the account was verified
    (same ID number, same name, the account's mobile number as the contact phone: see `_verified_account`)
    go on the account's page, as if filed online."""
    found = list(
        Application.objects.filter(
            applicant_id_hash=resident.id_number_hash,
            applicant_name=resident.real_name,
            applicant_phone_hash=resident.phone_hash,
            channel=Channel.WINDOW,
            resident__isnull=True,
        )
    )
    Application.objects.filter(pk__in=[a.pk for a in found], resident__isnull=True).update(resident=resident)
    note = Message(gettext_noop("申请人完成实名认证，本办件已归入其群众账号，可在网上查看和办理。"))
    for application in found:
        application.resident = resident
        _event(application, EventAction.LINKED, by_applicant=True, note=note)
        audit.record(
            events.APPLICATION_LINKED,
            actor_name=resident_name(resident),
            target=application,
            message="real-name verification of the applicant's account",
        )


def resident_find_for_window(*, actor, id_number: str) -> Resident:
    """The real-name account of the visitor whose identity card the clerk holds (更换绑定手机号 at a window)."""
    require(actor, "applications.change_resident", None)
    try:
        parsed = parse_id_number(id_number or "")
    except InvalidNumber as error:
        raise ValidationFailed({"id_number": [error.message]}) from None
    resident = Resident.objects.filter(
        id_number_hash=id_number_hash(parsed.number), verified_at__isnull=False
    ).first()
    if resident is None:
        raise ServiceError(_("未找到使用该证件号码实名认证的群众账号。"), code="not_found")
    return resident


def _account_on_new_phone(resident: Resident, key: str, *, lock: bool = False) -> Resident | None:
    """The account the new number signed up on by itself (no real name, no application: merged away), or
    None; a number that is the account's own or another real-name account's is refused."""
    if key == resident.phone_hash:
        raise ValidationFailed({"phone": [_("新手机号码与当前绑定的号码相同。")]})
    accounts = Resident.objects.select_for_update() if lock else Resident.objects
    other = accounts.filter(phone_hash=key).first()
    if other is not None and (other.is_verified or other.applications.exists()):
        raise ValidationFailed(
            {
                "phone": [
                    _(
                        "该手机号码已是另一个实名账号的登录号码，不能绑定到本账号。"
                        "如该号码已归您使用，请携带身份证件到窗口咨询。"
                    )
                ]
            }
        )
    return other


def resident_phone_change_start(
    *, resident: Resident, phone: str, ip: str | None, actor=None, now: dt.datetime | None = None
) -> str:
    """更换绑定手机号, step 1: refuse a number that cannot be bound before any SMS goes out, then send it a
    code (purpose change_phone). Returns the code, as `resident_send_code` does."""
    if actor is not None:
        require(actor, "applications.change_resident", None)
    parsed = _phone(phone, mobile_only=True)
    _account_on_new_phone(resident, phone_hash(parsed.national))
    return resident_send_code(phone=parsed.national, ip=ip, purpose=SmsCodePurpose.CHANGE_PHONE, now=now)


def resident_change_phone(
    *,
    resident: Resident,
    new_phone: str,
    code: str,
    actor=None,
    now: dt.datetime | None = None,
) -> Resident:
    """更换绑定手机号, step 2: bind the account to the new number, proven by the code sent to it.

    Done by the resident (signed in) or, for one who lost the old phone, by a window clerk (`actor`) who has
    checked the identity card. The applications the account made with the old number move to the new one,
    so their SMS reach it and tracking works with it. Sessions signed in before end, and the old number is
    told, in case it was not the owner who asked."""
    if actor is not None:
        require(actor, "applications.change_resident", None)
    parsed = _phone(new_phone, mobile_only=True)
    now = _now(now)
    key = phone_hash(parsed.national)
    _account_on_new_phone(resident, key)
    sms_code = _checked_code(
        phone_key=key,
        masked=crypto.mask_phone(parsed.national),
        code=code,
        purpose=SmsCodePurpose.CHANGE_PHONE,
        now=now,
    )
    with transaction.atomic():
        locked = Resident.objects.select_for_update().get(pk=resident.pk)
        other = _account_on_new_phone(locked, key, lock=True)
        if other is not None:
            other.delete()
        _spend_code(sms_code, now)
        old_phone = locked.phone
        old_key = locked.phone_hash
        locked.phone = parsed.national
        locked.phone_hash = key
        locked.phone_masked = crypto.mask_phone(parsed.national)
        locked.session_epoch += 1
        locked.save(update_fields=["phone", "phone_hash", "phone_masked", "session_epoch"])
        moved = _move_applications_phone(locked, old_key, parsed.national, actor=actor, at=now)
        audit.record(
            events.RESIDENT_PHONE_CHANGED,
            actor=actor,
            actor_name="" if actor is not None else resident_name(locked),
            target=locked,
            before={"phone": crypto.mask_phone(old_phone)},
            after={"phone": locked.phone_masked, "applications": moved, "merged_account": other is not None},
        )
        with records_language():
            notice = _(
                "您的政务服务账号绑定手机号已于 %(time)s 更换为 %(phone)s。如非本人办理，"
                "请立即携带身份证件到政务服务中心窗口处理。"
            ) % {"time": workcalendar.sms_datetime(now), "phone": locked.phone_masked}
        sms_queue(
            actor=actor, phone=old_phone, body=notice, org=_site_org(), purpose="applications.phone_changed"
        )
    _sync(resident, locked)
    return locked


def resident_open_applications(resident: Resident) -> QuerySet[Application]:
    """The resident's applications still being handled (they stop the account being closed)."""
    return Application.objects.filter(resident=resident, status__in=OPEN_STATUSES).select_related("item")


def _refuse_closing_with_open_applications(resident: Resident) -> None:
    if resident_open_applications(resident).exists():
        raise ServiceError(_("您还有正在办理的办件，办结或撤回后才能注销账号。"), code="open_applications")


def resident_close_start(*, resident: Resident, ip: str | None, now: dt.datetime | None = None) -> str:
    """注销账号, step 1: refused while an application is open; else a code to the account's own number.
    Returns the code, as `resident_send_code` does."""
    _refuse_closing_with_open_applications(resident)
    return resident_send_code(phone=resident.phone, ip=ip, purpose=SmsCodePurpose.CLOSE_ACCOUNT, now=now)


def resident_close(*, resident: Resident, code: str, now: dt.datetime | None = None) -> int:
    """注销账号 (个人信息保护法第四十七条), step 2: the account, its number and its real-name identity are
    deleted. The applications stay with the offices that decided them, as records they must keep, without
    the account: the applicant can still track them by code and number, or sign up anew. Returns how many
    applications were kept."""
    now = _now(now)
    sms_code = _checked_code(
        phone_key=resident.phone_hash,
        masked=resident.phone_masked,
        code=code,
        purpose=SmsCodePurpose.CLOSE_ACCOUNT,
        now=now,
    )
    with transaction.atomic():
        locked = Resident.objects.select_for_update().get(pk=resident.pk)
        _refuse_closing_with_open_applications(locked)
        _spend_code(sms_code, now)
        kept = Application.objects.filter(resident=locked).update(resident=None)
        audit.record(
            events.RESIDENT_CLOSED,
            actor_name=resident_name(locked),
            target=locked,
            after={"applications_kept": kept},
        )
        locked.delete()
    return kept


def _move_applications_phone(resident: Resident, old_key: str, new_phone: str, *, actor, at) -> int:
    """The account's applications that give the old number as contact: the new one, noted in each history."""
    applications = list(
        Application.objects.select_for_update().filter(resident=resident, applicant_phone_hash=old_key)
    )
    masked = crypto.mask_phone(new_phone)
    note = Message(gettext_noop("申请人更换绑定手机号，联系电话变更为 %(phone)s。"), phone=masked)
    for application in applications:
        application.applicant_phone = new_phone
        application.applicant_phone_hash = resident.phone_hash
        application.applicant_phone_masked = masked
        application.save(update_fields=["applicant_phone", "applicant_phone_hash", "applicant_phone_masked"])
        _event(
            application, EventAction.PHONE_CHANGED, actor=actor, by_applicant=actor is None, note=note, at=at
        )
    return len(applications)


# --- resident API tokens (a mini-program or a mobile app) ----------------------------------------------------

# Written at most once a minute, as a pad's "last seen": a client polling its applications is not a write each.
RESIDENT_TOKEN_SEEN_EVERY = dt.timedelta(minutes=1)


def _resident_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def resident_token_issue(*, resident: Resident, now: dt.datetime | None = None) -> tuple[str, ResidentToken]:
    """A token for the resident API, issued by `resident_api_login` with the checked SMS code: random, returned once
    (only its hash is kept), valid `applications.resident_token_days` days. The account's expired and
    signed-out tokens are cleared on the way."""
    now = _now(now)
    days = int(get_parameter("applications.resident_token_days"))
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        ResidentToken.objects.filter(resident=resident).filter(
            Q(expires_at__lte=now) | Q(revoked_at__isnull=False)
        ).delete()
        record = ResidentToken.objects.create(
            resident=resident,
            token_hash=_resident_token_hash(token),
            epoch=resident.session_epoch,
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
        )
    return token, record


def resident_token_check(token: str, *, now: dt.datetime | None = None) -> ResidentToken | None:
    """The live token record whose token is `token` (with its resident), or None: unknown, expired, signed
    out, of a closed account (deleted with it), or issued before the account's phone changed."""
    token = (token or "").strip()
    if not token or len(token) > 64:
        return None
    now = _now(now)
    record = (
        ResidentToken.objects.select_related("resident")
        .filter(token_hash=_resident_token_hash(token), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if record is None or record.epoch != record.resident.session_epoch:
        return None
    if record.last_used_at is None or record.last_used_at < now - RESIDENT_TOKEN_SEEN_EVERY:
        ResidentToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record


def resident_token_revoke(*, record: ResidentToken, now: dt.datetime | None = None) -> None:
    """退出登录 in the app: this token stops working at once; the account's other devices stay signed in."""
    with transaction.atomic():
        # Audited once: a second sign-out racing this one finds the token already revoked.
        if ResidentToken.objects.filter(pk=record.pk, revoked_at__isnull=True).update(revoked_at=_now(now)):
            audit.record(
                events.RESIDENT_API_LOGGED_OUT,
                actor_name=resident_name(record.resident),
                target=record.resident,
                before={"api_token": record.pk},
            )


def resident_tokens_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the resident API tokens that can no longer sign anyone in (expired or signed out): a resident who
    never signs in again would otherwise keep them for good. Returns how many were deleted."""
    deleted, _by_model = ResidentToken.objects.filter(
        Q(expires_at__lte=_now(now)) | Q(revoked_at__isnull=False)
    ).delete()
    return deleted


# --- uploads -----------------------------------------------------------------------------------------------


@dataclass
class Upload:
    """One file to attach: a catalog material (or a free label) and the uploaded file; `field`: the form
    field it was chosen in, where a refusal of it is said."""

    file: object  # an UploadedFile
    label: str = ""
    material: object = None
    field: str = "files"


def check_materials_belong_to(item, uploads: list[Upload]) -> None:
    """A file said to be one of the item's materials must be one of this item's, not another item's."""
    foreign = [
        index
        for index, upload in enumerate(uploads, start=1)
        if upload.material is not None and upload.material.item_id != item.pk
    ]
    if foreign:
        raise ValidationFailed(
            {
                "materials": [
                    _("第 %(n)d 个文件所标的材料不是“%(item)s”的申请材料。") % {"n": n, "item": item.name}
                    for n in foreign
                ]
            }
        )


def upload_limits() -> dict[str, int]:
    """The limits the applicant is told before choosing files (MB): a PDF (and a stored photo), a photo as
    the camera made it, all materials of one application."""
    return {
        "file": int(get_parameter("applications.max_file_mb")),
        "photo": int(get_parameter("applications.max_photo_mb")),
        "total": int(get_parameter("applications.max_total_mb")),
    }


def _check_uploads(uploads: list[Upload]) -> list[tuple[Upload, uploads_core.Prepared]]:
    """Each upload as it is to be stored (`core.uploads.prepare`: a PDF as sent, a photo upright and without
    its metadata); Chinese errors, each under the field of its file, for every file refused. Runs before
    any lock is taken (a photo takes a fraction of a second to convert); a resubmission adds what the
    application holds already, under its lock (`_check_total`)."""
    limits = upload_limits()
    errors: dict[str, list[str]] = {}
    checked = []
    for upload in uploads:
        name = getattr(upload.file, "name", "") or _("未命名文件")
        try:
            prepared = uploads_core.prepare(
                upload.file,
                name=name,
                max_bytes=limits["file"] * 1048576,
                max_photo_bytes=limits["photo"] * 1048576,
            )
        except uploads_core.UploadRefused as refused:
            errors.setdefault(upload.field, []).append(refused.message)
            continue
        checked.append((upload, prepared))
    if errors:
        raise ValidationFailed(errors)
    _check_total(checked, max_total_mb=limits["total"])
    return checked


def total_message(size: str, mb) -> str:
    """Too much for one application (the page's script says it with {size} and {mb})."""
    return _(
        "材料合计 %(size)s，超过每件申请 %(mb)s MB 的上限。PDF 请压缩或减少页数后再上传（照片会自动压缩，不必处理）。"
    ) % {"size": size, "mb": mb}


def _check_total(
    checked: list[tuple[Upload, uploads_core.Prepared]], *, max_total_mb: int, already: int = 0
) -> None:
    max_total = max_total_mb * 1048576
    total = already + sum(prepared.size for _upload, prepared in checked)
    if total > max_total:
        message = total_message(uploads_core.megabytes(total), max_total // 1048576)
        raise ValidationFailed({"files": [message]})


def _attach(
    application: Application, checked: list[tuple[Upload, uploads_core.Prepared]]
) -> list[ApplicationMaterial]:
    created = []
    for upload, prepared in checked:
        label = (upload.label or (upload.material.name if upload.material else "") or "").strip()
        original = (getattr(upload.file, "name", "") or "file")[-255:]
        material = ApplicationMaterial(
            application=application,
            material=upload.material,
            label=(label or original)[:200],
            original_name=original,
            size=prepared.size,
            content_type=prepared.content_type,
        )
        material.file.save(uploads_core.stored_name(prepared.content_type), prepared.file, save=False)
        material.save()
        created.append(material)
    return created


def _existing_size(application: Application) -> int:
    return sum(application.materials.values_list("size", flat=True))


# --- applications ------------------------------------------------------------------------------------------


def unique_code(alphabet: str, length: int, model, field: str) -> str:
    """A random code of `length` characters of `alphabet` that no `model` row has in `field` yet (the unique
    constraint on the field stays the guarantee)."""
    while True:
        code = "".join(secrets.choice(alphabet) for _ in range(length))
        if not model.objects.filter(**{field: code}).exists():
            return code


def new_tracking_code() -> str:
    return unique_code(TRACKING_ALPHABET, TRACKING_LENGTH, Application, "tracking_code")


def limit_lookup(bucket: str, ip: str | None, message: str) -> None:
    """Count a public look-up from `ip` in `bucket`; `RateLimited` with `message` once the address has used its
    `applications.track_limit` tries of the window."""
    limit = int(get_parameter("applications.track_limit"))
    if not ratelimit.attempt(bucket, ip or "unknown", limit=limit, window=LOOKUP_WINDOW):
        raise RateLimited(message, retry_after=LOOKUP_RETRY_AFTER)


def _event(
    application: Application,
    action: str,
    *,
    actor=None,
    from_status: str = "",
    note: str | Text = "",
    by_applicant: bool = False,
    at: dt.datetime | None = None,
) -> ApplicationEvent:
    """A history entry; a note the system words is a `Message` (read in each reader's language), what a
    person wrote a string kept as written."""
    note, note_message = for_record(note)
    return ApplicationEvent.objects.create(
        application=application,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        by_applicant=by_applicant,
        from_status=from_status,
        to_status=application.status,
        note=note,
        note_message=note_message,
        at=_now(at),
    )


def _audit(
    event_type, application: Application, *, actor=None, actor_name: str = "", before=None, message=""
):
    audit.record(
        event_type,
        actor=actor,
        actor_name=actor_name or ("" if getattr(actor, "pk", None) else SYSTEM),
        target=application,
        before={"status": before} if before else None,
        after={"status": application.status, "due_at": application.due_at},
        message=message,
    )


def _by_applicant_or_clerk(
    application: Application,
    action: str,
    event_type,
    *,
    actor,
    resident,
    from_status: str,
    note: str | Text,
    at: dt.datetime | None,
    before: str | None = None,
    message: str = "",
) -> ApplicationEvent:
    """The history entry and the audit record of a step the applicant takes online (`resident`) or a clerk
    takes for them at the window (`actor`)."""
    event = _event(
        application,
        action,
        actor=actor,
        by_applicant=resident is not None,
        from_status=from_status,
        note=note,
        at=at,
    )
    _audit(
        event_type,
        application,
        actor=actor,
        actor_name=resident_name(resident) if resident else "",
        before=before,
        message=message,
    )
    return event


def _enterprise(item, enterprise_name: str, enterprise_uscc: str) -> tuple[str, str]:
    enterprise_name, enterprise_uscc = (enterprise_name or "").strip(), (enterprise_uscc or "").strip()
    if item.audience == Audience.ENTERPRISE or enterprise_uscc or enterprise_name:
        errors: dict[str, list[str]] = {}
        if not enterprise_name:
            errors["enterprise_name"] = [_("该事项面向企业，请填写企业名称。")]
        try:
            enterprise_uscc = parse_uscc(enterprise_uscc).code
        except InvalidNumber as error:
            errors["enterprise_uscc"] = [error.message]
        if errors:
            raise ValidationFailed(errors)
    return enterprise_name[:200], enterprise_uscc


def _community(org, community, field: str = "community"):
    """The applicant's 居住社区: a community within the item's implementing body, or None."""
    if community is None:
        return None
    from jiedao.orgs.choices import OrgLevel

    if community.level != OrgLevel.COMMUNITY or not community.path.startswith(org.path):
        raise ValidationFailed({field: [_("请选择本事项实施主体辖区内的社区。")]})
    return community


def _check_item(item) -> None:
    if not item.is_published:
        raise ServiceError(_("该事项未发布，不能申请。"), code="item_unavailable")


def offline_only_message(item) -> str:
    """What a resident is told of an item handled only at the window, before and instead of applying."""
    return _("“%(item)s”仅限窗口办理，不能网上申请。请携带材料到%(place)s办理。") % {
        "item": item.name,
        "place": item.window_address,
    }


# A mail address shorter than this cannot hold the 省市区, the street and number and the addressee.
MAIL_ADDRESS_MIN_LENGTH = 8


def _delivery(item, method: str, address: str) -> tuple[str, str]:
    """送达方式 chosen for an item's result: one the item offers (the only one when it offers one), with an
    address when by mail; ("", "") for an item without a result to hand over."""
    offered = item.delivery_methods or []
    if not offered:
        return "", ""
    method = (method or "").strip() or (offered[0] if len(offered) == 1 else "")
    address = (address or "").strip()[:300]
    if method not in offered:
        labels = "、".join(item.delivery_method_labels())
        raise ValidationFailed({"delivery_method": [_("请选择送达方式：%(labels)s。") % {"labels": labels}]})
    if method == DeliveryMethod.MAIL and not address:
        raise ValidationFailed(
            {"delivery_address": [_("请填写邮寄地址（省市区、街道门牌号、收件人姓名和电话）。")]}
        )
    if method == DeliveryMethod.MAIL and len(address) < MAIL_ADDRESS_MIN_LENGTH:
        raise ValidationFailed(
            {
                "delivery_address": [
                    _("邮寄地址不完整（至少 %(n)d 个字）：请写明省市区、街道门牌号、收件人姓名和电话。")
                    % {"n": MAIL_ADDRESS_MIN_LENGTH}
                ]
            }
        )
    return method, address if method == DeliveryMethod.MAIL else ""


def application_submit_precheck(*, resident: Resident, item) -> None:
    """Whether `resident` may apply for `item` online at all: asked before anything about the materials, so a
    resident is told that an item is handled only at a window rather than which files it lacks."""
    _check_item(item)
    if item.availability == Availability.OFFLINE:
        raise ServiceError(offline_only_message(item), code="offline_only")
    if not resident.is_verified:
        raise ServiceError(_("请先完成实名认证再申请。"), code="not_verified")


def application_submit(
    *,
    resident: Resident,
    item,
    uploads: list[Upload],
    enterprise_name: str = "",
    enterprise_uscc: str = "",
    community=None,
    delivery_method: str = "",
    delivery_address: str = "",
    at: dt.datetime | None = None,
) -> Application:
    """Online application by a signed-in, real-name verified resident. `community` (居住社区, optional): the
    community the applicant lives in, which handles the community steps when the registry does not know
    the applicant."""
    application_submit_precheck(resident=resident, item=item)
    enterprise_name, enterprise_uscc = _enterprise(item, enterprise_name, enterprise_uscc)
    community = _community(item.org, community)
    delivery_method, delivery_address = _delivery(item, delivery_method, delivery_address)
    if not uploads:
        raise ValidationFailed({"files": [_("请上传申请材料。")]})
    checked = _check_uploads(uploads)
    now = _now(at)
    with transaction.atomic():
        # One open application per resident, item and enterprise: a double click on 提交申请 (or the form sent
        # again from another tab) must not file the same request twice. The resident's row is the lock.
        Resident.objects.select_for_update().filter(pk=resident.pk).first()
        open_one = open_application(item, enterprise_uscc, resident=resident)
        if open_one is not None:
            raise ServiceError(
                _(
                    "您已申请过“%(item)s”（查询码 %(code)s），正在办理中，请勿重复申请；"
                    "需要补充材料的，请在该申请中提交。"
                )
                % {"item": item.name, "code": open_one.tracking_code},
                code="duplicate",
            )
        application = Application.objects.create(
            org=item.org,
            item=item,
            resident=resident,
            applicant_name=resident.real_name,
            applicant_id_number=resident.id_number,
            applicant_id_hash=resident.id_number_hash,
            applicant_id_masked=resident.id_number_masked,
            applicant_phone=resident.phone,
            applicant_phone_hash=resident.phone_hash,
            applicant_phone_masked=resident.phone_masked,
            enterprise_name=enterprise_name,
            enterprise_uscc=enterprise_uscc,
            community=community,
            channel=Channel.ONLINE,
            delivery_method=delivery_method,
            delivery_address=delivery_address,
            tracking_code=new_tracking_code(),
            status=ApplicationStatus.SUBMITTED,
            submitted_at=now,
            received_at=now,
        )
        _attach(application, checked)
        _event(application, EventAction.SUBMITTED, by_applicant=True, at=now)
        _audit(events.APPLICATION_SUBMITTED, application, actor_name=resident_name(resident))
    return application


def _registered_under_another_name(number_hash: str, name: str) -> bool:
    person, registered = processing.registry_match(number_hash, name)
    return registered and person is None


def _check_checked_in(actor, appointment, item: ServiceItem, now: dt.datetime) -> None:
    """The booking a walk-in registration names: checked in today at a hall the actor sees, for `item`
    itself."""
    from jiedao.appointments.choices import AppointmentStatus
    from jiedao.appointments.models import Appointment
    from jiedao.appointments.selectors import today

    visible = Appointment.objects.visible_to(actor, "appointments.view_appointment")
    if not visible.filter(pk=appointment.pk).exists():
        raise OutOfScope()
    # 窗口收件 follows today's 签到: an old booking would attach a visit of another day to this application
    # (and give its booker's numbers to whoever types its id).
    if appointment.date != today(now=now):
        raise ServiceError(_("该预约不是今天的预约，不能用于窗口收件。"), code="not_today")
    if appointment.org_id != item.org_id:
        raise ServiceError(
            _("该预约是其他大厅的预约，不能用于“%(item)s”的窗口收件；请选择预约所在大厅的事项。")
            % {"item": item.name},
            code="other_hall",
        )
    # The booking was for one item: registering it under another would count the visitor's booking (and its
    # 预约码 on the application) for a service they did not book.
    if appointment.item_id != item.pk:
        raise ServiceError(
            _("该预约办理的是「%(booked)s」，与所选事项「%(item)s」不一致。")
            % {"booked": appointment.item.name, "item": item.name},
            code="other_item",
        )
    if appointment.status != AppointmentStatus.CHECKED_IN:
        raise ServiceError(_("该预约尚未签到，请先签到再窗口收件。"), code="not_checked_in")


def _check_booking_unused(appointment) -> None:
    """Inside the registration's transaction: the booking's row locked, so two windows registering the same
    booking at once get one application; the second is told of the first."""
    from jiedao.appointments.models import Appointment

    Appointment.objects.select_for_update().filter(pk=appointment.pk).first()
    holder = Application.objects.filter(appointment_id=appointment.pk).order_by("pk").first()
    if holder is not None:
        raise ServiceError(
            _("预约 %(booking)s 已登记为办件（查询码 %(code)s），请勿重复收件；补充材料请在该办件中收取。")
            % {"booking": appointment.code, "code": holder.tracking_code},
            code="appointment_used",
        )


def application_register_walk_in(
    *,
    actor,
    item,
    applicant_name: str,
    applicant_id_number: str,
    applicant_phone: str,
    uploads: list[Upload],
    enterprise_name: str = "",
    enterprise_uscc: str = "",
    community=None,
    delivery_method: str = "",
    delivery_address: str = "",
    appointment=None,
    at: dt.datetime | None = None,
) -> Application:
    """A visitor's application registered at the window by staff; `community`: as in `application_submit`;
    `appointment`: the booking the visitor checked in with (at a hall in the actor's scope), kept on it.

    When the applicant has a real-name account (same ID number and name) the application goes on it: the
    applicant follows it online, supplies 容缺 materials, downloads the certificate and rates it there."""
    require(actor, "applications.add_application", item.org)
    _check_item(item)
    if appointment is not None:
        from jiedao.appointments.selectors import booking_numbers

        _check_checked_in(actor, appointment, item, _now(at))
        # The page fills in the booker's numbers masked: left unchanged, they stand for the booking's own.
        applicant_id_number, applicant_phone = booking_numbers(
            appointment, applicant_id_number, applicant_phone
        )
    errors: dict[str, list[str]] = {}
    try:
        applicant_name = clean_person_name(applicant_name)
    except InvalidNumber as error:
        errors["applicant_name"] = [error.message]
    number = ""
    if (applicant_id_number or "").strip():
        try:
            number = parse_id_number(applicant_id_number).number
        except InvalidNumber as error:
            errors["applicant_id_number"] = [error.message]
    elif item.audience != Audience.ENTERPRISE:
        errors["applicant_id_number"] = [_("请填写申请人身份证件号码。")]
    try:
        phone = _phone(applicant_phone, "applicant_phone")
    except ValidationFailed as error:
        errors.update(error.errors)
        phone = None
    try:
        delivery_method, delivery_address = _delivery(item, delivery_method, delivery_address)
    except ValidationFailed as error:
        errors.update(error.errors)
    if not errors and number and _registered_under_another_name(id_number_hash(number), applicant_name):
        errors["applicant_name"] = [
            _("申请人姓名与该身份证件号码在实有人口库中的登记不一致，请核对申请人的身份证件。")
        ]
    if errors:
        raise ValidationFailed(errors)
    enterprise_name, enterprise_uscc = _enterprise(item, enterprise_name, enterprise_uscc)
    community = _community(item.org, community)
    check_materials_belong_to(item, uploads)
    checked = _check_uploads(uploads)
    now = _now(at)
    with transaction.atomic():
        # The item's row is the lock: the same visitor registered from two tabs (or by two windows) at once
        # gets one application; the second is told of the first.
        ServiceItem.objects.select_for_update().filter(pk=item.pk).first()
        if appointment is not None:
            _check_booking_unused(appointment)
        open_one = (
            open_application(item, enterprise_uscc, applicant_id_hash=id_number_hash(number))
            if number
            else None
        )
        if open_one is not None:
            raise ServiceError(
                _(
                    "该申请人已有一件“%(item)s”的申请正在办理（查询码 %(code)s），请勿重复登记；"
                    "补充材料请在该办件中收取。"
                )
                % {"item": item.name, "code": open_one.tracking_code},
                code="duplicate",
            )
        application = Application.objects.create(
            org=item.org,
            created_by=actor,
            item=item,
            applicant_name=applicant_name,
            applicant_id_number=number,
            applicant_id_hash=id_number_hash(number) if number else "",
            applicant_id_masked=crypto.mask_id_number(number) if number else "",
            applicant_phone=phone.national,
            applicant_phone_hash=phone_hash(phone.national),
            applicant_phone_masked=crypto.mask_phone(phone.national),
            enterprise_name=enterprise_name,
            enterprise_uscc=enterprise_uscc,
            community=community,
            channel=Channel.WINDOW,
            delivery_method=delivery_method,
            delivery_address=delivery_address,
            appointment=appointment,
            window=ServiceWindow.of(actor),
            tracking_code=new_tracking_code(),
            status=ApplicationStatus.SUBMITTED,
            submitted_at=now,
            received_at=now,
        )
        received = _attach(application, checked)
        written_notices.issue_receipt(application, materials=received, actor=actor, at=now)
        _event(application, EventAction.REGISTERED, actor=actor, at=now)
        _audit(events.APPLICATION_REGISTERED, application, actor=actor)
        # After the audit record: see resident_verify_identity.
        account = _verified_account(
            application.applicant_id_hash, applicant_name, application.applicant_phone_hash
        )
        if account is not None:
            application.resident = account
            application.save(update_fields=["resident"])
            note = Message(gettext_noop("申请人已实名认证，本办件已归入其群众账号，可在网上查看和办理。"))
            _event(application, EventAction.LINKED, actor=actor, at=now, note=note)
            audit.record(
                events.APPLICATION_LINKED,
                actor=actor,
                target=application,
                message=f"the applicant's real-name account {resident_name(account)}",
            )
    return application


def _start_clock(application: Application, *, actor, at: dt.datetime):
    clock = clocks.clock_start(
        actor=actor,
        target=application,
        kind=APPLICATION_CLOCK,
        rule=CountingRule.WORKING_DAYS,
        limit=max(1, application.item.promised_limit_days),
        org=application.org,
        started_at=at,
    )
    if application.item.kind == ItemKind.INSTANT:
        # 即办件 are concluded on the spot (当场办结): the deadline the applicant and the ledger see is the day
        # of acceptance, not the next working day the clock's least limit of one day would give. The clock
        # itself is stopped in the same transaction, so its colour and 超期 are unaffected.
        application.due_at = clocks.end_of_day(clocks.local_date(at))
    else:
        application.due_at = clock.due_at
    return clock


@in_records_language
def _accept(
    application: Application,
    *,
    actor,
    at: dt.datetime,
    deemed: bool,
    deferred: tuple[list[Material], dt.date] | None = None,
) -> None:
    """The accepting part shared by staff acceptance and deemed acceptance (caller holds the lock);
    `deferred`: the materials accepted as missing (容缺) and the day they are to be supplied by.

    Deemed acceptance (`at` is the moment it became deemed) counts from the day the materials were
    received (行政许可法第三十二条: 逾期不告知的，自收到申请材料之日起即为受理): `accepted_at` and the clock
    start at `received_at`."""
    before = application.status
    accepted_from = application.received_at if deemed and application.received_at else at
    application.status = ApplicationStatus.ACCEPTED
    application.accepted_at = accepted_from
    application.deemed_accepted = deemed
    application.correction_items = []
    if application.window_id is None and not deemed:
        # An application that came in online is at the window of the staff member who accepts it.
        application.window = ServiceWindow.of(actor)
    clock = _start_clock(application, actor=actor, at=accepted_from)
    if deferred:
        materials, until = deferred
        application.defer_until, application.defer_committed = until, True
        DeferredMaterial.objects.bulk_create(
            DeferredMaterial(application=application, material=material, name=material.name)
            for material in materials
        )
    application.save()
    written_notices.issue_acceptance(application, actor=actor, at=at)
    note = (
        Message(
            gettext_noop(
                "申请材料接收后 %(n)d 个工作日内未作处理，依法视为受理，自材料接收之日（%(date)s）起计算办理时限。"
            ),
            n=int(get_parameter("applications.deemed_acceptance_days")),
            date=accepted_from.astimezone(CHINA_TZ).strftime("%Y-%m-%d"),
        )
        if deemed
        else _deferral_note(application)
    )
    event = _event(
        application,
        EventAction.DEEMED_ACCEPTED if deemed else EventAction.ACCEPTED,
        actor=actor,
        from_status=before,
        note=note,
        at=at,
    )
    _audit(
        events.APPLICATION_DEEMED_ACCEPTED if deemed else events.APPLICATION_ACCEPTED,
        application,
        actor=actor,
        before=before,
    )
    _start_at_community(application, actor=actor)
    if application.item.kind != ItemKind.INSTANT:
        # A due date counted before the year's holiday notice was entered may move with it: say so.
        promise = (
            _(
                "您申请的“%(item)s”已受理（查询码 %(code)s），承诺于 %(due)s 前办结（如遇国家节假日安排调整，相应顺延）。"
            )
            if clock.due_provisional
            else _("您申请的“%(item)s”已受理（查询码 %(code)s），承诺于 %(due)s 前办结。")
        )
        body = promise % {
            "item": application.item.name,
            "code": application.tracking_code,
            "due": _sms_date(application.due_at),
        }
        if deferred:
            body += _("本件为容缺受理，请于 %(until)s 前补交：%(names)s。") % {
                "until": workcalendar.sms_date(deferred[1]),
                "names": "、".join(material.name for material in deferred[0]),
            }
        _sms(application, event, body[:480], actor=actor)


def _deferral_note(application: Application) -> Message | str:
    """What the history says of a 容缺受理: the materials deferred, by when, and the commitment."""
    if not application.defer_until:
        return ""
    return Message(
        gettext_noop("容缺受理（申请人已签署容缺承诺书），须于 %(until)s 前补交：%(names)s。"),
        until=application.defer_until,
        names=Joined(application.deferred_materials.values_list("name", flat=True)),
    )


@dataclass(frozen=True)
class Deferral:
    """容缺受理 asked for by the clerk: the missing materials accepted for later (every missing required
    one), whether the applicant signed the commitment (承诺书), and the day to supply them by (None: the
    `applications.defer_days`-th working day after acceptance)."""

    materials: list
    committed: bool
    until: dt.date | None = None


def _deferral_checked(application: Application, deferral: Deferral, at: dt.datetime):
    """The deferred materials and their deadline, or the Chinese reason 容缺受理 is not possible."""
    if application.item.kind == ItemKind.INSTANT:
        raise ValidationFailed({"materials": [_("即办件当场办结，不适用容缺受理；请收齐材料后受理。")]})
    missing = missing_required(application)
    if not missing:
        raise ValidationFailed({"materials": [_("必须提交的材料已齐全，无需容缺受理，请直接受理。")]})
    errors: dict[str, list[str]] = {}
    intolerable = [m.name for m in missing if not m.tolerable]
    if intolerable:
        errors.setdefault("materials", []).append(
            _("以下缺少的材料不可容缺，不能容缺受理，请一次性告知补正：%(names)s。")
            % {"names": "、".join(intolerable)}
        )
    chosen = {getattr(m, "pk", m) for m in deferral.materials}
    missing_pks = {m.pk for m in missing}
    stray = [m for m in deferral.materials if getattr(m, "pk", m) not in missing_pks]
    if stray:
        names = "、".join(str(getattr(m, "name", m)) for m in stray)
        errors.setdefault("materials", []).append(
            _("以下材料不是本办件缺少的必须材料，不能列为容缺材料：%(names)s。") % {"names": names}
        )
    left_out = [m.name for m in missing if m.tolerable and m.pk not in chosen]
    if left_out and not intolerable:
        errors.setdefault("materials", []).append(
            _("容缺受理须列明全部所缺材料，以下缺少的材料未列入：%(names)s。")
            % {"names": "、".join(left_out)}
        )
    if not deferral.committed:
        errors["committed"] = [_("容缺受理须由申请人签署容缺承诺书，请确认已签署后勾选。")]
    today = clocks.local_date(at)
    until = deferral.until or workcalendar.current_calendar().add_working_days(
        today, int(get_parameter("applications.defer_days"))
    )
    if until <= today:
        errors["until"] = [_("补交期限须晚于受理当日。")]
    if errors:
        raise ValidationFailed(errors)
    return missing, until


def _start_at_community(application: Application, *, actor, then: str = ""):
    """Start the application's process. When a step finds nobody because the process had to run above the
    community level (the applicant is not in the registry and no 居住社区 was given), ask for the community
    before `then` (what the user does next: 受理 by default)."""
    try:
        with transaction.atomic():
            return start_processing(application, actor=actor)
    except ServiceError as error:
        if error.code != "no_assignee" or application.community_id:
            raise
        if processing.process_org(application, processing.applicant_person(application)).community():
            raise
        raise ValidationFailed(
            {
                "community": [
                    _(
                        "申请人未在实有人口库登记，无法确定由哪个社区办理：请选择申请人的居住社区后再%(then)s。"
                        "（%(detail)s）"
                    )
                    % {"detail": error.message, "then": then or _("受理")}
                ]
            },
            code="community_required",
        ) from None


def application_accept(
    *,
    actor,
    application: Application,
    community=None,
    at: dt.datetime | None = None,
    expected_status: str = "",
    deferral: Deferral | None = None,
) -> Application:
    """Accept (受理) a submitted application: starts the clock on the item's promised limit and hands it to
    processing. An instant item (即办件) is concluded (approved) on the spot. `community` (居住社区,
    optional) sets or corrects the applicant's community before the process starts; it is required when
    the applicant is not in the registry and the process has a community step. `deferral`: 容缺受理, only
    when every missing required material is tolerable (可容缺) and the applicant signed the commitment."""
    require(actor, "applications.accept_application", application)
    at = _now(at)
    with transaction.atomic():
        locked = _locked(application)
        _unchanged(locked, expected_status)
        if locked.status != ApplicationStatus.SUBMITTED:
            raise _bad_status(locked, _("受理"))
        deferred = _deferral_checked(locked, deferral, at) if deferral is not None else None
        if community is not None:
            locked.community = _community(locked.org, community)
        _accept(locked, actor=actor, at=at, deemed=False, deferred=deferred)
        if locked.item.kind == ItemKind.INSTANT:
            with records_language():
                text = _("即办件，当场办结。")
            _conclude(locked, actor=actor, outcome=Outcome.APPROVED, text=text, at=at)
    _sync(application, locked)
    return locked


def deemed_acceptance_run(*, now: dt.datetime | None = None) -> int:
    """Accept every application left untouched for N working days after its materials were received
    (行政许可法第三十二条). It becomes deemed at the end of the N-th working day (the history records that
    moment), but counts as accepted from the day the materials were received: the clock starts then."""
    now = _now(now)
    days = int(get_parameter("applications.deemed_acceptance_days"))
    calendar = workcalendar.current_calendar()
    accepted = 0
    candidates = Application.objects.filter(status=ApplicationStatus.SUBMITTED, received_at__lt=now)
    for application in candidates.select_related("item").order_by("id").iterator():
        deemed_day = calendar.add_working_days(clocks.local_date(application.received_at), days)
        deemed_at = clocks.end_of_day(deemed_day)
        if deemed_at >= now:
            continue
        with transaction.atomic():
            locked = _locked(application)
            if locked.status != ApplicationStatus.SUBMITTED or locked.received_at != application.received_at:
                continue
            _accept(locked, actor=None, at=deemed_at, deemed=True)
            if locked.item.kind == ItemKind.INSTANT:
                _conclude(
                    locked, actor=None, outcome=Outcome.APPROVED, text=_("即办件，视为受理后办结。"), at=now
                )
        accepted += 1
    return accepted


def application_start_processing(*, actor, application: Application, community=None):
    """Hand a deemed-accepted application to its item's process, with `actor` as the initiator.

    Deemed acceptance is done by the scheduler, and the engine needs a person who may start processes at
    the org; so such an application waits on the staff list until someone starts its process here (or
    concludes it by hand). `community`: the applicant's 居住社区, as in `application_accept`. Returns the
    process instance."""
    require(actor, "applications.accept_application", application)
    with transaction.atomic():
        locked = _locked(application)
        if locked.status != ApplicationStatus.ACCEPTED:
            raise _bad_status(locked, _("转入流程办理"))
        if not locked.item.process_key:
            raise ServiceError(_("该事项没有配置办理流程，请直接办结。"), code="no_process")
        if instance_for(locked) is not None:
            raise ServiceError(_("该办件已经在按流程办理。"), code="in_process")
        if community is not None:
            locked.community = _community(locked.org, community)
            locked.save(update_fields=["community"])
        instance = _start_at_community(locked, actor=actor, then=_("转入流程办理"))
        if instance is None:
            raise ServiceError(
                _("“%(key)s”流程尚未发布，或不适用于本单位；请直接办结。") % {"key": locked.item.process_key},
                code="no_definition",
            )
        _event(locked, EventAction.PROCESS_STARTED, actor=actor, from_status=locked.status)
        _audit(events.APPLICATION_PROCESS_STARTED, locked, actor=actor, before=locked.status)
    _sync(application, locked)
    return instance


def application_request_correction(
    *,
    actor,
    application: Application,
    items: list[str],
    at: dt.datetime | None = None,
    expected_status: str = "",
) -> Application:
    """一次性告知: list every missing or wrong item at once. The clock of an accepted application pauses
    until the applicant resubmits; a submitted one's acceptance waits for the complete materials."""
    require(actor, "applications.accept_application", application)
    cleaned = [line.strip() for line in (items or []) if line and line.strip()]
    if not cleaned:
        raise ValidationFailed({"items": [_("请逐项列出需要补正的全部材料（一次性告知），不能为空。")]})
    if len(cleaned) > 50 or any(len(line) > 300 for line in cleaned):
        raise ValidationFailed({"items": [_("补正事项最多 50 项，每项不超过 300 字。")]})
    at = _now(at)
    with transaction.atomic():
        locked = _locked(application)
        _unchanged(locked, expected_status)
        if locked.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.ACCEPTED):
            raise _bad_status(locked, _("告知补正"))
        with records_language():
            before = locked.status
            if before == ApplicationStatus.ACCEPTED:
                clock = clocks.clock_pause(
                    actor=actor,
                    clock=clocks.clock_for(locked),
                    reason=Message(gettext_noop("一次性告知补正材料")),
                    at=at,
                )
                locked.due_at = clock.due_at
                processing.hold_processing(
                    locked, actor=actor, reason=Message(gettext_noop("办件待申请人补正材料"))
                )
            locked.status = ApplicationStatus.CORRECTION_REQUESTED
            locked.correction_items = cleaned
            locked.save()
            written_notices.issue_correction(locked, actor=actor, at=at)
            note = "\n".join(f"{n}. {line}" for n, line in enumerate(cleaned, 1))
            event = _event(
                locked, EventAction.CORRECTION_REQUESTED, actor=actor, from_status=before, note=note, at=at
            )
            _audit(
                events.APPLICATION_CORRECTION_REQUESTED,
                locked,
                actor=actor,
                before=before,
                message=note[:500],
            )
            _sms(
                locked,
                event,
                (
                    _(
                        "您申请的“%(item)s”（查询码 %(code)s）需补正以下材料：%(items)s。请一次性补齐后重新提交。"
                    )
                    % {"item": locked.item.name, "code": locked.tracking_code, "items": "；".join(cleaned)}
                )[:480],
                actor=actor,
            )
    _sync(application, locked)
    return locked


def _require_applicant_or_clerk(application: Application, resident: Resident | None, actor) -> None:
    """The applicant's own application online (`resident`), or a window clerk acting for them (`actor`)."""
    if resident is not None:
        if application.resident_id != resident.pk:
            raise OutOfScope()
    else:
        require(actor, "applications.accept_application", application)


def application_resubmit(
    *,
    application: Application,
    uploads: list[Upload],
    resident: Resident | None = None,
    actor=None,
    note: str = "",
    at: dt.datetime | None = None,
) -> Application:
    """The applicant (online, or at the window through staff) hands in the corrected materials."""
    _require_applicant_or_clerk(application, resident, actor)
    if not uploads:
        raise ValidationFailed({"files": [_("请上传补正材料。")]})
    at = _now(at)
    checked = _check_uploads(uploads)
    with transaction.atomic():
        locked = _locked(application)
        if locked.status != ApplicationStatus.CORRECTION_REQUESTED:
            raise _bad_status(locked, _("补正提交"))
        _check_total(checked, max_total_mb=upload_limits()["total"], already=_existing_size(locked))
        received = _attach(locked, checked)
        _mark_supplied(locked, received, at)
        if resident is None:  # handed in at the window: the applicant gets a receipt
            written_notices.issue_receipt(locked, materials=received, actor=actor, at=at, corrections=True)
        before = locked.status
        if locked.accepted_at is not None:
            clock = clocks.clock_resume(actor=actor, clock=clocks.clock_for(locked), at=at)
            locked.due_at = clock.due_at
            locked.status = ApplicationStatus.ACCEPTED
            processing.release_processing(locked, actor=actor)
        else:
            locked.status = ApplicationStatus.SUBMITTED
            locked.received_at = at
        locked.save()
        _by_applicant_or_clerk(
            locked,
            EventAction.RESUBMITTED,
            events.APPLICATION_RESUBMITTED,
            actor=actor,
            resident=resident,
            from_status=before,
            note=(note or "").strip()[:1000],
            at=at,
            before=before,
        )
    _sync(application, locked)
    return locked


def outstanding_deferred(application: Application) -> list[DeferredMaterial]:
    """The 容缺 materials not supplied yet."""
    return [d for d in application.deferred_materials.all() if d.supplied_at is None]


def _mark_supplied(
    application: Application, received: list[ApplicationMaterial], at: dt.datetime
) -> list[str]:
    """Each outstanding deferred material a file of which just arrived is supplied; their names."""
    by_material = {}
    for material in received:
        by_material.setdefault(material.material_id, material)
    supplied = []
    for deferred in application.deferred_materials.filter(supplied_at__isnull=True):
        found = by_material.get(deferred.material_id) if deferred.material_id else None
        if found is not None:
            deferred.supplied_at, deferred.supplied_file = at, found
            deferred.save(update_fields=["supplied_at", "supplied_file"])
            supplied.append(deferred.name)
    return supplied


def application_supply_deferred(
    *,
    application: Application,
    uploads: list[Upload],
    resident: Resident | None = None,
    actor=None,
    at: dt.datetime | None = None,
) -> Application:
    """补交容缺材料: the applicant (online, or at the window through staff) hands in materials accepted as
    missing; each deferred material with a file is marked supplied. The clock runs on as it did."""
    _require_applicant_or_clerk(application, resident, actor)
    if not uploads:
        raise ValidationFailed({"files": [_("请上传需要补交的容缺材料。")]})
    at = _now(at)
    checked = _check_uploads(uploads)
    with transaction.atomic():
        locked = _locked(application)
        if locked.status not in (ApplicationStatus.ACCEPTED, ApplicationStatus.SUSPENDED):
            raise _bad_status(locked, _("补交容缺材料"))
        deferred = {d.material_id: d for d in locked.deferred_materials.all() if d.material_id}
        if not any(d.supplied_at is None for d in deferred.values()):
            raise ServiceError(_("该办件没有待补交的容缺材料。"), code="nothing_deferred")
        errors: dict[str, list[str]] = {}
        for upload in uploads:
            found = deferred.get(getattr(upload.material, "pk", None))
            name = upload.label or getattr(upload.file, "name", "")
            if found is None:
                message = _("“%(name)s”不是待补交的容缺材料，请按容缺材料逐项上传。") % {"name": name}
            elif found.supplied_at is not None:
                # Sent twice (a second click, the API retried): say it arrived, rather than "not deferred".
                message = _("“%(name)s”已于 %(date)s 补交，无需重复补交。") % {
                    "name": found.name,
                    "date": found.supplied_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M"),
                }
            else:
                continue
            errors.setdefault(upload.field, []).append(message)
        if errors:
            raise ValidationFailed(errors)
        _check_total(checked, max_total_mb=upload_limits()["total"], already=_existing_size(locked))
        received = _attach(locked, checked)
        supplied = _mark_supplied(locked, received, at)
        with records_language():
            if resident is None:
                written_notices.issue_receipt(locked, materials=received, actor=actor, at=at)
            left = [d.name for d in outstanding_deferred(locked)]
            note = Concat(
                Message(gettext_noop("已补交：%(names)s。"), names=Joined(supplied)),
                Message(gettext_noop("尚待补交：%(names)s。"), names=Joined(left))
                if left
                else Message(gettext_noop("容缺材料已全部补齐。")),
            )
            _by_applicant_or_clerk(
                locked,
                EventAction.DEFERRED_SUPPLIED,
                events.APPLICATION_DEFERRED_SUPPLIED,
                actor=actor,
                resident=resident,
                from_status=locked.status,
                note=note,
                at=at,
                message=str(note)[:500],
            )
    _sync(application, locked)
    return locked


def _refuse_approval_while_deferred(application: Application, outcome: str) -> None:
    if outcome != Outcome.APPROVED:
        return
    left = outstanding_deferred(application)
    if left:
        raise ServiceError(
            _(
                "容缺材料尚未补齐，不能作出准予的决定：%(names)s。请待申请人补交后再办结，或作出不予准予的决定。"
            )
            % {"names": "、".join(d.name for d in left)},
            code="deferred_outstanding",
        )


def deferral_reminders_run(*, now: dt.datetime | None = None) -> int:
    """Text each applicant with 容缺 materials outstanding once, on the working day before their deadline
    (or later, up to the deadline, if the job did not run that day). Not before 08:00: a text at midnight
    wakes people."""
    now = _now(now)
    local = now.astimezone(CHINA_TZ)
    if local.hour < 8:
        return 0
    today = local.date()
    calendar = workcalendar.current_calendar()
    candidates = Application.objects.filter(
        status__in=(ApplicationStatus.ACCEPTED, ApplicationStatus.SUSPENDED),
        defer_until__gte=today,
        defer_reminded_at__isnull=True,
        pk__in=DeferredMaterial.objects.filter(supplied_at__isnull=True).values("application"),
    )
    sent = 0
    for application in candidates.select_related("item").order_by("id").iterator():
        day = application.defer_until - dt.timedelta(days=1)
        while not calendar.is_workday(day):
            day -= dt.timedelta(days=1)
        if today < day:
            continue
        with transaction.atomic():
            # The conditional update is the guarantee of one reminder, whoever else runs the job.
            if not Application.objects.filter(pk=application.pk, defer_reminded_at__isnull=True).update(
                defer_reminded_at=now
            ):
                continue
            left = [d.name for d in outstanding_deferred(application)]
            with records_language():
                note = Message(
                    gettext_noop("短信提醒于 %(until)s 前补交：%(names)s。"),
                    until=application.defer_until,
                    names=Joined(left),
                )
                event = _event(application, EventAction.DEFERRED_REMINDED, note=note, at=now)
                _sms(
                    application,
                    event,
                    (
                        _(
                            "您申请的“%(item)s”（查询码 %(code)s）为容缺受理，请于 %(until)s 前补交：%(names)s。"
                            "逾期未补交的，将影响办理结果。"
                        )
                        % {
                            "item": application.item.name,
                            "code": application.tracking_code,
                            "until": workcalendar.sms_date(application.defer_until),
                            "names": "、".join(left),
                        }
                    )[:480],
                )
        sent += 1
    return sent


def _end_examination(
    locked: Application, *, status: str, note: str, process_reason: Text, actor, at: dt.datetime
) -> None:
    """Rejected or withdrawn before a decision: an accepted application's clock stops and its process is
    cancelled (`process_reason`: why, in its history) — nobody is to go on handling it — and a pending
    extension request lapses."""
    if locked.accepted_at is not None:
        clocks.clock_stop(actor=actor, clock=clocks.clock_for(locked), at=at)
        processing.cancel_processing(locked, actor=actor, reason=process_reason)
    _lapse_extensions(locked, at)
    locked.status, locked.status_note, locked.concluded_at = status, note, at
    locked.save()


def application_reject(
    *,
    actor,
    application: Application,
    reason: str,
    at: dt.datetime | None = None,
    expected_status: str = "",
):
    """不予受理, with the reason (required) told to the applicant."""
    require(actor, "applications.accept_application", application)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("请填写不予受理的理由。")]})
    at = _now(at)
    with transaction.atomic():
        locked = _locked(application)
        _unchanged(locked, expected_status)
        if locked.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.CORRECTION_REQUESTED):
            raise _bad_status(locked, _("不予受理"))
        with records_language():
            before = locked.status
            _end_examination(
                locked,
                status=ApplicationStatus.REJECTED,
                note=reason,
                process_reason=Message(gettext_noop("办件不予受理：%(r)s"), r=reason[:300]),
                actor=actor,
                at=at,
            )
            written_notices.issue_refusal(locked, actor=actor, at=at)
            event = _event(locked, EventAction.REJECTED, actor=actor, from_status=before, note=reason, at=at)
            _audit(events.APPLICATION_REJECTED, locked, actor=actor, before=before, message=reason)
            _sms(
                locked,
                event,
                _("您申请的“%(item)s”（查询码 %(code)s）不予受理，理由：%(reason)s")
                % {"item": locked.item.name, "code": locked.tracking_code, "reason": reason[:300]},
                actor=actor,
            )
    _sync(application, locked)
    return locked


def application_withdraw(
    *,
    application: Application,
    reason: str = "",
    resident: Resident | None = None,
    actor=None,
    at: dt.datetime | None = None,
    expected_status: str = "",
) -> Application:
    """撤回申请: the applicant takes the application back before it is decided; its examination ends.

    Online (`resident`) only before acceptance: nobody has begun examining it. Once accepted, the applicant
    hands a written request to the window and the clerk (`actor`) records it with the reason: the clock and
    the process end with it, as with a refusal, and nothing of it is rated or counted as concluded."""
    _require_applicant_or_clerk(application, resident, actor)
    reason = (reason or "").strip()[:1000]
    if resident is None and not reason:
        raise ValidationFailed({"reason": [_("请填写撤回原因（如：申请人提交书面撤回申请）。")]})
    at = _now(at)
    with transaction.atomic():
        locked = _locked(application)
        _unchanged(locked, expected_status)
        if locked.status not in OPEN_STATUSES:
            raise _bad_status(locked, _("撤回"))
        if resident is not None and locked.accepted_at is not None:
            raise ServiceError(
                _(
                    "该办件已受理，不能在网上撤回。请携带身份证件到%(place)s提交书面撤回申请，或致电 %(phone)s 咨询。"
                )
                % {
                    "place": locked.item.window_address or _("受理窗口"),
                    "phone": locked.item.consultation_phone,
                },
                code="accepted",
            )
        with records_language():
            before = locked.status
            _end_examination(
                locked,
                status=ApplicationStatus.WITHDRAWN,
                note=reason,
                process_reason=Message(gettext_noop("申请人撤回申请：%(r)s"), r=reason[:300]),
                actor=actor,
                at=at,
            )
            event = _by_applicant_or_clerk(
                locked,
                EventAction.WITHDRAWN,
                events.APPLICATION_WITHDRAWN,
                actor=actor,
                resident=resident,
                from_status=before,
                note=reason,
                at=at,
                before=before,
                message=reason,
            )
            _sms(
                locked,
                event,
                _("您申请的“%(item)s”（查询码 %(code)s）已撤回，办理终止。如需办理，请重新申请。")
                % {"item": locked.item.name, "code": locked.tracking_code},
                actor=actor,
            )
    _sync(application, locked)
    return locked


def application_suspend(*, actor, application: Application, reason: str, at: dt.datetime | None = None):
    """中止办理: the clock pauses until `application_resume`, and the application's process waits
    (`processing.hold_processing`: its timers are held, its result steps refuse until then)."""
    require(actor, "applications.accept_application", application)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("请填写中止办理的原因。")]})
    at = _now(at)
    with transaction.atomic():
        locked = _locked(application)
        if locked.status != ApplicationStatus.ACCEPTED:
            raise _bad_status(locked, _("中止办理"))
        with records_language():
            clock = clocks.clock_pause(actor=actor, clock=clocks.clock_for(locked), reason=reason, at=at)
            locked.due_at = clock.due_at
            locked.status = ApplicationStatus.SUSPENDED
            locked.status_note = reason
            locked.save()
            processing.hold_processing(
                locked, actor=actor, reason=Message(gettext_noop("办件中止办理：%(r)s"), r=reason)
            )
            event = _event(
                locked,
                EventAction.SUSPENDED,
                actor=actor,
                from_status=ApplicationStatus.ACCEPTED,
                note=reason,
                at=at,
            )
            _sms(
                locked,
                event,
                _("您申请的“%(item)s”（查询码 %(code)s）中止办理，原因：%(reason)s。中止期间不计入办理时限。")
                % {"item": locked.item.name, "code": locked.tracking_code, "reason": reason[:300]},
                actor=actor,
            )
            _audit(
                events.APPLICATION_SUSPENDED,
                locked,
                actor=actor,
                before=ApplicationStatus.ACCEPTED,
                message=reason,
            )
    _sync(application, locked)
    return locked


def application_resume(*, actor, application: Application, at: dt.datetime | None = None):
    """恢复办理: the paused span is added to the due date, and the process goes on."""
    require(actor, "applications.accept_application", application)
    at = _now(at)
    with transaction.atomic():
        locked = _locked(application)
        if locked.status != ApplicationStatus.SUSPENDED:
            raise _bad_status(locked, _("恢复办理"))
        with records_language():
            clock = clocks.clock_resume(actor=actor, clock=clocks.clock_for(locked), at=at)
            locked.due_at = clock.due_at
            locked.status = ApplicationStatus.ACCEPTED
            locked.status_note = ""
            locked.save()
            processing.release_processing(locked, actor=actor)
            event = _event(
                locked, EventAction.RESUMED, actor=actor, from_status=ApplicationStatus.SUSPENDED, at=at
            )
            _sms(
                locked,
                event,
                _("您申请的“%(item)s”（查询码 %(code)s）已恢复办理，办理期限为 %(due)s。")
                % {
                    "item": locked.item.name,
                    "code": locked.tracking_code,
                    "due": _sms_date(locked.due_at),
                },
                actor=actor,
            )
            _audit(events.APPLICATION_RESUMED, locked, actor=actor, before=ApplicationStatus.SUSPENDED)
    _sync(application, locked)
    return locked


def _extension_pending(application: Application) -> ExtensionRequest | None:
    return (
        ExtensionRequest.objects.select_for_update()
        .filter(application=application, status=ExtensionStatus.PENDING)
        .first()
    )


def _lapse_extensions(application: Application, at: dt.datetime) -> None:
    """A pending extension request lapses when the application is concluded or rejected."""
    ExtensionRequest.objects.filter(application=application, status=ExtensionStatus.PENDING).update(
        status=ExtensionStatus.LAPSED, decided_at=at
    )


def application_extension_request(
    *, actor, application: Application, days: int, reason: str, at: dt.datetime | None = None
) -> ExtensionRequest:
    """申请延长办理时限 by `days` working days, with a reason (`applications.extend_application`). Nothing
    moves until someone who may approve extensions decides (`application_extension_decide`); one request
    may wait at a time."""
    require(actor, "applications.extend_application", application)
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 60:
        errors["days"] = [_("延长天数应为 1 至 60 个工作日。")]
    if not reason:
        errors["reason"] = [_("请填写延长理由。")]
    if errors:
        raise ValidationFailed(errors)
    at = _now(at)
    with transaction.atomic():
        locked = _locked(application)
        if locked.status not in (ApplicationStatus.ACCEPTED, ApplicationStatus.SUSPENDED):
            raise _bad_status(locked, _("申请延长时限"))
        if _extension_pending(locked) is not None:
            raise ServiceError(
                _("该办件已有一项延长时限的申请等待审批，请待审批后再申请。"), code="extension_pending"
            )
        extension = ExtensionRequest.objects.create(
            application=locked, days=days, reason=reason[:2000], requested_by=actor, requested_at=at
        )
        audit.record(
            events.APPLICATION_EXTENSION_REQUESTED,
            actor=actor,
            target=locked,
            after={"extension": extension.pk, "days": days, "due_at": locked.due_at},
            message=reason[:500],
        )
    _sync(application, locked)
    return extension


def application_extension_decide(
    *,
    actor,
    application: Application,
    approve: bool,
    note: str = "",
    at: dt.datetime | None = None,
) -> ExtensionRequest:
    """Approve or refuse the application's pending extension request (`applications.approve_extension`,
    held by leaders; never by the requester). Approval extends the clock and moves the due date; a refusal
    needs a reason. Both are recorded with requester, approver and reasons."""
    require(actor, "applications.approve_extension", application)
    note = (note or "").strip()[:2000]
    if not approve and not note:
        raise ValidationFailed({"note": [_("不予批准的，请填写理由。")]})
    at = _now(at)
    with transaction.atomic():
        locked = _locked(application)
        extension = _extension_pending(locked)
        if extension is None and locked.status not in OPEN_STATUSES:
            # Concluded, rejected or withdrawn while the request waited: it lapsed with the application.
            raise ServiceError(
                _("该办件已%(status)s，延长时限申请已随之失效。") % {"status": locked.get_status_display()},
                code="no_pending_extension",
            )
        if extension is None:
            raise ServiceError(_("该办件没有等待审批的延长时限申请。"), code="no_pending_extension")
        if extension.requested_by_id == actor.pk:
            raise PermissionDenied(_("不能审批本人提出的延长时限申请。"))
        if locked.status not in (ApplicationStatus.ACCEPTED, ApplicationStatus.SUSPENDED):
            raise _bad_status(locked, _("延长时限"))
        with records_language():
            extension.decided_by, extension.decided_at, extension.decision_note = actor, at, note
            requester = extension.requested_by
            requester_name = (requester.full_name or requester.username) if requester else _("（已删除）")
            approver_name = actor.full_name or actor.username
            if approve:
                extension.status = ExtensionStatus.APPROVED
                extension.save()
                clock = clocks.clock_extend(
                    actor=actor,
                    clock=clocks.clock_for(locked),
                    units=extension.days,
                    reason=extension.reason,
                    at=at,
                )
                before_due = locked.due_at
                locked.due_at = clock.due_at
                locked.save()
                # First line: what the applicant sees (the new due date and the reason, 行政许可法第四十二条);
                # then, for staff only, who asked and approved and the approval opinion (`_public_note`).
                new_due = locked.due_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d")
                public_note = Message(
                    gettext_noop("延长 %(d)d 个工作日，办理期限延至 %(due)s。延长理由：%(reason)s"),
                    d=extension.days,
                    due=new_due,
                    reason=" ".join(extension.reason.split()),
                )
                names = {"requester": requester_name, "approver": approver_name}
                internal = (
                    Message(
                        gettext_noop("申请：%(requester)s；批准：%(approver)s；审批意见：%(note)s"),
                        note=note,
                        **names,
                    )
                    if note
                    else Message(gettext_noop("申请：%(requester)s；批准：%(approver)s"), **names)
                )
                event = _event(
                    locked,
                    EventAction.EXTENDED,
                    actor=actor,
                    from_status=locked.status,
                    note=Concat(public_note, "\n", internal),
                    at=at,
                )
                event_note = event.note
                _sms(
                    locked,
                    event,
                    _(
                        "您申请的“%(item)s”（查询码 %(code)s）办理期限延长 %(d)d 个工作日，延至 %(due)s。理由：%(reason)s"
                    )
                    % {
                        "item": locked.item.name,
                        "code": locked.tracking_code,
                        "d": extension.days,
                        "due": _sms_date(locked.due_at),
                        "reason": extension.reason[:300],
                    },
                    actor=actor,
                )
                audit.record(
                    events.APPLICATION_EXTENDED,
                    actor=actor,
                    target=locked,
                    before={"due_at": before_due},
                    after={
                        "extension": extension.pk,
                        "days": extension.days,
                        "requested_by": extension.requested_by_id,
                        "approved_by": actor.pk,
                        "due_at": locked.due_at,
                    },
                    message=event_note[:500],
                )
            else:
                extension.status = ExtensionStatus.REFUSED
                extension.save()
                audit.record(
                    events.APPLICATION_EXTENSION_REFUSED,
                    actor=actor,
                    target=locked,
                    after={
                        "extension": extension.pk,
                        "days": extension.days,
                        "requested_by": extension.requested_by_id,
                        "refused_by": actor.pk,
                    },
                    message=note[:500],
                )
    _sync(application, locked)
    return extension


@in_records_language
def _conclude(locked: Application, *, actor, outcome: str, text: str | Text, at: dt.datetime) -> None:
    note, text = text, for_record(text)[0]
    before = locked.status
    clock = clocks.clock_stop(actor=actor, clock=clocks.clock_for(locked), at=at)
    locked.concluded_overdue, locked.concluded_paused_days = clock.overdue_at_stop, clock.paused_days
    locked.status = (
        ApplicationStatus.CONCLUDED_APPROVED
        if outcome == Outcome.APPROVED
        else ApplicationStatus.CONCLUDED_DENIED
    )
    locked.outcome, locked.outcome_text = outcome, text
    locked.concluded_at = at
    locked.concluded_by = actor if getattr(actor, "pk", None) else None
    locked.save()
    _lapse_extensions(locked, at)
    event = _event(locked, EventAction.CONCLUDED, actor=actor, from_status=before, note=note, at=at)
    _audit(events.APPLICATION_CONCLUDED, locked, actor=actor, before=before, message=text[:500])
    token, _record = _rating_token_issue(locked)
    _sms(
        locked,
        event,
        _(
            "您申请的“%(item)s”（查询码 %(code)s）已办结，结果：%(outcome)s。%(text)s%(pickup)s 请评价本次服务：%(link)s"
        )
        % {
            "item": locked.item.name,
            "code": locked.tracking_code,
            "outcome": locked.get_outcome_display(),
            "text": text[:200],
            "pickup": _pickup_words(locked) if outcome == Outcome.APPROVED else "",
            "link": rating_link_url(token),
        },
        actor=actor,
    )
    if (
        outcome == Outcome.APPROVED
        and locked.item.publishes_result
        and not PublicNotice.objects.filter(application=locked).exists()
    ):
        _notice_publish(locked, actor=actor, at=at)
    from jiedao.applications.outcome import outcome_document_store

    outcome_document_store(locked)


def _pickup_words(application: Application) -> str:
    """What the conclusion SMS says about the result to hand over (送达方式 chosen when applying)."""
    if application.delivery_method == DeliveryMethod.WINDOW:
        return _("请携带身份证件到%(place)s领取办理结果。") % {"place": application.item.window_address}
    if application.delivery_method == DeliveryMethod.MAIL:
        return _("办理结果将免费邮寄给您，寄出后短信告知运单号。")
    return ""


def application_deliver(
    *, actor, application: Application, note: str, at: dt.datetime | None = None
) -> Application:
    """送达: the result of a concluded application handed over at the window (`note`: who collected it) or
    sent by mail (`note`: the carrier and waybill number, texted to the applicant). Recorded once."""
    require(actor, "applications.conclude_application", application)
    note = (note or "").strip()[:200]
    at = _now(at)
    with transaction.atomic():
        locked = _locked(application)
        if not locked.delivery_method:
            raise ServiceError(_("该办件没有需要送达的实物结果。"), code="no_delivery")
        if locked.status != ApplicationStatus.CONCLUDED_APPROVED:
            raise _bad_status(locked, _("登记送达（只有准予办结的办件有结果可送达）"))
        if locked.delivered_at is not None:
            raise Conflict(
                _("该办件已于 %(at)s 登记送达：%(note)s")
                % {
                    "at": timezone.localtime(locked.delivered_at).strftime("%Y-%m-%d %H:%M"),
                    "note": locked.delivery_note,
                }
            )
        if not note:
            raise ValidationFailed(
                {
                    "note": [
                        _("请填写快递公司和运单号。")
                        if locked.delivery_method == DeliveryMethod.MAIL
                        else _("请填写领取人姓名（代领的注明与申请人的关系）。")
                    ]
                }
            )
        with records_language():
            locked.delivered_at, locked.delivery_note = at, note
            locked.save(update_fields=["delivered_at", "delivery_note"])
            event = _event(
                locked,
                EventAction.DELIVERED,
                actor=actor,
                note=Message(
                    gettext_noop("%(method)s：%(note)s"),
                    method=DeliveryMethod(locked.delivery_method).label,
                    note=note,
                ),
                at=at,
            )
            _audit(events.APPLICATION_DELIVERED, locked, actor=actor, message=event.note)
            if locked.delivery_method == DeliveryMethod.MAIL:
                _sms(
                    locked,
                    event,
                    _("您申请的“%(item)s”（查询码 %(code)s）办理结果已寄出：%(note)s。")
                    % {"item": locked.item.name, "code": locked.tracking_code, "note": note},
                    actor=actor,
                )
    _sync(application, locked)
    return locked


def application_conclude(
    *, actor, application: Application, outcome: str, text: str = "", at: dt.datetime | None = None
) -> Application:
    """办结: approved or denied; only an accepted application. Stops the clock and tells the applicant."""
    require(actor, "applications.conclude_application", application)
    text = (text or "").strip()
    errors: dict[str, list[str]] = {}
    if outcome not in Outcome.values:
        errors["outcome"] = [_("请选择办理结果。")]
    if outcome == Outcome.DENIED and not text:
        errors["text"] = [_("不予准予的，请填写理由。")]
    if errors:
        raise ValidationFailed(errors)
    at = _now(at)
    with transaction.atomic():
        locked = _locked(application)
        if locked.status != ApplicationStatus.ACCEPTED:
            raise _bad_status(locked, _("办结（只有已受理、办理中的办件可以办结）"))
        from jiedao.applications.processing import running_instance

        if running_instance(locked) is not None:
            raise ServiceError(
                _("该办件正在按流程办理，由流程在最后一个环节办结；请在“我的待办”中办理。"),
                code="in_process",
            )
        _refuse_approval_while_deferred(locked, outcome)
        _conclude(locked, actor=actor, outcome=outcome, text=text, at=at)
    _sync(application, locked)
    return locked


def application_conclude_by_process(
    application: Application, *, actor, outcome: str, text: str = "", at: dt.datetime | None = None
) -> Application:
    """办结 decided by the application's process (the `applications.conclude` workflow action).

    No permission check of its own: the deployed process is the authority, and the step that concludes
    may be a timer with no actor. The caller's transaction (the engine's step) holds the lock."""
    text = (text or "").strip()
    if outcome not in Outcome.values:
        raise ValidationFailed({"outcome": [_("请选择办理结果。")]})
    at = _now(at)
    locked = _locked(application)
    if locked.status != ApplicationStatus.ACCEPTED:
        raise _bad_status(locked, _("办结（只有已受理、办理中的办件可以办结）"))
    if outcome == Outcome.DENIED and not text:
        text = Message(gettext_noop("经审核，不符合条件。"))
    _refuse_approval_while_deferred(locked, outcome)
    _conclude(locked, actor=actor, outcome=outcome, text=text, at=at)
    _sync(application, locked)
    return locked


# --- tracking without login --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackResult:
    """What a tracking look-up shows: the item, the status, the due date and the public history."""

    tracking_code: str
    item_name: str
    status: str
    due_at: dt.datetime | None
    history: list[dict]
    instant: bool = False
    # The due date reaches a year whose holiday notice is not entered yet (counted on weekends, may move).
    due_provisional: bool = False

    @property
    def status_display(self) -> str:
        return _STATUS_LABELS.get(self.status, self.status)


# The one anonymous look-up that must keep pace with a bare view under load (issue #5): written as one
# plain query because compiling the two ORM queries cost twenty times what the database took.
_TRACK_SQL = (
    "SELECT a.applicant_phone_hash, a.status, a.due_at, i.name, e.action, e.at, e.to_status, e.note, "
    "e.note_message, i.kind, "
    # Whether the open clock's due date is provisional, read in the same query (the look-up stays one).
    f"(SELECT c.due_provisional FROM {Clock._meta.db_table} c "
    f"JOIN {ContentType._meta.db_table} ct ON ct.id = c.content_type_id "
    "WHERE ct.app_label = 'applications' AND ct.model = 'application' "
    "AND c.object_id = CAST(a.id AS VARCHAR(64)) AND c.status <> 'stopped') "
    f"FROM {Application._meta.db_table} a "
    f"JOIN {ServiceItem._meta.db_table} i ON i.id = a.item_id "
    f"LEFT JOIN {ApplicationEvent._meta.db_table} e ON e.application_id = a.id AND e.action <> %s "
    "WHERE a.tracking_code = %s ORDER BY e.at, e.id"
)


def application_track(*, code: str, phone: str, ip: str | None) -> TrackResult:
    """Look up an application by tracking code + the applicant's phone. A wrong code and a wrong phone give
    the same message; each address may try `applications.track_limit` times per 10 minutes."""
    limit_lookup("track", ip, _("查询过于频繁，请 10 分钟后再试。"))
    # Full-width letters and digits (ＲＬＶＶ…, typed with a Chinese input method) count as their ASCII forms;
    # spaces and dashes between groups (XJAB-KM3T-Y8CA, as a code is read out or noted down) are left out.
    normalized = "".join(unicodedata.normalize("NFKC", code or "").replace("-", " ").split()).upper()
    try:
        national = parse_phone(phone or "").national
    except InvalidNumber:
        raise _track_failed() from None
    rows: list[tuple] = []
    if len(normalized) == TRACKING_LENGTH:
        with connection.cursor() as cursor:
            cursor.execute(_TRACK_SQL, [EventAction.RATED, normalized])
            rows = cursor.fetchall()
    if not rows or not hmac.compare_digest(rows[0][0], phone_hash(national)):
        raise _track_failed()
    _phone_hash, status, due_at, item_name = rows[0][:4]
    return TrackResult(
        tracking_code=normalized,
        item_name=item_name,
        status=status,
        due_at=_aware(due_at),
        instant=rows[0][9] == ItemKind.INSTANT,
        due_provisional=bool(rows[0][10]),
        # Without events the LEFT JOIN still gives the application's row, with NULL event columns.
        history=[
            _public_event(row[4], _aware(row[5]), row[6], row[7], _json(row[8]))
            for row in rows
            if row[4] is not None
        ],
    )


def _track_failed() -> ValidationFailed:
    """A wrong code and a wrong phone give the same answer (built only when needed: most look-ups succeed)."""
    return ValidationFailed({"__all__": [_(TRACK_FAILED_MESSAGE)]}, code="not_found")


def _json(value):
    """A JSON column read by a plain query: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """A plain query on SQLite returns naive UTC datetimes (the ORM would have made them aware)."""
    if value is None or timezone.is_aware(value):
        return value
    return timezone.make_aware(value, connection.timezone)


_ACTION_LABELS = dict(EventAction.choices)
_STATUS_LABELS = dict(ApplicationStatus.choices)


def _public_note(action: str, note: str) -> str:
    """What the applicant may read of a note: of an extension only its first line (what, the new due date and
    the reason), never the staff lines after it (who asked and approved, the approval opinion); extensions
    recorded earlier put the names in brackets on the first line — cut those off too."""
    if action == EventAction.EXTENDED and note:
        note = note.split("\n", 1)[0].split("（申请：", 1)[0]
    return note


def _public_event(action: str, at: dt.datetime, to_status: str, note: str, note_message) -> dict:
    return {
        "action": _ACTION_LABELS[action],
        "at": at,
        "status": _STATUS_LABELS.get(to_status, ""),
        "note": _public_note(action, shown(note_message, note)),
    }


def public_history(application: Application) -> list[dict]:
    """The history as the applicant sees it, in their language: what and when, never staff names."""
    return [
        _public_event(*row)
        for row in application.events.exclude(action=EventAction.RATED).values_list(
            "action", "at", "to_status", "note", "note_message"
        )
    ]


# --- first-inquiry responsibility and agency service -------------------------------------------------------


def inquiry_create(*, actor, visitor_name: str, visitor_phone: str, question: str) -> Inquiry:
    require(actor, "applications.add_inquiry", actor.org)
    visitor_name, question = (visitor_name or "").strip(), (question or "").strip()
    errors: dict[str, list[str]] = {}
    if not visitor_name or len(visitor_name) > 50:
        errors["visitor_name"] = [_("请填写来访人姓名（不超过 50 个字）。")]
    if not question:
        errors["question"] = [_("请填写咨询事项。")]
    national = ""
    if (visitor_phone or "").strip():
        try:
            national = _phone(visitor_phone, "visitor_phone").national
        except ValidationFailed as error:
            errors.update(error.errors)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        inquiry = Inquiry.objects.create(
            org=actor.org,
            created_by=actor,
            owner=actor,
            visitor_name=visitor_name,
            visitor_phone=national,
            visitor_phone_masked=crypto.mask_phone(national) if national else "",
            question=question,
        )
        audit.record(events.INQUIRY_CREATED, actor=actor, target=inquiry)
    return inquiry


def _own_inquiry(actor, inquiry: Inquiry) -> Inquiry:
    locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    if locked.owner_id != actor.pk:
        raise ServiceError(_("只有当前负责人可以处理该咨询。"), code="not_owner")
    return locked


def colleagues(actor, *, permission: str, holding: str | None = None):
    """The users `actor` may pick for a piece of business (a hand-off receiver, an agent): active business
    staff — an active role of their own, none of the three separated admin duties — holding `holding` when
    given, within the orgs `actor` reaches with `permission` (their own org when that scope is only their
    own records)."""
    staff = _staff_in_scope(actor, permission)
    users = _holding(staff, holding) if holding else staff.filter(roles__is_active=True)
    return users.distinct().order_by("username")


def _staff_in_scope(actor, permission: str):
    """Active business staff within the orgs `actor` reaches with `permission` (their own org when that
    scope is only their own records)."""
    from jiedao.core.scope import scope_for

    users = _business_staff()
    grant = scope_for(actor, permission)
    if not grant.everything:
        users = users.filter(org__in=grant.org_ids or {actor.org_id})
    return users


HAND_OVER_SCOPE = "applications.change_inquiry"
HAND_OVER_RECEIVER = "applications.change_inquiry"
AGENCY_SCOPE = "applications.add_agencyassignment"
AGENT_HOLDS = None  # any business role: an agent follows the enterprise's applications on their own page


def inquiry_hand_over(*, actor, inquiry: Inquiry, to_user, note: str = "") -> InquiryHandOver:
    """Hand the inquiry to a colleague; the first staff member stays responsible until it is acknowledged.
    The receiver is business staff within the actor's scope who may handle inquiries (`colleagues`)."""
    require(actor, "applications.change_inquiry", inquiry)
    if (
        to_user is None
        or to_user.pk == actor.pk
        or not colleagues(actor, permission=HAND_OVER_SCOPE, holding=HAND_OVER_RECEIVER)
        .filter(pk=to_user.pk)
        .exists()
    ):
        raise ValidationFailed({"to_user": [_("请选择另一位在岗工作人员。")]})
    with transaction.atomic():
        locked = _own_inquiry(actor, inquiry)
        if locked.status != InquiryStatus.OPEN:
            raise ServiceError(
                _("该咨询当前状态为“%(s)s”，不能转交。") % {"s": locked.get_status_display()},
                code="bad_status",
            )
        handover = InquiryHandOver.objects.create(
            inquiry=locked, from_user=actor, to_user=to_user, note=(note or "").strip()
        )
        locked.status = InquiryStatus.HANDED_OVER
        locked.save()
        audit.record(events.INQUIRY_HANDED_OVER, actor=actor, target=locked, after={"to_user": to_user.pk})
    inquiry.refresh_from_db()
    return handover


def inquiry_acknowledge(*, actor, handover: InquiryHandOver) -> Inquiry:
    """The receiver takes over: from now on they own the inquiry."""
    with transaction.atomic():
        locked = InquiryHandOver.objects.select_for_update().select_related("inquiry").get(pk=handover.pk)
        if locked.to_user_id != actor.pk:
            raise ServiceError(_("只有接收人可以确认接收。"), code="not_receiver")
        if locked.acknowledged_at is not None:
            raise ServiceError(_("该转交已接收。"), code="bad_status")
        locked.acknowledged_at = timezone.now()
        locked.save()
        inquiry = locked.inquiry
        inquiry.owner = actor
        inquiry.status = InquiryStatus.OPEN
        inquiry.save()
        audit.record(events.INQUIRY_ACKNOWLEDGED, actor=actor, target=inquiry)
    return inquiry


def inquiry_answer(*, actor, inquiry: Inquiry, answer: str) -> Inquiry:
    require(actor, "applications.change_inquiry", inquiry)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationFailed({"answer": [_("请填写答复内容。")]})
    with transaction.atomic():
        locked = _own_inquiry(actor, inquiry)
        if locked.status != InquiryStatus.OPEN:
            raise ServiceError(
                _("该咨询当前状态为“%(s)s”，不能答复。") % {"s": locked.get_status_display()},
                code="bad_status",
            )
        locked.answer, locked.status, locked.answered_at = answer, InquiryStatus.ANSWERED, timezone.now()
        locked.save()
        audit.record(events.INQUIRY_ANSWERED, actor=actor, target=locked)
    inquiry.refresh_from_db()
    return locked


def agency_assign(*, actor, org, agent, enterprise_name: str, enterprise_uscc: str, project_name: str):
    require(actor, "applications.add_agencyassignment", org)
    errors: dict[str, list[str]] = {}
    enterprise_name, project_name = (enterprise_name or "").strip(), (project_name or "").strip()
    if not enterprise_name:
        errors["enterprise_name"] = [_("请填写企业名称。")]
    if not project_name:
        errors["project_name"] = [_("请填写项目名称。")]
    try:
        uscc = parse_uscc(enterprise_uscc or "").code
    except InvalidNumber as error:
        errors["enterprise_uscc"] = [error.message]
    if (
        agent is None
        or not colleagues(actor, permission=AGENCY_SCOPE, holding=AGENT_HOLDS).filter(pk=agent.pk).exists()
    ):
        errors["agent"] = [_("请选择代办员（本辖区内的业务工作人员）。")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        assignment = AgencyAssignment.objects.create(
            org=org,
            created_by=actor,
            agent=agent,
            enterprise_name=enterprise_name[:200],
            enterprise_uscc=uscc,
            project_name=project_name[:200],
        )
        audit.record(events.AGENCY_ASSIGNED, actor=actor, target=assignment)
    return assignment


def agency_applications(user):
    """Applications of the enterprises the user is an active agent for, filed within the org of the agency
    assignment: the same credit code filed in another sub-district is not the agent's business (an agent
    assigned a code by mistake or on purpose saw another sub-district's applications and tracking codes)."""
    condition = Q(pk__in=[])
    for uscc, org_path in AgencyAssignment.objects.filter(agent=user, is_active=True).values_list(
        "enterprise_uscc", "org__path"
    ):
        condition |= Q(enterprise_uscc=uscc, org__path__startswith=org_path)
    return Application.objects.exclude(enterprise_uscc="").filter(condition)


# --- ratings and rectification -----------------------------------------------------------------------------


def rating_submit(
    *,
    application: Application,
    level: int,
    comment: str = "",
    resident: Resident | None = None,
    actor=None,
    paper_number: str = "",
) -> Rating:
    """好差评: once per concluded application, always the applicant's own.

    Online by the signed-in applicant; or, by staff, only the transcription of a paper 评价表 the applicant
    filled in and signed (its number recorded), by someone who did not handle the application — a clerk
    can no longer enter 非常满意 for their own work. The link, the QR code and the 评价器 go through
    `rating_by_link`."""
    if resident is not None:
        if application.resident_id != resident.pk:
            raise ServiceError(_("只能评价本人申请的办件。"), code="not_applicant")
        channel = RatingChannel.ONLINE
    else:
        require(actor, "applications.add_rating", application)
        paper_number = (paper_number or "").strip()[:50]
        if not paper_number:
            raise ValidationFailed(
                {"paper_number": [_("请填写纸质评价表编号：工作人员只能代录申请人签名的纸质评价表。")]}
            )
        if handled_by(application, actor):
            raise ServiceError(
                _("您经办了该办件，不能代录对它的评价，请由其他工作人员录入。"), code="own_application"
            )
        channel = RatingChannel.PAPER
    _rating_check_level(level)
    with transaction.atomic():
        locked = _locked(application)
        return _rating_create(
            locked,
            level=level,
            comment=comment,
            channel=channel,
            actor=actor,
            resident=resident,
            paper_number=paper_number if resident is None else "",
        )


def _rating_check_level(level) -> None:
    if isinstance(level, bool) or level not in RatingLevel.values:
        raise ValidationFailed({"level": [_("请选择评价等级。")]})


def _rating_create(
    locked: Application,
    *,
    level: int,
    comment: str,
    channel: str,
    actor=None,
    resident: Resident | None = None,
    paper_number: str = "",
) -> Rating:
    """The rating itself, the application locked by the caller: one per application; a 不满意 or worse opens
    a rectification."""
    comment = (comment or "").strip()[:1000]
    if not locked.is_concluded:
        raise ServiceError(_("办件办结后才能评价。"), code="bad_status")
    if Rating.objects.filter(application=locked).exists():
        raise ServiceError(_("该办件已评价，不能重复评价。"), code="already_rated")
    with records_language():
        rating = Rating.objects.create(
            application=locked,
            level=level,
            comment=comment,
            channel=channel,
            recorded_by=actor if getattr(actor, "pk", None) else None,
            paper_number=paper_number,
            staff=rated_staff(locked),
        )
        # Once rated, the link is spent whichever way the rating came.
        RatingToken.objects.filter(application=locked, used_at__isnull=True).update(used_at=timezone.now())
        _event(
            locked,
            EventAction.RATED,
            actor=actor,
            by_applicant=actor is None,
            from_status=locked.status,
            note=RatingLevel(rating.level).label,
        )
        audit.record(
            events.RATING_RECORDED,
            actor=actor,
            actor_name=resident_name(resident) if resident else "",
            target=locked,
            after={"level": level, "channel": channel, "paper_number": paper_number},
        )
        if level <= RatingLevel.UNSATISFIED:
            _rectification_open(rating, locked)
    return rating


def handled_by(application: Application, user) -> bool:
    """Whether `user` handled the application: registered, accepted, concluded or did any step of it, or is
    the staff member a rating of it would be about. Such a person may not rate it in any way."""
    if not getattr(user, "pk", None):
        return False
    if application.concluded_by_id == user.pk or application.events.filter(actor=user).exists():
        return True
    instance = instance_for(application)
    if instance is not None:
        from jiedao.workflow.models import TaskHistory

        if TaskHistory.objects.filter(instance=instance, actor=user).exists():
            return True
    rated = rated_staff(application)
    return rated is not None and rated.pk == user.pk


# --- the rating link (/r/<token>): SMS, QR code at the window, 评价器 ---


def _rating_token_value(application_pk: int, salt: str) -> str:
    # 128 bits of a keyed MAC, URL-safe base64: 22 characters, short enough for an SMS.
    mac = crypto.blind_index(f"rating-link:{application_pk}:{salt}")
    return base64.urlsafe_b64encode(bytes.fromhex(mac[:32])).decode().rstrip("=")


def _rating_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _rating_token_issue(application: Application) -> tuple[str, RatingToken]:
    """The application's rating link token and its record, created at conclusion (or for an application
    concluded before links existed, when the window first shows it); valid RATING_LINK_TTL from when the SMS
    goes out (a conclusion recorded afterwards for an earlier date still gives the applicant the full time)."""
    at = timezone.now()
    record = RatingToken.objects.filter(application=application).first()
    if record is not None:
        token = _rating_token_value(application.pk, record.salt)
        if record.token_hash == _rating_token_hash(token):
            return token, record
        # The server key changed since: the old link cannot be shown again, so a new one replaces it.
        record.delete()
    salt = secrets.token_hex(16)
    token = _rating_token_value(application.pk, salt)
    record = RatingToken.objects.create(
        application=application,
        salt=salt,
        token_hash=_rating_token_hash(token),
        created_at=at,
        expires_at=at + RATING_LINK_TTL,
    )
    return token, record


def public_url(view_name: str, *args) -> str:
    """The absolute address of a public page as the applicant reaches it (JIEDAO_PUBLIC_URL + its path): what
    an SMS or a printed document carries."""
    return settings.JIEDAO_PUBLIC_URL.rstrip("/") + reverse(view_name, args=args)


def rating_link_url(token: str, *, qr: bool = False) -> str:
    """The absolute short link (/r/<token>); the QR code's carries `?q` to count the scans apart from the SMS."""
    url = public_url("rating_link", token)
    return f"{url}?q" if qr else url


def rating_link_for_window(application: Application) -> str | None:
    """The token the window shows (QR code, 评价器) for a concluded, unrated application whose link is still
    valid; None otherwise."""
    if not application.is_concluded or Rating.objects.filter(application=application).exists():
        return None
    token, record = _rating_token_issue(application)
    if record.used_at is not None or record.expires_at <= timezone.now():
        return None
    return token


@dataclass(frozen=True)
class RatingLinkState:
    """What the public rating page may show: the item's name and the conclusion date, nothing personal."""

    item_name: str
    concluded_at: dt.datetime | None
    status: str  # "open", "used", "expired"


def _rating_link_lookup(token: str) -> RatingToken | None:
    token = (token or "").strip()
    if not token or len(token) > 64:
        return None
    return (
        RatingToken.objects.filter(token_hash=_rating_token_hash(token))
        .select_related("application__item")
        .first()
    )


def _rating_link_refused() -> ServiceError:
    # One message for a mistyped, made-up or deleted link: it must not tell a guesser anything.
    return ServiceError(_("评价链接无效，请核对短信中的链接。"), code="bad_link")


def _rating_link_limit(ip: str | None) -> None:
    limit_lookup("rating-link", ip, _("操作过于频繁，请 10 分钟后再试。"))


def rating_link_state(*, token: str, ip: str | None, now: dt.datetime | None = None) -> RatingLinkState:
    """Open a rating link (rate-limited per address like tracking)."""
    _rating_link_limit(ip)
    record = _rating_link_lookup(token)
    if record is None:
        raise _rating_link_refused()
    application = record.application
    if record.used_at is not None or Rating.objects.filter(application=application).exists():
        status = "used"
    elif record.expires_at <= _now(now):
        status = "expired"
    else:
        status = "open"
    return RatingLinkState(
        item_name=application.item.name, concluded_at=application.concluded_at, status=status
    )


def rating_by_link(
    *,
    token: str,
    level: int,
    comment: str = "",
    channel: str = RatingChannel.SMS,
    user=None,
    ip: str | None = None,
    now: dt.datetime | None = None,
    window: ServiceWindow | None = None,
) -> Rating:
    """The applicant rates by the link: once, before it expires. `user` is whoever is signed in as staff in
    that browser: who handled the application is refused. The 评价器 passes its `window`: it rates only the
    applications concluded there."""
    if channel not in (RatingChannel.SMS, RatingChannel.QRCODE, RatingChannel.PAD):
        raise ValidationFailed({"channel": [_("评价渠道无效。")]})
    if ip is not None:
        _rating_link_limit(ip)
    record = _rating_link_lookup(token)
    if record is None or (window is not None and record.application.window_id != window.pk):
        raise _rating_link_refused()
    _rating_check_level(level)
    if handled_by(record.application, user):
        raise ServiceError(_("您经办了该办件，不能评价。评价须由申请人本人作出。"), code="own_application")
    with transaction.atomic():
        # The application first, then its link: the order every rating takes (no deadlock with an online one).
        locked = _locked(record.application)
        locked_record = RatingToken.objects.select_for_update().get(pk=record.pk)
        if locked_record.used_at is not None or Rating.objects.filter(application=locked).exists():
            raise ServiceError(_("该办件已评价，不能重复评价。"), code="already_rated")
        if locked_record.expires_at <= _now(now):
            raise ServiceError(_("评价链接已过期（办结后 30 天内有效）。"), code="expired")
        return _rating_create(locked, level=level, comment=comment, channel=channel)


# The 评价器 offers a case for PAD_OFFER after its conclusion: long enough for the visitor at the counter to
# rate it, short enough that the next visitor is not asked to rate someone else's case.
PAD_OFFER = dt.timedelta(minutes=10)


def pad_current(window: ServiceWindow, *, now: dt.datetime | None = None) -> Application | None:
    """评价器: the case the window's clerk has just concluded for the visitor at the counter, or None (the pad
    shows its welcome). That is the application concluded last at this window, if it was concluded today
    within PAD_OFFER, is not rated yet, and the window has called no ticket since (a call means the next
    visitor is at the counter). An older or rated case is never offered in its place."""
    # Queueing builds on applications: its model is imported here, not at the top (no import cycle).
    from jiedao.queueing.models import Ticket

    at = _now(now)
    latest = (
        Application.objects.filter(window=window, concluded_at__isnull=False)
        .select_related(
            "item", "rating"
        )  # the rating, if any, in the same read: the pad asks every few seconds
        .order_by("-concluded_at", "-pk")
        .first()
    )
    if (
        latest is None
        or latest.concluded_at <= at - PAD_OFFER
        or timezone.localdate(latest.concluded_at) != timezone.localdate(at)
        or hasattr(latest, "rating")
        or Ticket.objects.filter(called_window=window, announced_at__gt=latest.concluded_at).exists()
    ):
        return None
    return latest


# --- 评价器 pairing: the pad at a window is a paired device, never a staff login ---

PAD_PAIRING_TTL = dt.timedelta(minutes=10)
# A paired pad works for a year without anyone signing in; a device lost or taken out of use without 解除配对
# stops by itself after that.
PAD_DEVICE_TTL = dt.timedelta(days=365)
# The pad asks every 5 seconds; "last seen" is written at most once a minute.
PAD_SEEN_EVERY = dt.timedelta(minutes=1)


def pad_pairing_start(*, actor, window: ServiceWindow) -> str:
    """A single-use pairing link's token for `window`, valid PAD_PAIRING_TTL: the window's page shows it as a
    link and a QR code for the device to open. Only its hash is kept."""
    require(actor, "applications.change_servicewindow", window)
    if not window.is_active:
        raise ServiceError(_("该窗口已停用，不能配对评价器。"), code="inactive")
    token = devices.new_token()
    at = timezone.now()
    with transaction.atomic():
        device = PadDevice.objects.create(
            window=window,
            link_hash=devices.token_hash(token),
            link_expires_at=at + PAD_PAIRING_TTL,
            created_by=actor,
            created_at=at,
        )
        audit.record(
            events.PAD_PAIRING_ISSUED,
            actor=actor,
            target=window,
            after={"pad": device.pk, "link_expires_at": device.link_expires_at},
        )
    return token


def pad_pairing_url(token: str) -> str:
    return public_url("applications:pad_pair", token)


def _pad_link(token: str, *, lock: bool = False) -> PadDevice:
    """The pairing link's record, or a Chinese refusal: unknown, used, expired, or the window stopped."""
    device = devices.find_by_link(PadDevice.objects.select_related("window__org"), token, lock=lock)
    if device is None:
        raise ServiceError(_("配对链接无效，请窗口管理员重新生成配对链接。"), code="bad_link")
    if devices.link_used(device):
        raise ServiceError(_("该配对链接已使用，不能再次使用，请窗口管理员重新生成配对链接。"), code="used")
    if devices.link_expired(device):
        raise ServiceError(
            _("该配对链接已过期（10 分钟内有效），请窗口管理员重新生成配对链接。"), code="expired"
        )
    if not device.window.is_active:
        raise ServiceError(_("该窗口已停用，不能配对评价器。"), code="inactive")
    return device


def pad_pairing_window(token: str) -> ServiceWindow:
    """The window a pairing link would pair this device with (the device confirms before pairing)."""
    return _pad_link(token).window


def pad_pair(*, token: str) -> tuple[PadDevice, str]:
    """The device confirms the pairing link: the link is used up and the device gets a random token of its
    own (returned once, for its cookie; only the hash is kept) that works at that window only."""
    with transaction.atomic():
        device = _pad_link(token, lock=True)
        device_token, at = devices.use_link(device)
        # The device has no account: the pairing is done on the authority of who made the link.
        audit.record(
            events.PAD_PAIRED,
            actor=device.created_by,
            target=device.window,
            after={"pad": device.pk, "paired_at": at},
        )
    return device, device_token


def pad_device(*, token: str, window_pk: int) -> PadDevice | None:
    """The paired, unrevoked, unexpired device whose cookie holds `token`, if it is `window_pk`'s pad; notes
    when it was last seen."""
    return devices.find_by_cookie(
        PadDevice.objects.filter(window_id=window_pk).select_related("window"),
        token,
        lifetime=PAD_DEVICE_TTL,
        seen_every=PAD_SEEN_EVERY,
    )


def pad_devices_paired(window: ServiceWindow):
    """The window's working pads (paired, not revoked, not expired), first paired first."""
    return (
        window.pad_devices.filter(paired_at__gt=timezone.now() - PAD_DEVICE_TTL, revoked_at__isnull=True)
        .select_related("created_by")
        .order_by("paired_at", "pk")
    )


def pad_revoke(*, actor, device: PadDevice) -> PadDevice:
    """解除配对: the device's cookie stops working at once; the device shows that it is not paired."""
    require(actor, "applications.change_servicewindow", device.window)
    with transaction.atomic():
        locked = PadDevice.objects.select_for_update().select_related("window").get(pk=device.pk)
        if locked.paired_at is None or locked.revoked_at is not None:
            raise ServiceError(_("该评价器已解除配对。"), code="revoked")
        locked.revoked_at, locked.revoked_by = timezone.now(), actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(
            events.PAD_REVOKED,
            actor=actor,
            target=locked.window,
            before={"pad": locked.pk, "paired_at": locked.paired_at, "last_seen_at": locked.last_seen_at},
        )
    return locked


def rated_staff(application: Application):
    """Who a rating of the application is about: the staff member the applicant dealt with at the window —
    who registered it (walk-in) or accepted it (online); else who concluded it, or — when its process
    concluded it (a timer step has no actor) — the staff member who last completed a step of the process.
    Active users only."""
    for action in (EventAction.REGISTERED, EventAction.ACCEPTED):
        event = (
            application.events.filter(action=action, actor__isnull=False, actor__is_active=True)
            .select_related("actor")
            .order_by("id")
            .first()
        )
        if event is not None:
            return event.actor
    if application.concluded_by_id and application.concluded_by.is_active:
        return application.concluded_by
    return processing.last_human_actor(application)


LEADER_ROLE = "subdistrict-leader"


def _business_staff():
    """Active users holding no separated admin duty (系统管理员、安全管理员、审计员)."""
    from jiedao.accounts.models import Role, User

    admin_roles = Role.objects.filter(is_active=True).exclude(admin_duty="")
    admins = User.objects.filter(roles__in=admin_roles).values("pk")
    return User.objects.filter(is_active=True).exclude(pk__in=admins)


def _holding(users, permission: str):
    app_label, codename = permission.split(".", 1)
    return users.filter(
        roles__is_active=True,
        roles__permissions__codename=codename,
        roles__permissions__content_type__app_label=app_label,
    )


def _rectification_owner(rating: Rating, application: Application):
    """整改责任人: the staff member rated; else the item's chief representative (首席代表, by name, within
    the item's org); else a leader of the item's org (or of the nearest org above it that has one)."""
    if rating.staff_id and rating.staff.is_active:
        return rating.staff
    item = application.item
    org = item.org
    staff = _business_staff()
    if item.chief_representative:
        chief = staff.filter(
            full_name=item.chief_representative.strip(), org__path__startswith=org.path
        ).order_by("pk")
        if chief.count() == 1:
            return chief.get()
    for node in [org, *reversed(list(org.ancestors()))]:
        at_node = staff.filter(org=node)
        leader = (
            at_node.filter(roles__is_active=True, roles__code=LEADER_ROLE).order_by("username").first()
            or _holding(at_node, "applications.approve_extension").order_by("username").first()
        )
        if leader is not None:
            return leader
    return None


@in_records_language
def _rectification_open(rating: Rating, application: Application) -> Rectification:
    rectification = Rectification.objects.create(
        org=application.org,
        rating=rating,
        responsible=_rectification_owner(rating, application),
        department=application.item.department,
    )
    clock = clocks.clock_start(
        actor=None,
        target=rectification,
        kind=RECTIFICATION_CLOCK,
        rule=CountingRule.WORKING_DAYS,
        limit=int(get_parameter("applications.rectification_days")),
        org=application.org,
    )
    rectification.due_at = clock.due_at
    rectification.save(update_fields=["due_at"])
    audit.record(
        events.RECTIFICATION_OPENED,
        actor_name=SYSTEM,
        target=rectification,
        after={"responsible": rectification.responsible_id},
    )
    return rectification


def rectification_close(
    *, actor, rectification: Rectification, measures: str, return_visit: str, feedback: str
) -> Rectification:
    require(actor, "applications.change_rectification", rectification)
    measures, return_visit, feedback = (
        s.strip() for s in (measures or "", return_visit or "", feedback or "")
    )
    errors: dict[str, list[str]] = {}
    if not measures:
        errors["measures"] = [_("请填写整改措施。")]
    if not return_visit:
        errors["return_visit"] = [_("请填写回访记录。")]
    if not feedback:
        errors["feedback"] = [_("请填写反馈给评价人的内容。")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        locked = Rectification.objects.select_for_update().get(pk=rectification.pk)
        if locked.status != RectificationStatus.OPEN:
            raise ServiceError(_("该整改已办结。"), code="bad_status")
        with records_language():
            clock = clocks.clock_for(locked)
            if clock is not None and clock.stopped_at is None:
                clocks.clock_stop(actor=actor, clock=clock)
            locked.measures, locked.return_visit, locked.feedback = measures, return_visit, feedback
            locked.status, locked.closed_at, locked.closed_by = (
                RectificationStatus.CLOSED,
                timezone.now(),
                actor,
            )
            locked.save()
            audit.record(events.RECTIFICATION_CLOSED, actor=actor, target=locked)
            application = locked.rating.application
            try:
                parsed = parse_phone(application.applicant_phone)
            except InvalidNumber:
                parsed = None
            if parsed is not None and parsed.kind == "mobile":
                sms_queue(
                    actor=actor,
                    phone=parsed.national,
                    body=_("关于您对“%(item)s”的评价，我们已整改：%(feedback)s")
                    % {"item": application.item.name, "feedback": feedback[:300]},
                    org=locked.org,
                    purpose="applications.rectification",
                    dedupe_key=f"applications.rectification.{locked.pk}",
                )
    rectification.refresh_from_db()
    return locked


# --- public notices and objections -------------------------------------------------------------------------


def _notice_subject(application: Application) -> tuple[str, str]:
    """(the applicant as a notice names them: masked name, with the enterprise; their community or "")
    — so notices of the same item can be told apart, without identity numbers."""
    who = crypto.mask_name(application.applicant_name)
    if application.enterprise_name:
        who = f"{application.enterprise_name}（{who}）"
    person = processing.applicant_person(application)
    community = None
    if person is not None and person.org.path.startswith(application.org.path):
        community = person.org.community()
    community = community or (application.community if application.community_id else None)
    return who, community.name if community is not None else ""


def _notice_title(application: Application, who: str, community: str, *, proposed: bool) -> str:
    # The title says "…%(item)s申请…": an item named "…申请" (最低生活保障（低保）申请) is named without it, or the
    # notice read "最低生活保障（低保）申请申请拟办理结果的公示".
    item = application.item.name
    item = item.removesuffix("申请") or item
    values = {"who": who, "community": community, "item": item}
    if proposed:
        title = (
            _("关于%(community)s%(who)s%(item)s申请拟办理结果的公示")
            if community
            else _("关于%(who)s%(item)s申请拟办理结果的公示")
        )
    else:
        title = (
            _("关于%(community)s%(who)s%(item)s申请办理结果的公示")
            if community
            else _("关于%(who)s%(item)s申请办理结果的公示")
        )
    return (title % values)[:200]


@in_records_language
def _notice_publish(application: Application, *, actor, at: dt.datetime) -> PublicNotice:
    days = int(get_parameter("applications.notice_days"))
    who, community = _notice_subject(application)
    body = _(
        "申请人：%(who)s\n居住社区：%(community)s\n事项：%(item)s\n办理结果：准予\n办结日期：%(date)s\n"
        "公示期内，如对上述结果有异议，可在本页提出，我们将核实处理。"
    ) % {
        "who": who,
        "community": community or "—",
        "item": application.item.name,
        "date": at.astimezone(CHINA_TZ).strftime("%Y-%m-%d"),
    }
    notice = PublicNotice.objects.create(
        org=application.org,
        created_by=actor if getattr(actor, "pk", None) else None,
        application=application,
        title=_notice_title(application, who, community, proposed=False),
        body=body,
        starts_at=at,
        ends_at=at + dt.timedelta(days=days),
    )
    audit.record(events.NOTICE_PUBLISHED, actor=actor, actor_name="" if actor else SYSTEM, target=notice)
    _event(application, EventAction.NOTICE_PUBLISHED, actor=actor, note=_notice_event_note(notice), at=at)
    return notice


def notice_publish_proposed(
    application: Application, *, actor, at: dt.datetime | None = None, days: int | None = None
) -> PublicNotice:
    """公示 of a proposed result during processing (e.g. 低保: after the sub-district review, before the
    decision), masked names only. Called by the `applications.publish_notice` workflow action; the
    conclusion then publishes nothing more."""
    at = _now(at)
    days = int(days or get_parameter("applications.notice_days"))
    existing = PublicNotice.objects.filter(application=application).first()
    if existing is not None:
        return existing
    return _notice_publish_proposed(application, actor=actor, at=at, days=days)


@in_records_language
def _notice_publish_proposed(application: Application, *, actor, at: dt.datetime, days: int) -> PublicNotice:
    who, community = _notice_subject(application)
    body = _(
        "申请人：%(who)s\n居住社区：%(community)s\n事项：%(item)s\n拟办理结果：准予\n"
        "公示期：%(start)s 至 %(end)s\n"
        "公示期内，如对上述拟办理结果有异议，可在本页提出，我们将核实处理。"
    ) % {
        "who": who,
        "community": community or "—",
        "item": application.item.name,
        "start": at.astimezone(CHINA_TZ).strftime("%Y-%m-%d"),
        "end": (at + dt.timedelta(days=days)).astimezone(CHINA_TZ).strftime("%Y-%m-%d"),
    }
    notice = PublicNotice.objects.create(
        org=application.org,
        created_by=actor if getattr(actor, "pk", None) else None,
        application=application,
        title=_notice_title(application, who, community, proposed=True),
        body=body,
        starts_at=at,
        ends_at=at + dt.timedelta(days=days),
    )
    audit.record(events.NOTICE_PUBLISHED, actor=actor, actor_name="" if actor else SYSTEM, target=notice)
    _event(application, EventAction.NOTICE_PUBLISHED, actor=actor, note=_notice_event_note(notice), at=at)
    return notice


def _notice_event_note(notice: PublicNotice) -> Message:
    """What the applicant's history says of a notice: that their case is on public display, and until when."""
    return Message(
        gettext_noop("公示期 %(start)s 至 %(end)s，可在“结果公示”中查看。"),
        start=notice.starts_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d"),
        end=notice.ends_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d"),
    )


def notice_is_open(notice: PublicNotice, now: dt.datetime | None = None) -> bool:
    now = _now(now)
    return (
        notice.archived_at is None
        and notice.objections_closed_at is None
        and notice.starts_at <= now <= notice.ends_at
    )


OBJECTION_WINDOW = dt.timedelta(hours=1)
OBJECTION_RETRY_AFTER = int(OBJECTION_WINDOW.total_seconds())


def objection_file(
    *,
    notice: PublicNotice,
    name: str,
    phone: str,
    content: str,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> Objection:
    """An objection during the notice period becomes a task for the staff member who concluded it.
    Each address may file `applications.objection_limit` objections an hour: every attempt is counted in
    the cache (as the tracking look-up), and the objections filed are counted in the database, which holds
    the limit across server processes and at the turn of the hour too."""
    if not notice_is_open(notice, now):
        raise ServiceError(_("公示期已结束，不能再提出异议。"), code="notice_closed")
    limit = int(get_parameter("applications.objection_limit"))
    address = ip or "unknown"
    ip_key = crypto.blind_index(f"objection-ip:{address}")
    filed = Objection.objects.filter(ip_hash=ip_key, created_at__gt=timezone.now() - OBJECTION_WINDOW)
    if (
        not ratelimit.attempt("objection", address, limit=limit, window=OBJECTION_WINDOW)
        or filed.count() >= limit
    ):
        raise RateLimited(_("提交异议过于频繁，请 1 小时后再试。"), retry_after=OBJECTION_RETRY_AFTER)
    content = (content or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        name = clean_person_name(name)
    except InvalidNumber as error:
        errors["name"] = [error.message]
    if not content or len(content) > 2000:
        errors["content"] = [_("请填写异议内容（不超过 2000 字）。")]
    try:
        national = _phone(phone).national
    except ValidationFailed as error:
        errors.update(error.errors)
        national = ""
    if errors:
        raise ValidationFailed(errors)
    masked = crypto.mask_phone(national)
    with transaction.atomic():
        # The notice row is the lock: the process weighing the objections takes it too, so an objection is
        # either weighed or refused, never saved unseen; and a double click files one objection.
        notice = PublicNotice.objects.select_for_update().get(pk=notice.pk)
        if not notice_is_open(notice, now):
            raise ServiceError(_("公示期已结束，不能再提出异议。"), code="notice_closed")
        if Objection.objects.filter(
            notice=notice,
            content=content,
            phone_masked=masked,
            created_at__gt=timezone.now() - OBJECTION_WINDOW,
        ).exists():
            raise ServiceError(_("您已提交过相同的异议，我们将核实处理，请勿重复提交。"), code="duplicate")
        objection = Objection.objects.create(
            notice=notice,
            name=name,
            phone=national,
            phone_masked=masked,
            content=content,
            ip_hash=ip_key,
        )
        task = ObjectionTask.objects.create(
            org=notice.org,
            objection=objection,
            # After conclusion: who concluded; during processing (a proposed result): who published it.
            assignee=notice.application.concluded_by or notice.created_by,
        )
        audit.record(events.OBJECTION_FILED, actor_name=SYSTEM, target=task)
    return objection


def objection_resolve(*, actor, task: ObjectionTask, answer: str) -> ObjectionTask:
    require(actor, "applications.change_objectiontask", task)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationFailed({"answer": [_("请填写处理结果。")]})
    with transaction.atomic():
        locked = ObjectionTask.objects.select_for_update().select_related("objection__notice").get(pk=task.pk)
        if locked.resolved_at is not None:
            raise ServiceError(_("该异议已处理。"), code="bad_status")
        _objection_answer(locked, actor=actor, answer=answer, at=timezone.now())
    task.refresh_from_db()
    return locked


def objections_resolve_by_process(
    application: Application, *, actor, answer: str, at: dt.datetime | None = None
) -> int:
    """The process's objection review (异议核实) concluded: every open objection to the application's notice is
    resolved with the step's opinion, and each objector who gave a mobile number is told. No permission check
    of its own: the deployed process is the authority (the `applications.resolve_objections` action, in the
    engine's step). Returns how many were resolved."""
    answer = (answer or "").strip() or _("经核实，已作出处理。")
    at = _now(at)
    tasks = (
        ObjectionTask.objects.select_for_update()
        .select_related("objection__notice")
        .filter(objection__notice__application=application, resolved_at__isnull=True)
        .order_by("id")
    )
    resolved = 0
    for task in tasks:
        _objection_answer(task, actor=actor, answer=answer, at=at)
        resolved += 1
    return resolved


@in_records_language
def _objection_answer(task: ObjectionTask, *, actor, answer: str, at: dt.datetime) -> None:
    """Resolve one (locked) objection task and text the objector the answer."""
    task.answer, task.resolved_at = answer[:2000], at
    task.resolved_by = actor if getattr(actor, "pk", None) else None
    task.save()
    audit.record(
        events.OBJECTION_RESOLVED, actor=actor, actor_name="" if task.resolved_by else SYSTEM, target=task
    )
    objection = task.objection
    try:
        parsed = parse_phone(objection.phone or "")
    except InvalidNumber:
        return
    if parsed.kind != "mobile":
        return
    sms_queue(
        actor=actor if task.resolved_by else None,
        phone=parsed.national,
        body=(
            _("您对“%(title)s”提出的异议已核实处理：%(answer)s")
            % {"title": objection.notice.title, "answer": answer[:300]}
        ),
        org=task.org,
        purpose="applications.objection_resolved",
        dedupe_key=f"applications.objection.{objection.pk}",
    )


def notices_archive_run(*, now: dt.datetime | None = None) -> int:
    """Archive every notice whose period has ended."""
    now = _now(now)
    archived = 0
    for notice in PublicNotice.objects.filter(archived_at__isnull=True, ends_at__lt=now).order_by("id"):
        with transaction.atomic():
            if PublicNotice.objects.filter(pk=notice.pk, archived_at__isnull=True).update(archived_at=now):
                audit.record(events.NOTICE_ARCHIVED, actor_name=SYSTEM, target=notice)
                archived += 1
    return archived


# --- service windows ---------------------------------------------------------------------------------------

WINDOW_NUMBER_MAX = 20
WINDOW_NAME_MAX = 100
WINDOW_AUDIT_FIELDS = ["org", "number", "name", "is_active"]


def window_staff_candidates(actor, *, permission: str, org=None, keep=()):
    """Who may work at a window: active business staff (no separated admin duty) within the orgs `actor`
    reaches with `permission` and, when given, within `org`'s subtree — and, whatever their org, the users
    in `keep` (who already work there) when they are in scope."""
    users = _staff_in_scope(actor, permission)
    if org is not None:
        users = users.filter(Q(org__path__startswith=org.path) | Q(pk__in=keep))
    return users.select_related("org").order_by("org__path", "username")


def _window_snapshot(window: ServiceWindow) -> dict:
    return {
        **audit.snapshot(window, WINDOW_AUDIT_FIELDS),
        "staff": sorted(window.staff.values_list("pk", flat=True)),
    }


def _duplicate_window_number(number: str) -> ValidationFailed:
    return ValidationFailed(
        {"number": [_("本单位已有窗口号为“%(number)s”的窗口。") % {"number": number}]},
        code="duplicate_number",
    )


def _clean_window(*, org, number: str, name: str, staff, exclude_pk=None):
    """The stripped number and name and the staff users; `ValidationFailed` with every field's message."""
    number, name = (number or "").strip(), (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not number:
        errors["number"] = [_("请填写窗口号。")]
    elif len(number) > WINDOW_NUMBER_MAX:
        errors["number"] = [_("窗口号不能超过 %(n)s 个字。") % {"n": WINDOW_NUMBER_MAX}]
    elif ServiceWindow.objects.filter(org=org, number=number).exclude(pk=exclude_pk).exists():
        errors["number"] = _duplicate_window_number(number).errors["number"]
    if not name:
        errors["name"] = [_("请填写窗口名称。")]
    elif len(name) > WINDOW_NAME_MAX:
        errors["name"] = [_("窗口名称不能超过 %(n)s 个字。") % {"n": WINDOW_NAME_MAX}]
    staff_ids = {getattr(user, "pk", user) for user in (staff or [])}
    users = list(_business_staff().filter(pk__in=staff_ids, org__path__startswith=org.path))
    if len(users) != len(staff_ids):
        errors["staff"] = [_("窗口人员须为本单位及下级单位的在岗业务工作人员。")]
    if errors:
        raise ValidationFailed(errors)
    return number, name, users


def window_create(*, actor, org, number: str, name: str, staff=()) -> ServiceWindow:
    """A numbered service window of `org` and the staff who work at it."""
    require(actor, "applications.add_servicewindow", org)
    number, name, users = _clean_window(org=org, number=number, name=name, staff=staff)
    try:
        with transaction.atomic():
            window = ServiceWindow.objects.create(org=org, created_by=actor, number=number, name=name)
            window.staff.set(users)
            audit.record(events.WINDOW_CREATED, actor=actor, target=window, after=_window_snapshot(window))
    except IntegrityError:
        # Someone added the same number between the check and the insert.
        raise _duplicate_window_number(number) from None
    return window


def window_update(
    *, actor, window: ServiceWindow, number: str, name: str, staff=(), is_active: bool = True
) -> ServiceWindow:
    """Renumber or rename a window, change who works there, or take it out of service (is_active): refused
    while it serves a visitor or is the last working window of a line with visitors waiting
    (`queueing.services.window_stop_check`)."""
    require(actor, "applications.change_servicewindow", window)
    number, name, users = _clean_window(
        org=window.org, number=number, name=name, staff=staff, exclude_pk=window.pk
    )
    try:
        with transaction.atomic():
            locked = ServiceWindow.objects.select_for_update().get(pk=window.pk)
            if locked.is_active and not is_active:
                # Queueing builds on applications: imported here, not at the top (no import cycle).
                from jiedao.queueing.services import window_stop_check

                window_stop_check(locked)
            before = _window_snapshot(locked)
            locked.number, locked.name, locked.is_active = number, name, bool(is_active)
            locked.save()
            locked.staff.set(users)
            audit.record(
                events.WINDOW_UPDATED,
                actor=actor,
                target=locked,
                before=before,
                after=_window_snapshot(locked),
            )
    except IntegrityError:
        raise _duplicate_window_number(number) from None
    window.refresh_from_db()
    return locked
