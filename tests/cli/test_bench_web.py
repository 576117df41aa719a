"""``kehu bench web`` measures every scenario it names (on a small generated
company): a scenario that stops working must show in the tests, not only in
the next benchmark run. No timing is asserted."""

from __future__ import annotations

import io
import json

import pytest

from kehu.bench.generate import generate
from kehu.bench.web import run_web_bench


@pytest.mark.django_db
def test_every_scenario_answers():
    generate(customers=300, order_lines=900, seed=3, owners=4, hub_orders=40, progress=False, workers=0, out=io.StringIO())
    out = io.StringIO()
    assert run_web_bench(runs=1, as_json=True, out=out) == 0
    report = json.loads(out.getvalue())
    results = report["results"]
    problems = [(r["scenario"], r["viewer"], r["status"], r["detail"]) for r in results if r["status"] != "ok"
                and r["detail"] not in ("the search has a single page", "no survey in the database")]  # a small company
    assert not problems
    names = {r["scenario"].split(" '")[0] for r in results}
    assert {"customer list, first page", "customer list, deep keyset page", "search name prefix",
            "search phone prefix", "search pinyin initials", "search one letter", "match count of",
            "API customer list", "API search"} <= names
    assert {r["viewer"] for r in results} == {"head office", "salesperson"}
    # every page of each role's navigation, the value pages and the survey pages
    for viewer in ("head office", "salesperson"):
        mine = {r["url"] for r in results if r["viewer"] == viewer}
        assert {"/", "/orders/", "/interactions/", "/tasks/", "/value/", "/value/scores/", "/surveys/"} <= mine, mine
        assert any(r["scenario"].startswith("survey: ") for r in results if r["viewer"] == viewer)
