"""People, accounts, aliases and events move here from `segments`: state only.

The tables keep their names (`db_table`) and their rows; nothing is copied.
"""

import django.db.models.deletion
import django.utils.timezone
import people.fields
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('segments', '0008_identifiers_compared_bytewise'),
        ('workspaces', '0002_workspace_revenue_and_refresh'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='PendingSeenRange',
                fields=[
                    ('id', models.BigAutoField(primary_key=True, serialize=False)),
                    ('person_id', models.BigIntegerField()),
                    ('first_seen', models.DateTimeField()),
                    ('last_seen', models.DateTimeField()),
                ],
                options={
                    'db_table': 'segments_pendingseenrange',
                },
            ),
            migrations.CreateModel(
                name='Account',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('group_id', people.fields.IdentifierField(max_length=255)),
                    ('traits', models.JSONField(blank=True, default=dict)),
                    ('trait_times', models.JSONField(blank=True, default=dict)),
                    ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                    ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                    ('workspace', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='accounts', to='workspaces.workspace')),
                ],
                options={
                    'db_table': 'segments_account',
                    'ordering': ['group_id'],
                },
            ),
            migrations.CreateModel(
                name='Person',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('user_id', people.fields.IdentifierField(blank=True, max_length=255, null=True)),
                    ('traits', models.JSONField(blank=True, default=dict)),
                    ('trait_times', models.JSONField(blank=True, default=dict)),
                    ('first_seen', models.DateTimeField(default=django.utils.timezone.now)),
                    ('last_seen', models.DateTimeField(default=django.utils.timezone.now)),
                    ('account', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='people', to='people.account')),
                    ('workspace', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='people', to='workspaces.workspace')),
                ],
                options={
                    'db_table': 'segments_person',
                    'ordering': ['-last_seen', '-id'],
                },
            ),
            migrations.CreateModel(
                name='Event',
                fields=[
                    ('id', models.BigAutoField(primary_key=True, serialize=False)),
                    ('name', people.fields.IdentifierField(max_length=200)),
                    ('properties', models.JSONField(blank=True, default=dict)),
                    ('timestamp', models.DateTimeField()),
                    ('message_id', people.fields.IdentifierField(max_length=255)),
                    ('received_at', models.DateTimeField(default=django.utils.timezone.now)),
                    ('workspace', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='workspaces.workspace')),
                    ('person', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='people.person')),
                ],
                options={
                    'db_table': 'segments_event',
                    'ordering': ['-timestamp', '-id'],
                },
            ),
            migrations.CreateModel(
                name='PersonAlias',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('anonymous_id', people.fields.IdentifierField(max_length=255)),
                    ('person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='aliases', to='people.person')),
                    ('workspace', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='workspaces.workspace')),
                ],
                options={
                    'db_table': 'segments_personalias',
                },
            ),
            migrations.CreateModel(
                name='SeenRangeRebuild',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('after_event_id', models.BigIntegerField()),
                    ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                    ('workspace', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='workspaces.workspace')),
                ],
                options={
                    'db_table': 'segments_seenrangerebuild',
                },
            ),
            migrations.AddConstraint(
                model_name='account',
                constraint=models.UniqueConstraint(fields=('workspace', 'group_id'), name='uniq_account_group_id'),
            ),
            migrations.AddIndex(
                model_name='person',
                index=models.Index(fields=['workspace', 'last_seen'], name='person_ws_last_seen'),
            ),
            migrations.AddConstraint(
                model_name='person',
                constraint=models.UniqueConstraint(condition=models.Q(('user_id__isnull', False)), fields=('workspace', 'user_id'), name='uniq_person_user_id'),
            ),
            migrations.AddIndex(
                model_name='event',
                index=models.Index(fields=['workspace', 'name', 'timestamp'], include=('person',), name='event_ws_name_ts'),
            ),
            migrations.AddIndex(
                model_name='event',
                index=models.Index(fields=['person', 'timestamp'], name='event_person_ts'),
            ),
            migrations.AddConstraint(
                model_name='event',
                constraint=models.UniqueConstraint(fields=('workspace', 'message_id'), name='uniq_event_message_id'),
            ),
            migrations.AddConstraint(
                model_name='personalias',
                constraint=models.UniqueConstraint(fields=('workspace', 'anonymous_id'), name='uniq_alias_anonymous_id'),
            ),
            ],
            database_operations=[],
        ),
    ]
