"""``kehu analyze`` (a value analysis here and now) and ``kehu worker`` (the background worker).

Exit codes of ``kehu analyze``: 0 finished; 1 the analysis failed (the
reason is printed; the run is recorded and can be started again); 2 bad
arguments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from django.utils.translation import gettext as _


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("%(value)r is not a date (YYYY-MM-DD)") % {"value": text}) from None


class _Bar:
    """A tqdm bar (0–100 %) on stderr showing the run's stage; off when stderr is not a terminal."""

    def __init__(self, enabled: bool):
        self.bar = None
        self.enabled = enabled

    def __call__(self, pct, stage):
        if not self.enabled:
            return
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=100, file=sys.stderr, disable=None, dynamic_ncols=True,
                            bar_format="{l_bar}{bar}| {elapsed}")
        self.bar.set_description_str(_(stage))
        self.bar.update(max(0, int(pct) - self.bar.n))

    def close(self):
        if self.bar is not None:
            self.bar.close()


def run_json(run) -> dict:
    """What ``kehu analyze --json`` prints: fitted parameters by their usual names,
    log-likelihoods, customer counts, holdout figures and the churn backtest."""
    res = run.results or {}
    out = {
        "run": run.pk, "status": run.status, "engine": run.engine, "as_of": run.as_of.isoformat(),
        "calibration_end": run.calibration_end.isoformat() if run.calibration_end else None,
        "holdout_end": run.holdout_end.isoformat() if run.holdout_end else None,
        "time_unit": run.time_unit, "model": run.model,
    }
    if run.error:
        out["error"] = _(run.error)
    model = res.get("model")
    gg = res.get("gamma_gamma")
    if model:
        out[model["name"]] = model["params"]
    if gg:
        out["gamma_gamma"] = gg["params"]
    out["log_likelihood"] = {
        **({model["name"]: model["log_likelihood"]} if model else {}),
        **({"gamma_gamma": gg["log_likelihood"]} if gg else {}),
    }
    counts = dict(res.get("counts", {}))
    if model:
        counts["fitted"] = model["customers"]
    if gg:
        counts["gamma_gamma"] = gg["customers"]
    out["customers"] = counts
    out["holdout"] = res.get("holdout")
    churn = res.get("churn") or {}
    out["churn"] = {k: churn.get(k) for k in ("threshold", "flagged", "revenue_at_risk", "signals_used")}
    out["churn_backtest"] = churn.get("backtest")
    pareto = res.get("pareto") or {}
    out["pareto"] = {k: pareto.get(k) for k in ("basis", "top_fraction", "top_share", "share_for_80", "gini")}
    out["clv"] = res.get("clv")
    out["warnings"] = res.get("warnings", [])
    out["timings"] = res.get("timings", {})
    return out


def _print_summary(run, headline: str | None = None) -> None:
    from kehu.insights.config import metric_label

    res = run.results
    print(headline or _("Value analysis #%(id)s as of %(as_of)s: %(customers)s customers scored in %(seconds).1f s") % {
        "id": run.pk, "as_of": run.as_of.isoformat(), "customers": f"{run.customers:,}",
        "seconds": res.get("timings", {}).get("total", 0.0)})
    model = res.get("model")
    if model:
        params = ", ".join(f"{k} = {v:.4g}" for k, v in model["params"].items())
        print("  " + _("%(model)s: %(params)s (log-likelihood %(ll).1f)") % {
            "model": {"bgnbd": "BG/NBD", "pareto_nbd": "Pareto/NBD"}[model["name"]], "params": params,
            "ll": model["log_likelihood"]})
    gg = res.get("gamma_gamma")
    if gg:
        params = ", ".join(f"{k} = {v:.4g}" for k, v in gg["params"].items())
        print("  " + _("Gamma-Gamma: %(params)s (log-likelihood %(ll).1f)") % {"params": params,
                                                                              "ll": gg["log_likelihood"]})
    pareto = res.get("pareto")
    if pareto:
        print("  " + _("The top %(x).0f%% of customers make %(y).1f%% of %(basis)s; Gini %(gini)s") % {
            "x": pareto["top_fraction"] * 100, "y": pareto["top_share"] * 100, "basis": metric_label(pareto["basis"]),
            "gini": "-" if pareto["gini"] is None else f"{pareto['gini']:.3f}"})
    churn = res.get("churn", {})
    print("  " + _("Churn warnings: %(flagged)s customers, revenue at risk %(money)s") % {
        "flagged": f"{churn.get('flagged', 0):,}", "money": f"{churn.get('revenue_at_risk_flagged', 0):,.2f}"})
    bt = churn.get("backtest")
    if bt:
        def pct(v):
            return "-" if v is None else f"{v * 100:.1f}%"

        print("  " + _("Backtest as of %(date)s: precision %(precision)s, recall %(recall)s") % {
            "date": bt["as_of"], "precision": pct(bt["precision"]), "recall": pct(bt["recall"])})
    for w in res.get("warnings", []):
        print(_("note: %(message)s") % {"message": _(w)})


