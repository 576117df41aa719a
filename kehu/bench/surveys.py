"""``kehu bench surveys``: the speed of the survey analytics.

1. The weighted-average CSI (:class:`kehu.analytics.csi.CSI`) over
   ``--responses`` (default 1,000,000) respondents × 25 items on 0–100, in a
   four-level hierarchy (root, 5 areas, 25 items); target ≤ 5 s.
2. The ECSI PLS path model (:data:`kehu.analytics.pls_pm.ECSI_PATHS`, 25
   items on 1–10) with ``--bootstrap`` (500) resamples on ``--pls-rows``
   (10,000) respondents; target ≤ 30 s.
3. The plain PLS fit (no bootstrap) on 250 respondents of the six-construct
   ECSI model of Tenenhaus et al. (2005) against the independent ``plspm``
   package (PyPI 0.5.7), which runs in its own virtual environment
   (``var/plspm-venv``, made with ``plspm==0.5.7 "pandas<3"`` when missing):
   the same data, path scheme, centred items, tolerance 1e-6; both timed as
   the mean of repeated fits in their own process, and the largest
   difference of the path coefficients printed. Target: equal coefficients
   and Kehu at least 10× faster.

Everything is synthetic and seeded (:func:`kehu.analytics.pls_pm.simulate_path_model`);
no database is touched. The machine and its load average are printed with
the figures, since a shared machine changes them.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PLSPM_REQUIREMENTS = ["plspm==0.5.7", "pandas<3"]
TARGETS = {"csi_seconds": 5.0, "pls_bootstrap_seconds": 30.0, "speedup": 10.0}

# Six-construct ECSI of Tenenhaus et al. (2005), the model of plspm's satisfaction example.
SMALL_PATHS = {("IMAG", "EXPE"): 0.55, ("IMAG", "SAT"): 0.2, ("IMAG", "LOY"): 0.3, ("EXPE", "QUAL"): 0.6,
               ("EXPE", "VAL"): 0.15, ("EXPE", "SAT"): 0.05, ("QUAL", "VAL"): 0.55, ("QUAL", "SAT"): 0.2,
               ("VAL", "SAT"): 0.5, ("SAT", "LOY"): 0.5}
SMALL_LOADINGS = {"IMAG": (0.75, 0.8, 0.8, 0.6, 0.75), "EXPE": (0.75, 0.75, 0.8, 0.7, 0.75),
                  "QUAL": (0.8, 0.75, 0.85, 0.8, 0.8), "VAL": (0.85, 0.8, 0.75, 0.85),
                  "SAT": (0.9, 0.9, 0.8, 0.8), "LOY": (0.7, 0.9, 0.7, 0.6)}

RUNNER = r'''
import json, sys, time
import pandas as pd
import plspm.config as c
from plspm.mode import Mode
from plspm.plspm import Plspm
from plspm.scheme import Scheme

data = pd.read_csv(sys.argv[1])
spec = json.loads(sys.argv[2])
repeat = int(sys.argv[3])
s = c.Structure()
for f, targets in spec["structure"]:
    s.add_path([f], targets)
path = s.path()
def fit():
    cfg = c.Config(path, scaled=False)
    for lv in spec["constructs"]:
        cfg.add_lv_with_columns_named(lv, Mode.A, data, lv + "_")
    return Plspm(data, cfg, Scheme.PATH, 100, 1e-6)
m = fit()
t = time.perf_counter()
for _ in range(repeat):
    m = fit()
seconds = (time.perf_counter() - t) / repeat
pc = m.path_coefficients()
paths = {f + "->" + t: float(pc.loc[t, f]) for t in pc.index for f in pc.columns if pc.loc[t, f] != 0}
print(json.dumps({"seconds": seconds, "paths": paths}))
'''


def machine() -> dict:
    """CPU, cores, memory and the load average now."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": memory, "load_average": load,
            "python": platform.python_version(), "numpy": np.__version__}


