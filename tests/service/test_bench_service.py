"""``kehu generate --cases`` and ``kehu bench service`` at a tiny size: the
generated cases have the spread the benchmark relies on, and every scenario of
the benchmark answers (no timing is asserted: correctness of the command)."""

from __future__ import annotations

import io
import json

import pytest

from kehu.bench.generate import generate, generate_cases
from kehu.bench.service import run_service_bench


@pytest.fixture
def company(db):
    generate(customers=120, order_lines=300, seed=5, owners=4, hub_orders=10, progress=False, workers=0,
             out=io.StringIO())
    return generate_cases(cases=400, seed=5, workers=0)


@pytest.mark.django_db
def test_generated_cases(company):
    from kehu.numbering.models import Counter
    from kehu.service.models import OPEN_STATUSES, Case, CaseEvent, SlaPolicy

    assert company.cases == Case.objects.count() == 400
    assert CaseEvent.objects.filter(kind="created").count() == 400      # every case's creation event
    assert CaseEvent.objects.count() == company.events
    open_n = Case.objects.filter(status__in=OPEN_STATUSES).count()
    assert open_n == company.open_cases and 0 < open_n < 200             # most are done
    assert Case.objects.filter(status="closed").count() > 150
    assert set(Case.objects.values_list("kind", flat=True)) >= {"complaint", "service", "repair", "enquiry"}
    assert set(Case.objects.values_list("severity", flat=True)) >= {2, 3, 4}
    assert SlaPolicy.objects.exists() and company.policies_created
    # due times from the policies; some open cases are past them
    assert not Case.objects.filter(kind="complaint", resolution_due__isnull=True).exists()
    from django.utils import timezone
    assert Case.objects.filter(status__in=OPEN_STATUSES, resolution_due__lt=timezone.now()).exists()
    # numbers: CS + day + 5 digits, unique, and the day counters know them
    ref = Case.objects.order_by("-created_at").values_list("ref", flat=True).first()
    assert ref.startswith("CS") and len(ref) == 15
    assert Counter.objects.get(name=f"case-{ref[2:10]}").value >= int(ref[10:])
    # a case registered now by the service gets a fresh number after the generated ones
    from kehu.customers.models import Customer
    from kehu.org.models import User
    from kehu.service.services import case_create

    admin = User.objects.get(username="bench_admin")
    case = case_create(actor=admin, data={"kind": "enquiry", "subject": "x", "customer": Customer.objects.first()})
    assert not Case.objects.filter(ref=case.ref).exclude(pk=case.pk).exists()


@pytest.mark.django_db
def test_generating_twice_adds_to_the_cases(company):
    from kehu.service.models import Case

    again = generate_cases(cases=50, seed=6, workers=0)
    assert again.cases == 50 and again.policies_created == 0
    assert Case.objects.count() == 450
    assert Case.objects.values("ref").distinct().count() == 450


@pytest.mark.django_db
def test_every_scenario_answers(company):
    out = io.StringIO()
    assert run_service_bench(runs=1, sla_runs=1, kb_runs=2, analytics_runs=1, as_json=True, out=out) == 0
    report = json.loads(out.getvalue())
    results = {r["scenario"].split(" (")[0]: r for r in report["results"]}
    assert {"queue: mine", "queue: my team's", "queue: breaching soon", "queue: all open cases", "case page",
            "SLA check, dry run", "knowledge-base search", "service analytics page",
            "service analytics, figures loaded after the page"} <= set(results)
    for name, r in results.items():
        if name == "knowledge-base search":
            assert r["status"] == "not available"   # no articles generated
        elif name.startswith("service analytics"):
            assert r["status"] == "ok", (name, r["detail"])
        else:
            assert r["status"] == "ok", (name, r["detail"])
    assert "warnings and escalation steps due" in results["SLA check, dry run"]["detail"]
    assert report["database"]["cases"] == 400


@pytest.mark.django_db
def test_the_command_prints_a_table(company, capsys):
    from kehu.cli import main

    generate_kb = ["generate", "--kb-articles", "30", "--seed", "2"]
    assert main(generate_kb) == 0
    assert main(["bench", "service", "--runs", "1", "--sla-runs", "1", "--kb-runs", "2",
                 "--analytics-runs", "1"]) == 0
    printed = capsys.readouterr().out
    assert "created 30 published knowledge-base articles" in printed
    assert "queue: mine" in printed and "SLA check" in printed and "target ms" in printed
    assert "knowledge-base search (30 articles)" in printed
