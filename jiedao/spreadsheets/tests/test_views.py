"""Staff pages: scope (another community's job is “not found”), the polled progress, upload, downloads."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from jiedao.core.api.viewsets import ScopedViewSetMixin
from jiedao.core.menus import menu_for
from jiedao.core.testing import ScopedModelContract, api_client_for, client_for, make_user
from jiedao.core.views import ScopedViewMixin
from jiedao.spreadsheets.models import ImportJob, ImportRowError, ImportStatus
from jiedao.spreadsheets.tests.conftest import FORMULA, messy_workbook

pytestmark = pytest.mark.usefixtures("urls", "sample_spec", "media")

PERMS = ("spreadsheets.add_importjob", "spreadsheets.view_importjob")


def make_job(org, user=None, **fields) -> ImportJob:
    defaults = {"spec_key": "selftest-person", "original_name": "花名册.xlsx", "stored_file": "x/y.xlsx"}
    return ImportJob.objects.create(org=org, created_by=user, **{**defaults, **fields})


class TestImportJobScope(ScopedModelContract):
    view_permission = "spreadsheets.view_importjob"
    api_list_url = "/api/v1/imports/"

    @pytest.fixture(autouse=True)
    def _routes(self, urls, sample_spec, media):
        pass

    def make_object(self, org):
        return make_job(org)

    def detail_url(self, obj):
        return f"/imports/{obj.pk}/"

    def api_detail_url(self, obj):
        return f"/api/v1/imports/{obj.pk}/"

    def _get(self, user, url):
        # Reading a job's page also needs the permission of its import spec over the job's node.
        user.roles.first().permissions.add(*_perm("spreadsheets.add_importjob"))
        user.__dict__.pop("_scope_cache", None)
        return super()._get(user, url)


def _perm(name):
    from jiedao.core.testing import permissions

    return permissions(name)


def test_other_community_cannot_see_or_download_a_job(tree):
    owner = make_user(tree.community_a1, *PERMS)
    job = make_job(tree.community_a1, owner, status=ImportStatus.DONE, issue_count=1, error_count=1)
    ImportRowError.objects.create(
        job=job, row_number=5, column="身份证号", value="110105199001011234", message="重复"
    )
    stranger = make_user(tree.community_a2, *PERMS)
    client = client_for(stranger)
    for suffix in ("", "progress/", "errors.xlsx"):
        assert client.get(f"/imports/{job.pk}/{suffix}").status_code == 404, suffix
    for action in ("cancel/", "resume/"):
        assert client.post(f"/imports/{job.pk}/{action}").status_code == 404
    assert "花名册.xlsx" not in client.get("/imports/").content.decode()
    assert client_for(owner).get(f"/imports/{job.pk}/errors.xlsx").status_code == 200


def test_a_viewer_without_the_specs_permission_gets_404(tree):
    job = make_job(tree.community_a1, status=ImportStatus.DONE)
    viewer = make_user(tree.community_a1, "spreadsheets.view_importjob")
    assert client_for(viewer).get(f"/imports/{job.pk}/").status_code == 404
    assert client_for(viewer).get("/imports/").status_code == 200  # the list shows only metadata


def test_progress_polls_while_running_and_stops_when_done(tree):
    user = make_user(tree.community_a1, *PERMS)
    job = make_job(
        tree.community_a1,
        user,
        status=ImportStatus.RUNNING,
        header_row=3,
        total_rows=200,
        resume_after_row=103,
        rows_processed=95,
    )
    client = client_for(user)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert f'hx-get="/imports/{job.pk}/progress/"' in page and 'hx-trigger="every 2s"' in page
    assert '<progress class="w-100" max="100" value="50"' in page
    assert "<script" not in page.split("<body", 1)[1].replace('<script src="', "")  # no inline script
    assert " style=" not in page

    fragment = client.get(f"/imports/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "HX-Refresh" not in fragment
    assert 'hx-trigger="every 2s"' in fragment.content.decode()

    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE, created_count=90)
    fragment = client.get(f"/imports/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert fragment["HX-Refresh"] == "true"  # the page reloads once to show errors and downloads
    assert "hx-trigger" not in fragment.content.decode()
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "hx-trigger" not in page and 'value="100"' in page


def test_upload_form_offers_visible_active_communities_and_grids(tree):
    user = make_user(tree.subdistrict_a, *PERMS)
    tree.community_a2.is_active = False
    tree.community_a2.save()
    page = client_for(user).get("/imports/new/selftest-person/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert "甲一社区（社区）" in page and "甲一第一网格（网格）" in page
    assert "甲二社区" not in page and "乙一社区" not in page and "甲街道（街道）" not in page
    assert client_for(user).get("/imports/new/no-such-spec/").status_code == 404
    viewer = make_user(tree.community_a1, "spreadsheets.view_importjob")
    assert client_for(viewer).get("/imports/new/selftest-person/").status_code == 403


def test_upload_creates_a_job_and_shows_it(tree, media):
    user = make_user(tree.community_a1, *PERMS)
    client = client_for(user)
    response = client.post(
        "/imports/new/selftest-person/",
        {"org": tree.community_a1.pk, "file": SimpleUploadedFile("柳浪花名册.xlsx", messy_workbook())},
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
    assert (job.org, job.created_by, job.original_name, job.header_row) == (
        tree.community_a1,
        user,
        "柳浪花名册.xlsx",
        3,
    )
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "柳浪花名册.xlsx" in page and "排队中" in page


def test_upload_errors_are_shown_on_the_form(tree, media):
    user = make_user(tree.community_a1, *PERMS)
    response = client_for(user).post(
        "/imports/new/selftest-person/",
        {"org": tree.community_a1.pk, "file": SimpleUploadedFile("花名册.xlsx", b"%PDF-1.4 not a sheet")},
    )
    assert response.status_code == 200
    assert "文件不是有效的 Excel（.xlsx/.xls）或 CSV 文件。" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_error_workbook_download(tree):
    user = make_user(tree.community_a1, *PERMS)
    job = make_job(
        tree.community_a1,
        user,
        status=ImportStatus.DONE,
        original_name="柳浪.xlsx",
        issue_count=2,
        error_count=2,
    )
    ImportRowError.objects.create(
        job=job,
        row_number=7,
        column="身份证号",
        column_letter="C",
        value=FORMULA,
        message="身份证号应为 18 位",
    )
    ImportRowError.objects.create(
        job=job, row_number=5, column="姓名", column_letter="B", message="必填项“姓名”为空"
    )
    response = client_for(user).get(f"/imports/{job.pk}/errors.xlsx")
    assert (
        "filename*=UTF-8''%E6%9F%B3%E6%B5%AA-%E9%94%99%E8%AF%AF%E6%8A%A5%E5%91%8A.xlsx"
        in response["Content-Disposition"]
    )
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["错误明细"]  # the job's upload is not kept: no 待修正数据 sheet
    sheet = book.worksheets[0]
    assert [tuple(row) for row in sheet.iter_rows(values_only=True)] == [
        ("原导入文件已不再保存，无法列出待修正的原始数据；以下为错误明细。", None, None, None, None),
        ("行号", "列号", "列名", "单元格内容", "错误原因"),
        (5, "B", "姓名", None, "必填项“姓名”为空"),
        (7, "C", "身份证号", "'" + FORMULA, "身份证号应为 18 位"),
    ]
    from jiedao.audit.models import AuditEvent

    assert AuditEvent.objects.filter(
        event_name="spreadsheets.import.errors_downloaded", target_id=str(job.pk)
    ).exists()


def test_template_download(tree):
    user = make_user(tree.community_a1, *PERMS)
    response = client_for(user).get("/imports/templates/selftest-person.xlsx")
    assert response.status_code == 200
    assert (
        "filename*=UTF-8''%E6%B5%8B%E8%AF%95%E4%BA%BA%E5%91%98%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
        in response["Content-Disposition"]
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet["A2"].value == "*姓名"
    viewer = make_user(tree.community_a1, "spreadsheets.view_importjob")
    assert client_for(viewer).get("/imports/templates/selftest-person.xlsx").status_code == 403


def test_cancel_from_the_page(tree):
    user = make_user(tree.community_a1, *PERMS)
    job = make_job(tree.community_a1, user)
    client = client_for(user)
    response = client.post(f"/imports/{job.pk}/cancel/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED
    response = client.post(f"/imports/{job.pk}/cancel/", follow=True)
    assert "任务已结束，无法取消。" in response.content.decode()


def test_list_and_menu(tree):
    user = make_user(tree.community_a1, *PERMS)
    make_job(tree.community_a1, user, status=ImportStatus.DONE, created_count=12, error_count=3)
    page = client_for(user).get("/imports/").content.decode()
    assert "花名册.xlsx" in page and "已完成" in page and "导入测试人员" in page and "下载模板" in page
    labels = [str(item["label"]) for section in menu_for(user) for item in section["items"]]
    assert "导入任务" in labels
    assert "导入任务" not in [
        str(i["label"]) for s in menu_for(make_user(tree.community_a1)) for i in s["items"]
    ]


def test_api_lists_jobs_in_scope(tree):
    user = make_user(tree.community_a1, "spreadsheets.view_importjob")
    mine = make_job(
        tree.community_a1, status=ImportStatus.RUNNING, header_row=1, total_rows=10, resume_after_row=6
    )
    make_job(tree.community_b1)
    data = api_client_for(user).get("/api/v1/imports/").json()
    assert [row["id"] for row in data["results"]] == [mine.pk]
    assert data["results"][0]["percent"] == 50 and data["results"][0]["status_display"] == "导入中"


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_every_route_is_a_scoped_view():
    from jiedao.spreadsheets import urls
    from jiedao.spreadsheets.api import urls as api_urls

    routes = list(_walk(urls.urlpatterns)) + list(_walk(api_urls.urlpatterns))
    assert len(routes) >= 9
    for route, callback in routes:
        view = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        assert isinstance(view, type) and issubclass(view, ScopedViewMixin | ScopedViewSetMixin), route
    assert get_resolver().resolve("/imports/")


def test_a_web_page_saved_as_xls_is_named_for_what_it_is(tree, media):
    """Many online systems' “导出 Excel” gives an HTML table named .xls: it used to be read as a CSV whose header
    was not found, which sent the clerk looking at the column names."""
    user = make_user(tree.community_a1, *PERMS)
    page = "<html><head><meta charset='utf-8'></head><body><table><tr><td>姓名</td><td>身份证号</td></tr>"
    for name, data in (
        ("导出.xls", page.encode()),
        ("导出2.xls", b"\xef\xbb\xbf  <!DOCTYPE html>" + page.encode("utf-8")),
        ("2003.xls", b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'),
    ):
        response = client_for(user).post(
            "/imports/new/selftest-person/",
            {"org": tree.community_a1.pk, "file": SimpleUploadedFile(name, data)},
        )
        assert response.status_code == 200
        assert "该文件是网页（HTML）或 XML 格式，不是真正的 Excel 文件" in response.content.decode(), name
    assert not ImportJob.objects.exists()


def test_a_file_with_a_header_and_no_rows_is_refused_at_upload(tree, media):
    """It used to become a job “已完成 100%, 已处理 0 行”, which read as success."""
    user = make_user(tree.community_a1, *PERMS)
    data = "姓名,身份证号\n".encode()

    response = client_for(user).post(
        "/imports/new/selftest-person/",
        {"org": tree.community_a1.pk, "file": SimpleUploadedFile("名单.csv", data)},
    )

    assert response.status_code == 200
    assert "表头下面没有数据行。请检查是否选错了文件；只读取第一个工作表。" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_rows_under_the_header_are_read_not_taken_from_the_stated_sheet_size(tree, media):
    """A header-only workbook is refused; one whose <dimension> wrongly says A1:B1 but holds rows is not."""
    import io
    import re
    import zipfile

    import openpyxl

    def workbook(rows, dimension=None) -> bytes:
        book = openpyxl.Workbook()
        for row in [["姓名", "身份证号"], *rows]:
            book.active.append(row)
        plain = io.BytesIO()
        book.save(plain)
        if dimension is None:
            return plain.getvalue()
        patched = io.BytesIO()
        with zipfile.ZipFile(plain) as source, zipfile.ZipFile(patched, "w") as target:
            for item in source.infolist():
                data = source.read(item.filename)
                if item.filename == "xl/worksheets/sheet1.xml":
                    data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="%s"' % dimension, data)
                target.writestr(item, data)
        return patched.getvalue()

    user = make_user(tree.community_a1, *PERMS)

    def post(data):
        upload = SimpleUploadedFile("名单.xlsx", data)
        return client_for(user).post(
            "/imports/new/selftest-person/", {"org": tree.community_a1.pk, "file": upload}
        )

    assert "表头下面没有数据行" in post(workbook([])).content.decode()
    assert not ImportJob.objects.exists()
    assert post(workbook([["张三", "110105199001010011"]], dimension=b"A1:B1")).status_code == 302
    assert ImportJob.objects.count() == 1


def test_a_job_whose_worker_was_killed_says_so_and_offers_to_resume(tree):
    user = make_user(tree.community_a1, *PERMS)
    job = make_job(
        tree.community_a1,
        user,
        status=ImportStatus.RUNNING,
        header_row=3,
        total_rows=200,
        resume_after_row=103,
    )
    client = client_for(user)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "继续导入" not in page and "import-stalled" not in page  # still moving: no resume yet

    # `kill -9` of the worker: the job stays "running" and its progress stops moving.
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=6))
    fragment = client.get(f"/imports/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert fragment["HX-Refresh"] == "true"  # the open page reloads once to show the resume button
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "没有进展，可能已中断" in page and "继续导入" in page
    assert 'value="50"' in page  # the rows committed before the kill
    assert "hx-trigger" not in page  # no reload loop: the stalled page stops polling
