import io
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from jiedao.accounts.models import Role, User
from jiedao.audit.models import AuditEvent
from jiedao.core import demo as core_demo
from jiedao.dictionaries import selectors as dictionaries
from jiedao.orgs.choices import OrgLevel
from jiedao.registry import demo
from jiedao.registry.identity import id_number_hash, phone_hash
from jiedao.registry.models import (
    Building,
    Enterprise,
    House,
    Household,
    HouseholdMember,
    LifeEvent,
    Migrant,
    Person,
    SpecialGroupTag,
)
from jiedao.registry.statistics.figures import compute
from jiedao.registry.validators import parse_id_number, parse_phone, parse_uscc

SMALL = 60


@pytest.fixture
def loaded(db):
    core_demo.load()
    out = io.StringIO()
    totals = demo.load(stdout=out, persons_per_community=SMALL)
    return totals, out.getvalue()


def test_summary_and_size(loaded):
    totals, output = loaded
    assert output.startswith("人口演示数据：6 个社区") and "用时" in output and "\n" not in output.strip()
    assert totals["communities"] == 6 and totals["persons"] == Person.objects.count()
    living = Person.objects.filter(status="living")
    for code in [plan.code for plan in demo.COMMUNITIES]:
        assert living.filter(org__parent__division_code=code).count() >= SMALL
    assert Person.objects.exclude(status="living").exists()  # a few who moved out or died
    share = Migrant.objects.count() / living.count()
    assert 0.12 <= share <= 0.2
    assert Enterprise.objects.count() == 6 * 3  # at least three per community at this scale
    assert demo.PERSONS_PER_COMMUNITY * len(demo.COMMUNITIES) >= 20_000


def test_identity_numbers_parse_and_match(loaded):
    for person in Person.objects.all():
        parsed = parse_id_number(person.id_number)
        assert parsed.birth_date == person.birth_date and parsed.gender == person.gender
        assert person.id_number_hash == id_number_hash(parsed.number)
        assert person.id_number_masked == parsed.masked
        if person.phone:
            assert parse_phone(person.phone).kind == "mobile"
            assert person.phone_hash == phone_hash(person.phone)
            assert person.phone_masked == person.phone[:3] + "****" + person.phone[-4:]
        assert person.name_pinyin and person.name_initials
        assert person.org.level == OrgLevel.GRID
    assert Person.objects.values("id_number_hash").distinct().count() == Person.objects.count()


def test_codes_are_dictionary_codes(loaded):
    for field, dictionary in (
        ("ethnicity", "ethnicity"),
        ("education", "education"),
        ("political_status", "political_status"),
        ("marital_status", "marital_status"),
    ):
        for code in Person.objects.exclude(**{field: ""}).values_list(field, flat=True).distinct():
            assert dictionaries.is_valid(dictionary, code), (field, code)
    for code in HouseholdMember.objects.values_list("relation", flat=True).distinct():
        assert dictionaries.is_valid("relation", code), code
    for code in Migrant.objects.exclude(reason="").values_list("reason", flat=True).distinct():
        assert dictionaries.is_valid("migrant_reason", code), code
    for code in SpecialGroupTag.objects.values_list("group", flat=True).distinct():
        assert dictionaries.is_valid("special_group", code), code
    assert Counter(Person.objects.values_list("ethnicity", flat=True)).most_common(1)[0][0] == "01"


def test_every_household_has_one_head_and_lives_in_one_community(loaded):
    members = defaultdict(list)
    for member in HouseholdMember.objects.select_related("person__org", "household__org"):
        members[member.household_id].append(member)
    assert Household.objects.count() == len(members)
    for household in Household.objects.select_related("org", "house"):
        heads = [m for m in members[household.pk] if m.relation == "02"]
        assert len(heads) == 1 and heads[0].person_id == household.head_id
        assert 1 <= len(members[household.pk]) <= 6
        community = household.org.community()
        assert household.house.org.community() == community
        for member in members[household.pk]:
            assert member.person.org.community() == community
            assert member.person.status == "living" and member.person.house_id == household.house_id
    sizes = Counter(len(group) for group in members.values())
    assert sizes[1] and sizes[2] and sizes[3] and sizes[4]
    assert HouseholdMember.objects.count() == Person.objects.filter(status="living").count()


def test_buildings_lie_inside_their_community(loaded):
    assert Building.objects.count() > 6
    for building in Building.objects.select_related("org__parent"):
        community = building.org.community()
        lat_min, lat_max, lon_min, lon_max = demo.community_box(community.division_code)
        assert lat_min <= float(building.latitude) <= lat_max, building
        assert lon_min <= float(building.longitude) <= lon_max, building
        assert building.coordinate_system == "wgs84"
    for house in House.objects.select_related("building")[:200]:
        assert house.org_id == house.building.org_id and house.latitude == house.building.latitude


