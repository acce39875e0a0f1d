"""Two clerks issuing 居住证明 at the same moment, on PostgreSQL with real threads
(`jiedao.workflow.tests.racing`): consecutive numbers, never the same one twice; one certificate per
application even when both click 开具 on it at once."""

from __future__ import annotations

from functools import partial

import pytest

from jiedao.applications import certificates
from jiedao.applications.models import Certificate
from jiedao.applications.tests.factories import CLERK_PERMISSIONS, make_item
from jiedao.applications.tests.test_certificates import ISSUED, approved
from jiedao.catalog.choices import CertificateKind
from jiedao.core.testing import make_user
from jiedao.registry.tests import factories as people
from jiedao.workflow.tests.racing import assert_chain_verifies, at_once, require_postgresql

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    require_postgresql()


@pytest.fixture
def setting(tree):
    clerks = [make_user(tree.community_a1, *CLERK_PERMISSIONS, username=f"clerk{n}") for n in (1, 2)]
    item = make_item(tree.community_a1, name="居住证明开具", certificate_kind=CertificateKind.RESIDENCE)
    registrar = people.staff(tree.district)
    persons = [
        people.person(registrar, tree.grid_a1, name=name, residence_address=f"幸福路{n}号")
        for n, name in enumerate(("王秀明", "李建国", "赵敏"), 1)
    ]
    # Two items of the same kind (as a community may list 居住证明 for several purposes): the applications'
    # locks do not order these issues, the year's counter must.
    other_item = make_item(
        tree.community_a1, name="居住证明开具（入学）", certificate_kind=CertificateKind.RESIDENCE
    )
    items = (item, other_item, item)
    return clerks, [approved(clerks[0], on, person) for on, person in zip(items, persons, strict=True)]


def test_two_issues_at_once_get_consecutive_numbers(setting):
    (first, second), (one, other, earlier) = setting
    # The year's counter exists already (the usual case): both read it at the same moment.
    certificates.certificate_issue(actor=first, application=earlier, at=ISSUED)
    results = at_once(
        a=partial(certificates.certificate_issue, actor=first, application=one, at=ISSUED),
        b=partial(certificates.certificate_issue, actor=second, application=other, at=ISSUED),
    )
    assert {kind for kind, _ in results.values()} == {"ok"}
    assert sorted(Certificate.objects.values_list("number", flat=True)) == [
        "〔2026〕甲一居证字第 0001 号",
        "〔2026〕甲一居证字第 0002 号",
        "〔2026〕甲一居证字第 0003 号",
    ]
    assert_chain_verifies()


def test_two_clicks_on_one_application_issue_one_certificate(setting):
    (first, second), (one, *_others) = setting
    results = at_once(
        a=partial(certificates.certificate_issue, actor=first, application=one, at=ISSUED),
        b=partial(certificates.certificate_issue, actor=second, application=one, at=ISSUED),
    )
    outcomes = sorted(kind for kind, _ in results.values())
    assert outcomes == ["ok", "refused"]
    refused = next(message for kind, message in results.values() if kind == "refused")
    assert "已开具证明" in refused
    assert Certificate.objects.count() == 1
    assert_chain_verifies()
