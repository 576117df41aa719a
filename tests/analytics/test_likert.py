"""Answer scales and the satisfaction rate."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kehu.analytics.likert import LIKERT5, likert5_scores, rescale, rescale_0_10, rescale_1_10, satisfaction_rate


def test_five_level_scores_in_both_languages():
    zh = ["满意", "较满意", "一般", "较不满意", "不满意"]
    en = ["very satisfied", "satisfied", "neutral", "dissatisfied", "very dissatisfied"]
    np.testing.assert_array_equal(likert5_scores(zh), [100, 80, 60, 40, 20])
    np.testing.assert_array_equal(likert5_scores([s.upper() for s in en]), [100, 80, 60, 40, 20])
    np.testing.assert_array_equal(likert5_scores([5, 4, 3, 2, 1]), [100, 80, 60, 40, 20])
    out = likert5_scores([["满意", None], ["", 3]])
    assert out.shape == (2, 2) and np.isnan(out[0, 1]) and np.isnan(out[1, 0]) and out[1, 1] == 60
    assert [row[3] for row in LIKERT5] == [100, 80, 60, 40, 20]
    with pytest.raises(ValueError, match="unknown"):
        likert5_scores(["很好"])
    with pytest.raises(ValueError, match="1–5"):
        likert5_scores([6])


def test_rescaling_the_acsi_way():
    np.testing.assert_allclose(rescale_0_10([0, 5, 10]), [0, 50, 100])
    np.testing.assert_allclose(rescale_1_10([1, 5.5, 10]), [0, 50, 100])
    np.testing.assert_allclose(rescale([1, 3, np.nan], 1, 5), [0, 50, np.nan])
    with pytest.raises(ValueError, match="outside"):
        rescale_1_10([0])


def test_satisfaction_rate():
    assert satisfaction_rate([100, 80, 60, 40, np.nan]) == pytest.approx(50.0)  # 2 of 4 answered
    assert satisfaction_rate([100, 80, 60], cut=100) == pytest.approx(100 / 3)
    x = np.array([[100, 20], [80, np.nan], [60, 40.0]])
    np.testing.assert_allclose(satisfaction_rate(x, axis=0), [200 / 3, 0])
    assert np.isnan(satisfaction_rate([np.nan]))


@given(st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=1, max_size=50))
def test_rate_in_range_and_counts(levels):
    scores = likert5_scores([np.nan if v is None else v for v in levels])
    rate = satisfaction_rate(scores)
    answered = [v for v in levels if v is not None]
    if not answered:
        assert np.isnan(rate)
    else:
        assert rate == pytest.approx(100 * sum(v >= 4 for v in answered) / len(answered))
