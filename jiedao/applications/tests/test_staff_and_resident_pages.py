"""Service hall: what the user sees on the staff and resident pages."""

from __future__ import annotations

import pytest

from jiedao.applications import services
from jiedao.applications.models import Application, ExtensionStatus
from jiedao.applications.tests.factories import CLERK_PERMISSIONS, local, make_item, pdf, walk_in
from jiedao.core.testing import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(tree):
    return make_user(tree.community_a1, *CLERK_PERMISSIONS, "applications.extend_application")


@pytest.fixture
def leader(tree):
    return make_user(tree.subdistrict_a, "applications.view_application", "applications.approve_extension")


@pytest.fixture
def accepted(clerk, tree):
    application = walk_in(clerk, make_item(tree.community_a1), at=local(2026, 3, 2, 9))
    return services.application_accept(actor=clerk, application=application, at=local(2026, 3, 2, 10))


class TestExtensionDecision:
    def test_no_option_chosen_asks_for_a_decision_on_the_form(self, clerk, leader, accepted):
        services.application_extension_request(actor=clerk, application=accepted, days=3, reason="复杂")
        response = client_for(leader).post(f"/hall/staff/applications/{accepted.pk}/extend/", {"note": ""})
        assert response.status_code == 200
        page = response.content.decode()
        assert "请选择审批结果。" in page and "无权访问" not in page
        assert accepted.extension_requests.get().status == ExtensionStatus.PENDING


def _materials(item):
    from jiedao.catalog.models import Material

    required = Material.objects.create(item=item, name="身份证复印件", required=True)
    optional = Material.objects.create(item=item, name="残疾证", required=False)
    return required, optional


class TestWalkIn:
    URL = "/hall/staff/applications/new/"

    def data(self, item, **extra):
        return {
            "item": str(item.pk),
            "applicant_name": "李四",
            "applicant_id_number": "110105197505050017",
            "applicant_phone": "13800138000",
            **extra,
        }

    def test_the_item_chosen_above_is_the_forms_item(self, clerk, tree):
        item = make_item(tree.community_a1)
        required, _optional = _materials(item)
        client = client_for(clerk)
        page = client.get(f"{self.URL}?item={item.pk}").content.decode()
        assert f'<input type="hidden" name="item" value="{item.pk}"' in page
        assert "身份证复印件（必须）" in page and "残疾证（视情提供）" in page
        response = client.post(
            f"{self.URL}?item={item.pk}",
            self.data(item, **{f"material_{required.pk}": pdf()}),
            follow=True,
        )
        page = response.content.decode()
        assert "该字段是必填项" not in page and "已登记。" in page
        application = Application.objects.get(item=item)
        assert application.materials.get().label == "身份证复印件"
        assert "未收取" not in page

    def test_missing_required_materials_are_named_but_the_window_may_register(self, clerk, tree):
        item = make_item(tree.community_a1)
        _materials(item)
        response = client_for(clerk).post(
            f"{self.URL}?item={item.pk}", self.data(item, other=pdf()), follow=True
        )
        page = response.content.decode()
        assert "已登记。" in page and "以下必须提交的材料未收取：身份证复印件" in page
        assert "残疾证" not in page.split("未收取")[1].split("。")[0]

    def test_files_for_another_items_materials_are_refused_not_dropped(self, clerk, tree):
        first, second = make_item(tree.community_a1), make_item(tree.community_a1)
        required, _optional = _materials(first)
        response = client_for(clerk).post(
            f"{self.URL}?item={first.pk}", self.data(second, **{f"material_{required.pk}": pdf()})
        )
        assert response.status_code == 200
        assert "所选材料不属于当前事项" in response.content.decode()
        assert not Application.objects.filter(item=second).exists()

    def test_the_identity_number_is_marked_required_for_a_person_item(self, clerk, tree):
        item = make_item(tree.community_a1)
        page = client_for(clerk).get(f"{self.URL}?item={item.pk}").content.decode()
        label = page.split('for="id_applicant_id_number"')[1].split("</label>")[0]
        assert "*" in label


