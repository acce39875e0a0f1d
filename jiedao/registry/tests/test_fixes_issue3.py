"""Fixes from the registry audit (issue #3): buildings renamed or moved, special-group tags (overlaps,
disability type and grade, evidence files), closed households, error messages that named orgs out of scope,
photos and further phone numbers."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.testing import api_client_for, client_for
from jiedao.parameters.models import SystemParameter
from jiedao.parameters.services import clear_cache as clear_parameter_cache
from jiedao.registry import services
from jiedao.registry.models import House, Household, LifeEvent, Person, SpecialGroupTag
from jiedao.registry.selectors import PersonFilter, search_persons
from jiedao.registry.services.persons import person_set_photo
from jiedao.registry.tests.factories import house, new_id_number, person, staff

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def png_bytes() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (4, 5), (200, 10, 10)).save(output, format="PNG")
    return output.getvalue()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def clerk(tree):
    return staff(tree.community_a1)


# --- 1. buildings renamed or moved to another grid ------------------------------------------------------


def _building_data(building, **changes):
    values = {
        "org": building.org,
        "street_address": building.street_address,
        "name": building.name,
        "floors": building.floors,
        "latitude": building.latitude,
        "longitude": building.longitude,
        "coordinate_system": building.coordinate_system,
    }
    values.update(changes)
    return services.BuildingData(**values)


def test_renaming_and_moving_a_building_carries_its_houses_and_residents(tree, clerk):
    home = house(clerk, tree.community_a1, street="幸福路12号", building="3幢", room="301")
    resident = person(clerk, tree.community_a1, house=home)
    building = home.building
    services.building_update(
        actor=clerk, building=building, data=_building_data(building, name="5幢", org=tree.grid_a1)
    )
    home = House.objects.get(pk=home.pk)
    resident.refresh_from_db()
    assert home.full_address == "幸福路12号5幢2单元301" and home.org == tree.grid_a1
    assert resident.residence_address == "幸福路12号5幢2单元301"
    assert list(search_persons(clerk, PersonFilter(address="5幢2单元301"))) == [resident]
    event = AuditEvent.objects.filter(event_name="registry.house.changed", target_id=str(home.pk)).get()
    assert (
        event.before["full_address"] == "幸福路12号3幢2单元301" and event.after["org_id"] == tree.grid_a1.pk
    )
    change = LifeEvent.objects.get(person=resident, kind="address_change")
    assert "幸福路12号5幢2单元301" in change.summary


def test_a_building_with_residents_is_not_moved_to_another_community(tree, clerk):
    home = house(clerk, tree.community_a1)
    person(clerk, tree.community_a1, house=home)
    both = staff(tree.subdistrict_a)
    with pytest.raises(ValidationFailed) as error:
        services.building_update(
            actor=both, building=home.building, data=_building_data(home.building, org=tree.community_a2)
        )
    assert "不能移至其他社区" in error.value.errors["org"][0]
    assert House.objects.get(pk=home.pk).org == tree.community_a1


# --- 2. special-group tags --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        ((date(2026, 6, 1), date(2026, 12, 31)), (date(2026, 1, 1), date(2026, 6, 30))),  # ends inside
        ((date(2026, 6, 1), date(2026, 12, 31)), (date(2026, 1, 1), None)),  # open end covers it
        ((date(2026, 6, 1), None), (date(2026, 1, 1), date(2026, 6, 1))),  # touches the first day
        ((date(2026, 3, 1), date(2026, 4, 30)), (date(2026, 1, 1), date(2026, 12, 31))),  # encloses it
    ],
)
def test_overlapping_periods_of_the_same_group_are_refused(tree, clerk, existing, new):
    someone = person(clerk, tree.community_a1)
    services.tag_add(
        actor=clerk, person=someone, group="dibao", valid_from=existing[0], valid_until=existing[1]
    )
    with pytest.raises(ValidationFailed) as error:
        services.tag_add(actor=clerk, person=someone, group="dibao", valid_from=new[0], valid_until=new[1])
    assert "重叠" in error.value.errors["group"][0]
    assert SpecialGroupTag.objects.filter(person=someone).count() == 1


def test_periods_that_do_not_meet_and_other_groups_are_accepted(tree, clerk):
    someone = person(clerk, tree.community_a1)
    services.tag_add(
        actor=clerk,
        person=someone,
        group="dibao",
        valid_from=date(2026, 6, 1),
        valid_until=date(2026, 12, 31),
    )
    services.tag_add(
        actor=clerk, person=someone, group="dibao", valid_from=date(2026, 1, 1), valid_until=date(2026, 5, 31)
    )
    services.tag_add(actor=clerk, person=someone, group="tekun", valid_from=date(2026, 1, 1))
    assert SpecialGroupTag.objects.filter(person=someone).count() == 3


def test_disability_type_and_grade_are_checked_against_the_dictionaries(tree, clerk):
    someone = person(clerk, tree.community_a1)
    with pytest.raises(ValidationFailed) as error:
        services.tag_add(
            actor=clerk,
            person=someone,
            group="disabled",
            valid_from=date(2026, 1, 1),
            details={"type": "99", "grade": "banana"},
        )
    assert "不是有效的残疾类别" in error.value.errors["disability_type"][0]
    assert "不是有效的残疾等级" in error.value.errors["disability_grade"][0]
    assert "一级" in error.value.errors["disability_grade"][0]
    tag = services.tag_add(
        actor=clerk,
        person=someone,
        group="disabled",
        valid_from=date(2026, 1, 1),
        details={"type": "肢体残疾", "grade": "二级"},
    )
    assert tag.details == {"type": "4", "grade": "2"}


def test_evidence_file_is_checked_by_content_and_size(tree, clerk):
    someone = person(clerk, tree.community_a1)
    fake = SimpleUploadedFile("证明.pdf", b"just text, not a PDF")
    with pytest.raises(ValidationFailed) as error:
        services.tag_add(
            actor=clerk, person=someone, group="dibao", valid_from=date(2026, 1, 1), evidence_file=fake
        )
    assert "不是 PDF 文件或照片" in error.value.errors["evidence_file"][0]
    SystemParameter.objects.create(key="applications.max_file_mb", value=1)
    clear_parameter_cache()
    big = SimpleUploadedFile("证明.pdf", PDF + b"0" * (1024 * 1024 + 1))
    with pytest.raises(ValidationFailed) as error:
        services.tag_add(
            actor=clerk, person=someone, group="dibao", valid_from=date(2026, 1, 1), evidence_file=big
        )
    assert "超过单个文件 1 MB" in error.value.errors["evidence_file"][0]
    assert not SpecialGroupTag.objects.exists()


def test_tag_form_takes_disability_details_and_evidence_shown_and_downloaded_in_scope(tree, clerk):
    someone = person(clerk, tree.community_a1)
    client = client_for(clerk)
    response = client.post(
        f"/registry/persons/{someone.pk}/tags/new/",
        {
            "group": "disabled",
            "valid_from": "2026-01-01",
            "disability_type": "4",
            "disability_grade": "2",
            "evidence": "残疾人证",
            "evidence_file": SimpleUploadedFile("残疾人证.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302, response.content.decode()
    tag = SpecialGroupTag.objects.get(person=someone)
    assert tag.details == {"type": "4", "grade": "2"} and tag.evidence_file
    assert someone.name not in tag.evidence_file.name and "残疾人证" not in tag.evidence_file.name
    page = client.get(f"/registry/persons/{someone.pk}/").content.decode()
    assert "肢体残疾" in page and "二级" in page
    url = f"/registry/persons/{someone.pk}/tags/{tag.pk}/evidence/"
    assert url in page
    download = client.get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert client_for(staff(tree.community_b1)).get(url).status_code == 404
    api = api_client_for(clerk).get(f"/api/v1/persons/{someone.pk}/tags/{tag.pk}/evidence/")
    assert api.status_code == 200
    assert (
        api_client_for(staff(tree.community_b1))
        .get(f"/api/v1/persons/{someone.pk}/tags/{tag.pk}/evidence/")
        .status_code
        == 404
    )


def test_tag_form_refuses_disability_details_for_another_group(tree, clerk):
    someone = person(clerk, tree.community_a1)
    response = client_for(clerk).post(
        f"/registry/persons/{someone.pk}/tags/new/",
        {"group": "dibao", "valid_from": "2026-01-01", "disability_grade": "2"},
    )
    assert response.status_code == 200 and "只在标记“残疾人”时填写" in response.content.decode()
    assert not SpecialGroupTag.objects.exists()


def test_api_tag_with_evidence_file_as_multipart(tree, clerk):
    someone = person(clerk, tree.community_a1)
    response = api_client_for(clerk).post(
        f"/api/v1/persons/{someone.pk}/tags/",
        {
            "group": "disabled",
            "valid_from": "2026-01-01",
            "details": '{"type": "1", "grade": "3"}',
            "evidence_file": SimpleUploadedFile("scan.png", png_bytes(), content_type="image/png"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["has_evidence_file"] is True and response.json()["details"] == {
        "type": "1",
        "grade": "3",
    }


# --- 3. closed households, split into another community's house -----------------------------------------


@pytest.fixture
def two_households(tree, clerk):
    first = services.household_create(
        actor=clerk,
        org=tree.community_a1,
        number="9001",
        registered_address="幸福路1号",
        head=person(clerk, tree.community_a1, name="甲"),
    )
    second_head = person(clerk, tree.community_a1, name="乙")
    second = services.household_create(
        actor=clerk,
        org=tree.community_a1,
        number="9002",
        registered_address="幸福路2号",
        head=second_head,
        members=[(person(clerk, tree.community_a1, name="乙子"), "20")],
    )
    return first, second


def test_merging_into_a_closed_household_is_refused(tree, clerk, two_households):
    first, second = two_households
    third = services.household_create(
        actor=clerk,
        org=tree.community_a1,
        number="9003",
        registered_address="幸福路3号",
        head=person(clerk, tree.community_a1, name="丙"),
    )
    services.household_merge(actor=clerk, source=first, target=third, relations={first.head_id: "10"})
    first.refresh_from_db()
    assert first.dissolved_on is not None
    members = {m.person_id: "20" for m in second.members.all()}
    with pytest.raises(ValidationFailed) as error:
        services.household_merge(actor=clerk, source=second, target=first, relations=members)
    assert "已于" in error.value.errors["target"][0] and "销户" in error.value.errors["target"][0]
    assert Household.objects.get(pk=second.pk).members.count() == 2
    newcomer = person(clerk, tree.community_a1, name="丁")
    with pytest.raises(ValidationFailed) as error:
        services.household_add_member(actor=clerk, household=first, person=newcomer, relation="20")
    assert "销户" in error.value.errors["person"][0]


def test_split_into_a_house_of_another_community_is_refused(tree, clerk, two_households):
    _first, second = two_households
    far = house(staff(tree.community_b1), tree.community_b1, street="远方路1号")
    son = second.members.exclude(person_id=second.head_id).get().person
    with pytest.raises(ValidationFailed) as error:
        services.household_split(
            actor=staff(tree.district),
            household=second,
            persons=[],
            new_number="9002-2",
            new_head=son,
            relations={},
            house=far,
        )
    assert "不在该社区" in error.value.errors["house"][0]
    assert not Household.objects.filter(number="9002-2").exists()


# --- 4. messages never name an org outside the actor's scope --------------------------------------------


def test_duplicate_and_move_in_messages_name_only_orgs_in_scope(tree, clerk):
    elsewhere = person(staff(tree.community_b1), tree.community_b1, name="外社区")
    data = services.PersonData(name="探测", id_number=elsewhere.id_number, org=tree.community_a1)
    with pytest.raises(ValidationFailed) as error:
        services.person_create(actor=clerk, data=data)
    message = error.value.errors["id_number"][0]
    assert "乙一社区" not in message and "其他社区" in message
    with pytest.raises(ValidationFailed) as error:
        services.person_move_in(actor=clerk, data=data, moved_on=date(2026, 1, 1), origin="外地")
    message = error.value.errors["id_number"][0]
    assert "乙一社区" not in message and "其他社区" in message
    district = staff(tree.district)  # sees both communities: may be told where
    with pytest.raises(ValidationFailed) as error:
        services.person_create(actor=district, data=data)
    assert "乙一社区" in error.value.errors["id_number"][0]
    with pytest.raises(ValidationFailed) as error:
        services.person_move_in(actor=district, data=data, moved_on=date(2026, 1, 1), origin="外地")
    assert "乙一社区" in error.value.errors["id_number"][0]


def test_api_does_not_name_another_communitys_org(tree, clerk):
    elsewhere = person(staff(tree.community_b1), tree.community_b1, name="外社区")
    body = {"name": "探测", "id_number": elsewhere.id_number, "org": tree.community_a1.pk}
    for url in ("/api/v1/persons/", "/api/v1/persons/move-in/"):
        response = api_client_for(clerk).post(url, body, format="json")
        assert response.status_code == 400 and "乙一社区" not in response.content.decode()


# --- 5. photos and further phone numbers --------------------------------------------------------------


def test_other_phones_are_validated_encrypted_masked_and_revealed(tree, clerk):
    someone = person(
        clerk, tree.community_a1, phone="13800138000", other_phones="13900139000、0571-8765 4321"
    )
    assert someone.other_phones_masked == "139****9000、057*******21"
    with connection.cursor() as cursor:
        cursor.execute("SELECT other_phones FROM registry_person WHERE id = %s", [someone.pk])
        (stored,) = cursor.fetchone()
    assert "13900139000" not in stored
    assert Person.objects.get(pk=someone.pk).other_phones == "13900139000,057187654321"
    with pytest.raises(ValidationFailed) as error:
        person(clerk, tree.community_a1, other_phones="13900139000, 12345")
    assert "电话号码格式不正确" in error.value.errors["other_phones"][0]
    officer = staff(tree.community_a1, "registry.view_full_person")
    revealed = services.person_reveal(actor=officer, person=Person.objects.get(pk=someone.pk))
    assert revealed["other_phones"] == ["13900139000", "057187654321"]
    created = AuditEvent.objects.get(event_name="registry.person.created", target_id=str(someone.pk))
    assert created.after["other_phones_masked"] == someone.other_phones_masked
    assert "13900139000" not in str(created.after)


def test_split_phones_keeps_space_grouped_numbers_together():
    from jiedao.registry.services.persons import split_phones

    assert split_phones("138 0013 8000") == ["13800138000"]
    assert split_phones("13800138000 13900139000") == ["13800138000", "13900139000"]
    assert split_phones("13800138000/0571 8765 4321；13900139000,13800138000") == [
        "13800138000",
        "057187654321",
        "13900139000",
    ]


def test_api_other_phones_write_only_and_masked(tree, clerk):
    api = api_client_for(clerk)
    body = {
        "name": "钱七",
        "id_number": new_id_number(),
        "org": tree.community_a1.pk,
        "phone": "13800138000",
        "other_phones": ["13900139000"],
    }
    response = api.post("/api/v1/persons/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["other_phones_masked"] == "139****9000" and "other_phones" not in data
    assert "13900139000" not in response.content.decode()
    cleared = api.patch(f"/api/v1/persons/{data['id']}/", {"other_phones": []}, format="json")
    assert cleared.status_code == 200 and cleared.json()["other_phones_masked"] == ""


def test_photo_uploaded_with_the_form_shown_to_viewers_only(tree, clerk):
    client = client_for(clerk)
    response = client.post(
        "/registry/persons/new/",
        {
            "name": "孙八",
            "id_number": new_id_number(),
            "org": tree.community_a1.pk,
            "house_relation": "family",
            "other_phones": "13900139000 13700137000",
            "photo": SimpleUploadedFile("孙八.png", png_bytes(), content_type="image/png"),
        },
    )
    assert response.status_code == 302, response.content.decode()
    someone = Person.objects.get(name="孙八")
    assert someone.photo and "孙八" not in someone.photo.name
    assert someone.other_phones_masked == "139****9000、137****7000"
    page = client.get(f"/registry/persons/{someone.pk}/").content.decode()
    assert f"/registry/persons/{someone.pk}/photo/" in page and "139****9000" in page
    photo = client.get(f"/registry/persons/{someone.pk}/photo/")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert (
        client_for(staff(tree.community_b1)).get(f"/registry/persons/{someone.pk}/photo/").status_code == 404
    )
    assert api_client_for(clerk).get(f"/api/v1/persons/{someone.pk}/photo/").status_code == 200


def test_a_file_that_is_not_an_image_is_refused_as_photo_and_nothing_is_saved(tree, clerk):
    number = new_id_number()
    response = client_for(clerk).post(
        "/registry/persons/new/",
        {
            "name": "周九",
            "id_number": number,
            "org": tree.community_a1.pk,
            "house_relation": "family",
            "photo": SimpleUploadedFile("photo.png", PDF, content_type="image/png"),
        },
    )
    assert response.status_code == 200 and "不是照片（JPG、PNG、WebP、HEIC）" in response.content.decode()
    assert not Person.objects.filter(name="周九").exists()
    someone = person(clerk, tree.community_a1)
    broken = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    with pytest.raises(ValidationFailed) as error:
        person_set_photo(actor=clerk, person=someone, photo=broken)
    assert "无法作为图片打开" in error.value.errors["photo"][0]


def test_api_photo_upload_and_delete(tree, clerk):
    someone = person(clerk, tree.community_a1)
    api = api_client_for(clerk)
    url = f"/api/v1/persons/{someone.pk}/photo/"
    assert api.get(url).status_code == 404
    uploaded = api.post(url, {"photo": SimpleUploadedFile("p.png", png_bytes())}, format="multipart")
    assert uploaded.status_code == 200 and uploaded.json()["has_photo"] is True
    assert AuditEvent.objects.filter(event_name="registry.person.changed", target_id=str(someone.pk)).exists()
    assert api.get(url).status_code == 200
    assert api_client_for(staff(tree.community_b1)).get(url).status_code == 404
    removed = api.delete(url)
    assert removed.status_code == 200 and removed.json()["has_photo"] is False


@pytest.mark.django_db(transaction=True)
def test_import_puts_the_first_phone_in_the_phone_and_the_rest_in_other_phones(tree):
    from jiedao.spreadsheets.services import import_start

    clerk = staff(tree.community_a1)
    first, second, third = new_id_number(), new_id_number(), new_id_number()
    csv = (
        "姓名,身份证号,联系电话\n"
        f'甲,{first},"13800138000、13900139000"\n'
        f"乙,{second},13700137000 / 0571-87654321；13600136000\n"
        f"丙,{third},138 0013 8001\n"
    ).encode()
    job = import_start(
        actor=clerk,
        spec_key="registry-persons",
        org=tree.community_a1,
        uploaded_file=SimpleUploadedFile("roster.csv", csv),
    )
    job.refresh_from_db()
    assert job.status == "done", job.failure_message
    assert not job.row_errors.exists(), list(job.row_errors.values_list("message", flat=True))
    people = {p.name: p for p in Person.objects.all()}
    assert (people["甲"].phone, people["甲"].other_phones) == ("13800138000", "13900139000")
    assert people["乙"].phone == "13700137000"
    assert people["乙"].other_phones == "057187654321,13600136000"
    assert people["乙"].other_phones_masked == "057*******21、136****6000"
    assert (people["丙"].phone, people["丙"].other_phones) == ("13800138001", "")
    assert list(search_persons(clerk, PersonFilter(q="13700137000"))) == [people["乙"]]
