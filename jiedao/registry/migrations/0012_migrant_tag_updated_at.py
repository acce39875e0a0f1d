# The version an edit page carries for a migrant record and a special-group tag (issue #3): existing rows
# take the time of the migration, every later save its own.

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0011_person_list_index_birth_date"),
    ]

    operations = [
        migrations.AddField(
            model_name="migrant",
            name="updated_at",
            field=models.DateTimeField(
                auto_now=True, default=django.utils.timezone.now, verbose_name="更新时间"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="specialgrouptag",
            name="updated_at",
            field=models.DateTimeField(
                auto_now=True, default=django.utils.timezone.now, verbose_name="更新时间"
            ),
            preserve_default=False,
        ),
    ]