class TestEnterpriseFields:
    def test_a_person_item_shows_no_enterprise_fields(self, clerk, tree):
        from jiedao.catalog.choices import Audience

        person = make_item(tree.community_a1)
        both = make_item(tree.community_a1, audience=Audience.BOTH)
        client = client_for(clerk)
        assert (
            "统一社会信用代码"
            not in client.get(f"/hall/staff/applications/new/?item={person.pk}").content.decode()
        )
        page = client.get(f"/hall/staff/applications/new/?item={both.pk}").content.decode()
        assert "统一社会信用代码" in page and "以企业名义申请的填写" in page

    def test_the_resident_apply_form_marks_materials_and_hides_enterprise_fields(self, client, tree):
        from jiedao.applications.tests.factories import make_resident
        from jiedao.applications.views import SESSION_KEY

        item = make_item(tree.community_a1)
        _materials(item)
        session = client.session
        session[SESSION_KEY] = make_resident().pk
        session.save()
        page = client.get(f"/hall/me/apply/{item.pk}/").content.decode()
        assert "身份证复印件（必须）" in page and "残疾证（视情提供）" in page
        assert "企业名称" not in page and "统一社会信用代码" not in page


class TestStaffDetailActions:
    def test_reject_is_red_confirmed_and_its_reason_marked_required(self, clerk, tree):
        application = walk_in(clerk, make_item(tree.community_a1))
        page = client_for(clerk).get(f"/hall/staff/applications/{application.pk}/").content.decode()
        after = page.split(f'action="/hall/staff/applications/{application.pk}/reject/"')[1]
        reject = after.split("</form>")[0]
        assert "btn-danger" in reject and "不予受理理由" in reject and "*" in reject
        form_tag = after.split(">")[0]
        assert "data-confirm=" in form_tag

    def test_the_extension_reason_is_marked_required(self, clerk, accepted):
        page = client_for(clerk).get(f"/hall/staff/applications/{accepted.pk}/").content.decode()
        label = page.split('for="id_extend_reason"')[1].split("</label>")[0]
        assert "延长理由" in label and "*" in label


class TestObjections:
    @pytest.fixture
    def handler(self, tree):
        return make_user(
            tree.community_a1,
            *CLERK_PERMISSIONS,
            "applications.view_objectiontask",
            "applications.change_objectiontask",
        )

    def test_the_resolve_page_shows_the_objection_notice_and_application(self, handler, tree):
        from jiedao.applications.choices import Outcome
        from jiedao.applications.models import ObjectionTask, PublicNotice

        item = make_item(tree.community_a1, publishes_result=True, name="困难补助")
        first = walk_in(handler, item, name="张三明")
        second = walk_in(handler, item, name="王五六")
        for application in (first, second):
            services.application_accept(actor=handler, application=application)
            services.application_conclude(actor=handler, application=application, outcome=Outcome.APPROVED)
            notice = PublicNotice.objects.get(application=application)
            services.objection_file(notice=notice, name="路人甲", phone="13500135000", content="家里有车")
        client = client_for(handler)
        listed = client.get("/hall/staff/objections/").content.decode()
        assert first.tracking_code in listed and second.tracking_code in listed
        assert "张*明" in listed and "王*六" in listed and "张三明" not in listed
        task = ObjectionTask.objects.get(objection__notice__application=first)
        page = client.get(f"/hall/staff/objections/{task.pk}/resolve/").content.decode()
        assert "家里有车" in page and "路人甲" in page and "135****5000" in page
        assert "13500135000" not in page
        assert first.tracking_code in page and f'href="/hall/staff/applications/{first.pk}/"' in page
        assert PublicNotice.objects.get(application=first).title in page
        assert "处理结果" in page