def test_enterprises_migrants_and_tags_are_plausible(loaded):
    today = timezone.localdate()
    for enterprise in Enterprise.objects.select_related("house"):
        assert parse_uscc(enterprise.uscc).code == enterprise.uscc
        assert enterprise.house.use == "commercial" and enterprise.house.org_id == enterprise.org_id
        assert enterprise.legal_representative and enterprise.industry and enterprise.employees >= 1
    migrants = Migrant.objects.select_related("person")
    assert all(m.origin_region_code == m.person.id_number_masked[:6] for m in migrants)
    assert all(m.arrival_date >= m.person.birth_date for m in migrants)
    with_permit = migrants.exclude(permit_valid_until=None)
    assert all(m.permit_valid_until >= m.arrival_date for m in with_permit)
    assert with_permit.filter(permit_valid_until__lt=today).exists()
    assert with_permit.filter(permit_valid_until__range=(today, today + timedelta(days=30))).exists()
    assert not migrants.exclude(permit_reminded_on=None).exists()
    groups = Counter(SpecialGroupTag.objects.values_list("group", flat=True))
    assert groups["disabled"] and groups["party_member"] and groups["elderly_alone"]
    for tag in SpecialGroupTag.objects.filter(group="disabled"):
        assert dictionaries.is_valid("disability_type", tag.details["type"])
        assert dictionaries.is_valid("disability_grade", tag.details["grade"])
        assert tag.person.id_number not in tag.evidence  # only the masked number
    for tag in SpecialGroupTag.objects.filter(group="elderly_alone").select_related("person"):
        assert tag.person.age_on(today) >= 70 and tag.person.membership.household.members.count() == 1
    assert LifeEvent.objects.filter(kind="registered").count() == Person.objects.count()


def test_the_demo_timelines_read_in_the_readers_language(loaded):
    tagged = LifeEvent.objects.filter(kind="tag_added", details__group="disabled").first()
    assert tagged.summary == "标记为残疾人"
    registered = LifeEvent.objects.filter(kind="registered", summary__startswith="登记于").first()
    with translation.override("en"):
        assert tagged.summary_text == "Marked as Person with a disability"
        assert registered.summary_text.startswith("Registered in ")
    with translation.override("zh-hans"):
        assert tagged.summary_text == tagged.summary


def test_one_audit_event_per_community_and_roles_get_registry_permissions(loaded):
    events = AuditEvent.objects.filter(event_name="registry.person.imported")
    assert events.count() == 6 and all("演示数据" in e.message for e in events)
    assert {e.org.name for e in events} == {plan.name for plan in demo.COMMUNITIES}

    def perms(code):
        role = Role.objects.get(code=code)
        return {
            f"{p.content_type.app_label}.{p.codename}"
            for p in role.permissions.select_related("content_type")
        }

    staff = perms("community-staff")
    assert {"registry.add_person", "registry.change_household", "registry.view_lifeevent"} <= staff
    assert "registry.view_full_person" not in staff and "registry.delete_person" not in staff
    assert "registry.view_full_person" in perms("subdistrict-leader")
    assert "registry.view_enterprise" in perms("district-leader")
    assert "registry.view_full_person" not in perms("district-leader")
    assert perms("window-staff") >= {"registry.view_person", "registry.view_household", "registry.view_house"}
    assert "registry.view_enterprise" not in perms("window-staff")
    assert not {p for p in perms("supervisor") if p.startswith("registry.")}


def test_demo_users_see_their_scope_in_the_statistics(loaded):
    shequ = User.objects.get(username="shequ")  # 柳浪社区
    data = compute(shequ)
    assert [row["name"] for row in data["by_community"]] == ["柳浪社区"]
    assert (
        data["summary"]["persons"]
        == Person.objects.filter(status="living", org__parent__name="柳浪社区").count()
    )
    leader = User.objects.get(username="leader")  # 清波街道
    assert [row["name"] for row in compute(leader)["by_community"]] == ["柳浪社区", "涌金社区", "南屏社区"]


def test_running_twice_creates_nothing_more(loaded):
    counts = [model.objects.count() for model in (Person, Household, Building, House, Enterprise, Migrant)]
    events = AuditEvent.objects.count()
    out = io.StringIO()
    assert demo.load(stdout=out, persons_per_community=SMALL) is None
    assert "跳过" in out.getvalue()
    assert [
        model.objects.count() for model in (Person, Household, Building, House, Enterprise, Migrant)
    ] == counts
    assert AuditEvent.objects.count() == events


def test_a_community_already_filled_is_left_alone_when_others_are_missing(db):
    core_demo.load()
    demo.load(persons_per_community=20)
    first = Person.objects.count()
    # a bigger run fills every community up to the new size without touching the identity of anyone
    totals = demo.load(persons_per_community=40)
    assert totals["communities"] == 6 and Person.objects.count() > first
    assert Person.objects.values("id_number_hash").distinct().count() == Person.objects.count()
