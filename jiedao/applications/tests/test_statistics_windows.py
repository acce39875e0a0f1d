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
from jiedao.core.testing import api_client_for, client_for

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
