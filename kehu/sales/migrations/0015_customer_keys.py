"""The customer's owner and team on each opportunity (customer_owner_id, customer_team_id),
kept by the database: filled from the customers, then triggers copy them whenever an
opportunity is inserted or updated and whenever a customer's owner or team changes, on
PostgreSQL and on SQLite alike. The policy finds a salesperson's or a team's
opportunities through them (kehu/org/policies.py, visible_opportunities)."""

from django.conf import settings
from django.db import migrations, models


def forward(apps, schema_editor):
    from kehu.sales import customer_keys

    customer_keys.ensure(schema_editor.connection, backfill=True)


def backward(apps, schema_editor):
    from kehu.sales import customer_keys

    customer_keys.drop(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0010_customer_custom'),
        ('org', '0001_initial'),
        ('sales', '0014_list_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='opportunity',
            name='customer_owner_id',
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='opportunity',
            name='customer_team_id',
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(forward, backward),
        migrations.AddIndex(
            model_name='opportunity',
            index=models.Index(fields=['customer_owner_id', 'pipeline', 'stage', 'id'], include=('amount', 'probability'), name='opp_cust_owner_board'),
        ),
        migrations.AddIndex(
            model_name='opportunity',
            index=models.Index(fields=['customer_team_id', 'pipeline', 'stage', 'id'], include=('amount', 'probability'), name='opp_cust_team_board'),
        ),
        migrations.AddIndex(
            model_name='opportunity',
            index=models.Index(fields=['customer_owner_id', 'created_at', 'id'], name='opp_cust_owner_created'),
        ),
    ]
