# The statistics page's precomputed counts per org node (issue #3): a district of 1,000,000 persons sums a
# snapshot's rows instead of aggregating every person on each request.

import django.db.models.deletion
import jiedao.core.scope
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0002_orgunit_remedy_bodies"),
        ("registry", "0012_migrant_tag_updated_at"),
    ]

    operations = [
        migrations.CreateModel(
            name="StatisticsSnapshot",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("taken_at", models.DateTimeField(db_index=True, verbose_name="数据截至")),
                ("as_of", models.DateField(verbose_name="统计日期")),
            ],
            options={
                "verbose_name": "人口统计快照",
                "verbose_name_plural": "人口统计快照",
                "permissions": [("refresh_statisticssnapshot", "可立即刷新人口统计")],
            },
        ),
        migrations.CreateModel(
            name="StatisticsCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("person", "现居住人口"),
                            ("migrant", "流动人口"),
                            ("household", "户"),
                            ("tag", "特殊人群"),
                            ("enterprise", "在营企业"),
                        ],
                        max_length=10,
                    ),
                ),
                ("key", models.CharField(blank=True, max_length=30)),
                ("count", models.PositiveIntegerField()),
                (
                    "org",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="orgs.orgunit",
                    ),
                ),
                (
                    "snapshot",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="counts",
                        to="registry.statisticssnapshot",
                    ),
                ),
            ],
            options={
                "verbose_name": "人口统计快照数",
                "verbose_name_plural": "人口统计快照数",
                "indexes": [models.Index(fields=["snapshot", "kind", "org"], name="registry_statcount_read")],
            },
            bases=(jiedao.core.scope.ScopeAware, models.Model),
        ),
    ]
