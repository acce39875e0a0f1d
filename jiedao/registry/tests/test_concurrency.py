"""Two community clerks acting on the same resident at the same moment, on PostgreSQL with real threads
(`jiedao.workflow.tests.racing`). Each test's docstring tells what happened before the registry services
locked the person's row and checked it there (`registry.services.persons.lock_person`), and before registry
import batches into one community were serialised (`ImportSpec.batch_lock`).

Expected: exactly one wins, the other is told in Chinese, nothing contradictory is left (a moved-out resident
in a household, a tag that outlives the move), no change is silently lost, no database error reaches a user.

To run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/pytest -p no:randomly <this file>
(skipped on SQLite, which runs one writer at a time).
"""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from django.utils import timezone

from jiedao.applications.models import PublicNotice
from jiedao.applications.tests import test_processing
from jiedao.registry import services
from jiedao.registry.choices import LifeEventKind, PersonStatus
from jiedao.registry.models import HouseholdMember, LifeEvent, Person, SpecialGroupTag
from jiedao.registry.tests.factories import new_id_number, person, staff
from jiedao.registry.tests.test_import_persons import HEADERS, upload, workbook
from jiedao.spreadsheets.models import ImportJob
from jiedao.spreadsheets.services import import_start
from jiedao.workflow import services as workflow
from jiedao.workflow.tests.racing import (
    assert_chain_verifies,
    both_orders,
    one_during_the_other,
    require_postgresql,
    run,
    winner,
)

pytestmark = pytest.mark.django_db(transaction=True)

hall, clock = test_processing.hall, test_processing.clock


NAMES = "春夏秋冬梅兰竹菊松柏山水云雨风雪江河湖海"


@pytest.fixture(autouse=True)
def _postgresql_only():
    require_postgresql()


@pytest.fixture
def clerks(tree):
    return staff(tree.community_a1), staff(tree.community_a1)


def page_of(p: Person) -> Person:
    """The person as a clerk's edit page loaded them."""
    return Person.objects.get(pk=p.pk)


def form_data(p: Person, **changes) -> services.PersonData:
    """What the edit form sends: every field as loaded, with the clerk's own changes."""
    values = {
        "name": p.name,
        "id_number": p.id_number,
        "org": p.org,
        "gender": p.gender,
        "birth_date": p.birth_date,
        "ethnicity": p.ethnicity,
        "phone": p.phone,
        "education": p.education,
        "employment": p.employment,
        "residence_address": p.residence_address,
        "hukou_address": p.hukou_address,
        "note": p.note,
    }
    values.update(changes)
    return services.PersonData(**values)


def test_two_clerks_edit_the_same_person(clerks, tree):
    """Clerk 1 corrects the phone, clerk 2 (same page, loaded at the same time) the employment. Today both
    saves succeed and the later one writes the old phone back: clerk 1's correction is lost without a word,
    and the audit record's "before" is the stale page."""
    one, two = clerks
    for runner, order in both_orders("phone", "job"):
        resident = person(one, tree.community_a1, name="王建国", phone="13900000001")
        page1, page2 = page_of(resident), page_of(resident)
        calls = {
            "phone": partial(
                services.person_update,
                actor=one,
                person=page1,
                data=form_data(page1, phone="13900000002"),
            ),
            "job": partial(
                services.person_update,
                actor=two,
                person=page2,
                data=form_data(page2, employment="退休"),
            ),
        }
        results = run(runner, order, calls)
        won = winner(results)
        lost = "job" if won == "phone" else "phone"
        assert results[lost] == ("refused", "该居民信息已被他人修改，请刷新后重试。")
        saved = page_of(resident)
        assert (saved.phone, saved.employment) == (
            ("13900000002", "") if won == "phone" else ("13900000001", "退休")
        )
    assert_chain_verifies()


def test_moving_out_while_another_clerk_adds_them_to_a_household(clerks, tree, family):
    """One clerk registers 迁出 while another adds the same resident to a household. Today both succeed in
    either order: the resident is 已迁出 and still a member of the household (it lists a moved-out member,
    who can never be removed by 迁出 again)."""
    one, two = clerks
    household, _head, _wife, _son = family
    for runner, order in both_orders("move_out", "join"):
        newcomer = person(
            one,
            tree.community_a1,
            name="赵新",
            id_number=new_id_number(dt.date(1995, 5, 5)),
        )
        calls = {
            "move_out": partial(
                services.person_move_out,
                actor=one,
                person=page_of(newcomer),
                moved_on=timezone.localdate(),
                destination="上海市",
            ),
            "join": partial(
                services.household_add_member,
                actor=two,
                household=household,
                person=page_of(newcomer),
                relation="20",
            ),
        }
        results = run(runner, order, calls)
        newcomer.refresh_from_db()
        member = HouseholdMember.objects.filter(person=newcomer).exists()
        assert not (newcomer.status == PersonStatus.MOVED_OUT and member), results
        if results["join"][0] == "refused":
            assert results["join"][1] == "赵新 当前状态为“已迁出”，不能入户。"
    assert_chain_verifies()


