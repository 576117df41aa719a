"""Association rules (kehu/analytics/association.py) against a published example and an
independent brute-force count.

Reference: J. Han, M. Kamber, J. Pei, *Data Mining: Concepts and Techniques*, 3rd ed.
(Morgan Kaufmann, 2012), §6.2, Table 6.1 (the AllElectronics transactions) and
Example 6.3 (Apriori, minimum support count 2, i.e. 2/9 = 22 %):

    T100 I1,I2,I5   T200 I2,I4   T300 I2,I3   T400 I1,I2,I4   T500 I1,I3
    T600 I2,I3      T700 I1,I3   T800 I1,I2,I3,I5             T900 I1,I2,I3

Frequent itemsets with their support counts (the book's Figure 6.2):
    L1: I1 6, I2 7, I3 6, I4 2, I5 2
    L2: {I1,I2} 4, {I1,I3} 4, {I1,I5} 2, {I2,I3} 4, {I2,I4} 2, {I2,I5} 2
    L3: {I1,I2,I3} 2, {I1,I2,I5} 2
Example 6.4, the rules from X = {I1,I2,I5} with their confidence:
    {I1,I2}⇒I5 2/4 = 50 %   {I1,I5}⇒I2 2/2 = 100 %   {I2,I5}⇒I1 2/2 = 100 %
    I1⇒{I2,I5} 2/6 = 33 %   I2⇒{I1,I5} 2/7 = 29 %     I5⇒{I1,I2} 2/2 = 100 %
Lift, worked by hand: lift(X⇒Y) = conf / support(Y), e.g. I5⇒{I1,I2}: 1 / (4/9) = 2.25;
{I1,I5}⇒I2: 1 / (7/9) = 9/7; {I1,I2}⇒I5: 0.5 / (2/9) = 2.25; I1⇒I2: (4/6) / (7/9) = 6/7.

mlxtend is not installed in the project's environment, so the independent check is the
brute force below: every subset of every basket counted directly, with no Apriori pruning.
"""

from collections import Counter
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.analytics.association import Apriori, frequent_itemsets

HAN = [
    ["I1", "I2", "I5"], ["I2", "I4"], ["I2", "I3"], ["I1", "I2", "I4"], ["I1", "I3"],
    ["I2", "I3"], ["I1", "I3"], ["I1", "I2", "I3", "I5"], ["I1", "I2", "I3"],
]
F = frozenset


def brute_force(baskets, min_count):
    counts = Counter()
    for b in baskets:
        b = sorted(set(b))
        for k in range(1, len(b) + 1):
            for sub in combinations(b, k):
                counts[F(sub)] += 1
    return {s: c for s, c in counts.items() if c >= min_count}


def test_han_kamber_pei_table_6_1_itemsets():
    expected = {
        F({"I1"}): 6, F({"I2"}): 7, F({"I3"}): 6, F({"I4"}): 2, F({"I5"}): 2,
        F({"I1", "I2"}): 4, F({"I1", "I3"}): 4, F({"I1", "I5"}): 2, F({"I2", "I3"}): 4,
        F({"I2", "I4"}): 2, F({"I2", "I5"}): 2,
        F({"I1", "I2", "I3"}): 2, F({"I1", "I2", "I5"}): 2,
    }
    m = Apriori(min_support=2 / 9, min_confidence=0, min_lift=0, max_len=None).fit(HAN)
    assert m.n_baskets_ == 9 and m.min_count_ == 2
    assert m.itemsets_ == expected
    assert frequent_itemsets([F(b) for b in HAN], 2) == brute_force(HAN, 2) == expected


def test_han_kamber_pei_example_6_4_rules():
    m = Apriori(min_support=2 / 9, min_confidence=0, min_lift=0, max_len=None).fit(HAN)
    rules = {(r.antecedent, r.consequent): r for r in m.rules_}
    book = {(("I1", "I2"), ("I5",)): 2 / 4, (("I1", "I5"), ("I2",)): 1.0, (("I2", "I5"), ("I1",)): 1.0,
            (("I1",), ("I2", "I5")): 2 / 6, (("I2",), ("I1", "I5")): 2 / 7, (("I5",), ("I1", "I2")): 1.0}
    for key, conf in book.items():
        assert rules[key].confidence == pytest.approx(conf)
        assert rules[key].support == pytest.approx(2 / 9)
        assert rules[key].count == 2
    assert rules[(("I5",), ("I1", "I2"))].lift == pytest.approx(2.25)
    assert rules[(("I1", "I5"), ("I2",))].lift == pytest.approx(9 / 7)
    assert rules[(("I1", "I2"), ("I5",))].lift == pytest.approx(2.25)
    assert rules[(("I1",), ("I2",))].lift == pytest.approx(6 / 7)
    # The book's 70 % minimum confidence keeps the three rules of 100 % from {I1,I2,I5}.
    strong = Apriori(min_support=2 / 9, min_confidence=0.7, min_lift=0, max_len=None).fit(HAN)
    from_x = {(r.antecedent, r.consequent) for r in strong.rules_
              if set(r.antecedent) | set(r.consequent) == {"I1", "I2", "I5"}}
    assert from_x == {(("I1", "I5"), ("I2",)), (("I2", "I5"), ("I1",)), (("I5",), ("I1", "I2"))}
    # min_lift drops the rules below independence.
    lifted = Apriori(min_support=2 / 9, min_confidence=0, min_lift=1.0, max_len=None).fit(HAN)
    assert all(r.lift >= 1 for r in lifted.rules_)
    assert (("I1",), ("I2",)) not in {(r.antecedent, r.consequent) for r in lifted.rules_}


def test_rules_are_sorted_and_limits():
    m = Apriori(min_support=2 / 9, min_confidence=0, min_lift=0, max_len=2).fit(HAN)
    assert max(len(s) for s in m.itemsets_) == 2
    lifts = [r.lift for r in m.rules_]
    assert lifts == sorted(lifts, reverse=True)
    cut = Apriori(min_support=0.5, max_basket=2).fit([["a", "b", "c"], ["a", "b", "c"]])
    assert F({"c"}) not in cut.itemsets_
    empty = Apriori().fit([[], []])
    assert empty.n_baskets_ == 0 and empty.rules_ == []
    with pytest.raises(ValueError):
        Apriori(min_support=0).fit(HAN)


baskets = st.lists(st.lists(st.integers(0, 7), min_size=1, max_size=6), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(baskets, st.integers(1, 5))
def test_apriori_equals_brute_force(bs, min_count):
    assert frequent_itemsets([F(b) for b in bs], min_count) == brute_force(bs, min_count)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.lists(st.integers(0, 25), min_size=1, max_size=10), min_size=1, max_size=30))
def test_apriori_equals_brute_force_many_items(bs):
    # Many candidates: the counting pass enumerates each basket's subsets instead.
    assert frequent_itemsets([F(b) for b in bs], 1, 3) == {s: c for s, c in brute_force(bs, 1).items() if len(s) <= 3}
