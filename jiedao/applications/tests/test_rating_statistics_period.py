"""好差评统计 over a period (this month by default, 本月/上月/本季度/本年 or any range, as 办件统计) and its
Excel export: counts only, no applicant and no comment, audited with the range."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from jiedao.applications import services
from jiedao.applications.choices import Outcome, RatingLevel
from jiedao.applications.models import ServiceWindow
from jiedao.applications.tests.factories import CLERK_PERMISSIONS, local, make_item, walk_in
from jiedao.applications.tests.test_statistics import rate
from jiedao.audit.models import AuditEvent
from jiedao.core.testing import client_for, make_user

pytestmark = pytest.mark.django_db

PAGE = "/hall/staff/ratings/"
EXPORT = "/hall/staff/ratings/export/"
OCTOBER = {"start": "2026-10-01", "end": "2026-10-31"}


def concluded(clerk, item, name="李四"):
    application = walk_in(clerk, item, name=name)
    services.application_accept(actor=clerk, application=application)
    return services.application_conclude(actor=clerk, application=application, outcome=Outcome.APPROVED)


@pytest.fixture
def ratings(tree):
    """Two ratings given in October 2026 (满意, 不满意), one in November, one today."""
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    clerk.full_name = "王晓梅"
    clerk.save(update_fields=["full_name"])
    ServiceWindow.objects.create(org=tree.community_a1, number="1号窗口", name="综合受理").staff.add(clerk)
    item = make_item(tree.community_a1, name="居住证明")
    rate(concluded(clerk, item, name="张三明"), RatingLevel.SATISFIED, local(2026, 10, 10))
    bad = concluded(clerk, item)
    rate(bad, RatingLevel.UNSATISFIED, local(2026, 10, 20))
    bad.rating.comment = "窗口人员态度差"
    bad.rating.save(update_fields=["comment"])
    rate(concluded(clerk, item), RatingLevel.VERY_SATISFIED, local(2026, 11, 5))
    rate(concluded(clerk, item), RatingLevel.VERY_SATISFIED, timezone.now())
    leader = make_user(tree.subdistrict_a, "applications.view_rating")
    return {"leader": leader, "clerk": clerk}


def item_row(html: str) -> list[str]:
    table = html.split('id="by-item"', 1)[1].split("</table>", 1)[0]
    row = table.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    return [cell.split("<", 1)[0] for cell in row.split("<td>")[1:]]


def test_the_page_counts_the_ratings_given_in_the_period(ratings):
    client = client_for(ratings["leader"])

    october = client.get(PAGE, OCTOBER).content.decode()
    assert item_row(october) == ["居住证明", "2", "1", "1", "3.00"]
    assert "评价时间：2026-10-01 至 2026-10-31" in october

    # by default this month, as 办件统计: only today's rating
    this_month = client.get(PAGE).content.decode()
    assert item_row(this_month) == ["居住证明", "1", "1", "0", "5.00"]
    assert "好差评统计 · 本月" in this_month
    for label in ("本月", "上月", "本季度", "本年"):
        assert f">{label}</a>" in this_month
    assert "/hall/staff/ratings/export/?start=" in this_month


def test_a_bad_range_is_refused_with_the_reason(ratings):
    response = client_for(ratings["leader"]).get(PAGE, {"start": "2026-10-31", "end": "2026-10-01"})
    assert response.status_code == 400
    assert "结束日期不能早于开始日期。" in response.content.decode()


def test_the_export_holds_the_periods_tables_without_personal_data_and_is_audited(ratings):
    response = client_for(ratings["leader"]).get(EXPORT, OCTOBER)

    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    workbook = load_workbook(BytesIO(content))
    assert workbook.sheetnames == ["按事项", "按窗口", "按工作人员（被评价人员）", "按实施主体", "按评价渠道"]
    title, header, *rows = list(workbook["按事项"].iter_rows(values_only=True))
    assert "好差评统计" in title[0] and "2026-10-01 至 2026-10-31" in title[0]
    assert header == ("事项", "评价数", "满意及以上", "差评", "平均分（5 分制）")
    assert rows == [("居住证明", 2, 1, 1, 3), ("合计", 2, 1, 1, 3)]
    staff = list(workbook["按工作人员（被评价人员）"].iter_rows(values_only=True))[2]
    assert staff[:2] == ("王晓梅", 2)
    window = list(workbook["按窗口"].iter_rows(values_only=True))[2]
    assert window[0] == "1号窗口 综合受理（甲一社区）"
    cells = {str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row}
    assert not any("张三明" in cell or "李四" in cell or "态度差" in cell for cell in cells)
    event = AuditEvent.objects.get(event_name="applications.ratings.exported")
    assert event.actor == ratings["leader"] and event.event_code == 5183
    assert event.after == {"period_start": "2026-10-01", "period_end": "2026-10-31"}


def test_the_export_needs_the_rating_permission(ratings):
    assert client_for(ratings["clerk"]).get(EXPORT, OCTOBER).status_code == 403
    assert not AuditEvent.objects.filter(event_name="applications.ratings.exported").exists()
