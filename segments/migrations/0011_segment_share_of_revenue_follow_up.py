from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def date_existing_shares(apps, schema_editor):
    """A share recorded before this migration covers the window that ended at its
    compute, which is when the segment's latest snapshot was taken."""
    Segment = apps.get_model("segments", "Segment")
    SegmentSnapshot = apps.get_model("segments", "SegmentSnapshot")
    latest = SegmentSnapshot.objects.filter(segment_id=OuterRef("pk")).order_by(
        "-computed_at", "-id"
    )
    Segment.objects.filter(share_of_revenue__isnull=False).update(
        share_of_revenue_at=Subquery(latest.values("computed_at")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0010_computejob_progress_segment_result"),
    ]

    operations = [
        migrations.AlterField(
            model_name="segment",
            name="share_of_revenue",
            field=models.FloatField(
                blank=True,
                help_text="Members' share of the workspace's revenue (its revenue event's "
                "property) over the 365 days up to share_of_revenue_at; null when there is "
                "none to share.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="segment",
            name="share_of_revenue_at",
            field=models.DateTimeField(
                blank=True,
                help_text="End of the 365-day window the share of revenue covers: the time of "
                "the compute it was recorded for; null until one is recorded.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="segment",
            name="share_of_revenue_pending",
            field=models.BooleanField(
                default=False,
                help_text="A compute finished and its share of revenue is still being "
                "recorded; meanwhile share_of_revenue is the figure as of share_of_revenue_at.",
            ),
        ),
        migrations.RunPython(date_existing_shares, migrations.RunPython.noop, elidable=True),
    ]
