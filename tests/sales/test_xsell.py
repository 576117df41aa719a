"""Cross-selling (kehu/sales/xsell.py, xsell_selectors.py, xsell_views.py, api_xsell.py,
``kehu xsell rules``): rules stored from the order lines, a customer's suggestions with
their evidence, who sees what, and the pages.

The world: five 钢结构 customers of sales_n1 who buy sections (型材) with processing (加工)
in the same orders, four of them also plate (板材); one more 钢结构 customer (``target``) who
buys sections only — so 板材 and 加工 are suggested to it, with the peers' share and the
rule 型材 ⇒ 加工 as evidence. Another customer, of sales_e1, buys wire rod alone.
"""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from django.test.utils import CaptureQueriesContext
from django.db import connection
from django.urls import reverse

from kehu.sales.models import AssociationRule, AssociationRun, PeerLineShare
from kehu.sales.xsell import associations_compute
from kehu.sales.xsell_selectors import customer_suggestions
from tests.api.conftest import api_as  # noqa: F401
from tests.factories import CustomerFactory, OrderFactory, ProductFactory, ProductLineFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def _order(customer, *products, days_ago=10):
    return OrderFactory(customer=customer, order_date=TODAY - dt.timedelta(days=days_ago), lines=[
        {"product": p, "quantity": 1, "unit_price": "100.00", "unit_cost": "60.00"} for p in products])


@pytest.fixture
def xworld(org):
    lines = SimpleNamespace(plate=ProductLineFactory(code="PLATE", name="板材"),
                            section=ProductLineFactory(code="SECTION", name="型材"),
                            process=ProductLineFactory(code="PROCESS", name="加工"),
                            wire=ProductLineFactory(code="WIRE", name="线材"))
    p = SimpleNamespace(beam=ProductFactory(name="H型钢", line=lines.section),
                        drill=ProductFactory(name="钻孔", line=lines.process),
                        coil=ProductFactory(name="热轧卷板", line=lines.plate),
                        rod=ProductFactory(name="高线", line=lines.wire))
    peers = [CustomerFactory(name=f"钢构{i}", industry="钢结构", owner=org.users.sales_n1) for i in range(5)]
    for i, c in enumerate(peers):
        _order(c, p.beam, p.drill)
        _order(c, p.beam, p.drill, *([p.coil] if i < 4 else []), days_ago=40)
    target = CustomerFactory(name="目标钢构", industry="钢结构", owner=org.users.sales_n1)
    _order(target, p.beam)
    other = CustomerFactory(name="华东线材", industry="五金制品", owner=org.users.sales_e1)
    _order(other, p.rod)
    _order(other, p.rod, days_ago=900)   # outside the 24 months
    return SimpleNamespace(lines=lines, products=p, peers=peers, target=target, other=other)


def test_compute_stores_rules_and_peer_shares(xworld, org):
    run = associations_compute(actor=org.users.admin, min_support=0.1, min_confidence=0.5, min_lift=1.0)
    assert run.status == "done" and run.baskets == 12 and run.customers == 7
    rule = AssociationRule.objects.get(run=run, level="product", antecedent=[xworld.products.drill.pk],
                                       consequent=[xworld.products.beam.pk])
    # 10 of 12 orders hold the drilling, all 10 with the beam; 11 of 12 hold the beam.
    assert rule.count == 10 and rule.support == pytest.approx(10 / 12) and rule.confidence == 1.0
    assert rule.lift == pytest.approx(12 / 11)
    assert rule.antecedent_label == "钻孔" and rule.consequent_label == "H型钢"
    assert AssociationRule.objects.filter(run=run, level="line").exists()
    share = PeerLineShare.objects.get(run=run, industry="钢结构", tier="", line=xworld.lines.plate)
    assert (share.buyers, share.group_size) == (4, 6) and share.share == pytest.approx(4 / 6)
    # thresholds: nothing is that strong
    none = associations_compute(min_support=0.95)
    assert not none.rules.exists()
    assert AssociationRun.objects.count() == 2


