from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Counter",
            fields=[
                ("name", models.CharField(max_length=40, primary_key=True, serialize=False, verbose_name="series")),
                ("value", models.BigIntegerField(default=0, verbose_name="last number")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
            ],
            options={"verbose_name": "number counter", "verbose_name_plural": "number counters"},
        ),
    ]
