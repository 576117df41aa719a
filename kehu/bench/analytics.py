"""``kehu bench analytics``: a whole value analysis against the lifetimes pipeline on the same data.

Three measurements on the configured database (meant for PostgreSQL with the
data of ``kehu generate --customers 1000000 --orders 10000000 --seed 1``; it
runs on any database with orders):

1. **Ours**: a value analysis started the way ``kehu analyze`` starts one —
   ``kehu.insights.services.run_create`` (trigger "cli") then
   ``run_execute`` — with the company's value settings except the model,
   which is BG/NBD. Whole-run wall time and the run's own per-stage timings
   (summary SQL, model inputs, RFM, ABC, BG/NBD fit, the backtest's second
   fit, Gamma-Gamma, CLV, churn, scores stored ...). "Summary + fit" is the
   models' summary read + model inputs + the BG/NBD fit + the Gamma-Gamma fit,
   where the models' summary read is the kept summary's (check + read) when
   the run used it (kehu/insights/summary_fast.py), else the whole summary
   step; the speed-up is also printed with lifetimes' export and CSV read
   counted (issue 17's target).
2. **Reference**: the transactions (customer id, order date, order amount;
   the same orders the summary SQL reads: not cancelled, dated on or before
   the as-of date) exported with the database's own bulk copy to a CSV under
   ``var/bench``, then, in the lifetimes virtual environment
   (``kehu/bench/lifetimes_reference.py``): ``pandas.read_csv``,
   ``summary_data_from_transaction_data`` (freq "D", ``freq_multiplier`` 7
   for weeks — days / 7, like ours — or 1 for days, observation end = the
   as-of date), ``BetaGeoFitter().fit`` and ``GammaGammaFitter().fit`` on
   the customers with repeat purchases and positive spend. Its "summary +
   fit" leaves out the export and the CSV read (they are reported apart),
   which favours the reference.
3. **Pareto/NBD** on N customers (350,000 by default: the first N, by id,
   of the run's customers with T > 0, their (x, t_x, T) read back from the
   stored scores): our ``ParetoNBD().fit`` timed here, lifetimes'
   ``ParetoNBDFitter().fit`` on the same rows with a time cap ("> cap" when
   it does not finish).

The lifetimes environment is made under ``var/bench-venvs/lifetimes`` when
missing (``python -m venv`` + ``pip install`` of :data:`REFERENCE_REQUIREMENTS`);
when that fails the command stops with a message saying why (or run it with
``--no-reference``). The benchmark's run is deleted afterwards unless
``--keep``. No test asserts a timing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REFERENCE_REQUIREMENTS = (
    "lifetimes==0.11.3", "pandas==1.5.3", "numpy==1.26.4", "scipy==1.11.4", "autograd==1.6.2", "dill==0.3.8",
)
TARGET_SPEEDUP = 10.0
TARGET_WHOLE_S = 60.0
TARGET_PARETO_S = 10.0
# issue 17: the nightly analysis
TARGET_WHOLE_17_S = 15.0
TARGET_MODELS_SUMMARY_S = 1.5
TARGET_SPEEDUP_17 = 5.0   # lifetimes' reading of the transactions counted
TARGET_REL_DIFF = 1e-3
REFERENCE_SCRIPT = Path(__file__).with_name("lifetimes_reference.py")


class BenchError(Exception):
    """A reason the benchmark cannot run, for the user."""


def default_venv() -> Path:
    from django.conf import settings

    return Path(settings.VAR_DIR) / "bench-venvs" / "lifetimes"


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_reference_venv(venv: Path, *, log=None) -> Path:
    """The lifetimes environment's Python, creating the environment when missing; ``BenchError`` if it cannot."""
    py = _venv_python(venv)
    check = [str(py), "-c", "import lifetimes, pandas, scipy, autograd; print(lifetimes.__version__)"]
    if py.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return py
    if log:
        log(f"creating the reference environment {venv} ({', '.join(REFERENCE_REQUIREMENTS)}) ...")
    base = getattr(sys, "_base_executable", None) or sys.executable
    steps = [[base, "-m", "venv", str(venv)],
             [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *REFERENCE_REQUIREMENTS]]
    for cmd in steps:
        try:
            done = subprocess.run(cmd, capture_output=True, text=True)
        except OSError as exc:
            raise BenchError(f"cannot create the lifetimes environment {venv}: {exc}") from None
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-8:])
            raise BenchError(
                f"cannot create the lifetimes environment {venv}: `{' '.join(cmd[:4])} ...` failed "
                f"(exit {done.returncode}):\n{tail}\nRun with --no-reference to measure Kehu alone, or make the "
                f"environment by hand: python3.11 -m venv {venv} && {py} -m pip install "
                + " ".join(REFERENCE_REQUIREMENTS))
    done = subprocess.run(check, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"the lifetimes environment {venv} was made but lifetimes does not import:\n"
                         + done.stderr.strip()[-800:])
    return py


