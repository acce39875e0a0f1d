"""Demo data of the service hall: permissions of the demo roles (applications, 首问登记, 代办, 好差评统计
and 差评整改), the comprehensive service window of each sub-district, and one 低保 application submitted
online by a demo resident and accepted at the window, so that `shequ` (柳浪社区) finds the household
verification task in the inbox. Idempotent.

Needs the registry, catalog and workflow demos (loaded before this app by `manage.py demo`). The generic
processes of the catalog items are deployed here as well, since the workflow demo runs before the catalog
exists.
"""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from jiedao.accounts.models import Role, User
from jiedao.applications import services
from jiedao.applications.models import Application, Resident, ServiceWindow
from jiedao.catalog.models import ServiceItem
from jiedao.core import crypto
from jiedao.core.demo import resolve_permissions
from jiedao.orgs.models import OrgUnit
from jiedao.registry.identity import phone_hash

COMMUNITY_CODE = "330110001001"  # 柳浪社区
DEMO_PHONE = "13957100001"
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
    uploads = [
        services.Upload(
            file=SimpleUploadedFile(f"{material.name}.pdf", APPLICATION_FORM, content_type="application/pdf"),
            label=material.name,
            material=material,
        )
        for material in item.materials.filter(required=True).order_by("pk")
    ]
    application = services.application_submit(resident=resident, item=item, uploads=uploads)
    services.application_accept(actor=window, application=application)
    if stdout is not None:
        stdout.write(
            f"演示办件：{item.name}，申请人 {crypto.mask_name(person.name)}（群众账号 {DEMO_PHONE}），"
            f"查询码 {application.tracking_code}，待柳浪社区 shequ 入户核实"
        )
    return application


@transaction.atomic
def load(stdout=None) -> None:
    from jiedao.workflow import demo as workflow_demo

    load_permissions()
    load_windows()
    workflow_demo.load_permissions()
    if workflow_demo.load_processes(stdout):
        workflow_demo.load_item_processes(stdout)
        load_dibao_application(stdout)
