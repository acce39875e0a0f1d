"""人户分离 stored on the person (`Person.residence_split`), so that the list filtered by it reads one index range
instead of comparing every person's community with its household's and house's for the whole scope.

Existing persons get their category from the one rule (`ResidenceRule`, through
`services.residence.refresh_all`: set-based, batches of primary-key ranges, rows whose category is "" left
alone) before the index is built, so that the index is written once rather than updated row by row. The
rule is the current code's, not a copy frozen here: it reads only the org tree, memberships, households and
houses, which this migration's state has."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    from jiedao.registry.services.residence import refresh_all

    refresh_all()


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0002_orgunit_remedy_bodies"),
        ("registry", "0022_latin_name_pinyin_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="residence_split",
            field=models.CharField(
                blank=True,
                choices=[("consistent", "人户一致"), ("away", "户在人不在"), ("elsewhere", "人在户不在")],
                db_default="",
                default="",
                editable=False,
                max_length=10,
                verbose_name="人户状态",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                fields=["residence_split", "name_pinyin", "name", "id", "org", "status", "birth_date"],
                name="registry_person_split_list",
            ),
        ),
    ]
