"""Registry pages: 出生登记 from the household page, the split form's member
checkboxes and relation selects, no 本人 / 户主 as a member's relation, the house relation defaulting to
家庭成员, the person list defaulting to 现居住, the two 出租 filters told apart, `search` as the API's other
name of `q`, import templates whose example rows import cleanly, and the language picker."""

from __future__ import annotations

import io
import re
from datetime import date

import openpyxl
import pytest
import yaml
from django import forms
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string

from jiedao.applications.forms import RatingForm
from jiedao.core.forms import StyledForm
from jiedao.core.testing import client_for
from jiedao.registry import services
from jiedao.registry.choices import LifeEventKind, PersonStatus
from jiedao.registry.models import HouseholdMember, LifeEvent, Person
from jiedao.registry.tests.factories import house, new_id_number, person, staff
from jiedao.registry.validators import compute_check_char, make_uscc
from jiedao.spreadsheets.services import import_start, template_workbook
from jiedao.spreadsheets.specs import get_spec


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def form_html(html: str, action: str) -> str:
    start = html.index(f'action="{action}"')
    return html[start : html.index("</form>", start)]


def option_labels(html: str, select_id: str) -> list[str]:
    start = html.index(f'id="{select_id}"')
    select = html[start : html.index("</select>", start)]
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


# --- 1. 出生登记 ------------------------------------------------------------------------------------------


def birth_post(**overrides):
    data = {
        "name": "王小宝",
        "gender": "1",
        "birth_date": "2026-01-15",
        "id_number": new_id_number(date(2026, 1, 15)),
        "relation": "20",
        "ethnicity": "01",
    }
    return {**data, **overrides}


def test_birth_is_registered_from_the_household_page(family, clerk):
    household, head, _wife, _son = family
    client = client_for(clerk)
    html = page(client.get(f"/registry/households/{household.pk}/"))
    assert "出生登记" in html
    form = form_html(html, f"/registry/households/{household.pk}/birth/")
    for label in ("姓名", "性别", "出生日期", "公民身份号码", "与户主关系", "民族"):
        assert label in form

    data = birth_post()
    response = client.post(f"/registry/households/{household.pk}/birth/", data, follow=True)
    newborn = Person.objects.get(name="王小宝")
    assert response.redirect_chain[-1][0] == f"/registry/persons/{newborn.pk}/"
    html = page(response)
    assert "出生登记已完成。" in html
    assert (newborn.birth_date, newborn.gender, newborn.org_id) == (date(2026, 1, 15), "1", household.org_id)
    assert HouseholdMember.objects.get(person=newborn).household == household
    assert HouseholdMember.objects.get(person=newborn).relation == "20"
    event = LifeEvent.objects.get(person=newborn)
    assert (event.kind, event.occurred_on) == (LifeEventKind.BIRTH, date(2026, 1, 15))
    timeline = html[html.index('data-testid="timeline"') :]
    assert "2026-01-15 · 出生" in timeline and f"出生，入户 {household.number}" in timeline
    members = page(client.get(f"/registry/households/{household.pk}/"))
    assert "王小宝" in members[members.index('data-testid="members"') :]


def test_birth_errors_are_shown_in_chinese_on_the_form_and_nothing_is_saved(family, clerk):
    household = family[0]
    client = client_for(clerk)
    url = f"/registry/households/{household.pk}/birth/"
    number = new_id_number(date(2026, 1, 15))
    wrong = number[:17] + ("1" if compute_check_char(number[:17]) != "1" else "2")

    html = page(client.post(url, birth_post(id_number=number, birth_date="2026-01-16", gender="2")))
    assert "出生日期与证件号码不符" in html and "性别与证件号码不符（号码显示为男）。" in html
    assert 'value="王小宝"' in html  # what was typed stays
    html = page(client.post(url, birth_post(id_number=wrong)))
    assert "公民身份号码校验位错误" in html
    html = page(client.post(url, birth_post(name="", relation="")))
    assert html.count("该字段是必填项。") == 2
    html = page(client.post(url, birth_post(relation="01")))  # 本人 is not offered
    assert "选择一个有效的选项" in html
    assert not Person.objects.filter(name="王小宝").exists()
    assert HouseholdMember.objects.filter(household=household).count() == 3


