"""Data migration: the behavioural fields (usage rate, user status, loyalty
level, preferred channel) were free text; they now hold choice codes. Values
that name a choice — its code, English label or Chinese name, as earlier
versions and the demo wrote them — become that code; any other value becomes
blank, and how many per field is logged (logger ``kehu.migrations``).

The mapping is frozen here, not read from the models, so that the migration
means the same whatever the choices become later. Reversing keeps the codes
(valid free text)."""

import logging

from django.db import migrations

logger = logging.getLogger("kehu.migrations")

MAPPINGS = {
    "usage_rate": {
        "none": ["none", "non-user", "non user", "nonuser", "no use", "未使用", "不使用", "无", "零使用"],
        "light": ["light", "light user", "low", "少量使用", "少量", "轻度", "轻度使用", "低"],
        "medium": ["medium", "medium user", "moderate", "中度使用", "中度", "中等", "中"],
        "heavy": ["heavy", "heavy user", "high", "大量使用", "大量", "重度", "重度使用", "高"],
    },
    "user_status": {
        "non_user": ["non_user", "non-user", "non user", "nonuser", "非使用者", "非用户", "未使用"],
        "ex_user": ["ex_user", "ex-user", "ex user", "former", "former user", "曾经使用者", "曾经用户", "前用户"],
        "potential": ["potential", "potential user", "潜在使用者", "潜在用户", "潜在"],
        "first_time": ["first_time", "first-time", "first time", "first-time user", "first time user", "new",
                       "首次使用者", "首次用户", "首次", "新用户"],
        "regular": ["regular", "regular user", "常用", "经常使用者", "经常用户", "老用户", "固定用户"],
    },
    "loyalty_level": {
        "none": ["none", "no loyalty", "无", "无忠诚", "不忠诚"],
        "low": ["low", "低", "较低"],
        "medium": ["medium", "moderate", "中", "中等", "一般"],
        "high": ["high", "strong", "高", "较高", "强"],
        "absolute": ["absolute", "hard-core", "hard core", "绝对忠诚", "绝对", "坚定"],
    },
    "preferred_channel": {
        "phone": ["phone", "telephone", "call", "电话"],
        "sms": ["sms", "text", "短信"],
        "wechat": ["wechat", "weixin", "微信"],
        "email": ["email", "e-mail", "mail address", "邮件", "电子邮件", "邮箱"],
        "visit": ["visit", "in person", "上门", "拜访", "上门拜访", "面谈"],
        "mail": ["mail", "post", "letter", "邮寄", "信件"],
        "online": ["online", "web", "internet", "网上", "网络", "线上"],
    },
}


def _lookup(field: str) -> dict[str, str]:
    return {spelling.lower(): code for code, spellings in MAPPINGS[field].items() for spelling in spellings}


def to_codes(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    for field, mapping in MAPPINGS.items():
        lookup = _lookup(field)
        # order_by(): without it the model's ordering joins the DISTINCT (a row per customer)
        values = Customer.objects.exclude(**{field: ""}).order_by().values_list(field, flat=True).distinct()
        unknown = 0
        for value in list(values):
            code = lookup.get(value.strip().lower(), "")
            if code == value:
                continue
            rows = Customer.objects.filter(**{field: value})
            if not code:
                n = rows.update(**{field: ""})
                unknown += n
                logger.warning("customers.%s: %d customer(s) had %r, not a known value; now blank", field, n, value)
            else:
                rows.update(**{field: code})
        if unknown:
            logger.warning("customers.%s: %d value(s) without a matching choice were blanked", field, unknown)


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0008_field_validators_and_behaviour_choices"),
    ]

    operations = [
        migrations.RunPython(to_codes, migrations.RunPython.noop, elidable=False),
    ]
