"""Benchmark: completing a workflow task with many live instances, against the raw SpiffWorkflow step; and the
inbox of a busy user.

    .venv/bin/python bench/bench_workflow.py                       # SQLite file in a temp dir
    .venv/bin/python bench/bench_workflow.py --database postgresql # a fresh PostgreSQL database

Setup: the shipped leave process (请销假) is deployed; one instance is driven through the services to the
department head's step, and cloned (state, task, candidates, clock, history) into `--instances` live
instances. `--busy` of their head tasks also list a "busy" user among the candidates.

Figures (p50/p95 over `--samples` completions / queries):

* `task_complete` — the service: lock the instance row, restore the Spiff tree from JSON, complete the task,
  run the engine (gateways, the next user task, its assignment), write the state back, sync the task rows,
  start/stop the time-limit clocks, history and audit, one transaction;
* raw Spiff step — the same definition, no database: restore the tree from the same JSON, complete the task,
  run the engine, serialize (and, separately, the in-memory step alone);
* the inbox of the busy user (500 open tasks): the four tab counts plus the first page of 30 items.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import setup_django, summary_ms


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--instances", type=int, default=10_000, help="live instances (10,000)")
    parser.add_argument("--busy", type=int, default=500, help="open tasks of the busy user (500)")
    parser.add_argument("--samples", type=int, default=200, help="completions / queries timed (200)")
    return parser.parse_args()


def build(instances: int, busy: int):
    import datetime as dt

    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction

    from jiedao.accounts.models import Role
    from jiedao.core.testing import build_tree, make_user, permissions
    from jiedao.timelimits.models import Clock
    from jiedao.workflow import services
    from jiedao.workflow.choices import TaskStatus
    from jiedao.workflow.demo import shipped
    from jiedao.workflow.models import ProcessInstance, TaskHistory, WorkTask

    tree = build_tree()
    start = permissions("workflow.add_processinstance", "workflow.view_processinstance")
    roles = {}
    for code in ("community-staff", "approver", "subdistrict-leader", "office-staff", "supervisor"):
        roles[code] = Role.objects.create(code=code, name=code)
        roles[code].permissions.add(*start)
    deployer = make_user(tree.subdistrict_a, "workflow.add_processdefinition", username="deployer")
    applicant = make_user(tree.community_a1, username="applicant", roles=[roles["community-staff"]])
    head = make_user(tree.subdistrict_a, username="head", roles=[roles["approver"]])
    busy_user = make_user(tree.subdistrict_b, username="busy", roles=[roles["approver"]])
    make_user(tree.subdistrict_a, username="leader", roles=[roles["subdistrict-leader"]])
    xml, forms = shipped("leave")
    services.definition_deploy_xml(actor=deployer, org=tree.subdistrict_a, bpmn_xml=xml, forms=forms)

    template = services.process_start(actor=applicant, definition_key="leave", org=applicant.org)
    apply_task = template.tasks.get(element_id="apply")
    services.task_complete(
        actor=applicant,
        task=apply_task,
        form_data={"leave_type": "personal", "start_date": "2026-10-12", "days": 2, "reason": "家中有事"},
    )
    template.refresh_from_db()
    head_task = template.tasks.get(element_id="head")
    clock = head_task.clock
    histories = list(template.history.order_by("id"))
    task_type = ContentType.objects.get_for_model(WorkTask)

    batch = 1000
    made = 1
    rng = random.Random(7)
    busy_ids = set(rng.sample(range(instances - 1), min(busy, instances - 1)))
    index = 0
    while made < instances:
        size = min(batch, instances - made)
        with transaction.atomic():
            rows = ProcessInstance.objects.bulk_create(
                [
                    ProcessInstance(
                        org=template.org,
                        definition=template.definition,
                        title=f"{template.title} #{made + i}",
                        status=template.status,
                        state=template.state,
                        data=template.data,
                        initiator=applicant,
                        started_at=template.started_at - dt.timedelta(minutes=made + i),
                        current_step_names=template.current_step_names,
                        next_timer_at=template.next_timer_at,
                        created_by=applicant,
                    )
                    for i in range(size)
                ]
            )
            shared = [index + i in busy_ids for i in range(size)]  # unclaimed, the busy user a candidate
            index += size
            tasks = WorkTask.objects.bulk_create(
                [
                    WorkTask(
                        instance=row,
                        org=row.org,
                        spiff_task_id=head_task.spiff_task_id,
                        activation=head_task.activation,
                        element_id=head_task.element_id,
                        name=head_task.name,
                        status=TaskStatus.READY if is_shared else head_task.status,
                        assignee=None if is_shared else head_task.assignee,
                        form_key=head_task.form_key,
                        due_at=head_task.due_at,
                    )
                    for row, is_shared in zip(rows, shared, strict=True)
                ]
            )
            through = WorkTask.candidates.through
            links = []
            for task, is_shared in zip(tasks, shared, strict=True):
                links.append(through(worktask_id=task.pk, user_id=head.pk))
                if is_shared:
                    links.append(through(worktask_id=task.pk, user_id=busy_user.pk))
            through.objects.bulk_create(links)
            clocks = Clock.objects.bulk_create(
                [
                    Clock(
                        content_type=task_type,
                        object_id=str(task.pk),
                        kind=clock.kind,
                        rule=clock.rule,
                        limit=clock.limit,
                        yellow_ratio=clock.yellow_ratio,
                        started_at=clock.started_at,
                        due_at=clock.due_at,
                        yellow_at=clock.yellow_at,
                        status=clock.status,
                        org=task.org,
                    )
                    for task in tasks
                ]
            )
            for task, task_clock in zip(tasks, clocks, strict=True):
                task.clock_id = task_clock.pk
            WorkTask.objects.bulk_update(tasks, ["clock"])
            TaskHistory.objects.bulk_create(
                [
                    TaskHistory(
                        instance=row,
                        actor=entry.actor,
                        action=entry.action,
                        element_id=entry.element_id,
                        step_name=entry.step_name,
                        outcome=entry.outcome,
                        at=entry.at,
                    )
                    for row in rows
                    for entry in histories
                ]
            )
        made += size
    return template, head, busy_user


def time_completions(head, samples: int) -> list[float]:
    from jiedao.workflow import services
    from jiedao.workflow.choices import TaskStatus
    from jiedao.workflow.models import WorkTask

    ids = list(
        WorkTask.objects.filter(element_id="head", status=TaskStatus.CLAIMED, assignee=head)
        .order_by("?")
        .values_list("pk", flat=True)[:samples]
    )
    times = []
    for pk in ids:
        task = WorkTask.objects.get(pk=pk)
        start = time.perf_counter()
        services.task_complete(actor=head, task=task, form_data={"outcome": "approve"}, opinion="同意")
        times.append(time.perf_counter() - start)
    return times


def time_raw_spiff(template, samples: int) -> tuple[list[float], list[float]]:
    from jiedao.workflow import bpmn, engine
    from jiedao.workflow.choices import TaskStatus

    model = bpmn.model_for(template.definition)
    task_id = template.tasks.get(
        element_id="head", status__in=[TaskStatus.CLAIMED, TaskStatus.READY]
    ).spiff_task_id
    state = template.state
    with_json, in_memory = [], []
    for _ in range(samples):
        context = engine.StepContext(instance=None, actor=None, model=model, moment=engine.now())
        start = time.perf_counter()
        workflow = engine.restore(state, model, context)
        task = workflow.get_task_from_id(task_id)
        step_start = time.perf_counter()
        task.data.update({"outcome": "approve"})
        task.run()
        workflow.do_engine_steps()
        step_end = time.perf_counter()
        engine.dump(workflow)
        with_json.append(time.perf_counter() - start)
        in_memory.append(step_end - step_start)
    return with_json, in_memory


def time_inbox(user, samples: int) -> tuple[list[float], int]:
    from jiedao.workflow import selectors
    from jiedao.workflow.api.views import inbox_items

    times = []
    todo = 0
    for _ in range(samples):
        start = time.perf_counter()
        counts = selectors.counts(user)
        queryset, to_item = inbox_items(user, "todo")
        items = [to_item(row) for row in queryset[:30]]
        times.append(time.perf_counter() - start)
        todo = counts["todo"]
        assert len(items) == 30
    return times, todo


def main() -> None:
    args = parse_args()
    setup_django(args.database, name="jiedao_bench_workflow")
    from django.db import connection

    from jiedao.workflow.models import ProcessInstance

    print(f"database: {connection.vendor}")
    start = time.perf_counter()
    template, head, busy = build(args.instances, args.busy)
    print(
        f"setup: {ProcessInstance.objects.filter(status='running').count():,} live instances in "
        f"{time.perf_counter() - start:.1f} s"
    )
    raw_json, raw_memory = time_raw_spiff(template, args.samples)
    service = time_completions(head, args.samples)
    inbox, todo = time_inbox(busy, args.samples)
    print(f"task_complete (service, one transaction):  {summary_ms(service)}")
    print(f"raw Spiff step (restore + run + dump):     {summary_ms(raw_json)}")
    print(f"raw Spiff step (in memory only):           {summary_ms(raw_memory)}")
    ratio_json = statistics.median(service) / statistics.median(raw_json)
    ratio_memory = statistics.median(service) / statistics.median(raw_memory)
    print(
        f"ratio service / raw (p50): {ratio_json:.1f}x vs restore+run+dump, {ratio_memory:.1f}x vs in-memory"
    )
    print(f"inbox of a user with {todo} open tasks (4 counts + first 30 items): {summary_ms(inbox)}")


if __name__ == "__main__":
    main()