def test_birth_into_another_communitys_household_is_not_found(tree, family):
    household = family[0]
    outsider = staff(tree.community_b1)
    response = client_for(outsider).post(f"/registry/households/{household.pk}/birth/", birth_post())
    assert response.status_code == 404
    assert not Person.objects.filter(name="王小宝").exists()


# --- 2. the split form ------------------------------------------------------------------------------------


def test_split_members_are_bootstrap_checks_and_relations_are_form_selects(family, clerk):
    household, _head, wife, son = family
    html = page(client_for(clerk).get(f"/registry/households/{household.pk}/"))
    split = form_html(html, f"/registry/households/{household.pk}/split/")
    fieldset = split[split.index("<fieldset") : split.index("</fieldset>")]
    assert "<legend" in fieldset and "随新户主分出的成员" in fieldset
    checks = re.findall(r'<div class="form-check">\s*<input type="checkbox"[^>]*>\s*<label[^>]*>', fieldset)
    assert len(checks) == 2
    for member in (wife, son):
        assert f'value="{member.pk}"' in fieldset and member.name in fieldset
    # the address field follows the fieldset instead of being overlapped by it
    assert split.index("</fieldset>") < split.index("新户户籍地址")
    for form_action in ("split", "head", "merge"):
        form = form_html(html, f"/registry/households/{household.pk}/{form_action}/")
        relation_selects = re.findall(r'<select name="relation_\d+"[^>]*>', form)
        assert relation_selects, form_action
        assert all('class="form-select"' in tag for tag in relation_selects), relation_selects


def test_other_checkbox_and_radio_lists_render_as_form_checks(tree):
    html = render_to_string("core/_form_fields.html", {"form": RatingForm()})
    assert re.search(r'<div class="form-check">\s*<input type="radio" name="level"', html)
    assert "<legend" in html

    class Pick(StyledForm):
        kinds = forms.MultipleChoiceField(
            label="类别", choices=[("a", "甲"), ("b", "乙")], widget=forms.CheckboxSelectMultiple
        )

    bound = Pick({})
    assert not bound.is_valid()
    html = render_to_string("core/_form_fields.html", {"form": bound})
    assert html.count('class="form-check-input is-invalid"') == 2 and "该字段是必填项。" in html


# --- 3. relation choices ----------------------------------------------------------------------------------


def test_no_self_or_head_relation_is_offered_for_a_member(family, clerk):
    household = family[0]
    html = page(client_for(clerk).get(f"/registry/households/{household.pk}/"))
    prefixed = [
        "id_member_relation",
        "id_head_old_head_relation",
        "id_birth_relation",
        *re.findall(r'id="(id_(?:head|split|merge)_relation_\d+)"', html),
    ]
    assert len(prefixed) == 3 + 2 + 2 + 3
    for select_id in prefixed:
        labels = option_labels(html, select_id)
        assert "配偶" in labels and "本人" not in labels and "户主" not in labels, select_id


# --- 4. house relation default ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/registry/persons/new/", "/registry/persons/move-in/"])
def test_house_relation_starts_at_the_model_default(clerk, url):
    html = page(client_for(clerk).get(url))
    selected = re.search(r'id="id_house_relation"[^>]*>.*?<option value="(\w+)"[^>]*selected', html, re.S)
    assert selected and selected.group(1) == Person._meta.get_field("house_relation").default == "family"


# --- 5. person list default -------------------------------------------------------------------------------


