from functools import reduce
from operator import or_

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q

from jiedao.registry.identity import LATIN_LETTER_IN_NAME, pinyin_keys, surname_prefixes
from jiedao.registry.models import Person


def rebuild_pinyin_keys(*, everyone: bool = False, batch_size: int = 2000, model=Person) -> tuple[int, int]:
    """Recompute the stored pinyin search keys of persons; (persons read, persons changed).

    By default only names that begin with a surname `identity.split_surname` reads as a surname (曾, 单…,
    欧阳…) and names with Latin letters (`identity.latin_words`): the keys of every other name are what they
    were. `everyone` reads the whole table (after a pypinyin upgrade). Batched by primary key, one short transaction per batch, so it can run on a live
    system and be interrupted and run again. `model`: the historical model, when a migration runs it.
    """
    queryset = model.objects.all()
    if not everyone:
        queryset = queryset.filter(
            reduce(
                or_, (Q(name__startswith=p) for p in surname_prefixes()), Q(name__regex=LATIN_LETTER_IN_NAME)
            )
        )
    rows = queryset.order_by("pk").values_list("pk", "name", "name_pinyin", "name_initials")
    seen = changed = 0
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last)[:batch_size])
        if not batch:
            return seen, changed
        last = batch[-1][0]
        seen += len(batch)
        stale = []
        for pk, name, full, initials in batch:
            keys = pinyin_keys(name)
            if keys != (full, initials):
                stale.append(model(pk=pk, name_pinyin=keys[0], name_initials=keys[1]))
        if stale:
            with transaction.atomic():
                model.objects.bulk_update(stale, ["name_pinyin", "name_initials"], batch_size=500)
            changed += len(stale)


class Command(BaseCommand):
    help = (
        "重新计算人口姓名的拼音检索键（全拼、首字母）。默认只处理以多音字姓氏或复姓开头的姓名"
        "（曾 zeng、单 shan、欧阳等，见 registry/identity.py）；升级 pypinyin 后加 --all 处理全部人口。"
        "可在运行中的系统上执行，可中断后重跑。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", dest="everyone", help="处理全部人口")
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, everyone, batch_size, **options):
        seen, changed = rebuild_pinyin_keys(everyone=everyone, batch_size=batch_size)
        self.stdout.write(f"完成：检查 {seen} 人，更新 {changed} 人的拼音检索键。")
