import pyotp
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from jiedao.accounts.models import User
from jiedao.core.demo import DEMO_USERS


class Command(BaseCommand):
    help = "显示演示账号当前的动态口令（仅限开发/演示环境的演示账号）。"

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if not settings.DEBUG or username not in {u[0] for u in DEMO_USERS}:
            raise CommandError("只能在开发/演示环境中查看演示账号的动态口令。")
        user = User.objects.filter(username=username, totp_confirmed=True).first()
        if user is None:
            raise CommandError("该账号未绑定动态口令。")
        self.stdout.write(pyotp.TOTP(user.totp_secret).now())
