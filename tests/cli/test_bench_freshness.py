"""``kehu bench import-orders`` and ``kehu bench rescore`` run on a small database
and leave it as they found it (figures are printed, not asserted)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kehu.cli import main
from kehu.insights.models import CustomerScore
from kehu.insights.services import run_create, run_execute
from kehu.sales.models import Order
from kehu.sales.purchase_summary import summary_check, summary_rebuild
from tests.insights.factories import order_history

pytestmark = pytest.mark.django_db


def test_bench_import_orders(org, capsys):
    order_history(org.users.sales_n1, customers=20, seed=2)
    summary_rebuild()
    before = Order.objects.count()
    assert main(["bench", "import-orders", "--lines", "300", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["lines"] == 300 and figures["import_with_summary"] > 0
    assert Order.objects.count() == before and summary_check().differences == 0


def test_bench_rescore_in_process(org, capsys):
    order_history(org.users.sales_n1, customers=40, seed=4)
    summary_rebuild()
    from django.utils import timezone

    run = run_execute(run_create(actor=None, as_of=timezone.localdate() - dt.timedelta(days=1)))
    assert run.status == "succeeded"
    before = Order.objects.count()
    assert main(["bench", "rescore", "--runs", "5", "--in-process", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["runs"] == 5 and figures["total_p95_ms"] >= figures["order_write_p95_ms"]
    assert CustomerScore.objects.filter(run=run, rescored_at__isnull=False).exists()
    assert Order.objects.count() == before and summary_check().differences == 0


def test_bench_rescore_needs_a_run(org, capsys):
    assert main(["bench", "rescore", "--runs", "1"]) == 1
    assert "kehu analyze" in capsys.readouterr().out
