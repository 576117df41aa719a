"""Every database CheckConstraint has a validation that names its field in the
user's language: a violation found by ``full_clean()`` (which the forms, the
API and the services report) never shows the constraint's name
("约束 “cust_share_of_wallet_0_100” 是无效的")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation

pytestmark = pytest.mark.django_db

# constraint name → (the field its single-field validator reports, a value that breaks it)
SINGLE_FIELD = {
    "cust_share_of_wallet_0_100": ("share_of_wallet", Decimal("150")),
    "cust_name_not_empty": ("name", ""),
    "product_price_not_negative": ("unit_price", Decimal("-1")),
    "product_cost_not_negative": ("unit_cost", Decimal("-1")),
    "payment_amount_positive": ("amount", Decimal("0")),
    "survey_satisfied_0_100": ("satisfied_from", 150),
    "survey_follow_up_0_100": ("follow_up_below", 150),
    "indicator_level_1_4": ("level", 5),
    "indicator_weight_not_negative": ("weight", -0.5),
    "response_index_0_100": ("index", 101.0),
    "response_nps_0_10": ("nps", 11),
    "attitude_0_100": ("score", 101.0),
    "case_severity_1_4": ("severity", 5),
    "case_compensation_not_negative": ("compensation_amount", Decimal("-1")),
    "return_visit_score_0_100": ("score", 101.0),
    "sla_severity_1_4": ("severity", 5),
    "benchmark_0_100": ("value", 101.0),
    "run_progress_0_100": ("progress", 101),
    "backup_progress_0_100": ("progress", 101),
    "repair_hours_not_negative": ("labour_hours", Decimal("-1")),
    "repair_parts_cost_not_negative": ("parts_cost", Decimal("-1")),
    "repair_labour_cost_not_negative": ("labour_cost", Decimal("-1")),
    "stage_probability_max": ("probability", 101),
    "opp_probability_max": ("probability", 101),
    "opp_amount_not_negative": ("amount", Decimal("-1")),
    "oppline_amount_not_negative": ("amount", Decimal("-1")),
    "quote_revision_positive": ("revision", 0),
    "quoteline_quantity_positive": ("quantity", Decimal("0")),
    "quoteline_discount_range": ("discount", Decimal("101")),
    "quoteline_vat_range": ("vat_rate", Decimal("-1")),
    "quota_amount_not_negative": ("amount", Decimal("-1")),
    "winback_revenue_not_negative": ("revenue_lost", Decimal("-1")),
    "winback_expected_not_negative": ("expected_value", Decimal("-1")),
    "coupon_def_value_positive": ("value", Decimal("0")),
    "coupon_def_min_spend_not_negative": ("min_spend", Decimal("-1")),
    "coupon_def_per_customer_positive": ("per_customer_limit", 0),
    "coupon_redemption_amount_not_negative": ("amount", Decimal("-1")),
    "points_not_zero": ("points", 0),
    "campaign_progress_at_most_100": ("progress", 101),
    "campaign_control_share_range": ("control_share", Decimal("0.95")),
    "partner_margin_in_range": ("margin_pct", Decimal("150")),
    "partner_target_revenue_not_negative": ("revenue", Decimal("-1")),
}
# constraints between two fields: checked as a whole; the message says which fields, in words
BETWEEN_FIELDS = {
    "attachment_one_record": {"interaction_id": 1, "order_id": 1},
    "share_user_xor_team": {"user_id": None, "team_id": None},
    "sla_some_promise": {"first_response_minutes": None, "resolution_minutes": None},
    "path_not_a_loop": {"source_id": 1, "target_id": 1},
    "wave_closes_after_opening": {"opens_on": dt.date(2025, 3, 2), "closes_on": dt.date(2025, 3, 1)},
    "run_calibration_before_as_of": {"as_of": dt.date(2025, 3, 1), "calibration_end": dt.date(2025, 4, 1)},
    "repair_visits_in_order": {"visited_on": dt.date(2026, 3, 2), "revisited_on": dt.date(2026, 3, 1)},
    "repair_warranty_not_charged": {"in_warranty": True, "charged": True},
    "visit_skip_has_reason": {"status": "skipped", "skip_reason": ""},
    "quota_user_or_team": {"user_id": None, "team_id": None},
    "winback_other_has_text": {"reason": "other", "reason_other": ""},
    "winback_back_after_lost": {"lost_on": dt.date(2026, 3, 2), "won_back_on": dt.date(2026, 3, 1)},
    "coupon_def_percentage_at_most_100": {"kind": "percentage", "value": Decimal("101")},
    "membership_expires_after_joined": {"joined_on": dt.date(2026, 3, 2), "expires_on": dt.date(2026, 3, 1)},
    "points_remaining_within_lot": {"points": 5, "remaining": 6},
    "points_sign_by_kind": {"kind": "redeem", "points": 5},
    "outreach_suppression_target": {"address": "", "customer_id": None},
    "campaign_cost_not_negative": {"planned": Decimal("-1"), "actual": Decimal("-1")},
    "referral_not_self": {"referrer_id": 1, "referred_id": 1},
    "partner_contract_dates_in_order": {"contract_start": dt.date(2026, 3, 2), "contract_end": dt.date(2026, 3, 1)},
    "partner_target_period_in_order": {"period_start": dt.date(2026, 3, 2), "period_end": dt.date(2026, 3, 1)},
    "user_partner_iff_partner_role": {"role": "partner", "partner_id": None},
}


def check_constraints():
    for model in apps.get_models():
        if not model.__module__.startswith("kehu."):
            continue
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.CheckConstraint):
                yield model, constraint


def test_every_check_constraint_is_covered_here():
    """A new CheckConstraint must get its field validator and an entry above."""
    names = {c.name for _m, c in check_constraints()}
    assert names == set(SINGLE_FIELD) | set(BETWEEN_FIELDS)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_violation_names_the_field_not_the_constraint(language):
    for model, constraint in check_constraints():
        message = str(constraint.violation_error_message)
        assert constraint.violation_error_message != constraint.default_violation_error_message, constraint.name
        assert constraint.name not in message
        if constraint.name not in SINGLE_FIELD:
            continue
        field, bad = SINGLE_FIELD[constraint.name]
        instance = model()
        setattr(instance, field, bad)
        with translation.override(language), pytest.raises(ValidationError) as caught:
            instance.full_clean()
        errors = caught.value.message_dict
        assert field in errors, (constraint.name, errors)
        every = " ".join(m for ms in errors.values() for m in ms)
        assert constraint.name not in every and "onstraint" not in every and "约束" not in every


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_constraint_between_fields_says_what_is_wrong_in_words(language):
    for model, constraint in check_constraints():
        if constraint.name not in BETWEEN_FIELDS:
            continue
        instance = model(**BETWEEN_FIELDS[constraint.name])
        with translation.override(language), pytest.raises(ValidationError) as caught:
            constraint.validate(model, instance)
        text = " ".join(caught.value.messages)
        assert constraint.name not in text and "onstraint" not in text and "约束" not in text
        if language == "zh-hans":
            assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text


def test_share_of_wallet_150_on_the_chinese_form_names_the_field(client_for, org):
    from django.urls import reverse

    user = org.users.sales_n1
    user.language = "zh-hans"
    user.save()
    html = client_for(user).post(reverse("customer_create"), {
        "kind": "organization", "name": "新客户有限公司", "lifecycle_stage": "reserve", "share_of_wallet": "150",
    }).content.decode()
    assert "cust_share_of_wallet_0_100" not in html and "约束" not in html
    assert 'id="id_share_of_wallet_error"><li>确保该值小于或等于100。</li>' in html
