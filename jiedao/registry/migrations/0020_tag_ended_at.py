from django.db import migrations, models


def mark_ended_tags(apps, schema_editor):
    """Tags ended by 解除 before the field existed: each 解除 left a timeline entry on the tag's last day with its
    group, so those tags are not listed for review (特殊人群到期复核) nor renewed."""
    LifeEvent = apps.get_model("registry", "LifeEvent")
    SpecialGroupTag = apps.get_model("registry", "SpecialGroupTag")
    ended = LifeEvent.objects.filter(kind="tag_ended").values_list(
        "person_id", "occurred_on", "details", "created_at"
    )
    for person_id, occurred_on, details, created_at in ended.iterator(chunk_size=2000):
        group = (details or {}).get("group")
        if group:
            SpecialGroupTag.objects.filter(
                person_id=person_id, group=group, valid_until=occurred_on, ended_at__isnull=True
            ).update(ended_at=created_at)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0019_tag_valid_until_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="specialgrouptag",
            name="ended_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="解除时间"),
        ),
        migrations.RunPython(mark_ended_tags, migrations.RunPython.noop),
    ]
