from django.core.management.base import BaseCommand, CommandError

from jiedao.audit import services
from jiedao.audit.audit_events import AUDIT_CHAIN_VERIFIED


class Command(BaseCommand):
    help = "校验审计链（SM3 哈希链）和归档文件；发现篡改、删除或文件损坏时以非零状态退出。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--deep", action="store_true", help="逐条重算归档文件中每个事件的哈希（较慢；默认只核对文件 SM3）"
        )

    def handle(self, *args, deep: bool, **options):
        chain = services.verify_chain()
        archives = services.verify_archives(deep=deep)
        services.record(
            AUDIT_CHAIN_VERIFIED,
            actor_name=services.SYSTEM_ACTOR,
            success=chain.ok and archives.ok,
            message=f"{chain.summary} {archives.summary}"[:500],
            after={
                "checked": chain.checked,
                "broken_event_id": chain.broken_event_id,
                "reason": chain.reason,
                "archives_checked": archives.checked,
                "deep": deep,
                "archive_problems": [p.reason for p in archives.problems],
            },
        )
        if chain.ok:
            self.stdout.write(chain.summary)
        if archives.ok:
            self.stdout.write(archives.summary)
        else:
            for problem in archives.problems:
                self.stderr.write(
                    f"归档 #{problem.first_event_id}–#{problem.last_event_id}（{problem.file_path}）：{problem.reason}"
                )
        for name in archives.unregistered_files:
            self.stdout.write(f"未登记的归档文件：{name}")
        if not chain.ok:
            raise CommandError(chain.summary)
        if not archives.ok:
            raise CommandError(f"归档文件校验未通过，共 {len(archives.problems)} 个问题。")
