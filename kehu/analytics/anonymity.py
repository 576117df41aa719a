"""Small-group suppression for anonymous results (employee surveys).

A figure (mean, NPS, …) of a group of respondents is shown only when the
group has at least ``threshold`` respondents (primary suppression). That is
not enough when figures overlap: with the total, team A+B and team B shown,
A = (A+B) − B can be worked out even though A itself is hidden — the
*subtraction case*. Sums are what leaks (mean × n), so every relation
"whole = part₁ + … + partₖ" between shown figures is an equation an
attacker can solve.

Secondary suppression (:func:`suppress`), the standard remedy of statistical
offices (Hundepool et al., *Statistical Disclosure Control*, Wiley 2012,
§5.2, "complementary suppression"): for every relation whose whole is
known (shown, or computable from its shown parts), the parts that are not
known must together hold 0 or at least ``threshold`` respondents; while
they hold fewer, the smallest shown part is suppressed too. Parts that are
never shown (e.g. "the members of a team who are in none of its subteams",
which only subtraction could give) take part as hidden parts. Repeated
until nothing changes.

:func:`leaks` is the auditor the tests use: over the atoms (the finest
groups) it tries every union of atoms and reports those of fewer than
``threshold`` respondents whose count can be computed as a linear
combination of the shown figures.
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import Hashable, Iterable, Mapping, Sequence

import numpy as np

__all__ = ["MIN_THRESHOLD", "DEFAULT_THRESHOLD", "check_threshold", "suppress", "leaks"]

#: The lowest threshold accepted: below three respondents, one of two could
#: subtract their own answer from a pair's figure.
MIN_THRESHOLD = 3
DEFAULT_THRESHOLD = 5


def check_threshold(value) -> int:
    """``value`` as a whole number of at least :data:`MIN_THRESHOLD`; ValueError otherwise."""
    try:
        f = float(str(value).strip())
    except (TypeError, ValueError):
        f = float("nan")
    if isinstance(value, bool) or not math.isfinite(f) or f != int(f):
        raise ValueError(f"the anonymity threshold must be a whole number, not {value!r}")
    n = int(f)
    if n < MIN_THRESHOLD:
        raise ValueError(f"the anonymity threshold must be at least {MIN_THRESHOLD}, not {n}")
    return n


def suppress(counts: Mapping[Hashable, int], relations: Sequence[tuple[Hashable, Sequence[Hashable]]],
             threshold: int, *, never_shown: Iterable[Hashable] = ()) -> set:
    """The keys of ``counts`` whose figures must not be shown.

    ``counts``: respondents of every group (shown rows and hidden parts);
    ``relations``: ``(whole, parts)`` where the parts partition the whole;
    ``never_shown``: groups that are no row of their own (they are returned
    among the suppressed keys when they have respondents)."""
    threshold = check_threshold(threshold)
    never = set(never_shown)
    hidden = {k for k, n in counts.items() if k in never or n < threshold}
    while True:
        known = _known(counts, relations, hidden)
        changed = False
        for whole, parts in relations:
            if whole not in known:
                continue
            unknown_n = sum(counts.get(p, 0) for p in parts if p not in known)
            if 0 < unknown_n < threshold:
                shown = sorted((p for p in parts if p not in hidden and counts.get(p, 0) > 0),
                               key=lambda p: (counts.get(p, 0), str(p)))
                if shown:
                    hidden.add(shown[0])
                elif whole not in hidden:
                    hidden.add(whole)
                else:
                    continue
                changed = True
                break
        if not changed:
            return {k for k in hidden if k in counts}


def _known(counts, relations, hidden) -> set:
    """Shown keys, and hidden wholes whose non-empty parts are all known."""
    known = {k for k in counts if k not in hidden}
    grew = True
    while grew:
        grew = False
        for whole, parts in relations:
            if whole not in known and all(p in known or counts.get(p, 0) == 0 for p in parts):
                known.add(whole)
                grew = True
    return known


def leaks(atoms: Mapping[Hashable, int], shown: Mapping[Hashable, Iterable[Hashable]], threshold: int,
          *, max_atoms: int = 18) -> list[tuple[frozenset, int]]:
    """Unions of atoms with 0 < respondents < ``threshold`` whose count (and so
    whose sum of answers) follows linearly from the shown figures.

    ``atoms``: the finest groups and their respondents; ``shown``: every shown
    figure as the atoms it covers. Tries every union of non-empty atoms (at
    most ``max_atoms`` of them)."""
    names = [a for a, n in atoms.items() if n > 0]
    if len(names) > max_atoms:
        raise ValueError(f"too many atoms to audit ({len(names)} > {max_atoms})")
    col = {a: j for j, a in enumerate(names)}
    rows = []
    for covered in shown.values():
        v = np.zeros(len(names))
        for a in covered:
            if a in col:
                v[col[a]] = 1
        if v.any():
            rows.append(v)
    if not rows:
        return []
    m = np.array(rows)
    rank = np.linalg.matrix_rank(m)
    out = []
    for size in range(1, len(names) + 1):
        for combo in combinations(names, size):
            n = sum(atoms[a] for a in combo)
            if n >= threshold:
                continue
            v = np.zeros(len(names))
            for a in combo:
                v[col[a]] = 1
            if np.linalg.matrix_rank(np.vstack([m, v])) == rank:
                out.append((frozenset(combo), n))
    return out
