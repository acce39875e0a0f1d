"""Process names are listed in 拼音 order on the start page and in the inbox's process filter."""

import re

from jiedao.core.testing import client_for
from jiedao.workflow.tests import processes


def test_start_page_and_inbox_filter_list_processes_in_pinyin_order(leave, people):
    processes.deploy(people, "joint_review")  # 三部门联合审批
    processes.deploy(people, "countersign")  # 班子会签
    client = client_for(people.applicant)
    start = client.get("/workflow/start/").content.decode()
    titles = re.findall(r'<h2 class="h5 card-title">([^<]+)</h2>', start)
    assert titles == ["班子会签", "请销假", "三部门联合审批"]
    inbox = client.get("/workflow/inbox/").content.decode()
    known = {"leave", "joint_review", "countersign"}
    options = re.findall(r'<option value="(\w+)"[^>]*>([^<]+)</option>', inbox)
    assert [name for key, name in options if key in known] == ["班子会签", "请销假", "三部门联合审批"]
