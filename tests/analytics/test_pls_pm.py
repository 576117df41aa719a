"""PLS path modelling: agreement with plspm on the ECSI mobile-phone data, synthetic recovery, bootstrap.

The data set (tests/analytics/data/satisfaction.csv, 250 respondents, 27
items on 0–10, see the README there) is the ECSI mobile phone data that
Tenenhaus et al. (2005) analyse, as shipped with the R package plspm.

PLSPM_REFERENCE holds the output of the independent plspm package (PyPI
0.5.7), produced from the repo root with

    python3 -m venv /tmp/plspm-venv
    /tmp/plspm-venv/bin/pip install plspm==0.5.7 "pandas<3"
    /tmp/plspm-venv/bin/python tests/analytics/data/plspm_reference.py tests/analytics/data/satisfaction.csv

(the script documents the like-with-like options: centred items = both
packages' scaled=False; standardised items = plspm's Scale.NUM = our
scaled=True; tolerance 1e-12 on both sides). Values are rounded to 6
decimals, hence the 2e-6 tolerance. The "centroid-raw" paths and R² are also
the ones printed in plspm's README.
"""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kehu.analytics.pls_pm import (
    ECSI_PATHS,
    ECSI_SIMULATION_LOADINGS,
    ECSI_SIMULATION_PATHS,
    PLSPM,
    simulate_path_model,
)

DATA = Path(__file__).parent / "data" / "satisfaction.csv"
LVS = ["IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY"]
PATHS = [("IMAG", "EXPE"), ("IMAG", "SAT"), ("IMAG", "LOY"), ("EXPE", "QUAL"), ("EXPE", "VAL"), ("EXPE", "SAT"),
         ("QUAL", "VAL"), ("QUAL", "SAT"), ("VAL", "SAT"), ("SAT", "LOY")]

