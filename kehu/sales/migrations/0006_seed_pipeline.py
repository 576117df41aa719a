"""The default sales pipeline of the source documents (DOMAIN.md: 储备 → 目标 → 潜在 → 商机 →
成交, and 输单) and a starting list of reasons for losing, in both languages; both can be
changed afterwards."""

from django.db import migrations

# (code, Chinese, English, default probability, outcome)
STAGES = [
    ("reserve", "储备", "Reserve", 5, "open"),
    ("target", "目标", "Target", 10, "open"),
    ("potential", "潜在", "Potential", 25, "open"),
    ("opportunity", "商机", "Opportunity", 50, "open"),
    ("won", "成交", "Won", 100, "won"),
    ("lost", "输单", "Lost", 0, "lost"),
]

# (code, Chinese, English)
LOST_REASONS = [
    ("price", "价格", "Price"),
    ("competitor", "竞争对手", "Chose a competitor"),
    ("no-budget", "无预算", "No budget"),
    ("no-decision", "未决策", "No decision made"),
    ("product-fit", "产品不匹配", "Product does not fit"),
    ("timing", "时机", "Timing"),
    ("other", "其他", "Other"),
]


def seed(apps, schema_editor):
    Pipeline = apps.get_model("sales", "Pipeline")
    Stage = apps.get_model("sales", "Stage")
    LostReason = apps.get_model("sales", "LostReason")
    if not Pipeline.objects.filter(is_default=True).exists():
        pipeline = Pipeline.objects.create(name_zh="销售流程", name_en="Sales pipeline", is_default=True)
        for position, (code, zh, en, probability, outcome) in enumerate(STAGES):
            Stage.objects.create(pipeline=pipeline, code=code, name_zh=zh, name_en=en, position=position,
                                 probability=probability, outcome=outcome)
    for position, (code, zh, en) in enumerate(LOST_REASONS):
        LostReason.objects.get_or_create(code=code, defaults={"name_zh": zh, "name_en": en, "position": position})


def unseed(apps, schema_editor):
    Pipeline = apps.get_model("sales", "Pipeline")
    LostReason = apps.get_model("sales", "LostReason")
    Pipeline.objects.filter(is_default=True, opportunities__isnull=True).delete()
    LostReason.objects.filter(code__in=[r[0] for r in LOST_REASONS], opportunities__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("sales", "0005_opportunities")]
    operations = [migrations.RunPython(seed, unseed)]
