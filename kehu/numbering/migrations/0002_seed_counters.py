"""Data: start the customer and order counters from the highest codes in use."""

from django.db import migrations
from django.db.models.functions import Length

SERIES = (("customer", "C", 8, "customers", "Customer"), ("order", "SO", 9, "sales", "Order"))


def seed(apps, schema_editor):
    Counter = apps.get_model("numbering", "Counter")
    for name, prefix, width, app_label, model_name in SERIES:
        model = apps.get_model(app_label, model_name)
        last = (model.objects.filter(ref__regex=rf"^{prefix}[0-9]{{{width},}}$")
                .annotate(ref_length=Length("ref")).order_by("-ref_length", "-ref")
                .values_list("ref", flat=True).first())
        Counter.objects.update_or_create(name=name, defaults={"value": int(last[len(prefix):]) if last else 0})


def unseed(apps, schema_editor):
    apps.get_model("numbering", "Counter").objects.filter(name__in=[s[0] for s in SERIES]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("numbering", "0001_initial"),
        ("customers", "0005_import_run"),
        ("sales", "0001_initial"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
