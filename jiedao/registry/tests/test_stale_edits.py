"""What a clerk notices when someone else got there first (the races themselves run on PostgreSQL in
test_concurrency.py): an edit page saved after another clerk's save is refused instead of writing the page's
old values back; an API client sending back `updated_at` gets 409; the same roster uploaded again while its
import is queued is refused; a failed import never shows the exception's text."""

from __future__ import annotations

import re

import pytest

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.testing import api_client_for, client_for
from jiedao.registry import services
from jiedao.registry.import_specs import PersonImport
from jiedao.registry.models import Person
from jiedao.registry.tests.factories import new_id_number, person
from jiedao.registry.tests.test_import_persons import HEADERS, upload, workbook
from jiedao.spreadsheets.models import ImportJob
from jiedao.spreadsheets.services import import_start

CONFLICT = "该居民信息已被他人修改，请刷新后重试。"


def _edit_form(html: str, person: Person, **changes) -> dict:
    """What the browser posts from the edit page: the fields as shown, the hidden version, the changes."""
    version = re.search(r'name="updated_at" value="([^"]+)"', html)
    assert version, "the edit page carries the version it showed"
    data = {
        "name": person.name,
        "id_number": "",
        "org": person.org_id,
        "house_relation": person.house_relation,
        "phone": "",
        "house": "",
        "employment": person.employment,
        "updated_at": version.group(1),
    }
    data.update(changes)
    return data


def test_saving_an_edit_page_after_another_clerks_save_is_refused(tree, clerk):
    resident = person(clerk, tree.community_a1, name="王建国", phone="13900000001")
    url = f"/registry/persons/{resident.pk}/edit/"
    mine = client_for(clerk)
    html = mine.get(url).content.decode()
    # meanwhile another clerk corrects the phone
    services.person_update(
        actor=clerk,
        person=Person.objects.get(pk=resident.pk),
        data=services.PersonData(
            name=resident.name, id_number=resident.id_number, org=resident.org, phone="13900000002"
        ),
    )
    events = AuditEvent.objects.count()
    response = mine.post(url, _edit_form(html, resident, employment="退休", clear_phone="on"))
    assert response.status_code == 200
    assert CONFLICT in response.content.decode()
    saved = Person.objects.get(pk=resident.pk)
    assert (saved.phone, saved.employment) == ("13900000002", "")
    assert AuditEvent.objects.count() == events

    # reloaded, the page saves
    html = mine.get(url).content.decode()
    assert mine.post(url, _edit_form(html, saved, employment="退休")).status_code == 302
    saved = Person.objects.get(pk=resident.pk)
    assert (saved.phone, saved.employment) == ("13900000002", "退休")


def test_api_update_with_a_stale_updated_at_answers_409(tree, clerk):
    resident = person(clerk, tree.community_a1, name="李梅", id_number=new_id_number(female=True))
    api = api_client_for(clerk)
    url = f"/api/v1/persons/{resident.pk}/"
    shown = api.get(url).json()["updated_at"]
    assert api.patch(url, {"employment": "个体", "updated_at": shown}, format="json").status_code == 200
    stale = api.patch(url, {"employment": "退休", "updated_at": shown}, format="json")
    assert stale.status_code == 409, stale.content
    assert (stale.json()["code"], stale.json()["detail"]) == ("conflict", CONFLICT)
    assert Person.objects.get(pk=resident.pk).employment == "个体"
    # without updated_at the API writes as before
    assert api.patch(url, {"employment": "退休"}, format="json").status_code == 200
    assert Person.objects.get(pk=resident.pk).employment == "退休"


def _roster() -> bytes:
    return workbook([[1, "居民甲", new_id_number(), None, None]], headers=HEADERS[:5])


def test_the_same_roster_again_while_its_import_is_queued_is_refused(tree, clerk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    data = _roster()
    # the test transaction never commits: the first job stays queued, as while a worker is busy
    first = import_start(
        actor=clerk, spec_key="registry-persons", org=tree.community_a1, uploaded_file=upload(data)
    )
    with pytest.raises(ValidationFailed) as refused:
        import_start(
            actor=clerk, spec_key="registry-persons", org=tree.community_a1, uploaded_file=upload(data)
        )
    assert refused.value.message == f"该文件正在导入（任务 #{first.pk}），请勿重复导入。"
    assert ImportJob.objects.count() == 1
    # another file is not held back, nor the same file once its import has finished
    import_start(
        actor=clerk, spec_key="registry-persons", org=tree.community_a1, uploaded_file=upload(_roster())
    )
    first.status = "done"
    first.save(update_fields=["status"])
    import_start(actor=clerk, spec_key="registry-persons", org=tree.community_a1, uploaded_file=upload(data))
    assert ImportJob.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_failed_import_never_shows_the_exceptions_text(tree, clerk, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"

    def broken(self, rows, context):
        raise RuntimeError(
            'duplicate key value violates unique constraint "x" DETAIL: Key (id_number_hash)=(ab)'
        )

    monkeypatch.setattr(PersonImport, "save_batch", broken)
    job = import_start(
        actor=clerk, spec_key="registry-persons", org=tree.community_a1, uploaded_file=upload(_roster())
    )
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.failure_message == (
        "导入出错（处理至第 4 行附近）。已提交的批次保留，可点击“继续导入”从中断处继续；仍然出错请联系系统管理员。"
    )