class TestPhoneLinks:
    def test_tel_links_hold_only_the_numbers(self, tree):
        from django.test import Client

        make_item(
            tree.community_a1,
            code="QB-TEL-1",
            complaint_phone="0571-87021099（街道纪工委），或拨打 12345",
            consultation_phone="0571-87021088",
        )
        page = Client().get("/guide/QB-TEL-1/").content.decode()
        assert (
            '<a href="tel:057187021099">0571-87021099</a>（街道纪工委），或拨打 <a href="tel:12345">12345</a>'
            in page
        )
        assert '<a href="tel:057187021088">0571-87021088</a>' in page
        assert "tel:0571-87021099（" not in page


class TestSignUpNext:
    def test_apply_after_sms_login_and_identity_ends_on_the_apply_page(self, tree):
        import datetime as dt

        from django.test import Client

        from jiedao.registry.validators import make_id_number
        from jiedao.sms.models import OutboundMessage

        item = make_item(tree.community_a1)
        apply = f"/hall/me/apply/{item.pk}/"
        client = Client()
        login = client.get(apply)["Location"]
        assert login.startswith("/hall/account/login/") and "next=" in login
        verify = client.post(login, {"phone": "13912340077"})["Location"]
        code = OutboundMessage.objects.get().body.split("验证码为 ")[1][:6]
        identity = client.post(verify, {"code": code})["Location"]
        assert identity.startswith("/hall/account/identity/") and "next=" in identity
        number = make_id_number("110105", dt.date(1990, 1, 1), 5)
        response = client.post(identity, {"real_name": "赵六", "id_number": number})
        assert response.status_code == 302 and response["Location"] == apply

    def test_the_code_page_names_the_number_in_plain_digits_however_it_was_typed(self, tree):
        from django.test import Client

        from jiedao.applications.tests.factories import make_resident
        from jiedao.applications.views import SESSION_KEY

        client = Client()
        # Typed with a Chinese input method: full-width digits and a space.
        verify = client.post("/hall/account/login/", {"phone": "１３９ １２３４ ００７８"}, follow=True)
        page = verify.content.decode()
        assert "139****0078" in page and "１３９" not in page
        # The code it sent signs in the number.
        from jiedao.sms.models import OutboundMessage

        code = OutboundMessage.objects.get().body.split("验证码为 ")[1][:6]
        assert client.post("/hall/account/verify/", {"code": code}).status_code == 302

        client = Client()
        session = client.session
        session[SESSION_KEY] = make_resident(verified=True).pk
        session.save()
        change = client.post("/hall/me/phone/", {"phone": "+86 139-1234-0079"}, follow=True)
        assert "139****0079" in change.content.decode()

    def test_getting_a_new_code_keeps_the_page_the_resident_set_out_for(self, tree):
        import datetime as dt

        from django.db.models import F
        from django.test import Client

        from jiedao.applications.models import SmsCode

        item = make_item(tree.community_a1)
        apply = f"/hall/me/apply/{item.pk}/"
        client = Client()
        login = client.get(apply)["Location"]
        verify = client.post(login, {"phone": "13912340078"})["Location"]
        page = client.get(verify).content.decode()
        again = f'href="{login}"'.replace("&", "&amp;")
        assert again in page and "重新获取" in page
        # The new code (a minute later) leads on to the same page.
        SmsCode.objects.update(created_at=F("created_at") - dt.timedelta(minutes=2))
        assert client.post(login, {"phone": "13912340078"})["Location"] == verify

    def test_only_same_site_paths_are_followed(self, tree):
        import datetime as dt

        from jiedao.applications.tests.factories import make_resident
        from jiedao.applications.views import SESSION_KEY
        from jiedao.registry.validators import make_id_number

        targets = ("https://evil.example/", "//evil.example/x", "javascript:alert(1)")
        for serial, target in enumerate(targets, start=7):
            from django.test import Client

            client = Client()
            session = client.session
            session[SESSION_KEY] = make_resident(verified=False).pk
            session.save()
            number = make_id_number("110105", dt.date(1991, 2, 3), serial)
            response = client.post(
                "/hall/account/identity/",
                {"real_name": "赵七", "id_number": number},
                QUERY_STRING=f"next={target}",
            )
            assert response.status_code == 302 and response["Location"] == "/hall/me/"


