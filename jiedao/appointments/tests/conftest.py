"""The hall most tests book at: 甲街道's service hall, two places a slot, and one of its items."""

import pytest

from jiedao.applications.tests.factories import make_item
from jiedao.appointments.tests.factories import open_hall


@pytest.fixture
def item(tree):
    return make_item(tree.subdistrict_a, window_address="甲街道便民服务中心 2 号窗口")


@pytest.fixture
def slots(tree):
    return open_hall(tree.subdistrict_a, capacity=2)
