"""The service hall's staff lists after years of use (bench/bench_hall_pages.py measures them with 300,000
applications): a page far down the list or the last page shows the right applications in list order (pages
are read by key), the time-limit filters list the applications whose clock has that colour, the monitoring
page and the rating statistics cost the same number of queries however many records they cover."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiedao.accounts.models import User
from jiedao.applications.choices import ApplicationStatus, Channel
from jiedao.applications.clock_kinds import APPLICATION_CLOCK
from jiedao.applications.models import Application, PublicNotice, Rating, ServiceWindow
from jiedao.applications.tests.factories import make_item
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.registry import paging
from jiedao.timelimits.models import Clock

pytestmark = pytest.mark.django_db

VIEW = "applications.view_application"
CODE = re.compile(r"\bT\d{11}\b")


def applications(item, count: int, *, status=ApplicationStatus.ACCEPTED, window=None, start: int = 0):
    """`count` applications of `item` (its org), in creation order (ids ascending)."""
    rows = [
        Application(
            org=item.org,
            item=item,
            applicant_name=f"申请人{n}",
            applicant_phone="13800138000",
            applicant_phone_hash=f"hash{n}",
            applicant_phone_masked="138****8000",
            channel=Channel.WINDOW,
            window=window,
            tracking_code=f"T{n:011d}",
            status=status,
        )
        for n in range(start, start + count)
    ]
    Application.objects.bulk_create(rows)
    return list(
        Application.objects.filter(item=item, tracking_code__in=[r.tracking_code for r in rows]).order_by(
            "pk"
        )
    )


def clocks(rows, status: str) -> None:
    now = timezone.now()
    content_type = ContentType.objects.get_for_model(Application)
    Clock.objects.bulk_create(
        Clock(
            org=row.org,
            content_type=content_type,
            object_id=str(row.pk),
            kind=APPLICATION_CLOCK,
            rule="working_days",
            limit=10,
            started_at=now - dt.timedelta(days=20),
            due_at=now - dt.timedelta(days=1) if status == "red" else now + dt.timedelta(days=5),
            yellow_at=now - dt.timedelta(days=3),
            status=status,
        )
        for row in rows
    )


def codes(response) -> list[str]:
    assert response.status_code == 200
    return CODE.findall(response.content.decode())


class TestApplicationListPages:
    def test_middle_and_last_pages_show_the_applications_in_list_order(self, tree):
        item = make_item(tree.community_a1)
        created = applications(item, 130)
        clocks(created[:40], "green")
        newest_first = [row.tracking_code for row in sorted(created, key=lambda row: -row.pk)]
        client = client_for(make_user(tree.community_a1, VIEW))

        pages = {
            page: codes(client.get(f"/hall/staff/applications/?page={page}")) for page in ("1", "2", "last")
        }

        assert pages["1"] == newest_first[:50]
        assert pages["2"] == newest_first[50:100]
        assert pages["last"] == newest_first[100:]
        last = client.get("/hall/staff/applications/?page=last").content.decode()
        assert "第 3 / 3 页" in last
        # the clock of each row read with the page: the oldest 30 are all clocked (green)
        assert last.count('<span class="badge text-bg-success">') == 30

    def test_a_filter_pages_within_what_it_finds(self, tree):
        item = make_item(tree.community_a1)
        other = make_item(tree.community_a1)
        wanted = applications(item, 70)
        applications(other, 70, start=1000)
        client = client_for(make_user(tree.community_a1, VIEW))

        last = codes(client.get(f"/hall/staff/applications/?item={item.pk}&page=last"))

        assert last == [row.tracking_code for row in sorted(wanted, key=lambda row: -row.pk)][50:]

    def test_clock_filters_list_the_applications_whose_clock_has_that_colour(self, tree):
        item = make_item(tree.community_a1)
        created = applications(item, 12)
        red, yellow, green = created[:3], created[3:5], created[5:9]
        clocks(red, "red")
        clocks(yellow, "yellow")
        clocks(green, "green")
        clocks(created[9:], "stopped")
        client = client_for(make_user(tree.community_a1, VIEW))

        listed_red = codes(client.get("/hall/staff/applications/?clock=red"))
        listed_yellow = codes(client.get("/hall/staff/applications/?clock=yellow"))
        api_red = api_client_for(make_user(tree.community_a1, VIEW)).get("/api/v1/applications/?clock=red")

        assert sorted(listed_red) == sorted(row.tracking_code for row in red)
        assert sorted(listed_yellow) == sorted(row.tracking_code for row in yellow)
        assert api_red.json()["count"] == 3
        assert {row["clock_status"] for row in api_red.json()["results"]} == {"red"}

    def test_search_by_item_name_code_or_full_name(self, tree):
        item = make_item(tree.community_a1, name="最低生活保障金给付")
        other = make_item(tree.community_a1, name="老年优待证办理")
        by_item = applications(item, 3)
        mine = applications(other, 3, start=100)
        client = client_for(make_user(tree.community_a1, VIEW))

        assert sorted(codes(client.get("/hall/staff/applications/?q=生活保障"))) == sorted(
            row.tracking_code for row in by_item
        )
        assert codes(client.get(f"/hall/staff/applications/?q={mine[1].tracking_code.lower()}")) == [
            mine[1].tracking_code
        ]
        assert codes(client.get("/hall/staff/applications/?q=申请人101")) == [mine[1].tracking_code]
        Application.objects.filter(pk=mine[2].pk).update(enterprise_name="明湖Abc科技有限公司")
        assert codes(client.get("/hall/staff/applications/?q=aBC科技")) == [mine[2].tracking_code]

    def test_the_page_costs_the_same_queries_for_5_or_50_rows(self, tree):
        item = make_item(tree.community_a1)
        user = make_user(tree.community_a1, VIEW)
        client = client_for(user)
        clocks(applications(item, 5), "green")
        client.get("/hall/staff/applications/")
        with CaptureQueriesContext(connection) as few:
            client.get("/hall/staff/applications/")
        clocks(applications(item, 45, start=100), "yellow")
        with CaptureQueriesContext(connection) as many:
            client.get("/hall/staff/applications/")
        assert len(many) == len(few)


NOTICE_TITLE = re.compile(r"公示第(\d{3})号")


def notices(item, count: int, *, archived: bool = True, start: int = 5000) -> list[PublicNotice]:
    """`count` notices of `item`'s applications, three to a start day (ties broken by id), in list order
    (newest start first, then the later id)."""
    base = timezone.now() - dt.timedelta(days=400)
    rows = [
        PublicNotice(
            org=item.org,
            application=application,
            title=f"困难补助公示第{n:03d}号",
            body="公示内容",
            starts_at=base + dt.timedelta(days=n // 3),
            ends_at=base + dt.timedelta(days=n // 3 + 5),
            archived_at=base + dt.timedelta(days=n // 3 + 6) if archived else None,
        )
        for n, application in enumerate(applications(item, count, start=start))
    ]
    PublicNotice.objects.bulk_create(rows)
    return sorted(
        PublicNotice.objects.filter(application__item=item),
        key=lambda row: (-row.starts_at.timestamp(), -row.pk),
    )


def titles(response) -> list[str]:
    assert response.status_code == 200
    return [f"公示第{n}号" for n in NOTICE_TITLE.findall(response.content.decode())]


class TestPublicNoticePages:
    """/hall/notices/?archived=1 after years: thousands of archived notices, 20 to a page."""

    @pytest.mark.parametrize(
        "short_list", [paging.SHORT_LIST, 10], ids=["keys-read-whole", "keys-from-the-end"]
    )
    def test_middle_and_last_pages_show_the_archived_notices_in_list_order(
        self, tree, monkeypatch, short_list
    ):
        # 10: the list is read as a long one is (3,000 notices), the last pages backwards from its end
        monkeypatch.setattr(paging, "SHORT_LIST", short_list)
        item = make_item(tree.community_a1)
        listed = [NOTICE_TITLE.search(row.title).group(0) for row in notices(item, 65)]
        client = Client()

        pages = {
            page: titles(client.get(f"/hall/notices/?archived=1&page={page}")) for page in ("2", "3", "last")
        }

        assert pages["2"] == listed[20:40]
        assert pages["3"] == listed[40:60]
        assert pages["last"] == listed[60:]
        assert "第 4 / 4 页" in client.get("/hall/notices/?archived=1&page=last").content.decode()

    def test_the_current_notices_list_leaves_out_the_archived_and_the_not_yet_started(self, tree):
        item = make_item(tree.community_a1)
        current = notices(item, 25, archived=False)
        PublicNotice.objects.filter(pk=current[0].pk).update(starts_at=timezone.now() + dt.timedelta(days=1))
        notices(make_item(tree.community_a1), 3, start=6000)  # archived
        listed = [NOTICE_TITLE.search(row.title).group(0) for row in current[1:]]
        client = Client()

        assert titles(client.get("/hall/notices/")) == listed[:20]
        assert titles(client.get("/hall/notices/?page=2")) == listed[20:]

    def test_the_last_page_costs_the_queries_of_the_first_and_reads_no_earlier_notice(
        self, tree, monkeypatch
    ):
        monkeypatch.setattr(paging, "SHORT_LIST", 10)  # read as 3,000 notices are
        notices(make_item(tree.community_a1), 85)
        client = Client()
        client.get("/hall/notices/?archived=1")
        counts = {}
        for page in ("1", "3", "last"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(f"/hall/notices/?archived=1&page={page}").status_code == 200
            counts[page] = len(queries)
            if page == "last":
                last_sql = [query["sql"] for query in queries.captured_queries]

        assert counts["3"] == counts["last"] == counts["1"]
        # read backwards from the end, not by skipping the 80 newer notices
        assert not [sql for sql in last_sql if "OFFSET" in sql.upper()]


class TestApiOffsets:
    def test_an_offset_near_the_end_returns_the_oldest_applications_with_their_clocks(self, tree):
        item = make_item(tree.community_a1)
        created = applications(item, 130)
        clocks(created[:5], "red")
        api = api_client_for(make_user(tree.community_a1, VIEW))

        body = api.get("/api/v1/applications/?offset=120&limit=50").json()

        oldest_last = sorted(created, key=lambda row: -row.pk)[120:]
        assert body["count"] == 130
        assert [row["tracking_code"] for row in body["results"]] == [row.tracking_code for row in oldest_last]
        assert [row["clock_status"] for row in body["results"]][-5:] == ["red"] * 5
        assert body["results"][0]["clock_status"] is None


class TestClockMonitoring:
    def test_the_page_names_each_application_in_the_same_queries_for_3_or_40_clocks(self, tree):
        user = make_user(tree.community_a1, "timelimits.view_clock")
        client = client_for(user)
        item = make_item(tree.community_a1, name="居住证明开具")
        clocks(applications(item, 3), "yellow")
        client.get("/timelimits/")
        with CaptureQueriesContext(connection) as few:
            client.get("/timelimits/")
        for n in range(37):  # each clock its own item: each name read from a different row
            clocks(applications(make_item(tree.community_a1, name=f"事项{n}号"), 1, start=100 + n), "green")
        with CaptureQueriesContext(connection) as many:
            response = client.get("/timelimits/")

        body = response.content.decode()
        assert "居住证明开具" in body and "事项36号" in body
        assert len(many) == len(few)


class TestRatingStatistics:
    def test_each_table_sums_the_ratings_of_its_rows_read_in_one_pass(self, tree):
        window = ServiceWindow.objects.create(org=tree.subdistrict_a, number="3号窗口", name="社会救助")
        first = make_item(tree.community_a1, name="低保申请")
        second = make_item(tree.community_a2, name="临时救助")
        alice = make_user(tree.community_a1, username="alice")
        User.objects.filter(pk=alice.pk).update(full_name="王晓梅")
        bob = make_user(tree.community_a2, username="bob")
        User.objects.filter(pk=bob.pk).update(full_name="钱丽华")
        concluded = ApplicationStatus.CONCLUDED_APPROVED
        rated = [
            *zip(
                applications(first, 3, status=concluded, window=window), (5, 4, 1), (alice,) * 3, strict=True
            ),
            *zip(applications(second, 2, status=concluded, start=50), (2, 3), (alice, bob), strict=True),
        ]
        Rating.objects.bulk_create(
            Rating(application=row, level=level, channel=Channel.WINDOW, staff=staff)
            for row, level, staff in rated
        )
        leader = make_user(tree.subdistrict_a, VIEW, "applications.view_rating")

        with CaptureQueriesContext(connection) as queries:
            response = client_for(leader).get("/hall/staff/ratings/")

        tables = {name: response.context[name] for name in ("by_item", "by_window", "by_staff", "by_org")}
        by_item = {
            row["item__name"]: (row["total"], row["good"], row["bad"], row["score"])
            for row in tables["by_item"]
        }
        assert by_item == {"低保申请": (3, 2, 1, 10 / 3), "临时救助": (2, 0, 1, 2.5)}
        by_staff = {row["rating__staff__full_name"]: (row["total"], row["bad"]) for row in tables["by_staff"]}
        assert by_staff == {"王晓梅": (4, 2), "钱丽华": (1, 0)}
        by_window = {row["window__number"]: row["total"] for row in tables["by_window"]}
        assert by_window == {"3号窗口": 3, None: 2}
        assert [row["total"] for row in tables["by_org"]] == [3, 2]  # most rated first
        body = response.content.decode()
        assert "3.33" in body and "未记录窗口" in body
        assert sum("applications_rating" in query["sql"] for query in queries.captured_queries) == 1
