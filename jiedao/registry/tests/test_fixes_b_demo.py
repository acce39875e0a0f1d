"""Issue 3 audit, demo data: residence permit numbers are unique across the district, also when a later run
adds to what an earlier one left."""

from __future__ import annotations

import io
from collections import Counter

from jiedao.core import demo as core_demo
from jiedao.registry import demo
from jiedao.registry.models import Migrant

SMALL = 60


def test_residence_permit_numbers_are_unique(db):
    core_demo.load()
    demo.load(stdout=io.StringIO(), persons_per_community=SMALL)
    numbers = list(Migrant.objects.exclude(permit_number="").values_list("permit_number", flat=True))
    assert len(numbers) > 30
    assert [n for n, times in Counter(numbers).items() if times > 1] == []
    for number in numbers:
        assert len(number) <= Migrant._meta.get_field("permit_number").max_length
        assert number.startswith("ZJ330110")

    # A later run with a larger target builds the communities again: it never reuses a number.
    demo.load(stdout=io.StringIO(), persons_per_community=SMALL + 20)
    numbers = list(Migrant.objects.exclude(permit_number="").values_list("permit_number", flat=True))
    assert len(numbers) == len(set(numbers))
