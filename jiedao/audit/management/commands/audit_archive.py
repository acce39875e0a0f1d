from django.core.management.base import BaseCommand, CommandError

from jiedao.audit import services
from jiedao.audit.audit_events import AUDIT_ARCHIVED


class Command(BaseCommand):
    help = (
        "把超过保留期的审计日志归档到文件（gzip JSON Lines，记录文件 SM3），归档后从在线表移除。可重复运行。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--retention-days",
            type=int,
            default=None,
            help="保留天数（默认取系统参数 audit.retention_days；不得少于 180 天）",
        )
        parser.add_argument(
            "--max-events", type=int, default=None, help="每个归档文件最多的事件数（默认不限）"
        )

    def handle(self, *args, retention_days, max_events, **options):
        if retention_days is None:
            from jiedao.parameters.services import get_parameter

            retention_days = int(get_parameter("audit.retention_days"))
        archived = 0
        while True:
            try:
                archive = services.archive_expired(retention_days=retention_days, max_events=max_events)
            except services.ArchiveRefused as error:
                services.record(
                    AUDIT_ARCHIVED,
                    actor_name=services.SYSTEM_ACTOR,
                    success=False,
                    message=str(error.message),
                )
                raise CommandError(str(error.message)) from None
            if archive is None:
                break
            archived += archive.event_count
            self.stdout.write(
                f"已归档事件 #{archive.first_event_id}–#{archive.last_event_id}，共 {archive.event_count} 条："
                f"{services.archive_file(archive)}（SM3 {archive.file_sm3}）"
            )
            if not max_events:
                break
        if not archived:
            self.stdout.write(f"没有超过 {retention_days} 天保留期的审计日志。")