PLSPM_REFERENCE = {'centroid-raw': {'paths': {'IMAG->EXPE': 0.578959,
                            'EXPE->QUAL': 0.848344,
                            'EXPE->VAL': 0.105478,
                            'QUAL->VAL': 0.676655,
                            'IMAG->SAT': 0.200724,
                            'EXPE->SAT': -0.002754,
                            'QUAL->SAT': 0.122144,
                            'VAL->SAT': 0.589331,
                            'IMAG->LOY': 0.275149,
                            'SAT->LOY': 0.495479},
                  'weights': [0.098242, 0.157473, 0.156722, 0.076575, 0.18433, 0.10623, 0.140693, 0.118783,
                              0.099451, 0.138374, 0.106606, 0.134595, 0.117142, 0.095618, 0.115708, 0.174961,
                              0.11767, 0.120789, 0.166526, 0.166367, 0.16266, 0.121091, 0.132079, 0.158625,
                              0.081728, 0.161665, 0.080669],
                  'loadings': [0.709326, 0.877308, 0.841749, 0.569193, 0.778467, 0.7658, 0.837419, 0.759821,
                               0.718345, 0.837276, 0.781469, 0.881558, 0.794076, 0.788982, 0.807446, 0.864822,
                               0.796239, 0.750064, 0.844483, 0.919798, 0.91603, 0.825879, 0.817525, 0.906587,
                               0.671101, 0.904974, 0.681874],
                  'r2': {'EXPE': 0.335194,
                         'QUAL': 0.719688,
                         'VAL': 0.590084,
                         'SAT': 0.707321,
                         'LOY': 0.509923}},
 'centroid-scaled': {'paths': {'IMAG->EXPE': 0.560003,
                               'EXPE->QUAL': 0.845555,
                               'EXPE->VAL': 0.119114,
                               'QUAL->VAL': 0.659826,
                               'IMAG->SAT': 0.183333,
                               'EXPE->SAT': 0.007202,
                               'QUAL->SAT': 0.138876,
                               'VAL->SAT': 0.582135,
                               'IMAG->LOY': 0.291627,
                               'SAT->LOY': 0.469655},
                     'weights': [0.206013, 0.297181, 0.306829, 0.181346, 0.286278, 0.235692, 0.281634, 0.223553,
                                 0.26106, 0.265289, 0.241693, 0.268922, 0.225042, 0.245889, 0.246444, 0.354771,
                                 0.285683, 0.249884, 0.327409, 0.31705, 0.317211, 0.248212, 0.260139, 0.374067,
                                 0.251661, 0.371203, 0.223108],
                     'loadings': [0.754336, 0.892861, 0.864619, 0.634975, 0.694483, 0.787714, 0.823776,
                                  0.731872, 0.77286, 0.817839, 0.793041, 0.869727, 0.763975, 0.822705, 0.812429,
                                  0.859216, 0.830187, 0.757772, 0.820534, 0.914611, 0.914454, 0.834296,
                                  0.818275, 0.887888, 0.724607, 0.880547, 0.711108],
                     'r2': {'EXPE': 0.313604,
                            'QUAL': 0.714963,
                            'VAL': 0.582471,
                            'SAT': 0.70323,
                            'LOY': 0.491108}},
 'path-raw': {'paths': {'IMAG->EXPE': 0.578652,
                        'EXPE->QUAL': 0.848336,
                        'EXPE->VAL': 0.103675,
                        'QUAL->VAL': 0.677279,
                        'IMAG->SAT': 0.202886,
                        'EXPE->SAT': -0.001251,
                        'QUAL->SAT': 0.120137,
                        'VAL->SAT': 0.587693,
                        'IMAG->LOY': 0.273188,
                        'SAT->LOY': 0.498618},
              'weights': [0.098237, 0.157615, 0.157341, 0.076512, 0.183703, 0.106472, 0.140674, 0.119297,
                          0.098511, 0.138332, 0.106688, 0.134488, 0.117469, 0.095153, 0.115789, 0.172177,
                          0.121255, 0.121818, 0.165655, 0.168756, 0.157705, 0.120048, 0.135885, 0.159857,
                          0.080359, 0.162546, 0.078627],
              'loadings': [0.70955, 0.877672, 0.842359, 0.569353, 0.777663, 0.765846, 0.837414, 0.760462,
                           0.717466, 0.837165, 0.781516, 0.881449, 0.794472, 0.788548, 0.807403, 0.862716,
                           0.799328, 0.75259, 0.843047, 0.920289, 0.913547, 0.82471, 0.820887, 0.907672,
                           0.669011, 0.906018, 0.678814],
              'r2': {'EXPE': 0.334839, 'QUAL': 0.719674, 'VAL': 0.588591, 'SAT': 0.706403, 'LOY': 0.511875}},
 'path-scaled': {'paths': {'IMAG->EXPE': 0.559672,
                           'EXPE->QUAL': 0.845565,
                           'EXPE->VAL': 0.117509,
                           'QUAL->VAL': 0.660086,
                           'IMAG->SAT': 0.185561,
                           'EXPE->SAT': 0.008487,
                           'QUAL->SAT': 0.137604,
                           'VAL->SAT': 0.580032,
                           'IMAG->LOY': 0.289169,
                           'SAT->LOY': 0.473732},
                 'weights': [0.205822, 0.297421, 0.308048, 0.180997, 0.284977, 0.23678, 0.281563, 0.224353,
                             0.259352, 0.265209, 0.242142, 0.268717, 0.225487, 0.245134, 0.24657, 0.349046,
                             0.29353, 0.250344, 0.325013, 0.321782, 0.307752, 0.246121, 0.267521, 0.377926,
                             0.24754, 0.374763, 0.218051],
                 'loadings': [0.754336, 0.893115, 0.865162, 0.634863, 0.693705, 0.788122, 0.823816, 0.732374,
                              0.772036, 0.817818, 0.793246, 0.869657, 0.764242, 0.822363, 0.812402, 0.857158,
                              0.833504, 0.759325, 0.818619, 0.915121, 0.912052, 0.8331, 0.821622, 0.889647,
                              0.721951, 0.882409, 0.707967],
                 'r2': {'EXPE': 0.313233, 'QUAL': 0.71498, 'VAL': 0.580696, 'SAT': 0.702275, 'LOY': 0.49364}},
 'factorial-raw': {'paths': {'IMAG->EXPE': 0.578645,
                             'EXPE->QUAL': 0.848335,
                             'EXPE->VAL': 0.104865,
                             'QUAL->VAL': 0.677,
                             'IMAG->SAT': 0.200772,
                             'EXPE->SAT': -0.00276,
                             'QUAL->SAT': 0.12236,
                             'VAL->SAT': 0.589164,
                             'IMAG->LOY': 0.275114,
                             'SAT->LOY': 0.49566},
                   'weights': [0.098254, 0.157604, 0.157272, 0.076605, 0.183715, 0.106456, 0.140667, 0.119324,
                               0.098518, 0.138322, 0.10667, 0.134478, 0.117499, 0.095144, 0.115792, 0.174576,
                               0.118244, 0.120898, 0.166374, 0.16655, 0.162601, 0.121202, 0.131825, 0.158853,
                               0.081475, 0.16183, 0.080288],
                   'loadings': [0.709579, 0.877651, 0.842313, 0.569449, 0.777671, 0.76583, 0.837408, 0.760494,
                                0.717467, 0.837153, 0.781498, 0.881442, 0.794505, 0.788535, 0.807401, 0.864545,
                                0.79673, 0.750398, 0.844251, 0.91988, 0.916051, 0.825955, 0.817326, 0.906789,
                                0.670716, 0.905171, 0.681305],
                   'r2': {'EXPE': 0.33483, 'QUAL': 0.719672, 'VAL': 0.589778, 'SAT': 0.707363, 'LOY': 0.51013}},
 'factorial-scaled': {'paths': {'IMAG->EXPE': 0.55965,
                                'EXPE->QUAL': 0.845565,
                                'EXPE->VAL': 0.118565,
                                'QUAL->VAL': 0.660105,
                                'IMAG->SAT': 0.183312,
                                'EXPE->SAT': 0.007224,
                                'QUAL->SAT': 0.139233,
                                'VAL->SAT': 0.581906,
                                'IMAG->LOY': 0.291469,
                                'SAT->LOY': 0.470028},
                      'weights': [0.205865, 0.297378, 0.307883, 0.181244, 0.284965, 0.236746, 0.281548,
                                  0.224403, 0.259377, 0.265189, 0.24211, 0.268692, 0.225574, 0.245116, 0.246566,
                                  0.353943, 0.28697, 0.249876, 0.326981, 0.317349, 0.317325, 0.248495, 0.259388,
                                  0.374818, 0.250862, 0.371902, 0.222117],
                      'loadings': [0.754382, 0.893077, 0.865096, 0.635033, 0.693675, 0.788106, 0.82381, 0.7324,
                                   0.772044, 0.817807, 0.793232, 0.869651, 0.764284, 0.822349, 0.812397,
                                   0.858928, 0.830731, 0.757977, 0.820213, 0.914691, 0.914539, 0.834411,
                                   0.817964, 0.888233, 0.724093, 0.880914, 0.710495],
                      'r2': {'EXPE': 0.313208,
                             'QUAL': 0.714979,
                             'VAL': 0.582153,
                             'SAT': 0.703283,
                             'LOY': 0.491399}},
 'modeB-centroid-raw': {'paths': {'IMAG->EXPE': 0.60996,
                                  'EXPE->QUAL': 0.850195,
                                  'EXPE->VAL': 0.163054,
                                  'QUAL->VAL': 0.640471,
                                  'IMAG->SAT': 0.194704,
                                  'EXPE->SAT': -0.003542,
                                  'QUAL->SAT': 0.1165,
                                  'VAL->SAT': 0.609881,
                                  'IMAG->LOY': 0.240539,
                                  'SAT->LOY': 0.543729},
                        'weights': [-0.019065, 0.122389, 0.269714, 0.024783, 0.212152, 0.042972, 0.198607,
                                    0.074416, 0.196061, 0.104026, 0.102617, 0.162148, 0.072083, 0.121271,
                                    0.112358, 0.245845, 0.074184, 0.059892, 0.174444, 0.198941, 0.244468,
                                    0.016676, 0.095148, 0.208991, 0.035197, 0.197198, -0.028647],
                        'loadings': [0.55975, 0.836467, 0.877005, 0.470397, 0.811711, 0.710512, 0.874775,
                                     0.699727, 0.788213, 0.802002, 0.776796, 0.899965, 0.740992, 0.817066,
                                     0.811709, 0.919136, 0.741836, 0.650386, 0.854952, 0.939934, 0.948389,
                                     0.743178, 0.773892, 0.928262, 0.578157, 0.92828, 0.506113],
                        'r2': {'EXPE': 0.372051,
                               'QUAL': 0.722831,
                               'VAL': 0.614364,
                               'SAT': 0.732179,
                               'LOY': 0.539971}},
 'cronbach_alpha': {'IMAG': 0.830227,
                    'EXPE': 0.846584,
                    'QUAL': 0.871325,
                    'VAL': 0.835723,
                    'SAT': 0.894011,
                    'LOY': 0.819422},
 'dg_rho': {'IMAG': 0.882203,
            'EXPE': 0.890855,
            'QUAL': 0.9069,
            'VAL': 0.890444,
            'SAT': 0.926701,
            'LOY': 0.881371},
 'ave': {'IMAG': 0.582269,
         'EXPE': 0.61642,
         'QUAL': 0.658572,
         'VAL': 0.664416,
         'SAT': 0.758891,
         'LOY': 0.639052}}


