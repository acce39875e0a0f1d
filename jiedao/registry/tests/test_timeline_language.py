"""A person's timeline is kept in the site's language (Chinese), whatever the language of the request that
wrote it: an API client sending Accept-Language: en, or a clerk using the English interface, used to leave
English entries ("Address changed from …", "Marked as 低保对象") that every Chinese clerk then read."""

from datetime import date

from django.urls import reverse
from django.utils import timezone

from jiedao.core.testing import api_client_for
from jiedao.registry.models import Building, LifeEvent
from jiedao.registry.tests.factories import house, new_id_number, person

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def summaries(person_obj) -> list[str]:
    return list(LifeEvent.objects.filter(person=person_obj).order_by("pk").values_list("summary", flat=True))


def test_api_writes_in_english_leave_a_chinese_timeline(tree, clerk, family):
    household, head, wife, son = family
    api = api_client_for(clerk)
    url = f"/api/v1/persons/{son.pk}/"

    response = api.post(url + "address/", {"residence_address": "幸福路99号"}, format="json", **EN)
    assert response.status_code == 200, response.content
    response = api.post(url + "tags/", {"group": "dibao", "valid_from": "2026-01-01"}, format="json", **EN)
    assert response.status_code == 201, response.content
    response = api.patch(url, {"employment": "退休"}, format="json", **EN)
    assert response.status_code == 200, response.content
    baby = {"name": "王小宝", "id_number": new_id_number(date(2025, 6, 1)), "relation": "20"}
    response = api.post(f"/api/v1/households/{household.pk}/birth/", baby, format="json", **EN)
    assert response.status_code == 201, response.content
    newborn = response.json()["id"]

    assert summaries(son)[-3:] == ["住址由“—”变更为“幸福路99号”", "标记为低保对象", "修改：就业情况"]
    assert summaries(newborn) == [f"出生，入户 {household.number}"]

    # the answers themselves stay in the caller's language
    assert response.json()["gender_display"] == "Male"
    refused = api.post(url + "address/", {"residence_address": ""}, format="json", **EN)
    assert refused.status_code == 400
    assert not any("\u4e00" <= c <= "\u9fff" for c in refused.json()["detail"])


def test_renaming_a_building_in_english_writes_chinese_address_changes(tree, clerk):
    home = house(clerk, tree.community_a1, street="幸福路12号", building="3幢", unit="2单元", room="301")
    resident = person(clerk, tree.community_a1, name="赵一", house=home)
    building = Building.objects.get(pk=home.building_id)

    response = api_client_for(clerk).patch(
        f"/api/v1/buildings/{building.pk}/", {"street_address": "幸福路14号"}, format="json", **EN
    )

    assert response.status_code == 200, response.content
    assert (
        summaries(resident)[-1] == "楼栋地址变更，住址由“幸福路12号3幢2单元301”变更为“幸福路14号3幢2单元301”"
    )


def test_english_interface_move_out_is_kept_in_chinese(tree, clerk, client):
    leaving = person(clerk, tree.community_a1, name="钱二")
    client.force_login(clerk)
    client.cookies["django_language"] = "en"

    response = client.post(
        reverse("registry:person_move_out", args=[leaving.pk]),
        {"moved_on": timezone.localdate().isoformat(), "destination": "上海市"},
    )

    assert response.status_code == 302
    assert summaries(leaving)[-1] == "迁往上海市"
    # Shown to each reader in their own language; the place the clerk typed as typed.
    page = client.get(reverse("registry:person_detail", args=[leaving.pk])).content.decode()
    assert "Moved to 上海市" in page and "迁往上海市" not in page
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("registry:person_detail", args=[leaving.pk])).content.decode()
    assert "迁往上海市" in page and "Moved to" not in page


def test_the_timeline_reads_in_the_readers_language_in_the_api_too(tree, clerk, family):
    _household, _head, _wife, son = family
    api = api_client_for(clerk)
    url = f"/api/v1/persons/{son.pk}/"
    api.post(url + "tags/", {"group": "dibao", "valid_from": "2026-01-01"}, format="json")
    api.post(url + "address/", {"residence_address": "幸福路99号"}, format="json")

    rows = api.get(url + "events/", **EN).json()
    shown = [row["summary_display"] for row in rows]
    assert 'Address changed from "—" to "幸福路99号"' in shown
    assert "Marked as Minimum living allowance (dibao) recipient" in shown  # the dictionary's label too
    assert any(row.startswith("Joined household ") and row.endswith(" (Son)") for row in shown)
    assert {row["summary"] for row in rows} >= {"标记为低保对象", "住址由“—”变更为“幸福路99号”"}
    rows = api.get(url + "events/").json()
    assert "标记为低保对象" in [row["summary_display"] for row in rows]


def test_household_read_into_a_process_is_written_in_chinese_whatever_the_step_language(tree, family):
    """`registry.load_household` writes household_text into the process data, which the next handlers read."""
    from types import SimpleNamespace

    from django.utils import translation

    from jiedao.registry.workflow_actions import load_household

    household, head, _wife, son = family
    ctx = SimpleNamespace(data={}, instance=SimpleNamespace(org=tree.community_a1, pk=1))

    with translation.override("en"):
        load_household(ctx, person_id=son.pk)

    text = ctx.data["household_text"]
    assert text.startswith(f"户号 {household.number}，明湖区幸福路12号，共 3 人：")
    assert "← 申请人" in text and "Applicant" not in text


def test_exports_and_uploads_from_the_english_interface_are_audited_in_chinese(
    tree, clerk, client, settings, tmp_path
):
    """The audit log is read by the auditor in one language: an export or an upload made from the English
    interface wrote “Export Actual population …” / “Uploaded … to import Actual population”."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jiedao.audit.models import AuditEvent

    settings.MEDIA_ROOT = tmp_path / "media"
    person(clerk, tree.community_a1, name="钱二")
    client.force_login(clerk)
    client.cookies["django_language"] = "en"

    response = client.get("/registry/persons/export/", {"q": "钱"})
    assert response.status_code == 200
    exported = AuditEvent.objects.filter(event_name="registry.list.exported").get()
    assert exported.message == "导出人口信息 1 条；筛选条件：姓名 / 证件号码 / 电话：钱"

    csv = SimpleUploadedFile("名单.csv", f"姓名,身份证号\n赵三,{new_id_number(date(1990, 1, 1))}\n".encode())
    response = client.post("/imports/new/registry-persons/", {"org": tree.community_a1.pk, "file": csv})
    assert response.status_code == 302
    uploaded = AuditEvent.objects.filter(event_name="spreadsheets.import.started").get()
    assert (uploaded.message, uploaded.target_repr) == ("上传“名单.csv”导入实有人口", "实有人口：名单.csv")