def _run_reference(py: Path, request: dict, *, timeout: float) -> dict | None:
    """The reference script's answer, or None when it ran past ``timeout`` seconds."""
    try:
        done = subprocess.run([str(py), str(REFERENCE_SCRIPT)], input=json.dumps(request), capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        raise BenchError("the lifetimes reference failed:\n" + done.stderr.strip()[-1500:])
    return json.loads(done.stdout)


def machine_description() -> dict:
    info = {"nproc": os.cpu_count(), "python": platform.python_version()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    return info


def load_average() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def export_transactions(path: Path, *, as_of: dt.date) -> tuple[int, float]:
    """Write customer_id, order_date, amount of the orders the summary reads; (rows, seconds)."""
    from django.db import connection

    from kehu.sales.models import Order

    table = connection.ops.quote_name(Order._meta.db_table)
    where = f"status <> 'cancelled' AND order_date <= '{as_of.isoformat()}'"
    path.parent.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    rows = 0
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        sql = f"COPY (SELECT customer_id, order_date, amount FROM {table} WHERE {where}) TO STDOUT (FORMAT csv)"
        with connection.connection.cursor() as cur, open(path, "wb") as fh:
            with cur.copy(sql) as copy:
                for block in copy:
                    fh.write(block)
            rows = cur.rowcount
    else:
        with connection.cursor() as cur, open(path, "w") as fh:
            cur.execute(f"SELECT customer_id, order_date, amount FROM {table} WHERE {where}")
            for cid, day, amount in cur.fetchall():
                fh.write(f"{cid},{day},{amount}\n")
                rows += 1
    if rows < 0:
        rows = sum(1 for _ in open(path))
    return rows, time.perf_counter() - t


def _rel_diffs(ours: dict, ref: dict) -> dict:
    out = {}
    for k, v in ours.items():
        r = ref.get(k)
        out[k] = None if r is None or r == 0 else abs(v - r) / abs(r)
    return out


def _pareto_rows(run, n: int):
    import numpy as np

    from kehu.insights.models import CustomerScore

    rows = list(CustomerScore.objects.filter(run=run, T__gt=0).order_by("customer_id")
                .values_list("frequency", "recency", "T")[:n])
    a = np.array(rows, dtype=float).reshape(-1, 3)
    return a[:, 0], a[:, 1], a[:, 2]


def run_analytics_bench(*, reference: bool = True, venv: Path | None = None, cap: float = 600.0,
                        pareto_customers: int = 350_000, time_unit: str | None = None, as_of: dt.date | None = None,
                        keep: bool = False, as_json: bool = False, out=None) -> dict:
    """Run the three measurements; print them (text or JSON) and return the figures."""
    import numpy as np
    from django.conf import settings
    from django.db import connection

    from kehu.analytics.pareto_nbd import ParetoNBD
    from kehu.bench.web import database_description
    from kehu.insights.models import AnalysisRun, RunStatus, RunTrigger
    from kehu.insights.score_writer import delete_scores
    from kehu.insights.services import run_create, run_execute

    out = out or sys.stdout

    def log(msg):
        if not as_json:
            print(msg, file=out, flush=True)

    figures: dict = {"machine": machine_description(), "database": database_description(),
                     "load_before": load_average()}
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT version()")
            figures["database"]["server"] = cur.fetchone()[0]
    py = None
    if reference:
        py = ensure_reference_venv(venv or default_venv(), log=log)

    # 1. ours: the service kehu analyze and the pages use
    log("running the value analysis (BG/NBD + Gamma-Gamma) ...")
    t0 = time.perf_counter()
    run = run_create(actor=None, as_of=as_of, time_unit=time_unit, model="bgnbd", trigger=RunTrigger.CLI)
    run = run_execute(run)
    whole = time.perf_counter() - t0
    if run.status != RunStatus.SUCCEEDED:
        raise BenchError(f"the value analysis failed: {run.error}")
    res = run.results
    tm = res["timings"]
    # The models' summary: the kept summary's read when the run's models read it alone (on
    # PostgreSQL; the windowed figures for the backtest and the churn periods are read beside it
    # and count in the whole run), else the whole summary step (on SQLite the SQL runs as well).
    models_summary = (tm.get("summary_check_kept", 0.0) + tm["summary_kept"]
                      if res.get("summary_source") == "kept+copy" else tm.get("summary_sql", 0.0))
    summary_fit = models_summary + sum(tm.get(k, 0.0) for k in ("inputs", "fit", "fit_gamma_gamma"))
    ours = {
        "run": run.pk, "as_of": run.as_of.isoformat(), "time_unit": run.time_unit, "customers": run.customers,
        "fitted": res["model"]["customers"], "gamma_gamma_customers": res["gamma_gamma"]["customers"],
        "whole_s": whole, "summary_fit_s": summary_fit, "models_summary_s": models_summary, "stages": tm,
        "summary_source": res.get("summary_source"),
        "bgnbd": res["model"]["params"], "gamma_gamma": res["gamma_gamma"]["params"],
        "converged": {"bgnbd": res["model"]["converged"], "gamma_gamma": res["gamma_gamma"]["converged"]},
    }
    figures["ours"] = ours

    # 3a. Pareto/NBD, ours
    x, t_x, T = _pareto_rows(run, pareto_customers)
    t = time.perf_counter()
    pnbd = ParetoNBD().fit(x, t_x, T)
    figures["pareto_nbd"] = {"customers": int(len(x)), "ours_s": time.perf_counter() - t,
                             "ours": dict(pnbd.params_), "reference_s": None, "reference": None,
                             "cap_s": cap, "rel_diff": None}

    # 2. reference
    if py is not None:
        bench_dir = Path(settings.VAR_DIR) / "bench"
        csv_path = bench_dir / f"analytics-transactions-{os.getpid()}.csv"
        pnbd_path = bench_dir / f"analytics-pareto-{os.getpid()}.csv"
        try:
            log("exporting the transactions for the reference ...")
            rows, export_s = export_transactions(csv_path, as_of=run.as_of)
            log(f"running the lifetimes reference on {rows:,} transactions ...")
            t = time.perf_counter()
            ref = _run_reference(py, {"task": "bgnbd", "csv": str(csv_path), "as_of": run.as_of.isoformat(),
                                      "freq_multiplier": 7 if run.time_unit == "week" else 1}, timeout=cap * 6)
            ref_wall = time.perf_counter() - t
            if ref is None:
                figures["reference"] = {"status": f"> {cap * 6:.0f} s", "export_s": export_s, "transactions": rows}
            else:
                rt = ref["timings"]
                ref_sf = rt["summary"] + rt["fit_bgnbd"] + rt["fit_gamma_gamma"]
                figures["reference"] = {
                    "status": "ok", "lifetimes": ref["lifetimes"], "transactions": rows, "export_s": export_s,
                    "load_s": rt["load"], "summary_s": rt["summary"], "fit_bgnbd_s": rt["fit_bgnbd"],
                    "fit_gamma_gamma_s": rt["fit_gamma_gamma"], "summary_fit_s": ref_sf, "wall_s": ref_wall,
                    "customers": ref["customers"], "gamma_gamma_customers": ref["gamma_gamma_customers"],
                    "bgnbd": ref["bgnbd"], "gamma_gamma": ref["gamma_gamma"],
                    "bgnbd_status": ref["bgnbd_status"], "gamma_gamma_status": ref["gamma_gamma_status"],
                    "speedup": ref_sf / summary_fit if summary_fit > 0 else None,
                    "speedup_with_read": (ref_sf + export_s + rt["load"]) / summary_fit if summary_fit > 0 else None,
                    "rel_diff": {"bgnbd": _rel_diffs(ours["bgnbd"], ref["bgnbd"]),
                                 "gamma_gamma": _rel_diffs(ours["gamma_gamma"], ref["gamma_gamma"])},
                }
            np.savetxt(pnbd_path, np.column_stack([x, t_x, T]), delimiter=",", fmt="%.10g")
            log(f"running lifetimes' ParetoNBDFitter on {len(x):,} customers (cap {cap:.0f} s) ...")
            t = time.perf_counter()
            pref = _run_reference(py, {"task": "pareto_nbd", "csv": str(pnbd_path)}, timeout=cap)
            p = figures["pareto_nbd"]
            if pref is None:
                p["reference_s"] = None
                p["reference_status"] = f"> {cap:.0f} s"
            else:
                p["reference_status"] = "ok"
                p["reference_s"] = pref["timings"]["fit_pareto_nbd"]
                p["reference_wall_s"] = time.perf_counter() - t
                p["reference"] = pref["pareto_nbd"]
                p["reference_fit_status"] = pref["pareto_nbd_status"]
                p["rel_diff"] = _rel_diffs(p["ours"], pref["pareto_nbd"])
        finally:
            for path in (csv_path, pnbd_path):
                path.unlink(missing_ok=True)
    figures["load_after"] = load_average()

    if not keep:
        delete_scores([run.pk])
        AnalysisRun.objects.filter(pk=run.pk).delete()
    figures["kept_run"] = run.pk if keep else None
    if as_json:
        json.dump(figures, out, indent=2, default=str)
        print(file=out)
    else:
        print_report(figures, out)
    return figures


def _verdict(ok) -> str:
    return "-" if ok is None else ("met" if ok else "MISSED")


def print_report(f: dict, out=None) -> None:
    out = out or sys.stdout

    def p(line=""):
        print(line, file=out)

    m, db, ours = f["machine"], f["database"], f["ours"]
    p(f"machine: {m.get('nproc')} cores, {m.get('cpu', '?')}, {m.get('memory_gib', '?')} GiB; "
      f"Python {m.get('python')}")
    p(f"database: {db.get('vendor')} {db.get('version', '')} {db.get('name')}: about {db.get('customers', 0):,} "
      f"customers, {db.get('orders', 0):,} orders, {db.get('order_lines', 0):,} order lines")
    p(f"load average before: {f.get('load_before')}, after: {f.get('load_after')}")
    p(f"as of {ours['as_of']}, time unit {ours['time_unit']}; {ours['customers']:,} customers scored, "
      f"BG/NBD fitted on {ours['fitted']:,}, Gamma-Gamma on {ours['gamma_gamma_customers']:,}")
    p()
    p("Kehu's value analysis (kehu.insights.services.run_execute), stages in seconds:")
    for k, v in ours["stages"].items():
        if k != "total":
            p(f"  {k:<22}{v:9.2f}")
    p(f"  {'total (run)':<22}{ours['stages'].get('total', 0):9.2f}")
    p(f"  {'whole (wall clock)':<22}{ours['whole_s']:9.2f}   target <= {TARGET_WHOLE_S:.0f} s: "
      f"{_verdict(ours['whole_s'] <= TARGET_WHOLE_S)}; issue 17's <= {TARGET_WHOLE_17_S:.0f} s: "
      f"{_verdict(ours['whole_s'] <= TARGET_WHOLE_17_S)}")
    p(f"  {'models summary read':<22}{ours['models_summary_s']:9.2f}   ({ours.get('summary_source')}) "
      f"target <= {TARGET_MODELS_SUMMARY_S} s: {_verdict(ours['models_summary_s'] <= TARGET_MODELS_SUMMARY_S)}")
    ref = f.get("reference")
    p()
    if ref is None:
        p("reference: not run (--no-reference)")
    elif ref["status"] != "ok":
        p(f"reference (lifetimes): did not finish: {ref['status']}")
    else:
        p(f"reference: lifetimes {ref['lifetimes']} on {ref['transactions']:,} exported transactions "
          f"(export {ref['export_s']:.2f} s, read_csv {ref['load_s']:.2f} s, not counted)")
        p(f"{'summary + fit, seconds':<28}{'Kehu':>10}{'lifetimes':>12}")
        p(f"  {'summary':<26}{ours['models_summary_s'] + ours['stages'].get('inputs', 0):10.2f}"
          f"{ref['summary_s']:12.2f}")
        p(f"  {'BG/NBD fit':<26}{ours['stages'].get('fit', 0):10.2f}{ref['fit_bgnbd_s']:12.2f}")
        p(f"  {'Gamma-Gamma fit':<26}{ours['stages'].get('fit_gamma_gamma', 0):10.2f}"
          f"{ref['fit_gamma_gamma_s']:12.2f}")
        p(f"  {'total':<26}{ours['summary_fit_s']:10.2f}{ref['summary_fit_s']:12.2f}   "
          f"{ref['speedup']:.1f}x faster, target >= {TARGET_SPEEDUP:.0f}x: {_verdict(ref['speedup'] >= TARGET_SPEEDUP)}")
        p(f"  {'lifetimes + its read':<26}{'':10}{ref['summary_fit_s'] + ref['export_s'] + ref['load_s']:12.2f}   "
          f"{ref['speedup_with_read']:.1f}x, issue 17's target >= {TARGET_SPEEDUP_17:.0f}x: "
          f"{_verdict(ref['speedup_with_read'] >= TARGET_SPEEDUP_17)}")
        p(f"customers: Kehu {ours['customers']:,} (fitted {ours['fitted']:,}), lifetimes {ref['customers']:,}; "
          f"Gamma-Gamma: {ours['gamma_gamma_customers']:,} / {ref['gamma_gamma_customers']:,}")
        worst = 0.0
        p(f"{'parameter':<22}{'Kehu':>14}{'lifetimes':>14}{'rel. diff':>12}")
        for model in ("bgnbd", "gamma_gamma"):
            for k, v in ours[model].items():
                r = ref[model].get(k)
                d = ref["rel_diff"][model].get(k)
                worst = max(worst, d or 0.0)
                p(f"  {model + ' ' + k:<20}{v:14.6g}{r:14.6g}{d:12.2e}")
        for model in ("bgnbd", "gamma_gamma"):
            if ref[model + "_status"] != "ok":
                p(f"  lifetimes {model}: {ref[model + '_status']} (the point where it stopped is shown)")
        p(f"  largest relative difference {worst:.2e}, target <= {TARGET_REL_DIFF:.0e}: "
          f"{_verdict(worst <= TARGET_REL_DIFF)}")
    pn = f["pareto_nbd"]
    p()
    p(f"Pareto/NBD on {pn['customers']:,} customers: Kehu {pn['ours_s']:.2f} s (target <= {TARGET_PARETO_S:.0f} s: "
      f"{_verdict(pn['ours_s'] <= TARGET_PARETO_S)}), lifetimes "
      + ("not run" if ref is None else (f"{pn['reference_s']:.2f} s ({pn['reference_s'] / pn['ours_s']:.0f}x)"
                                        if pn.get("reference_s") is not None else pn.get("reference_status", "-"))))
    for k, v in pn["ours"].items():
        r = (pn.get("reference") or {}).get(k)
        d = (pn.get("rel_diff") or {}).get(k)
        p(f"  {'pareto_nbd ' + k:<20}{v:14.6g}" + ("" if r is None else f"{r:14.6g}{d:12.2e}"))
    if pn.get("reference_fit_status") not in (None, "ok"):
        p(f"  lifetimes pareto_nbd: {pn['reference_fit_status']} (the point where it stopped is shown)")