class TestPublicNotFound:
    def test_public_and_resident_paths_get_the_public_404(self, tree):
        from django.test import Client

        from jiedao.applications.tests.factories import make_resident, submit
        from jiedao.applications.views import SESSION_KEY

        other = submit(make_resident(), make_item(tree.community_a1))
        client = Client()
        session = client.session
        session[SESSION_KEY] = make_resident().pk
        session.save()
        for path in ("/guide/NOPE/", f"/hall/me/applications/{other.pk}/", "/hall/notices/999999/"):
            response = client.get(path)
            page = response.content.decode()
            assert response.status_code == 404, path
            assert "页面不存在或已下线" in page and "管辖范围" not in page, path
            assert 'data-testid="public-404"' in page and "工作人员入口" in page

    def test_staff_paths_keep_the_staff_404(self, clerk):
        page = client_for(clerk).get("/hall/staff/applications/999999/").content.decode()
        assert "管辖范围" in page and "页面不存在或已下线" not in page


class TestApprovalTaskShowsTheApplication:
    def test_the_task_page_shows_the_application_and_its_materials(self, clerk, tree):
        from jiedao.workflow import services as workflow
        from jiedao.workflow.models import WorkTask
        from jiedao.workflow.tests.builder import Bpmn
        from jiedao.workflow.tests.conftest import START_PERMS, role

        approver_role = role("approver", *START_PERMS)
        approver = make_user(tree.subdistrict_a, "applications.view_application", username="approver")
        approver.roles.add(approver_role)
        starter = make_user(tree.subdistrict_a, *START_PERMS, "workflow.add_processdefinition")
        xml = (
            Bpmn("hall_review", "办件审批")
            .start()
            .user("approve", "审批", groups="role:approver")
            .end()
            .chain("start", "approve", "end")
            .xml()
        )
        workflow.definition_deploy_xml(actor=starter, org=tree.subdistrict_a, bpmn_xml=xml, forms={})
        application = walk_in(clerk, make_item(tree.community_a1, name="困难补助"), name="张三明")
        instance = workflow.process_start(
            actor=starter, definition_key="hall_review", org=tree.subdistrict_a, business_object=application
        )
        task = WorkTask.objects.get(instance=instance)
        page = client_for(approver).get(f"/workflow/tasks/{task.pk}/").content.decode()
        section = page.split('data-testid="task-application"')[1].split("</section>")[0]
        assert application.tracking_code in section and "困难补助" in section and "张三明" in section
        assert f'href="/hall/staff/applications/{application.pk}/"' in section
        material = application.materials.get()
        assert f"/hall/staff/applications/{application.pk}/materials/{material.pk}/" in section
        assert material.label in section

    def test_a_task_without_an_application_shows_none(self, tree):
        from jiedao.workflow import services as workflow
        from jiedao.workflow.models import WorkTask
        from jiedao.workflow.tests.builder import Bpmn
        from jiedao.workflow.tests.conftest import START_PERMS, role

        approver = make_user(tree.subdistrict_a, username="approver")
        approver.roles.add(role("approver", *START_PERMS))
        starter = make_user(tree.subdistrict_a, *START_PERMS, "workflow.add_processdefinition")
        xml = Bpmn("plain", "审批").start().user("approve", "审批", groups="role:approver").end()
        xml = xml.chain("start", "approve", "end").xml()
        workflow.definition_deploy_xml(actor=starter, org=tree.subdistrict_a, bpmn_xml=xml, forms={})
        instance = workflow.process_start(actor=starter, definition_key="plain", org=tree.subdistrict_a)
        task = WorkTask.objects.get(instance=instance)
        page = client_for(approver).get(f"/workflow/tasks/{task.pk}/").content.decode()
        assert page.count("task-application") == 0 and "审批" in page


