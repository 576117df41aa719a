"""``kehu generate --opportunities`` and ``kehu bench sales`` at a tiny size: the generated
opportunities have the spread and the stage history the benchmark relies on, and every
scenario of the benchmark answers (no timing is asserted: correctness of the command)."""

from __future__ import annotations

import io
import json

import pytest

from kehu.bench.generate import generate
from kehu.bench.generate_sales import generate_opportunities
from kehu.bench.sales import run_sales_bench


@pytest.fixture
def company(db):
    generate(customers=120, order_lines=300, seed=5, owners=4, hub_orders=10, progress=False, workers=0,
             out=io.StringIO())
    return generate_opportunities(opportunities=300, seed=5, workers=0)


@pytest.mark.django_db
def test_generated_opportunities(company):
    from django.db.models import Count, F, Sum

    from kehu.sales.models import Opportunity, OpportunityLine, StageChange, StageOutcome

    assert company.opportunities == Opportunity.objects.count() == 300
    assert company.open + company.won + company.lost == 300 and min(company.open, company.won, company.lost) > 30
    assert OpportunityLine.objects.count() == company.lines and StageChange.objects.count() == company.stage_changes
    # every opportunity's history starts from nothing and ends in the stage it is in
    for opp in Opportunity.objects.annotate(n=Count("stage_changes")).prefetch_related("stage_changes"):
        changes = list(opp.stage_changes.all())
        assert changes[0].from_stage_id is None and changes[-1].to_stage_id == opp.stage_id
        assert all(a.to_stage_id == b.from_stage_id for a, b in zip(changes, changes[1:], strict=False))
        assert opp.version == len(changes)
    # the amount is the sum of the lines; the outcome fields match the stage
    for opp in Opportunity.objects.annotate(total=Sum("lines__amount")).select_related("stage")[:50]:
        assert opp.amount == opp.total
        assert (opp.won_at is not None) == (opp.stage.outcome == StageOutcome.WON)
        assert (opp.lost_at is not None) == (opp.stage.outcome == StageOutcome.LOST) == (opp.lost_reason_id is not None)
    # owners are the customers' owners
    assert not Opportunity.objects.exclude(owner_id=F("customer__owner_id")).exists()
    # generating again adds, with fresh ids
    again = generate_opportunities(opportunities=20, seed=6, workers=0)
    assert again.opportunities == 20 and Opportunity.objects.count() == 320


@pytest.mark.django_db
def test_every_scenario_answers(company):
    out = io.StringIO()
    assert run_sales_bench(runs=1, job_runs=1, as_json=True, out=out) == 0
    report = json.loads(out.getvalue())
    results = {(r["scenario"], r["viewer"]): r for r in report["results"]}
    for viewer in ("salesperson", "head office"):
        for page in ("kanban board (default pipeline)", "opportunity list", "opportunity list, by amount"):
            assert results[(page, viewer)]["status"] == "ok", results[(page, viewer)]
    jobs = {name: r for (name, viewer), r in results.items() if viewer == "job"}
    plan = next(r for name, r in jobs.items() if name.startswith("visit plans"))
    assert plan["status"] == "ok" and "visits planned" in plan["detail"]
    assert all(r["status"] == "ok" for r in jobs.values()), jobs
    assert "would go back to the pool" in next(r for n, r in jobs.items() if n.startswith("pool"))["detail"]
    assert report["database"]["opportunities"] == 300


@pytest.mark.django_db
def test_the_commands(db, capsys):
    from kehu.cli import main

    assert main(["generate", "--customers", "60", "--orders", "150", "--owners", "3", "--hub-orders", "5",
                 "--opportunities", "80", "--seed", "3", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "created 80 opportunities" in printed and "stage changes" in printed
    assert main(["bench", "sales", "--runs", "1", "--job-runs", "1"]) == 0
    printed = capsys.readouterr().out
    assert "kanban board" in printed and "target ms" in printed and "visit plans" in printed
