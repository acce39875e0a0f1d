"""Issue 3 audit, imports: the demo roles can use the Excel import pages (menu, links on the registry lists,
the job's pages and API, scoped like every record), and a re-import that changes a person leaves a timeline
entry and the before values in the audit log, as the services' own updates do."""

from __future__ import annotations

import io
import re
from datetime import date

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiedao.accounts.models import User
from jiedao.audit.models import AuditEvent
from jiedao.core import demo as core_demo
from jiedao.core.testing import api_client_for, client_for
from jiedao.registry import audit_events as events
from jiedao.registry import demo
from jiedao.registry.models import Enterprise, House, LifeEvent, Person
from jiedao.registry.tests.factories import house, new_id_number, person, staff
from jiedao.registry.validators import make_uscc
from jiedao.spreadsheets.models import ImportJob
from jiedao.spreadsheets.services import import_start

run_jobs = pytest.mark.django_db(transaction=True)


def sheet(headers: list[str], rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    page = book.active
    page.append(headers)
    for row in rows:
        page.append(row)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def upload(data: bytes, name="花名册.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def run(user, org, data: bytes, spec="registry-persons") -> ImportJob:
    job = import_start(actor=user, spec_key=spec, org=org, uploaded_file=upload(data))
    job.refresh_from_db()
    assert job.status == "done", job.failure_message
    return job


def import_links(html: str) -> set[str]:
    return set(re.findall(r'href="(/imports/(?:new|templates)/[^"]*)"', html))


# --- 1. the demo roles and the import pages ---------------------------------------------------------------


@pytest.fixture
def demo_users(db):
    core_demo.load()
    demo.grant_role_permissions()
    return {user.username: user for user in User.objects.all()}


def test_community_staff_hold_the_import_job_permissions_and_leaders_do_not(demo_users):
    for name in ("shequ", "shequ2"):
        user = User.objects.get(username=name)
        assert user.has_perm("spreadsheets.view_importjob") and user.has_perm("spreadsheets.add_importjob")
    for name in ("leader", "quleader", "window", "sysadmin"):
        assert not User.objects.get(username=name).has_perm("registry.add_person")


def test_registry_lists_offer_import_and_template_to_staff_who_may_import(demo_users):
    clerk = client_for(demo_users["shequ"])
    expected = {
        "/registry/persons/": "registry-persons",
        "/registry/households/": "registry-households",
        "/registry/houses/": "registry-houses",
        "/registry/enterprises/": "registry-enterprises",
    }
    for url, spec in expected.items():
        response = clerk.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert import_links(html) == {f"/imports/new/{spec}/", f"/imports/templates/{spec}.xlsx"}, url
        assert 'data-testid="import"' in html and 'data-testid="import-template"' in html
    # The menu entry of the import jobs.
    assert 'href="/imports/"' in clerk.get("/workbench/").content.decode()
    # A migrant list has no import of its own.
    assert not import_links(clerk.get("/registry/migrants/").content.decode())
    # Read-only roles see neither the links nor the menu entry.
    for name in ("leader", "quleader"):
        html = client_for(demo_users[name]).get("/registry/persons/").content.decode()
        assert not import_links(html) and 'href="/imports/"' not in html
    template = clerk.get("/imports/templates/registry-persons.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"


@run_jobs
def test_a_clerk_follows_the_job_of_the_file_they_uploaded_and_others_do_not_see_it(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    core_demo.load()
    demo.grant_role_permissions()
    clerk, other_clerk = User.objects.get(username="shequ"), User.objects.get(username="shequ2")
    leader = User.objects.get(username="leader")
    client = client_for(clerk)
    community = clerk.org
    data = sheet(
        ["姓名", "身份证号"], [["曾丽", new_id_number(date(1990, 1, 1), female=True)], ["坏行", "123"]]
    )
    response = client.post(
        "/imports/new/registry-persons/", {"org": community.pk, "file": upload(data)}, follow=False
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert response["Location"] == f"/imports/{job.pk}/"
    assert job.created_by == clerk and job.org == community and (job.created_count, job.error_count) == (1, 1)
    for url in (f"/imports/{job.pk}/", f"/imports/{job.pk}/progress/", f"/imports/{job.pk}/errors.xlsx"):
        assert client.get(url).status_code == 200, url
    listed = api_client_for(clerk).get("/api/v1/imports/")
    assert listed.status_code == 200 and [row["id"] for row in listed.json()["results"]] == [job.pk]
    assert api_client_for(clerk).get(f"/api/v1/imports/{job.pk}/").status_code == 200
    # Cancel and resume are answered (a finished job cannot be cancelled: a message, not a 403).
    assert client.post(f"/imports/{job.pk}/cancel/").status_code == 302
    assert client.post(f"/imports/{job.pk}/resume/").status_code == 302
    # Another community's clerk: not found, as any record outside the scope.
    other = client_for(other_clerk)
    for url in (f"/imports/{job.pk}/", f"/imports/{job.pk}/progress/", f"/imports/{job.pk}/errors.xlsx"):
        assert other.get(url).status_code == 404, url
    assert api_client_for(other_clerk).get(f"/api/v1/imports/{job.pk}/").status_code == 404
    assert api_client_for(other_clerk).get("/api/v1/imports/").json()["results"] == []
    # The sub-district leader holds no import permission at all.
    assert client_for(leader).get(f"/imports/{job.pk}/").status_code == 403


# --- 2. updates by import: timeline and audit with before values ------------------------------------------


@pytest.fixture
def world(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    clerk = staff(tree.community_a1)
    return tree, clerk


HEADERS = ["姓名", "身份证号", "联系电话", "现住址", "备注"]


@run_jobs
def test_reimport_with_a_new_name_phone_and_address_writes_the_timeline_and_audits_before_values(world):
    tree, clerk = world
    home = house(clerk, tree.community_a1, street="幸福路12号", building="3幢", unit="2单元", room="301")
    mover = person(clerk, tree.community_a1, name="王五", phone="13900000000", residence_address="柳浪路5号")
    renamed = person(clerk, tree.community_a1, name="李四", phone="13900000001")
    same = person(clerk, tree.community_a1, name="赵六", phone="13900000002", residence_address="柳浪路6号")
    fresh = new_id_number(date(1991, 2, 3))
    rows = [
        ["王五", mover.id_number, "13700001111", home.full_address, None],  # phone and address (a house)
        ["李小四", renamed.id_number, None, None, "改名"],  # name and note
        ["赵六", same.id_number, "13900000002", "柳浪路6号", None],  # nothing new
        ["新来", fresh, None, None, None],
    ]
    job = run(clerk, tree.community_a1, sheet(HEADERS, rows))
    assert (job.created_count, job.updated_count, job.error_count) == (1, 3, 0)

    mover.refresh_from_db()
    assert mover.phone == "13700001111" and mover.residence_address == home.full_address
    address_event = LifeEvent.objects.get(person=mover, kind="address_change")
    assert address_event.summary == f"导入变更住址：由“柳浪路5号”变更为“{home.full_address}”"
    assert address_event.details == {"import_job": job.pk, "fields": ["house_id", "residence_address"]}
    assert address_event.actor == clerk
    updated_event = LifeEvent.objects.get(person=mover, kind="updated")
    assert updated_event.summary == "导入修改：联系电话"
    assert updated_event.details == {"import_job": job.pk, "fields": ["phone_masked"]}

    name_event = LifeEvent.objects.get(person=renamed, kind="updated")
    assert name_event.summary == "导入修改：姓名、备注"
    assert not LifeEvent.objects.filter(person=same).exclude(kind="registered").exists()
    assert LifeEvent.objects.get(
        person__id_number_hash=Person.objects.get(name="新来").id_number_hash
    ).kind == ("registered")

    batch = AuditEvent.objects.filter(event_code=events.PERSONS_IMPORTED.code).get()  # one for the batch
    before, after = batch.before["changes"], batch.after["changes"]
    assert set(before) == {str(mover.pk), str(renamed.pk)}  # only records that changed
    assert before[str(mover.pk)] == {
        "phone_masked": "139****0000",
        "house_id": None,
        "residence_address": "柳浪路5号",
    }
    assert after[str(mover.pk)] == {
        "phone_masked": "137****1111",
        "house_id": home.pk,
        "residence_address": home.full_address,
    }
    assert before[str(renamed.pk)] == {"name": "李四", "note": ""}
    assert after[str(renamed.pk)] == {"name": "李小四", "note": "改名"}
    # Never a full number in the audit log.
    text = str(batch.before) + str(batch.after)
    assert "13900000000" not in text and "13700001111" not in text and mover.id_number not in text

    # The same file again changes nothing: no new timeline entries, no before values.
    events_before = LifeEvent.objects.count()
    again = run(clerk, tree.community_a1, sheet(HEADERS, rows))
    assert (again.created_count, again.updated_count) == (0, 4)
    assert LifeEvent.objects.count() == events_before
    last = AuditEvent.objects.filter(event_code=events.PERSONS_IMPORTED.code).latest("id")
    assert last.before is None and "changes" not in last.after


@run_jobs
def test_a_phone_change_hidden_by_the_mask_is_still_recorded(world):
    tree, clerk = world
    resident = person(clerk, tree.community_a1, name="周七", phone="13811111234")
    run(clerk, tree.community_a1, sheet(HEADERS, [["周七", resident.id_number, "13822221234", None, None]]))
    event = LifeEvent.objects.get(person=resident, kind="updated")
    assert event.details["fields"] == ["phone_masked"]
    batch = AuditEvent.objects.filter(event_code=events.PERSONS_IMPORTED.code).get()
    assert batch.before["changes"][str(resident.pk)] == {"phone_masked": "138****1234"}


@run_jobs
def test_house_and_enterprise_reimports_audit_before_values(world):
    tree, clerk = world
    flat = house(clerk, tree.community_a1, street="幸福路12号", building="3幢", unit="2单元", room="301")
    house_headers = ["楼栋地址", "楼栋", "单元", "室号", "房屋用途", "面积", "产权人"]
    run(
        clerk,
        tree.community_a1,
        sheet(house_headers, [["幸福路12号", "3幢", "2单元", "301", None, 88.5, "陈一"]]),
        spec="registry-houses",
    )
    flat = House.objects.get(pk=flat.pk)
    assert flat.owner_name == "陈一"
    batch = AuditEvent.objects.filter(event_code=events.HOUSES_IMPORTED.code).get()
    change = batch.before["changes"][str(flat.pk)]
    assert change["owner_name"] == "" and change["area"] is None
    assert batch.after["changes"][str(flat.pk)]["owner_name"] == "陈一"

    uscc = make_uscc("330110", "12345678")
    enterprise_headers = ["统一社会信用代码", "单位名称", "法定代表人", "地址"]
    run(
        clerk,
        tree.community_a1,
        sheet(enterprise_headers, [[uscc, "明湖贸易有限公司", "张一", "柳浪路1号"]]),
        spec="registry-enterprises",
    )
    run(
        clerk,
        tree.community_a1,
        sheet(enterprise_headers, [[uscc, "明湖商贸有限公司", "张一", "柳浪路1号"]]),
        spec="registry-enterprises",
    )
    enterprise = Enterprise.objects.get(uscc=uscc)
    last = AuditEvent.objects.filter(event_code=events.ENTERPRISES_IMPORTED.code).latest("id")
    assert last.before == {"changes": {str(enterprise.pk): {"name": "明湖贸易有限公司"}}}
    assert last.after["changes"] == {str(enterprise.pk): {"name": "明湖商贸有限公司"}}


# --- 4. dates typed as numbers ----------------------------------------------------------------------------


@run_jobs
def test_a_birth_date_typed_as_an_eight_digit_number_is_accepted_and_a_csv_serial_is_explained(world):
    tree, clerk = world
    number = new_id_number(date(1992, 4, 4))
    job = run(clerk, tree.community_a1, sheet(["姓名", "身份证号", "出生日期"], [["刘一", number, 19920404]]))
    assert (job.created_count, job.error_count) == (1, 0)
    assert Person.objects.get(name="刘一").birth_date == date(1992, 4, 4)

    other = new_id_number(date(2020, 6, 18))
    csv = f"姓名,身份证号,出生日期\n陈二,{other},44000\n".encode()
    job = import_start(
        actor=clerk, spec_key="registry-persons", org=tree.community_a1, uploaded_file=upload(csv, "名单.csv")
    )
    job.refresh_from_db()
    assert (job.created_count, job.error_count) == (0, 1)
    message = job.row_errors.get().message
    assert message.startswith("“44000”像是 Excel 日期序号（对应 2020-06-18）")
