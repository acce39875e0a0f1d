"""Demo data of the workflow engine: permissions for the demo roles, the shipped processes deployed at
清波街道 (all of them) and 望江街道 (those its catalog needs, by its own 党政办 `office2`), and two running
requests at 清波 so the inboxes are not empty. Idempotent.

The service hall's processes are deployed too: ``dibao`` (低保 with household verification, public notice
and the registry tag) and the generic ``service_review`` (window pre-check → department review →
sub-district leader), which is also deployed under the process key of every other demo catalog item of
each sub-district (``jiuye_chuangye_zheng``, ``juzhuzheng``, …), so each item can later get its own process in the
designer without touching the catalog; ``qiye_kaiban`` (企业开办代办) gets ``enterprise_review`` instead,
with two departments reviewing in parallel.

Role mapping (roles of `jiedao.core.demo`): ``approver`` is the department head (部门负责人),
``subdistrict-leader`` the sub-district leader, ``office-staff`` the 党政办 (also maintains the processes, and
as ``process-admin`` administers the running instances of the sub-district and its communities),
``supervisor`` 纪检监察; community and window staff start processes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from xml.sax.saxutils import escape

from django.db import transaction
from django.utils import timezone

from jiedao.accounts.models import Role, User
from jiedao.core.demo import resolve_permissions
from jiedao.core.scope import DataScope
from jiedao.orgs.models import OrgUnit
from jiedao.workcalendar.services import CHINA_TZ
from jiedao.workflow import bpmn, engine, services
from jiedao.workflow.choices import DefinitionStatus
from jiedao.workflow.models import ProcessDefinition, ProcessInstance

PROCESSES = Path(__file__).resolve().parent / "processes"
SHIPPED = ("leave", "joint_review", "countersign", "dibao", "service_review")
GENERIC = "service_review"
# Catalog items whose process is another template than the generic review: 企业开办代办 is reviewed by
# two departments in parallel (业务科室 and 党政办), then concluded.
ITEM_TEMPLATES = {"qiye_kaiban": "enterprise_review"}
SUBDISTRICT_CODE = "330110001000"  # 清波街道
# Where processes are deployed, by whom, and which shipped ones: 望江 has no 纪检监察 staff, so it gets only
# what its catalog items need.
DEPLOYMENTS = (
    (SUBDISTRICT_CODE, "office", SHIPPED),
    ("330110002000", "office2", ("dibao", "service_review")),  # 望江街道
)

START = ("workflow.add_processinstance", "workflow.view_processinstance")
ROLE_PERMISSIONS = {
    "district-leader": (
        "workflow.view_processinstance",
        "workflow.view_worktask",
        "workflow.view_processdefinition",
    ),
    "subdistrict-leader": (*START, "workflow.view_worktask", "workflow.view_processdefinition"),
    "approver": START,
    "office-staff": (
        *START,
        "workflow.view_processdefinition",
        "workflow.add_processdefinition",
        "workflow.change_processdefinition",
    ),
    "window-staff": START,
    "community-staff": START,
    "supervisor": ("workflow.view_processinstance", "workflow.view_worktask"),
}


# 流程管理: the 党政办 who maintains the processes also administers their running instances — 改派, 催办, 抄送,
# 挂起/恢复, 撤销, 恢复运行 of one the engine marked failed (运行异常) — across the sub-district, its
# communities' included.
# A data scope belongs to a role, and 办公室人员 reaches its own node only (its 行政事务 and the process
# definitions stay there), so this is a role of its own with the sub-district and what lies below, held by
# the 党政办 who deploy the processes (`DEPLOYMENTS`).
PROCESS_ADMIN = {
    "code": "process-admin",
    "name": "流程管理员",
    "description": "管理本街道及所辖社区的流程实例：查看、改派、催办、抄送、挂起、恢复、撤销，恢复运行异常的流程。",
}
PROCESS_ADMIN_PERMISSIONS = ("workflow.view_processinstance", "workflow.change_processinstance")


def shipped(name: str) -> tuple[str, dict]:
    xml = (PROCESSES / f"{name}.bpmn").read_text(encoding="utf-8")
    forms = json.loads((PROCESSES / f"{name}.forms.json").read_text(encoding="utf-8"))
    return xml, forms


def load_permissions() -> None:
    for code, patterns in ROLE_PERMISSIONS.items():
        role = Role.objects.filter(code=code).first()
        if role is not None:
            role.permissions.add(*resolve_permissions(patterns))
    admins, _created = Role.objects.get_or_create(
        code=PROCESS_ADMIN["code"],
        defaults={
            "name": PROCESS_ADMIN["name"],
            "description": PROCESS_ADMIN["description"],
            "data_scope": DataScope.SUBTREE,
        },
    )
    admins.permissions.add(*resolve_permissions(PROCESS_ADMIN_PERMISSIONS))
    for user in User.objects.filter(username__in=[username for _code, username, _names in DEPLOYMENTS]):
        user.roles.add(admins)


def _deploy(subdistrict, deployer, key: str, source: tuple[str, dict], stdout) -> ProcessDefinition:
    existing = ProcessDefinition.objects.filter(
        org=subdistrict, key=key, status=DefinitionStatus.DEPLOYED
    ).first()
    if existing is None:
        xml, forms = source
        existing = services.definition_deploy_xml(actor=deployer, org=subdistrict, bpmn_xml=xml, forms=forms)
        if stdout is not None:
            stdout.write(
                f"已发布流程：{subdistrict.name} {existing.name}（{existing.key} v{existing.version}）"
            )
    return existing


def _deployments():
    for code, username, names in DEPLOYMENTS:
        subdistrict = OrgUnit.objects.filter(division_code=code).first()
        deployer = User.objects.filter(username=username).first()
        if subdistrict is not None and deployer is not None:
            yield subdistrict, deployer, names


def load_processes(stdout=None) -> list[ProcessDefinition]:
    return [
        _deploy(subdistrict, deployer, name, shipped(name), stdout)
        for subdistrict, deployer, names in _deployments()
        for name in names
    ]


def process_as(template: str, key: str, name: str) -> tuple[str, dict]:
    """A shipped process (`service_review`, `enterprise_review`) under another process key (a catalog item's)."""
    xml, forms = shipped(template)
    head = re.search(r'<bpmn:process id="([^"]+)" name="[^"]*"', xml)
    xml = xml.replace(head.group(0), f'<bpmn:process id="{key}" name="{escape(name)}"', 1).replace(
        f'bpmnElement="{head.group(1)}"', f'bpmnElement="{key}"', 1
    )
    return xml, forms


def service_review_as(key: str, name: str) -> tuple[str, dict]:
    """The generic service-review process under another process key (a catalog item's)."""
    return process_as(GENERIC, key, name)


def load_item_processes(stdout=None) -> list[ProcessDefinition]:
    """The generic process (or `ITEM_TEMPLATES`) under the key of each catalog item of a sub-district
    without one."""
    from jiedao.catalog.models import ServiceItem

    deployed = []
    for subdistrict, deployer, names in _deployments():
        items = ServiceItem.objects.filter(org__path__startswith=subdistrict.path).exclude(process_key="")
        for key, item_name in sorted(set(items.values_list("process_key", "name"))):
            if key in names or not bpmn.PROCESS_KEY_RE.match(key):
                continue
            source = process_as(ITEM_TEMPLATES.get(key, GENERIC), key, f"{item_name}审批")
            deployed.append(_deploy(subdistrict, deployer, key, source, stdout))
    return deployed


def demo_leave_start(today: dt.date | None = None) -> dt.date:
    """When the demo's leave starts: the first Monday at least a week after the day the demo is loaded, so
    a request waiting for approval is plausible whenever the demo is loaded (not a date long past)."""
    if today is None:
        today = timezone.localtime(engine.now(), CHINA_TZ).date()
    start = today + dt.timedelta(days=7)
    return start + dt.timedelta(days=(7 - start.weekday()) % 7)


def load_requests(stdout=None) -> None:
    """A leave request waiting for the department head, and a joint review waiting for three departments."""
    shequ = User.objects.filter(username="shequ").first()
    window = User.objects.filter(username="window").first()
    if (
        shequ is not None
        and not ProcessInstance.objects.filter(initiator=shequ, definition__key="leave").exists()
    ):
        instance = services.process_start(actor=shequ, definition_key="leave", org=shequ.org)
        task = instance.tasks.get(element_id="apply")
        services.task_complete(
            actor=shequ,
            task=task,
            form_data={
                "leave_type": "annual",
                "start_date": demo_leave_start().isoformat(),
                "days": 4,
                "reason": "回乡探亲",
            },
        )
        if stdout is not None:
            stdout.write(f"演示流程：{instance.title}（待部门负责人 approver 审批）")
    if (
        window is not None
        and not ProcessInstance.objects.filter(initiator=window, definition__key="joint_review").exists()
    ):
        instance = services.process_start(
            actor=window,
            definition_key="joint_review",
            org=window.org,
            data={
                "title": "政务服务中心窗口改造",
                "summary": "拟将综合窗口由 6 个增至 8 个，请各部门提出意见。",
            },
        )
        if stdout is not None:
            stdout.write(f"演示流程：{instance.title}（待党政办、业务科室、纪检监察并行审批）")


@transaction.atomic
def load(stdout=None) -> None:
    load_permissions()
    if load_processes(stdout):
        load_item_processes(stdout)
        load_requests(stdout)
