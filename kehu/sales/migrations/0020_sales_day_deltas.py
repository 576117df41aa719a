"""``SalesDay`` becomes rows of differences (kehu/sales/sales_days.py): an id as the
primary key and an index on the day instead of the day as the key. The existing rows
are kept as they are (one row per day: a day's first delta). Done as a new table and
a copy, the same on SQLite and PostgreSQL; backwards, the days' sums."""

from django.db import migrations, models


def copy_rows(apps, schema_editor):
    schema_editor.execute("INSERT INTO sales_salesday (day, orders, revenue_cents) "
                          "SELECT day, orders, revenue_cents FROM sales_salesdaykeyed")


def copy_sums(apps, schema_editor):
    schema_editor.execute("INSERT INTO sales_salesdaykeyed (day, orders, revenue_cents) "
                          "SELECT day, SUM(orders), SUM(revenue_cents) FROM sales_salesday GROUP BY day")


class Migration(migrations.Migration):

    dependencies = [
        ('sales', '0019_order_partner_order_partner_margin_pct'),
    ]

    operations = [
        migrations.RenameModel('SalesDay', 'SalesDayKeyed'),
        migrations.CreateModel(
            name='SalesDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(verbose_name='order date')),
                ('orders', models.IntegerField(verbose_name='orders')),
                ('revenue_cents', models.BigIntegerField(verbose_name='revenue (cents)')),
            ],
            options={
                'verbose_name': 'sales of a day',
                'verbose_name_plural': 'sales per day',
                'indexes': [models.Index(fields=['day'], name='sales_day_day')],
            },
        ),
        migrations.RunPython(copy_rows, copy_sums),
        migrations.DeleteModel('SalesDayKeyed'),
    ]
