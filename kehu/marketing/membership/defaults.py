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
