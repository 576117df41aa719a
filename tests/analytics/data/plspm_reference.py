"""Reference values for tests/analytics/test_pls_pm.py from the independent plspm package.

plspm (PyPI, 0.5.7; a Python port of Gaston Sanchez's R package plspm) is
not a dependency of Kehu: run this in a throwaway environment, from the repo root:

    python3 -m venv /tmp/plspm-venv
    /tmp/plspm-venv/bin/pip install plspm==0.5.7 "pandas<3"   # plspm 0.5.7 breaks on pandas 3
    /tmp/plspm-venv/bin/python tests/analytics/data/plspm_reference.py tests/analytics/data/satisfaction.csv

It prints the reference values as JSON (pasted into the test) and, on
stderr, the time of one plain fit by plspm and by kehu.analytics.pls_pm on
the same data in the same process.

Like with like: plspm's ``Config(scaled=False)`` centres the items (= our
``scaled=False``); for standardised items plspm-python's ``scaled=True``
divides every item by one pooled SD, which is not R plspm's per-item
standardisation, so the standardised reference uses
``default_scale=Scale.NUM`` (each item centred and divided by its population
SD = our ``scaled=True``). Tolerance 1e-12 on both sides so that the
comparison is not blurred by where each implementation stops iterating.
"""

import json
import os
import sys
import time

import numpy as np
import pandas as pd
import plspm.config as c
from plspm.mode import Mode
from plspm.plspm import Plspm
from plspm.scale import Scale
from plspm.scheme import Scheme

data = pd.read_csv(sys.argv[1], index_col=0)
LVS = ["IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY"]
SIZES = [5, 5, 5, 4, 4, 4]
ITEMS = [f"{lv.lower()}{k}" for lv, n in zip(LVS, SIZES) for k in range(1, n + 1)]
s = c.Structure()
s.add_path(["IMAG"], ["EXPE", "SAT", "LOY"])
s.add_path(["EXPE"], ["QUAL", "VAL", "SAT"])
s.add_path(["QUAL"], ["VAL", "SAT"])
s.add_path(["VAL"], ["SAT"])
s.add_path(["SAT"], ["LOY"])
PATH = s.path()  # Structure.path() can be called only once


def run(scheme, scaled, mode=Mode.A, tol=1e-12):
    cfg = c.Config(PATH, default_scale=Scale.NUM) if scaled else c.Config(PATH, scaled=False)
    for lv in LVS:
        cfg.add_lv_with_columns_named(lv, mode, data, lv.lower())
    return Plspm(data, cfg, scheme, 100, tol)


def summary(m):
    pc = m.path_coefficients()
    om = m.outer_model()
    r2 = m.inner_summary()["r_squared"]
    return {
        "paths": {f"{f}->{t}": round(float(pc.loc[t, f]), 6) for t in pc.index for f in pc.columns if pc.loc[t, f] != 0},
        "weights": [round(float(om.loc[i, "weight"]), 6) for i in ITEMS],
        "loadings": [round(float(om.loc[i, "loading"]), 6) for i in ITEMS],
        "r2": {lv: round(float(r2[lv]), 6) for lv in LVS if r2[lv] != 0},
    }


out = {}
for name, scheme in [("centroid", Scheme.CENTROID), ("path", Scheme.PATH), ("factorial", Scheme.FACTORIAL)]:
    for scaled in (False, True):
        out[f"{name}-{'scaled' if scaled else 'raw'}"] = summary(run(scheme, scaled))
out["modeB-centroid-raw"] = summary(run(Scheme.CENTROID, False, Mode.B))
base = run(Scheme.CENTROID, False)
u = base.unidimensionality()
out["cronbach_alpha"] = {lv: round(float(u.loc[lv, "cronbach_alpha"]), 6) for lv in LVS}
out["dg_rho"] = {lv: round(float(u.loc[lv, "dillon_goldstein_rho"]), 6) for lv in LVS}
out["ave"] = {lv: round(float(base.inner_summary().loc[lv, "ave"]), 6) for lv in LVS}
print(json.dumps(out, indent=1))

# Speed of a plain fit, both packages in this process (path scheme, centred items, tol 1e-6 = plspm's default).
sys.path.insert(0, os.getcwd())
try:
    from kehu.analytics.pls_pm import PLSPM
except ImportError:  # not run from the repo root
    sys.exit(0)
X = data[ITEMS].to_numpy(float)
blocks = {lv: [i for i in ITEMS if i.rstrip("0123456789") == lv.lower()] for lv in LVS}
paths = [(f, t) for t in PATH.index for f in PATH.columns if PATH.loc[t, f] == 1]


def theirs():
    return run(Scheme.PATH, False, tol=1e-6)


def ours():
    return PLSPM(blocks, paths, scheme="path", scaled=False, tol=1e-6, scale_range=(0, 10)).fit(X, ITEMS)


theirs(), ours()
t = time.perf_counter()
for _ in range(20):
    a = theirs()
t_theirs = (time.perf_counter() - t) / 20
t = time.perf_counter()
for _ in range(500):
    b = ours()
t_ours = (time.perf_counter() - t) / 500
pc = a.path_coefficients()
diff = max(abs(b.path_coefficients_[(f, t)] - pc.loc[t, f]) for f, t in paths)
print(
    f"plain PLS fit, {len(X)} rows: plspm {t_theirs * 1e3:.1f} ms, kehu {t_ours * 1e3:.2f} ms "
    f"({t_theirs / t_ours:.0f}x); max |path difference| at tol 1e-6: {diff:.1e}",
    file=sys.stderr,
)
