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
        self.stdout.write(f"演示账号（密码均为 {demo.DEMO_PASSWORD}）：")
        self.stdout.write(f"  {'用户名':<12}{'姓名':<8}{'角色':<10}所属组织")
        for user, _role in users:
            role_names = "、".join(r.name for r in user.roles.all())
            extra = "（需动态口令，见下）" if user.totp_confirmed else ""
            self.stdout.write(
                f"  {user.username:<14}{user.full_name:<6}{role_names:<8}{user.org.name}{extra}"
            )
        self.stdout.write("")
        self.stdout.write(
            "三员账号须输入动态口令：可将下列密钥加入身份验证器应用，或运行 `make totp USER=sysadmin` 查看当前口令。"
        )
        for user, _role in users:
            if user.totp_confirmed:
                self.stdout.write(f"  {user.username}: {user.totp_secret}")