def _spark_options_error(args) -> str | None:
    if args.engine != "spark":
        for option, value in (("--orders", args.orders), ("--spark-master", args.spark_master),
                              ("--scores-out", args.scores_out)):
            if value:
                return _("%(option)s needs --engine spark") % {"option": option}
        return None
    if not args.orders:
        return _("--engine spark needs --orders (a Parquet folder, a table of Spark's catalogue or a JDBC URL)")
    return None


def _open_spark(args):
    from kehu.insights.warehouse import SparkSource, register_orders, spark_session

    spark = spark_session(args.spark_master)
    spark.sparkContext.setLogLevel("ERROR")
    view = register_orders(spark, args.orders, jdbc_table=args.jdbc_table, jdbc_partitions=args.jdbc_partitions)
    return SparkSource(spark, view)


def _analyze_to_parquet(args, model) -> int:
    from types import SimpleNamespace

    from django.core.exceptions import ValidationError
    from django.db import DatabaseError
    from django.utils import timezone

    from kehu.insights.config import default_config, value_settings
    from kehu.insights.services import _check_dates, summary_window
    from kehu.insights.warehouse import WarehouseError, analyse_to_parquet, check_scores_out

    try:
        parameters = value_settings()
    except DatabaseError:   # a cluster's driver without Kehu's database: the default settings
        parameters = default_config()
        print(_("note: Kehu's database cannot be read: the default value settings are used"), file=sys.stderr)
    as_of = args.as_of or timezone.localdate()
    errors = _check_dates(as_of=as_of, calibration_end=args.calibration_end, holdout_end=args.holdout_end,
                          today=timezone.localdate())
    if errors:
        raise ValidationError(errors)
    window, explicit = summary_window(as_of=as_of, calibration_end=args.calibration_end,
                                      holdout_end=args.holdout_end, parameters=parameters)
    bar = _Bar(enabled=not args.quiet)
    try:
        check_scores_out(args.scores_out)
        source = _open_spark(args)
        info = analyse_to_parquet(source, window=window, explicit=explicit,
                                  time_unit=args.time_unit or parameters["time_unit"],
                                  model=model or parameters["model"], parameters=parameters,
                                  out_dir=args.scores_out, progress=bar)
    except WarehouseError as exc:
        bar.close()
        print(_("error: %(message)s") % {"message": exc}, file=sys.stderr)
        return 1
    finally:
        bar.close()
    run = SimpleNamespace(
        pk=None, status="succeeded", engine=info["engine"], as_of=window.as_of, error="",
        calibration_end=window.split if explicit else None, holdout_end=window.holdout_end if explicit else None,
        time_unit=info["time_unit"], model=info["model"], results=info["results"],
        customers=info["results"]["counts"]["customers"])
    if args.json:
        print(json.dumps({**run_json(run), "scores_out": str(args.scores_out)}, ensure_ascii=False, indent=2))
    else:
        _print_summary(run, headline=_(
            "Value analysis as of %(as_of)s on Spark: %(customers)s customers scored in %(seconds).1f s, "
            "scores written to %(folder)s") % {
            "as_of": window.as_of.isoformat(), "customers": f"{run.customers:,}", "folder": args.scores_out,
            "seconds": run.results.get("timings", {}).get("total", 0.0)})
    return 0


def _analyze(args) -> int:
    from django.core.exceptions import ValidationError

    from kehu.insights.models import RunStatus, RunTrigger
    from kehu.insights.services import run_create, run_execute

    model = {"bgnbd": "bgnbd", "pareto-nbd": "pareto_nbd"}.get(args.model) if args.model else None
    problem = _spark_options_error(args)
    if problem:
        print(_("error: %(message)s") % {"message": problem}, file=sys.stderr)
        return 2
    source = None
    if args.engine == "spark" and args.scores_out:
        try:
            return _analyze_to_parquet(args, model)
        except ValidationError as exc:
            _print_date_errors(exc)
            return 2
    if args.engine == "spark":
        from kehu.insights.warehouse import WarehouseError

        try:
            source = _open_spark(args)
        except WarehouseError as exc:
            print(_("error: %(message)s") % {"message": exc}, file=sys.stderr)
            return 1
    try:
        run = run_create(actor=None, as_of=args.as_of, calibration_end=args.calibration_end,
                         holdout_end=args.holdout_end, time_unit=args.time_unit, model=model,
                         trigger=RunTrigger.CLI)
    except ValidationError as exc:
        _print_date_errors(exc)
        return 2
    bar = _Bar(enabled=not args.quiet)
    try:
        run = run_execute(run, progress=bar, source=source)
    finally:
        bar.close()
    missing = (run.results or {}).get("counts", {}).get("not_in_database", 0)
    if missing:
        print(_("note: %(count)s customers of %(source)s are not in Kehu's database: they were scored but "
                "their scores were not stored") % {"count": f"{missing:,}", "source": args.orders.split("?")[0]},
              file=sys.stderr)
    if args.json:
        print(json.dumps(run_json(run), ensure_ascii=False, indent=2))
    elif run.status == RunStatus.SUCCEEDED:
        _print_summary(run)
    if run.status != RunStatus.SUCCEEDED:
        print(_("error: the analysis #%(id)s failed: %(message)s") % {"id": run.pk, "message": _(run.error)},
              file=sys.stderr)
        return 1
    return 0