def bench_csi(responses: int, seed: int = 1) -> dict:
    """Weighted CSI over ``responses`` × 25 items (5 areas of 5 items)."""
    from kehu.analytics.csi import CSI, Node

    rng = np.random.default_rng(seed)
    areas = []
    for a in range(5):
        w = rng.dirichlet(np.ones(5))
        areas.append(Node(name=f"area{a}", weight=0.2,
                          children=tuple(Node(name=f"q{a}{i}", weight=float(w[i]), item=a * 5 + i) for i in range(5))))
    tree = Node(name="csi", children=tuple(areas))
    levels = np.array([20.0, 40.0, 60.0, 80.0, 100.0], dtype=np.float64)
    x = levels[rng.integers(0, 5, size=(responses, 25))]
    x[rng.random(x.shape) < 0.02] = np.nan  # a few skipped items
    t = time.perf_counter()
    model = CSI(tree).fit(x)
    seconds = time.perf_counter() - t
    return {"responses": responses, "items": 25, "seconds": seconds, "csi": model.csi_}


def bench_pls_bootstrap(rows: int, bootstrap: int, seed: int = 2) -> dict:
    """The ECSI model with ``bootstrap`` resamples on ``rows`` respondents."""
    from kehu.analytics.pls_pm import (
        ECSI_PATHS, ECSI_SIMULATION_LOADINGS, ECSI_SIMULATION_PATHS, PLSPM, simulate_path_model,
    )

    X, items, _ = simulate_path_model(ECSI_SIMULATION_PATHS, ECSI_SIMULATION_LOADINGS, rows, seed=seed, likert=(1, 10))
    blocks = {c: [i for i in items if i.rsplit("_", 1)[0] == c] for c in ECSI_SIMULATION_LOADINGS}
    t = time.perf_counter()
    model = PLSPM(blocks, ECSI_PATHS, n_bootstrap=bootstrap, seed=seed).fit(X, items)
    seconds = time.perf_counter() - t
    return {"rows": rows, "items": len(items), "bootstrap": bootstrap, "seconds": seconds,
            "satisfaction_r2": model.r2_["satisfaction"]}


def plspm_python(venv: Path) -> Path:
    """The Python of the plspm virtual environment, made when missing."""
    python = venv / "bin" / "python"
    if python.exists():
        check = subprocess.run([str(python), "-c", "import plspm, pandas"], capture_output=True)
        if check.returncode == 0:
            return python
    print(f"making {venv} with {' '.join(PLSPM_REQUIREMENTS)} (once) ...", file=sys.stderr)
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, capture_output=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PLSPM_REQUIREMENTS], check=True,
                       capture_output=True, text=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise RuntimeError(
            f"cannot make the plspm environment in {venv}: {str(detail).strip()[-400:]}\n"
            f"make it by hand with: python3 -m venv {venv} && {python} -m pip install "
            f"{' '.join(repr(r) for r in PLSPM_REQUIREMENTS)}") from exc
    return python


