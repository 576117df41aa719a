"""The structured terms of a tier or key-account plan (kehu/sales/terms.py)."""
from decimal import Decimal

from kehu.sales.terms import Terms, terms_from_dict


def test_terms_from_a_stored_dictionary():
    t = terms_from_dict({"payment_days": "60", "credit_limit": 500000, "discount_ceiling": "8.5", "training": "年度培训"})
    assert t == Terms(payment_days=60, credit_limit=Decimal("500000"), discount_ceiling=Decimal("8.5"),
                      training="年度培训")
    assert terms_from_dict(None) == Terms()
    assert terms_from_dict({"credit_limit": "not a number"}).credit_limit is None


def test_a_plan_overrides_only_the_terms_it_sets():
    tier = Terms(payment_days=30, credit_limit=Decimal("100000"), discount_ceiling=Decimal("5"), rewards="年终返利")
    plan = Terms(credit_limit=Decimal("300000"), training="")
    assert tier.merged(plan) == Terms(payment_days=30, credit_limit=Decimal("300000"),
                                      discount_ceiling=Decimal("5"), rewards="年终返利")
