"""kehu.analytics.forecast: the weighted pipeline worked by hand, and the expected purchases in a
future window checked against lifetimes 0.11.3's ``conditional_expected_number_of_purchases_up_to_time``
on the same parameters (an independent implementation of FHL 2005 eq. 10 and SMC 1987 eq. 22), run
by the reference environment ``var/bench-venvs/lifetimes`` exactly as tests/cli/test_bench_analytics.py
does: under ``make test`` (``KEHU_REQUIRE_REFERENCE=1``) a missing environment fails; elsewhere it is
skipped."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from kehu.analytics.bgnbd import bgnbd_conditional_expected_purchases
from kehu.analytics.forecast import (
    ForecastThresholds, absolute_percentage_error, attainment, categorize, expected_purchases_between,
    expected_repeat_revenue, mean_absolute_percentage_error, pipeline_totals,
)

VENV = Path(__file__).resolve().parents[2] / "var" / "bench-venvs" / "lifetimes"

# CDNOW (weeks) BG/NBD parameters of FHL 2005 and Pareto/NBD of FHL's note, used as given.
BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PNBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
X = np.array([0, 1, 2, 5, 14, 3, 0])
TX = np.array([0.0, 30.43, 6.0, 35.0, 38.0, 10.0, 0.0])
T = np.array([38.86, 38.86, 39.0, 38.5, 39.0, 38.0, 5.0])


def test_pipeline_by_hand():
    # amounts 100 000 at 80 %, 50 000 at 70 % (commit: at the threshold), 40 000 at 50 %,
    # 20 000 at 30 % (best case at its threshold), 10 000 at 10 %, 5 000 at 0 %
    amount = [100_000, 50_000, 40_000, 20_000, 10_000, 5_000]
    prob = [80, 70, 50, 30, 10, 0]
    assert list(categorize(prob)) == ["commit", "commit", "best_case", "best_case", "pipeline", "pipeline"]
    t = pipeline_totals(amount, prob)
    assert t["commit"] == pytest.approx(80_000 + 35_000)
    assert t["best_case"] == pytest.approx(20_000 + 6_000)
    assert t["pipeline"] == pytest.approx(1_000)
    assert t["weighted"] == pytest.approx(142_000) and t["amount"] == 225_000 and t["count"] == 6
    other = pipeline_totals(amount, prob, ForecastThresholds(commit=90, best_case=60))
    assert other["commit"] == 0 and other["best_case"] == pytest.approx(115_000)
    with pytest.raises(ValueError):
        ForecastThresholds(commit=20, best_case=50)


def test_attainment_and_errors_by_hand():
    assert attainment(90, 120) == pytest.approx(0.75) and attainment(5, 0) is None and attainment(5, None) is None
    assert absolute_percentage_error(80, 100) == pytest.approx(0.2) and absolute_percentage_error(3, 0) is None
    # |80-100|/100 = 0.2, |150-100|/100 = 0.5, the period without actuals is left out
    assert mean_absolute_percentage_error([80, 150, 7], [100, 100, 0]) == pytest.approx(0.35)
    assert mean_absolute_percentage_error([1], [0]) is None


@pytest.mark.parametrize("model,params", [("bgnbd", BG), ("pareto_nbd", PNBD)])
def test_window_is_a_difference_of_horizons(model, params):
    p = list(params.values())
    from_now = expected_purchases_between(model, p, 0, 13, X, TX, T)
    if model == "bgnbd":
        assert from_now == pytest.approx(bgnbd_conditional_expected_purchases(13, X, TX, T, p))
    later = expected_purchases_between(model, p, 4, 13, X, TX, T)
    first = expected_purchases_between(model, p, 0, 4, X, TX, T)
    assert later + first == pytest.approx(from_now)
    assert np.all(later >= 0) and np.all(later < from_now)
    n, revenue = expected_repeat_revenue(model, p, 4, 13, X, TX, T, spend=np.full(len(X), 10.0))
    assert n == pytest.approx(later.sum()) and revenue == pytest.approx(10 * later.sum())
    with pytest.raises(ValueError):
        expected_purchases_between(model, p, 5, 4, X, TX, T)


REFERENCE = """
import json, sys
import pandas as pd
from lifetimes import BetaGeoFitter, ParetoNBDFitter
req = json.load(sys.stdin)
out = {}
for name, cls in (("bgnbd", BetaGeoFitter), ("pareto_nbd", ParetoNBDFitter)):
    f = cls()
    f.params_ = pd.Series(req[name])
    x, tx, T = (pd.Series(req[k]) for k in ("x", "t_x", "T"))
    out[name] = {str(t): list(map(float, f.conditional_expected_number_of_purchases_up_to_time(t, x, tx, T)))
                 for t in req["horizons"]}
print(json.dumps(out))
"""


def test_window_matches_lifetimes():
    if not (VENV / "bin" / "python").exists():
        if os.environ.get("KEHU_REQUIRE_REFERENCE") == "1":
            pytest.fail(f"no lifetimes environment at {VENV}: `make bench-reference` makes it")
        pytest.skip("no lifetimes environment (kehu bench analytics makes it under var/bench-venvs)")
    request = {"bgnbd": BG, "pareto_nbd": PNBD, "x": X.tolist(), "t_x": TX.tolist(), "T": T.tolist(),
               "horizons": [4, 13, 26]}
    done = subprocess.run([str(VENV / "bin" / "python"), "-c", REFERENCE], input=json.dumps(request),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    ref = json.loads(done.stdout)
    for model, params in (("bgnbd", BG), ("pareto_nbd", PNBD)):
        p = list(params.values())
        theirs = {int(float(k)): np.array(v) for k, v in ref[model].items()}
        assert expected_purchases_between(model, p, 0, 13, X, TX, T) == pytest.approx(theirs[13], rel=1e-6)
        # a quarter starting four weeks from now: the difference of lifetimes' two horizons
        assert expected_purchases_between(model, p, 4, 13, X, TX, T) == pytest.approx(
            theirs[13] - theirs[4], rel=1e-6, abs=1e-9)
        assert expected_purchases_between(model, p, 13, 26, X, TX, T) == pytest.approx(
            theirs[26] - theirs[13], rel=1e-6, abs=1e-9)
