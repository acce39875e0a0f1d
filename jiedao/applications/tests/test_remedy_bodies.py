"""A refusal tells the applicant where to contest it (行政许可法第三十八条第二款): the 不予受理通知书 and the
办结通知书 of a 不予准予 decision name the 行政复议机关 and the 管辖法院 set on the deciding org or the nearest
node above it, and keep the general sentence where none is set."""

from __future__ import annotations

import pytest

from jiedao.applications import services, written_notices
from jiedao.applications.choices import NoticeKind, Outcome
from jiedao.applications.tests.factories import CLERK_PERMISSIONS, local, make_item, walk_in
from jiedao.applications.tests.pdftext import pdf_text
from jiedao.core.testing import make_user

pytestmark = pytest.mark.django_db

GENERIC = (
    "如不服本决定，您可以自收到本通知书之日起六十日内依法申请行政复议，或者自收到本通知书之日起"
    "六个月内依法向人民法院提起行政诉讼。"
)
NAMED = (
    "如不服本决定，您可以自收到本通知书之日起六十日内向北京市测试区人民政府申请行政复议，或者自收到本通知书"
    "之日起六个月内向北京市测试区人民法院提起行政诉讼。"
)


def _set(node, body: str = "", court: str = "") -> None:
    node.reconsideration_body, node.litigation_court = body, court
    node.save()


@pytest.fixture
def clerk(tree):
    return make_user(
        tree.community_a1,
        *CLERK_PERMISSIONS,
        "applications.conclude_application",
        "applications.view_application",
    )


@pytest.fixture
def item(tree):
    return make_item(tree.community_a1, name="居住证明开具", promised_limit_days=10)


def _refuse(clerk, item, name="赵六"):
    application = walk_in(clerk, item, name=name, at=local(2026, 3, 2, 9))
    services.application_reject(
        actor=clerk,
        application=application,
        reason="申请事项不属于本机关职权范围。",
        at=local(2026, 3, 4, 15),
    )
    return written_notices.written_notice_get(application, NoticeKind.REFUSAL)


def _text(data: bytes) -> str:
    return pdf_text(data).replace("\n", "")


class TestRefusalNotice:
    def test_names_the_bodies_set_on_the_district_and_only_for_its_own_tree(self, clerk, item, tree):
        _set(tree.subdistrict_b, "北京市乙区人民政府", "北京市乙区人民法院")  # another branch: not ours
        text = _text(written_notices.render_pdf(_refuse(clerk, item)))
        assert GENERIC in text and "乙区" not in text
        _set(tree.district, "北京市测试区人民政府", "北京市测试区人民法院")
        text = _text(written_notices.render_pdf(_refuse(clerk, item, name="钱七")))
        assert NAMED in text and GENERIC not in text

    def test_a_nearer_node_overrides_only_what_it_sets(self, clerk, item, tree):
        _set(tree.district, "北京市测试区人民政府", "北京市测试区人民法院")
        _set(tree.subdistrict_a, court="北京铁路运输法院")  # 集中管辖: another court, the same government
        text = _text(written_notices.render_pdf(_refuse(clerk, item)))
        assert "六十日内向北京市测试区人民政府申请行政复议" in text
        assert "六个月内向北京铁路运输法院提起行政诉讼" in text and "测试区人民法院" not in text

    def test_a_reprint_names_what_the_first_print_named(self, clerk, item, tree):
        _set(tree.district, "北京市测试区人民政府", "北京市测试区人民法院")
        notice = _refuse(clerk, item)
        first = written_notices.render_pdf(notice)
        _set(tree.district, "北京市新区人民政府", "北京市新区人民法院")
        _set(tree.community_a1, "某某人民政府")
        notice.refresh_from_db()
        again = written_notices.render_pdf(notice)
        assert again == first  # byte for byte
        assert NAMED in _text(again)
        assert notice.facts["reconsideration_body"] == "北京市测试区人民政府"

    def test_a_notice_kept_before_the_names_were_reprints_the_general_sentence(self, clerk, item, tree):
        notice = _refuse(clerk, item)
        for key in ("reconsideration_body", "litigation_court"):
            notice.facts.pop(key)  # as a notice issued before this change was stored
        notice.save()
        _set(tree.district, "北京市测试区人民政府", "北京市测试区人民法院")
        text = _text(written_notices.render_pdf(notice))
        assert GENERIC in text and "测试区人民政府" not in text


class TestOutcomeDocument:
    def _conclude(self, clerk, item, outcome):
        application = walk_in(clerk, item)
        services.application_accept(actor=clerk, application=application)
        services.application_conclude(actor=clerk, application=application, outcome=outcome, text="经审核。")
        application.refresh_from_db()
        return application

    def test_a_denial_names_the_bodies_an_approval_and_an_unset_tree_do_not(self, clerk, item, tree):
        general = "如对办理结果有异议，可依法申请行政复议或提起行政诉讼。"
        assert general in _text(self._conclude(clerk, item, Outcome.DENIED).outcome_document.read())
        _set(tree.district, "北京市测试区人民政府", "北京市测试区人民法院")
        text = _text(self._conclude(clerk, item, Outcome.DENIED).outcome_document.read())
        assert "办理结果为：不予准予" in text and NAMED in text and general not in text
        text = _text(self._conclude(clerk, item, Outcome.APPROVED).outcome_document.read())
        assert general in text and "测试区人民政府" not in text

    def test_the_stored_denial_keeps_the_names_it_was_issued_with(self, clerk, item, tree):
        _set(tree.district, "北京市测试区人民政府", "北京市测试区人民法院")
        denied = self._conclude(clerk, item, Outcome.DENIED)
        _set(tree.district, "北京市新区人民政府", "北京市新区人民法院")
        denied.refresh_from_db()
        text = _text(denied.outcome_document.read())
        assert NAMED in text and "新区" not in text
