"""The kept sales per owner, team and day (``ScopeSalesDay``, kehu/sales/sales_days.py):
the table, filled from the customers' rows per day under their current owner and team,
and the trigger that moves a customer's rows when its owner or team changes
(kehu/sales/scope_keys.py), on PostgreSQL and SQLite alike."""

from django.db import migrations, models


def fill(apps, schema_editor):
    schema_editor.execute(
        "INSERT INTO sales_scopesalesday (owner_id, team_id, day, orders, revenue_cents) "
        "SELECT c.owner_id, c.team_id, k.day, SUM(k.orders), SUM(k.revenue_cents) "
        "FROM sales_customersalesday AS k JOIN customers_customer AS c ON c.id = k.customer_id "
        "GROUP BY c.owner_id, c.team_id, k.day")
    from kehu.sales import scope_keys

    scope_keys.ensure(schema_editor.connection)


def unfill(apps, schema_editor):
    from kehu.sales import scope_keys

    scope_keys.drop(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('sales', '0020_sales_day_deltas'),
    ]

    operations = [
        migrations.CreateModel(
            name='ScopeSalesDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('owner_id', models.IntegerField(blank=True, null=True, verbose_name='owner')),
                ('team_id', models.IntegerField(blank=True, null=True, verbose_name='team')),
                ('day', models.DateField(verbose_name='order date')),
                ('orders', models.IntegerField(verbose_name='orders')),
                ('revenue_cents', models.BigIntegerField(verbose_name='revenue (cents)')),
            ],
            options={
                'verbose_name': 'sales of a day per owner and team',
                'verbose_name_plural': 'sales per day per owner and team',
                'indexes': [models.Index(fields=['owner_id', 'day'], name='scope_sales_day_owner'), models.Index(fields=['team_id', 'day'], name='scope_sales_day_team')],
            },
        ),
        migrations.RunPython(fill, unfill),
    ]