def load_satisfaction():
    with DATA.open(encoding="utf-8") as f:
        header = [h.strip('"') for h in f.readline().strip().split(",")]
        rows = [line.strip().split(",") for line in f]
    items = [h for h in header[1:] if h != "gender"]
    pos = [header.index(i) for i in items]
    X = np.array([[float(r[p]) for p in pos] for r in rows])
    return X, items


@pytest.fixture(scope="module")
def satisfaction():
    X, items = load_satisfaction()
    blocks = {lv: [i for i in items if i.rstrip("0123456789") == lv.lower()] for lv in LVS}
    return X, items, blocks


def test_data_file_is_the_published_one(satisfaction):
    X, items, blocks = satisfaction
    assert X.shape == (250, 27)
    assert [len(b) for b in blocks.values()] == [5, 5, 5, 4, 4, 4]
    assert X.min() == 0 and X.max() == 10


@pytest.mark.parametrize("config", ["centroid-raw", "centroid-scaled", "path-raw", "path-scaled", "factorial-raw",
                                    "factorial-scaled", "modeB-centroid-raw"])
def test_agrees_with_plspm(satisfaction, config):
    X, items, blocks = satisfaction
    ref = PLSPM_REFERENCE[config]
    name, scheme, scaling = (config.split("-") if config.count("-") == 2 else ["modeA"] + config.split("-"))
    modes = {lv: "B" for lv in LVS} if name == "modeB" else None
    m = PLSPM(blocks, PATHS, modes=modes, scheme=scheme, scaled=(scaling == "scaled"), tol=1e-12,
              scale_range=(0, 10)).fit(X, items)
    assert m.converged_
    for key, value in ref["paths"].items():
        assert m.path_coefficients_[tuple(key.split("->"))] == pytest.approx(value, abs=2e-6), key
    np.testing.assert_allclose(m.outer_weights_, ref["weights"], atol=2e-6)
    np.testing.assert_allclose(m.loadings_, ref["loadings"], atol=2e-6)
    assert m.r2_ == pytest.approx(ref["r2"], abs=2e-6)


