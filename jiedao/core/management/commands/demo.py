from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand

from jiedao.core import demo
from jiedao.core.maintenance import optimize_database


class Command(BaseCommand):
    help = "载入演示数据（明湖区：2 个街道、6 个社区及网格、各角色演示账号）。可重复执行，不会重复创建。"

    def handle(self, *args, **options):
        users = demo.load()
        for config in apps.get_app_configs():
            if config.name.startswith("jiedao.") and config.label != "core":
                try:
                    module = import_module(f"{config.name}.demo")
                except ModuleNotFoundError as error:
                    if error.name != f"{config.name}.demo":
                        raise
                    continue
                module.load(stdout=self.stdout)
        optimize_database(tables=("registry_person", "registry_household", "registry_house"))
        self.stdout.write("")
        for line in demo.account_lines(users):
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write(
            "三员账号须输入动态口令：可将下列密钥加入身份验证器应用，或运行 `make totp USER=sysadmin` 查看当前口令。"
        )
        for user, _role in users:
            if user.totp_confirmed:
                self.stdout.write(f"  {user.username}: {user.totp_secret}")
