"""People, accounts, aliases and events now live in `people`: state only, no table changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0001_initial"),
        ("segments", "0008_identifiers_compared_bytewise"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="account",
                    name="workspace",
                ),
                migrations.RemoveField(
                    model_name="person",
                    name="account",
                ),
                migrations.RemoveField(
                    model_name="event",
                    name="person",
                ),
                migrations.RemoveField(
                    model_name="event",
                    name="workspace",
                ),
                migrations.DeleteModel(
                    name="PendingSeenRange",
                ),
                migrations.RemoveField(
                    model_name="person",
                    name="workspace",
                ),
                migrations.RemoveField(
                    model_name="personalias",
                    name="person",
                ),
                migrations.AlterField(
                    model_name="segmentmembership",
                    name="person",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="segment_memberships",
                        to="people.person",
                    ),
                ),
                migrations.RemoveField(
                    model_name="personalias",
                    name="workspace",
                ),
                migrations.RemoveField(
                    model_name="seenrangerebuild",
                    name="workspace",
                ),
                migrations.DeleteModel(
                    name="Account",
                ),
                migrations.DeleteModel(
                    name="Event",
                ),
                migrations.DeleteModel(
                    name="Person",
                ),
                migrations.DeleteModel(
                    name="PersonAlias",
                ),
                migrations.DeleteModel(
                    name="SeenRangeRebuild",
                ),
            ],
            database_operations=[],
        ),
    ]