def test_reliability_agrees_with_plspm(satisfaction):
    X, items, blocks = satisfaction
    m = PLSPM(blocks, PATHS, scheme="centroid", scaled=False, tol=1e-12, scale_range=(0, 10)).fit(X, items)
    assert m.cronbach_alpha_ == pytest.approx(PLSPM_REFERENCE["cronbach_alpha"], abs=2e-6)
    assert m.dg_rho_ == pytest.approx(PLSPM_REFERENCE["dg_rho"], abs=2e-6)
    assert m.ave_ == pytest.approx(PLSPM_REFERENCE["ave"], abs=2e-6)
    for lv in LVS:  # rho_c from the PLS loadings, AVE = mean squared loading
        ld = m.loadings_[[b == lv for b in m.block_]]
        assert m.composite_reliability_[lv] == pytest.approx(ld.sum() ** 2 / (ld.sum() ** 2 + (1 - ld**2).sum()))
        assert m.ave_[lv] == pytest.approx((ld**2).mean())


def test_scores_paths_and_total_effects_are_consistent(satisfaction):
    X, items, blocks = satisfaction
    m = PLSPM(blocks, PATHS, scale_range=(0, 10)).fit(X, items)
    Y = m.scores_
    np.testing.assert_allclose(Y.mean(axis=0), 0, atol=1e-10)
    np.testing.assert_allclose(Y.std(axis=0), 1, atol=1e-10)
    # SAT regressed on its predecessors by least squares on the scores
    j = LVS.index("SAT")
    P = [LVS.index(x) for x in ("IMAG", "EXPE", "QUAL", "VAL")]
    beta = np.linalg.lstsq(Y[:, P], Y[:, j], rcond=None)[0]
    np.testing.assert_allclose(beta, [m.path_coefficients_[(LVS[i], "SAT")] for i in P], atol=1e-10)
    resid = Y[:, j] - Y[:, P] @ beta
    assert m.r2_["SAT"] == pytest.approx(1 - resid.var() / Y[:, j].var())
    # loadings are correlations of items with scores
    for k, item in enumerate(m.manifest_):
        lv = LVS.index(m.block_[k])
        assert m.loadings_[k] == pytest.approx(np.corrcoef(X[:, items.index(item)], Y[:, lv])[0, 1], abs=1e-10)
    # total effect of QUAL on LOY = sum over the paths QUAL -> ... -> LOY
    p = m.path_coefficients_
    via = (p[("QUAL", "SAT")] + p[("QUAL", "VAL")] * p[("VAL", "SAT")]) * p[("SAT", "LOY")]
    assert m.total_effects_[LVS.index("QUAL"), LVS.index("LOY")] == pytest.approx(via)


