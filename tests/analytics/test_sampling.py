"""Sample size and stratified sampling."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.analytics.sampling import allocate, sample_size, stratified_sample


def test_sample_size_cochran():
    # n0 = 1.959964² · .25 / .05² = 384.15 -> 385
    assert sample_size() == 385
    # finite population correction: 384.15 / (1 + 383.15/1000) = 277.7 -> 278
    assert sample_size(population=1000) == 278
    assert sample_size(confidence=0.99, margin=0.03, p=0.8) == 1180  # 2.5758² · .16 / .0009 = 1179.5
    assert sample_size(population=10) <= 10
    with pytest.raises(ValueError):
        sample_size(margin=0)


def test_allocation():
    assert allocate({"north": 600, "south": 300, "west": 100}, 100) == {"north": 60, "south": 30, "west": 10}
    assert allocate({"a": 1, "b": 1, "c": 1}, 2) == {"a": 1, "b": 1, "c": 0}  # largest remainder, ties in order
    assert allocate({"big": 1000, "tiny": 2}, 30, "equal") == {"big": 28, "tiny": 2}  # capped and handed on
    assert sum(allocate({"a": 7, "b": 13, "c": 29}, 17).values()) == 17
    with pytest.raises(ValueError, match="population"):
        allocate({"a": 3}, 4)


def test_stratified_sample_is_reproducible_and_recorded():
    ids = [f"c{i}" for i in range(1000)]
    strata = ["gold"] * 100 + ["silver"] * 300 + ["bronze"] * 600
    s1 = stratified_sample(ids, strata, 50, seed=2024)
    s2 = stratified_sample(ids, strata, 50, seed=2024)
    assert s1 == s2 and s1.seed == 2024
    assert s1.allocation == {"bronze": 30, "gold": 5, "silver": 15}
    assert len(set(s1.ids)) == 50
    for u, s in zip(s1.ids, s1.strata):
        assert strata[ids.index(u)] == s
    s3 = stratified_sample(ids, strata, 50, seed=2025)
    assert s3.ids != s1.ids
    s4 = stratified_sample(ids, strata, 50)  # a seed is drawn and recorded
    assert stratified_sample(ids, strata, 50, seed=s4.seed) == s4
    eq = stratified_sample(ids, strata, 30, method="equal", seed=1)
    assert eq.allocation == {"bronze": 10, "gold": 10, "silver": 10}
    with pytest.raises(ValueError, match="unique"):
        stratified_sample(["a", "a"], ["x", "y"], 1)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdefg"), st.integers(0, 50), min_size=1), st.data(),
       st.sampled_from(["proportional", "equal"]))
def test_allocation_properties(sizes, data, method):
    total = sum(sizes.values())
    n = data.draw(st.integers(0, total))
    a = allocate(sizes, n, method)
    assert sum(a.values()) == n
    assert all(0 <= a[k] <= sizes[k] for k in sizes)
    if method == "proportional" and n and total:
        for k in sizes:  # within one unit of the exact share, unless capped
            assert abs(a[k] - n * sizes[k] / total) < 1 + 1e-9


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_same_seed_same_sample(seed):
    rng = np.random.default_rng(0)
    strata = rng.choice(["x", "y", "z"], 200).tolist()
    assert stratified_sample(range(200), strata, 40, seed=seed) == stratified_sample(range(200), strata, 40,
                                                                                     seed=seed)
