"""End to end on the CDNOW sample: `kehu import orders` then `kehu analyze --json`.

Published figures (39-week calibration ending 1997-09-30, weeks = days / 7
since the first purchase, same-day purchases one transaction):

- BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way:
  an alternative to the Pareto/NBD model", Marketing Science 24(2), section 4:
  r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
- Pareto/NBD on the same data (same paper; Hardie's note "Implementing the
  Pareto/NBD model given interval-censored data"): r = 0.553, alpha = 10.578,
  s = 0.606, beta = 11.669, LL = -9595.0.
- Gamma-Gamma: Fader & Hardie (2013), "The Gamma-Gamma model of monetary
  value" (Hardie's note; FHL 2005 "RFM and CLV", JMR 42(4)): 946 customers,
  p = 6.25, q = 3.74, gamma = 15.44, LL = -4055.9.
- Holdout: 1,882 repeat transactions in the 39 weeks to 1998-06-30
  (lifetimes 0.11.3 ``calibration_and_holdout_data``, see tests/analytics/test_summary.py).
"""

from __future__ import annotations

import json

import pytest

from kehu.analytics.bgnbd import bgnbd_conditional_expected_purchases
from kehu.analytics.datasets import load_cdnow_sample
from kehu.analytics.summary import summary_from_transactions
from kehu.cli import main

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ANALYZE = ["analyze", "--as-of", "1998-06-30", "--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30",
           "--time-unit", "week", "--json", "-q"]


@pytest.fixture
def imported(org, cdnow_csv, capsys):
    assert main(["import", "orders", str(cdnow_csv), "--as", "admin", "-q"]) == 0
    out = capsys.readouterr().out
    assert "2357 new customers" in out or "2,357" in out or "2357" in out


def cdnow_summary():
    d = load_cdnow_sample()
    return summary_from_transactions(d.customer_id, d.date, d.amount, observation_end="1997-09-30",
                                     freq="D", freq_multiplier=7)


def analyze(capsys, *extra):
    code = main([*ANALYZE, *extra])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def test_bgnbd_and_gamma_gamma_reproduce_the_published_estimates(imported, capsys):
    res = analyze(capsys, "--model", "bgnbd")
    p = res["bgnbd"]
    assert p["r"] == pytest.approx(0.243, abs=5e-4)
    assert p["alpha"] == pytest.approx(4.414, abs=6e-4)
    assert p["a"] == pytest.approx(0.793, abs=5e-4)
    assert p["b"] == pytest.approx(2.426, abs=6e-4)
    assert res["log_likelihood"]["bgnbd"] == pytest.approx(-9582.4, abs=0.05)
    g = res["gamma_gamma"]
    assert (round(g["p"], 2), round(g["q"], 2), round(g["gamma"], 2)) == (6.25, 3.74, 15.44)
    assert res["log_likelihood"]["gamma_gamma"] == pytest.approx(-4055.9, abs=0.05)
    assert res["customers"]["customers"] == 2357
    assert res["customers"]["fitted"] == 2357
    assert res["customers"]["gamma_gamma"] == 946
    h = res["holdout"]
    assert h["duration"] == 39 and h["actual_total"] == 1882
    # FHL (2005) fig. 3: the model's holdout forecast is close to the actual total.
    # The SQL summary gives the same conditional expectations as the NumPy
    # summary of kehu.analytics on the raw file (FHL 2005 eq. 10, 39 weeks).
    cal = cdnow_summary()
    expected = bgnbd_conditional_expected_purchases(
        39.0, cal.frequency, cal.recency, cal.T, [p[k] for k in ("r", "alpha", "a", "b")])
    assert h["expected_total"] == pytest.approx(expected.sum(), rel=1e-9)
    assert h["expected_total"] == pytest.approx(h["actual_total"], rel=0.15)
    assert [b["frequency"] for b in h["by_frequency"]] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert sum(b["customers"] for b in h["by_frequency"]) == 2357
    tr = h["tracking"]
    assert sum(tr["actual"]) == 2457 + 1882  # every repeat purchase day of the 78 weeks
    assert len(tr["actual"]) == len(tr["expected"]) == len(tr["end"])
    bt = res["churn_backtest"]
    assert bt["as_of"] == "1997-09-30" and bt["n"] == 2357
    assert 0 < bt["precision"] <= 1 and 0 < bt["recall"] <= 1


def test_pareto_nbd_reproduces_the_published_estimates(imported, capsys):
    res = analyze(capsys, "--model", "pareto-nbd")
    p = res["pareto_nbd"]
    assert p["r"] == pytest.approx(0.553, abs=5e-4)
    assert p["alpha"] == pytest.approx(10.578, abs=5e-3)
    assert p["s"] == pytest.approx(0.606, abs=5e-4)
    assert p["beta"] == pytest.approx(11.67, abs=5e-3)
    assert res["log_likelihood"]["pareto_nbd"] == pytest.approx(-9595.0, abs=0.05)