def test_index_on_0_100_the_acsi_way(satisfaction):
    X, items, blocks = satisfaction
    m = PLSPM(blocks, PATHS, scale_range=(0, 10)).fit(X, items)
    # unstandardised weights w / sd(x), rescaled to sum 1 within the block
    b = [items.index(i) for i in blocks["SAT"]]
    w = m.outer_weights_[[blk == "SAT" for blk in m.block_]] / X[:, b].std(axis=0)
    w = w / w.sum()
    expected = (X[:, b] @ w - 0) / (10 - 0) * 100
    np.testing.assert_allclose(m.index_scores_[:, LVS.index("SAT")], expected)
    assert m.index_["SAT"] == pytest.approx(expected.mean())
    assert (m.index_scores_ >= -1e-9).all() and (m.index_scores_ <= 100 + 1e-9).all()
    assert 60 < m.index_["SAT"] < 80  # mean answers of about 7 on 0–10


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 10), st.integers(0, 2**31 - 1))
def test_index_of_a_respondent_answering_v_everywhere_is_v_rescaled(v, seed):
    X, items, _ = simulate_path_model({("a", "b"): 0.6}, {"a": (0.8, 0.7, 0.6), "b": (0.8, 0.7)}, 60, seed=seed,
                                      likert=(1, 10))
    X[0] = v
    blocks = {"a": items[:3], "b": items[3:]}
    if (X.std(axis=0) == 0).any():  # an item without variance in a tiny sample: refused, by name
        with pytest.raises(ValueError, match="items without variance"):
            PLSPM(blocks, [("a", "b")]).fit(X, items)
        return
    m = PLSPM(blocks, [("a", "b")]).fit(X, items)
    assume(not (m.index_weights_ < 0).any())  # a convex combination only then
    np.testing.assert_allclose(m.index_scores_[0], (v - 1) / 9 * 100, atol=1e-9)


def test_recovers_known_paths_from_simulated_ecsi():
    # PLS is "consistent at large": its paths approach the true ones as the
    # blocks grow reliable. Six items with loadings 0.88–0.95 per construct
    # leave a bias of about 0.02; a looser fit would fail on wrong paths.
    loadings = {c: (0.95, 0.93, 0.92, 0.9, 0.9, 0.88) for c in ECSI_SIMULATION_LOADINGS}
    X, items, _ = simulate_path_model(ECSI_SIMULATION_PATHS, loadings, 20_000, seed=3)
    blocks = {c: [i for i in items if i.rsplit("_", 1)[0] == c] for c in loadings}
    m = PLSPM(blocks, ECSI_PATHS).fit(X, items)
    for path, true in ECSI_SIMULATION_PATHS.items():
        assert m.path_coefficients_[path] == pytest.approx(true, abs=0.035), path
    assert m.path_coefficients_[("satisfaction", "complaints")] < 0
    # loadings come out slightly high (the mirror image of the attenuated paths)
    np.testing.assert_allclose(m.loadings_, np.concatenate([loadings[c] for c in loadings]), atol=0.035)


