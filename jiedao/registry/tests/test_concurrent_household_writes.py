"""More registry writes two clerks may send at the same moment, on PostgreSQL with real threads
(`jiedao.workflow.tests.racing`): ending a special-group tag, a household's members, details and head, a
migrant record and a resident's photo. Each test's docstring tells what happened before the service locked
the person's row (`lock_person`, `lock_persons`), then the household's (`_lock_household`), and decided on
what it found there.

Expected: each request either does what it says on the state it finds, or is refused in Chinese; nothing
contradictory is left (a head who is no member, a closed household reopened, a tag that outlives the move),
no change is silently lost, no file is left behind, no database error reaches a user.

To run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/pytest -p no:randomly <this file>
(skipped on SQLite, which runs one writer at a time).
"""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiedao.applications.tests.factories import image_bytes
from jiedao.audit.models import AuditEvent
from jiedao.registry import audit_events as events
from jiedao.registry import services
from jiedao.registry.choices import LifeEventKind, PersonStatus
from jiedao.registry.models import HouseholdMember, LifeEvent, Migrant
from jiedao.registry.services.persons import person_set_photo
from jiedao.registry.tests.factories import new_id_number, person, staff
from jiedao.workflow.tests.racing import (
    assert_chain_verifies,
    at_once,
    both_orders,
    require_postgresql,
    run,
    winner,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    require_postgresql()


@pytest.fixture
def clerks(tree):
    return staff(tree.community_a1), staff(tree.community_a1)


def fresh(obj):
    """The row as a clerk's request loaded it."""
    return type(obj).objects.get(pk=obj.pk)


def family(clerk, org, serial: int):
    """A household of three: (household, head, wife, son), new for each round."""
    head = person(clerk, org, name="王建国", id_number=new_id_number(dt.date(1960, 1, 1)))
    wife = person(clerk, org, name="刘桂兰", id_number=new_id_number(dt.date(1962, 2, 2), female=True))
    son = person(clerk, org, name="王小明", id_number=new_id_number(dt.date(1988, 3, 3)))
    household = services.household_create(
        actor=clerk,
        org=org,
        number=f"330110001001-02{serial}0",
        registered_address="明湖区幸福路12号",
        head=head,
        members=[(wife, "10"), (son, "20")],
    )
    return household, head, wife, son


def test_the_same_tag_ended_twice(clerks, tree):
    """A double click on 解除标记 (or two clerks on the same page). Today both requests end the tag: two
    “解除低保标记” entries in the resident's timeline, two audit records, and the later end date wins."""
    one, two = clerks
    for runner, order in both_orders("first", "second"):
        resident = person(one, tree.community_a1, name="钱多", id_number=new_id_number(dt.date(1970, 7, 7)))
        tag = services.tag_add(actor=one, person=resident, group="dibao", valid_from=dt.date(2025, 1, 1))
        calls = {
            name: partial(services.tag_end, actor=actor, tag=fresh(tag), valid_until=until, reason="收入超标")
            for name, actor, until in (
                ("first", one, timezone.localdate()),
                ("second", two, timezone.localdate() - dt.timedelta(days=1)),
            )
        }
        results = run(runner, order, calls)
        won = winner(results)
        lost = "second" if won == "first" else "first"
        assert results[lost] == ("refused", "该标记已被他人修改，请刷新后重试。")
        assert fresh(tag).valid_until == calls[won].keywords["valid_until"]
        assert LifeEvent.objects.filter(person=resident, kind=LifeEventKind.TAG_ENDED).count() == 1
    assert_chain_verifies()


def test_ending_a_tag_while_another_clerk_registers_the_move_out(clerks, tree):
    """One clerk registers 迁出 (which ends the resident's tags on the day they left) while another ends the
    same tag as of today. Today the tag's end is written from the page's copy after the move-out: the
    resident moved out yesterday and is still 低保 today."""
    one, two = clerks
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    for runner, order in both_orders("move_out", "end"):
        resident = person(one, tree.community_a1, name="孙立", id_number=new_id_number(dt.date(1971, 8, 8)))
        tag = services.tag_add(actor=one, person=resident, group="dibao", valid_from=dt.date(2025, 1, 1))
        calls = {
            "move_out": partial(
                services.person_move_out,
                actor=one,
                person=fresh(resident),
                moved_on=yesterday,
                destination="上海市",
            ),
            "end": partial(services.tag_end, actor=two, tag=fresh(tag), valid_until=timezone.localdate()),
        }
        results = run(runner, order, calls)
        assert results["move_out"][0] == "ok"
        assert fresh(resident).status == PersonStatus.MOVED_OUT
        assert fresh(tag).valid_until == yesterday, results
        if results["end"][0] == "refused":
            assert results["end"][1] == "该标记已被他人修改，请刷新后重试。"
    assert_chain_verifies()


def test_removing_a_member_while_another_clerk_makes_them_the_head(clerks, tree):
    """Clerk 1 makes the son the head (变更户主) while clerk 2 removes the son from the household (出户).
    Today, with the head change first, the removal checks the head on its own copy of the household and
    succeeds: the household's head is no longer a member of it. With the removal first, the head change
    writes the son's membership that is gone and a database error reaches clerk 1."""
    one, two = clerks
    for serial, (runner, order) in enumerate(both_orders("head", "remove")):
        household, _head, _wife, son = family(one, tree.community_a1, serial)
        calls = {
            "head": partial(
                services.household_change_head,
                actor=one,
                household=fresh(household),
                new_head=fresh(son),
                old_head_relation="51",
            ),
            "remove": partial(
                services.household_remove_member, actor=two, household=fresh(household), person=fresh(son)
            ),
        }
        results = run(runner, order, calls)
        won = winner(results)
        household = fresh(household)
        assert HouseholdMember.objects.filter(household=household, person_id=household.head_id).exists()
        if won == "head":
            assert results["remove"] == ("refused", "不能移出户主，请先变更户主。")
            assert household.head_id == son.pk
        else:
            assert results["head"] == ("refused", "新户主须是本户成员。")
            assert not HouseholdMember.objects.filter(person=son).exists()
    assert_chain_verifies()


def test_two_clerks_remove_two_members_at_once(clerks, tree):
    """Two clerks each remove another member of the same household: both leave, the head stays, one 出户 entry
    each (this one held before too; kept so the lock added for the case above does not deadlock here)."""
    one, two = clerks
    for serial, (runner, order) in enumerate(both_orders("wife", "son")):
        household, head, wife, son = family(one, tree.community_a1, serial)
        calls = {
            "wife": partial(
                services.household_remove_member, actor=one, household=fresh(household), person=fresh(wife)
            ),
            "son": partial(
                services.household_remove_member, actor=two, household=fresh(household), person=fresh(son)
            ),
        }
        results = run(runner, order, calls)
        assert {kind for kind, _value in results.values()} == {"ok"}, results
        assert list(HouseholdMember.objects.filter(household=household).values_list("person", flat=True)) == [
            head.pk
        ]
        assert fresh(household).head_id == head.pk
    assert_chain_verifies()


def test_editing_a_household_while_its_only_member_moves_out(clerks, tree):
    """Clerk 1 registers the 迁出 of a household's only member (the head: the household is closed, 销户) while
    clerk 2 corrects the household's registered address. Today the edit saves every field of its own copy of
    the household after the move-out: the household is open again, with the moved-out resident as its head."""
    one, two = clerks
    for serial, (runner, order) in enumerate(both_orders("move_out", "edit")):
        head = person(one, tree.community_a1, name="赵独", id_number=new_id_number(dt.date(1950, 5, 5)))
        household = services.household_create(
            actor=one,
            org=tree.community_a1,
            number=f"330110001001-03{serial}0",
            registered_address="明湖区幸福路12号",
            head=head,
        )
        calls = {
            "move_out": partial(
                services.person_move_out,
                actor=one,
                person=fresh(head),
                moved_on=timezone.localdate(),
                destination="上海市",
            ),
            "edit": partial(
                services.household_update,
                actor=two,
                household=fresh(household),
                registered_address="明湖区幸福路12号之一",
                kind=household.kind,
                house=None,
            ),
        }
        results = run(runner, order, calls)
        assert {kind for kind, _value in results.values()} == {"ok"}, results
        household = fresh(household)
        assert (household.head_id, household.dissolved_on) == (None, timezone.localdate())
        assert household.registered_address == "明湖区幸福路12号之一"  # the correction is kept too
    assert_chain_verifies()


def test_editing_a_household_while_another_clerk_changes_its_head(clerks, tree):
    """Clerk 1 makes the wife the head while clerk 2 edits the household's address. Today the edit, saved
    after the head change, writes the old head back: the household names 王建国 head while the member list
    says 刘桂兰 is (户主) and he is her spouse."""
    one, two = clerks
    for serial, (runner, order) in enumerate(both_orders("head", "edit")):
        household, _head, wife, _son = family(one, tree.community_a1, serial)
        calls = {
            "head": partial(
                services.household_change_head,
                actor=one,
                household=fresh(household),
                new_head=fresh(wife),
                old_head_relation="10",
            ),
            "edit": partial(
                services.household_update,
                actor=two,
                household=fresh(household),
                registered_address="明湖区幸福路12号之二",
                kind=household.kind,
                house=None,
            ),
        }
        results = run(runner, order, calls)
        assert {kind for kind, _value in results.values()} == {"ok"}, results
        household = fresh(household)
        assert household.head_id == wife.pk
        assert HouseholdMember.objects.get(person=wife).relation == "02"
        assert household.registered_address == "明湖区幸福路12号之二"
    assert_chain_verifies()


def test_two_clerks_change_the_head_at_once(clerks, tree):
    """Clerk 1 makes the wife the head (the old head becomes her 配偶), clerk 2 the son (the old head becomes
    his 父亲). Today both succeed, the second applying its relations to whoever is head by then: the wife
    becomes the son's 父亲 and the first head stays the 配偶 of a head he is no longer married to."""
    one, two = clerks
    for serial, (runner, order) in enumerate(both_orders("wife", "son")):
        household, head, wife, son = family(one, tree.community_a1, serial)
        calls = {
            "wife": partial(
                services.household_change_head,
                actor=one,
                household=fresh(household),
                new_head=fresh(wife),
                old_head_relation="10",
            ),
            "son": partial(
                services.household_change_head,
                actor=two,
                household=fresh(household),
                new_head=fresh(son),
                old_head_relation="51",
                relations={wife.pk: "52"},
            ),
        }
        results = run(runner, order, calls)
        won = winner(results)
        lost = "son" if won == "wife" else "wife"
        assert results[lost] == ("refused", "该户户主已变更，请刷新后重试。")
        relations = dict(
            HouseholdMember.objects.filter(household=household).values_list("person", "relation")
        )
        if won == "wife":
            assert fresh(household).head_id == wife.pk
            assert relations == {head.pk: "10", wife.pk: "02", son.pk: "20"}
        else:
            assert fresh(household).head_id == son.pk
            assert relations == {head.pk: "51", wife.pk: "52", son.pk: "02"}
    assert_chain_verifies()


def migrant_data(**changes) -> services.MigrantData:
    values = {"origin_address": "安徽省阜阳市", "arrival_date": dt.date(2026, 3, 1), "employer": "明湖物流"}
    values.update(changes)
    return services.MigrantData(**values)


def test_the_same_migrant_registered_twice(clerks, tree):
    """Two clerks (or a double click) register the same resident as a migrant. Today both find no record and
    insert one; the second stops on the database's unique constraint and the user sees a server error."""
    one, two = clerks
    for runner, order in both_orders("first", "second"):
        resident = person(one, tree.community_a1, name="周来", id_number=new_id_number(dt.date(1990, 6, 6)))
        calls = {
            "first": partial(
                services.migrant_register, actor=one, person=fresh(resident), data=migrant_data()
            ),
            "second": partial(
                services.migrant_register,
                actor=two,
                person=fresh(resident),
                data=migrant_data(employer="明湖超市"),
            ),
        }
        results = run(runner, order, calls)
        assert Migrant.objects.filter(person=resident).count() == 1
        if runner is at_once and {kind for kind, _value in results.values()} == {"ok"}:
            continue  # released together, one ended before the other began: the second was an edit
        won = winner(results)
        lost = "second" if won == "first" else "first"
        assert results[lost] == ("refused", "该居民的流动人口信息已被他人登记或修改，请刷新后重试。")
        assert Migrant.objects.get(person=resident).employer == calls[won].keywords["data"].employer
    assert_chain_verifies()


def test_two_clerks_edit_the_same_migrant_record(clerks, tree):
    """Clerk 1 enters the new residence permit's expiry, clerk 2 the new employer, both from the record as
    it was. Today both saves succeed and the later one writes the old values of the other's field back:
    one of the two corrections is lost without a word."""
    one, two = clerks
    for runner, order in both_orders("permit", "employer"):
        resident = person(one, tree.community_a1, name="吴往", id_number=new_id_number(dt.date(1991, 7, 7)))
        services.migrant_register(actor=one, person=resident, data=migrant_data())
        calls = {
            "permit": partial(
                services.migrant_register,
                actor=one,
                person=fresh(resident),
                data=migrant_data(permit_valid_until=dt.date(2027, 12, 31)),
            ),
            "employer": partial(
                services.migrant_register,
                actor=two,
                person=fresh(resident),
                data=migrant_data(employer="明湖超市"),
            ),
        }
        results = run(runner, order, calls)
        if runner is at_once and {kind for kind, _value in results.values()} == {"ok"}:
            continue  # released together, one ended before the other began (read the record after it)
        won = winner(results)
        lost = "employer" if won == "permit" else "permit"
        assert results[lost] == ("refused", "该居民的流动人口信息已被他人登记或修改，请刷新后重试。")
        migrant = Migrant.objects.get(person=resident)
        assert (migrant.permit_valid_until, migrant.employer) == (
            (dt.date(2027, 12, 31), "明湖物流") if won == "permit" else (None, "明湖超市")
        )
    assert_chain_verifies()


def test_two_photos_uploaded_for_the_same_resident(clerks, tree, settings, tmp_path):
    """Two clerks upload a photo of the same resident at the same moment. Today each request replaces the
    photo it loaded (none): the first photo's encrypted file stays on disk, referenced by nothing and never
    deleted, and the second audit record says the photo it replaced was none."""
    settings.MEDIA_ROOT = tmp_path / "media"
    photos = tmp_path / "media" / "registry" / "photos"
    one, two = clerks
    for runner, order in both_orders("first", "second"):
        resident = person(one, tree.community_a1, name="郑影", id_number=new_id_number(dt.date(1985, 4, 4)))
        calls = {
            name: partial(
                person_set_photo,
                actor=actor,
                person=fresh(resident),
                photo=SimpleUploadedFile(f"{name}.png", image_bytes("PNG", 30, 40, colour=colour)),
            )
            for name, actor, colour in (("first", one, (200, 30, 30)), ("second", two, (30, 30, 200)))
        }
        results = run(runner, order, calls)
        assert {kind for kind, _value in results.values()} == {"ok"}, results
        kept = fresh(resident).photo.name
        on_disk = {f"registry/photos/{path.name}" for path in photos.iterdir()}
        assert on_disk == {kept}, "a replaced photo was left on disk"
        changes = AuditEvent.objects.filter(
            event_code=events.PERSON_CHANGED.code, target_id=str(resident.pk)
        ).order_by("id")
        first, second = [(change.before["photo"], change.after["photo"]) for change in changes]
        assert first[0] == "" and second == (first[1], kept)  # the second replaced the first
        for path in photos.iterdir():
            path.unlink()
    assert_chain_verifies()
