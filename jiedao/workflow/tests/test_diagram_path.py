"""The instance diagram lights only the flows the process went along."""

import re

from jiedao.core.testing import client_for
from jiedao.workflow import selectors, services
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.processes import complete, start_leave

APPROVE, REJECT = {"outcome": "approve"}, {"outcome": "reject"}


def test_the_heads_refusal_flow_is_not_lit_when_the_leader_refused(leave, people):
    instance = start_leave(people, days=5)
    complete(instance, "head", people.head, APPROVE)
    complete(instance, "leader", people.leader, REJECT)
    flows = set(selectors.diagram_state(instance)["flows"])
    assert "flow_head_reject" not in flows  # gw_head passed and end_rejected reached, but not along it
    assert "flow_days_short" not in flows and "flow_leader_ok" not in flows
    assert flows == {
        "flow_start_apply",
        "flow_apply_head",
        "flow_head_gw_head",
        "flow_head_ok",
        "flow_days_long",
        "flow_leader_gw_leader",
        "flow_leader_reject",
    }


def test_a_running_instance_lights_the_flow_into_the_waiting_step(leave, people):
    instance = start_leave(people, days=2)
    state = selectors.diagram_state(instance)
    assert state["active"] == ["head"]
    assert set(state["flows"]) == {"flow_start_apply", "flow_apply_head"}


def test_every_branch_into_a_parallel_join_is_lit(people):
    processes.deploy(people, "joint_review")
    instance = services.process_start(
        actor=people.applicant,
        definition_key="joint_review",
        org=people.applicant.org,
        data={"title": "老旧小区改造", "summary": "加装电梯"},
    )
    complete(instance, "review_office", people.office2, APPROVE)
    complete(instance, "review_business", people.head, APPROVE)
    flows = set(selectors.diagram_state(instance)["flows"])
    assert {"flow_review_office_join", "flow_review_business_join"} <= flows
    assert "flow_review_supervision_join" not in flows and "flow_join_leader" not in flows
    complete(instance, "review_supervision", people.supervisor, REJECT)
    flows = set(selectors.diagram_state(instance)["flows"])
    assert {
        "flow_review_office_join",
        "flow_review_business_join",
        "flow_review_supervision_join",
        "flow_join_leader",
    } <= flows


def test_the_path_in_words_reads_as_english_sentences(leave, people):
    """An English page: the two sentences apart, the version in the page's words, no Chinese brackets."""
    instance = start_leave(people, days=2)
    page = (
        client_for(people.applicant)
        .get(f"/workflow/instances/{instance.pk}/", HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    steps = re.search(r'data-testid="diagram-steps">(.*?)</p>', page, re.S).group(1)
    assert re.search(r"\. Now at: ", steps), steps
    assert "(version 1)" in page and "（Version" not in page