def test_the_same_move_out_sent_twice(clerks, tree):
    """A double click on 迁出 (or two clerks): one move-out, the second told the resident has moved out.
    Today both pass the check on the page's copy: two 迁出 life events and two audit records."""
    one, two = clerks
    for runner, order in both_orders("first", "second"):
        resident = person(
            one,
            tree.community_a1,
            name="钱多",
            id_number=new_id_number(dt.date(1970, 7, 7)),
        )
        calls = {
            name: partial(
                services.person_move_out,
                actor=actor,
                person=page_of(resident),
                moved_on=timezone.localdate(),
                destination="北京市",
            )
            for name, actor in (("first", one), ("second", two))
        }
        results = run(runner, order, calls)
        won = winner(results)
        lost = "second" if won == "first" else "first"
        assert results[lost] == (
            "refused",
            "该居民当前状态为“已迁出”，不能办理此事项。",
        )
        assert LifeEvent.objects.filter(person=resident, kind=LifeEventKind.MOVE_OUT).count() == 1
    assert_chain_verifies()


def test_two_clerks_add_the_same_person_to_two_households(clerks, tree, family):
    """Both pass the "already in a household" check; `update_or_create` then silently moves the person
    from the first household into the second (no 出户 life event for the first)."""
    one, two = clerks
    first_household, _head, _wife, _son = family
    for serial, (runner, order) in enumerate(both_orders("first", "second")):
        other_head = person(
            one,
            tree.community_a1,
            name=f"户主{'甲乙丙'[serial]}",
            id_number=new_id_number(dt.date(1960, 1, 2)),
        )
        second_household = services.household_create(
            actor=one,
            org=tree.community_a1,
            number=f"330110001001-01{serial}0",
            registered_address="明湖区幸福路14号",
            head=other_head,
        )
        newcomer = person(
            one,
            tree.community_a1,
            name=f"孙{'甲乙丙'[serial]}",
            id_number=new_id_number(dt.date(1999, 9, 9)),
        )
        calls = {
            "first": partial(
                services.household_add_member,
                actor=one,
                household=first_household,
                person=page_of(newcomer),
                relation="20",
            ),
            "second": partial(
                services.household_add_member,
                actor=two,
                household=second_household,
                person=page_of(newcomer),
                relation="20",
            ),
        }
        results = run(runner, order, calls)
        won = winner(results)
        joined = first_household if won == "first" else second_household
        assert HouseholdMember.objects.get(person=newcomer).household == joined
        assert LifeEvent.objects.filter(person=newcomer, kind=LifeEventKind.HOUSEHOLD_JOIN).count() == 1
    assert_chain_verifies()


def test_two_imports_of_the_same_roster_at_once(clerks, tree, settings, tmp_path):
    """Two clerks upload the same roster at once (or one clicks 导入 twice). Each batch looks up the persons
    it may update before the other has committed, both insert, and the second import stops with
    "导入出错（处理至第 303 行附近）：UniqueViolation: duplicate key value violates unique constraint
    "registry_person_id_hash_unique" DETAIL: Key (id_number_hash)=(…)" — a database message, in English, for something the user did not do
    wrong. Expected: both finish (the second updates what the first created) or the second is refused in
    words; no duplicate person either way."""
    settings.MEDIA_ROOT = tmp_path / "media"
    one, two = clerks
    rows = [
        [
            n + 1,
            "居民" + NAMES[n // 20] + NAMES[n % 20],
            new_id_number(dt.date(1950 + n % 50, 1 + n % 12, 1 + n % 28)),
            None,
            None,
        ]
        for n in range(300)
    ]
    data = workbook(rows, headers=HEADERS[:5])
    imports = {
        name: partial(
            import_start,
            actor=actor,
            spec_key="registry-persons",
            org=tree.community_a1,
            uploaded_file=upload(data),
        )
        for name, actor in (("clerk1", one), ("clerk2", two))
    }
    results = one_during_the_other(**imports)  # the second upload while the first is being saved
    jobs = [ImportJob.objects.get(pk=value.pk) for _kind, value in results.values()]
    assert Person.objects.filter(org=tree.community_a1, name__startswith="居民").count() == 300
    for job in jobs:
        # done, or refused in words: never the database's own message
        assert job.status == "done" or "duplicate key" not in job.failure_message, job.failure_message
    assert_chain_verifies()


def test_moving_out_while_the_dibao_process_tags_the_applicant(hall, clock):
    """The 低保 process ends its notice period and tags the applicant 低保 (registry.tag_add) while the
    community registers the applicant's 迁出. Today the tag is checked against the person as read before the
    move-out committed, and the move-out ends only the tags it could see: a moved-out resident keeps an open
    低保 tag (the community's benefit rolls still count them)."""
    application, _instance = test_processing._verified_and_reviewed(hall)
    notice = PublicNotice.objects.get(application=application)
    clerk = staff(hall.tree.community_a1)
    household = HouseholdMember.objects.get(person=hall.applicant).household
    services.household_change_head(  # the applicant is the head: the spouse takes over, so she may move out
        actor=clerk, household=household, new_head=hall.spouse, old_head_relation="10"
    )

    results = one_during_the_other(
        sweep=partial(workflow.fire_due_timers, now=notice.ends_at + dt.timedelta(minutes=1)),
        move_out=partial(
            services.person_move_out,
            actor=clerk,
            person=page_of(hall.applicant),
            moved_on=timezone.localdate(),
            destination="上海市",
        ),
    )
    assert results["sweep"][0] == "ok" and results["move_out"][0] == "ok"
    applicant = page_of(hall.applicant)
    open_tags = SpecialGroupTag.objects.filter(person=applicant, group="dibao", valid_until__isnull=True)
    assert not (applicant.status == PersonStatus.MOVED_OUT and open_tags.exists())
    assert_chain_verifies()
