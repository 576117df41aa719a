"""The default member tiers (普通 / 银卡 / 金卡 / 钻石): written by the data
migration and by ``kehu membership tiers init`` (which adds any missing one and
changes none that exist)."""

from __future__ import annotations

from decimal import Decimal

# code, Chinese, English, rank, rolling spend threshold (yuan), earn multiplier
DEFAULT_TIERS = (
    ("standard", "普通", "Standard", 0, Decimal("0"), Decimal("1.00")),
    ("silver", "银卡", "Silver", 1, Decimal("5000"), Decimal("1.20")),
    ("gold", "金卡", "Gold", 2, Decimal("20000"), Decimal("1.50")),
    ("diamond", "钻石", "Diamond", 3, Decimal("100000"), Decimal("2.00")),
)


def ensure_default_tiers(Tier) -> int:
    """Create the default tiers that are missing (by code; a rank already taken
    by another tier is left alone). Returns how many were created."""
    created = 0
    for code, zh, en, rank, threshold, multiplier in DEFAULT_TIERS:
        if Tier.objects.filter(code=code).exists() or Tier.objects.filter(rank=rank).exists():
            continue
        Tier.objects.create(code=code, name_zh=zh, name_en=en, rank=rank, threshold=threshold,
                            earn_multiplier=multiplier)
        created += 1
    return created


# The notices' default message templates (e-mail, a service message): code → (event kind, zh subject, zh body,
# en subject, en body). ``notices_send`` creates the missing ones and changes none that exist.
NOTICE_TEMPLATES = {
    "joined": ("membership-joined", "欢迎成为会员 {{ member.number }}",
               "尊敬的{{ contact.name }}：欢迎加入会员计划，您的会员号为 {{ member.number }}，当前等级：{{ member.tier }}。",
               "Welcome, member {{ member.number }}",
               "Dear {{ contact.name }}, welcome to our membership programme. Your member number is "
               "{{ member.number }}; your tier: {{ member.tier_en }}."),
    "tier_up": ("membership-tier-up", "恭喜升级为{{ member.tier }}会员",
                "尊敬的{{ contact.name }}：根据本期等级评定，您的会员等级已升为{{ member.tier }}。感谢您的支持！",
                "You are now a {{ member.tier_en }} member",
                "Dear {{ contact.name }}, after this period's tier review your membership has moved up to "
                "{{ member.tier_en }}. Thank you for your custom!"),
    "tier_down": ("membership-tier-down", "会员等级调整通知",
                  "尊敬的{{ contact.name }}：根据本期等级评定，您的会员等级调整为{{ member.tier }}。"
                  "如有疑问请联系{{ owner.name }}。",
                  "Your membership tier has changed",
                  "Dear {{ contact.name }}, after this period's tier review your membership tier is now "
                  "{{ member.tier_en }}. Questions? Please contact {{ owner.name }}."),
    "tier_set": ("membership-tier-set", "会员等级变更通知",
                 "尊敬的{{ contact.name }}：您的会员等级已变更为{{ member.tier }}。",
                 "Your membership tier has changed",
                 "Dear {{ contact.name }}, your membership tier is now {{ member.tier_en }}."),
    "renewed": ("membership-renewed", "会员已自动续期",
                "尊敬的{{ contact.name }}：您的会员 {{ member.number }} 已自动续期至 {{ member.expires_on }}。",
                "Your membership has been renewed",
                "Dear {{ contact.name }}, your membership {{ member.number }} has been renewed until "
                "{{ member.expires_on }}."),
    "expired": ("membership-expired", "会员已到期",
                "尊敬的{{ contact.name }}：您的会员 {{ member.number }} 已到期。欢迎随时续办。",
                "Your membership has ended",
                "Dear {{ contact.name }}, your membership {{ member.number }} has ended. You are welcome to "
                "renew at any time."),
}


def notice_template(MessageTemplate, kind: str):
    """The message template of a notice of ``kind`` (created with the default text when missing)."""
    code, subject_zh, body_zh, subject_en, body_en = NOTICE_TEMPLATES[kind]
    tpl, _created = MessageTemplate.objects.get_or_create(code=code, defaults=dict(
        name=f"Membership: {kind.replace('_', ' ')}", channel="email", purpose="service", subject_zh=subject_zh,
        body_zh=body_zh, subject_en=subject_en, body_en=body_en))
    return tpl