def _print_date_errors(exc) -> None:
    options = {"as_of": "--as-of", "calibration_end": "--calibration-end", "holdout_end": "--holdout-end",
               "time_unit": "--time-unit", "model": "--model"}
    for field, errors in exc.message_dict.items():
        print(_("error: %(field)s: %(errors)s") % {"field": options.get(field, field), "errors": " ".join(errors)},
              file=sys.stderr)


def _worker(args) -> int:
    import logging

    from huey.consumer import Consumer

    from kehu import jobs

    jobs.discover()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    print(_("Kehu worker: running background jobs and schedules (Ctrl+C stops it)"), flush=True)
    Consumer(jobs.huey, workers=args.workers, periodic=not args.no_periodic, worker_type="thread",
             max_delay=jobs.WORKER_MAX_DELAY).run()
    return 0


def register(sub) -> None:
    a = sub.add_parser("analyze", help=_("run a customer value analysis now (RFM, ABC, CLV, churn)"))
    a.add_argument("--as-of", type=_date, metavar="DATE", help=_("analyse orders up to this date (default: today)"))
    a.add_argument("--calibration-end", type=_date, metavar="DATE",
                   help=_("fit the models on orders up to this date and check them on the orders after it"))
    a.add_argument("--holdout-end", type=_date, metavar="DATE",
                   help=_("end of the holdout period (default: the as-of date)"))
    a.add_argument("--time-unit", choices=["day", "week"], help=_("time unit of the models (default: the settings')"))
    a.add_argument("--model", choices=["bgnbd", "pareto-nbd"], help=_("purchase model (default: the settings')"))
    a.add_argument("--json", action="store_true", help=_("print the fitted parameters and figures as JSON"))
    a.add_argument("--quiet", "-q", action="store_true", help=_("no progress bar"))
    a.add_argument("--engine", choices=["database", "spark"], default="database",
                   help=_("where the orders are summarised: Kehu's database (default) or Apache Spark "
                          "(docs/scale.md)"))
    a.add_argument("--orders", metavar="SOURCE",
                   help=_("with --engine spark: the orders as a Parquet folder, a table of Spark's catalogue "
                          "or a JDBC URL (jdbc:postgresql://...; the driver's jar must be on Spark's class path)"))
    a.add_argument("--jdbc-table", dest="jdbc_table", default="sales_order", metavar="TABLE",
                   help=_("the orders' table of a JDBC source (default sales_order)"))
    a.add_argument("--jdbc-partitions", dest="jdbc_partitions", type=int, default=1, metavar="N",
                   help=_("read a JDBC source in N ranges of customer ids at once (default 1)"))
    a.add_argument("--spark-master", dest="spark_master", metavar="URL",
                   help=_("Spark's master (default: spark-submit's, else local[*])"))
    a.add_argument("--scores-out", dest="scores_out", metavar="DIR",
                   help=_("with --engine spark: write the scores as Parquet files to DIR instead of "
                          "Kehu's database"))
    a.set_defaults(func=_analyze)

    w = sub.add_parser("worker", help=_("run background jobs and the nightly analysis (Huey consumer)"))
    w.add_argument("--workers", type=int, default=1, help=_("worker threads (default 1)"))
    w.add_argument("--no-periodic", action="store_true", help=_("do not run the schedules"))
    w.set_defaults(func=_worker)


def demo_analysis(*, force: bool, out=None):
    """The demo's first value analysis (so the Customer value pages have data):
    run when ``force`` (a new demo company) or when no analysis has finished yet."""
    from kehu.insights.models import AnalysisRun, RunStatus, RunTrigger
    from kehu.insights.services import run_create, run_execute

    out = out or sys.stdout
    if not force and AnalysisRun.objects.filter(status=RunStatus.SUCCEEDED).exists():
        return None
    print(_("Analysing customer value (RFM, ABC, lifetime value, churn)..."), file=out, flush=True)
    run = run_execute(run_create(actor=None, trigger=RunTrigger.CLI))
    if run.status == RunStatus.SUCCEEDED:
        print("  " + _("%(customers)s customers scored in %(seconds).1f s") % {
            "customers": f"{run.customers:,}", "seconds": run.results.get("timings", {}).get("total", 0.0)},
            file=out)
    else:
        print(_("note: the customer value analysis failed: %(message)s") % {"message": _(run.error)}, file=out)
    return run
