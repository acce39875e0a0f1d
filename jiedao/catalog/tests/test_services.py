import pytest

from jiedao.audit.models import AuditEvent
from jiedao.catalog import services
from jiedao.catalog.choices import Availability
from jiedao.catalog.models import Announcement, Material, ServiceItem
from jiedao.catalog.tests.factories import item_data, make_announcement, make_item, make_material
from jiedao.core.exceptions import OutOfScope, PermissionDenied, ServiceError, ValidationFailed
from jiedao.core.scope import DataScope
from jiedao.core.testing import make_user

ITEM_PERMS = (
    "catalog.add_serviceitem",
    "catalog.change_serviceitem",
    "catalog.publish_serviceitem",
    "catalog.delete_serviceitem",
    "catalog.view_serviceitem",
)


@pytest.fixture
def manager(tree):
    return make_user(tree.subdistrict_a, *ITEM_PERMS)


def test_create_saves_unpublished_item_and_audits(tree, manager):
    item = services.service_item_create(actor=manager, org=tree.subdistrict_a, data=item_data(code="mz-001"))
    assert item.code == "MZ-001" and not item.is_published and item.created_by == manager
    event = AuditEvent.objects.get(event_name="catalog.serviceitem.created")
    assert event.target_id == str(item.pk) and event.org_id == tree.subdistrict_a.pk
    assert event.after["promised_limit_days"] == 20


def test_promised_over_statutory_is_refused_in_chinese_and_nothing_saved(tree, manager):
    with pytest.raises(ValidationFailed) as error:
        services.service_item_create(
            actor=manager,
            org=tree.subdistrict_a,
            data=item_data(statutory_limit_days=10, promised_limit_days=15),
        )
    assert error.value.errors["promised_limit_days"] == [
        "承诺时限（15 个工作日）不能超过法定时限（10 个工作日）。"
    ]
    assert not ServiceItem.objects.exists()
    assert not AuditEvent.objects.filter(event_name__startswith="catalog.").exists()


def test_update_refuses_promised_over_statutory_and_keeps_the_record(tree, manager):
    item = make_item(tree.subdistrict_a)
    with pytest.raises(ValidationFailed) as error:
        services.service_item_update(actor=manager, item=item, data={"statutory_limit_days": 5})
    assert "不能超过法定时限" in error.value.errors["promised_limit_days"][0]
    item.refresh_from_db()
    assert item.statutory_limit_days == 30


def test_required_guide_fields_and_unique_code(tree, manager):
    existing = make_item(tree.subdistrict_a)
    data = item_data(code=existing.code, legal_basis=" ", window_address="", complaint_phone="")
    with pytest.raises(ValidationFailed) as error:
        services.service_item_create(actor=manager, org=tree.subdistrict_a, data=data)
    errors = error.value.errors
    assert errors["legal_basis"] == ["请填写设定依据。"]
    assert errors["window_address"] == ["请填写办理地点。"]
    assert errors["complaint_phone"] == ["请填写投诉电话。"]
    assert errors["code"] == [f"事项编码 {existing.code} 已被其他事项使用。"]
    assert ServiceItem.objects.count() == 1


def test_online_item_needs_a_process_offline_does_not(tree, manager):
    with pytest.raises(ValidationFailed) as error:
        services.service_item_create(actor=manager, org=tree.subdistrict_a, data=item_data(process_key=""))
    assert "办理流程" in error.value.errors["process_key"][0]
    item = services.service_item_create(
        actor=manager,
        org=tree.subdistrict_a,
        data=item_data(process_key="", availability=Availability.OFFLINE),
    )
    assert item.pk and item.process_key == ""


def test_publish_and_unpublish_are_audited(tree, manager):
    item = make_item(tree.community_a1, published=False)
    make_material(item)
    services.service_item_publish(actor=manager, item=item)
    assert ServiceItem.objects.get(pk=item.pk).is_published
    services.service_item_publish(actor=manager, item=item, published=False)
    assert not ServiceItem.objects.get(pk=item.pk).is_published
    names = list(AuditEvent.objects.order_by("id").values_list("event_name", flat=True))
    assert names == ["catalog.serviceitem.published", "catalog.serviceitem.unpublished"]


