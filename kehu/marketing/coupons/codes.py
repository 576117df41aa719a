"""Coupon codes and the discount of a coupon on an order: pure functions, no
Django (tested on their own).

Codes are drawn with :mod:`secrets` from a 32-character alphabet without the
look-alikes 0/O and 1/I: 12 random characters are 60 bits (about 1.2e18
codes; with a million codes issued a guess hits one in about a trillion
tries), followed by one check character (Luhn mod N, which catches every
single wrong character and every swap of two neighbours but ``2Z`` ↔ ``Z2``,
as Luhn's mod 10 misses 09 ↔ 90). They are shown in
groups of four (``K7QM-2XWE-9HTR-P``); typing is forgiving: lower case,
spaces and hyphens are ignored.
"""

from __future__ import annotations

import secrets
from decimal import ROUND_HALF_UP, Decimal

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
RANDOM_LENGTH = 12
CODE_LENGTH = RANDOM_LENGTH + 1
CENT = Decimal("0.01")

_INDEX = {c: i for i, c in enumerate(ALPHABET)}


def check_character(body: str) -> str:
    """The Luhn mod N check character of ``body`` (characters of :data:`ALPHABET`)."""
    n = len(ALPHABET)
    factor = 2
    total = 0
    for ch in reversed(body):
        addend = factor * _INDEX[ch]
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def generate_code() -> str:
    """A new random code: :data:`RANDOM_LENGTH` characters and the check character."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return body + check_character(body)


def normalise(text: str) -> str:
    """A typed code as stored: upper case, without spaces and hyphens."""
    return "".join(ch for ch in str(text or "").upper() if ch not in " -\t\u3000")


def is_well_formed(code: str) -> bool:
    """Whether ``code`` (normalised) is a code :func:`generate_code` could have made."""
    return (len(code) == CODE_LENGTH and all(ch in _INDEX for ch in code)
            and check_character(code[:-1]) == code[-1])


def display(code: str) -> str:
    """``K7QM2XWE9HTRP`` → ``K7QM-2XWE-9HTR-P`` (other codes as they are)."""
    if not is_well_formed(code):
        return code
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def discount(*, kind: str, value: Decimal, eligible: Decimal) -> Decimal:
    """The discount a coupon gives on ``eligible`` (the amount of the order's lines
    it applies to), rounded half up to the cent and never more than ``eligible``.

    - ``amount``: ``min(value, eligible)`` (a ¥50 coupon on ¥30 gives ¥30);
    - ``percentage``: ``eligible × value / 100`` (``value`` is the percentage off:
      10 is "10% off", 九折).
    """
    eligible = Decimal(eligible)
    if eligible <= 0:
        return Decimal("0.00")
    if kind == "amount":
        off = Decimal(value)
    elif kind == "percentage":
        off = eligible * Decimal(value) / Decimal(100)
    else:
        raise ValueError(f"unknown coupon kind {kind!r}")
    return min(off, eligible).quantize(CENT, rounding=ROUND_HALF_UP)
