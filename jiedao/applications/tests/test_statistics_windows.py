"""办件统计 按窗口: an application that came in online is not counted under the window of the clerk who
accepted it, but in a row of its own, 网上申请（未经窗口）; every grouping adds up to the same total."""

from __future__ import annotations

import pytest

from jiedao.applications import services
from jiedao.applications.choices import RatingLevel
from jiedao.applications.models import Application
from jiedao.applications.tests.factories import local, make_resident, submit
from jiedao.applications.tests.test_statistics import (
    API,
    COLUMNS,
    OCTOBER,
    PAGE,
    conclude,
    figures,
    october,  # noqa: F401 (the fixture)
    rate,
)
from jiedao.core.testing import api_client_for, client_for, make_user

pytestmark = pytest.mark.django_db

WINDOW = "1号窗口 综合受理（甲一社区）"
ONLINE = "网上申请（未经窗口）"


@pytest.fixture
def online(october):  # noqa: F811
    """Two October applications submitted online to 甲一社区, accepted by its window clerk (one concluded
    and rated), and one still waiting to be accepted."""
    clerk = october["clerk"]
    first = submit(make_resident(), october["promised"], at=local(2026, 10, 12))
    services.application_accept(actor=clerk, application=first, at=local(2026, 10, 12, 14))
    conclude(clerk, first, local(2026, 10, 14))
    rate(Application.objects.get(pk=first.pk), RatingLevel.SATISFIED, local(2026, 10, 15))
    second = submit(make_resident(), october["promised"], at=local(2026, 10, 20))
    services.application_accept(actor=clerk, application=second, at=local(2026, 10, 21))
    submit(make_resident(), october["promised"], at=local(2026, 10, 22))
    # the accepting clerk's window is recorded on the application (the pad rates it there) ...
    assert Application.objects.get(pk=first.pk).window == october["window"]
    return october


def test_online_applications_are_a_row_of_their_own_not_the_accepting_window(online):
    page = client_for(online["clerk"]).get(PAGE, OCTOBER)

    by_window = figures(page, "window")
    # ... but 按窗口 counts the window's own registrations only
    assert list(by_window) == [WINDOW, ONLINE, "合计"]
    window, internet, total = (dict(zip(COLUMNS, by_window[name], strict=False)) for name in by_window)
    assert (window["received"], window["accepted"], window["concluded"]) == ("6", "4", "3")
    assert (internet["received"], internet["accepted"], internet["concluded"]) == ("3", "2", "1")
    assert internet["open"] == "2" and internet["satisfaction"] == "100.0%"
    assert total["received"] == "9"
    assert "网上申请的办件单列一行" in page.content.decode()


@pytest.mark.parametrize("group", ["item", "org", "window", "month"])
def test_every_grouping_adds_up_to_the_same_total(online, group):
    body = api_client_for(online["clerk"]).get(API, {**OCTOBER, "group": group}).json()
    total = body["total"]
    assert total["received"] == 9
    for field in ("received", "accepted", "rejected", "corrections", "concluded", "overdue", "ratings"):
        assert sum(row[field] for row in body["rows"]) == total[field], field
    if group != "month":  # 当前在办 is as of now, not per month
        for field in ("open", "green", "yellow", "red"):
            assert sum(row[field] for row in body["rows"]) == total[field], field
    if group == "window":
        assert [(row["key"], row["name"]) for row in body["rows"]] == [
            (str(online["window"].pk), WINDOW),
            ("online", ONLINE),
        ]


RATINGS = "/hall/staff/ratings/"


def test_ratings_by_window_put_online_applications_in_the_same_row_as_the_statistics(online):
    """好差评统计 按窗口 counts as 办件统计 does: the rating of the application that came in online is not
    the accepting window's, so the window's ratings on both pages are of the same applications."""
    reader = make_user(online["window"].org, "applications.view_application", "applications.view_rating")
    page = client_for(reader).get(RATINGS, OCTOBER)
    assert page.status_code == 200
    by_window = {row["window"]: (row["total"], row["good"], row["bad"]) for row in page.context["by_window"]}
    # the window: A1 非常满意, A2 不满意, B1 满意; online: the first online application, 满意
    assert by_window == {online["window"].pk: (3, 2, 1), "online": (1, 1, 0)}
    table = page.content.decode().split('data-testid="by-window"')[1].split("</table>")[0]
    assert f'<td colspan="2">{ONLINE}</td><td>1</td><td>1</td><td>0</td><td>4.00</td>' in table
    assert "不计入受理窗口（与办件统计相同）" in page.content.decode()
    # the staff member rated is the clerk who accepted it, whichever row the window table gives it
    assert [(row["rating__staff"], row["total"]) for row in page.context["by_staff"]] == [
        (online["clerk"].pk, 4)
    ]
    statistics = api_client_for(reader).get(API, {**OCTOBER, "group": "window"}).json()
    assert {row["key"]: row["ratings"] for row in statistics["rows"]} == {
        str(online["window"].pk): 3,
        "online": 1,
    }
