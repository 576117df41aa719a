from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="RateCount",
            fields=[
                ("bucket", models.CharField(max_length=200, primary_key=True, serialize=False, verbose_name="bucket")),
                ("n", models.PositiveIntegerField(default=0, verbose_name="count")),
                ("expires", models.BigIntegerField(db_index=True, verbose_name="expires (Unix time)")),
            ],
            options={"verbose_name": "rate count", "verbose_name_plural": "rate counts"},
        ),
    ]
