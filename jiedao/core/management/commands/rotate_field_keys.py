from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import models, transaction

from jiedao.core import crypto
from jiedao.core.fields import EncryptedTextField
from jiedao.core.storage import EncryptedFileSystemStorage

CHUNK = 1000


class Command(BaseCommand):
    help = (
        "用 JIEDAO_FIELD_KEYS 中的第一个（最新）密钥重新加密所有加密字段和加密存放的文件（申请材料、证明材料、"
        "照片、文书；此前未加密的文件一并加密）。轮换步骤见 docs/operations.md。"
    )

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not names:
                continue
            rewritten = 0
            manager = model._default_manager
            pks = list(manager.order_by("pk").values_list("pk", flat=True))
            # A transaction per chunk, not per table: each value decrypts under either key, so a run stopped
            # between chunks leaves nothing unreadable, and SQLite's write lock is held a moment, not minutes.
            for start in range(0, len(pks), CHUNK):
                with transaction.atomic():
                    # Reading decrypts with whichever configured key wrote the value; writing uses the first.
                    chunk = manager.filter(pk__in=pks[start : start + CHUNK]).values_list("pk", *names)
                    for pk, *values in chunk:
                        if any(values):
                            manager.filter(pk=pk).update(**dict(zip(names, values, strict=True)))
                            rewritten += 1
            total += rewritten
            self.stdout.write(f"{model._meta.label}: {rewritten} 条")
        files = missing = 0
        for model in apps.get_models():
            for field in model._meta.concrete_fields:
                if not isinstance(field, models.FileField) or not isinstance(
                    field.storage, EncryptedFileSystemStorage
                ):
                    continue
                names = model._default_manager.exclude(**{field.name: ""}).values_list(field.name, flat=True)
                for name in names.iterator(chunk_size=1000):
                    try:
                        files += field.storage.rewrite(name)
                    except FileNotFoundError:
                        missing += 1
                        self.stderr.write(f"文件缺失：{model._meta.label}.{field.name} {name}")
        for config in apps.get_app_configs():  # files an app keeps outside FileFields (import uploads)
            rewrite = getattr(config, "rewrite_encrypted_files", None)
            if rewrite is not None:
                rewritten = rewrite()
                files += rewritten
                self.stdout.write(f"{config.label} 其他文件: {rewritten} 个")
        self.stdout.write(
            f"完成，共重新加密 {total} 条记录、{files} 个文件（缺失 {missing} 个）；"
            f"当前密钥编号 {crypto.key_id(crypto._keys()[0])}。"
        )
