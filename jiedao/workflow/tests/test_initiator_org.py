"""The instance and task pages name the initiator with their own org, and the org the instance belongs to
when it is another (a sub-district clerk starting a community's process is not "of the community")."""

import pytest

from jiedao.core.testing import client_for
from jiedao.workflow import services
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.processes import task_for

pytestmark = pytest.mark.django_db


def test_initiator_is_shown_with_their_own_org_and_the_instance_org_apart(people):
    processes.deploy(people, "leave")
    tree = people.tree
    instance = services.process_start(
        actor=people.office1, definition_key="leave", org=tree.community_a1, data={}
    )
    task = task_for(instance, "apply")
    for url in (f"/workflow/instances/{instance.pk}/", f"/workflow/tasks/{task.pk}/"):
        page = client_for(people.office1).get(url).content.decode()
        assert f"office1（{tree.subdistrict_a.name}） · 所属组织 {tree.community_a1.name}" in page, url

    own = services.process_start(
        actor=people.applicant, definition_key="leave", org=tree.community_a1, data={}
    )
    page = client_for(people.applicant).get(f"/workflow/instances/{own.pk}/").content.decode()
    assert f"张三（{tree.community_a1.name}）" in page and "所属组织" not in page.split("发起人", 1)[1][:200]
