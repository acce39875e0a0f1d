import django.db.models.deletion
from django.db import migrations, models

# The generated AlterField would rebuild registry_person on SQLite (copying every row and dropping the search
# triggers until post_migrate re-creates them) only to leave out one index: drop the index instead. The name
# is the one Django gave it in 0001 (the same on SQLite and PostgreSQL).
INDEX = "registry_person_org_id_7140feff"


class Migration(migrations.Migration):

    dependencies = [
        ('orgs', '0001_initial'),
        ('registry', '0004_blind_index_constraints'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='person',
                    name='org',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orgs.orgunit', verbose_name='所属组织'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {INDEX}",
                    f"CREATE INDEX IF NOT EXISTS {INDEX} ON registry_person (org_id)",
                ),
            ],
        ),
    ]
