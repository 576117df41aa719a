"""Codes and the discount: pure functions."""

import math
from decimal import Decimal

import pytest

from kehu.marketing.coupons import codes


def test_codes_use_the_readable_alphabet_and_are_long_enough_to_be_unguessable():
    assert not set("0O1I") & set(codes.ALPHABET) and len(codes.ALPHABET) == 32
    drawn = [codes.generate_code() for _ in range(20_000)]
    assert len(set(drawn)) == len(drawn)
    for code in drawn[:2000]:
        assert len(code) == codes.CODE_LENGTH and set(code) <= set(codes.ALPHABET)
        assert codes.is_well_formed(code)
    # at least 60 random bits: guessing one of a million issued codes takes ~1e12 tries
    assert codes.RANDOM_LENGTH * math.log2(len(codes.ALPHABET)) >= 60


def test_every_character_is_used_roughly_evenly():
    from collections import Counter

    counts = Counter("".join(codes.generate_code()[:-1] for _ in range(4000)))
    expected = 4000 * codes.RANDOM_LENGTH / 32
    assert set(counts) == set(codes.ALPHABET)
    assert all(abs(n - expected) < 0.25 * expected for n in counts.values())


def test_the_check_character_catches_a_wrong_character_and_a_swap():
    code = codes.generate_code()
    for i in range(codes.CODE_LENGTH):
        for ch in codes.ALPHABET:
            if ch != code[i]:
                assert not codes.is_well_formed(code[:i] + ch + code[i + 1:])
    for i in range(codes.CODE_LENGTH - 1):
        if code[i] != code[i + 1] and {code[i], code[i + 1]} != {"2", "Z"}:  # Luhn's one blind pair
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
            assert not codes.is_well_formed(swapped)


def test_the_check_character_misses_only_the_first_and_last_symbol_swapped():
    body = "ABCDEFGHJK"
    for a in codes.ALPHABET:
        for b in codes.ALPHABET:
            if a != b:
                one, two = body + a + b, body + b + a
                same = codes.check_character(one) == codes.check_character(two)
                assert same == ({a, b} == {"2", "Z"}), (a, b)


def test_typing_is_forgiving_and_display_groups_by_four():
    code = codes.generate_code()
    shown = codes.display(code)
    assert shown.replace("-", "") == code and shown.count("-") == 3
    assert codes.normalise(" " + shown.lower() + " ") == code
    assert codes.display("SPRING2026") == "SPRING2026"


@pytest.mark.parametrize("kind,value,eligible,expected", [
    ("amount", "20", "300", "20.00"),
    ("amount", "50", "30", "30.00"),          # never more than the lines it applies to
    ("percentage", "10", "299.99", "30.00"),  # 29.999 rounds half up to the cent
    ("percentage", "15", "33.30", "5.00"),    # 4.995 → 5.00
    ("percentage", "100", "88.88", "88.88"),
    ("amount", "20", "0", "0.00"),
])
def test_discount(kind, value, eligible, expected):
    assert codes.discount(kind=kind, value=Decimal(value), eligible=Decimal(eligible)) == Decimal(expected)


def test_unknown_kind_is_an_error():
    with pytest.raises(ValueError):
        codes.discount(kind="free", value=Decimal(1), eligible=Decimal(10))
