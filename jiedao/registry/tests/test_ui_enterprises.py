"""企业信息 pages: search by name prefix or credit code, registration with Chinese errors, scope."""

import pytest

from jiedao.core.testing import ScopedModelContract, client_for
from jiedao.registry import services
from jiedao.registry.models import Enterprise
from jiedao.registry.tests.factories import house, staff
from jiedao.registry.validators import make_uscc


@pytest.fixture
def clerk(tree):
    return staff(tree.community_a1)


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def enterprise(actor, org, name="幸福小卖部", body="12345678", **kwargs):
    data = services.EnterpriseData(
        org=org,
        name=name,
        uscc=make_uscc("330110", body),
        legal_representative="张三",
        address="幸福路1号",
        **kwargs,
    )
    return services.enterprise_create(actor=actor, data=data)


def _form(org, **overrides):
    data = {
        "org": org.pk,
        "name": "明湖科技有限公司",
        "uscc": make_uscc("330110", "87654321"),
        "legal_representative": "李四",
        "address": "和平街8号",
        "status": "operating",
        "coordinate_system": "wgs84",
    }
    data.update(overrides)
    return data


def test_search_by_name_prefix_credit_code_status_and_industry(tree, clerk):
    shop = enterprise(clerk, tree.community_a1, industry="零售")
    plant = enterprise(clerk, tree.community_a1, name="明湖机械厂", body="22223333", status="suspended")
    client = client_for(clerk)

    def shown(**params):
        html = page(client.get("/registry/enterprises/", params))
        return {e.name for e in (shop, plant) if f"/registry/enterprises/{e.pk}/" in html}

    assert shown() == {"幸福小卖部", "明湖机械厂"}
    assert shown(q="幸福") == {"幸福小卖部"} and shown(q="小卖部") == set()  # a prefix, not a substring
    assert shown(q=plant.uscc) == {"明湖机械厂"} and shown(q=plant.uscc.lower()) == {"明湖机械厂"}
    assert shown(status="suspended") == {"明湖机械厂"} and shown(industry="零售") == {"幸福小卖部"}


def test_create_with_bad_credit_code_shows_chinese_error_and_saves_nothing(tree, clerk):
    client = client_for(clerk)
    bad = _form(tree.community_a1, uscc=make_uscc("330110", "87654321")[:-1] + "0")
    html = page(client.post("/registry/enterprises/new/", bad))
    assert "统一社会信用代码" in html and "is-invalid" in html and not Enterprise.objects.exists()


def test_create_and_edit_with_house(tree, clerk):
    home = house(clerk, tree.community_a1)
    client = client_for(clerk)
    response = client.post(
        "/registry/enterprises/new/", _form(tree.community_a1, house=home.full_address, employees=12)
    )
    created = Enterprise.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/registry/enterprises/{created.pk}/"
    assert created.house == home and created.employees == 12
    html = page(client.get(f"/registry/enterprises/{created.pk}/"))
    assert "明湖科技有限公司" in html and home.full_address in html and "在营" in html
    edit = page(client.get(f"/registry/enterprises/{created.pk}/edit/"))
    assert created.uscc in edit and home.full_address in edit
    response = client.post(
        f"/registry/enterprises/{created.pk}/edit/", _form(tree.community_a1, status="deregistered")
    )
    created.refresh_from_db()
    assert response.status_code == 302 and created.status == "deregistered" and created.house is None


def test_duplicate_credit_code_is_refused(tree, clerk):
    existing = enterprise(clerk, tree.community_a1)
    html = page(
        client_for(clerk).post("/registry/enterprises/new/", _form(tree.community_a1, uscc=existing.uscc))
    )
    assert "统一社会信用代码已登记" in html and Enterprise.objects.count() == 1


def test_other_communitys_clerk_gets_404(tree, clerk):
    shop = enterprise(clerk, tree.community_a1)
    outsider = client_for(staff(tree.community_a2))
    assert outsider.get(f"/registry/enterprises/{shop.pk}/").status_code == 404
    assert outsider.get(f"/registry/enterprises/{shop.pk}/edit/").status_code == 404
    assert (
        outsider.post(f"/registry/enterprises/{shop.pk}/edit/", _form(tree.community_a2)).status_code == 404
    )


class TestEnterprisePagesAreScoped(ScopedModelContract):
    view_permission = "registry.view_enterprise"

    def make_object(self, org):
        uscc = make_uscc("330110", f"{org.pk:08d}")
        if org.level < 3:
            return Enterprise.objects.create(
                org=org, name="上级单位", uscc=uscc, legal_representative="甲", address="某地"
            )
        return services.enterprise_create(
            actor=staff(org),
            data=services.EnterpriseData(
                org=org, name="社区企业", uscc=uscc, legal_representative="乙", address="某地"
            ),
        )

    def detail_url(self, obj):
        return f"/registry/enterprises/{obj.pk}/"


def test_a_wrong_uscc_or_phone_is_reported_with_a_field_left_empty(tree, clerk):
    response = client_for(clerk).post(
        "/registry/enterprises/new/",
        {"name": "测试公司", "uscc": "91330106MA2IOZSV0X", "contact_phone": "call me", "status": "operating"},
    )

    html = page(response)
    assert "该字段是必填项。" in html  # 所属社区, 法定代表人, 经营地址
    assert "统一社会信用代码不能包含字母 I、O、Z、S、V，第12位为 I。" in html
    assert "电话号码格式不正确：“call me”" in html
    assert not Enterprise.objects.exists()


def test_the_edit_page_shows_the_contact_phone_masked_and_a_blank_field_keeps_it(tree, clerk):
    """The contact's mobile number is personal data: the edit page showed it in full to whoever may change
    the enterprise, though the detail page and the export mask it."""
    shop = enterprise(clerk, tree.community_a1, contact_phone="13812345678")
    client = client_for(clerk)
    edit = page(client.get(f"/registry/enterprises/{shop.pk}/edit/"))
    assert "13812345678" not in edit and "138****5678" in edit

    form = _form(tree.community_a1, name=shop.name, uscc=shop.uscc, status="suspended")
    assert client.post(f"/registry/enterprises/{shop.pk}/edit/", form).status_code == 302
    shop.refresh_from_db()
    assert shop.contact_phone == "13812345678" and shop.status == "suspended"

    client.post(f"/registry/enterprises/{shop.pk}/edit/", {**form, "contact_phone": "13900001111"})
    shop.refresh_from_db()
    assert shop.contact_phone == "13900001111"
    client.post(f"/registry/enterprises/{shop.pk}/edit/", {**form, "clear_contact_phone": "on"})
    shop.refresh_from_db()
    assert shop.contact_phone == ""
