"""What keeps the registry's pages usable with 1,000,000 persons (bench/bench_registry_pages.py measures it):
lists read a page by key, from either end (`registry.paging`), in a number of queries that does not grow with
the rows; forms do not list thousands of candidates; a large household's page does not carry a relation
field per member three times over."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.registry import services
from jiedao.registry.models import Household, Person
from jiedao.registry.tests.factories import house, person
from jiedao.registry.ui import forms as registry_forms
from jiedao.registry.ui import households as household_views
from jiedao.registry.ui.persons import PersonListView

PERSON_LINK = re.compile(r'<tr data-person-id="(\d+)">')


def listed(response) -> list[int]:
    assert response.status_code == 200, response.status_code
    return [int(pk) for pk in PERSON_LINK.findall(response.content.decode())]


@pytest.fixture
def eight(tree, clerk):
    """Eight living persons of community A1, two of them with the same name (ordered by id between them),
    registered out of alphabetical order; in the list's order."""
    names = ["居民G", "居民D", "居民A", "居民F", "居民C", "居民D", "居民E", "居民B"]
    created = [person(clerk, tree.community_a1, name=name) for name in names]
    return sorted(created, key=lambda p: (p.name, p.pk))


def test_every_page_of_the_person_list_holds_its_rows_in_order_from_either_end(
    tree, clerk, eight, monkeypatch
):
    monkeypatch.setattr(PersonListView, "paginate_by", 3)
    client = client_for(clerk)
    expected = [p.pk for p in eight]
    pages = [listed(client.get("/registry/persons/", {"page": n})) for n in (1, 2, 3)]
    # page 2 starts nearer the end than the start (3 > 8 − 6): it is read backwards, across the tie
    assert pages == [expected[0:3], expected[3:6], expected[6:8]]
    assert listed(client.get("/registry/persons/", {"page": "last"})) == expected[6:8]
    html = client.get("/registry/persons/", {"page": 3}).content.decode()
    assert "共 8 条" in html and "第 3 / 3 页" in html


def test_filtered_pages_by_tag_hold_the_tagged_persons_only(tree, clerk, eight, monkeypatch):
    monkeypatch.setattr(PersonListView, "paginate_by", 2)
    tagged = [eight[1], eight[4], eight[6]]
    for someone in tagged:
        services.tag_add(actor=clerk, person=someone, group="dibao", valid_from=date(2020, 1, 1))
    services.tag_add(
        actor=clerk, person=eight[0], group="dibao", valid_from=date(2020, 1, 1), valid_until=date(2021, 1, 1)
    )
    client = client_for(clerk)
    first = listed(client.get("/registry/persons/", {"tags": "dibao"}))
    last = listed(client.get("/registry/persons/", {"tags": "dibao", "page": 2}))
    assert first + last == [p.pk for p in tagged]


def test_api_offset_near_the_end_gives_the_rows_of_the_forward_order_with_their_extras(tree, clerk, eight):
    services.tag_add(actor=clerk, person=eight[7], group="dibao", valid_from=date(2020, 1, 1))
    api = api_client_for(clerk)
    everyone = api.get("/api/v1/persons/").json()
    tail = api.get("/api/v1/persons/", {"limit": 3, "offset": 6}).json()
    assert tail["count"] == 8 and [row["id"] for row in tail["results"]] == [p.pk for p in eight[6:8]]
    assert tail["results"] == everyone["results"][6:8]
    assert tail["results"][-1]["tags"] and tail["results"][-1]["tags"][0]["group"] == "dibao"
    assert api.get("/api/v1/persons/", {"offset": 9}).json()["results"] == []


def _queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url, params).status_code == 200
    return len(context)


def test_list_pages_take_the_same_number_of_queries_whatever_the_rows_and_the_page(tree, clerk):
    client = client_for(clerk)
    home = house(clerk, tree.community_a1)
    few = [person(clerk, tree.community_a1, name="甲" + "一二三四五六七八"[n], house=home) for n in range(2)]
    services.household_create(
        actor=clerk, org=tree.community_a1, number="H-1", registered_address="幸福路", head=few[0]
    )
    urls = ("/registry/persons/", "/registry/households/", "/registry/houses/", "/registry/migrants/")
    for url in urls:
        client.get(url)  # warm the per-process caches (dictionaries, menus)
    before = {url: _queries(client, url) for url in urls}
    more = [person(clerk, tree.community_a1, name="乙" + "一二三四五六七八"[n], house=home) for n in range(6)]
    for n, head in enumerate(more):
        services.household_create(
            actor=clerk, org=tree.community_a1, number=f"H-{n + 2}", registered_address="幸福路", head=head
        )
        house(clerk, tree.community_a1, room=f"40{n}")
    for url in urls:
        assert _queries(client, url) == before[url], url
    assert _queries(client, "/registry/persons/", page="last") == before["/registry/persons/"]
    api = api_client_for(clerk)
    api.get("/api/v1/persons/")
    with CaptureQueriesContext(connection) as context:
        assert len(api.get("/api/v1/persons/").json()["results"]) == 8
    assert len(context) <= 12