def bench_against_plspm(rows: int, venv: Path, repeat_theirs: int = 20, repeat_ours: int = 200,
                        seed: int = 3) -> dict:
    """The plain PLS fit by Kehu and by plspm on the same ``rows`` respondents."""
    from kehu.analytics.pls_pm import PLSPM, simulate_path_model

    X, items, _ = simulate_path_model(SMALL_PATHS, SMALL_LOADINGS, rows, seed=seed, likert=(1, 10))
    constructs = list(SMALL_LOADINGS)
    blocks = {c: [i for i in items if i.rsplit("_", 1)[0] == c] for c in constructs}
    paths = list(SMALL_PATHS)
    structure = {}
    for f, t in paths:
        structure.setdefault(f, []).append(t)
    python = plspm_python(venv)
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "data.csv"
        csv.write_text(",".join(items) + "\n" + "\n".join(",".join(str(int(v)) for v in row) for row in X) + "\n")
        runner = Path(tmp) / "runner.py"
        runner.write_text(RUNNER)
        spec = json.dumps({"structure": list(structure.items()), "constructs": constructs})
        done = subprocess.run([str(python), str(runner), str(csv), spec, str(repeat_theirs)], capture_output=True,
                              text=True)
        if done.returncode != 0:
            raise RuntimeError(f"plspm failed: {done.stderr.strip()[-600:]}")
        theirs = json.loads(done.stdout.strip().splitlines()[-1])

    def fit():
        return PLSPM(blocks, paths, scheme="path", scaled=False, tol=1e-6, scale_range=(1, 10)).fit(X, items)

    model = fit()
    t = time.perf_counter()
    for _ in range(repeat_ours):
        model = fit()
    ours = (time.perf_counter() - t) / repeat_ours
    diff = max(abs(model.path_coefficients_[(f, t)] - theirs["paths"][f"{f}->{t}"]) for f, t in paths)
    return {"rows": rows, "plspm_seconds": theirs["seconds"], "kehu_seconds": ours,
            "speedup": theirs["seconds"] / ours, "max_path_difference": diff,
            "paths": {f"{f}->{t}": {"kehu": model.path_coefficients_[(f, t)], "plspm": theirs["paths"][f"{f}->{t}"]}
                      for f, t in paths}}


def run(*, responses: int = 1_000_000, pls_rows: int = 10_000, bootstrap: int = 500, compare_rows: int = 250,
        venv: Path | None = None, skip_plspm: bool = False) -> dict:
    from django.conf import settings

    out = {"machine_before": machine()}
    out["csi"] = bench_csi(responses)
    out["pls_bootstrap"] = bench_pls_bootstrap(pls_rows, bootstrap)
    if not skip_plspm:
        out["plspm"] = bench_against_plspm(compare_rows, venv or Path(settings.VAR_DIR) / "plspm-venv")
    out["machine_after"] = machine()
    return out


def print_report(r: dict) -> None:
    m = r["machine_before"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; Python {m['python']}, NumPy {m['numpy']}")
    print(f"load average before: {m['load_average']}, after: {r['machine_after']['load_average']}")
    c = r["csi"]
    print(f"weighted CSI, {c['responses']:,} responses × {c['items']} items: {c['seconds']:.2f} s "
          f"(target ≤ {TARGETS['csi_seconds']:.0f} s)  CSI = {c['csi']:.2f}")
    p = r["pls_bootstrap"]
    print(f"ECSI PLS model, {p['rows']:,} responses × {p['items']} items, {p['bootstrap']} bootstrap resamples: "
          f"{p['seconds']:.2f} s (target ≤ {TARGETS['pls_bootstrap_seconds']:.0f} s)")
    if "plspm" in r:
        q = r["plspm"]
        print(f"plain PLS fit, {q['rows']} responses:   plspm 0.5.7 {q['plspm_seconds'] * 1e3:8.2f} ms   "
              f"kehu {q['kehu_seconds'] * 1e3:8.3f} ms   {q['speedup']:.0f}× faster "
              f"(target ≥ {TARGETS['speedup']:.0f}×)")
        print(f"{'path':<14} {'kehu':>10} {'plspm':>10}")
        for key, v in q["paths"].items():
            print(f"{key:<14} {v['kehu']:>10.6f} {v['plspm']:>10.6f}")
        print(f"largest difference of a path coefficient: {q['max_path_difference']:.1e}")


def run_surveys_bench(*, responses, pls_rows, bootstrap, compare_rows, as_json: bool, skip_plspm: bool) -> int:
    try:
        r = run(responses=responses, pls_rows=pls_rows, bootstrap=bootstrap, compare_rows=compare_rows,
                skip_plspm=skip_plspm)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(r, indent=2))
    else:
        print_report(r)
    return 0
