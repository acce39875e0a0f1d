from django.core.management.base import BaseCommand
from django.db import transaction

from jiedao.registry.identity import id_number_hash, phone_hash
from jiedao.registry.models import Person


class Command(BaseCommand):
    help = (
        "用当前的 JIEDAO_BLIND_INDEX_KEY 重新计算人口证件号码和电话的检索索引（更换索引密钥后运行；"
        "运行期间按号码精确查询可能查不到）。步骤见 docs/operations.md。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, batch_size, **options):
        total = 0
        rows = Person.objects.order_by("pk").values_list("pk", "id_number", "phone")
        batch: list[Person] = []
        for pk, number, phone in rows.iterator(chunk_size=batch_size):
            batch.append(
                Person(
                    pk=pk,
                    id_number_hash=id_number_hash(number),
                    phone_hash=phone_hash(phone) if phone else "",
                )
            )
            if len(batch) >= batch_size:
                total += self._save(batch)
        total += self._save(batch)
        self.stdout.write(f"完成：重建 {total} 人的检索索引。")

    @staticmethod
    def _save(batch: list[Person]) -> int:
        count = len(batch)
        if count:
            with transaction.atomic():
                Person.objects.bulk_update(batch, ["id_number_hash", "phone_hash"])
            batch.clear()
        return count
