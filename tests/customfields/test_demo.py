"""The demo company's custom fields."""

import pytest

from kehu.customers.models import Customer
from kehu.customfields.models import CustomFieldDefinition
from kehu.customfields.values import clean_custom_values
from kehu.demo import generator
from kehu.sales.models import Order

pytestmark = pytest.mark.django_db


def test_demo_defines_and_fills_custom_fields():
    generator.demo_create(seed=7, customers=60)
    keys = set(CustomFieldDefinition.objects.values_list("record_type", "key"))
    assert keys == {("customer", "credit_days"), ("customer", "industry_segment"), ("order", "delivery_site")}
    from kehu.demo.selling import LEADS

    # the lead pool's leads (and those claimed from it) have no agreed credit terms yet
    orgs = Customer.objects.filter(kind="organization").exclude(name__in=[lead[0] for lead in LEADS])
    assert orgs.exists() and all(c.custom.get("credit_days") in (30, 45, 60, 90) for c in orgs)
    assert Customer.objects.filter(custom__industry_segment="construction").exists() or \
        Customer.objects.filter(custom__has_key="industry_segment").exists()
    assert not Customer.objects.filter(kind="individual", custom__has_key="credit_days").exists()
    assert Order.objects.filter(custom__has_key="delivery_site").exists()
    for c in orgs:      # every value passes the one validator
        assert clean_custom_values("customer", c.custom) == c.custom
