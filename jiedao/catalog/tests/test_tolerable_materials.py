"""容缺 materials in the catalog: the maintainer's flag, refused where it makes no sense, shown in the guide."""

import pytest
from django.test import Client

from jiedao.catalog import services
from jiedao.catalog.models import Material
from jiedao.catalog.tests.factories import make_item, make_material
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.testing import api_client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(tree):
    return make_user(
        tree.subdistrict_a,
        "catalog.change_serviceitem",
        "catalog.view_serviceitem",
        "catalog.add_serviceitem",
    )


def test_a_required_material_may_be_marked_tolerable_even_the_only_one(tree, manager):
    item = make_item(tree.subdistrict_a, published=False)
    material = services.material_add(
        actor=manager, item=item, data={"name": "户口簿", "required": True, "tolerable": True}
    )
    assert Material.objects.get(pk=material.pk).tolerable is True


def test_tolerable_on_a_non_required_material_is_refused_and_nothing_saved(tree, manager):
    item = make_item(tree.subdistrict_a, published=False)
    with pytest.raises(ValidationFailed) as caught:
        services.material_add(
            actor=manager, item=item, data={"name": "结婚证", "required": False, "tolerable": True}
        )
    assert "只适用于必须提交的材料" in caught.value.errors["tolerable"][0]
    assert not item.materials.exists()

    material = make_material(item, name="户口簿", required=True, tolerable=True)
    with pytest.raises(ValidationFailed) as caught:
        services.material_update(actor=manager, material=material, data={"required": False})
    assert "只适用于必须提交的材料" in caught.value.errors["tolerable"][0]
    material.refresh_from_db()
    assert material.required is True and material.tolerable is True


def test_guide_and_api_show_the_tolerable_flag(tree):
    item = make_item(tree.subdistrict_a)
    make_material(item, name="户口簿复印件", required=True, tolerable=True)
    make_material(item, name="申请人居民身份证", required=True)
    html = Client().get(f"/guide/{item.code}/").content.decode()
    assert html.count("（可容缺后补）") == 1
    client = api_client_for(make_user(tree.subdistrict_a, "catalog.view_serviceitem"))
    materials = client.get(f"/api/v1/service-items/{item.pk}/").json()["materials"]
    assert {m["name"]: m["tolerable"] for m in materials} == {"户口簿复印件": True, "申请人居民身份证": False}
