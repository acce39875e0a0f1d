"""Demo data of the service hall: permissions of the demo roles (applications, 首问登记, 代办, 好差评统计
and 差评整改), the comprehensive service window of each sub-district, and one 低保 application submitted
online by a demo resident and accepted at the window, so that `shequ` (柳浪社区) finds the household
verification task in the inbox. Then 容缺受理 as a window meets it — a 居住证 application whose lease was
supplied afterwards, one whose deadline passed with nothing supplied (容缺逾期), and the demo resident's own
临时救助 awaiting its hardship papers, which they can supply from their page — and a 居住证明 the demo
resident downloads from their page. Idempotent.

Needs the registry, catalog and workflow demos (loaded before this app by `manage.py demo`). The generic
processes of the catalog items are deployed here as well, since the workflow demo runs before the catalog
exists.
"""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from jiedao.accounts.models import Role, User
from jiedao.applications import certificates, services
from jiedao.applications.choices import OPEN_STATUSES
from jiedao.applications.models import Application, Resident, ServiceWindow
from jiedao.catalog.choices import CertificateKind
from jiedao.catalog.models import ServiceItem
from jiedao.core import crypto
from jiedao.core.demo import resolve_permissions
from jiedao.core.exceptions import ServiceError
from jiedao.orgs.models import OrgUnit
from jiedao.registry.identity import phone_hash
from jiedao.workcalendar.services import CHINA_TZ, current_calendar

SUBDISTRICT_CODE = "330110001000"  # 清波街道
COMMUNITY_CODE = "330110001001"  # 柳浪社区
DEMO_PHONE = "13957100001"
VISITOR_PHONE = "13957100002"  # a visitor the registry has no phone of
STAFF_VIEW = ("applications.view_application", "applications.view_publicnotice")
# 首问登记: the staff a visitor asks first (the window), and the departments inquiries are handed to, who
# must be able to acknowledge and answer them.
INQUIRIES = ("applications.view_inquiry", "applications.add_inquiry", "applications.change_inquiry")
INQUIRIES_RECEIVED = ("applications.view_inquiry", "applications.change_inquiry")
# 代办: assigning agents to enterprise projects (window staff and the sub-district leader).
AGENCY = ("applications.view_agencyassignment", "applications.add_agencyassignment")
# 好差评 statistics and 差评整改: the sub-district leader and the supervisor (纪工委 / 效能办).
RATINGS = ("applications.view_rating", "applications.view_rectification", "applications.change_rectification")
# 导出台账: the monthly 办件台账 sent to the district (window staff and the leaders who check it).
LEDGER = "applications.export_application"
ROLE_PERMISSIONS = {
    "window-staff": (
        *STAFF_VIEW,
        "applications.add_application",
        "applications.accept_application",
        "applications.conclude_application",
        "applications.extend_application",
        "applications.add_rating",
        "applications.change_resident",  # 换绑手机号 for a visitor who lost the old phone
        LEDGER,
        *INQUIRIES,
        *AGENCY,
    ),
    "subdistrict-leader": (
        *STAFF_VIEW,
        "applications.view_objectiontask",
        "applications.change_objectiontask",
        "applications.approve_extension",
        LEDGER,
        *AGENCY,
        *RATINGS,
        *INQUIRIES_RECEIVED,
        "applications.view_servicewindow",
        "applications.add_servicewindow",
        "applications.change_servicewindow",
    ),
    "supervisor": (*STAFF_VIEW, *RATINGS, LEDGER),
    "district-leader": (*STAFF_VIEW, LEDGER, "applications.view_rating", "applications.view_rectification"),
    "approver": (*STAFF_VIEW, *INQUIRIES_RECEIVED),
    "community-staff": STAFF_VIEW,
}
# The comprehensive window (综合受理窗口) of each sub-district's service center and who works there.
WINDOWS = [
    ("330110001000", "1号窗口", "综合受理", ("window",)),  # 清波街道
    ("330110002000", "1号窗口", "综合受理", ("window2",)),  # 望江街道
]
APPLICATION_FORM = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def load_permissions() -> None:
    for code, patterns in ROLE_PERMISSIONS.items():
        role = Role.objects.filter(code=code).first()
        if role is not None:
            role.permissions.add(*resolve_permissions(patterns))


def load_windows() -> list[ServiceWindow]:
    windows = []
    for code, number, name, usernames in WINDOWS:
        org = OrgUnit.objects.filter(division_code=code).first()
        if org is None:
            continue
        window, _created = ServiceWindow.objects.get_or_create(
            org=org, number=number, defaults={"name": name}
        )
        window.staff.add(*User.objects.filter(username__in=usernames))
        windows.append(window)
    return windows


