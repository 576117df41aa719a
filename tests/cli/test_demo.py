"""``kehu demo``: the demo company, made deterministically, once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from kehu.audit.models import AuditEvent
from kehu.cli import main
from kehu.customers.models import Contact, Customer, CustomerShare
from kehu.demo import generator
from kehu.engagement.models import Interaction
from kehu.org.models import Team, User
from kehu.sales.models import Order, OrderLine, Payment, Product

SMALL = 60


def fingerprint():
    """What must be equal for the same seed: names, refs, order totals."""
    return {
        "customers": list(Customer.objects.order_by("ref").values_list("ref", "name", "kind", "city", "owner__username")),
        "orders": Order.objects.count(),
        "lines": OrderLine.objects.count(),
        "revenue": Order.objects.aggregate(s=Sum("amount"))["s"],
        "payments": Payment.objects.count(),
        "interactions": Interaction.objects.count(),
        "contacts": Contact.objects.count(),
    }


@pytest.mark.django_db
def test_demo_creates_the_company_and_prints_logins(capsys):
    assert main(["demo", "--customers", str(SMALL), "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "Created the demo company" in out
    for username, _name, role, _team in generator.USERS:
        assert username in out
    assert "demo1234" in out
    assert "Sales manager" in out and "Salesperson" in out
    # the partner users' logins, with their partner (kehu/demo/channel.py)
    from kehu.demo.channel import PARTNER_USERS

    for username, _name, _code, _staff in PARTNER_USERS:
        assert username in out
    assert "Partner user" in out and "华北钢材一级代理" in out and "天津二级代理" in out

    root = generator.demo_root()
    assert root is not None
    teams = {t.name for t in Team.objects.filter(path__startswith=root.path)}
    assert {"华北区 North region", "华东区 East region"} <= teams
    north = Team.objects.get(name="华北区 North region")
    east = Team.objects.get(name="华东区 East region")
    assert north.children.count() in (2, 3) and east.children.count() in (2, 3)
    roles = list(User.objects.values_list("role", flat=True))
    assert roles.count("salesperson") in (5, 6)
    assert roles.count("service_agent") == 2 and roles.count("marketing") == 1
    director = User.objects.get(username="director")
    assert director.role == "sales_manager" and director.team == root
    assert User.objects.get(username="admin").check_password("demo1234")

    from kehu.demo.selling import LEADS

    from kehu.demo.marketing import RETAIL_PRODUCTS, retail_count

    # the customers asked for, the lead pool's leads, the hardware store's customers and the friend who came
    # through a referral link (kehu/demo/referrals.py)
    assert Customer.objects.count() == SMALL + len(LEADS) + retail_count(SMALL) + 1
    assert Product.objects.count() == 40 + len(RETAIL_PRODUCTS)
    assert Order.objects.exists() and OrderLine.objects.exists() and Payment.objects.exists()
    assert Interaction.objects.exists() and Contact.objects.exists()
    kinds = set(Customer.objects.values_list("kind", flat=True))
    assert kinds == {"organization", "individual"}
    # Keys and teams as the customer services keep them.
    for c in Customer.objects.select_related("owner"):
        assert (c.name_key, c.name_pinyin, c.name_initials) == generator_keys(c.name)
        if c.owner_id is not None:     # a customer in the lead pool has none (kehu.sales.pool)
            assert c.team_id == c.owner.team_id
    assert AuditEvent.objects.filter(entity="customer", action="create",
                                     summary="created by demo").count() == SMALL + retail_count(SMALL)
    # Contacts report to someone at their own customer.
    for contact in Contact.objects.filter(reports_to__isnull=False).select_related("reports_to"):
        assert contact.reports_to.customer_id == contact.customer_id
    # Orders total their lines; payments never exceed the order.
    for order in Order.objects.all()[:50]:
        assert order.amount == sum((ln.amount for ln in order.lines.all()), Decimal("0"))
        assert order.paid_amount == sum((p.amount for p in order.payments.all()), Decimal("0"))
        assert order.paid_amount <= order.amount


def generator_keys(name):
    from kehu.customers.search import name_keys

    return name_keys(name)


@pytest.mark.django_db
def test_second_run_reuses_the_company(capsys):
    assert main(["demo", "--customers", str(SMALL), "--seed", "3"]) == 0
    first = fingerprint()
    capsys.readouterr()
    assert main(["demo", "--customers", str(SMALL), "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "already exists" in out
    assert "director" in out and "demo1234" in out
    assert fingerprint() == first
    assert User.objects.filter(username="admin").count() == 1


@pytest.mark.django_db
def test_same_seed_same_company_and_reset_recreates(capsys):
    assert main(["demo", "--customers", str(SMALL), "--seed", "5"]) == 0
    first = fingerprint()
    # Someone works in the demo; --reset drops it all and makes it again.
    c = Customer.objects.order_by("id").first()
    Customer.objects.filter(pk=c.pk).update(name="改过的名字")
    assert main(["demo", "--customers", str(SMALL), "--seed", "5", "--reset"]) == 0
    assert "Created the demo company" in capsys.readouterr().out
    assert fingerprint() == first
    assert Team.objects.filter(name=generator.ROOT_TEAM).count() == 1


@pytest.mark.django_db
def test_other_seed_other_company():
    from kehu.sales.purchase_summary import summary_check

    generator.demo_create(seed=1, customers=30)
    assert summary_check().differences == 0   # the kept purchase summary follows the demo's orders
    a = fingerprint()
    generator.demo_delete()
    assert not Customer.objects.exists() and not User.objects.exists() and not Team.objects.exists()
    generator.demo_create(seed=2, customers=30)
    assert fingerprint()["customers"] != a["customers"]


@pytest.mark.django_db
def test_demo_leaves_other_data_alone(org, customers):
    generator.demo_create(seed=1, customers=20)
    generator.demo_delete()
    assert Customer.objects.count() == 3
    assert User.objects.filter(username="sales_n1").exists()
    assert not CustomerShare.objects.exists()