class TestNoConcludeWhileAProcessRuns:
    def test_the_conclude_form_is_hidden_while_the_process_runs(self, clerk, accepted, tree):
        from jiedao.workflow import services as workflow
        from jiedao.workflow.tests.builder import Bpmn
        from jiedao.workflow.tests.conftest import START_PERMS, role

        url = f"/hall/staff/applications/{accepted.pk}/"
        assert f'action="{url}conclude/"' in client_for(clerk).get(url).content.decode()
        starter = make_user(tree.subdistrict_a, *START_PERMS, "workflow.add_processdefinition")
        starter.roles.add(role("approver", *START_PERMS))
        xml = Bpmn("hold", "审批").start().user("approve", "审批", groups="role:approver").end()
        xml = xml.chain("start", "approve", "end").xml()
        workflow.definition_deploy_xml(actor=starter, org=tree.subdistrict_a, bpmn_xml=xml, forms={})
        workflow.process_start(
            actor=starter, definition_key="hold", org=tree.subdistrict_a, business_object=accepted
        )
        page = client_for(clerk).get(url).content.decode()
        assert 'data-testid="process"' in page
        assert f'action="{url}conclude/"' not in page


class TestResidentFormAddressesOpenedAgain:
    """A form on the resident's application page shows its errors at its own address (…/resubmit/ and so on).
    Switching 长者模式 or English there returns to that address by GET, which gave the browser's bare
    "HTTP ERROR 405"; now it leads back to the application page."""

    def test_switching_elder_mode_on_an_error_page_leads_back_to_the_application(self, clerk, tree):
        from jiedao.applications.tests.factories import make_resident, resident_client, submit

        resident = make_resident()
        application = submit(resident, make_item(tree.community_a1))
        client = resident_client(resident)
        page = f"/hall/me/applications/{application.pk}/"
        error = client.post(page + "withdraw/", {"reason": "不办了"})
        assert error.status_code == 400 and "请勾选确认撤回" in error.content.decode()
        switched = client.post("/elder-mode/", {"on": "1", "next": page + "withdraw/"}, follow=True)
        assert switched.status_code == 200
        assert switched.redirect_chain[-1][0] == page
        assert application.tracking_code in switched.content.decode()

    def test_each_form_address_leads_to_the_application_page(self, clerk, tree):
        from jiedao.applications.tests.factories import make_resident, resident_client, submit

        resident = make_resident()
        application = submit(resident, make_item(tree.community_a1))
        client = resident_client(resident)
        page = f"/hall/me/applications/{application.pk}/"
        for action in ("resubmit", "supply", "withdraw", "rate"):
            response = client.get(f"{page}{action}/")
            assert response.status_code == 302 and response["Location"] == page, action
        # Someone else's application: the address leads to the same 404 as its page.
        other = resident_client(make_resident())
        assert other.get(f"{page}rate/", follow=True).status_code == 404
        # Signed out: to the login page, as the application page.
        from django.test import Client

        assert Client().get(f"{page}rate/")["Location"].startswith("/hall/account/login/")