def test_person_list_lists_residents_living_here_by_default(tree, clerk):
    living = person(clerk, tree.community_a1, name="在住甲")
    gone = person(clerk, tree.community_a1, name="迁出乙")
    dead = person(clerk, tree.community_a1, name="故去丙")
    services.person_move_out(actor=clerk, person=gone, moved_on=date(2026, 1, 2), destination="上海市")
    services.person_register_death(actor=clerk, person=dead, died_on=date(2026, 1, 3))
    client = client_for(clerk)

    def names(params=None):
        html = page(client.get("/registry/persons/", params or {}))
        return {p.name for p in (living, gone, dead) if p.name in html[html.index('data-testid="total"') :]}

    html = page(client.get("/registry/persons/"))
    assert re.search(r'<option value="living" selected>现居住</option>', html)
    assert names() == {"在住甲"}
    assert names({"q": ""}) == {"在住甲"}  # a search without a status too
    assert names({"status": PersonStatus.LIVING}) == {"在住甲"}  # the workbench's link
    assert names({"status": "all"}) == {"在住甲", "迁出乙", "故去丙"}
    assert names({"status": PersonStatus.DECEASED}) == {"故去丙"}
    export = client.get("/registry/persons/export/")
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).worksheets[0]
    exported = {row[0] for row in sheet.iter_rows(values_only=True)}
    assert "在住甲" in exported and "迁出乙" not in exported


def test_workbench_count_matches_the_default_person_list(tree, clerk):
    person(clerk, tree.community_a1, name="在住甲")
    gone = person(clerk, tree.community_a1, name="迁出乙")
    services.person_move_out(actor=clerk, person=gone, moved_on=date(2026, 1, 2), destination="上海市")
    client = client_for(clerk)
    home = page(client.get("/workbench/"))
    assert "/registry/persons/?status=living" in home
    listed = page(client.get("/registry/persons/?status=living"))
    assert "共 1 条" in listed


# --- 6. house filters -------------------------------------------------------------------------------------


def test_the_rented_filter_is_told_apart_from_the_use_rented(clerk):
    html = page(client_for(clerk).get("/registry/houses/"))
    labels = re.findall(r'<label class="form-label small" for="id_\w+">([^<]+)</label>', html)
    assert "是否出租" in labels and "出租" not in labels
    assert "出租" in option_labels(html, "id_use")


# --- 7. API search alias ----------------------------------------------------------------------------------


def test_api_lists_accept_search_as_the_name_of_q(tree, clerk):
    zhang = person(clerk, tree.community_a1, name="张三丰")
    li = person(clerk, tree.community_a1, name="李四")
    services.household_create(
        actor=clerk, org=tree.community_a1, number="H-0001", registered_address="幸福路", head=zhang
    )
    services.household_create(
        actor=clerk, org=tree.community_a1, number="K-0002", registered_address="幸福路", head=li
    )
    house(clerk, tree.community_a1, street="幸福路12号", building="3幢", unit="2单元", room="301")
    house(clerk, tree.community_a1, street="柳浪路8号", building="1幢", unit="1单元", room="101")
    client = client_for(clerk)

    def results(url, params):
        response = client.get(url, params)
        assert response.status_code == 200, response.content
        return response.json()["results"]

    assert [p["name"] for p in results("/api/v1/persons/", {"search": "zsf"})] == ["张三丰"]
    assert [p["name"] for p in results("/api/v1/persons/", {"q": "李", "search": "zsf"})] == ["李四"]
    assert [h["number"] for h in results("/api/v1/households/", {"search": "H-"})] == ["H-0001"]
    assert [h["full_address"] for h in results("/api/v1/houses/", {"search": "柳浪路"})] == [
        "柳浪路8号1幢1单元101"
    ]
    assert [b["street_address"] for b in results("/api/v1/buildings/", {"search": "柳浪"})] == ["柳浪路8号"]


