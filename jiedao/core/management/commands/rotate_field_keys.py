from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from jiedao.core import crypto
from jiedao.core.fields import EncryptedTextField


class Command(BaseCommand):
    help = "用 JIEDAO_FIELD_KEYS 中的第一个（最新）密钥重新加密所有加密字段。轮换步骤见 docs/operations.md。"

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not names:
                continue
            rewritten = 0
            with transaction.atomic():
                # Reading decrypts with whichever configured key wrote the value; writing encrypts with the first.
                for pk, *values in model._default_manager.values_list("pk", *names).iterator(chunk_size=1000):
                    if any(values):
                        model._default_manager.filter(pk=pk).update(**dict(zip(names, values, strict=True)))
                        rewritten += 1
            total += rewritten
            self.stdout.write(f"{model._meta.label}: {rewritten} 条")
        self.stdout.write(
            f"完成，共重新加密 {total} 条记录；当前密钥编号 {crypto.key_id(crypto._keys()[0])}。"
        )
