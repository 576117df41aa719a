"""The case categories of the source documents (DOMAIN.md §6), in both languages;
the tree can be changed afterwards."""

from django.db import migrations

# (code, parent code, English, Chinese)
CATEGORIES = [
    ("product-quality", None, "Product quality", "产品质量"),
    ("product-defect", "product-quality", "Defect or fault", "产品故障"),
    ("product-safety", "product-quality", "Safety", "安全隐患"),
    ("delivery", None, "Delivery", "送货"),
    ("delivery-late", "delivery", "Late delivery", "送货延误"),
    ("delivery-damage", "delivery", "Damaged in transit", "运输损坏"),
    ("billing", None, "Billing", "收费"),
    ("billing-error", "billing", "Wrong bill", "账单错误"),
    ("meter-reading", "billing", "Meter reading", "抄表"),
    ("repair", None, "Repair", "维修"),
    ("repair-warranty", "repair", "Under warranty", "保修期内维修"),
    ("repair-paid", "repair", "Paid repair", "有偿维修"),
    ("installation", None, "Installation", "安装"),
    ("service-attitude", None, "Service attitude", "服务态度"),
    ("supply", None, "Supply interruption", "供应中断"),
    ("other", None, "Other", "其他"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("service", "CaseCategory")
    made = {}
    for position, (code, parent, en, zh) in enumerate(CATEGORIES):
        made[code] = Category.objects.get_or_create(
            code=code, defaults={"parent": made.get(parent), "name_en": en, "name_zh": zh,
                                 "position": position})[0]


def unseed(apps, schema_editor):
    Category = apps.get_model("service", "CaseCategory")
    codes = [c[0] for c in CATEGORIES]
    Category.objects.filter(code__in=codes, parent__isnull=False, cases__isnull=True).delete()
    Category.objects.filter(code__in=codes, cases__isnull=True, children__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("service", "0001_cases")]
    operations = [migrations.RunPython(seed, unseed)]