def _demo_person():
    """A household head of 柳浪社区 without a 低保 tag (the first by household number)."""
    from jiedao.registry.models import Household, SpecialGroupTag

    community = OrgUnit.objects.filter(division_code=COMMUNITY_CODE).first()
    if community is None:
        return None
    tagged = SpecialGroupTag.objects.filter(group="dibao").values_list("person_id", flat=True)
    household = (
        Household.objects.filter(org__path__startswith=community.path, dissolved_on__isnull=True)
        .exclude(head__in=tagged)
        .select_related("head")
        .order_by("number")
        .first()
    )
    return household.head if household else None


def _resident(person) -> Resident:
    key = phone_hash(DEMO_PHONE)
    resident = Resident.objects.filter(phone_hash=key).first()
    if resident is None:
        from django.utils import timezone

        resident = Resident.objects.create(
            phone=DEMO_PHONE,
            phone_hash=key,
            phone_masked=crypto.mask_phone(DEMO_PHONE),
            real_name=person.name,
            id_number=person.id_number,
            id_number_hash=person.id_number_hash,
            id_number_masked=person.id_number_masked,
            person=person,
            verified_at=timezone.now(),
        )
    return resident


def load_dibao_application(stdout=None) -> Application | None:
    item = ServiceItem.objects.filter(process_key="dibao", org__division_code="330110001000").first()
    window = User.objects.filter(username="window").first()
    person = _demo_person()
    if item is None or window is None or person is None:
        return None
    resident = _resident(person)
    existing = Application.objects.filter(resident=resident, item=item).first()
    if existing is not None:
        return existing
    # A file for each required material, as the window checks them on acceptance: an accepted application
    # that the detail page says lacks its required materials would contradict itself.
    application = services.application_submit(resident=resident, item=item, uploads=_files(item))
    services.application_accept(actor=window, application=application)
    if stdout is not None:
        stdout.write(
            f"演示办件：{item.name}，申请人 {crypto.mask_name(person.name)}（群众账号 {DEMO_PHONE}），"
            f"查询码 {application.tracking_code}，待柳浪社区 shequ 入户核实"
        )
    return application


def _files(item, *, leaving_out=(), only=None) -> list[services.Upload]:
    """A file for each required material of `item` (or of those named in `only`) but those `leaving_out`."""
    materials = item.materials.filter(required=True).exclude(name__in=leaving_out).order_by("pk")
    if only is not None:
        materials = materials.filter(name__in=only)
    return [
        services.Upload(
            file=SimpleUploadedFile(f"{material.name}.pdf", APPLICATION_FORM, content_type="application/pdf"),
            label=material.name,
            material=material,
        )
        for material in materials
    ]


def _working_day(back: int, hour: int, minute: int = 0) -> dt.datetime:
    """`back` working days before today (0: today), at hour:minute Beijing time: the demo's records read as
    a week at a window, whatever day it is loaded."""
    calendar = current_calendar()
    day, left = timezone.localdate(), back
    while left:
        day -= dt.timedelta(days=1)
        left -= calendar.is_workday(day)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA_TZ)


def _deferred_materials(item, missing) -> list:
    return list(item.materials.filter(name__in=missing).order_by("pk"))


def _walk_in(window, item, person, *, missing, back: int):
    """A visitor registered and accepted with `missing` 容缺 `back` working days ago (deadline by the
    parameter); None when the item's materials are not 可容缺 (an office changed them)."""
    deferred = _deferred_materials(item, missing)
    if not deferred or not all(material.tolerable for material in deferred):
        return None
    at = _working_day(back, 9, 40)
    application = services.application_register_walk_in(
        actor=window,
        item=item,
        applicant_name=person.name,
        applicant_id_number=person.id_number,
        applicant_phone=person.phone or VISITOR_PHONE,
        delivery_method="window" if item.delivery_methods else "",
        uploads=_files(item, leaving_out=missing),
        at=at,
    )
    return services.application_accept(
        actor=window,
        application=application,
        at=at + dt.timedelta(minutes=12),
        deferral=services.Deferral(materials=deferred, committed=True),
    )


def _permit_applicants(item) -> list:
    """Migrants of the item's sub-district without a residence permit yet, adults, by registration order;
    not those applying already (a second application would be refused as a duplicate)."""
    from jiedao.registry.choices import IdKind, PersonStatus
    from jiedao.registry.models import Person

    adult = timezone.localdate() - dt.timedelta(days=365 * 20)
    return list(
        Person.objects.filter(
            org__path__startswith=item.org.path,
            status=PersonStatus.LIVING,
            id_kind=IdKind.CITIZEN,
            birth_date__lte=adult,
            migrant__permit_number="",
        )
        .exclude(
            id_number_hash__in=Application.objects.filter(item=item, status__in=OPEN_STATUSES).values(
                "applicant_id_hash"
            )
        )
        .order_by("id")[:2]
    )


