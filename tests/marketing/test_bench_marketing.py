"""``kehu bench marketing`` at a tiny size: every stage runs and leaves the database as it found
it (apart from the data it adds once and the ledger it keeps); no timing is asserted."""

from __future__ import annotations

import io
import json

import pytest

from kehu.bench.generate import generate
from kehu.bench.marketing import run_marketing_bench


@pytest.fixture
def company(db):
    generate(customers=150, order_lines=400, seed=7, owners=3, hub_orders=10, progress=False, workers=0,
             out=io.StringIO())


@pytest.mark.django_db
def test_every_stage_runs_and_cleans_up(company):
    from kehu.customers.models import Anniversary, Customer
    from kehu.engagement.models import Task
    from kehu.marketing.care.models import CareMoment, CareRule
    from kehu.marketing.membership.models import Membership, PointsEntry
    from kehu.marketing.outreach.models import OutboundMessage

    out = io.StringIO()
    assert run_marketing_bench(entries=400, members=20, runs=5, as_json=True, out=out) == 0
    report = json.loads(out.getvalue())
    results = {r["scenario"]: r for r in report["results"]}
    assert all(r["status"] == "ok" for r in results.values()), results
    assert len(results) == 4
    a = report["figures"]["audience"]
    assert a["audience"] == 150 and a["control"] == 15 and a["treated"] == 135
    assert sum(a["counts"].values()) == 135 and a["counts"]["held"] >= 13   # one in ten has no consent
    # data added once: consents, birthdays, founding days
    assert report["added"] == ["consents and birthdays", "founding days"]
    assert Customer.objects.filter(consent_marketing=True).count() == Customer.objects.filter(
        consent_data_processing=True).count() - Customer.objects.filter(consent_updated_at__isnull=False).count()
    assert Customer.objects.filter(kind="individual", birthday__isnull=True).count() == 0
    assert Anniversary.objects.exists()
    # cleaned up: no benchmark messages, rules, moments or tasks are left
    assert not OutboundMessage.objects.exists()
    assert not CareRule.objects.exists() and not CareMoment.objects.exists()
    assert not Task.objects.filter(source="care").exists()
    # the ledger is kept for the next run, which reuses it and adds nothing
    kept = PointsEntry.objects.count()
    assert kept == 400 and Membership.objects.count() == 20
    out = io.StringIO()
    assert run_marketing_bench(entries=400, members=20, runs=5, stages="b", drop_ledger=True, as_json=True,
                               out=out) == 0
    report = json.loads(out.getvalue())
    assert report["added"] == [] and report["figures"]["ledger"]["reused"] is True
    assert not PointsEntry.objects.exists() and not Membership.objects.exists()


@pytest.mark.django_db
def test_the_command_prints_the_targets(company, capsys):
    from kehu.cli import main

    assert main(["bench", "marketing", "--entries", "200", "--members", "10", "--runs", "3"]) == 0
    printed = capsys.readouterr().out
    assert "campaign audience" in printed and "care run" in printed and "target ms" in printed
    assert "60000" in printed and "30000" in printed and "20" in printed


@pytest.mark.django_db
def test_a_campaigns_preparation_plugs_in(company):
    seen = {}

    def prepare(*, customer_ids, now):
        seen["ids"] = customer_ids
        return {"queued": len(customer_ids)}

    out = io.StringIO()
    assert run_marketing_bench(stages="a", prepare=prepare, as_json=True, out=out) == 0
    assert len(seen["ids"]) == 135 and len(set(seen["ids"])) == 135
