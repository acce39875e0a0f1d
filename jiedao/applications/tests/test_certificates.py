"""居住证明: printed by the window for an approved application of a certificate item, filled from the registry;
numbered per issuing org and year; a reprint is identical; revocable; checked by anyone at /verify/<code> with
the holder's name masked; refused with a Chinese message when the registry does not show the applicant living
in the community; out of reach of another community's clerk."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from jiedao.applications import certificates, services
from jiedao.applications.choices import Outcome
from jiedao.applications.models import Application, Certificate
from jiedao.applications.tests.factories import (
    CLERK_PERMISSIONS,
    local,
    make_item,
    make_resident,
    submit,
    uploads,
)
from jiedao.applications.tests.pdftext import pdf_text
from jiedao.applications.tests.test_residents import resident_client
from jiedao.audit.models import AuditEvent
from jiedao.catalog.choices import CertificateKind
from jiedao.core.exceptions import OutOfScope, ServiceError
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.registry import services as registry
from jiedao.registry.tests import factories as people

pytestmark = pytest.mark.django_db

ISSUED = local(2026, 12, 7, 10)


@pytest.fixture
def clerk(tree):
    return make_user(tree.community_a1, *CLERK_PERMISSIONS)


@pytest.fixture
def item(tree):
    return make_item(tree.community_a1, name="居住证明开具", certificate_kind=CertificateKind.RESIDENCE)


@pytest.fixture
def registrar(tree):
    return people.staff(tree.district)


@pytest.fixture
def resident(tree, registrar):
    """王秀明, moved into 甲一社区 (幸福路12号3幢2单元301室) on 2019-03-15."""
    house = people.house(registrar, tree.grid_a1)
    return registry.person_move_in(
        actor=registrar,
        data=registry.PersonData(
            name="王秀明", id_number=people.new_id_number(), org=tree.grid_a1, house=house
        ),
        moved_on=dt.date(2019, 3, 15),
        origin="江西省南昌市",
    )


def approved(clerk, item, person=None, *, name=None, id_number=None) -> Application:
    application = services.application_register_walk_in(
        actor=clerk,
        item=item,
        applicant_name=name or person.name,
        applicant_id_number=id_number or person.id_number,
        applicant_phone="13800138000",
        uploads=uploads(),
        at=local(2026, 12, 7, 9),
    )
    services.application_accept(actor=clerk, application=application, at=local(2026, 12, 7, 9, 10))
    services.application_conclude(
        actor=clerk, application=application, outcome=Outcome.APPROVED, at=local(2026, 12, 7, 9, 20)
    )
    application.refresh_from_db()
    return application


def text_of(certificate) -> str:
    return pdf_text(certificates.render_pdf(certificate)).replace("\n", "")


class TestTheCertificate:
    def test_it_says_who_lives_where_since_when_under_which_number(self, clerk, item, resident):
        application = approved(clerk, item, resident)
        certificate = certificates.certificate_issue(
            actor=clerk, application=application, purpose="子女入学", at=ISSUED
        )
        text = text_of(certificate)
        for expected in (
            "居住证明",
            "〔2026〕甲一居证字第 0001 号",
            f"兹证明王秀明（公民身份号码：{resident.id_number}）自2019年3月起居住在"
            "测试区甲街道甲一社区幸福路12号3幢2单元301，情况属实。",
            "特此证明。",
            "用途：子女入学",
            "有效期：三个月（自开具之日起至2027年3月6日止）",
            "甲一社区",
            "2026年12月7日",
            "（盖章）",
            f"查验码：{certificate.code}",
            f"/verify/{certificate.code}",
        ):
            assert expected in text, expected
        assert AuditEvent.objects.filter(
            event_name="applications.certificate.issued", message__contains=certificate.number
        ).exists()

    def test_a_reprint_is_identical_after_the_registry_and_the_org_changed(
        self, clerk, item, resident, registrar, tree
    ):
        application = approved(clerk, item, resident)
        certificate = certificates.certificate_issue(actor=clerk, application=application, at=ISSUED)
        first = certificates.render_pdf(certificate)
        resident.house = people.house(registrar, tree.grid_a1, room="502")
        resident.save()
        tree.community_a1.name = "甲一社区（更名）"
        tree.community_a1.save()
        again = certificates.render_pdf(Certificate.objects.get(pk=certificate.pk))
        assert again == first
        assert "2单元301，" in pdf_text(again).replace("\n", "") and "（更名）" not in pdf_text(again)

    def test_the_staff_page_issues_and_prints_it(self, clerk, item, resident):
        application = approved(clerk, item, resident)
        browser = client_for(clerk)
        page = browser.get(f"/hall/staff/applications/{application.pk}/").content.decode()
        assert "开具居住证明" in page
        response = browser.post(
            f"/hall/staff/applications/{application.pk}/certificate/",
            {"purpose": "银行开户", "seen_status": application.status},
            follow=True,
        )
        body = response.content.decode()
        certificate = Certificate.objects.get(application=application)
        assert certificate.number in body
        # one in force: no second 开具 button
        assert f'action="/hall/staff/applications/{application.pk}/certificate/"' not in body
        pdf = browser.get(f"/hall/staff/applications/{application.pk}/certificates/{certificate.pk}.pdf")
        assert pdf["Content-Type"] == "application/pdf" and pdf["Cache-Control"] == "private, no-store"
        assert "用途：银行开户" in pdf_text(pdf.content).replace("\n", "")


class TestNumbers:
    def test_sequential_per_org_and_year_and_never_reused(self, clerk, item, resident, registrar, tree):
        second_person = people.person(registrar, tree.grid_a1, name="李建国", residence_address="幸福路1号")
        first = certificates.certificate_issue(
            actor=clerk, application=approved(clerk, item, resident), at=ISSUED
        )
        other = approved(clerk, item, second_person)
        second = certificates.certificate_issue(actor=clerk, application=other, at=ISSUED)
        assert (first.number, second.number) == (
            "〔2026〕甲一居证字第 0001 号",
            "〔2026〕甲一居证字第 0002 号",
        )
        certificates.certificate_revoke(actor=clerk, certificate=second, reason="地址有误")
        third = certificates.certificate_issue(actor=clerk, application=other, at=ISSUED)
        assert third.number == "〔2026〕甲一居证字第 0003 号"  # the revoked one keeps 0002
        next_year = certificates.certificate_issue(
            actor=make_user(tree.community_a1, *CLERK_PERMISSIONS),
            application=approved(
                clerk,
                item,
                people.person(registrar, tree.grid_a1, name="赵敏", residence_address="幸福路2号"),
            ),
            at=local(2027, 1, 4, 9),
        )
        assert next_year.number == "〔2027〕甲一居证字第 0001 号"

    def test_another_community_counts_on_its_own(self, item, resident, registrar, tree):
        clerk_a2 = make_user(tree.community_a2, *CLERK_PERMISSIONS)
        item_a2 = make_item(
            tree.community_a2, name="居住证明开具", certificate_kind=CertificateKind.RESIDENCE
        )
        neighbour = people.person(registrar, tree.community_a2, name="钱伟", residence_address="和平路3号")
        certificate = certificates.certificate_issue(
            actor=clerk_a2, application=approved(clerk_a2, item_a2, neighbour), at=ISSUED
        )
        assert certificate.number == "〔2026〕甲二居证字第 0001 号"
        assert "居住在测试区甲街道甲二社区和平路3号" in text_of(certificate)


class TestRefused:
    def test_an_applicant_not_in_the_registry_gets_a_message_and_no_certificate(self, clerk, item):
        application = approved(clerk, item, name="孙悟", id_number=people.new_id_number())
        with pytest.raises(ServiceError) as refused:
            certificates.certificate_issue(actor=clerk, application=application, at=ISSUED)
        assert "实有人口库中没有找到申请人" in str(refused.value.message)
        assert not Certificate.objects.exists()

    def test_a_person_registered_in_another_community_is_not_certified_here(
        self, clerk, item, registrar, tree
    ):
        elsewhere = people.person(registrar, tree.community_a2, name="周明", residence_address="和平路5号")
        application = approved(clerk, item, elsewhere)
        with pytest.raises(ServiceError) as refused:
            certificates.certificate_issue(actor=clerk, application=application, at=ISSUED)
        assert refused.value.code == "not_in_registry" and "甲一社区辖区内" in str(refused.value.message)

    def test_a_person_moved_out_gets_a_message_on_the_page(self, clerk, item, resident, registrar):
        application = approved(clerk, item, resident)
        registry.person_move_out(
            actor=registrar, person=resident, moved_on=dt.date(2026, 11, 1), destination="上海市"
        )
        response = client_for(clerk).post(
            f"/hall/staff/applications/{application.pk}/certificate/",
            {"purpose": "", "seen_status": application.status},
        )
        assert "状态为“已迁出”，不在本辖区居住，不能开具居住证明" in response.content.decode()
        assert not Certificate.objects.exists()

    def test_a_denied_application_or_another_item_has_no_certificate(self, clerk, item, resident, tree):
        plain = approved(clerk, make_item(tree.community_a1, name="普通事项"), resident)
        with pytest.raises(ServiceError, match="不出具证明"):
            certificates.certificate_issue(actor=clerk, application=plain, at=ISSUED)
        assert (
            "开具居住证明"
            not in client_for(clerk).get(f"/hall/staff/applications/{plain.pk}/").content.decode()
        )

    def test_another_communitys_clerk_can_neither_issue_nor_see_it(self, clerk, item, resident, tree):
        application = approved(clerk, item, resident)
        certificate = certificates.certificate_issue(actor=clerk, application=application, at=ISSUED)
        stranger = make_user(tree.community_a2, *CLERK_PERMISSIONS)
        with pytest.raises(OutOfScope):
            certificates.certificate_issue(actor=stranger, application=application, at=ISSUED)
        with pytest.raises(OutOfScope):
            certificates.certificate_revoke(actor=stranger, certificate=certificate, reason="x")
        browser = client_for(stranger)
        base = f"/hall/staff/applications/{application.pk}"
        assert browser.get(f"{base}/certificates/{certificate.pk}.pdf").status_code == 404
        assert browser.post(f"{base}/certificate/", {"purpose": ""}).status_code == 404
        assert (
            browser.post(f"{base}/certificates/{certificate.pk}/revoke/", {"reason": "x"}).status_code == 404
        )
        certificate.refresh_from_db()
        assert certificate.revoked_at is None


class TestVerify:
    def test_shows_the_issuer_number_dates_and_the_masked_name_only(self, clerk, item, resident):
        certificate = certificates.certificate_issue(
            actor=clerk, application=approved(clerk, item, resident), at=ISSUED
        )
        response = Client().get(f"/verify/{certificate.code.lower()}", REMOTE_ADDR="10.8.0.1")
        body = response.content.decode()
        assert response.status_code == 200
        for expected in ("甲一社区", certificate.number, "2026-12-07", "2027-03-06", "王*明", "有效"):
            assert expected in body, expected
        for secret in ("王秀明", resident.id_number, resident.id_number_masked, "幸福路", "301"):
            assert secret not in body, secret

    def test_a_revoked_certificate_says_so(self, clerk, item, resident):
        certificate = certificates.certificate_issue(
            actor=clerk, application=approved(clerk, item, resident), at=ISSUED
        )
        response = client_for(clerk).post(
            f"/hall/staff/applications/{certificate.application_id}/certificates/{certificate.pk}/revoke/",
            {"reason": "申请人提供的租赁合同已解除", "seen_status": "x"},
        )
        assert response.status_code == 302
        body = Client().get(f"/verify/{certificate.code}", REMOTE_ADDR="10.8.0.2").content.decode()
        assert "已作废" in body and certificate.number in body
        assert AuditEvent.objects.filter(event_name="applications.certificate.revoked").exists()

    def test_a_wrong_code_gives_no_hint_and_attempts_are_limited(self, clerk, item, resident):
        certificate = certificates.certificate_issue(
            actor=clerk, application=approved(clerk, item, resident), at=ISSUED
        )
        visitor = Client()
        near = certificate.code[:-1] + ("2" if certificate.code[-1] != "2" else "3")
        answers = set()
        for code in (near, "SHORT", "ZZZZZZZZZZZZ"):
            response = visitor.get(f"/verify/{code}", REMOTE_ADDR="10.8.0.3")
            assert response.status_code == 404
            body = response.content.decode()
            assert "甲一社区" not in body and "王" not in body
            answers.add(body.split('data-testid="verify-error">')[1].split("<")[0])
        assert len(answers) == 1  # the same page whatever was wrong
        for _ in range(7):
            visitor.get(f"/verify/{near}", REMOTE_ADDR="10.8.0.3")
        response = visitor.get(f"/verify/{certificate.code}", REMOTE_ADDR="10.8.0.3")
        assert response.status_code == 429 and int(response["Retry-After"]) > 0
        assert (
            "查验过于频繁" in response.content.decode()
            and certificate.number not in response.content.decode()
        )


class TestTheResidentsOwnCopy:
    """The applicant downloads their own certificate from 我的办件; a revoked one says 已作废 and has no
    download; another resident reaches nothing."""

    @pytest.fixture
    def account(self, resident):
        """王秀明's own verified account (the registry person above: same name and identity number)."""
        account = make_resident(name=resident.name)
        account.id_number, account.id_number_hash = resident.id_number, resident.id_number_hash
        account.save()
        return account

    @pytest.fixture
    def issued(self, clerk, item, account):
        application = submit(account, item, at=local(2026, 12, 7, 9))
        services.application_accept(actor=clerk, application=application, at=local(2026, 12, 7, 9, 10))
        services.application_conclude(
            actor=clerk, application=application, outcome=Outcome.APPROVED, at=local(2026, 12, 7, 9, 20)
        )
        return certificates.certificate_issue(
            actor=clerk, application=Application.objects.get(pk=application.pk), purpose="子女入学", at=ISSUED
        )

    def test_the_application_page_offers_the_certificate_as_a_pdf(self, account, issued):
        browser = resident_client(account)
        page = browser.get(f"/hall/me/applications/{issued.application_id}/").content.decode()
        assert issued.number in page and "有效期至 2027-03-06" in page
        assert "下载居住证明（PDF）" in page and "已作废" not in page
        response = browser.get(f"/hall/me/applications/{issued.application_id}/certificates/{issued.pk}.pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Cache-Control"] == "private, no-store"
        assert response.content == certificates.render_pdf(issued)  # the very document the window prints
        assert "用途：子女入学" in pdf_text(response.content).replace("\n", "")

    def test_a_revoked_certificate_is_shown_as_revoked_without_a_download(self, clerk, account, issued):
        certificates.certificate_revoke(actor=clerk, certificate=issued, reason="地址有误")
        browser = resident_client(account)
        base = f"/hall/me/applications/{issued.application_id}"
        page = browser.get(f"{base}/").content.decode()
        assert issued.number in page and "已作废" in page
        assert "下载居住证明（PDF）" not in page and f"{issued.pk}.pdf" not in page
        response = browser.get(f"{base}/certificates/{issued.pk}.pdf", follow=True)
        assert response["Content-Type"].startswith("text/html")
        assert "该证明已作废，不能下载" in response.content.decode()

    def test_another_resident_gets_not_found_and_sees_nothing(self, clerk, item, account, issued):
        stranger = make_resident(name="李建国")
        browser = resident_client(stranger)
        base = f"/hall/me/applications/{issued.application_id}"
        for url in (f"{base}/", f"{base}/certificates/{issued.pk}.pdf"):
            response = browser.get(url)
            assert response.status_code == 404, url
            assert issued.number not in response.content.decode() and b"%PDF" not in response.content
        # nor through their own application, naming the other's certificate
        own = submit(stranger, item)
        response = browser.get(f"/hall/me/applications/{own.pk}/certificates/{issued.pk}.pdf")
        assert response.status_code == 404 and b"%PDF" not in response.content


