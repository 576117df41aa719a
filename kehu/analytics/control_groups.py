"""Stratified random assignment of a campaign's control group.

A campaign holds out a random share of its audience that receives nothing,
so that what the treated customers did beyond the control group is what the
campaign caused (:mod:`kehu.analytics.lift`). The hold-out is stratified by a
label per customer (the value tier): within each stratum h of n_h customers
exactly

    k_h = ⌊share · n_h + ½⌋        (round half up)

customers are drawn without replacement, every subset of size k_h equally
likely — a stratified simple random sample (Cochran 1977, *Sampling
Techniques*, 3rd ed., ch. 5), so each tier is represented in the control
group in the campaign's own proportions and the lift per tier has a control
group of its own. Rounding half up makes the count predictable ("10% of 25 is
3"); Python's ``round`` rounds half to even (2.5 → 2, 3.5 → 4), which a
marketer cannot foresee. The share is taken as the decimal it is written as
(``Decimal(str(share))``), so 0.15 · 10 is 1.5 exactly and rounds to 2, not to
the 1 a binary float could give. A stratum of one customer with a share below
½ keeps its customer treated.

Reproducible and order-free: ``numpy.random.default_rng(seed)`` draws a
random permutation of all customers taken in id order; the first k_h
customers of stratum h in that permutation form its control group (a uniform
permutation restricted to a stratum is a uniform order of that stratum, so
every k_h-subset is equally likely). The same ids, strata, share and seed
give the same group whatever order the ids come in. Everything is vectorised
(two sorts of integers and a rank): a million customers take about 0.3 s.
Stratum labels are meant to be few (value tiers) and are coded with one
array comparison per label; beyond 32 distinct text labels they are sorted
instead (about 1.5 s a million); integer labels are always fast.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

__all__ = ["control_sizes", "assign_control"]

_FEW_LABELS = 32


def _share(share) -> Decimal:
    try:
        d = Decimal(str(share))
    except Exception as exc:  # noqa: BLE001 - any unparsable share is the caller's error
        raise ValueError(f"share must be a number in [0, 1], got {share!r}") from exc
    if not d.is_finite() or not 0 <= d <= 1:
        raise ValueError(f"share must be a number in [0, 1], got {share!r}")
    return d


def _round_half_up(share: Decimal, n: int) -> int:
    x = share * n
    whole = int(x)  # share, n >= 0: truncation is the floor
    return whole + (1 if x - whole >= Decimal("0.5") else 0)


def control_sizes(sizes: dict, share) -> dict:
    """The control group's size per stratum, ⌊share · n_h + ½⌋ (module docstring)."""
    s = _share(share)
    out = {}
    for label, n in sizes.items():
        if int(n) != n or n < 0:
            raise ValueError("stratum sizes must be non-negative whole numbers")
        out[label] = _round_half_up(s, int(n))
    return out


def _stratum_codes(strata, n: int) -> np.ndarray:
    """Codes 0..H−1 of the labels in sorted order (so the codes do not depend on the input order)."""
    if strata is None:
        return np.zeros(n, np.int64)
    lab = np.asarray(strata).ravel()
    if lab.size != n:
        raise ValueError("strata must have one label per customer")
    if n == 0:
        return np.zeros(0, np.int64)
    if lab.dtype.kind in "iub":
        return np.unique(lab, return_inverse=True)[1].ravel().astype(np.int64)
    # few distinct labels (tiers) over many customers: one vectorised comparison per label
    # beats sorting a million strings; many labels fall back to the sort
    raw = np.full(n, -1, np.int64)
    found: list = []
    while len(found) <= _FEW_LABELS:
        rest = raw < 0
        i = int(rest.argmax())
        if not rest[i]:
            break
        raw[lab == lab[i]] = len(found)
        found.append(lab[i].item() if isinstance(lab[i], np.generic) else lab[i])
    else:
        return np.unique(lab, return_inverse=True)[1].ravel().astype(np.int64)
    try:
        ranked = sorted(range(len(found)), key=lambda j: (found[j] is None, found[j]))
    except TypeError:  # mixed label types: order by their text
        ranked = sorted(range(len(found)), key=lambda j: str(found[j]))
    remap = np.empty(len(found), np.int64)
    remap[ranked] = np.arange(len(found))
    return remap[raw]


def assign_control(customer_ids, strata, share, seed: int) -> np.ndarray:
    """Boolean mask, True for the customers held out as the control group.

    ``customer_ids`` (unique integers) and ``strata`` (a label per customer,
    e.g. the value tier; None for one stratum) are parallel; the mask is in
    their order. ``seed`` is a non-negative integer the campaign stores so the
    draw can be repeated and audited.
    """
    ids = np.asarray(customer_ids).ravel()
    n = ids.size
    if n and ids.dtype.kind not in "iu":
        raise ValueError("customer ids must be integers")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError("seed must be a non-negative integer")
    s = _share(share)
    codes = _stratum_codes(strata, n)
    if n == 0:
        return np.zeros(0, bool)

    by_id = np.argsort(ids)
    if (np.diff(ids[by_id]) == 0).any():
        raise ValueError("customer ids must be unique")
    # a uniformly random order of all customers, drawn over them in id order
    place = np.empty(n, np.int64)
    place[by_id] = np.random.default_rng(int(seed)).permutation(n)
    # stratum by stratum, each in that random order: the first k_h of stratum h are its control group
    ordered = np.argsort(codes * n + place)
    counts = np.bincount(codes)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    k = np.array([_round_half_up(s, int(c)) for c in counts], np.int64)
    c_sorted = codes[ordered]
    mask = np.zeros(n, bool)
    mask[ordered[np.arange(n) - starts[c_sorted] < k[c_sorted]]] = True
    return mask
