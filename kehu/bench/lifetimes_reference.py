"""The reference pipeline of ``kehu bench analytics``, run by the *lifetimes* virtual environment's Python.

This file is executed as a script by the interpreter of
``var/bench-venvs/lifetimes`` (lifetimes 0.11.3 and the pandas, NumPy, SciPy
and autograd it needs), never imported by Kehu: it imports nothing of Kehu
or Django. It reads one JSON request on standard input and prints one JSON
answer on standard output.

``{"task": "bgnbd", "csv": PATH, "as_of": "YYYY-MM-DD", "freq_multiplier": 7}``
    what a Python analyst does today: ``pandas.read_csv`` of the exported
    transactions (customer_id, date, amount), then
    ``lifetimes.utils.summary_data_from_transaction_data`` (freq "D", the
    given multiplier: 7 gives weeks as days / 7), ``BetaGeoFitter().fit`` on
    every customer and ``GammaGammaFitter().fit`` on the customers with
    repeat purchases and positive spend — each step timed.

``{"task": "pareto_nbd", "csv": PATH}``
    ``ParetoNBDFitter().fit`` on the (frequency, recency, T) rows of the file.

Default fitter settings throughout, as an analyst would use them. When a
fitter raises ``ConvergenceError`` (SciPy's BFGS stops with "precision loss",
which lifetimes treats as failure — common when the maximum lies on the
boundary, e.g. no dropout) the answer says so and gives the point where the
optimiser stopped (caught from ``scipy.optimize.minimize`` as lifetimes
called it, converted to parameters the way lifetimes converts its result).
"""

import json
import sys
import time

_LAST = {}


def _capture_minimize():
    """Keep the last result of scipy.optimize.minimize as lifetimes' fitters call it."""
    import lifetimes.fitters as fitters

    original = fitters.minimize

    def minimize(*args, **kwargs):
        res = original(*args, **kwargs)
        _LAST["result"] = res
        return res

    fitters.minimize = minimize


def _fit(fitter, names, scaled, *data):
    """(params, status): the fitted parameters, or where the optimiser stopped when lifetimes gave up."""
    import numpy as np
    from lifetimes.utils import ConvergenceError

    _LAST.clear()
    try:
        fitter.fit(*data)
    except ConvergenceError:
        if "result" not in _LAST:
            raise
        res = _LAST["result"]
        p = dict(zip(names, np.exp(res.x).tolist()))
        for k in scaled:
            p[k] /= fitter._scale
        return p, "ConvergenceError: " + str(res.message)
    return {k: float(v) for k, v in fitter.params_.items()}, "ok"


def _bgnbd(req):
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    out = {"timings": {}}
    t = time.perf_counter()
    tx = pd.read_csv(req["csv"], names=["customer_id", "date", "amount"], header=None, parse_dates=["date"])
    out["timings"]["load"] = time.perf_counter() - t
    out["transactions"] = int(len(tx))
    t = time.perf_counter()
    summary = summary_data_from_transaction_data(
        tx, "customer_id", "date", monetary_value_col="amount", observation_period_end=req["as_of"], freq="D",
        freq_multiplier=req["freq_multiplier"])
    out["timings"]["summary"] = time.perf_counter() - t
    out["customers"] = int(len(summary))
    out["repeat_customers"] = int((summary["frequency"] > 0).sum())
    t = time.perf_counter()
    out["bgnbd"], out["bgnbd_status"] = _fit(BetaGeoFitter(), ["r", "alpha", "a", "b"], ["alpha"],
                                             summary["frequency"], summary["recency"], summary["T"])
    out["timings"]["fit_bgnbd"] = time.perf_counter() - t
    rep = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    t = time.perf_counter()
    gg, out["gamma_gamma_status"] = _fit(GammaGammaFitter(), ["p", "q", "v"], [], rep["frequency"],
                                         rep["monetary_value"])
    out["timings"]["fit_gamma_gamma"] = time.perf_counter() - t
    out["gamma_gamma"] = {{"v": "gamma"}.get(k, k): v for k, v in gg.items()}
    out["gamma_gamma_customers"] = int(len(rep))
    return out


def _pareto_nbd(req):
    import pandas as pd
    from lifetimes import ParetoNBDFitter

    rows = pd.read_csv(req["csv"], names=["frequency", "recency", "T"], header=None)
    t = time.perf_counter()
    params, status = _fit(ParetoNBDFitter(), ["r", "alpha", "s", "beta"], ["alpha", "beta"], rows["frequency"],
                          rows["recency"], rows["T"])
    return {"timings": {"fit_pareto_nbd": time.perf_counter() - t}, "customers": int(len(rows)),
            "pareto_nbd": params, "pareto_nbd_status": status}


def main():
    import warnings

    warnings.simplefilter("ignore")
    req = json.load(sys.stdin)
    import contextlib
    import io

    import lifetimes

    _capture_minimize()
    with contextlib.redirect_stdout(io.StringIO()):  # lifetimes prints the optimiser's result on failure
        answer = {"bgnbd": _bgnbd, "pareto_nbd": _pareto_nbd}[req["task"]](req)
    answer["lifetimes"] = lifetimes.__version__
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
