"""服务窗口: creating and editing windows through the service and the staff pages, in scope, audited."""

from __future__ import annotations

import pytest

from jiedao.accounts.choices import AdminDuty
from jiedao.applications import services
from jiedao.applications.models import ServiceWindow
from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import OutOfScope, PermissionDenied, ValidationFailed
from jiedao.core.testing import client_for, make_user

pytestmark = pytest.mark.django_db

MANAGE = (
    "applications.view_servicewindow",
    "applications.add_servicewindow",
    "applications.change_servicewindow",
)


@pytest.fixture
def leader(tree):
    return make_user(tree.subdistrict_a, *MANAGE)


@pytest.fixture
def clerk(tree):
    return make_user(tree.subdistrict_a, "applications.view_application")


@pytest.fixture
def window(leader, tree, clerk):
    return services.window_create(
        actor=leader, org=tree.subdistrict_a, number="1号窗口", name="综合受理", staff=[clerk]
    )


def audited(name):
    return AuditEvent.objects.filter(event_name=name)


class TestService:
    def test_create_saves_the_window_with_its_staff_and_audits(self, leader, clerk, tree):
        window = services.window_create(
            actor=leader, org=tree.subdistrict_a, number=" 3号窗口 ", name="社会救助", staff=[clerk]
        )
        assert (window.org, window.number, window.name, window.is_active) == (
            tree.subdistrict_a,
            "3号窗口",
            "社会救助",
            True,
        )
        assert list(window.staff.all()) == [clerk]
        event = audited("applications.window.created").get()
        assert event.event_code == 5171 and event.target_id == str(window.pk)
        assert event.after["number"] == "3号窗口" and event.after["staff"] == [clerk.pk]

    def test_update_changes_fields_and_staff_and_audits_before_and_after(self, leader, window, clerk, tree):
        other = make_user(tree.community_a1)
        services.window_update(
            actor=leader, window=window, number="2号窗口", name="社会保障", staff=[other], is_active=False
        )
        window.refresh_from_db()
        assert (window.number, window.name, window.is_active) == ("2号窗口", "社会保障", False)
        assert list(window.staff.all()) == [other]
        event = audited("applications.window.updated").get()
        assert event.event_code == 5172
        assert event.before["number"] == "1号窗口" and event.before["staff"] == [clerk.pk]
        assert event.after["number"] == "2号窗口" and event.after["staff"] == [other.pk]
        assert event.before["is_active"] is True and event.after["is_active"] is False

    def test_duplicate_number_in_the_same_org_is_a_field_error_and_saves_nothing(self, leader, window, tree):
        with pytest.raises(ValidationFailed) as caught:
            services.window_create(actor=leader, org=tree.subdistrict_a, number="1号窗口", name="另一个")
        assert "本单位已有窗口号为“1号窗口”的窗口" in caught.value.errors["number"][0]
        assert ServiceWindow.objects.count() == 1
        assert audited("applications.window.created").count() == 1

    def test_duplicate_number_on_update_is_refused(self, leader, window, tree):
        second = services.window_create(actor=leader, org=tree.subdistrict_a, number="2号窗口", name="社保")
        with pytest.raises(ValidationFailed) as caught:
            services.window_update(actor=leader, window=second, number="1号窗口", name="社保", staff=[])
        assert "number" in caught.value.errors
        second.refresh_from_db()
        assert second.number == "2号窗口"
        assert not audited("applications.window.updated").exists()

    def test_race_on_the_unique_constraint_becomes_the_same_field_error(
        self, leader, window, tree, monkeypatch
    ):
        # The check before the insert found nothing (another clerk saved in between): the constraint decides.
        monkeypatch.setattr(
            services.ServiceWindow.objects, "filter", lambda **kw: ServiceWindow.objects.none()
        )
        with pytest.raises(ValidationFailed) as caught:
            services.window_create(actor=leader, org=tree.subdistrict_a, number="1号窗口", name="另一个")
        assert "本单位已有窗口号" in caught.value.errors["number"][0]
        monkeypatch.undo()
        assert ServiceWindow.objects.count() == 1

    def test_same_number_in_another_org_is_fine(self, window, tree):
        other_leader = make_user(tree.subdistrict_b, *MANAGE)
        services.window_create(actor=other_leader, org=tree.subdistrict_b, number="1号窗口", name="综合受理")
        assert ServiceWindow.objects.count() == 2

    def test_required_and_length_messages_per_field(self, leader, tree):
        with pytest.raises(ValidationFailed) as caught:
            services.window_create(actor=leader, org=tree.subdistrict_a, number="  ", name="")
        assert caught.value.errors["number"] == ["请填写窗口号。"]
        assert caught.value.errors["name"] == ["请填写窗口名称。"]
        with pytest.raises(ValidationFailed) as caught:
            services.window_create(actor=leader, org=tree.subdistrict_a, number="9" * 21, name="名" * 101)
        assert "20" in caught.value.errors["number"][0] and "100" in caught.value.errors["name"][0]
        assert not ServiceWindow.objects.exists()

    def test_staff_from_another_subdistrict_is_refused(self, leader, tree):
        stranger = make_user(tree.community_b1)
        with pytest.raises(ValidationFailed) as caught:
            services.window_create(
                actor=leader, org=tree.subdistrict_a, number="1号窗口", name="综合", staff=[stranger]
            )
        assert "窗口人员" in caught.value.errors["staff"][0]
        assert not ServiceWindow.objects.exists()
        assert not audited("applications.window.created").exists()

    def test_staff_outside_the_windows_subtree_is_refused(self, leader, tree):
        # A community's window: a colleague of the sub-district office above it is not within its subtree.
        office = make_user(tree.subdistrict_a)
        with pytest.raises(ValidationFailed):
            services.window_create(
                actor=leader, org=tree.community_a1, number="1号窗口", name="便民服务站", staff=[office]
            )

    def test_inactive_users_and_admin_duty_holders_are_refused(self, leader, tree):
        gone = make_user(tree.subdistrict_a)
        gone.is_active = False
        gone.save()
        sysadmin = make_user(tree.subdistrict_a, "accounts.view_user", admin_duty=AdminDuty.SYSTEM)
        for user in (gone, sysadmin):
            with pytest.raises(ValidationFailed) as caught:
                services.window_create(
                    actor=leader, org=tree.subdistrict_a, number="1号窗口", name="综合", staff=[user]
                )
            assert "staff" in caught.value.errors

    def test_permission_and_scope(self, window, tree):
        viewer = make_user(tree.subdistrict_a, "applications.view_servicewindow")
        with pytest.raises(PermissionDenied):
            services.window_create(actor=viewer, org=tree.subdistrict_a, number="5号窗口", name="综合")
        with pytest.raises(PermissionDenied):
            services.window_update(actor=viewer, window=window, number="5号窗口", name="综合")
        other_leader = make_user(tree.subdistrict_b, *MANAGE)
        with pytest.raises(OutOfScope):
            services.window_create(actor=other_leader, org=tree.subdistrict_a, number="5号窗口", name="综合")
        with pytest.raises(OutOfScope):
            services.window_update(actor=other_leader, window=window, number="5号窗口", name="综合")
        window.refresh_from_db()
        assert window.number == "1号窗口"


