import signal
import threading

from django.core.management.base import BaseCommand

from jiedao.core.schedule import JOBS, holder_id, release_lease, run_due_jobs


class Command(BaseCommand):
    help = "运行定时任务调度器（可重复启动：同一时间只有持有租约的进程派发任务）。"

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=int, default=30, help="检查间隔（秒）")
        parser.add_argument("--once", action="store_true", help="只检查一次后退出")

    def handle(self, *args, interval, once, **options):
        holder = holder_id()
        # Stopping (systemd, Ctrl-C in `make run`) ends the wait at once instead of after the interval.
        stopping = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
        self.stdout.write(f"调度器 {holder} 已启动，共 {len(JOBS)} 个定时任务。")
        try:
            while not stopping.is_set():
                for name in run_due_jobs(holder):
                    self.stdout.write(f"已派发定时任务：{name}")
                if once:
                    break
                stopping.wait(interval)
        finally:
            release_lease(holder)
