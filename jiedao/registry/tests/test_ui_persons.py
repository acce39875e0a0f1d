"""The person pages as a clerk uses them: search, masked numbers, the audited reveal, forms, life events."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from jiedao.audit.models import AuditEvent
from jiedao.core.testing import ScopedModelContract, api_client_for, client_for, make_user
from jiedao.registry import services
from jiedao.registry.choices import PersonStatus
from jiedao.registry.identity import stored_identity
from jiedao.registry.models import LifeEvent, Migrant, Person, SpecialGroupTag
from jiedao.registry.tests.factories import house, new_id_number, person, staff


@pytest.fixture
def clerk(tree):
    return staff(tree.community_a1)


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def rows(html: str) -> int:
    return html.count("data-person-id=")


def orm_person(org, name="上级人员"):
    """A person registered directly on a node above community level (services refuse that): scope tests."""
    identity = stored_identity(new_id_number())
    return Person.objects.create(
        org=org,
        name=name,
        id_number=identity.id_number,
        id_number_hash=identity.id_number_hash,
        id_number_masked=identity.id_number_masked,
        gender=identity.gender,
        birth_date=identity.birth_date,
    )


# --- list and search ---------------------------------------------------------------------------------------


def test_search_by_id_number_phone_name_pinyin_and_initials(tree, clerk):
    zhang = person(clerk, tree.community_a1, name="张三丰", phone="13811112222")
    person(clerk, tree.community_a1, name="李四")
    person(staff(tree.community_b1), tree.community_b1, name="张三")
    client = client_for(clerk)
    for term in (zhang.id_number, zhang.id_number.lower(), "138 1111 2222", "张三", "zhangsan", "zsf"):
        html = page(client.get("/registry/persons/", {"q": term}))
        assert rows(html) == 1 and "张三丰" in html and "李四" not in html, term
    assert rows(page(client.get("/registry/persons/"))) == 2  # 张三 of 乙一社区 is out of scope


def test_list_shows_masked_numbers_only(tree, clerk):
    zhang = person(clerk, tree.community_a1, name="张三丰", phone="13811112222")
    officer = staff(tree.community_a1, "registry.view_full_person")
    for user in (clerk, officer):
        html = page(client_for(user).get("/registry/persons/", {"q": "张"}))
        assert zhang.id_number_masked in html and "138****2222" in html
        assert zhang.id_number not in html and "13811112222" not in html


def test_filters_address_org_status_gender_tag_age_and_migrant(tree, clerk):
    home = house(clerk, tree.community_a1, street="幸福路88号")
    old = person(clerk, tree.community_a1, name="王老", house=home, id_number=new_id_number(date(1940, 1, 1)))
    young = person(
        clerk, tree.community_a1, name="王小", id_number=new_id_number(date(2005, 1, 1), female=True)
    )
    in_grid = person(clerk, tree.grid_a1, name="王网格")
    services.tag_add(actor=clerk, person=old, group="elderly_alone", valid_from=date(2024, 1, 1))
    services.migrant_register(
        actor=clerk,
        person=young,
        data=services.MigrantData(origin_address="安徽", arrival_date=date(2024, 1, 1)),
    )
    services.person_move_out(actor=clerk, person=in_grid, moved_on=date(2025, 1, 1), destination="上海")
    client = client_for(clerk)

    def names(**params):
        html = page(client.get("/registry/persons/", params))
        return {p.name for p in (old, young, in_grid) if f'data-person-id="{p.pk}"' in html}

    assert names(address="福路88") == {"王老"}
    assert names(org=tree.grid_a1.pk) == set()  # by default only those living here
    assert names(org=tree.grid_a1.pk, status="all") == {"王网格"}
    assert names(status="moved_out") == {"王网格"}
    assert names(gender="2") == {"王小"}
    assert names(tags="elderly_alone") == {"王老"}
    assert names(age_min=80) == {"王老"} and names(age_max=30) == {"王小"}
    assert names(migrant="yes") == {"王小"} and names(migrant="no", status="all") == {"王老", "王网格"}


def test_bad_filter_shows_an_error_and_no_rows(tree, clerk):
    person(clerk, tree.community_a1)
    html = page(client_for(clerk).get("/registry/persons/", {"age_min": 60, "age_max": 20}))
    assert "年龄上限不能小于下限" in html and rows(html) == 0


def test_htmx_search_returns_only_the_result_table(tree, clerk):
    person(clerk, tree.community_a1, name="张三丰")
    response = client_for(clerk).get(
        "/registry/persons/", {"q": "zs"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    html = page(response)
    assert "<html" not in html and "张三丰" in html and 'data-testid="export"' in html
    assert "HX-Request" in response["Vary"]
    full = page(client_for(clerk).get("/registry/persons/", {"q": "zs"}))
    assert 'hx-get="/registry/persons/"' in full and 'hx-push-url="true"' in full and 'id="results"' in full


def test_list_is_paginated_by_50_and_ordered_by_name(tree, clerk):
    for n in range(51):
        person(clerk, tree.community_a1, name=f"居民{chr(65 + n // 26)}{chr(65 + n % 26)}")  # AA … BY
    client = client_for(clerk)
    first = page(client.get("/registry/persons/"))
    assert rows(first) == 50 and "共 51 条" in first and first.index("居民AA") < first.index("居民AB")
    second = page(client.get("/registry/persons/", {"page": 2}))
    assert rows(second) == 1 and "居民BY" in second
    # a page past the end (a bookmark of a list that has since shrunk) shows the last one, not 404
    beyond = page(client.get("/registry/persons/", {"page": 9999}))
    assert rows(beyond) == 1 and "居民BY" in beyond and "共 51 条" in beyond
    assert rows(page(client.get("/registry/persons/", {"page": "last"}))) == 1


def test_a_space_typed_inside_a_chinese_name_is_ignored(tree, clerk):
    person(clerk, tree.community_a1, name="丁丽")
    person(clerk, tree.community_a1, name="丁大伟")
    client = client_for(clerk)
    for typed in ("丁 丽", "丁\u3000丽", " 丁丽 "):
        html = page(client.get("/registry/persons/", {"q": typed}))
        assert rows(html) == 1 and "丁丽" in html, typed
    api = api_client_for(clerk)
    found = api.get("/api/v1/persons/", {"q": "丁 丽"}).json()
    assert [row["name"] for row in found["results"]] == ["丁丽"]
    assert "完整证件号码或电话" in page(client.get("/registry/persons/"))


# --- detail and reveal -------------------------------------------------------------------------------------


def test_detail_shows_labels_household_house_tags_and_timeline_without_full_numbers(tree, clerk):
    home = house(clerk, tree.community_a1)
    head = person(clerk, tree.community_a1, name="王建国", house=home, phone="13900001111", ethnicity="01")
    wife = person(clerk, tree.community_a1, name="刘桂兰", id_number=new_id_number(female=True))
    services.household_create(
        actor=clerk,
        org=tree.community_a1,
        number="H-1",
        registered_address="幸福路12号",
        head=head,
        members=[(wife, "10")],
    )
    tag = services.tag_add(actor=clerk, person=head, group="dibao", valid_from=date(2020, 1, 1))
    services.tag_end(actor=clerk, tag=tag, valid_until=date(2021, 1, 1))
    services.tag_add(
        actor=clerk, person=head, group="veteran", valid_from=date(2022, 1, 1), evidence="退役证123"
    )
    html = page(client_for(clerk).get(f"/registry/persons/{head.pk}/"))
    assert "汉族" in html and "男" in html and "幸福路12号3幢2单元301" in html
    assert "H-1" in html and "刘桂兰" in html and "配偶" in html and "户主" in html
    active = html[html.index('data-testid="active-tags"') :]
    assert "退役军人" in active and "退役证123" in active
    assert "低保对象" in html[html.index('data-testid="past-tags"') :]
    timeline = html[html.index('data-testid="timeline"') :]
    assert "登记" in timeline and "标记为退役军人" in timeline
    assert head.id_number not in html and "13900001111" not in html and head.id_number_masked in html
    assert 'data-testid="reveal"' not in html


def test_reveal_shows_full_numbers_and_is_audited(tree):
    officer = staff(tree.community_a1, "registry.view_full_person")
    someone = person(officer, tree.community_a1, phone="13900001111")
    client = client_for(officer)
    detail = page(client.get(f"/registry/persons/{someone.pk}/"))
    assert 'data-testid="reveal"' in detail and someone.id_number not in detail
    response = client.post(f"/registry/persons/{someone.pk}/reveal/", HTTP_HX_REQUEST="true")
    fragment = page(response)
    assert someone.id_number in fragment and "13900001111" in fragment and "<html" not in fragment
    assert response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(event_name="registry.person.revealed", actor=officer).count() == 1
    # without JavaScript the whole page comes back with the numbers
    assert someone.id_number in page(client.post(f"/registry/persons/{someone.pk}/reveal/"))


def test_reveal_without_permission_is_403_and_out_of_scope_is_404(tree, clerk):
    someone = person(clerk, tree.community_a1)
    assert client_for(clerk).post(f"/registry/persons/{someone.pk}/reveal/").status_code == 403
    outsider = staff(tree.community_b1, "registry.view_full_person")
    assert client_for(outsider).post(f"/registry/persons/{someone.pk}/reveal/").status_code == 404
    assert not AuditEvent.objects.filter(event_name="registry.person.revealed").exists()
    officer = staff(tree.community_a1, "registry.view_full_person")
    assert client_for(officer).get(f"/registry/persons/{someone.pk}/reveal/").status_code == 405


# --- forms -------------------------------------------------------------------------------------------------


def _form(org, **overrides):
    data = {
        "name": "赵六",
        "id_number": new_id_number(),
        "org": org.pk,
        "house_relation": "family",
        "phone": "",
        "house": "",
    }
    data.update(overrides)
    return data


def test_create_with_bad_id_number_shows_chinese_error_and_saves_nothing(tree, clerk):
    html = page(
        client_for(clerk).post(
            "/registry/persons/new/", _form(tree.community_a1, id_number="110105194912310021")
        )
    )
    assert "校验位错误" in html and "is-invalid" in html
    assert not Person.objects.exists()


def test_a_landline_too_short_after_its_area_code_is_refused_with_the_reason(tree, clerk):
    """0571-1234 was taken (phonenumbers reads 1234 as a service code) and stored as 057-11234."""
    client = client_for(clerk)
    html = page(client.post("/registry/persons/new/", _form(tree.community_a1, phone="0571-1234")))
    assert "固定电话“0571-1234”区号后应为 7 位或 8 位号码" in html and "is-invalid" in html
    assert not Person.objects.exists()
    response = client.post(
        "/registry/persons/new/", _form(tree.community_a1, phone="０５７１－８７００１２３４")
    )
    assert response.status_code == 302 and Person.objects.get().phone == "057187001234"


def test_create_with_unknown_house_address_is_refused(tree, clerk):
    html = page(
        client_for(clerk).post("/registry/persons/new/", _form(tree.community_a1, house="不存在路1号"))
    )
    assert "未找到房屋" in html and not Person.objects.exists()


def test_create_links_the_house_and_redirects_to_the_person(tree, clerk):
    home = house(clerk, tree.community_a1)
    client = client_for(clerk)
    assert "幸福路12号3幢2单元301" in page(client.get(f"/registry/persons/new/?house={home.pk}"))
    response = client.post(
        "/registry/persons/new/",
        _form(tree.community_a1, house="幸福路12号 3幢 2单元 301", phone="13700001111", ethnicity="01"),
    )
    created = Person.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/registry/persons/{created.pk}/"
    assert created.house == home and created.phone == "13700001111" and created.ethnicity == "01"


def test_create_offers_only_communities_in_scope(tree, clerk):
    html = page(client_for(clerk).get("/registry/persons/new/"))
    assert "甲一社区" in html and "甲一第一网格" in html and "甲二社区" not in html and "乙一社区" not in html
    response = client_for(clerk).post("/registry/persons/new/", _form(tree.community_a2))
    assert response.status_code == 200 and not Person.objects.exists()


def test_edit_keeps_the_numbers_when_left_blank_and_never_shows_them(tree, clerk):
    someone = person(clerk, tree.community_a1, name="赵六", phone="13700001111")
    client = client_for(clerk)
    form_html = page(client.get(f"/registry/persons/{someone.pk}/edit/"))
    assert someone.id_number not in form_html and "13700001111" not in form_html
    assert someone.id_number_masked in form_html
    response = client.post(
        f"/registry/persons/{someone.pk}/edit/", _form(tree.community_a1, name="赵六六", id_number="")
    )
    assert response.status_code == 302
    someone = Person.objects.get(pk=someone.pk)
    assert (someone.name, someone.id_number, someone.phone) == ("赵六六", someone.id_number, "13700001111")
    assert LifeEvent.objects.filter(person=someone, kind="updated").exists()
    client.post(
        f"/registry/persons/{someone.pk}/edit/",
        _form(tree.community_a1, name="赵六六", id_number="", clear_phone="on"),
    )
    assert Person.objects.get(pk=someone.pk).phone == ""


def test_move_in_creates_or_takes_over(tree, clerk):
    client = client_for(clerk)
    data = _form(tree.community_a1, moved_on="2026-01-05", origin="安徽省阜阳市")
    assert client.post("/registry/persons/move-in/", data).status_code == 302
    arrived = Person.objects.get()
    assert LifeEvent.objects.filter(person=arrived, kind="move_in").exists()
    # a resident who moved out of 乙一社区 moves in here: the same record, timeline kept
    b_clerk = staff(tree.community_b1)
    elsewhere = person(b_clerk, tree.community_b1, name="钱七")
    services.person_move_out(
        actor=b_clerk, person=elsewhere, moved_on=date(2025, 1, 1), destination="甲一社区"
    )
    data = _form(
        tree.community_a1,
        name="钱七",
        id_number=elsewhere.id_number,
        moved_on="2025-02-01",
        origin="乙一社区",
    )
    assert client.post("/registry/persons/move-in/", data).status_code == 302
    elsewhere.refresh_from_db()
    assert elsewhere.org == tree.community_a1 and elsewhere.status == PersonStatus.LIVING
    # someone still living elsewhere is refused, in Chinese, next to the ID number
    other = person(b_clerk, tree.community_b1, name="孙八")
    data = _form(
        tree.community_a1, name="孙八", id_number=other.id_number, moved_on="2025-02-01", origin="乙一社区"
    )
    assert "请先由原社区办理迁出" in page(client.post("/registry/persons/move-in/", data))


# --- life events -------------------------------------------------------------------------------------------


def _timeline(client, someone) -> str:
    html = page(client.get(f"/registry/persons/{someone.pk}/"))
    return html[html.index('data-testid="timeline"') :]


def test_address_change_and_move_out_appear_in_the_timeline(tree, clerk):
    house(clerk, tree.community_a1, room="302")
    someone = person(clerk, tree.community_a1)
    client = client_for(clerk)
    response = client.post(
        f"/registry/persons/{someone.pk}/address/",
        {"house": "幸福路12号3幢2单元302", "house_relation": "tenant", "changed_on": "2026-01-02"},
    )
    assert response.status_code == 302
    assert "变更为“幸福路12号3幢2单元302”" in _timeline(client, someone)
    assert Person.objects.get(pk=someone.pk).house_relation == "tenant"
    bad = page(
        client.post(
            f"/registry/persons/{someone.pk}/move-out/", {"moved_on": "2026-01-03", "destination": ""}
        )
    )
    assert "这个字段是必填项" in bad or "必填" in bad
    client.post(
        f"/registry/persons/{someone.pk}/move-out/", {"moved_on": "2026-01-03", "destination": "杭州市"}
    )
    assert "迁往杭州市" in _timeline(client, someone)
    assert Person.objects.get(pk=someone.pk).status == PersonStatus.MOVED_OUT
    # a moved-out resident cannot move out again: the service's refusal is shown on the form
    again = page(
        client.post(
            f"/registry/persons/{someone.pk}/move-out/", {"moved_on": "2026-01-04", "destination": "别处"}
        )
    )
    assert "不能办理此事项" in again


def test_death_registration(tree, clerk):
    someone = person(clerk, tree.community_a1)
    client = client_for(clerk)
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    assert "死亡日期不能晚于今天。" in page(
        client.post(f"/registry/persons/{someone.pk}/death/", {"died_on": future})
    )
    before_birth = (someone.birth_date - timedelta(days=1)).isoformat()
    assert f"死亡日期不能早于出生日期 {someone.birth_date:%Y-%m-%d}。" in page(
        client.post(f"/registry/persons/{someone.pk}/death/", {"died_on": before_birth})
    )
    assert Person.objects.get(pk=someone.pk).status == PersonStatus.LIVING
    client.post(f"/registry/persons/{someone.pk}/death/", {"died_on": "2026-01-01", "note": "病故"})
    assert Person.objects.get(pk=someone.pk).status == PersonStatus.DECEASED
    assert "病故" in _timeline(client, someone)


def test_tags_are_added_and_ended_from_the_person_page(tree, clerk):
    someone = person(clerk, tree.community_a1)
    client = client_for(clerk)
    response = client.post(
        f"/registry/persons/{someone.pk}/tags/new/",
        {
            "group": "disabled",
            "valid_from": "2025-01-01",
            "disability_type": "4",
            "disability_grade": "2",
            "evidence": "残疾人证 123",
        },
    )
    assert response.status_code == 302
    tag = SpecialGroupTag.objects.get(person=someone)
    html = page(client.get(f"/registry/persons/{someone.pk}/"))
    assert "残疾人" in html[html.index('data-testid="active-tags"') :]
    overlap = page(
        client.post(
            f"/registry/persons/{someone.pk}/tags/new/", {"group": "disabled", "valid_from": "2025-06-01"}
        )
    )
    assert "已有“残疾人”标记" in overlap
    client.post(
        f"/registry/persons/{someone.pk}/tags/{tag.pk}/end/", {"valid_until": "2025-12-31", "reason": "康复"}
    )
    timeline = _timeline(client, someone)
    assert "标记为残疾人" in timeline and "解除残疾人标记：康复" in timeline
    html = page(client.get(f"/registry/persons/{someone.pk}/"))
    assert (
        'data-testid="active-tags"' not in html and "残疾人" in html[html.index('data-testid="past-tags"') :]
    )


def test_migrant_information_is_registered_from_the_person_page(tree, clerk):
    someone = person(clerk, tree.community_a1)
    client = client_for(clerk)
    data = {
        "origin_address": "河南省周口市",
        "arrival_date": "2025-03-01",
        "reason": "work",
        "permit_valid_until": "2025-01-01",
    }
    assert "不能早于来本地日期" in page(client.post(f"/registry/persons/{someone.pk}/migrant/", data))
    data["permit_valid_until"] = "2027-03-01"
    assert client.post(f"/registry/persons/{someone.pk}/migrant/", data).status_code == 302
    migrant = Migrant.objects.get(person=someone)
    assert migrant.reason == "work" and migrant.permit_valid_until == date(2027, 3, 1)
    html = page(client.get(f"/registry/persons/{someone.pk}/"))
    assert "河南省周口市" in html and "务工" in html
    assert "河南省周口市" in page(client.get(f"/registry/persons/{someone.pk}/migrant/"))


def test_a_viewer_sees_no_forms_and_cannot_post_them(tree, clerk):
    someone = person(clerk, tree.community_a1)
    viewer = make_user(tree.community_a1, "registry.view_person")
    client = client_for(viewer)
    html = page(client.get(f"/registry/persons/{someone.pk}/"))
    assert "死亡登记" not in html and "/edit/" not in html
    assert client.post(f"/registry/persons/{someone.pk}/death/", {"died_on": "2026-01-01"}).status_code == 403
    assert Person.objects.get(pk=someone.pk).status == PersonStatus.LIVING


def test_other_communitys_clerk_gets_404_on_every_person_page(tree, clerk):
    someone = person(clerk, tree.community_a1)
    outsider = client_for(staff(tree.community_a2))
    for suffix in ("", "edit/", "death/", "move-out/", "address/", "tags/new/", "migrant/"):
        assert outsider.get(f"/registry/persons/{someone.pk}/{suffix}").status_code == 404, suffix
    assert (
        outsider.post(f"/registry/persons/{someone.pk}/death/", {"died_on": "2026-01-01"}).status_code == 404
    )
    assert Person.objects.get(pk=someone.pk).status == PersonStatus.LIVING


class TestPersonPagesAreScoped(ScopedModelContract):
    view_permission = "registry.view_person"

    def make_object(self, org):
        if org.level < 3:
            return orm_person(org)
        return person(staff(org), org)

    def detail_url(self, obj):
        return f"/registry/persons/{obj.pk}/"


def test_a_wrong_number_is_reported_with_a_field_left_empty(tree, clerk):
    """With 所属社区 left empty the page said only “该字段是必填项”; the wrong ID number and phone came up once
    that was fixed. Now all at once, and nothing is registered."""
    response = client_for(clerk).post(
        "/registry/persons/new/",
        {"name": "测试乙", "id_number": "11010519900101001", "phone": "abc", "house_relation": "family"},
    )

    html = page(response)
    assert response.status_code == 200
    assert "该字段是必填项。" in html
    assert "公民身份号码应为18位（或15位旧号码），当前为17位。" in html
    assert "电话号码格式不正确：“abc”含有数字、空格、横线、括号和开头的 + 以外的字符。" in html
    assert not Person.objects.exists()
