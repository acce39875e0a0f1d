"""Service hall input found wanting on a walk through the catalog and its bad-input list: offline-only items, required
materials, duplicate filings, landlines at sign-in, and the registry's name rule on every name a person types."""

from __future__ import annotations

import pytest

from jiedao.applications.models import Application
from jiedao.applications.tests.factories import make_item, make_resident, pdf
from jiedao.applications.tests.test_acceptance_objections_outcome import (  # fixtures and the notice helper
    _objection,
    clock,  # noqa: F401
    hall,  # noqa: F401
)
from jiedao.applications.tests.test_residents import resident_client
from jiedao.catalog.choices import Availability

pytestmark = pytest.mark.django_db


def test_an_offline_only_item_says_so_instead_of_offering_the_form(tree):
    item = make_item(tree.subdistrict_a, availability=Availability.OFFLINE, name="老年优待证办理")
    client = resident_client(make_resident())
    page = client.get(f"/hall/me/apply/{item.pk}/").content.decode()
    assert "“老年优待证办理”仅限窗口办理，不能网上申请。请携带材料到街道便民服务中心 3 号窗口办理。" in page
    assert 'type="file"' not in page and "提交申请" not in page
    assert f'href="/guide/{item.code}/"' in page
    response = client.post(f"/hall/me/apply/{item.pk}/", {"other": pdf()})  # a form kept open elsewhere
    assert "仅限窗口办理" in response.content.decode()
    assert not Application.objects.exists()


def test_an_online_application_needs_every_required_material(tree):
    from jiedao.catalog.models import Material

    item = make_item(tree.subdistrict_a)
    id_card = Material.objects.create(item=item, name="申请人居民身份证", required=True)
    photo = Material.objects.create(item=item, name="近期一寸免冠照片", required=True)
    proof = Material.objects.create(item=item, name="失业证明", required=False)
    client = resident_client(make_resident())
    response = client.post(f"/hall/me/apply/{item.pk}/", {f"material_{id_card.pk}": pdf()})
    assert response.status_code == 200
    assert "请上传“近期一寸免冠照片”，这是必须提交的材料。" in response.content.decode()
    assert "请上传“失业证明”" not in response.content.decode()
    assert not Application.objects.exists()
    response = client.post(
        f"/hall/me/apply/{item.pk}/", {f"material_{id_card.pk}": pdf(), f"material_{photo.pk}": pdf()}
    )
    assert response.status_code == 302
    application = Application.objects.get()
    assert sorted(application.materials.values_list("label", flat=True)) == [
        "申请人居民身份证",
        "近期一寸免冠照片",
    ]
    assert proof.pk  # the optional one may be left out


def test_a_second_click_on_submit_files_nothing_twice(tree):
    item = make_item(tree.subdistrict_a, name="临时救助申请")
    client = resident_client(make_resident())
    assert client.post(f"/hall/me/apply/{item.pk}/", {"other": pdf()}).status_code == 302
    first = Application.objects.get()
    response = client.post(f"/hall/me/apply/{item.pk}/", {"other": pdf()})  # the same form, sent again
    assert response.status_code == 200
    assert (
        f"您已申请过“临时救助申请”（查询码 {first.tracking_code}），正在办理中，请勿重复申请；"
        "需要补充材料的，请在该申请中提交。"
    ) in response.content.decode()
    assert Application.objects.count() == 1 and first.materials.count() == 1


def test_the_window_does_not_register_the_same_request_twice(tree):
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile

    from jiedao.applications.tests.factories import CLERK_PERMISSIONS, PDF
    from jiedao.core.testing import api_client_for, make_user
    from jiedao.registry.validators import make_id_number

    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    item = make_item(tree.community_a1, name="居住证明开具")
    client = api_client_for(clerk)
    number = make_id_number("110105", dt.date(1960, 2, 2), 9)

    def register():
        data = {"item": item.pk, "applicant_name": "吴九", "applicant_id_number": number}
        files = [SimpleUploadedFile("a.pdf", PDF)]
        return client.post(
            "/api/v1/applications/submit/",
            {**data, "applicant_phone": "13600136000", "files": files},
            format="multipart",
        )

    first = register()
    assert first.status_code == 201
    again = register()  # the button pressed twice
    assert again.status_code == 400 and again.json()["code"] == "duplicate"
    code = first.json()["tracking_code"]
    assert again.json()["detail"] == (
        f"该申请人已有一件“居住证明开具”的申请正在办理（查询码 {code}），请勿重复登记；补充材料请在该办件中收取。"
    )
    assert Application.objects.count() == 1
    client.post(f"/api/v1/applications/{first.json()['id']}/reject/", {"reason": "不符合条件"}, format="json")
    assert register().status_code == 201  # a closed one does not stand in the way


def test_a_landline_at_resident_sign_in_is_called_one(tree):
    from django.test import Client

    response = Client().post("/hall/account/login/", {"phone": "021-12345678"})
    assert "“021-12345678”是固定电话，不能接收短信验证码，请填写手机号码。" in response.content.decode()


def test_real_name_verification_and_window_registration_use_the_registry_name_rule(tree):
    import datetime as dt

    from jiedao.applications import services
    from jiedao.applications.tests.factories import CLERK_PERMISSIONS, uploads
    from jiedao.core.exceptions import ValidationFailed
    from jiedao.core.testing import make_user
    from jiedao.registry.validators import make_id_number

    resident = make_resident(verified=False)
    client = resident_client(resident)
    number = make_id_number("330106", dt.date(1990, 1, 1), 12)
    response = client.post("/hall/account/identity/", {"real_name": "=1+2", "id_number": number})
    assert "姓名只能包含汉字、字母和间隔号（·）。" in response.content.decode()
    resident.refresh_from_db()
    assert not resident.is_verified
    page = client.post("/hall/account/identity/", {"real_name": "", "id_number": ""}).content.decode()
    assert "请填写姓名。" in page and "请填写身份证件号码。" in page and "该字段是必填项" not in page
    client.post("/hall/account/identity/", {"real_name": "张  三", "id_number": number})
    resident.refresh_from_db()
    assert resident.is_verified and resident.real_name == "张三"

    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    with pytest.raises(ValidationFailed) as caught:
        services.application_register_walk_in(
            actor=clerk,
            item=make_item(tree.community_a1),
            applicant_name="@SUM(1+1)",
            applicant_id_number=number,
            applicant_phone="13600136000",
            uploads=uploads(),
        )
    assert caught.value.errors["applicant_name"] == ["姓名只能包含汉字、字母和间隔号（·）。"]
    assert not Application.objects.exists()


def test_an_objection_under_a_formula_for_a_name_is_refused(hall, clock):  # noqa: F811
    from jiedao.applications.models import Objection
    from jiedao.core.exceptions import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        _objection(hall, clock, name="=HYPERLINK(1)")
    assert caught.value.errors["name"] == ["姓名只能包含汉字、字母和间隔号（·）。"]
    assert not Objection.objects.exists()