def test_bootstrap_is_seeded_and_brackets_the_estimates(satisfaction):
    X, items, blocks = satisfaction
    a = PLSPM(blocks, PATHS, n_bootstrap=200, seed=11, scale_range=(0, 10)).fit(X, items)
    b = PLSPM(blocks, PATHS, n_bootstrap=200, seed=11, scale_range=(0, 10)).fit(X, items)
    np.testing.assert_array_equal(a.bootstrap_.paths, b.bootstrap_.paths)
    boot = a.bootstrap_
    assert boot.seed == 11 and boot.paths.shape == (200, len(PATHS)) and boot.n_not_converged == 0
    est = np.array([a.path_coefficients_[p] for p in boot.path_names])
    ci = boot.paths_ci
    assert (ci[:, 0] <= est).all() and (est <= ci[:, 1]).all()
    assert (boot.paths_se > 0).all() and (boot.paths_se < 0.2).all()
    assert (boot.loadings_ci[:, 0] <= a.loadings_).all() and (a.loadings_ <= boot.loadings_ci[:, 1]).all()
    assert boot.r2.shape == (200, 5)
    # the bootstrap SE of a strong path is of the size of its OLS standard error
    # (EXPE -> QUAL: simple regression, se ≈ sqrt((1 - r²)/(n - 2)))
    k = boot.path_names.index(("EXPE", "QUAL"))
    r2 = a.r2_["QUAL"]
    assert boot.paths_se[k] == pytest.approx(np.sqrt((1 - r2) / 248), rel=0.5)
    c = PLSPM(blocks, PATHS, n_bootstrap=200, seed=12, scale_range=(0, 10)).fit(X, items)
    assert not np.array_equal(c.bootstrap_.paths, boot.paths)


@pytest.mark.parametrize("rule", ["construct", "individual", "none"])
def test_bootstrap_sign_change_rules_keep_a_negative_path_negative(rule):
    X, items, _ = simulate_path_model({("a", "b"): -0.5, ("b", "c"): 0.4}, {"a": (0.8, 0.8, 0.7),
                                      "b": (0.8, 0.7, 0.7), "c": (0.9, 0.8)}, 400, seed=5, likert=(1, 10))
    blocks = {"a": items[:3], "b": items[3:6], "c": items[6:]}
    m = PLSPM(blocks, [("a", "b"), ("b", "c")], n_bootstrap=100, seed=1, sign_change=rule).fit(X, items)
    assert m.path_coefficients_[("a", "b")] < 0
    assert (m.bootstrap_.paths[:, 0] < 0).all()
    assert (m.bootstrap_.loadings > 0).all()


def test_missing_rows_are_dropped_or_refused(satisfaction):
    X, items, blocks = satisfaction
    Xm = X.copy()
    Xm[3, 5] = np.nan
    m = PLSPM(blocks, PATHS, scale_range=(0, 10)).fit(Xm, items)
    full = PLSPM(blocks, PATHS, scale_range=(0, 10)).fit(np.delete(X, 3, axis=0), items)
    assert m.n_dropped_ == 1 and m.n_obs_ == 249
    assert m.path_coefficients_ == pytest.approx(full.path_coefficients_)
    with pytest.raises(ValueError, match="missing"):
        PLSPM(blocks, PATHS, missing="raise").fit(Xm, items)


def test_model_validation(satisfaction):
    X, items, blocks = satisfaction
    with pytest.raises(ValueError, match="cycle"):
        PLSPM(blocks, PATHS + [("LOY", "IMAG")]).fit(X, items)
    with pytest.raises(ValueError, match="unknown construct"):
        PLSPM(blocks, PATHS + [("IMAG", "PRICE")]).fit(X, items)
    with pytest.raises(ValueError, match="without any path"):
        PLSPM({**blocks, "X": ["gender"]}, PATHS).fit(X, items)
    with pytest.raises(ValueError, match="not in the data"):
        PLSPM({**blocks, "IMAG": ["imag1", "nope"]}, PATHS).fit(X, items)
    with pytest.raises(ValueError, match="more than one block"):
        PLSPM({**blocks, "EXPE": ["imag1", "expe2"]}, PATHS).fit(X, items)
    with pytest.raises(ValueError, match="scheme"):
        PLSPM(blocks, PATHS, scheme="magic").fit(X, items)
    dict_input = {name: X[:, k] for k, name in enumerate(items)}
    a = PLSPM(blocks, PATHS).fit(dict_input)
    b = PLSPM(blocks, PATHS).fit(X, items)
    assert a.path_coefficients_ == pytest.approx(b.path_coefficients_)
