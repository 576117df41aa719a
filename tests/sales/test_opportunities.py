"""Opportunities (商机): the services, the stage history, the customer's lifecycle stage moving
by itself (forward only, with its dated history), conflicts and the one policy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.audit.models import AuditEvent
from kehu.customers.services import customer_update
from kehu.sales.lifecycle import lifecycle_history
from kehu.sales.models import LifecycleChange, LostReason, Opportunity, StageChange
from kehu.sales.opportunities import (
    MoveNotAllowed, OpportunityConflict, opportunity_create, opportunity_lose, opportunity_move, opportunity_reopen,
    opportunity_update, opportunity_win,
)
from kehu.sales.opportunity_selectors import OpportunityFilters, board, opportunity_list
from kehu.sales.services import order_create
from tests.sales.conftest import stage

pytestmark = pytest.mark.django_db


def _open(actor, customer, line, **data):
    values = {"customer": customer, "name": "Coil supply 2027"}
    values.update(data)
    return opportunity_create(actor=actor, data=values, lines=[{"product_line": line, "amount": "120000"},
                                                                 {"product_line": line, "amount": "30000.50"}])


def test_seeded_pipeline_and_reasons(pipeline):
    codes = list(pipeline.stages.order_by("position").values_list("code", "probability", "outcome"))
    assert codes == [("reserve", 5, "open"), ("target", 10, "open"), ("potential", 25, "open"),
                     ("opportunity", 50, "open"), ("won", 100, "won"), ("lost", 0, "lost")]
    assert LostReason.objects.filter(active=True).count() >= 5


def test_create_defaults_amount_and_history(org, customers, pipeline, line):
    opp = _open(org.users.sales_n1, customers.n1, line)
    assert opp.pipeline == pipeline and opp.stage.code == "reserve" and opp.probability == 5
    assert opp.owner == org.users.sales_n1 and opp.team == org.teams.n1
    assert opp.amount == Decimal("150000.50") and opp.weighted == Decimal("7500.03")
    change = StageChange.objects.get(opportunity=opp)
    assert change.from_stage is None and change.to_stage.code == "reserve" and change.by == org.users.sales_n1
    assert AuditEvent.objects.filter(entity="opportunity", entity_id=opp.pk, action="create",
                                     customer_id=customers.n1.pk).exists()


def test_validation_names_the_field(org, customers, pipeline, line):
    with pytest.raises(ValidationError) as exc:
        opportunity_create(actor=org.users.sales_n1, data={"customer": customers.n1, "name": ""})
    assert "name" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        opportunity_create(actor=org.users.sales_n1, data={"customer": customers.n1, "name": "X",
                                                           "stage": stage(pipeline, "won")})
    assert "stage" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _open(org.users.sales_n1, customers.n1, line, probability=101)
    assert "probability" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        opportunity_create(actor=org.users.sales_n1, data={"customer": customers.n1, "name": "X"},
                           lines=[{"product_line": line, "amount": "-1"}])
    assert "lines.1.amount" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        opportunity_create(actor=org.users.sales_n1, data={"customer": customers.n1, "name": "X"},
                           contacts=[{"contact": customers.e1.contacts.create(name="Li")}])
    assert "contacts.1.contact" in exc.value.message_dict


def test_moves_keep_every_stage_change_and_set_outcomes(org, customers, pipeline, line):
    actor = org.users.sales_n1
    opp = _open(actor, customers.n1, line)
    opportunity_move(actor=actor, opportunity=opp, stage=stage(pipeline, "potential"), note="Visited")
    assert opp.probability == 25 and opp.version == 2
    with pytest.raises(MoveNotAllowed):
        opportunity_move(actor=actor, opportunity=opp, stage=stage(pipeline, "potential"))
    with pytest.raises(ValidationError) as exc:
        opportunity_lose(actor=actor, opportunity=opp, lost_reason=None)
    assert "lost_reason" in exc.value.message_dict
    reason = LostReason.objects.get(code="price")
    opportunity_lose(actor=actor, opportunity=opp, lost_reason=reason, lost_note="Too dear")
    assert opp.stage.code == "lost" and opp.lost_at and opp.probability == 0 and opp.lost_reason == reason
    with pytest.raises(MoveNotAllowed):
        opportunity_win(actor=actor, opportunity=opp)
    opportunity_reopen(actor=actor, opportunity=opp)
    assert opp.stage.code == "opportunity" and opp.lost_at is None and opp.lost_reason is None
    opportunity_win(actor=actor, opportunity=opp)
    assert opp.won_at is not None and opp.probability == 100
    moves = [(c.from_stage.code if c.from_stage else None, c.to_stage.code)
             for c in opp.stage_changes.order_by("at", "id")]
    assert moves == [(None, "reserve"), ("reserve", "potential"), ("potential", "lost"), ("lost", "opportunity"),
                     ("opportunity", "won")]
    assert opp.stage_changes.get(to_stage__code="potential").note == "Visited"
    actions = set(AuditEvent.objects.filter(entity="opportunity", entity_id=opp.pk).values_list("action", flat=True))
    assert {"create", "move", "lose", "reopen", "win"} <= actions


def test_stale_version_conflicts(org, customers, line):
    opp = _open(org.users.sales_n1, customers.n1, line)
    opportunity_update(actor=org.users.sales_n1, opportunity=opp, data={"competitor": "宝钢"}, version=1)
    assert opp.version == 2
    stale = Opportunity.objects.get(pk=opp.pk)
    stale.version = 1
    with pytest.raises(OpportunityConflict):
        opportunity_update(actor=org.users.sales_n1, opportunity=stale, data={"next_step": "Call"}, version=1)
    with pytest.raises(OpportunityConflict):
        opportunity_win(actor=org.users.sales_n1, opportunity=stale, version=1)


def test_update_lines_and_probability(org, customers, line, pipeline):
    opp = _open(org.users.sales_n1, customers.n1, line)
    opportunity_update(actor=org.users.sales_n1, opportunity=opp, data={"probability": 40,
                                                                        "expected_close": dt.date(2027, 3, 1)},
                       version=1, lines=[{"product_line": line, "amount": "1000"}])
    assert opp.probability == 40 and opp.amount == Decimal("1000.00") and opp.lines.count() == 1
    contact = customers.n1.contacts.create(name="王经理", decision_role="decision_maker")
    opportunity_update(actor=org.users.sales_n1, opportunity=opp, data={}, version=2, contacts=[{"contact": contact}])
    assert opp.contacts.get().role == "decision_maker"


def test_lifecycle_moves_forward_by_itself_with_history(org, customers, line):
    customer = customers.n1
    customer.lifecycle_stage = "target"
    customer.save()
    actor = org.users.sales_n1
    opp = _open(actor, customer, line)
    customer.refresh_from_db()
    assert customer.lifecycle_stage == "opportunity"
    opportunity_win(actor=actor, opportunity=opp)
    customer.refresh_from_db()
    assert customer.lifecycle_stage == "customer"
    history = [(c.from_stage, c.to_stage, c.auto) for c in reversed(list(lifecycle_history(customer)))]
    assert history == [("target", "opportunity", True), ("opportunity", "customer", True)]
    # never backwards: reopening, or a new opportunity, leaves a customer a customer
    opportunity_reopen(actor=actor, opportunity=opp)
    _open(actor, customer, line, name="Second")
    customer.refresh_from_db()
    assert customer.lifecycle_stage == "customer"
    assert LifecycleChange.objects.filter(customer=customer).count() == 2


def test_lifecycle_leaves_dormant_and_lost_customers(org, customers, line):
    customer = customers.n1
    customer.lifecycle_stage = "dormant"
    customer.save()
    _open(org.users.sales_n1, customer, line)
    customer.refresh_from_db()
    assert customer.lifecycle_stage == "dormant" and not LifecycleChange.objects.exists()


def test_first_order_makes_a_customer(org, customers):
    customer = customers.n1
    customer.lifecycle_stage = "reserve"
    customer.save()
    order_create(actor=org.users.sales_n1, customer=customer, data={"order_date": dt.date(2026, 12, 1)},
                 lines=[{"amount": "100"}])
    customer.refresh_from_db()
    assert customer.lifecycle_stage == "customer"
    change = LifecycleChange.objects.get(customer=customer)
    assert change.auto and change.from_stage == "reserve" and "SO" in change.reason


def test_hand_edits_are_in_the_history_and_audited(org, customers):
    customer = customers.n1
    customer.lifecycle_stage = "reserve"
    customer.save()
    customer_update(actor=org.users.sales_n1, customer=customer, data={"lifecycle_stage": "potential"})
    change = LifecycleChange.objects.get(customer=customer)
    assert (change.from_stage, change.to_stage, change.auto, change.by) == ("reserve", "potential", False,
                                                                              org.users.sales_n1)
    assert AuditEvent.objects.filter(entity="customer", entity_id=customer.pk,
                                     changes__lifecycle_stage=["reserve", "potential"]).exists()


def test_visibility_and_change_rights(org, customers, line):
    u = org.users
    opp = _open(u.sales_n1, customers.n1, line)
    assert list(opportunity_list(viewer=u.sales_n1)) == [opp]
    assert list(opportunity_list(viewer=u.north_manager)) == [opp]
    assert list(opportunity_list(viewer=u.sales_e1)) == []
    assert list(opportunity_list(viewer=u.sales_n1b)) == []
    with pytest.raises(PermissionDenied):
        opportunity_update(actor=u.sales_e1, opportunity=opp, data={"next_step": "x"}, version=None)
    with pytest.raises(PermissionDenied):
        opportunity_update(actor=u.analyst, opportunity=opp, data={"next_step": "x"}, version=None)
    with pytest.raises(PermissionDenied):
        _open(u.sales_e1, customers.n1, line)
    # the owner may change it even on a customer they may not change
    opportunity_update(actor=u.north_manager, opportunity=opp, data={"owner": u.sales_n1b}, version=None)
    opportunity_update(actor=u.sales_n1b, opportunity=opp, data={"next_step": "Quote"}, version=None)
    assert opp.next_step == "Quote"


def test_board_columns_count_total_and_weighted(org, customers, pipeline, line):
    actor = org.users.sales_n1
    _open(actor, customers.n1, line)
    second = _open(actor, customers.n1, line, name="Second")
    opportunity_move(actor=actor, opportunity=second, stage=stage(pipeline, "opportunity"))
    cols = {c["stage"].code: c for c in board(viewer=actor, pipeline=pipeline)}
    assert cols["reserve"]["count"] == 1 and cols["reserve"]["total"] == Decimal("150000.50")
    assert cols["opportunity"]["weighted"] == Decimal("75000.25")
    assert cols["won"]["count"] == 0 and cols["won"]["cards"] == []
    assert board(viewer=org.users.sales_e1, pipeline=pipeline)[0]["count"] == 0
    filtered = board(viewer=actor, pipeline=pipeline, filters=OpportunityFilters(owner_id=org.users.sales_e1.pk))
    assert sum(c["count"] for c in filtered) == 0


def test_kept_column_totals_follow_every_write(org, customers, pipeline, line):
    """The board's column totals for a viewer who sees everything come from the totals
    PostgreSQL keeps (kehu.sales.models.StageTotal, triggers): after creates, moves, a
    change of amount and probability, a bulk update and deletes they equal the totals
    added up from the opportunities, and the board shows the same either way. On SQLite
    the table stays empty and the board adds up."""
    from django.db import connection
    from django.db.models import F

    from kehu.org.policies import policy_for
    from kehu.sales.models import StageTotal

    actor, admin = org.users.sales_n1, org.users.admin
    assert policy_for(admin).view_scope.everything
    first = _open(actor, customers.n1, line)
    second = _open(actor, customers.n1, line, name="Second")
    third = _open(actor, customers.n1, line, name="Third")
    opportunity_move(actor=actor, opportunity=second, stage=stage(pipeline, "opportunity"))
    opportunity_update(actor=actor, opportunity=third, data={"probability": 40}, version=third.version)
    opportunity_win(actor=actor, opportunity=first)
    Opportunity.objects.filter(pk=third.pk).update(amount=F("amount") + 1)
    Opportunity.objects.filter(pk=second.pk).delete()

    def live():
        rows = Opportunity.objects.filter(pipeline=pipeline).values("stage_id")
        out = {}
        for o in Opportunity.objects.filter(pipeline=pipeline):
            n, total, weighted = out.get(o.stage_id, (0, Decimal(0), Decimal(0)))
            out[o.stage_id] = (n + 1, total + o.amount, weighted + o.amount * o.probability / 100)
        assert rows.count() == sum(v[0] for v in out.values())
        return out

    expected = live()
    shown = {c["stage"].pk: (c["count"], c["total"], c["weighted"]) for c in board(viewer=admin, pipeline=pipeline)
             if c["count"]}
    assert shown == {pk: (n, t, w.quantize(Decimal("0.01"))) for pk, (n, t, w) in expected.items()}
    if connection.vendor == "postgresql":
        kept = {t.stage_id: (t.n, t.amount, t.weighted_pct / 100) for t in StageTotal.objects.filter(n__gt=0)}
        assert kept == expected
    else:
        assert not StageTotal.objects.exists()


def test_the_boards_batch_answer_agrees_with_the_policy_card_by_card(org, customers, pipeline, line):
    """The board asks the policy once for its cards (changeable_opportunity_ids); for every
    role it answers exactly what can_change_opportunity answers card by card."""
    from kehu.org.policies import policy_for

    opps = [_open(org.users.sales_n1, customers.n1, line), _open(org.users.sales_e1, customers.e1, line)]
    opps.append(_open(org.users.sales_n1, customers.n1, line, name="Handed over"))
    Opportunity.objects.filter(pk=opps[2].pk).update(owner=org.users.sales_e1)
    opps = list(Opportunity.objects.select_related("customer").order_by("id"))
    for user in vars(org.users).values():
        policy = policy_for(user)
        visible = [o for o in opps if policy.visible_opportunities().filter(pk=o.pk).exists()]
        expected = {o.pk for o in visible if policy.can_change_opportunity(o)}
        assert policy.changeable_opportunity_ids(visible) == expected, user.username


def test_visibility_follows_the_customer_when_it_changes_hands(org, customers, pipeline, line):
    """The policy finds opportunities by the customer's owner and team that the database
    copies onto them (kehu/sales/customer_keys.py): a customer handed to another team —
    through the service or a bare bulk update — takes its opportunities along at once,
    and an opportunity moved to another customer follows that customer."""
    from kehu.customers.models import Customer
    from kehu.org.policies import policy_for

    opp = _open(org.users.sales_n1, customers.n1, line)
    opp.refresh_from_db()
    assert (opp.customer_owner_id, opp.customer_team_id) == (org.users.sales_n1.pk, org.teams.n1.pk)

    def sees(user):
        return policy_for(user).visible_opportunities().filter(pk=opp.pk).exists()

    assert sees(org.users.sales_n1) and sees(org.users.north_manager) and not sees(org.users.sales_e1)
    customer_update(actor=org.users.admin, customer=customers.n1, data={"owner": org.users.sales_e1})
    assert Customer.objects.get(pk=customers.n1.pk).team_id == org.teams.e1.pk
    assert sees(org.users.sales_e1) and sees(org.users.east_manager)
    assert not sees(org.users.sales_n1) and not sees(org.users.north_manager)
    Customer.objects.filter(pk=customers.n1.pk).update(owner=org.users.sales_n1, team=org.teams.n1)
    assert sees(org.users.sales_n1) and not sees(org.users.sales_e1)
    Opportunity.objects.filter(pk=opp.pk).update(customer=customers.e1)
    assert sees(org.users.sales_e1) and not sees(org.users.sales_n1)
    # a save that carries stale copies in Python is corrected by the database
    stale = Opportunity.objects.get(pk=opp.pk)
    stale.customer_owner_id, stale.customer_team_id = org.users.sales_n1.pk, org.teams.n1.pk
    stale.save()
    assert sees(org.users.sales_e1) and not sees(org.users.sales_n1)


@pytest.mark.django_db(transaction=True)
def test_the_customer_keys_come_back_after_a_migrate_that_lost_them(org, customers, pipeline, line):
    """A SQLite table rebuilt by a later migration loses its triggers: post_migrate puts
    them back and fills the copies again (kehu/sales/customer_keys.py)."""
    from django.db import connection

    from kehu.sales import customer_keys

    opp = _open(org.users.sales_n1, customers.n1, line)
    customer_keys.drop(connection)
    Opportunity.objects.filter(pk=opp.pk).update(customer_owner_id=None, customer_team_id=None)
    customer_keys.ensure_after_migrate(sender=None)
    opp.refresh_from_db()
    assert (opp.customer_owner_id, opp.customer_team_id) == (org.users.sales_n1.pk, org.teams.n1.pk)
    customer_update(actor=org.users.admin, customer=customers.n1, data={"owner": org.users.sales_e1})
    opp.refresh_from_db()
    assert opp.customer_owner_id == org.users.sales_e1.pk


def test_a_columns_next_page_reads_only_that_column(org, customers, pipeline, line):
    """The board's "more" link asks one column for its next cards: the other columns keep
    their totals but read no cards."""
    actor = org.users.sales_n1
    _open(actor, customers.n1, line)
    moved = _open(actor, customers.n1, line, name="Second")
    opportunity_move(actor=actor, opportunity=moved, stage=stage(pipeline, "target"))
    cols = {c["stage"].code: c for c in board(viewer=actor, pipeline=pipeline,
                                                more={stage(pipeline, "target").pk: 0})}
    assert [c.name for c in cols["target"]["cards"]] == ["Second"]
    assert cols["reserve"]["count"] == 1 and cols["reserve"]["cards"] == []
