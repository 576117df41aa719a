from django.db import migrations


def add_tiers(apps, schema_editor):
    from kehu.marketing.membership.defaults import ensure_default_tiers

    ensure_default_tiers(apps.get_model("membership", "Tier"))


def remove_tiers(apps, schema_editor):
    from kehu.marketing.membership.defaults import DEFAULT_TIERS

    Tier = apps.get_model("membership", "Tier")
    Tier.objects.filter(code__in=[t[0] for t in DEFAULT_TIERS], members__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("membership", "0001_members_tiers_points")]

    operations = [migrations.RunPython(add_tiers, remove_tiers)]
