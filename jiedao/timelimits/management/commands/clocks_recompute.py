import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext_noop

from jiedao.core.i18n import Message
from jiedao.timelimits import services


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"“{value}”不是有效日期，格式应为 YYYY-MM-DD。") from None


class Command(BaseCommand):
    help = (
        "按当前工作日历重新计算在办计时的到期时间（工作日历变更后会自动在后台执行；"
        "任务队列不可用或升级节假日数据包后可手工运行，重复运行无害）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", required=True, help="变更的第一天，YYYY-MM-DD")
        parser.add_argument("--to", dest="last", required=True, help="变更的最后一天，YYYY-MM-DD")
        parser.add_argument(
            "--reason", default="", help="写入计时记录和审计日志的原因（默认：手工重新计算时限）"
        )

    def handle(self, *args, first: str, last: str, reason: str, **options):
        result = services.clocks_recompute(
            first=_date(first), last=_date(last), reason=reason or Message(gettext_noop("手工重新计算时限"))
        )
        self.stdout.write(f"检查 {result.examined} 项在办计时，{result.changed} 项的期限已重新计算。")
