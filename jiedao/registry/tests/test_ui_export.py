"""“导出 Excel” on every registry list: the list's filter, masked numbers unless the user may see full ones,
formula injection neutralised, every export audited."""

from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from jiedao.audit.models import AuditEvent
from jiedao.core.testing import client_for, make_user
from jiedao.registry import services
from jiedao.registry.models import Person
from jiedao.registry.tests.factories import house, person, staff
from jiedao.registry.validators import make_uscc

INJECTION = "=cmd|' /C calc'!A0"


@pytest.fixture
def clerk(tree):
    return staff(tree.community_a1)


def sheet_rows(response) -> list[list]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def exports():
    return AuditEvent.objects.filter(event_name="registry.list.exported").order_by("id")


def test_person_export_applies_the_filter_masks_numbers_and_is_audited(tree, clerk):
    zhang = person(clerk, tree.community_a1, name="张三丰", phone="13811112222")
    person(clerk, tree.community_a1, name="李四")
    person(staff(tree.community_b1), tree.community_b1, name="张三")
    response = client_for(clerk).get("/registry/persons/export/", {"q": "zhang"})
    header, *rows = sheet_rows(response)
    assert header[:3] == ["姓名", "性别", "证件号码"]
    assert [row[0] for row in rows] == ["张三丰"]
    assert rows[0][2] == zhang.id_number_masked and rows[0][5] == "138****2222" and rows[0][1] == "男"
    event = exports().get()
    assert event.actor == clerk and "1 条" in event.message and "zhang" in event.message
    assert event.after["rows"] == 1 and event.after["full_values"] is False
    assert zhang.id_number not in str(event.after) + event.message


def test_a_number_typed_as_search_term_is_masked_in_the_audit_log(tree, clerk):
    zhang = person(clerk, tree.community_a1, name="张三丰", phone="13811112222")
    client = client_for(clerk)
    for term, masked in ((zhang.id_number, zhang.id_number_masked), ("13811112222", "138****2222")):
        _header, *rows = sheet_rows(client.get("/registry/persons/export/", {"q": term}))
        assert [row[0] for row in rows] == ["张三丰"]
        event = exports().last()
        assert masked in event.message and term not in event.message + str(event.after)


def test_formula_injection_is_neutralised(tree, clerk):
    someone = person(clerk, tree.community_a1, note="x")
    Person.objects.filter(pk=someone.pk).update(name=INJECTION)  # written before names were checked
    response = client_for(clerk).get("/registry/persons/export/")
    assert response.status_code == 200
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    cell = workbook.worksheets[0]["A2"]
    assert cell.value == "'" + INJECTION and cell.data_type == "s"


def test_full_numbers_only_with_the_permission_and_only_in_its_scope(tree):
    officer = staff(tree.subdistrict_a, "registry.view_full_person")
    mine = person(officer, tree.community_a1, name="甲", phone="13900001111")
    header, *rows = sheet_rows(client_for(officer).get("/registry/persons/export/"))
    assert rows[0][2] == mine.id_number and rows[0][5] == "13900001111"
    assert exports().get().after["full_values"] is True
    # a full-number grant that covers only 甲二社区 does not unmask 甲一社区's residents
    narrow = staff(tree.subdistrict_a)
    from jiedao.core.testing import make_role

    narrow.roles.add(make_role("registry.view_full_person", scope="custom", custom_orgs=[tree.community_a2]))
    header, *rows = sheet_rows(client_for(narrow).get("/registry/persons/export/"))
    assert rows[0][2] == mine.id_number_masked


def test_export_needs_the_list_permission_and_a_valid_filter(tree, clerk):
    outsider = make_user(tree.community_a1, "registry.view_house")
    assert client_for(outsider).get("/registry/persons/export/").status_code == 403
    response = client_for(clerk).get("/registry/persons/export/", {"age_min": "abc"})
    assert response.status_code == 302 and response["Location"].startswith("/registry/persons/?")
    assert not exports().exists()


def test_list_page_links_to_the_export_of_its_filter(tree, clerk):
    person(clerk, tree.community_a1)
    html = client_for(clerk).get("/registry/persons/", {"q": "zs", "status": "living"}).content.decode()
    assert 'href="/registry/persons/export/?q=zs&amp;status=living"' in html


def test_migrant_export_with_filter(tree, clerk):
    someone = person(clerk, tree.community_a1, name="外来甲", phone="13700001111")
    services.migrant_register(
        actor=clerk,
        person=someone,
        data=services.MigrantData(
            origin_address="河南", arrival_date=date(2024, 1, 1), reason="work", permit_number="P-1"
        ),
    )
    other = person(clerk, tree.community_a1, name="外来乙")
    services.migrant_register(
        actor=clerk,
        person=other,
        data=services.MigrantData(
            origin_address="安徽", arrival_date=date(2019, 1, 1), permit_valid_until=date(2020, 1, 1)
        ),
    )
    header, *rows = sheet_rows(client_for(clerk).get("/registry/migrants/export/", {"permit": "none"}))
    assert [row[0] for row in rows] == ["外来甲"]
    assert rows[0][1] == someone.id_number_masked and rows[0][2] == "137****1111" and rows[0][7] == "务工"
    assert "居住证：未办居住证" in exports().get().message


def test_household_house_building_and_enterprise_exports(tree, clerk):
    home = house(clerk, tree.community_a1)
    head = person(clerk, tree.community_a1, name="户主甲", house=home)
    services.household_create(
        actor=clerk, org=tree.community_a1, number="0001", registered_address="某地", head=head, house=home
    )
    services.enterprise_create(
        actor=clerk,
        data=services.EnterpriseData(
            org=tree.community_a1,
            name=INJECTION,
            uscc=make_uscc("330110", "12345678"),
            legal_representative="甲",
            address="某地",
        ),
    )
    client = client_for(clerk)
    _header, *rows = sheet_rows(client.get("/registry/households/export/"))
    assert rows == [["0001", "家庭户", "户主甲", 1, "某地", home.full_address, "甲一社区", None]]
    _header, *rows = sheet_rows(client.get("/registry/houses/export/", {"q": "幸福路"}))
    assert rows[0][0] == home.full_address and rows[0][9] == "否" and rows[0][10] == 1
    _header, *rows = sheet_rows(client.get("/registry/buildings/export/"))
    assert rows[0][:4] == ["幸福路12号", "3幢", None, 1]
    _header, *rows = sheet_rows(client.get("/registry/enterprises/export/"))
    assert rows[0][0] == "'" + INJECTION
    assert exports().count() == 4


def test_an_enterprise_contact_phone_is_personal_data_on_its_page_and_in_the_export(tree, clerk):
    data = services.EnterpriseData(
        org=tree.community_a1,
        name="幸福小卖部",
        uscc=make_uscc("330110", "12345678"),
        legal_representative="张三",
        address="幸福路1号",
        contact_phone="13912345678",
    )
    enterprise = services.enterprise_create(actor=clerk, data=data)
    page = client_for(clerk).get(f"/registry/enterprises/{enterprise.pk}/").content.decode()
    assert "139****5678" in page and "13912345678" not in page
    _header, row = sheet_rows(client_for(clerk).get("/registry/enterprises/export/"))
    assert "139****5678" in row and "13912345678" not in row
    leader = make_user(tree.subdistrict_a, "registry.view_enterprise", "registry.view_full_person")
    page = client_for(leader).get(f"/registry/enterprises/{enterprise.pk}/").content.decode()
    assert "13912345678" in page
    _header, row = sheet_rows(client_for(leader).get("/registry/enterprises/export/"))
    assert "13912345678" in row
