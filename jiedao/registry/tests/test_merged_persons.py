"""A merged duplicate (已合并) is not a second resident: lists, searches, the API, exports, statistics and
look-ups by number show the resident once, as the record kept; the merged record stays reachable through the
已合并 filter and its own page, which leads to the record kept."""

from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from jiedao.applications.processing import registry_match
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.testing import api_client_for, client_for
from jiedao.registry import services
from jiedao.registry.choices import PersonStatus
from jiedao.registry.identity import id_number_hash
from jiedao.registry.models import Migrant, SpecialGroupTag
from jiedao.registry.services import duplicates
from jiedao.registry.statistics import figures, snapshots
from jiedao.registry.tests.factories import person, staff
from jiedao.registry.tests.test_import_persons import errors_of, run, run_jobs, workbook
from jiedao.registry.validators import make_id_number
from jiedao.workflow.services import process_start
from jiedao.workflow.tests import conftest as workflow_fixtures
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.builder import Bpmn

people = workflow_fixtures.people  # the workflow tests' users and roles, for the process test
BORN = date(1958, 6, 6)
LIST = "/registry/persons/"


@pytest.fixture
def clerk(tree):
    return staff(tree.community_a1, "registry.merge_person")


@pytest.fixture
def pair(tree, clerk):
    """(survivor, merged): 周桂英 registered twice, under numbers one digit apart, and merged."""
    survivor = person(clerk, tree.community_a1, name="周桂英", id_number=make_id_number("330110", BORN, 122))
    merged = person(
        clerk,
        tree.community_a1,
        name="周桂英",
        phone="13900001111",
        id_number=make_id_number("330110", BORN, 124),
    )
    duplicates.person_merge(actor=clerk, survivor=survivor, merged=merged)
    merged.refresh_from_db()
    return survivor, merged


def listed(response) -> list[int]:
    return [row.pk for row in response.context["object_list"]]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"status": "all"},
        {"status": "all", "q": "周桂"},
        {"status": "all", "q": "zhouguiying"},
        {"status": "all", "q": "zgy"},
        {"status": "living", "q": "周桂英"},
    ],
)
def test_the_list_and_its_searches_show_the_resident_once(pair, clerk, query):
    survivor, _merged = pair
    assert listed(client_for(clerk).get(LIST, query)) == [survivor.pk]


@pytest.mark.parametrize("which", ["survivor", "merged"])
def test_searching_either_number_finds_the_record_kept(pair, clerk, which):
    survivor, merged = pair
    number = {"survivor": survivor, "merged": merged}[which].id_number
    client = client_for(clerk)
    assert listed(client.get(LIST, {"q": number})) == [survivor.pk]
    assert listed(client.get(LIST, {"q": number, "status": "all"})) == [survivor.pk]
    # the merged record's own phone leads there too
    assert listed(client.get(LIST, {"q": "13900001111", "status": "all"})) == [survivor.pk]


def test_the_merged_filter_lists_the_merged_record(pair, clerk):
    _survivor, merged = pair
    client = client_for(clerk)
    response = client.get(LIST, {"status": PersonStatus.MERGED})
    assert listed(response) == [merged.pk]
    assert "已合并" in response.content.decode()
    assert listed(client.get(LIST, {"status": PersonStatus.MERGED, "q": merged.id_number})) == [merged.pk]


def test_the_merged_records_page_says_so_links_to_the_record_kept_and_offers_no_edits(pair, clerk):
    survivor, merged = pair
    html = client_for(clerk).get(f"{LIST}{merged.pk}/").content.decode()
    assert "已合并" in html and "本记录是重复记录，已合并至" in html
    assert f'href="{LIST}{survivor.pk}/"' in html
    assert f'href="{LIST}{merged.pk}/edit/"' not in html
    assert (
        f'href="{LIST}{survivor.pk}/edit/"' in client_for(clerk).get(f"{LIST}{survivor.pk}/").content.decode()
    )


def test_a_merge_of_the_record_kept_leads_the_first_number_to_the_last_record(tree, clerk, pair):
    survivor, merged = pair
    last = person(clerk, tree.community_a1, name="周桂英", id_number=make_id_number("330110", BORN, 140))
    duplicates.person_merge(actor=clerk, survivor=last, merged=survivor)
    assert listed(client_for(clerk).get(LIST, {"q": merged.id_number})) == [last.pk]


def test_the_api_list_counts_the_resident_once(pair, clerk):
    survivor, merged = pair
    api = api_client_for(clerk)
    body = api.get("/api/v1/persons/").json()
    assert body["count"] == 1 and [row["id"] for row in body["results"]] == [survivor.pk]
    assert [row["id"] for row in api.get("/api/v1/persons/", {"q": merged.id_number}).json()["results"]] == [
        survivor.pk
    ]
    only_merged = api.get("/api/v1/persons/", {"status": "merged"}).json()["results"]
    assert [(row["id"], row["status"], row["merged_into"]) for row in only_merged] == [
        (merged.pk, "merged", survivor.pk)
    ]
    shown = api.get(f"/api/v1/persons/{merged.pk}/").json()
    assert shown["status_display"] == "已合并" and shown["merged_into"] == survivor.pk
    assert api.get(f"/api/v1/persons/{survivor.pk}/").json()["merged_into"] is None


def sheet(response) -> list[tuple]:
    rows = load_workbook(BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True)
    return [row for row in rows if row[0] == "周桂英"]


