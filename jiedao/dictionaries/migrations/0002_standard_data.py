"""Load the built-in dictionaries (national standard code tables and platform lists) from standard_data."""

from django.db import migrations


def load_standard_data(apps, schema_editor):
    from jiedao.dictionaries.standard_data import load_into

    load_into(apps.get_model("dictionaries", "DictionaryType"), apps.get_model("dictionaries", "DictionaryItem"))


class Migration(migrations.Migration):

    dependencies = [
        ("dictionaries", "0001_initial"),
    ]

    operations = [
        # Reversing leaves the rows: records elsewhere may already refer to the codes.
        migrations.RunPython(load_standard_data, migrations.RunPython.noop),
    ]