def test_api_migrant_and_enterprise_lists_accept_search(tree, clerk):
    for name in ("张三丰", "李四"):
        services.migrant_register(
            actor=clerk,
            person=person(clerk, tree.community_a1, name=name),
            data=services.MigrantData(origin_address="安徽省阜阳市", arrival_date=date(2025, 1, 1)),
        )
    services.enterprise_create(
        actor=clerk,
        data=services.EnterpriseData(
            org=tree.community_a1,
            name="柳浪便利店",
            uscc=make_uscc("330110", "00010001"),
            legal_representative="张三",
            address="幸福路12号",
        ),
    )
    services.enterprise_create(
        actor=clerk,
        data=services.EnterpriseData(
            org=tree.community_a1,
            name="清波书店",
            uscc=make_uscc("330110", "00010002"),
            legal_representative="李四",
            address="幸福路12号",
        ),
    )
    client = client_for(clerk)
    names = [e["name"] for e in client.get("/api/v1/enterprises/", {"search": "柳浪"}).json()["results"]]
    assert names == ["柳浪便利店"]
    migrants = client.get("/api/v1/migrants/", {"search": "zsf"}).json()["results"]
    assert [m["person"]["name"] for m in migrants] == ["张三丰"]


def test_schema_documents_search_on_the_registry_lists():
    schema = yaml.safe_load((settings.BASE_DIR / "docs" / "api" / "openapi.yaml").read_text())
    for path in (
        "/api/v1/persons/",
        "/api/v1/households/",
        "/api/v1/migrants/",
        "/api/v1/houses/",
        "/api/v1/buildings/",
        "/api/v1/enterprises/",
    ):
        names = {parameter["name"] for parameter in schema["paths"][path]["get"]["parameters"]}
        assert "search" in names, path


# --- 8. import templates ----------------------------------------------------------------------------------

run_jobs = pytest.mark.django_db(transaction=True)


# An optional column each template's example fills, and nothing else needs
LEFT_OUT = {
    "registry-houses": "owner_name",
    "registry-persons": "political_status",
    "registry-households": "head_name",
    "registry-enterprises": "industry",
}


def _as_a_real_row(data: bytes, spec) -> bytes:
    """The template with one optional column its example fills taken out: the example row is then a row of the
    clerk's (the importer skips only the template's own example row, whole), so the importer checks it."""
    optional = next(c for c in spec.columns if c.key == LEFT_OUT[spec.key])
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    column = next(
        cell.column
        for row in sheet.iter_rows(min_row=1, max_row=5)
        for cell in row
        if str(cell.value or "").strip(" *＊") == str(optional.header)
    )
    sheet.delete_cols(column)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


@run_jobs
def test_every_registry_template_is_skipped_as_downloaded_and_its_example_rows_pass_the_checks(
    tree, settings, tmp_path
):
    """The templates as downloaded (notes row, header, grey example row): the example row is recognised and
    skipped. Made a real row (one optional column left out) and imported in the order a community fills its
    registry, every example passes the importer's checks."""
    settings.MEDIA_ROOT = tmp_path / "media"
    clerk = staff(tree.community_a1)
    house(clerk, tree.community_a1, street="幸福路12号", building="3幢", unit="1单元", room="101")
    for key in ("registry-houses", "registry-persons", "registry-households", "registry-enterprises"):
        spec = get_spec(key)
        for data, skipped in (
            (template_workbook(spec), True),
            (_as_a_real_row(template_workbook(spec), spec), False),
        ):
            job = import_start(
                actor=clerk,
                spec_key=key,
                org=tree.community_a1,
                uploaded_file=SimpleUploadedFile(f"{key}.xlsx", data),
            )
            job.refresh_from_db()
            assert job.status == "done", (key, job.failure_message)
            assert job.error_count == 0, (
                key,
                list(job.row_errors.values_list("row_number", "column", "message")),
            )
            assert job.example_count == (1 if skipped else 0), key
            assert (job.created_count + job.updated_count >= 1) is not skipped, key
    zhang = Person.objects.get(name="张三")
    assert zhang.id_number == "110105199001011232" and zhang.birth_date == date(1990, 1, 1)


# --- 9. language picker -----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_language_picker_names_each_language_in_itself(clerk, language):
    client = client_for(clerk)
    client.cookies["django_language"] = language
    html = page(client.get("/workbench/"))
    picker = html[html.index('id="lang-select"') : html.index("</select>", html.index('id="lang-select"'))]
    assert re.findall(r"<option[^>]*>([^<]+)</option>", picker) == ["简体中文", "English"]
    assert "英语" not in picker and "Simplified Chinese" not in picker
