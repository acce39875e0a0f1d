from django.db import migrations

from jiedao.registry import search_indexes


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(search_indexes.create, search_indexes.drop)]