def test_the_export_writes_the_resident_once_and_the_merged_filter_exports_the_merged_record(pair, clerk):
    client = client_for(clerk)
    for query in ({}, {"status": "all"}):
        rows = sheet(client.get("/registry/persons/export/", query))
        assert len(rows) == 1 and "现居住" in rows[0]
    rows = sheet(client.get("/registry/persons/export/", {"status": "merged"}))
    assert len(rows) == 1 and "已合并" in rows[0]


def test_statistics_count_the_resident_once_live_and_in_the_snapshot(pair, clerk, tree):
    assert figures.compute(clerk)["summary"]["persons"] == 1
    snapshots.refresh()
    data, source = snapshots.compute(clerk)
    assert source is not None and data["summary"]["persons"] == 1


def test_a_merged_records_leftover_migrant_record_is_not_listed_as_a_second_migrant(tree, clerk):
    """Both were registered as migrants: the record kept keeps its own, the merged one's stays behind."""
    survivor = person(clerk, tree.community_a1, name="吴芳", id_number=make_id_number("330110", BORN, 222))
    merged = person(clerk, tree.community_a1, name="吴芳", id_number=make_id_number("330110", BORN, 224))
    for someone in (survivor, merged):
        services.migrant_register(
            actor=clerk,
            person=someone,
            data=services.MigrantData(origin_address="安徽省合肥市", arrival_date=date(2020, 1, 1)),
        )
    duplicates.person_merge(actor=clerk, survivor=survivor, merged=merged)
    assert Migrant.objects.filter(person=merged).exists()
    client = client_for(clerk)
    for query in ({}, {"status": "all"}, {"status": "all", "q": merged.id_number}):
        response = client.get("/registry/migrants/", query)
        assert [m.person_id for m in response.context["object_list"]] == [survivor.pk], query
    api = api_client_for(clerk)
    for query in ({}, {"q": merged.id_number}):
        results = api.get("/api/v1/migrants/", query).json()["results"]
        assert [row["person"]["id"] for row in results] == [survivor.pk], query


def test_an_applicant_typing_the_merged_number_is_matched_to_the_record_kept(pair):
    survivor, merged = pair
    assert registry_match(id_number_hash(merged.id_number), "周桂英") == (survivor, True)
    assert registry_match(id_number_hash(merged.id_number), "周桂") == (None, True)


def test_adding_a_household_member_by_the_merged_number_adds_the_record_kept(pair, clerk, family):
    survivor, merged = pair
    household = family[0]
    response = client_for(clerk).post(
        f"/registry/households/{household.pk}/members/add/", {"id_number": merged.id_number, "relation": "61"}
    )
    assert response.status_code == 302
    assert household.members.filter(person=survivor).exists()
    assert not household.members.filter(person=merged).exists()


MERGED_NUMBER = "该证件号码属于已合并的重复记录，请在保留的记录上办理（按该号码查询人口信息即可找到）。"


def test_registering_or_moving_in_under_the_merged_number_says_where_to_go(pair, clerk, tree):
    _survivor, merged = pair
    data = services.PersonData(name="周桂英", id_number=merged.id_number, org=tree.community_a1)
    with pytest.raises(ValidationFailed) as caught:
        services.person_create(actor=clerk, data=data)
    assert caught.value.errors["id_number"] == [MERGED_NUMBER]
    with pytest.raises(ValidationFailed) as caught:
        services.person_move_in(actor=clerk, data=data, moved_on=date(2025, 1, 2), origin="杭州")
    assert caught.value.errors["id_number"] == [MERGED_NUMBER]


@run_jobs
def test_an_import_row_under_the_merged_number_is_refused_and_the_merged_record_unchanged(pair, clerk, tree):
    _survivor, merged = pair
    job = run(
        clerk,
        tree.community_a1,
        workbook([[1, "周桂英", merged.id_number, "女", None, None, None, None, None, None, "幸福路1号"]]),
    )
    assert (job.created_count, job.updated_count, job.error_count) == (0, 0, 1)
    assert [(row, reason) for row, _c, _v, reason in errors_of(job)] == [(4, MERGED_NUMBER)]
    merged.refresh_from_db()
    assert merged.status == PersonStatus.MERGED and merged.residence_address == ""


def test_a_process_carrying_the_merged_records_id_reads_and_tags_the_record_kept(pair, clerk, family, people):
    """A process started for the applicant before the merge keeps the old id in its data."""
    survivor, merged = pair
    household = family[0]
    services.household_add_member(actor=clerk, household=household, person=survivor, relation="61")
    xml = (
        Bpmn("dibao", "低保")
        .start()
        .service("load", "读取家庭", action="registry.load_household", person_id="${pid}")
        .service("tag", "标记", action="registry.tag_add", person_id="${pid}", group="dibao")
        .user("check", "复核", groups="role:approver")
        .end()
        .chain("start", "load", "tag", "check", "end")
        .xml()
    )
    processes.deploy(people, "dibao", xml=xml, forms={})
    instance = process_start(
        actor=people.applicant, definition_key="dibao", org=people.applicant.org, data={"pid": merged.pk}
    )
    assert instance.data["household"]["number"] == household.number
    assert instance.data["tag_added"] is True
    assert list(SpecialGroupTag.objects.values_list("person_id", "group")) == [(survivor.pk, "dibao")]
