from django.db import migrations


def fill(apps, schema_editor):
    """Existing orders: every customer's sales per day and the day totals, in two statements."""
    from kehu.sales import sales_days

    # the rows per owner and team come with their table (0021_scope_sales_days)
    sales_days.rebuild(using=schema_editor.connection.alias, with_scope=False)


def empty(apps, schema_editor):
    schema_editor.execute("DELETE FROM sales_salesday")
    schema_editor.execute("DELETE FROM sales_customersalesday")


class Migration(migrations.Migration):

    dependencies = [
        ('sales', '0017_sales_per_day'),
    ]

    operations = [
        migrations.RunPython(fill, empty),
    ]
