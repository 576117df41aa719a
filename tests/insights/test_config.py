"""Value settings: defaults, validation with field errors, the update service."""

from __future__ import annotations

import copy

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from kehu.analytics.churn import DEFAULT_WEIGHTS
from kehu.audit.models import AuditEvent
from kehu.insights.config import DEFAULTS, default_config, tier_policy, validate_config, value_settings
from kehu.insights.models import ValueSettings, ValueTier
from kehu.insights.services import value_settings_update


def errors_of(config):
    with pytest.raises(ValidationError) as exc:
        validate_config(config)
    return exc.value.message_dict


def test_defaults_validate_and_match_the_analytics_core():
    cfg = validate_config({})
    assert cfg == validate_config(default_config())
    assert cfg["churn"]["weights"] == DEFAULT_WEIGHTS
    assert set(cfg["tiers"]["levels"]) == set(ValueTier.values)
    for level in cfg["tiers"]["levels"].values():
        assert level["policy"]["zh-hans"] and level["policy"]["en"]
    # The seeds' scorecard: payment collection out of 20 + margin out of 20.
    comps = cfg["scorecard"]["components"]
    assert [(c["metric"], c["points"]) for c in comps] == [("collection_rate", 20), ("margin_rate", 20)]
    assert cfg["abc"] == {"basis": "revenue", "a": 0.8, "b": 0.95, "cost_per_order": 0.0}
    assert cfg["clv"] == {"horizon_months": 12, "annual_discount_rate": 0.1}
    assert cfg["schedule"] == {"enabled": True, "hour": 2}


def test_every_problem_is_reported_by_its_field():
    cfg = default_config()
    cfg["time_unit"] = "month"
    cfg["abc"].update(a=0.9, b=0.7, basis="profit")
    cfg["tiers"]["rules"][1]["conditions"][0]["value"] = "high"
    cfg["tiers"]["rules"][2]["conditions"][0]["metric"] = "shoe_size"
    cfg["tiers"]["levels"]["gold"]["policy"]["zh-hans"] = " "
    cfg["scorecard"]["components"][0]["bands"][1] = [0.7, 25]
    cfg["scorecard"]["components"][1]["high"] = 0.0
    cfg["churn"]["threshold"] = 1.5
    cfg["clv"]["horizon_months"] = 2.5
    cfg["schedule"]["hour"] = 24
    cfg["retention"] = {"keep_scores_runs": 0, "forever": True}
    cfg["colour"] = "red"
    errs = errors_of(cfg)
    assert set(errs) == {
        "time_unit", "abc.b", "abc.basis", "tiers.rules.1.conditions.0.value",
        "tiers.rules.2.conditions.0.metric", "tiers.levels.gold.policy.zh-hans",
        "scorecard.components.0.bands.1.1", "scorecard.components.1.high", "churn.threshold",
        "clv.horizon_months", "schedule.hour", "retention.keep_scores_runs", "retention.forever", "colour",
    }
    assert errs["schedule.hour"] == ["Must be at most 23."]
    assert errs["clv.horizon_months"] == ["Enter a whole number."]
    assert errs["colour"] == ["Unknown setting."]


def test_messages_are_translated():
    with translation.override("zh-hans"):
        errs = errors_of({"schedule": {"enabled": True, "hour": 30}, "churn": {"weights": {}}})
    assert errs["schedule.hour"] == ["最多为 23。"]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in m) for msgs in errs.values() for m in msgs)


def test_zero_weights_and_wrong_shapes_are_refused():
    cfg = default_config()
    cfg["churn"]["weights"] = {k: 0 for k in DEFAULT_WEIGHTS}
    assert "churn.weights" in errors_of(cfg)
    assert errors_of({"tiers": []}) == {"tiers": ["Expected a group of settings."]}
    with pytest.raises(ValidationError):
        validate_config(["not", "a", "dict"])


@pytest.mark.django_db
def test_value_settings_defaults_then_update_with_audit(org):
    assert value_settings() == validate_config({})
    new = {"clv": {"horizon_months": 24, "annual_discount_rate": 0.08}, "model": "pareto_nbd"}
    row = value_settings_update(actor=org.users.admin, config=new)
    cfg = value_settings()
    assert cfg["clv"]["horizon_months"] == 24 and cfg["model"] == "pareto_nbd"
    assert cfg["rfm"] == DEFAULTS["rfm"]  # sections left out keep their value
    event = AuditEvent.objects.get(entity="valuesettings", entity_id=row.pk)
    assert event.actor == org.users.admin
    assert set(event.changes) == {"clv", "model"}
    # A second update keeps the first one's sections.
    value_settings_update(actor=org.users.admin, config={"schedule": {"enabled": False, "hour": 3}})
    cfg = value_settings()
    assert cfg["clv"]["horizon_months"] == 24 and cfg["schedule"] == {"enabled": False, "hour": 3}
    assert ValueSettings.objects.count() == 1


@pytest.mark.django_db
def test_update_refuses_bad_values_and_non_admins(org):
    with pytest.raises(ValidationError) as exc:
        value_settings_update(actor=org.users.admin, config={"abc": {"basis": "x", "a": 0.8, "b": 0.95,
                                                                     "cost_per_order": 0}})
    assert "abc.basis" in exc.value.message_dict
    assert not ValueSettings.objects.exists()
    for user in (org.users.analyst, org.users.hq_manager, org.users.sales_n1):
        with pytest.raises(PermissionDenied):
            value_settings_update(actor=user, config={})


@pytest.mark.django_db
def test_stored_settings_that_no_longer_validate_fall_back_by_section():
    bad = copy.deepcopy(DEFAULTS)
    bad["clv"] = {"horizon_months": -1}
    bad["model"] = "pareto_nbd"
    ValueSettings.objects.create(config=bad)
    cfg = value_settings()
    assert cfg["clv"] == DEFAULTS["clv"] and cfg["model"] == "pareto_nbd"


def test_tier_policy_in_each_language():
    cfg = validate_config({})
    assert tier_policy(cfg, "gold", "en").startswith("Key account")
    assert tier_policy(cfg, "gold", "zh-hans").startswith("重点客户")