def load_deferrals(stdout=None) -> list[Application]:
    """容缺受理 at 清波街道's window: two 居住证 applicants (lease supplied two days later; lease and job proof
    overdue) and the demo resident's 临时救助 (hardship papers to supply online)."""
    permit = ServiceItem.objects.filter(process_key="juzhuzheng", org__division_code=SUBDISTRICT_CODE).first()
    relief = ServiceItem.objects.filter(
        process_key="linshi_jiuzhu", org__division_code=SUBDISTRICT_CODE
    ).first()
    window = User.objects.filter(username="window").first()
    resident = Resident.objects.filter(phone_hash=phone_hash(DEMO_PHONE)).first()
    if permit is None or relief is None or window is None:
        return []
    lease, job = "房屋租赁合同或房产证明", "劳动合同、营业执照或就读证明（任选一项）"
    hardship = "困难情况证明（医疗费用票据、事故证明等）"
    made = []
    if not Application.objects.filter(item=permit, defer_committed=True).exists():
        people = _permit_applicants(permit)
        if len(people) == 2:
            supplied = _walk_in(window, permit, people[0], missing=[lease], back=4)
            if supplied is not None:
                services.application_supply_deferred(
                    actor=window,
                    application=supplied,
                    uploads=_files(permit, only=[lease]),
                    at=_working_day(2, 14, 20),
                )
                made.append((supplied, "容缺材料已于两个工作日前补齐"))
            overdue = _walk_in(window, permit, people[1], missing=[lease, job], back=7)
            if overdue is not None:
                made.append((overdue, "补交期限已过仍未补交（容缺逾期）"))
    deferred = _deferred_materials(relief, [hardship])
    if (
        resident is not None
        and deferred
        and deferred[0].tolerable
        and not Application.objects.filter(resident=resident, item=relief).exists()
    ):
        application = services.application_submit(
            resident=resident,
            item=relief,
            uploads=_files(relief, leaving_out=[hardship]),
            at=_working_day(1, 8, 30),
        )
        services.application_accept(
            actor=window,
            application=application,
            at=_working_day(1, 9, 15),
            deferral=services.Deferral(materials=deferred, committed=True),
        )
        made.append((application, f"待申请人补交，群众账号 {DEMO_PHONE} 可在“我的办件”中补交"))
    if stdout is not None:
        for application, state in made:
            stdout.write(
                f"演示容缺受理：{application.item.name}，申请人 {crypto.mask_name(application.applicant_name)}，"
                f"查询码 {application.tracking_code}，{state}"
            )
    return [application for application, _state in made]


def load_residence_certificate(stdout=None):
    """A 居住证明 the demo resident asked for at 柳浪社区's window three working days ago, on their page.

    The item is window-only; the window registers it with the resident's name and ID number, so it goes on
    their real-name account (线上线下一体) and the account has a certificate to download."""
    item = ServiceItem.objects.filter(
        certificate_kind=CertificateKind.RESIDENCE, org__division_code=COMMUNITY_CODE
    ).first()
    window = User.objects.filter(username="window").first()
    resident = Resident.objects.filter(phone_hash=phone_hash(DEMO_PHONE)).select_related("person").first()
    if item is None or window is None or resident is None or resident.person is None:
        return None
    application = Application.objects.filter(item=item, applicant_id_hash=resident.id_number_hash).first()
    if application is None:
        person = resident.person
        at = _working_day(3, 10)
        application = services.application_register_walk_in(
            actor=window,
            item=item,
            applicant_name=person.name,
            applicant_id_number=person.id_number,
            applicant_phone=DEMO_PHONE,
            delivery_method="window" if item.delivery_methods else "",
            uploads=_files(item),
            at=at,
        )
        # 即办件: accepting it concludes it (approved) on the spot
        application = services.application_accept(
            actor=window, application=application, at=at + dt.timedelta(minutes=5)
        )
    certificate = application.certificates.filter(revoked_at__isnull=True).first()
    if certificate is None:
        try:
            certificate = certificates.certificate_issue(
                actor=window,
                application=application,
                purpose="子女入学",
                at=application.concluded_at + dt.timedelta(minutes=3),
            )
        except ServiceError as refused:  # the registry no longer shows the resident living there
            if stdout is not None:
                stdout.write(f"演示居住证明未开具：{refused.message}")
            return None
    if stdout is not None:
        stdout.write(
            f"演示证明：{certificate.facts['title']} {certificate.number}，窗口办理的办件已归入"
            f"群众账号 {DEMO_PHONE}，可在“我的办件”中查看并下载"
        )
    return certificate


@transaction.atomic
def load(stdout=None) -> None:
    from jiedao.workflow import demo as workflow_demo

    load_permissions()
    load_windows()
    workflow_demo.load_permissions()
    if workflow_demo.load_processes(stdout):
        workflow_demo.load_item_processes(stdout)
        load_dibao_application(stdout)
        load_deferrals(stdout)
        load_residence_certificate(stdout)