class TestPages:
    def test_list_shows_scope_staff_and_status(self, leader, window, clerk, tree):
        other_leader = make_user(tree.subdistrict_b, *MANAGE)
        services.window_create(
            actor=other_leader, org=tree.subdistrict_b, number="8号窗口", name="乙街道窗口"
        )
        body = client_for(leader).get("/hall/staff/windows/").content.decode()
        assert "1号窗口" in body and "综合受理" in body and clerk.full_name in body and "启用" in body
        assert f"/hall/staff/windows/{window.pk}/edit/" in body
        assert "乙街道窗口" not in body

    def test_menu_entry_for_users_who_may_view(self, leader, clerk):
        assert "/hall/staff/windows/" in client_for(leader).get("/workbench/").content.decode()
        assert "/hall/staff/windows/" not in client_for(clerk).get("/workbench/").content.decode()

    def test_create_through_the_page(self, leader, clerk, tree):
        client = client_for(leader)
        assert client.get("/hall/staff/windows/new/").status_code == 200
        response = client.post(
            "/hall/staff/windows/new/",
            {"org": tree.subdistrict_a.pk, "number": "3号窗口", "name": "社会救助", "staff": [clerk.pk]},
        )
        assert response.status_code == 302 and response["Location"] == "/hall/staff/windows/"
        window = ServiceWindow.objects.get(number="3号窗口")
        assert window.org == tree.subdistrict_a and list(window.staff.all()) == [clerk]
        assert audited("applications.window.created").filter(target_id=str(window.pk)).exists()

    def test_duplicate_number_on_the_page_shows_the_chinese_error(self, leader, window, tree):
        response = client_for(leader).post(
            "/hall/staff/windows/new/", {"org": tree.subdistrict_a.pk, "number": "1号窗口", "name": "重复"}
        )
        assert response.status_code == 200
        assert "本单位已有窗口号为“1号窗口”的窗口" in response.content.decode()
        assert ServiceWindow.objects.count() == 1

    def test_staff_from_another_subdistrict_is_not_offered_nor_accepted(self, leader, tree):
        stranger = make_user(tree.community_b1)
        client = client_for(leader)
        assert stranger.full_name not in client.get("/hall/staff/windows/new/").content.decode()
        response = client.post(
            "/hall/staff/windows/new/",
            {"org": tree.subdistrict_a.pk, "number": "3号窗口", "name": "社会救助", "staff": [stranger.pk]},
        )
        assert response.status_code == 200
        assert not ServiceWindow.objects.exists()

    def test_org_of_another_subdistrict_is_not_accepted(self, leader, tree):
        response = client_for(leader).post(
            "/hall/staff/windows/new/",
            {"org": tree.subdistrict_b.pk, "number": "3号窗口", "name": "社会救助"},
        )
        assert response.status_code == 200
        assert not ServiceWindow.objects.exists()

    def test_edit_through_the_page(self, leader, window, clerk, tree):
        client = client_for(leader)
        page = client.get(f"/hall/staff/windows/{window.pk}/edit/")
        assert page.status_code == 200 and "综合受理" in page.content.decode()
        other = make_user(tree.community_a2)
        response = client.post(
            f"/hall/staff/windows/{window.pk}/edit/",
            {"number": "1号窗口", "name": "综合受理（一窗通办）", "staff": [clerk.pk, other.pk]},
        )
        assert response.status_code == 302
        window.refresh_from_db()
        assert window.name == "综合受理（一窗通办）" and not window.is_active  # the box was left unticked
        assert set(window.staff.all()) == {clerk, other}
        assert audited("applications.window.updated").filter(target_id=str(window.pk)).exists()

    def test_user_without_the_permission_gets_403(self, clerk, window):
        client = client_for(clerk)
        assert client.get("/hall/staff/windows/").status_code == 403
        assert client.get("/hall/staff/windows/new/").status_code == 403
        assert client.get(f"/hall/staff/windows/{window.pk}/edit/").status_code == 403
        viewer = client_for(make_user(clerk.org, "applications.view_servicewindow"))
        assert viewer.get("/hall/staff/windows/").status_code == 200
        assert viewer.post("/hall/staff/windows/new/", {"number": "9", "name": "x"}).status_code == 403
        assert viewer.get(f"/hall/staff/windows/{window.pk}/edit/").status_code == 403

    def test_another_subdistricts_window_is_404_on_its_edit_page(self, window, tree):
        other = client_for(make_user(tree.subdistrict_b, *MANAGE))
        url = f"/hall/staff/windows/{window.pk}/edit/"
        assert other.get(url).status_code == 404
        assert other.post(url, {"number": "9号窗口", "name": "改名"}).status_code == 404
        window.refresh_from_db()
        assert window.number == "1号窗口"
        assert not audited("applications.window.updated").exists()
