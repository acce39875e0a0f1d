"""流动人口 list with permit expiry, the sidebar group and the home panels."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from jiedao.core.testing import client_for, make_user
from jiedao.registry import services
from jiedao.registry.tests.factories import person, staff


@pytest.fixture
def clerk(tree):
    return staff(tree.community_a1)


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def migrant(actor, org, name, permit_valid_until):
    someone = person(actor, org, name=name)
    services.migrant_register(
        actor=actor,
        person=someone,
        data=services.MigrantData(
            origin_address="河南省周口市",
            arrival_date=date(2020, 1, 1),
            permit_valid_until=permit_valid_until,
        ),
    )
    return someone


@pytest.fixture
def migrants(tree, clerk):
    today = timezone.localdate()
    return {
        "expired": migrant(clerk, tree.community_a1, "过期甲", today - timedelta(days=1)),
        "soon": migrant(clerk, tree.community_a1, "将到乙", today + timedelta(days=10)),
        "later": migrant(clerk, tree.community_a1, "远期丙", today + timedelta(days=200)),
        "none": migrant(clerk, tree.community_a1, "未办丁", None),
    }


def _row(html: str, someone) -> str:
    start = html.index(f'href="/registry/persons/{someone.pk}/"')
    return html[html.rindex("<tr", 0, start) : start]


def test_expired_and_soon_expiring_permits_stand_out(migrants, clerk):
    html = page(client_for(clerk).get("/registry/migrants/"))
    assert "table-danger" in _row(html, migrants["expired"])
    assert "table-warning" in _row(html, migrants["soon"])
    assert "table-" not in _row(html, migrants["later"]).replace("table-hover", "")
    assert migrants["later"].id_number not in html and migrants["later"].id_number_masked in html


def test_permit_filter(migrants, clerk):
    client = client_for(clerk)

    def names(**params):
        html = page(client.get("/registry/migrants/", params))
        return {p.name for p in migrants.values() if f"/registry/persons/{p.pk}/" in html}

    assert names() == {"过期甲", "将到乙", "远期丙", "未办丁"}
    assert names(permit="expiring") == {"将到乙"} and names(permit="expired") == {"过期甲"}
    assert names(permit="none") == {"未办丁"} and names(q="gq") == {"过期甲"}
    services.person_move_out(
        actor=clerk, person=migrants["later"], moved_on=date(2025, 1, 1), destination="外地"
    )
    assert "远期丙" not in names() and names(status="moved_out") == {"远期丙"}


def test_migrant_list_is_scoped(tree, migrants):
    outsider = make_user(tree.community_a2, "registry.view_migrant")
    assert "过期甲" not in page(client_for(outsider).get("/registry/migrants/"))
    assert (
        client_for(make_user(tree.community_a1, "registry.view_person"))
        .get("/registry/migrants/")
        .status_code
        == 403
    )


def test_home_panels_count_residents_and_expiring_permits(tree, migrants, clerk):
    html = page(client_for(clerk).get("/workbench/"))
    assert "辖区现居住人口" in html and "居住证即将到期" in html
    assert "/registry/migrants/?permit=expiring" in html and "/registry/persons/?status=living" in html
    from jiedao.registry.home_panels import expiring_permits_panel, residents_panel

    assert residents_panel(clerk)["value"] == 4 and expiring_permits_panel(clerk)["value"] == 1
    nobody = make_user(tree.community_a1)
    assert residents_panel(nobody) is None and expiring_permits_panel(nobody) is None


def test_sidebar_shows_the_registry_group_by_permission(tree, clerk):
    html = page(client_for(clerk).get("/workbench/"))
    for label, url in (
        ("一标三实", ""),
        ("人口信息", "/registry/persons/"),
        ("户籍管理", "/registry/households/"),
        ("流动人口", "/registry/migrants/"),
        ("楼栋房屋", "/registry/houses/"),
        ("企业信息", "/registry/enterprises/"),
        ("统计分析", "/registry/stats/"),
    ):
        assert label in html and url in html
    viewer = make_user(tree.community_a1, "registry.view_migrant")
    html = page(client_for(viewer).get("/workbench/"))
    assert "流动人口" in html and "/registry/persons/" not in html and "/registry/houses/" not in html
