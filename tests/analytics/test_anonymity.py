"""Small-group suppression (kehu.analytics.anonymity): the threshold's
validation, primary suppression, and the subtraction case — two
overlapping breakdowns must not give away a group below the threshold.
Each case is checked by the brute-force auditor :func:`leaks`."""

import pytest

from kehu.analytics.anonymity import check_threshold, leaks, suppress


def test_threshold_validation():
    assert check_threshold(5) == 5
    assert check_threshold("3") == 3
    for bad in (2, 0, -1, "two", 4.5, None, True):
        with pytest.raises(ValueError):
            check_threshold(bad)


def _shown(covers, hidden):
    return {k: v for k, v in covers.items() if k not in hidden}


def test_the_subtraction_case_flat():
    # total = A + B + C; A has 3 respondents (< 5). Showing total, B and C gives A = total − B − C.
    counts = {"total": 21, "A": 3, "B": 8, "C": 10}
    covers = {"total": {"A", "B", "C"}, "A": {"A"}, "B": {"B"}, "C": {"C"}}
    atoms = {"A": 3, "B": 8, "C": 10}
    # primary suppression alone leaks A
    assert leaks(atoms, _shown(covers, {"A"}), 5) == [(frozenset({"A"}), 3)]
    hidden = suppress(counts, [("total", ["A", "B", "C"])], 5)
    assert hidden == {"A", "B"}          # A, and the next smallest B
    assert leaks(atoms, _shown(covers, hidden), 5) == []


def test_the_subtraction_case_team_tree():
    # total = team AB + team C; AB = A + B (+ nobody directly in AB). A (3) is small:
    # showing total, AB and B gives A = AB − B.
    counts = {"total": 26, "AB": 13, "A": 3, "B": 10, "C": 13, "AB.direct": 0, "total.direct": 0}
    relations = [("total", ["AB", "C", "total.direct"]), ("AB", ["A", "B", "AB.direct"])]
    atoms = {"A": 3, "B": 10, "C": 13}
    covers = {"total": {"A", "B", "C"}, "AB": {"A", "B"}, "A": {"A"}, "B": {"B"}, "C": {"C"}}
    assert leaks(atoms, _shown(covers, {"A"}), 5)
    hidden = suppress(counts, relations, 5, never_shown=["AB.direct", "total.direct"])
    assert "A" in hidden and "B" in hidden
    assert leaks(atoms, _shown(covers, hidden), 5) == []


def test_parent_minus_children_reveals_its_direct_members():
    # team P has 2 members of its own and two subteams of 6 and 7: P − X − Y = the two.
    counts = {"P": 15, "X": 6, "Y": 7, "P.direct": 2}
    atoms = {"P.direct": 2, "X": 6, "Y": 7}
    covers = {"P": {"P.direct", "X", "Y"}, "X": {"X"}, "Y": {"Y"}}
    assert leaks(atoms, covers, 5) == [(frozenset({"P.direct"}), 2)]
    hidden = suppress(counts, [("P", ["X", "Y", "P.direct"])], 5, never_shown=["P.direct"])
    assert hidden == {"P.direct", "X"}
    assert leaks(atoms, _shown(covers, hidden), 5) == []


def test_two_small_groups_together_reach_the_threshold():
    counts = {"total": 30, "A": 3, "B": 4, "C": 23}
    hidden = suppress(counts, [("total", ["A", "B", "C"])], 5)
    assert hidden == {"A", "B"}          # A + B = 7 ≥ 5 may be known as a pair


def test_small_total_hides_everything():
    counts = {"total": 4, "A": 2, "B": 2}
    assert suppress(counts, [("total", ["A", "B"])], 5) == {"total", "A", "B"}


def test_overlapping_team_and_role_breakdowns():
    # Two breakdowns of the same 40 respondents: by team (A, B, C) and by role (sales, service).
    atoms = {("A", "s"): 6, ("A", "v"): 2, ("B", "s"): 5, ("B", "v"): 8, ("C", "s"): 3, ("C", "v"): 16}
    teams = {"A": 8, "B": 13, "C": 19}
    roles = {"s": 14, "v": 26}
    counts = {"total": 40, **{f"team:{t}": n for t, n in teams.items()}, **{f"role:{r}": n for r, n in roles.items()}}
    relations = [("total", [f"team:{t}" for t in teams]), ("total", [f"role:{r}" for r in roles])]
    hidden = suppress(counts, relations, 5)
    covers = {"total": set(atoms)}
    covers.update({f"team:{t}": {a for a in atoms if a[0] == t} for t in teams})
    covers.update({f"role:{r}": {a for a in atoms if a[1] == r} for r in roles})
    assert hidden == set()
    # every shown figure is a group of at least 5, and no cell (e.g. A's 2 service staff) can be derived
    assert leaks(atoms, _shown(covers, hidden), 5) == []