def test_household_forms_ask_for_an_id_number_when_the_unhoused_are_many(tree, clerk, monkeypatch):
    client = client_for(clerk)
    a, b, c = (person(clerk, tree.community_a1, name=name) for name in ("甲", "乙", "丙"))
    page = client.get("/registry/households/new/").content.decode()
    assert '<select name="head"' in page  # three candidates: listed
    monkeypatch.setattr(registry_forms, "CANDIDATE_LIST_LIMIT", 2)
    page = client.get("/registry/households/new/").content.decode()
    assert 'name="head"' not in page and "尚未入户的现居住人员较多，不逐一列出，请填写证件号码。" in page
    assert "户主证件号码" in page
    refused = client.post(
        "/registry/households/new/",
        {"org": tree.community_a1.pk, "number": "H-9", "kind": "1", "registered_address": "幸福路1号"},
    )
    assert refused.status_code == 200 and "该字段是必填项。" in refused.content.decode()
    assert not Household.objects.exists()
    created = client.post(
        "/registry/households/new/",
        {
            "org": tree.community_a1.pk,
            "number": "H-9",
            "kind": "1",
            "registered_address": "幸福路1号",
            "id_number": Person.objects.get(pk=a.pk).id_number,
        },
    )
    assert created.status_code == 302
    household = Household.objects.get(number="H-9")
    assert household.head_id == a.pk
    # the household page's 添加户成员: the remaining two are listed while two may be, else asked by number
    page = client.get(f"/registry/households/{household.pk}/").content.decode()
    assert '<select name="person"' in page
    monkeypatch.setattr(registry_forms, "CANDIDATE_LIST_LIMIT", 1)
    page = client.get(f"/registry/households/{household.pk}/").content.decode()
    assert 'name="person"' not in page and "尚未入户的现居住人员较多" in page
    added = client.post(
        f"/registry/households/{household.pk}/members/add/",
        {"id_number": Person.objects.get(pk=b.pk).id_number, "relation": "10"},
    )
    assert added.status_code == 302 and b.pk in household.members.values_list("person_id", flat=True)
    assert c.pk not in household.members.values_list("person_id", flat=True)


def test_a_large_household_links_to_the_forms_that_ask_a_relation_per_member(
    tree, clerk, family, monkeypatch
):
    household = family[0]
    client = client_for(clerk)
    actions = ("head", "split", "merge")
    page = client.get(f"/registry/households/{household.pk}/").content.decode()
    assert all(f'action="/registry/households/{household.pk}/{a}/"' in page for a in actions)
    assert 'data-testid="household-action-links"' not in page
    monkeypatch.setattr(household_views, "EMBEDDED_FORMS_MAX_MEMBERS", 2)
    page = client.get(f"/registry/households/{household.pk}/").content.decode()
    assert not any(f'action="/registry/households/{household.pk}/{a}/"' in page for a in actions)
    assert "本户成员较多，以下事项在单独的页面办理：" in page
    assert all(f'href="/registry/households/{household.pk}/{a}/"' in page for a in actions)
    assert f'action="/registry/households/{household.pk}/members/add/"' in page  # still on the page
    for action in actions:
        own = client.get(f"/registry/households/{household.pk}/{action}/").content.decode()
        assert "relation_" in own, action


def test_person_page_shows_the_household_only_to_who_may_see_households(tree, clerk, family):
    household, head, wife, son = family
    both = make_user(
        tree.community_a1, "registry.view_person", "registry.view_householdmember", "registry.view_household"
    )
    members_only = make_user(tree.community_a1, "registry.view_person", "registry.view_householdmember")
    shown = client_for(both).get(f"/registry/persons/{wife.pk}/").content.decode()
    assert household.number in shown and 'data-testid="household-members"' in shown
    hidden = client_for(members_only).get(f"/registry/persons/{wife.pk}/").content.decode()
    assert household.number not in hidden and "未入户，或您无权查看其户籍信息。" in hidden