def test_permission_and_scope_are_checked(tree):
    viewer = make_user(tree.subdistrict_a, "catalog.view_serviceitem")
    with pytest.raises(PermissionDenied):
        services.service_item_create(actor=viewer, org=tree.subdistrict_a, data=item_data())
    community_manager = make_user(tree.community_a1, *ITEM_PERMS)
    other = make_item(tree.subdistrict_b)
    with pytest.raises(OutOfScope):
        services.service_item_update(actor=community_manager, item=other, data={"name": "改名"})
    with pytest.raises(OutOfScope):
        services.service_item_create(actor=community_manager, org=tree.community_a2, data=item_data())
    assert ServiceItem.objects.get(pk=other.pk).name != "改名"


def test_published_item_cannot_be_deleted(tree, manager):
    item = make_item(tree.subdistrict_a)
    with pytest.raises(ServiceError):
        services.service_item_delete(actor=manager, item=item)
    services.service_item_publish(actor=manager, item=item, published=False)
    services.service_item_delete(actor=manager, item=item)
    assert not ServiceItem.objects.filter(pk=item.pk).exists()
    assert AuditEvent.objects.filter(event_name="catalog.serviceitem.deleted").exists()


def test_materials_add_edit_remove(tree, manager):
    item = make_item(tree.subdistrict_a, published=False)
    material = services.material_add(
        actor=manager, item=item, data={"name": " 户口簿 ", "form": "both", "copies": 2, "required": True}
    )
    assert material.name == "户口簿" and material.copies == 2
    with pytest.raises(ValidationFailed) as error:
        services.material_update(actor=manager, material=material, data={"copies": 0})
    assert error.value.errors["copies"] == ["份数至少为 1。"]
    services.material_update(actor=manager, material=material, data={"note": "户主页及本人页"})
    assert Material.objects.get(pk=material.pk).note == "户主页及本人页"
    services.material_remove(actor=manager, material=material)
    assert not Material.objects.filter(pk=material.pk).exists()
    names = list(AuditEvent.objects.order_by("id").values_list("event_name", "org_id"))
    assert names == [
        ("catalog.material.added", tree.subdistrict_a.pk),
        ("catalog.material.updated", tree.subdistrict_a.pk),
        ("catalog.material.removed", tree.subdistrict_a.pk),
    ]


def test_material_of_an_out_of_scope_item_cannot_be_changed(tree):
    community_manager = make_user(tree.community_a1, "catalog.change_serviceitem")
    material = make_material(make_item(tree.community_a2))
    with pytest.raises(OutOfScope):
        services.material_remove(actor=community_manager, material=material)
    assert Material.objects.filter(pk=material.pk).exists()


def test_announcement_lifecycle(tree):
    user = make_user(
        tree.subdistrict_a,
        "catalog.add_announcement",
        "catalog.change_announcement",
        "catalog.publish_announcement",
    )
    import datetime as dt

    from django.utils import timezone

    data = {
        "title": "停水通知",
        "category": "outage",
        "body": "周六停水",
        "valid_from": timezone.localdate(),
        "valid_until": timezone.localdate() - dt.timedelta(days=6),
    }
    with pytest.raises(ValidationFailed) as error:
        services.announcement_create(actor=user, org=tree.community_a1, data=data)
    assert error.value.errors["valid_until"] == ["截止日期不能早于生效日期。"]
    data["valid_until"] = timezone.localdate() + dt.timedelta(days=4)  # an expired one is not published
    announcement = services.announcement_create(actor=user, org=tree.community_a1, data=data)
    assert not announcement.is_published
    services.announcement_publish(actor=user, announcement=announcement)
    assert Announcement.objects.get(pk=announcement.pk).published_at is not None
    services.announcement_update(actor=user, announcement=announcement, data={"title": "停水通知（更正）"})
    services.announcement_publish(actor=user, announcement=announcement, published=False)
    announcement.refresh_from_db()
    assert announcement.title == "停水通知（更正）" and not announcement.is_published
    assert announcement.published_at is None
    assert AuditEvent.objects.filter(event_name__startswith="catalog.announcement.").count() == 4


def test_announcement_out_of_scope(tree):
    user = make_user(tree.community_a1, "catalog.change_announcement", scope=DataScope.NODE)
    other = make_announcement(tree.community_a2)
    with pytest.raises(OutOfScope):
        services.announcement_update(actor=user, announcement=other, data={"title": "x"})