def test_suggestions_with_evidence_and_visibility(xworld, org):
    from django.http import Http404

    associations_compute(min_support=0.1, min_confidence=0.5, min_lift=1.0)
    s = customer_suggestions(viewer=org.users.sales_n1, customer_id=xworld.target.pk)
    got = {i.line.code: i for i in s.items}
    assert set(got) == {"PLATE", "PROCESS"}
    assert got["PLATE"].share == pytest.approx(4 / 6) and (got["PLATE"].buyers, got["PLATE"].group_size) == (4, 6)
    assert any(r.antecedent_label == "型材" for r in got["PROCESS"].rules)   # orders with 型材 hold 加工
    assert s.owned_ids == {xworld.lines.section.pk}
    with pytest.raises(Http404):
        customer_suggestions(viewer=org.users.sales_e1, customer_id=xworld.target.pk)
    # nothing computed yet: empty, not an error
    AssociationRun.objects.all().delete()
    assert customer_suggestions(viewer=org.users.sales_n1, customer_id=xworld.target.pk).items == []


def test_pages(xworld, org, client_for):
    client = client_for(org.users.north_manager)
    html = client.get(reverse("association_list")).content.decode()
    assert 'data-testid="association-empty"' in html and "kehu xsell rules" in html
    associations_compute(min_support=0.1, min_confidence=0.5, min_lift=1.0)
    html = client.get(reverse("association_list"), {"sort": "confidence", "level": "product"}).content.decode()
    assert 'data-testid="association-table"' in html and "H型钢" in html and "Bought together" in html
    html = client.get(reverse("association_list"), {"min_lift": "50"}).content.decode()
    assert "No rules match these filters." in html
    html = client.get(reverse("association_list"), {"min_support": "7"}).content.decode()
    assert 'class="error"' in html   # out of range: said, and ignored
    assert client_for(org.users.sales_n1).get(reverse("association_list")).status_code == 403
    # the 360 page loads the card after the page; the fragment and the page without JavaScript
    client = client_for(org.users.sales_n1)
    url = reverse("customer_suggestions", args=[xworld.target.pk])
    assert url in client.get(reverse("customer_detail", args=[xworld.target.pk])).content.decode()
    frag = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="suggestion-list"' in frag and "板材" in frag and "<html" not in frag
    assert "67% of 钢结构 customers (4 of 6) buy 板材; this customer doesn't." in frag
    assert "Orders with 型材 hold it too" in frag
    assert "<html" in client.get(url).content.decode()
    assert client_for(org.users.sales_e1).get(url).status_code == 404
    # the opportunity form offers them too
    html = client_for(org.users.sales_n1).get(reverse("opportunity_create"), {"customer": xworld.target.pk})
    assert 'data-testid="opportunity-suggestions"' in html.content.decode()
    # in Chinese
    client = client_for(org.users.sales_n1)
    client.cookies["django_language"] = "zh-hans"
    frag = client.get(url, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "板材" in frag and "this customer" not in frag


def test_suggestions_card_costs_few_queries(xworld, org, client_for):
    associations_compute(min_support=0.1, min_confidence=0.5, min_lift=1.0)
    client = client_for(org.users.sales_n1)
    url = reverse("customer_suggestions", args=[xworld.target.pk])
    client.get(url, HTTP_HX_REQUEST="true")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
    assert len(ctx.captured_queries) <= 12, [q["sql"] for q in ctx.captured_queries]


def test_api(xworld, org, api_as):
    associations_compute(min_support=0.1, min_confidence=0.5, min_lift=1.0)
    api = api_as(org.users.admin)
    r = api.get("/associations", {"level": "product", "sort": "-confidence", "limit": 5})
    assert r.status_code == 200
    items = r.json()["items"]
    assert items and items[0]["confidence"] >= items[-1]["confidence"]
    assert {"antecedent", "consequent", "support", "confidence", "lift", "count"} <= set(items[0])
    assert api.get("/associations", {"min_support": 2}).status_code == 422
    assert api.get("/associations", {"sort": "name"}).status_code == 422
    r = api_as(org.users.sales_n1).get(f"/customers/{xworld.target.pk}/suggestions")
    assert r.status_code == 200
    body = r.json()
    assert body["industry"] == "钢结构" and body["owned_product_lines"] == [xworld.lines.section.pk]
    assert {x["product_line"] for x in body["suggestions"]} == {"板材", "加工"}
    assert api_as(org.users.sales_e1).get(f"/customers/{xworld.target.pk}/suggestions").status_code == 404
    assert api.get("/customers/999999/suggestions").status_code == 404


def test_command(xworld, org, capsys):
    from kehu.cli import main

    assert main(["xsell", "rules", "--min-support", "0.1", "--min-confidence", "0.5", "--min-lift", "1",
                 "--json", "--level", "product"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["orders"] == 12 and out["rules"] and out["rules"][0]["level"] == "product"
    assert main(["xsell", "rules", "--min-support", "0.1"]) == 0
    assert "orders of" in capsys.readouterr().out
    assert main(["xsell", "rules", "--min-confidence", "3"]) == 2
    assert main(["xsell", "rules", "--as", "sales_n1"]) == 1


def test_daily_job(xworld):
    from kehu.sales.tasks import compute_associations, daily_associations

    daily_associations.call_local()
    compute_associations.call_local(trigger="value_run")
    assert list(AssociationRun.objects.values_list("trigger", flat=True).order_by("id")) == ["schedule", "value_run"]


def test_rules_are_recomputed_after_each_value_analysis(xworld, org, django_capture_on_commit_callbacks):
    from kehu.insights.services import run_create, run_execute
    from kehu.sales.models import PeerLineShare

    stale = associations_compute(min_support=0.95)        # an older run: no rules
    assert not stale.rules.exists()
    with django_capture_on_commit_callbacks(execute=True):
        run = run_execute(run_create(actor=None, as_of=TODAY, trigger="cli"))
    assert run.status == "succeeded", run.error
    fresh = AssociationRun.objects.exclude(pk=stale.pk).get()
    assert fresh.trigger == "value_run" and fresh.status == "done" and fresh.baskets == 12
    assert AssociationRule.objects.filter(run=fresh, level="product").exists()
    # the peer shares by tier read the run that just finished
    assert PeerLineShare.objects.filter(run=fresh).exclude(tier="").exists()


def test_a_failure_after_the_value_analysis_leaves_it_succeeded(xworld, org, monkeypatch, caplog,
                                                                 django_capture_on_commit_callbacks):
    from kehu.insights.services import run_create, run_execute
    from kehu.insights.signals import run_succeeded
    from kehu.sales import tasks, xsell

    def broken_queue(**kwargs):
        raise ConnectionError("the queue is down")

    def broken_receiver(sender, run, **kwargs):
        raise RuntimeError("a follow-up broke")

    monkeypatch.setattr(tasks, "compute_associations", broken_queue)
    run_succeeded.connect(broken_receiver, dispatch_uid="test.broken")
    try:
        with caplog.at_level("ERROR"), django_capture_on_commit_callbacks(execute=True):
            run = run_execute(run_create(actor=None, as_of=TODAY, trigger="cli"))
    finally:
        run_succeeded.disconnect(dispatch_uid="test.broken")
    assert run.status == "succeeded" and run.error == ""
    assert not AssociationRun.objects.exists()
    messages = [r.getMessage() for r in caplog.records]
    assert any(f"association rules not recomputed after value analysis {run.pk}" in m for m in messages)
    assert any(f"value analysis {run.pk} succeeded, but its follow-up" in m for m in messages)
    # the computation itself failing (in the worker) is recorded on its run, not on the value run
    monkeypatch.undo()

    def failing(**kwargs):
        raise RuntimeError("no rules today")

    monkeypatch.setattr(xsell, "associations_compute", failing)
    with django_capture_on_commit_callbacks(execute=True):
        again = run_execute(run_create(actor=None, as_of=TODAY, trigger="cli"))
    assert again.status == "succeeded" and not AssociationRun.objects.exists()
