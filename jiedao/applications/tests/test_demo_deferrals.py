"""The demo shows 容缺受理 (supplied, awaited, overdue) and gives the demo resident a 居住证明 to download from
their own page; running it again adds nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from jiedao.applications import demo
from jiedao.applications.choices import ApplicationStatus
from jiedao.applications.models import Application, Certificate, Resident
from jiedao.applications.selectors import deferral_outstanding, deferral_overdue
from jiedao.applications.tests.factories import resident_client
from jiedao.catalog import demo as catalog_demo
from jiedao.core import demo as core_demo
from jiedao.orgs.models import OrgUnit
from jiedao.registry import services as registry
from jiedao.registry.tests import factories as people
from jiedao.workflow import demo as workflow_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(settings, tmp_path):
    """The demo on a registry of one household head in 柳浪社区 and two newly arrived migrants."""
    settings.MEDIA_ROOT = tmp_path
    core_demo.load()
    community = OrgUnit.objects.get(division_code=demo.COMMUNITY_CODE)
    clerk = people.staff(community)
    head = people.person(
        clerk,
        community,
        name="周桂芳",
        id_number=people.new_id_number(dt.date(1958, 2, 3)),
        residence_address="柳浪路 1 号 3 幢 201 室",
    )
    registry.household_create(
        actor=clerk, org=community, number="330110001001-9001", registered_address="柳浪路 1 号", head=head
    )
    for name, born in (("吴晓燕", dt.date(1994, 8, 1)), ("高建军", dt.date(1988, 1, 9))):
        migrant = people.person(clerk, community, name=name, id_number=people.new_id_number(born))
        registry.migrant_register(
            actor=clerk,
            person=migrant,
            data=registry.MigrantData(origin_address="安徽省阜阳市", arrival_date=dt.date(2026, 3, 1)),
        )
    workflow_demo.load()
    catalog_demo.load()
    out = io.StringIO()
    demo.load(stdout=out)
    again = io.StringIO()
    demo.load(stdout=again)
    return out.getvalue(), again.getvalue()


def test_deferrals_supplied_awaited_and_overdue_once(loaded):
    out, again = loaded
    deferred = Application.objects.filter(defer_committed=True)
    assert deferred.count() == 3  # the second run added none
    supplied = deferred.get(applicant_name="吴晓燕")
    assert not supplied.deferred_materials.filter(supplied_at__isnull=True).exists()
    assert [application.applicant_name for application in deferral_overdue(deferred)] == ["高建军"]
    awaited = deferral_outstanding(deferred).exclude(pk__in=deferral_overdue(deferred)).get()
    assert awaited.resident.phone_masked == "139****0001" and awaited.item.name == "临时救助（困难救助）申请"
    assert all(application.status == ApplicationStatus.ACCEPTED for application in deferred)
    assert out.count("演示容缺受理") == 3 and "容缺逾期" in out
    assert "演示容缺受理" not in again

    page = resident_client(awaited.resident).get(f"/hall/me/applications/{awaited.pk}/").content.decode()
    assert "困难情况证明" in page and "补交容缺材料</button>" in page


def test_the_demo_resident_downloads_a_residence_certificate_from_their_page(loaded):
    out, again = loaded
    certificate = Certificate.objects.get()  # issued once
    application = certificate.application
    resident = Resident.objects.get(phone_hash=demo.phone_hash(demo.DEMO_PHONE))
    assert application.resident == resident and application.item.name == "居住证明开具"
    assert application.status == ApplicationStatus.CONCLUDED_APPROVED
    assert certificate.facts["holder"] == "周桂芳" and "柳浪社区" in certificate.facts["address"]

    browser = resident_client(resident)
    assert "居住证明开具" in browser.get("/hall/me/").content.decode()
    page = browser.get(f"/hall/me/applications/{application.pk}/").content.decode()
    assert certificate.number in page and "下载居住证明（PDF）" in page
    assert "窗口办理" in page  # registered at the window, on the account by the resident's real name
    response = browser.get(f"/hall/me/applications/{application.pk}/certificates/{certificate.pk}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert certificate.number in out and certificate.number in again  # how to see it, on every run
