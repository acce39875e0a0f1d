"""What a clerk notices when a page was shown before another clerk's save (issue #3), for the household edit,
the migrant (流动人口) record and ending a special-group tag, as test_stale_edits.py does for a person's edit:
the page carries the version it showed, and a save after someone else's is refused with a Chinese message
instead of writing the page's old values over theirs; what the clerk typed stays on the form. An API client
sending back `updated_at` gets 409. Also: a tag of a moved-out or deceased resident cannot end after that day,
and the households API's PATCH writes only the fields it sends (that race runs on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import re
from datetime import date, timedelta
from functools import partial

import pytest
from django.utils import timezone

from jiedao.audit.models import AuditEvent
from jiedao.core.testing import api_client_for, client_for
from jiedao.registry import services
from jiedao.registry.models import Household, Migrant, Person, SpecialGroupTag
from jiedao.registry.tests.factories import new_id_number, person, staff

HOUSEHOLD_CONFLICT = "该户信息已被他人修改，请刷新后重试。"
MIGRANT_CONFLICT = "该居民的流动人口信息已被他人登记或修改，请刷新后重试。"
TAG_CONFLICT = "该标记已被他人修改，请刷新后重试。"


def _version(html: str, action: str = "") -> str:
    """The hidden version the page (or, on the person page, the form posting to `action`) carries."""
    if action:
        html = html[html.index(f'action="{action}"') :]
    found = re.search(r'name="updated_at"(?: value="([^"]*)")?', html)
    assert found, "the page carries the version it showed"
    return found.group(1) or ""  # none shown (no record yet): the browser sends the field empty


# --- household edit ---------------------------------------------------------------------------------------


def test_saving_a_household_edit_page_after_another_clerks_save_is_refused(family, clerk, tree):
    household = family[0]
    url = f"/registry/households/{household.pk}/edit/"
    mine, theirs = client_for(clerk), client_for(staff(tree.community_a1))
    shown = _version(mine.get(url).content.decode())
    # meanwhile another clerk corrects the address on their own edit page
    their_form = {
        "registered_address": "明湖区幸福路12号之一",
        "kind": "1",
        "house": "",
        "updated_at": _version(theirs.get(url).content.decode()),
    }
    assert theirs.post(url, their_form).status_code == 302
    events = AuditEvent.objects.count()

    mine_form = {"registered_address": "明湖区幸福路12号", "kind": "2", "house": "", "updated_at": shown}
    response = mine.post(url, mine_form)
    assert response.status_code == 200
    html = response.content.decode()
    assert HOUSEHOLD_CONFLICT in html
    assert 'value="2" selected' in html  # the kind this clerk chose is still on the form
    saved = Household.objects.get(pk=household.pk)
    assert (saved.registered_address, saved.kind) == ("明湖区幸福路12号之一", "1")
    assert AuditEvent.objects.count() == events

    # reloaded, the page shows the other clerk's address and saves
    html = mine.get(url).content.decode()
    assert "明湖区幸福路12号之一" in html
    mine_form.update(registered_address="明湖区幸福路12号之一", updated_at=_version(html))
    assert mine.post(url, mine_form).status_code == 302
    saved = Household.objects.get(pk=household.pk)
    assert (saved.registered_address, saved.kind) == ("明湖区幸福路12号之一", "2")


def test_households_api_with_a_stale_updated_at_answers_409(family, clerk):
    household = family[0]
    api = api_client_for(clerk)
    url = f"/api/v1/households/{household.pk}/"
    shown = api.get(url).json()["updated_at"]
    assert api.patch(url, {"kind": "2", "updated_at": shown}, format="json").status_code == 200
    stale = api.patch(url, {"registered_address": "明湖区幸福路13号", "updated_at": shown}, format="json")
    assert stale.status_code == 409, stale.content
    assert (stale.json()["code"], stale.json()["detail"]) == ("conflict", HOUSEHOLD_CONFLICT)
    saved = Household.objects.get(pk=household.pk)
    assert (saved.registered_address, saved.kind) == ("明湖区幸福路12号", "2")
    # without updated_at the API writes as before, only the field sent
    assert api.patch(url, {"registered_address": "明湖区幸福路13号"}, format="json").status_code == 200
    saved = Household.objects.get(pk=household.pk)
    assert (saved.registered_address, saved.kind) == ("明湖区幸福路13号", "2")


# --- migrant record ---------------------------------------------------------------------------------------


MIGRANT_FORM = {
    "origin_address": "河南省周口市",
    "arrival_date": "2025-03-01",
    "reason": "work",
    "employer": "",
    "landlord": "",
}


def test_saving_a_migrant_page_after_another_clerks_save_is_refused(tree, clerk):
    resident = person(clerk, tree.community_a1, name="周强")
    services.migrant_register(
        actor=clerk,
        person=resident,
        data=services.MigrantData(
            origin_address="河南省周口市", arrival_date=date(2025, 3, 1), reason="work"
        ),
    )
    url = f"/registry/persons/{resident.pk}/migrant/"
    mine, theirs = client_for(clerk), client_for(staff(tree.community_a1))
    shown = _version(mine.get(url).content.decode())
    assert shown, "an existing record's page carries its version"
    their_form = {
        **MIGRANT_FORM,
        "employer": "明湖科技",
        "updated_at": _version(theirs.get(url).content.decode()),
    }
    assert theirs.post(url, their_form).status_code == 302

    response = mine.post(url, {**MIGRANT_FORM, "landlord": "房东老陈", "updated_at": shown})
    assert response.status_code == 200
    html = response.content.decode()
    assert MIGRANT_CONFLICT in html and "房东老陈" in html
    saved = Migrant.objects.get(person=resident)
    assert (saved.employer, saved.landlord) == ("明湖科技", "")

    html = mine.get(url).content.decode()
    form = {**MIGRANT_FORM, "employer": "明湖科技", "landlord": "房东老陈", "updated_at": _version(html)}
    assert mine.post(url, form).status_code == 302
    saved = Migrant.objects.get(person=resident)
    assert (saved.employer, saved.landlord) == ("明湖科技", "房东老陈")


def test_a_first_registration_page_saved_after_another_clerk_registered_is_refused(tree, clerk):
    resident = person(clerk, tree.community_a1, name="吴敏")
    url = f"/registry/persons/{resident.pk}/migrant/"
    mine, theirs = client_for(clerk), client_for(staff(tree.community_a1))
    shown = _version(mine.get(url).content.decode())
    assert shown == "", "no record yet: the page says so"
    their_form = {
        **MIGRANT_FORM,
        "employer": "明湖科技",
        "updated_at": _version(theirs.get(url).content.decode()),
    }
    assert theirs.post(url, their_form).status_code == 302

    response = mine.post(url, {**MIGRANT_FORM, "origin_address": "安徽省阜阳市", "updated_at": shown})
    assert response.status_code == 200
    html = response.content.decode()
    assert MIGRANT_CONFLICT in html and "安徽省阜阳市" in html
    saved = Migrant.objects.get(person=resident)
    assert (saved.origin_address, saved.employer) == ("河南省周口市", "明湖科技")


def test_migrant_api_with_a_stale_updated_at_answers_409(tree, clerk):
    resident = person(clerk, tree.community_a1, name="郑华")
    api = api_client_for(clerk)
    url = f"/api/v1/persons/{resident.pk}/migrant/"
    created = api.post(url, {"origin_address": "安徽省阜阳市", "arrival_date": "2024-03-01"}, format="json")
    assert created.status_code == 201, created.content
    shown = created.json()["updated_at"]
    assert api.post(url, {"employer": "明湖科技", "updated_at": shown}, format="json").status_code == 200
    stale = api.post(url, {"landlord": "房东老陈", "updated_at": shown}, format="json")
    assert stale.status_code == 409, stale.content
    assert (stale.json()["code"], stale.json()["detail"]) == ("conflict", MIGRANT_CONFLICT)
    saved = Migrant.objects.get(person=resident)
    assert (saved.employer, saved.landlord) == ("明湖科技", "")
    assert api.post(url, {"landlord": "房东老陈"}, format="json").status_code == 200
    assert Migrant.objects.get(person=resident).landlord == "房东老陈"


# --- ending a special-group tag -------------------------------------------------------------------------


def _tagged(clerk, org, name="孙丽") -> tuple[Person, SpecialGroupTag]:
    resident = person(clerk, org, name=name, id_number=new_id_number(dt.date(1970, 7, 7), female=True))
    tag = services.tag_add(
        actor=clerk,
        person=resident,
        group="dibao",
        valid_from=timezone.localdate() - timedelta(days=100),
        evidence="明民〔2025〕3号",
    )
    return resident, tag


def test_ending_a_tag_from_a_page_shown_before_another_clerk_ended_it_is_refused(tree, clerk):
    resident, tag = _tagged(clerk, tree.community_a1)
    page_url = f"/registry/persons/{resident.pk}/"
    end_url = f"/registry/persons/{resident.pk}/tags/{tag.pk}/end/"
    mine, theirs = client_for(clerk), client_for(staff(tree.community_a1))
    shown = _version(mine.get(page_url).content.decode(), end_url)
    later = timezone.localdate() + timedelta(days=30)
    their_form = {
        "valid_until": later.isoformat(),
        "reason": "收入超标",
        "updated_at": _version(theirs.get(page_url).content.decode(), end_url),
    }
    assert theirs.post(end_url, their_form).status_code == 302

    today = timezone.localdate().isoformat()
    response = mine.post(end_url, {"valid_until": today, "reason": "家庭收入变化", "updated_at": shown})
    assert response.status_code == 200
    html = response.content.decode()
    assert TAG_CONFLICT in html and "家庭收入变化" in html
    assert SpecialGroupTag.objects.get(pk=tag.pk).valid_until == later

    # reloaded, the page shows the end set meanwhile, and the clerk may still set another
    html = mine.get(page_url).content.decode()
    assert later.isoformat() in html
    form = {"valid_until": today, "reason": "家庭收入变化", "updated_at": _version(html, end_url)}
    assert mine.post(end_url, form).status_code == 302
    assert SpecialGroupTag.objects.get(pk=tag.pk).valid_until == timezone.localdate()


def test_tag_end_api_with_a_stale_updated_at_answers_409(tree, clerk):
    resident, tag = _tagged(clerk, tree.community_a1)
    api = api_client_for(clerk)
    shown = next(t for t in api.get(f"/api/v1/persons/{resident.pk}/").json()["tags"] if t["id"] == tag.pk)
    url = f"/api/v1/persons/{resident.pk}/tags/{tag.pk}/end/"
    later = (timezone.localdate() + timedelta(days=30)).isoformat()
    ended = api.post(url, {"valid_until": later, "updated_at": shown["updated_at"]}, format="json")
    assert ended.status_code == 200, ended.content
    assert ended.json()["updated_at"] != shown["updated_at"]
    today = timezone.localdate().isoformat()
    stale = api.post(url, {"valid_until": today, "updated_at": shown["updated_at"]}, format="json")
    assert stale.status_code == 409, stale.content
    assert (stale.json()["code"], stale.json()["detail"]) == ("conflict", TAG_CONFLICT)
    assert SpecialGroupTag.objects.get(pk=tag.pk).valid_until.isoformat() == later


@pytest.mark.parametrize(
    ("register", "message"),
    [
        (
            lambda clerk, resident, day: services.person_move_out(
                actor=clerk, person=resident, moved_on=day, destination="上海市"
            ),
            "该居民已于 {d} 迁出，截止日期不能晚于迁出日期。",
        ),
        (
            lambda clerk, resident, day: services.person_register_death(
                actor=clerk, person=resident, died_on=day
            ),
            "该居民已于 {d} 死亡，截止日期不能晚于死亡日期。",
        ),
    ],
    ids=["moved_out", "deceased"],
)
def test_a_tag_of_a_resident_who_left_cannot_end_after_that_day(tree, clerk, register, message):
    resident, tag = _tagged(clerk, tree.community_a1)
    today = timezone.localdate()
    register(clerk, Person.objects.get(pk=resident.pk), today)  # the tag now ends today
    page_url = f"/registry/persons/{resident.pk}/"
    end_url = f"/registry/persons/{resident.pk}/tags/{tag.pk}/end/"
    client = client_for(clerk)
    shown = _version(client.get(page_url).content.decode(), end_url)
    later = today + timedelta(days=30)
    response = client.post(end_url, {"valid_until": later.isoformat(), "reason": "续期", "updated_at": shown})
    assert response.status_code == 200
    assert message.format(d=today.isoformat()) in response.content.decode()
    assert SpecialGroupTag.objects.get(pk=tag.pk).valid_until == today

    api = api_client_for(clerk)
    refused = api.post(
        f"/api/v1/persons/{resident.pk}/tags/{tag.pk}/end/", {"valid_until": later.isoformat()}
    )
    assert refused.status_code == 400
    assert refused.json()["errors"]["valid_until"] == [message.format(d=today.isoformat())]
    # an earlier end (the group ended before the 迁出) is still accepted
    earlier = today - timedelta(days=10)
    assert client.post(end_url, {"valid_until": earlier.isoformat(), "reason": "收入超标"}).status_code == 302
    assert SpecialGroupTag.objects.get(pk=tag.pk).valid_until == earlier


# --- households PATCH while another clerk saves (PostgreSQL) ---------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_households_patch_writes_only_the_fields_it_sends(tree):
    """Clerk 1 PATCHes the address while clerk 2 PATCHes the kind. The API filled the fields a PATCH did
    not send from the copy it loaded before the service locked the row: the one saved second wrote the other
    clerk's field back to its old value."""
    from jiedao.workflow.tests.racing import assert_chain_verifies, both_orders, require_postgresql, run

    require_postgresql()
    one, two = staff(tree.community_a1), staff(tree.community_a1)
    api_one, api_two = api_client_for(one), api_client_for(two)
    for serial, (runner, order) in enumerate(both_orders("address", "kind")):
        head = person(one, tree.community_a1, name="王建国", id_number=new_id_number(dt.date(1960, 1, 1)))
        household = services.household_create(
            actor=one,
            org=tree.community_a1,
            number=f"330110001001-05{serial}0",
            registered_address="明湖区幸福路12号",
            head=head,
        )
        url = f"/api/v1/households/{household.pk}/"
        calls = {
            "address": partial(
                api_one.patch, url, {"registered_address": "明湖区幸福路12号之一"}, format="json"
            ),
            "kind": partial(api_two.patch, url, {"kind": "2"}, format="json"),
        }
        results = run(runner, order, calls)
        assert {response.status_code for _kind, response in results.values()} == {200}, results
        saved = Household.objects.get(pk=household.pk)
        assert (saved.registered_address, saved.kind) == ("明湖区幸福路12号之一", "2"), order
    assert_chain_verifies()
