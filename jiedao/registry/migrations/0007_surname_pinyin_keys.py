"""Persons whose name begins with a surname read differently from the character's everyday reading (曾 zeng,
单 shan, 欧阳 ouyang…) get the pinyin search keys `identity.pinyin_keys` now gives them (it read 曾 as ceng).
Only those names are read, in batches; `manage.py rebuild_pinyin_keys` does the same on demand."""

from functools import reduce
from operator import or_

from django.db import migrations
from django.db.models import Q


def forwards(apps, schema_editor):
    from jiedao.registry.identity import pinyin_keys, surname_prefixes

    Person = apps.get_model("registry", "Person")
    names = reduce(or_, (Q(name__startswith=prefix) for prefix in surname_prefixes()))
    rows = (
        Person.objects.filter(names).order_by("pk").values_list("pk", "name", "name_pinyin", "name_initials")
    )
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last)[:2000])
        if not batch:
            return
        last = batch[-1][0]
        stale = []
        for pk, name, full, initials in batch:
            keys = pinyin_keys(name)
            if keys != (full, initials):
                stale.append(Person(pk=pk, name_pinyin=keys[0], name_initials=keys[1]))
        Person.objects.bulk_update(stale, ["name_pinyin", "name_initials"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("registry", "0006_person_other_phones")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
