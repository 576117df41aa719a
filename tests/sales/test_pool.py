"""The lead pool (kehu.sales.pool): pools and who sees them, claim with its limit, return,
assign, convert with the duplicate check, recycling with the clock moved, the history."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.engagement.models import Task
from kehu.org.policies import policy_for
from kehu.sales import pool
from kehu.sales.models import OwnershipChange, PoolSettings
from tests.factories import CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def lead(name="鞍钢采购线索", team=None, **kw):
    c = CustomerFactory(name=name, lifecycle_stage="reserve", owner=None, **kw)
    if team is not None:
        Customer.objects.filter(pk=c.pk).update(team=team)
        c.refresh_from_db()
    return c


@pytest.fixture
def leads(org):
    t = org.teams
    from types import SimpleNamespace

    return SimpleNamespace(company=lead("宝钢线材采购", phone="13700000001"),
                           n1=lead("天津钢管采购", team=t.n1, phone="13700000002"),
                           e1=lead("上海螺纹钢采购", team=t.e1, phone="13700000003"))


def pool_ids(user):
    return set(policy_for(user).visible_pool().values_list("pk", flat=True))


def test_who_sees_which_pool(org, leads, customers):
    u = org.users
    assert pool_ids(u.sales_n1) == {leads.company.pk, leads.n1.pk}
    assert pool_ids(u.sales_e1) == {leads.company.pk, leads.e1.pk}
    assert pool_ids(u.north_manager) == {leads.company.pk, leads.n1.pk}
    assert pool_ids(u.admin) == pool_ids(u.hq_manager) == pool_ids(u.analyst) == {
        leads.company.pk, leads.n1.pk, leads.e1.pk}
    # owned customers are in no pool
    assert customers.n1.pk not in pool_ids(u.admin)


def test_claim_makes_it_yours_and_keeps_the_history(org, leads):
    u = org.users
    c = pool.lead_claim(actor=u.sales_n1, customer=leads.company)
    assert (c.owner_id, c.team_id) == (u.sales_n1.pk, org.teams.n1.pk)
    ch = OwnershipChange.objects.get(customer=c)
    assert (ch.reason, ch.from_owner_id, ch.to_owner_id, ch.by_id) == ("claim", None, u.sales_n1.pk, u.sales_n1.pk)
    assert policy_for(u.sales_n1).can_change(c)
    # a second claim: already taken (409), for someone who saw the same pool
    with pytest.raises(pool.AlreadyClaimed):
        pool.lead_claim(actor=u.sales_n1b, customer=Customer.objects.get(pk=c.pk))
    # someone from another team's pool: as if it did not exist
    with pytest.raises(pool.AlreadyClaimed):   # the company pool is everyone's
        pool.lead_claim(actor=u.sales_e1, customer=Customer.objects.get(pk=c.pk))


def test_another_teams_pool_is_404(org, leads):
    with pytest.raises(Http404):
        pool.lead_claim(actor=org.users.sales_e1, customer=leads.n1)


def test_read_only_roles_may_not_claim(org, leads):
    with pytest.raises(PermissionDenied):
        pool.lead_claim(actor=org.users.analyst, customer=leads.company)


def test_claim_limit_counts_unconverted_leads(org, leads):
    u = org.users
    PoolSettings.objects.create(claim_limit=1)
    pool.lead_claim(actor=u.sales_n1, customer=leads.company)
    with pytest.raises(pool.PoolLimitReached):
        pool.lead_claim(actor=u.sales_n1, customer=leads.n1)
    # converting the first frees the place
    pool.lead_convert(actor=u.sales_n1, customer=Customer.objects.get(pk=leads.company.pk))
    pool.lead_claim(actor=u.sales_n1, customer=leads.n1)


def test_release_needs_a_reason_and_goes_to_the_team_pool(org, leads):
    u = org.users
    c = pool.lead_claim(actor=u.sales_n1, customer=leads.company)
    with pytest.raises(ValidationError):
        pool.lead_release(actor=u.sales_n1, customer=c, reason=" ")
    with pytest.raises(PermissionDenied):
        pool.lead_release(actor=u.sales_e1, customer=c, reason="not mine")
    c = pool.lead_release(actor=u.sales_n1, customer=c, reason="不采购线材")
    assert (c.owner_id, c.team_id) == (None, org.teams.n1.pk)
    assert c.pk in pool_ids(u.sales_n1b) and c.pk not in pool_ids(u.sales_e1)
    assert [ch.reason for ch in pool.ownership_history(c)] == ["release", "claim"]
    assert pool.ownership_history(c)[0].note == "不采购线材"


def test_assign_is_for_managers(org, leads):
    u = org.users
    with pytest.raises(PermissionDenied):
        pool.lead_assign(actor=u.sales_n1, customer=leads.n1, owner=u.sales_n1b)
    with pytest.raises(ValidationError):
        pool.lead_assign(actor=u.north_manager, customer=leads.n1, owner=u.sales_e1)   # outside the subtree
    c = pool.lead_assign(actor=u.north_manager, customer=leads.n1, owner=u.sales_n1b, note="熟悉天津市场")
    assert c.owner_id == u.sales_n1b.pk
    assert pool.ownership_history(c)[0].reason == "assign"


def test_convert_moves_the_lifecycle_and_checks_duplicates(org, leads, customers):
    u = org.users
    dup = lead("北方钢铁贸易有限公司", city="北京")   # the same name and city as customers.n1
    with pytest.raises(pool.LeadDuplicates) as exc:
        pool.lead_convert(actor=u.sales_n1, customer=dup)
    assert exc.value.matches[0]["customer"].pk == customers.n1.pk
    Customer.objects.get(pk=dup.pk).owner_id is None    # nothing claimed
    c = pool.lead_convert(actor=u.sales_n1, customer=leads.company, to_stage="target")
    assert (c.owner_id, Customer.objects.get(pk=c.pk).lifecycle_stage) == (u.sales_n1.pk, "target")
    assert [ch.reason for ch in pool.ownership_history(c)] == ["convert", "claim"]
    assert c.lifecycle_changes.get().to_stage == "target"
    with pytest.raises(ValidationError):   # no longer a lead
        pool.lead_convert(actor=u.sales_n1, customer=Customer.objects.get(pk=c.pk))
    forced = pool.lead_convert(actor=u.sales_n1, customer=dup, force=True)
    assert forced.owner_id == u.sales_n1.pk


def test_lead_create_goes_to_a_pool(org):
    u = org.users
    c = pool.lead_create(actor=u.sales_n1, data={"name": "河北建工钢材采购", "phone": "13611112222"})
    assert (c.owner_id, c.team_id, c.lifecycle_stage) == (None, None, "reserve")
    c = pool.lead_create(actor=u.sales_n1, data={"name": "天津港钢构"}, team=org.teams.n1)
    assert Customer.objects.get(pk=c.pk).team_id == org.teams.n1.pk
    with pytest.raises(ValidationError):
        pool.lead_create(actor=u.sales_n1, data={"name": "x"}, team=org.teams.e1)
    public = pool.lead_create(actor=None, data={"name": "网站线索"})
    assert public.owner_id is None


def test_editing_a_team_pool_customer_keeps_its_pool(org, leads):
    from kehu.customers.services import customer_update

    customer_update(actor=org.users.north_manager, customer=leads.n1, data={"remarks": "年采购量约 2000 吨"})
    assert Customer.objects.get(pk=leads.n1.pk).team_id == org.teams.n1.pk


# -- recycling ------------------------------------------------------------------

def _aged(customer, days_ago, now):
    """The customer created ``days_ago`` before ``now`` and never touched since."""
    Customer.objects.filter(pk=customer.pk).update(created_at=now - dt.timedelta(days=days_ago))
    OwnershipChange.objects.filter(customer=customer).update(at=now - dt.timedelta(days=days_ago))


def test_recycle_with_the_clock_moved(org):
    u = org.users
    PoolSettings.objects.create(recycle_days_none=30, reminder_days=7)
    start = timezone.now() - dt.timedelta(days=1)
    c = CustomerFactory(name="邯郸钢材经销", owner=u.sales_n1, lifecycle_stage="target")
    Customer.objects.filter(pk=c.pk).update(created_at=start)
    # before the reminder
    r = pool.pool_recycle(now=start + dt.timedelta(days=22))
    assert (r.returned, r.reminded) == ([], [])
    # at the reminder: a task for the owner, once
    r = pool.pool_recycle(now=start + dt.timedelta(days=23))
    assert [x["id"] for x in r.reminded] == [c.pk] and r.returned == []
    pool.pool_recycle(now=start + dt.timedelta(days=24))
    task = Task.objects.get(customer=c)
    assert task.assigned_to_id == u.sales_n1.pk and task.due_on == (start + dt.timedelta(days=30)).date()
    # a dry run at the return changes nothing
    r = pool.pool_recycle(now=start + dt.timedelta(days=30), dry_run=True)
    assert [x["id"] for x in r.returned] == [c.pk]
    assert Customer.objects.get(pk=c.pk).owner_id == u.sales_n1.pk
    # at the return: back to the team's pool, with the history
    pool.pool_recycle(now=start + dt.timedelta(days=30))
    c.refresh_from_db()
    assert (c.owner_id, c.team_id) == (None, org.teams.n1.pk)
    ch = OwnershipChange.objects.get(customer=c)
    assert (ch.reason, ch.from_owner_id, ch.to_owner_id) == ("recycle", u.sales_n1.pk, None)
    assert c.pk in pool_ids(u.sales_n1b)


def test_activity_and_tiers_keep_customers(org):
    u = org.users
    PoolSettings.objects.create(recycle_days_none=30, recycle_days_gold=0, reminder_days=0)
    now = timezone.now()
    quiet = CustomerFactory(name="quiet", owner=u.sales_n1)
    called = CustomerFactory(name="called", owner=u.sales_n1)
    claimed = lead("claimed lately")
    gold = CustomerFactory(name="gold", owner=u.sales_n1)
    for c in (quiet, called, claimed, gold):
        _aged(c, 100, now)
    InteractionFactory(customer=called, occurred_at=now - dt.timedelta(days=3))
    pool.lead_claim(actor=u.sales_n1b, customer=claimed)      # the claim starts the clock
    from kehu.insights.models import AnalysisRun, CustomerScore

    run = AnalysisRun.objects.create(status="succeeded", as_of=now.date())
    CustomerScore.objects.create(run=run, customer=gold, tier="gold")
    r = pool.pool_recycle(now=now)
    assert [x["id"] for x in r.returned] == [quiet.pk]
    assert r.returned[0]["tier"] == "none"


def test_bulk_rule_agrees_with_the_pure_rule(org):
    """What the recycle returns and reminds (its one pass, sorted by the rule's bulk form)
    against kehu.analytics.pool.recycle_decision, customer by customer."""
    from kehu.analytics.pool import REMIND, RETURN, recycle_decision

    PoolSettings.objects.create(recycle_days_none=20, reminder_days=5)
    now = timezone.now()
    made = []
    for i, age in enumerate([1, 14, 15, 16, 19, 20, 21, 40]):
        c = CustomerFactory(name=f"c{i}", owner=org.users.sales_n1)
        _aged(c, age, now)
        made.append((c.pk, now - dt.timedelta(days=age)))
    report = pool.pool_recycle(now=now, dry_run=True)
    ret, rem = {r["id"] for r in report.returned}, {r["id"] for r in report.reminded}
    for pk, last in made:
        want = recycle_decision(last_activity=last, now=now, days=20, reminder_days=5).action
        assert (pk in ret, pk in rem) == (want == RETURN, want == REMIND), (pk, last, want)


def test_pool_settings_admin_only(org):
    with pytest.raises(PermissionDenied):
        pool.pool_settings_save(actor=org.users.north_manager, data={"claim_limit": 5})
    with pytest.raises(ValidationError):
        pool.pool_settings_save(actor=org.users.admin, data={"reminder_days": 9999})
    row = pool.pool_settings_save(actor=org.users.admin, data={"claim_limit": 5})
    assert pool.pool_settings().claim_limit == 5 and PoolSettings.objects.count() == 1 and row.pk
