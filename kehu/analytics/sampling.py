"""Survey sample size and stratified random sampling.

* Sample size for estimating a proportion (Cochran 1977, *Sampling
  Techniques*, 3rd ed., eqs. 4.2 and 4.3):

      n0 = z² · p(1 − p) / e²
      n  = n0 / (1 + (n0 − 1)/N)        (finite population correction)

  with z the two-sided normal quantile of the confidence level, p the
  expected proportion (0.5 is the conservative choice), e the margin of error
  and N the population; the result is rounded up.
* Stratified random sampling: the sample size n is allocated to strata
  proportionally to their sizes (n_h ∝ N_h, rounded by the largest-remainder
  method so the parts add up to n) or equally (n_h = n/H, the remainder to
  the first strata in sorted order); no stratum gets more than its size, and
  what a stratum cannot take is handed to the others by the same rule. Then
  a simple random sample without replacement is drawn in each stratum with a
  ``numpy.random.Generator`` seeded by ``seed`` (drawn and recorded when not
  given). Strata are visited in sorted order and units within a stratum in
  the order given, so the same ids, strata and seed give the same sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["sample_size", "allocate", "StratifiedSample", "stratified_sample"]


def sample_size(confidence: float = 0.95, margin: float = 0.05, p: float = 0.5, population: int | None = None) -> int:
    """Respondents needed to estimate a proportion within ±``margin``."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must be in (0, 1)")
    if not 0 < margin < 1:
        raise ValueError("margin must be in (0, 1), e.g. 0.05 for ±5 points")
    if not 0 <= p <= 1:
        raise ValueError("p must be in [0, 1]")
    z = stats.norm.ppf(0.5 + confidence / 2)
    n0 = z**2 * p * (1 - p) / margin**2
    if population is not None:
        if population < 1:
            raise ValueError("population must be at least 1")
        n0 = n0 / (1 + (n0 - 1) / population)
        return int(min(population, math.ceil(n0 - 1e-9)))
    return int(math.ceil(n0 - 1e-9))


def _largest_remainder(quotas: np.ndarray, total: int) -> np.ndarray:
    base = np.floor(quotas).astype(int)
    left = total - int(base.sum())
    if left > 0:
        order = np.argsort(-(quotas - base), kind="stable")
        base[order[:left]] += 1
    return base


def allocate(sizes: dict, n: int, method: str = "proportional") -> dict:
    """Split ``n`` over strata of the given sizes (see the module docstring)."""
    keys = sorted(sizes, key=str)
    cap = np.array([int(sizes[k]) for k in keys])
    if (cap < 0).any():
        raise ValueError("stratum sizes must be non-negative")
    if n < 0:
        raise ValueError("n must be non-negative")
    if n > cap.sum():
        raise ValueError(f"sample of {n} from a population of {int(cap.sum())}")
    if method not in ("proportional", "equal"):
        raise ValueError(f"method must be 'proportional' or 'equal', got {method!r}")
    alloc = np.zeros(len(keys), int)
    remaining = n
    open_ = cap > 0
    while remaining > 0:
        idx = np.flatnonzero(open_)
        if method == "proportional":
            quotas = remaining * cap[idx] / cap[idx].sum()
        else:
            quotas = np.full(idx.size, remaining / idx.size)
        add = _largest_remainder(quotas, remaining)
        room = cap[idx] - alloc[idx]
        add = np.minimum(add, room)
        alloc[idx] += add
        remaining -= int(add.sum())
        open_ = alloc < cap
        if remaining > 0 and int(add.sum()) == 0:  # rounding starved every open stratum
            first = np.flatnonzero(open_)[0]
            alloc[first] += 1
            remaining -= 1
            open_ = alloc < cap
    return {k: int(a) for k, a in zip(keys, alloc)}


@dataclass(frozen=True)
class StratifiedSample:
    ids: list  # the sampled unit ids, stratum by stratum
    strata: list  # the stratum of each sampled id
    allocation: dict  # stratum -> sample size
    population: dict  # stratum -> population size
    seed: int
    method: str


def stratified_sample(unit_ids, strata, n: int, method: str = "proportional", seed: int | None = None) -> StratifiedSample:
    """Stratified simple random sample of ``n`` units (see the module docstring).

    ``unit_ids`` and ``strata`` are parallel sequences; ids must be unique.
    The seed used is in the result, so a draw can be repeated and audited.
    """
    ids = list(unit_ids)
    labels = list(strata)
    if len(ids) != len(labels):
        raise ValueError("unit_ids and strata must have the same length")
    if len(set(ids)) != len(ids):
        raise ValueError("unit ids must be unique")
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))
    groups: dict = {}
    for u, s in zip(ids, labels):
        groups.setdefault(s, []).append(u)
    sizes = {s: len(g) for s, g in groups.items()}
    alloc = allocate(sizes, n, method)
    rng = np.random.default_rng(seed)
    out_ids, out_strata = [], []
    for s in sorted(groups, key=str):
        k = alloc[s]
        if k == 0:
            continue
        members = groups[s]
        pick = np.sort(rng.choice(len(members), size=k, replace=False))
        out_ids.extend(members[i] for i in pick)
        out_strata.extend([s] * k)
    return StratifiedSample(out_ids, out_strata, alloc, sizes, int(seed), method)
