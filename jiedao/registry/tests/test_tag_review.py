"""特殊人群到期复核: the tags a community must review soon (低保年审, a disability card running out), until they
are renewed (续期) or left to end; within the clerk's scope, by group, on the home page and in Excel."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import Conflict, ValidationFailed
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.registry import services
from jiedao.registry.home_panels import tags_due_for_review_panel
from jiedao.registry.models import SpecialGroupTag
from jiedao.registry.tests.factories import person, staff

REVIEW = "/registry/tags/due-for-review/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def clerk(tree):
    return staff(tree.community_a1)


def tagged(actor, org, name, group, ends_in_days, *, starts_days_ago=300, **tag):
    today = timezone.localdate()
    resident = person(actor, org, name=name)
    services.tag_add(
        actor=actor,
        person=resident,
        group=group,
        valid_from=today - timedelta(days=starts_days_ago),
        valid_until=None if ends_in_days is None else today + timedelta(days=ends_in_days),
        **tag,
    )
    return resident


def only_tag(resident) -> SpecialGroupTag:
    return SpecialGroupTag.objects.get(person=resident)


def test_lists_unrenewed_tags_ending_within_the_window_soonest_first(tree, clerk):
    a1 = tree.community_a1
    tagged(clerk, a1, "低保甲", "dibao", 20, evidence="民发〔2025〕12号")
    tagged(clerk, a1, "低保乙", "dibao", 3)
    tagged(clerk, a1, "今日止", "dibao", 0)
    tagged(clerk, a1, "远未到", "dibao", 45)  # beyond the 30 days
    tagged(clerk, a1, "已过期", "dibao", -2)  # ended already: nothing to review any more
    tagged(clerk, a1, "长期有", "dibao", None)  # no end
    moved = tagged(clerk, a1, "已迁出", "dibao", 10)
    services.person_move_out(actor=clerk, person=moved, moved_on=timezone.localdate(), destination="外省")
    other = staff(tree.community_b1)
    tagged(other, tree.community_b1, "他社区", "dibao", 5)

    html = client_for(clerk).get(REVIEW).content.decode()

    assert html.index("今日止") < html.index("低保乙") < html.index("低保甲")
    for absent in ("远未到", "已过期", "长期有", "已迁出", "他社区"):
        assert absent not in html
    assert "共 3 条" in html and "今日到期" in html and "民发〔2025〕12号" in html
    # masked in the list, the full number only on the person page with its permission
    tag = SpecialGroupTag.objects.get(person__name="低保甲")
    assert tag.person.id_number_masked in html and tag.person.id_number not in html
    assert tags_due_for_review_panel(clerk)["value"] == 3


def test_a_renewed_tag_leaves_the_list_and_the_new_period_follows_the_old(tree, clerk):
    resident = tagged(
        clerk,
        tree.community_a1,
        "残疾人",
        "disabled",
        10,
        details={"type": "1", "grade": "2"},
        evidence="残疾人证 33011019800517101X",
    )
    old = only_tag(resident)
    client = client_for(clerk)
    listing = client.get(REVIEW).content.decode()
    assert f"?renew={old.pk}#tag-{old.pk}" in listing
    page = client.get(f"/registry/persons/{resident.pk}/?renew={old.pk}").content.decode()
    assert 'data-testid="tag-renew" open' in page

    new_end = old.valid_until + timedelta(days=365)
    response = client.post(
        f"/registry/persons/{resident.pk}/tags/{old.pk}/renew/",
        {
            "valid_until": new_end.isoformat(),
            "evidence": "新证 2026-0001",
            "evidence_file": SimpleUploadedFile("证.pdf", PDF, content_type="application/pdf"),
        },
    )

    assert response.status_code == 302
    renewed = SpecialGroupTag.objects.filter(person=resident).exclude(pk=old.pk).get()
    assert (renewed.group, renewed.valid_from, renewed.valid_until) == (
        "disabled",
        old.valid_until + timedelta(days=1),
        new_end,
    )
    assert renewed.details == {"type": "1", "grade": "2"} and renewed.evidence == "新证 2026-0001"
    assert renewed.evidence_file.name
    assert "共 0 条" in client.get(REVIEW).content.decode()
    assert AuditEvent.objects.filter(event_name="registry.tag.added", target_id=str(resident.pk)).count() == 2


def test_renewal_refusals_say_why_and_write_nothing(tree, clerk):
    resident = tagged(clerk, tree.community_a1, "低保丙", "dibao", 10)
    old = only_tag(resident)
    client = client_for(clerk)
    url = f"/registry/persons/{resident.pk}/tags/{old.pk}/renew/"

    earlier = client.post(url, {"valid_until": (old.valid_until - timedelta(days=1)).isoformat()})
    assert "续期后的截止日期应晚于原截止日期" in earlier.content.decode()

    client.post(url, {"valid_until": (old.valid_until + timedelta(days=30)).isoformat()})
    again = client.post(url, {"valid_until": (old.valid_until + timedelta(days=60)).isoformat()})
    assert "与所填期间重叠" in again.content.decode()  # renewed already (a double click, another clerk)
    assert SpecialGroupTag.objects.filter(person=resident).count() == 2

    lasting = tagged(clerk, tree.community_a1, "长期标记", "dibao", None)
    refused = client.post(
        f"/registry/persons/{lasting.pk}/tags/{only_tag(lasting).pk}/renew/", {"valid_until": ""}
    )
    assert "该标记长期有效，无需续期。" in refused.content.decode()
    assert SpecialGroupTag.objects.filter(person=lasting).count() == 1


def test_another_communitys_tag_cannot_be_renewed_and_readers_without_the_permission_see_nothing(tree, clerk):
    other_clerk = staff(tree.community_b1)
    theirs = tagged(other_clerk, tree.community_b1, "乙社区人", "dibao", 10)
    response = client_for(clerk).post(
        f"/registry/persons/{theirs.pk}/tags/{only_tag(theirs).pk}/renew/", {"valid_until": "2030-01-01"}
    )
    assert response.status_code == 404
    assert SpecialGroupTag.objects.filter(person=theirs).count() == 1

    reader = make_user(tree.community_a1, "registry.view_person")
    assert client_for(reader).get(REVIEW).status_code == 403
    assert tags_due_for_review_panel(reader) is None


def test_filter_by_group_and_export_with_an_audit_event(tree, clerk):
    a1 = tree.community_a1
    tagged(clerk, a1, "低保丁", "dibao", 5)
    tagged(clerk, a1, "特困戊", "tekun", 6, evidence="经办人电话 13912345678")
    client = client_for(clerk)

    html = client.get(REVIEW, {"group": "tekun"}).content.decode()
    assert "特困戊" in html and "低保丁" not in html
    assert "139****5678" in html and "13912345678" not in html  # a number typed into 依据, masked in lists

    response = client.get(REVIEW + "export/", {"group": "tekun"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("姓名", "证件号码", "联系电话", "所属社区/网格", "现住址", "人群类别")
    assert [row[0] for row in rows[1:]] == ["特困戊"]
    assert rows[1][8] == 6  # days left
    assert rows[1][9] == "经办人电话 139****5678"
    event = AuditEvent.objects.get(event_name="registry.list.exported")
    assert "特殊人群到期复核" in event.message and "特困" in event.message


def test_api_lists_the_same_tags_and_renews_one(tree, clerk):
    a1 = tree.community_a1
    due = tagged(clerk, a1, "接口低保", "dibao", 4)
    tagged(clerk, a1, "接口特困", "tekun", 12)
    tagged(staff(tree.community_b1), tree.community_b1, "乙社区", "dibao", 4)
    api = api_client_for(clerk)

    listed = api.get("/api/v1/tag-reviews/", {"group": "dibao"}).json()
    assert [row["person_name"] for row in listed["results"]] == ["接口低保"]
    row = listed["results"][0]
    assert row["days_left"] == 4 and row["group_label"] == "低保对象"
    assert row["person_id_number_masked"] == due.id_number_masked and due.id_number not in str(listed)
    wrong = api.get("/api/v1/tag-reviews/", {"group": "nothing"})
    assert wrong.status_code == 400 and "不是有效的选项" in wrong.json()["errors"]["group"][0]

    old = only_tag(due)
    renewed = api.post(
        f"/api/v1/persons/{due.pk}/tags/{old.pk}/renew/",
        {"valid_until": (old.valid_until + timedelta(days=365)).isoformat(), "evidence": "年审通过"},
        format="json",
    )
    assert renewed.status_code == 201, renewed.content
    assert renewed.json()["valid_from"] == (old.valid_until + timedelta(days=1)).isoformat()
    assert [r["person_name"] for r in api.get("/api/v1/tag-reviews/").json()["results"]] == ["接口特困"]
    again = api.post(f"/api/v1/persons/{due.pk}/tags/{old.pk}/renew/", {"valid_until": None}, format="json")
    assert again.status_code == 400 and "重叠" in str(again.json())
    assert SpecialGroupTag.objects.filter(person=due).count() == 2


def section(page: str, testid: str) -> str:
    start = page.index(f'data-testid="{testid}"')
    return page[start : page.index("</ul>", start)]


def test_a_renewals_next_period_is_shown_as_upcoming_not_as_history(tree, clerk):
    today = timezone.localdate()
    resident = tagged(clerk, tree.community_a1, "续期人", "dibao", 10)
    old = only_tag(resident)
    client = client_for(clerk)
    client.post(f"/registry/persons/{resident.pk}/tags/{old.pk}/renew/", {"valid_until": ""})
    ended = services.tag_add(
        actor=clerk,
        person=resident,
        group="tekun",
        valid_from=today - timedelta(days=400),
        valid_until=today - timedelta(days=100),
    )

    page = client.get(f"/registry/persons/{resident.pk}/").content.decode()
    start = old.valid_until + timedelta(days=1)
    assert "即将生效" in page
    upcoming = section(page, "upcoming-tags")
    assert f"自 {start:%Y-%m-%d} 起，长期有效" in upcoming and "低保" in upcoming
    assert "低保" in section(page, "active-tags")
    history = section(page, "past-tags")
    assert "特困" in history and f"{ended.valid_until:%Y-%m-%d}" in history
    assert "低保" not in history and "至今" not in history


def test_an_overlap_with_an_open_ended_tag_says_it_lasts(tree, clerk):
    today = timezone.localdate()
    resident = tagged(clerk, tree.community_a1, "长期低保", "dibao", None, starts_days_ago=30)
    response = client_for(clerk).post(
        f"/registry/persons/{resident.pk}/tags/new/", {"group": "dibao", "valid_from": today.isoformat()}
    )
    message = response.content.decode()
    assert f"（自 {today - timedelta(days=30):%Y-%m-%d} 起长期有效），与所填期间重叠" in message
    assert "至 今" not in message
    assert SpecialGroupTag.objects.filter(person=resident).count() == 1


def test_a_number_typed_as_a_tags_evidence_is_masked_on_the_person_page_unless_full_data_is_allowed(
    tree, clerk
):
    today = timezone.localdate()
    card = "残疾人证 33011019800517101X42"
    resident = tagged(
        clerk, tree.community_a1, "持证人", "disabled", 10, details={"type": "1", "grade": "2"}, evidence=card
    )
    old = only_tag(resident)
    services.tag_renew(actor=clerk, tag=old, valid_until=None, evidence="新证 33011019800517101X43")
    services.tag_add(
        actor=clerk,
        person=resident,
        group="dibao",
        valid_from=today - timedelta(days=500),
        valid_until=today - timedelta(days=400),
        evidence="批准文号 13900001111",
    )

    page = client_for(clerk).get(f"/registry/persons/{resident.pk}/").content.decode()
    for typed in ("33011019800517101X42", "33011019800517101X43", "13900001111"):
        assert typed not in page
    assert "残疾人证 330110" in section(page, "active-tags")
    assert "新证 330110" in section(page, "upcoming-tags")
    assert "批准文号 139" in section(page, "past-tags")

    officer = staff(tree.community_a1, "registry.view_full_person")
    page = client_for(officer).get(f"/registry/persons/{resident.pk}/").content.decode()
    assert card in page and "新证 33011019800517101X43" in page and "批准文号 13900001111" in page


def test_a_tag_ended_by_decision_is_not_due_for_review_and_is_never_renewed(tree, clerk):
    resident = tagged(clerk, tree.community_a1, "停保者", "dibao", None)
    tag = only_tag(resident)
    services.tag_end(actor=clerk, tag=tag, valid_until=timezone.localdate(), reason="收入超标，停保")

    assert "停保者" not in client_for(clerk).get(REVIEW).content.decode()
    with pytest.raises(ValidationFailed) as refused:
        services.tag_renew(actor=clerk, tag=only_tag(resident), valid_until=None)
    assert "该标记已解除，不能续期" in str(refused.value.errors)
    assert SpecialGroupTag.objects.filter(person=resident).count() == 1


def test_a_renewal_from_a_page_shown_before_another_clerks_end_is_refused(tree, clerk):
    resident = tagged(clerk, tree.community_a1, "过期页", "dibao", 20)
    shown = only_tag(resident)
    seen = shown.updated_at
    services.tag_end(actor=staff(tree.community_a1), tag=only_tag(resident), valid_until=timezone.localdate())

    with pytest.raises(Conflict):
        services.tag_renew(
            actor=clerk, tag=shown, valid_until=shown.valid_until + timedelta(days=365), seen_updated_at=seen
        )
    assert SpecialGroupTag.objects.filter(person=resident).count() == 1


def test_the_review_needs_the_person_reader_too(tree, clerk):
    tagged(clerk, tree.community_a1, "只看标记", "dibao", 5)
    tags_only = make_user(tree.community_a1, "registry.view_specialgrouptag")
    html = client_for(tags_only).get(REVIEW).content.decode()
    assert "共 0 条" in html and "只看标记" not in html
    assert tags_due_for_review_panel(tags_only)["value"] == 0


def test_a_tag_ended_today_shows_as_ended_and_can_be_corrected_not_renewed_or_revived(tree, clerk):
    resident = tagged(clerk, tree.community_a1, "李低保", "dibao", ends_in_days=20)
    tag = only_tag(resident)
    today = timezone.localdate()
    services.tag_end(actor=clerk, tag=tag, valid_until=today, reason="收入超标")

    page = client_for(clerk).get(f"/registry/persons/{resident.pk}/").content.decode()
    assert 'data-testid="tag-ended"' in page and f"已于 {today:%Y-%m-%d} 解除" in page
    assert f"/tags/{tag.pk}/renew/" not in page  # 续期 would only be refused
    assert f"/tags/{tag.pk}/end/" in page and "更正截止日期" in page and "解除标记" not in page

    tag.refresh_from_db()
    with pytest.raises(ValidationFailed) as refused:  # moving the end later would revive the ended tag
        services.tag_end(actor=clerk, tag=tag, valid_until=today + timedelta(days=10))
    assert "只能提前" in refused.value.errors["valid_until"][0]
    tag.refresh_from_db()
    assert tag.valid_until == today
    # the same end sent twice (a double click) is no error, and an earlier end corrects it
    assert services.tag_end(actor=clerk, tag=tag, valid_until=today).valid_until == today
    earlier = today - timedelta(days=3)
    assert services.tag_end(actor=clerk, tag=tag, valid_until=earlier).valid_until == earlier
