from django.db import migrations, models, transaction
from django.db.models.functions import Cast

CONCLUDED = ("concluded_approved", "concluded_denied")
BATCH = 10_000  # ids per UPDATE


def record_concluded_clock_facts(apps, schema_editor):
    """Already concluded applications: `concluded_overdue` and `concluded_paused_days` from their clocks,
    which have not changed since they stopped at conclusion — one UPDATE per range of BATCH ids, each its
    own transaction, each row's facts looked up by the database (no row is read into Python). No clock: not
    overdue, paused days empty, as 办件统计 counted such an application until now."""
    Application = apps.get_model("applications", "Application")
    Clock = apps.get_model("timelimits", "Clock")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type = ContentType.objects.filter(app_label="applications", model="application").first()
    clock = Clock.objects.filter(
        content_type=content_type, object_id=Cast(models.OuterRef("pk"), models.CharField())
    )
    concluded = Application.objects.filter(status__in=CONCLUDED)
    bounds = concluded.aggregate(first=models.Min("pk"), last=models.Max("pk"))
    if bounds["first"] is None:
        return
    for start in range(bounds["first"], bounds["last"] + 1, BATCH):
        with transaction.atomic():
            concluded.filter(pk__gte=start, pk__lt=start + BATCH).update(
                concluded_overdue=models.Exists(clock.filter(overdue_at_stop=True)),
                concluded_paused_days=models.Subquery(clock.values("paused_days")[:1]),
            )


class Migration(migrations.Migration):
    # Not one transaction: the backfill commits batch by batch (no lock on every concluded application
    # until the end), and the index built after it then holds the updated rows only — inside one
    # transaction PostgreSQL indexed the rows' old versions as well (174 MB instead of ~85 at 1M). Stopped
    # halfway, it is run again as it is: the backfill recomputes every concluded application, and the
    # index is built last.
    atomic = False

    dependencies = [
        ("applications", "0029_concluded_clock_facts"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("timelimits", "0004_event_reason_message"),
    ]

    operations = [
        migrations.RunPython(record_concluded_clock_facts, migrations.RunPython.noop),
        # the 办结 counts' index holds the facts too (they read it alone); built after the backfill
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                fields=[
                    "org",
                    "concluded_at",
                    "status",
                    "item",
                    "window",
                    "accepted_at",
                    "concluded_overdue",
                    "concluded_paused_days",
                ],
                name="applications_stats_concluded",
            ),
        ),
    ]
