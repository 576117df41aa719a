import numpy as np

from kehu.analytics.loyalty import DICK_BASU_NAMES_ZH, dick_basu, reinartz_kumar


def test_dick_basu_quadrants_and_unknown():
    seg, th, counts = dick_basu([5, 5, 1, 1, np.nan], [9, 1, 9, 1, 9], attitude_threshold=3, repeat_threshold=5)
    assert seg.tolist() == ["loyal", "latent", "spurious", "not_loyal", "unknown"]
    assert [DICK_BASU_NAMES_ZH[s] for s in seg[:4]] == ["忠诚者", "潜在忠诚者", "虚假忠诚者", "不忠诚者"]
    assert counts["unknown"] == 1


def test_dick_basu_without_survey_is_all_unknown():
    seg, _, counts = dick_basu(None, [1, 2, 3])
    assert set(seg) == {"unknown"} and counts["unknown"] == 3


def test_reinartz_kumar_default_medians():
    seg, th, _ = reinartz_kumar([10, 10, -1, -1], [100, 1, 100, 1])
    assert th == (4.5, 50.5)
    assert seg.tolist() == ["true_friend", "butterfly", "barnacle", "stranger"]