class TestCorrectionForm:
    """补正: the form lists the item's materials to upload the corrected ones under; none is marked 必须 there
    (that read as if everything had to be uploaded again), and the resident is told to upload only those."""

    def test_the_resident_and_window_correction_forms_mark_no_material_required(self, clerk, tree):
        from jiedao.applications.tests.factories import make_resident, resident_client, submit
        from jiedao.catalog.tests.factories import make_material

        item = make_item(tree.community_a1)
        make_material(item, name="户口簿")
        make_material(item, name="残疾证", required=False)
        resident = make_resident()
        application = submit(resident, item)
        services.application_request_correction(
            actor=clerk, application=application, items=["户口簿照片模糊"]
        )

        page = resident_client(resident).get(f"/hall/me/applications/{application.pk}/").content.decode()
        assert "户口簿照片模糊" in page and "只需在对应的材料下上传上面列出的补正材料" in page
        assert "户口簿（必须）" not in page and "残疾证（视情提供）" not in page
        assert ">户口簿</label>" in page

        window = client_for(clerk).get(f"/hall/staff/applications/{application.pk}/").content.decode()
        assert "户口簿（必须）" not in window and ">户口簿</label>" in window
        # The apply form still says which materials must come with an application.
        apply = resident_client(make_resident()).get(f"/hall/me/apply/{item.pk}/").content.decode()
        assert "户口簿（必须）" in apply

    def test_the_window_no_longer_reads_待补正_once_the_corrections_came_in(self, clerk, tree):
        from jiedao.applications.tests.factories import make_resident, pdf, submit, uploads
        from jiedao.catalog.tests.factories import make_material

        item = make_item(tree.community_a1)
        make_material(item, name="户口簿")
        resident = make_resident()
        application = submit(resident, item)
        services.application_request_correction(
            actor=clerk, application=application, items=["户口簿照片模糊"]
        )
        detail = f"/hall/staff/applications/{application.pk}/"
        page = client_for(clerk).get(detail).content.decode()
        assert "待补正</dt>" in page and "户口簿照片模糊" in page

        services.application_resubmit(
            resident=resident, application=application, uploads=uploads(pdf("户口簿.pdf"))
        )
        page = client_for(clerk).get(detail).content.decode()
        assert "待补正</dt>" not in page
        assert "已告知补正</dt>" in page and "户口簿照片模糊" in page


class TestApplyingTwice:
    def test_the_apply_page_says_so_before_any_file_is_chosen(self, clerk, tree):
        from jiedao.applications.tests.factories import make_resident, resident_client, submit

        item = make_item(tree.community_a1, name="居家养老服务补贴申请")
        resident = make_resident()
        client = resident_client(resident)
        assert 'type="file"' in client.get(f"/hall/me/apply/{item.pk}/").content.decode()
        application = submit(resident, item)

        page = client.get(f"/hall/me/apply/{item.pk}/").content.decode()
        assert f"您已申请过“居家养老服务补贴申请”（查询码 {application.tracking_code}），正在办理中" in page
        assert f'href="/hall/me/applications/{application.pk}/"' in page and "查看该申请" in page
        assert 'type="file"' not in page and "提交申请" not in page

        # Once it is no longer being handled (withdrawn), the resident may apply again.
        services.application_withdraw(resident=resident, application=application, reason="")
        page = client.get(f"/hall/me/apply/{item.pk}/").content.decode()
        assert 'type="file"' in page and "您已申请过" not in page
        # Someone else's application says nothing.
        other = resident_client(make_resident()).get(f"/hall/me/apply/{item.pk}/").content.decode()
        assert "您已申请过" not in other


class TestEmptyFieldsInPlainWords:
    def test_sign_in_and_tracking_say_what_to_fill_in(self, tree):
        from django.test import Client

        client = Client()
        login = client.post("/hall/account/login/", {"phone": ""}).content.decode()
        assert "请填写手机号码。" in login and "必填项" not in login
        track = client.post("/hall/track/", {"code": "", "phone": ""}).content.decode()
        assert "请填写查询码。" in track and "请填写手机号码。" in track and "必填项" not in track
        session = client.session
        session["resident_login_phone"] = "13912340079"
        session.save()
        verify = client.post("/hall/account/verify/", {"code": ""}).content.decode()
        assert "请填写短信收到的 6 位验证码。" in verify and "必填项" not in verify
