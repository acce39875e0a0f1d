"""What the catalog administrator meets when keeping items: the process chosen from a list and checked,
dialable phone numbers, blank forms checked by content, and the API's error format for life events."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiedao.catalog import services
from jiedao.catalog.models import Material, ServiceItem
from jiedao.catalog.tests.conftest import deploy_process
from jiedao.catalog.tests.factories import item_data, make_item, make_material
from jiedao.catalog.tests.test_views import ALL_ITEM_PERMS, _form
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.testing import api_client_for, client_for, make_user


@pytest.fixture
def manager(tree):
    return make_user(tree.subdistrict_a, *ALL_ITEM_PERMS)


def test_the_form_offers_the_processes_that_exist_by_name(tree, manager):
    deploy_process(tree.subdistrict_a, "linshi_jiuzhu", name="甲街道 临时救助申请审批")
    deploy_process(tree.subdistrict_b, "yiwai", name="乙街道 其他审批")
    page = client_for(manager).get("/catalog/items/new/").content.decode()
    assert '<select name="process_key"' in page
    assert "甲街道 临时救助申请审批（linshi_jiuzhu）" in page
    assert "不指定（仅窗口办理）" in page
    assert "yiwai" not in page  # another sub-district's process does not apply here


def test_a_mistyped_process_is_refused_and_nothing_saved(tree, manager):
    response = client_for(manager).post(
        "/catalog/items/new/", _form(item_data(code="QB-X-1", process_key="dibau"), tree.subdistrict_a)
    )
    assert response.status_code == 200
    assert "dibau 不在可用的选项中" in response.content.decode()
    response = api_client_for(manager).post(
        "/api/v1/service-items/",
        {**item_data(code="QB-X-1", process_key="dibau"), "org": tree.subdistrict_a.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["process_key"] == [
        "没有找到甲街道可用的办理流程“dibau”：须为实施主体或其上级已建立的流程。"
    ]
    assert not ServiceItem.objects.filter(code="QB-X-1").exists()


def test_an_online_item_is_published_only_once_its_process_is(tree, manager):
    deploy_process(tree.subdistrict_a, "new_flow", status="draft")
    item = services.service_item_create(
        actor=manager, org=tree.subdistrict_a, data=item_data(process_key="new_flow")
    )
    make_material(item)
    client = client_for(manager)
    page = client.post(f"/catalog/items/{item.pk}/publish/", {"publish": "1"}, follow=True).content.decode()
    assert "办理流程“new_flow”尚未发布" in page
    assert not ServiceItem.objects.get(pk=item.pk).is_published
    deploy_process(tree.subdistrict_a, "new_flow", version=2)
    client.post(f"/catalog/items/{item.pk}/publish/", {"publish": "1"})
    assert ServiceItem.objects.get(pk=item.pk).is_published


def test_an_edit_that_keeps_the_process_is_not_blocked_by_it(tree, manager):
    item = make_item(tree.subdistrict_a, process_key="retired_flow")  # its process was since retired
    services.service_item_update(actor=manager, item=item, data={"office_hours": "工作日 8:30-17:00"})
    assert ServiceItem.objects.get(pk=item.pk).office_hours == "工作日 8:30-17:00"
    with pytest.raises(ValidationFailed) as error:
        services.service_item_update(actor=manager, item=item, data={"process_key": "other_missing"})
    assert "尚未发布" in error.value.errors["process_key"][0]  # published: the new one must be deployed
    assert ServiceItem.objects.get(pk=item.pk).process_key == "retired_flow"


def test_phones_must_hold_a_dialable_number(tree, manager):
    response = client_for(manager).post(
        "/catalog/items/new/",
        _form(item_data(code="QB-X-2", consultation_phone="见窗口公示"), tree.subdistrict_a),
    )
    assert "咨询电话须含可拨打的号码" in response.content.decode()
    assert not ServiceItem.objects.filter(code="QB-X-2").exists()
    item = services.service_item_create(
        actor=manager,
        org=tree.subdistrict_a,
        data=item_data(code="QB-X-3", complaint_phone="0571-87021099（街道纪工委），或拨打 12345"),
    )
    assert item.pk


def test_a_blank_form_whose_content_is_not_its_type_is_refused(tree, manager, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    item = make_item(tree.subdistrict_a)
    client = client_for(manager)
    fields = {"name": "申请书", "form": "original", "copies": 1, "sort_order": 1}
    program = SimpleUploadedFile(
        "申请书.doc", b"MZ\x90\x00" + b"\x00" * 64, content_type="application/msword"
    )
    response = client.post(f"/catalog/items/{item.pk}/materials/new/", {**fields, "blank_form": program})
    assert response.status_code == 200
    assert "“申请书.doc”的内容不是 .doc 文件" in response.content.decode()
    assert not Material.objects.filter(item=item).exists()
    docx = SimpleUploadedFile("申请书.docx", b"PK\x03\x04" + b"\x00" * 64)
    client.post(f"/catalog/items/{item.pk}/materials/new/", {**fields, "blank_form": docx})
    assert Material.objects.get(item=item).blank_form


def test_api_refuses_an_unknown_life_event_with_a_flat_chinese_message(tree, manager):
    response = api_client_for(manager).post(
        "/api/v1/service-items/",
        {**item_data(code="API-9", life_events=["hardship", "nope"]), "org": tree.subdistrict_a.pk},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["errors"]["life_events"] == ["第2项：“nope” 不是合法选项。"]
    assert body["detail"] == "第2项：“nope” 不是合法选项。"
    assert not ServiceItem.objects.filter(code="API-9").exists()


def test_an_online_item_without_materials_is_not_published_and_keeps_its_last_one(tree, manager):
    item = services.service_item_create(actor=manager, org=tree.subdistrict_a, data=item_data())
    client = client_for(manager)
    page = client.post(f"/catalog/items/{item.pk}/publish/", {"publish": "1"}, follow=True).content.decode()
    assert "可网上申请的事项须至少登记一项申请材料后才能发布。" in page
    assert not ServiceItem.objects.get(pk=item.pk).is_published
    material = make_material(item)
    client.post(f"/catalog/items/{item.pk}/publish/", {"publish": "1"})
    assert ServiceItem.objects.get(pk=item.pk).is_published
    page = client.post(
        f"/catalog/items/{item.pk}/materials/{material.pk}/delete/", follow=True
    ).content.decode()
    assert "这是已发布的网上办理事项仅有的申请材料，不能删除" in page
    assert Material.objects.filter(pk=material.pk).exists()


def test_api_schema_says_which_fields_a_new_item_needs_and_how_errors_look(tree, manager):
    client = api_client_for(manager)
    schema = client.get("/api/schema/?format=json").json()
    request = schema["components"]["schemas"]["ServiceItemRequest"]
    assert {"code", "name", "legal_basis", "statutory_limit_days", "promised_limit_days"} <= set(
        request["required"]
    )
    assert "kind" not in request["required"] and "fee" not in request["required"]  # the service defaults them
    publish = schema["paths"]["/api/v1/service-items/{id}/publish/"]["post"]["responses"]
    assert publish["400"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/HallError"
    correct = schema["paths"]["/api/v1/applications/{id}/correct/"]["post"]["responses"]
    assert set(correct) == {"200", "400", "404", "409"}  # 409: changed by a colleague meanwhile
    payload = {key: value for key, value in item_data(code="API-10").items() if key != "name"}
    response = client.post("/api/v1/service-items/", {**payload, "org": tree.subdistrict_a.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"name": ["请填写事项名称。"]}
    response = client.post(
        "/api/v1/service-items/", {**payload, "name": " ", "org": tree.subdistrict_a.pk}, format="json"
    )
    assert response.json()["errors"] == {"name": ["请填写事项名称。"]}
    assert not ServiceItem.objects.filter(code="API-10").exists()


def test_an_expired_announcement_is_not_published_and_the_list_tells_when_one_shows(tree):
    from datetime import timedelta

    from django.utils import timezone

    from jiedao.catalog.models import Announcement
    from jiedao.catalog.tests.factories import make_announcement

    editor = make_user(
        tree.subdistrict_a,
        "catalog.view_announcement",
        "catalog.change_announcement",
        "catalog.publish_announcement",
    )
    client = client_for(editor)
    expired = make_announcement(tree.subdistrict_a, published=False, days_from=-10, days_until=-1)
    page = client.post(
        f"/catalog/announcements/{expired.pk}/publish/", {"publish": "1"}, follow=True
    ).content.decode()
    until = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert f"该公告的截止日期 {until} 已过，发布后公众网站也不会显示；请先修改截止日期。" in page
    assert not Announcement.objects.get(pk=expired.pk).is_published
    make_announcement(tree.subdistrict_a, published=True, days_from=-10, days_until=-2)
    make_announcement(tree.subdistrict_a, published=True, days_from=3, days_until=None)
    page = client.get("/catalog/announcements/").content.decode()
    starts = (timezone.localdate() + timedelta(days=3)).isoformat()
    assert "已过期" in page and f"{starts} 起在公众网站显示" in page


def test_the_item_page_names_its_process_or_says_it_is_not_deployed(tree, manager):
    deploy_process(tree.subdistrict_a, "linshi_jiuzhu", name="临时救助申请审批")
    handled = make_item(tree.subdistrict_a, process_key="linshi_jiuzhu")
    waiting = make_item(tree.subdistrict_a, process_key="not_yet", published=False)
    client = client_for(manager)
    assert (
        "临时救助申请审批（linshi_jiuzhu v1）" in client.get(f"/catalog/items/{handled.pk}/").content.decode()
    )
    page = client.get(f"/catalog/items/{waiting.pk}/").content.decode()
    assert "“not_yet”流程尚未发布，网上申请受理后将无法转入流程办理" in page


def test_api_list_filters_refuse_unknown_values_instead_of_listing_everything(tree, manager):
    from rest_framework.test import APIClient

    make_item(tree.subdistrict_a)
    response = APIClient().get("/api/v1/public/service-items/?event=nope")
    assert response.status_code == 400
    assert response.json()["errors"]["event"][0].startswith("event 的取值无效，可选：")
    assert APIClient().get("/api/v1/public/service-items/?audience=enterprise").status_code == 200
    response = api_client_for(manager).get("/api/v1/service-items/?audience=people")
    assert response.json()["errors"] == {"audience": ["audience 的取值无效，可选：person、enterprise。"]}
    clerk = make_user(tree.subdistrict_a, "applications.view_application")
    response = api_client_for(clerk).get("/api/v1/applications/?status=open")
    assert response.status_code == 400 and response.json()["errors"]["status"][0].startswith(
        "status 的取值无效"
    )
    assert api_client_for(clerk).get("/api/v1/applications/?status=accepted").status_code == 200


def test_the_material_form_says_which_files_residents_can_be_given(tree, manager):
    item = make_item(tree.subdistrict_a)
    page = client_for(manager).get(f"/catalog/items/{item.pk}/materials/new/").content.decode()
    assert page.count("供群众下载：PDF、OFD、Word、Excel、WPS 或图片（JPG、PNG），不超过 10 MB。") == 2
    assert 'accept=".doc,.docx,.et,.jpeg,.jpg,.ofd,.pdf,.png,.wps,.xls,.xlsx"' in page


def test_the_kind_and_the_promised_limit_must_agree(tree, manager):
    client = client_for(manager)
    data = item_data(code="QB-X-5", kind="instant", statutory_limit_days=5, promised_limit_days=3)
    page = client.post("/catalog/items/new/", _form(data, tree.subdistrict_a)).content.decode()
    assert "即办件当场办结，承诺时限应为 0；需要若干工作日办结的，请选择承诺件或上报件。" in page
    data = item_data(code="QB-X-5", kind="promised", statutory_limit_days=5, promised_limit_days=0)
    page = client.post("/catalog/items/new/", _form(data, tree.subdistrict_a)).content.decode()
    assert "承诺件和上报件的承诺时限至少为 1 个工作日；当场办结的，请选择即办件。" in page
    assert not ServiceItem.objects.filter(code="QB-X-5").exists()
    data = item_data(code="QB-X-5", kind="instant", statutory_limit_days=1, promised_limit_days=0)
    assert client.post("/catalog/items/new/", _form(data, tree.subdistrict_a)).status_code == 302


def test_a_code_typed_in_lower_case_finds_the_guide(tree):
    from django.test import Client

    item = make_item(tree.subdistrict_a, code="QB-MZ-009", name="临时救助")
    client = Client()
    assert "临时救助" in client.get("/guide/qb-mz-009/").content.decode()
    assert client.get("/api/v1/public/service-items/qb-mz-009/").json()["code"] == item.code


def test_withdrawing_an_item_says_what_happens_to_its_applications_and_they_go_on(
    tree, manager, settings, tmp_path
):
    from jiedao.applications import services as hall
    from jiedao.applications.choices import ApplicationStatus
    from jiedao.applications.tests.factories import CLERK_PERMISSIONS, walk_in

    settings.MEDIA_ROOT = tmp_path
    item = make_item(tree.subdistrict_a, process_key="")
    clerk = make_user(tree.subdistrict_a, *CLERK_PERMISSIONS)
    application = walk_in(clerk, item)
    client = client_for(manager)
    detail = client.get(f"/catalog/items/{item.pk}/").content.decode()
    assert "撤回后公众网站不再显示该事项，也不再接受新的申请；已提交的办件照常办理。确定撤回？" in detail
    page = client.post(f"/catalog/items/{item.pk}/publish/", {"publish": "0"}, follow=True).content.decode()
    assert "事项已撤回：公众网站不再显示，不再接受新的申请；已提交的办件照常办理。" in page
    hall.application_accept(actor=clerk, application=application)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED


def test_only_processes_started_by_applications_are_offered_and_accepted(tree, manager):
    from jiedao.workflow.models import ProcessDefinition

    leave = ProcessDefinition.objects.create(
        org=tree.subdistrict_a,
        key="leave",
        name="请销假",
        status="deployed",
        bpmn_xml=(
            '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
            '<bpmn:process id="leave" isExecutable="true"/></bpmn:definitions>'
        ),
    )
    assert leave.business_only is False and ProcessDefinition.objects.get(key="dibao").business_only
    page = client_for(manager).get("/catalog/items/new/").content.decode()
    assert "（dibao）" in page and "请销假" not in page
    response = api_client_for(manager).post(
        "/api/v1/service-items/",
        {**item_data(code="QB-X-2", process_key="leave"), "org": tree.subdistrict_a.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["process_key"] == [
        "流程“leave”不是办件流程：办件流程只能由受理的办件发起。"
        "请在流程设计器中勾选“仅由办件发起”后发布新版本，再选择它。"
    ]
    assert not ServiceItem.objects.filter(code="QB-X-2").exists()


def test_a_refused_field_is_read_out_with_its_error(tree, manager):
    """A screen reader reads each field with its error: every id that aria-describedby names is on the page
    (the item form pointed at <id>_error, which no element carried)."""
    import re

    response = client_for(manager).post(
        "/catalog/items/new/", _form(item_data(code="QB-X-2", process_key="dibau"), tree.subdistrict_a)
    )
    page = response.content.decode()
    described = {i for ids in re.findall(r'aria-describedby="([^"]+)"', page) for i in ids.split()}
    assert "id_process_key_error" in described
    assert {i for i in described if f'id="{i}"' not in page} == set()
    error = re.search(r'<div[^>]*id="id_process_key_error"[^>]*>(.*?)</div></div>', page, re.S)
    assert error and "dibau 不在可用的选项中" in error.group(1)
