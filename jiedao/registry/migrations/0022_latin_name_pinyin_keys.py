"""Persons whose name has Latin letters (a foreign resident's `Li Na`, `John Smith`) get the keys
`identity.pinyin_keys` now gives them ("lina", "ln"): they had none, so they were listed before every Chinese
name and not found by the letters of their name's words. The same batched pass as
`manage.py rebuild_pinyin_keys`, over the historical model."""

from django.db import migrations


def forwards(apps, schema_editor):
    from jiedao.registry.management.commands.rebuild_pinyin_keys import rebuild_pinyin_keys

    rebuild_pinyin_keys(model=apps.get_model("registry", "Person"))


class Migration(migrations.Migration):
    dependencies = [("registry", "0021_person_list_pinyin_order")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
