"""Persons whose name begins with a surname read differently from the character's everyday reading (曾 zeng,
单 shan, 欧阳 ouyang…) get the pinyin search keys `identity.pinyin_keys` now gives them (it read 曾 as ceng).
The same batched pass as `manage.py rebuild_pinyin_keys`, over the historical model."""

from django.db import migrations


def forwards(apps, schema_editor):
    from jiedao.registry.management.commands.rebuild_pinyin_keys import rebuild_pinyin_keys

    rebuild_pinyin_keys(model=apps.get_model("registry", "Person"))


class Migration(migrations.Migration):
    dependencies = [("registry", "0006_person_other_phones")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