class TestTheApi:
    """A staff system (the district's archive) reads an application's certificates and their PDFs, within the
    caller's scope, in the errors' usual format."""

    def test_lists_the_certificates_and_serves_the_pdf_the_window_prints(self, clerk, item, resident):
        application = approved(clerk, item, resident)
        revoked = certificates.certificate_issue(actor=clerk, application=application, at=ISSUED)
        certificates.certificate_revoke(actor=clerk, certificate=revoked, reason="地址有误")
        current = certificates.certificate_issue(actor=clerk, application=application, at=ISSUED)
        api = api_client_for(clerk)
        response = api.get(f"/api/v1/applications/{application.pk}/certificates/")
        assert response.status_code == 200
        first, second = response.json()
        assert (first["number"], first["revoke_reason"]) == (revoked.number, "地址有误")
        assert first["revoked_at"] and first["revoked_by"] == clerk.username
        assert second["number"] == "〔2026〕甲一居证字第 0002 号" and second["code"] == current.code
        assert second["issued_by"] == clerk.username and second["revoked_at"] is None
        assert second["issued_at"].startswith("2026-12-07T10:00")
        assert second["verify_url"].endswith(f"/verify/{current.code}")
        pdf = api.get(second["pdf"])
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert pdf["Content-Disposition"].startswith("attachment;")
        assert pdf.content == certificates.render_pdf(current)

    def test_another_communitys_system_gets_the_usual_not_found(self, clerk, item, resident, tree):
        application = approved(clerk, item, resident)
        certificate = certificates.certificate_issue(actor=clerk, application=application, at=ISSUED)
        stranger = api_client_for(make_user(tree.community_a2, *CLERK_PERMISSIONS))
        for url in (
            f"/api/v1/applications/{application.pk}/certificates/",
            f"/api/v1/applications/{application.pk}/certificates/{certificate.pk}/",
        ):
            response = stranger.get(url)
            assert response.status_code == 404, url
            assert response.json()["code"] == "not_found" and response.json()["detail"]
        # a certificate of another application, asked for under one's own
        own = approved(clerk, make_item(tree.community_a1, name="普通事项"), resident)
        response = api_client_for(clerk).get(f"/api/v1/applications/{own.pk}/certificates/{certificate.pk}/")
        assert response.status_code == 404 and response.json()["code"] == "not_found"

    def test_the_schema_documents_a_list_and_a_pdf(self):
        from drf_spectacular.generators import SchemaGenerator

        paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
        listed = paths["/api/v1/applications/{id}/certificates/"]["get"]["responses"]
        assert listed["200"]["content"]["application/json"]["schema"]["type"] == "array"
        pdf = paths["/api/v1/applications/{id}/certificates/{certificate_id}/"]["get"]["responses"]
        assert set(pdf["200"]["content"]) == {"application/pdf"} and pdf["404"]
