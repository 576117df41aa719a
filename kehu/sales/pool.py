"""The lead pool (公海 / 线索池): customers nobody owns, claimed, returned, assigned,
converted, and recycled back when nobody works them.

- A *lead* is a customer at the reserve stage (储备) without an owner. Every customer without
  an owner is in a pool: the *company pool* (no team) or a *team pool* (a team, no owner).
  Who sees which pool: :meth:`kehu.org.policies.CustomerPolicy.visible_pool`.
- **Claim** (领取): a salesperson takes a customer from a pool they see; it becomes theirs
  and their team's. The *claim limit* (:class:`~kehu.sales.models.PoolSettings`) is the most
  unconverted leads — owned customers still at the reserve stage — one person may hold; a
  claim beyond it is refused (:class:`PoolLimitReached`). Two claims of the same customer at
  once: exactly one wins, the other gets :class:`AlreadyClaimed` (a conditional UPDATE on the
  row, ``owner IS NULL``, which the database serialises; the claimer's own row is locked
  first so that two claims of one person cannot both pass the limit).
- **Return** (退回): the owner (or whoever may change the customer) gives it back with a
  reason; it goes to its team's pool.
- **Assign** (分配): a manager or administrator gives a pool customer to someone they may
  assign customers to (not bound by the claim limit: the manager decides).
- **Convert** (转化): a lead becomes a customer being worked — its lifecycle moves forward
  (kehu.sales.lifecycle) after the customer services' duplicate check; a lead converted from
  a pool is claimed first.
- **Recycle** (回收): :func:`pool_recycle` returns to their team's pool the owned customers
  nobody worked for the days their value tier allows (kehu.analytics.pool), and reminds the
  owners beforehand with a task. Bulk SQL: one query finds the customers, one UPDATE moves
  them; Python touches only the customers moved or reminded.

Every change of owner is kept (:class:`~kehu.sales.models.OwnershipChange`) and audited (a
``reassign`` event on the customer's timeline).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import DateTimeField, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.analytics.pool import cutoffs, tier_key
from kehu.audit.services import audit_record
from kehu.customers.models import Customer, LifecycleStage
from kehu.org.policies import policy_for
from kehu.sales.models import OwnershipChange, OwnershipReason, PoolSettings

R = OwnershipReason
POOL_SETTINGS_FIELDS = ("claim_limit", "recycle_days_gold", "recycle_days_silver", "recycle_days_bronze",
                        "recycle_days_do_not_serve", "recycle_days_none", "reminder_days")
CONVERT_STAGES = (LifecycleStage.TARGET, LifecycleStage.POTENTIAL, LifecycleStage.OPPORTUNITY)


class AlreadyClaimed(Exception):
    """The customer is no longer in the pool: someone claimed it first (409)."""

    def __init__(self, customer=None):
        super().__init__(_("Someone else has just taken this customer from the pool."))
        self.customer = customer


class PoolLimitReached(Exception):
    """The claimer holds as many unconverted leads as the settings allow (409)."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(_("You already hold %(limit)d leads that are not converted, the most allowed. Convert or "
                           "return some first.") % {"limit": limit})


class LeadDuplicates(Exception):
    """Converting would make a second copy of a customer that exists (409, unless forced)."""

    def __init__(self, matches: list[dict]):
        self.matches = matches
        super().__init__(_("This lead looks like %(count)d customer(s) already on file; merge them, or convert "
                           "anyway.") % {"count": len(matches)})


# -- settings --------------------------------------------------------------------------

def pool_settings() -> PoolSettings:
    """The company's pool settings (an unsaved row with the defaults when none were saved)."""
    return PoolSettings.objects.order_by("id").first() or PoolSettings()


def pool_settings_save(*, actor, data: dict) -> PoolSettings:
    """Change the pool settings (administrators only); fields not in ``data`` stay."""
    if not policy_for(actor).is_admin:
        raise PermissionDenied(_("Only an administrator may change the lead pool settings."))
    unknown = set(data) - set(POOL_SETTINGS_FIELDS)
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    with transaction.atomic():
        row = PoolSettings.objects.select_for_update().order_by("id").first() or PoolSettings()
        before = {k: getattr(row, k) for k in POOL_SETTINGS_FIELDS}
        for key, value in data.items():
            setattr(row, key, value)
        row.updated_by = actor if getattr(actor, "pk", None) else None
        row.full_clean()
        row.save()
        changes = {k: [before[k], getattr(row, k)] for k in POOL_SETTINGS_FIELDS if before[k] != getattr(row, k)}
        if changes:
            audit_record(actor=actor, action="update", instance=row, summary=str(row), changes=changes)
    return row


def leads_held(user) -> int:
    """What the claim limit counts: the customers ``user`` owns that are still at the reserve stage."""
    return Customer.objects.filter(owner_id=user.pk, lifecycle_stage=LifecycleStage.RESERVE,
                                   merged_into__isnull=True).count()


# -- the history ----------------------------------------------------------------------

def _record(*, customer: Customer, from_owner_id, from_team_id, to_owner, to_team_id, actor, reason: str,
            note: str = "", at=None) -> OwnershipChange:
    at = at or timezone.now()
    change = OwnershipChange.objects.create(
        customer=customer, from_owner_id=from_owner_id, from_team_id=from_team_id,
        to_owner=to_owner, to_team_id=to_team_id, at=at, by=actor if getattr(actor, "pk", None) else None,
        reason=reason, note=(note or "")[:300])
    label = dict(OwnershipReason.choices)[reason]
    from_name = str(change.from_owner) if from_owner_id else _("pool")
    to_name = str(to_owner) if to_owner is not None else _("pool")
    audit_record(actor=actor, action="reassign", instance=customer, customer_id=customer.pk,
                 changes={"owner": [from_name, to_name], "reason": reason, **({"note": note} if note else {})},
                 summary=f"{label}: {from_name} → {to_name}" + (f" ({note})" if note else ""))
    return change


def ownership_history(customer: Customer):
    """The customer's owners through the pool, newest first."""
    return (OwnershipChange.objects.filter(customer=customer)
            .select_related("from_owner", "to_owner", "from_team", "to_team", "by").order_by("-at", "-id"))


# -- claim, assign, return, convert ----------------------------------------------------------

def _take(*, actor, customer: Customer, to_owner, reason: str, note: str = "") -> Customer:
    """Give a pool customer to ``to_owner`` — one conditional UPDATE: exactly one of two
    at once wins; the other gets :class:`AlreadyClaimed`. Call inside a transaction."""
    from_team_id = Customer.objects.filter(pk=customer.pk).values_list("team_id", flat=True).first()
    moved = Customer.objects.filter(pk=customer.pk, owner__isnull=True).update(
        owner=to_owner, team_id=to_owner.team_id, updated_at=timezone.now())
    if not moved:
        raise AlreadyClaimed(customer)
    customer.refresh_from_db()
    _record(customer=customer, from_owner_id=None, from_team_id=from_team_id, to_owner=to_owner,
            to_team_id=to_owner.team_id, actor=actor, reason=reason, note=note)
    return customer


def pool_customer(actor, customer: Customer) -> Customer:
    """``customer`` when it is in a pool the actor sees. One that has left such a pool (someone
    claimed it) is :class:`AlreadyClaimed` (409); any other: 404, as for one that does not exist."""
    policy = policy_for(actor)
    if policy.visible_pool().filter(pk=customer.pk).exists():
        return customer
    owned = Customer.objects.filter(pk=customer.pk, merged_into__isnull=True, owner__isnull=False).exists()
    if owned:
        # Which pool it left: the last claim or assignment says.
        came = (OwnershipChange.objects.filter(customer_id=customer.pk, from_owner__isnull=True)
                .order_by("-at", "-id").values_list("from_team_id", flat=True)[:1])
        if came and (policy.sees_everything or came[0] is None or came[0] in policy.pool_team_ids):
            raise AlreadyClaimed(customer)
    raise Http404


def lead_claim(*, actor, customer: Customer, note: str = "") -> Customer:
    """``actor`` takes ``customer`` from a pool they see (see the module docstring)."""
    from kehu.org.models import User

    policy = policy_for(actor)
    if not policy.may_claim:
        raise PermissionDenied(_("You may not claim customers."))
    pool_customer(actor, customer)
    limit = pool_settings().claim_limit
    with transaction.atomic():
        # Two claims of one person wait for each other here, so both cannot pass the limit.
        User.objects.select_for_update().filter(pk=actor.pk).values_list("pk", flat=True).first()
        if limit and leads_held(actor) >= limit:
            raise PoolLimitReached(limit)
        return _take(actor=actor, customer=customer, to_owner=actor, reason=R.CLAIM, note=note)


def lead_assign(*, actor, customer: Customer, owner, note: str = "") -> Customer:
    """A manager gives a pool customer to ``owner``."""
    policy = policy_for(actor)
    if not policy.may_assign_pool:
        raise PermissionDenied(_("Only managers and administrators give pool customers to others."))
    if owner is None or not owner.is_active or not policy.can_assign_to(owner):
        raise ValidationError({"owner": _("You may not assign customers to this user.")})
    pool_customer(actor, customer)
    with transaction.atomic():
        return _take(actor=actor, customer=customer, to_owner=owner, reason=R.ASSIGN, note=note)


def lead_release(*, actor, customer: Customer, reason: str) -> Customer:
    """The owner (or whoever may change the customer) returns it to its team's pool, saying why."""
    policy = policy_for(actor)
    if policy.read_only or not policy.can_change(customer):
        raise PermissionDenied(_("You may not change this customer."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the customer goes back to the pool.")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("At most %(max)d characters.") % {"max": 300}})
    with transaction.atomic():
        row = Customer.objects.select_for_update().filter(pk=customer.pk).values("owner_id", "team_id").first()
        if row is None or row["owner_id"] is None:
            raise ValidationError({"customer": _("This customer is already in the pool.")})
        Customer.objects.filter(pk=customer.pk).update(owner=None, updated_at=timezone.now())
        customer.refresh_from_db()
        _record(customer=customer, from_owner_id=row["owner_id"], from_team_id=row["team_id"], to_owner=None,
                to_team_id=row["team_id"], actor=actor, reason=R.RELEASE, note=reason)
    return customer


def lead_convert(*, actor, customer: Customer, to_stage: str = LifecycleStage.POTENTIAL,
                 force: bool = False) -> Customer:
    """A lead (reserve stage) becomes a customer being worked: claimed first when it is in a
    pool, checked for duplicates (:func:`kehu.customers.services.find_duplicates`; raises
    :class:`LeadDuplicates` unless ``force``), then moved forward to ``to_stage``."""
    from kehu.customers.services import find_duplicates
    from kehu.sales.lifecycle import lifecycle_advance

    if to_stage not in CONVERT_STAGES:
        raise ValidationError({"to_stage": _("Choose target, potential or opportunity.")})
    policy = policy_for(actor)
    if not policy.may_claim:
        raise PermissionDenied(_("You may not change this customer."))
    if customer.lifecycle_stage != LifecycleStage.RESERVE:
        raise ValidationError({"customer": _("Only a lead at the reserve stage (储备) is converted.")})
    in_pool = customer.owner_id is None
    if not in_pool and not policy.can_change(customer):
        raise PermissionDenied(_("You may not change this customer."))
    if not force:
        matches = find_duplicates(viewer=actor, name=customer.name, phone=customer.phone, email=customer.email,
                                  city=customer.city, exclude_id=customer.pk)
        if matches:
            raise LeadDuplicates(matches)
    with transaction.atomic():
        if in_pool:
            customer = lead_claim(actor=actor, customer=customer, note=_("Converted"))
        lifecycle_advance(customer=customer, to_stage=to_stage, reason=_("Lead converted"), actor=actor)
        _record(customer=customer, from_owner_id=customer.owner_id, from_team_id=customer.team_id,
                to_owner=customer.owner, to_team_id=customer.team_id, actor=actor, reason=R.CONVERT,
                note=str(dict(LifecycleStage.choices)[to_stage]))
    return customer


def lead_create(*, actor, data: dict, team=None, tags=None) -> Customer:
    """A new lead: a customer at the reserve stage in the company pool, or in ``team``'s pool
    (a team whose pool the actor sees). ``actor`` None: the public lead form."""
    from kehu.customers.services import customer_create

    data = {**data, "lifecycle_stage": LifecycleStage.RESERVE, "owner": None}
    if actor is not None:
        policy = policy_for(actor)
        if not policy.may_claim:
            raise PermissionDenied(_("You may not create customers."))
        if team is not None and not (policy.sees_everything or team.pk in policy.pool_team_ids):
            raise ValidationError({"team": _("You may not put leads in this team's pool.")})
    with transaction.atomic():
        customer = customer_create(actor=actor, data=data, tags=tags, check_permissions=False, lead=True)
        if team is not None:
            Customer.objects.filter(pk=customer.pk).update(team=team)
            customer.team = team
    return customer


# -- recycling --------------------------------------------------------------------

@dataclass
class RecycleReport:
    now: dt.datetime
    dry_run: bool
    returned: list[dict] = field(default_factory=list)   # {"id", "ref", "name", "owner", "tier", "last"}
    reminded: list[dict] = field(default_factory=list)


def _latest_run_id():
    from kehu.insights.selectors import latest_run

    run = latest_run()
    return run.pk if run else None


def owned_with_last_activity():
    """Owned customers annotated with ``tier_code`` (their tier in the latest value analysis,
    "" when none) and ``last_activity``: the latest of their last interaction, the last change
    of one of their opportunities, and the last time they changed hands — their creation when
    none of these happened. One query; the database does the work."""
    from kehu.engagement.models import Interaction
    from kehu.insights.models import CustomerScore
    from kehu.sales.models import Opportunity

    def latest(qs, column):
        return Subquery(qs.filter(customer_id=OuterRef("pk")).order_by(f"-{column}").values(column)[:1],
                        output_field=DateTimeField())

    run_id = _latest_run_id()
    tier = (Subquery(CustomerScore.objects.filter(run_id=run_id, customer_id=OuterRef("pk")).values("tier")[:1])
            if run_id else Value(""))
    created = F("created_at")
    return (Customer.objects.filter(owner__isnull=False, merged_into__isnull=True)
            .annotate(tier_code=Coalesce(tier, Value("")),
                      last_activity=Greatest(
                          Coalesce(latest(Interaction.objects, "occurred_at"), created),
                          Coalesce(latest(Opportunity.objects, "updated_at"), created),
                          Coalesce(latest(OwnershipChange.objects.exclude(to_owner=None), "at"), created),
                          created)))


def _reminders(rows: list[dict], *, settings: PoolSettings, now) -> int:
    """One open task per owner and customer about to go back (not twice for the same date)."""
    from kehu.engagement.models import Task, TaskSource, TaskStatus

    if not rows:
        return 0
    have = set(Task.objects.filter(customer_id__in=[r["id"] for r in rows], status=TaskStatus.OPEN,
                                   source_ref__has_key="pool_return")
               .values_list("customer_id", "assigned_to_id"))
    tasks = []
    for r in rows:
        if (r["id"], r["owner_id"]) in have:
            continue
        due = r["return_at"].date()
        tasks.append(Task(customer_id=r["id"], assigned_to_id=r["owner_id"], source=TaskSource.MANUAL,
                          source_ref={"pool_return": due.isoformat()}, due_on=due,
                          title=_("Work %(name)s or it goes back to the pool on %(date)s") % {
                              "name": r["name"][:100], "date": due.isoformat()},
                          description=_("Nothing was logged for this customer for a while. Log an interaction "
                                        "or move an opportunity to keep it; otherwise it returns to the lead "
                                        "pool.")))
    Task.objects.bulk_create(tasks, batch_size=1000)
    return len(tasks)


def pool_recycle(*, now=None, dry_run: bool = False, actor=None, only_ids=None) -> RecycleReport:
    """Return to their team's pool the owned customers nobody worked long enough, and remind
    the owners of those about to go (see the module docstring). ``dry_run``: only say what
    would happen; ``only_ids``: look at these customers only."""
    from kehu.audit.models import AuditEvent

    now = now or timezone.now()
    settings = pool_settings()
    days = settings.days_by_tier()
    report = RecycleReport(now=now, dry_run=dry_run)
    # One pass over the owned customers, each one's last activity worked out once (three
    # lookups), sorted here by the rule's bulk form (kehu.analytics.pool.cutoffs): filtering
    # in SQL made the database work each last activity out once to filter, again to return it.
    rows = owned_with_last_activity()
    if only_ids is not None:
        rows = rows.filter(pk__in=list(only_ids))
    limits = cutoffs(now=now, days_by_tier=days, reminder_days=settings.reminder_days)
    fields = ("id", "ref", "name", "owner_id", "owner__username", "team_id", "tier_code", "last_activity")
    returned, reminded = [], []
    for r in rows.order_by("id").values(*fields).iterator(chunk_size=5000):
        tier = tier_key(r["tier_code"])
        lim = limits[tier]
        if lim is None:
            continue
        if r["last_activity"] <= lim[0]:
            returned.append(r)
        elif settings.reminder_days and r["last_activity"] <= lim[1]:
            reminded.append(r)
        else:
            continue
        r["tier"] = tier
        r["owner"] = r.pop("owner__username")
        r["return_at"] = r["last_activity"] + dt.timedelta(days=days[tier])
    report.returned, report.reminded = returned, reminded
    if dry_run:
        return report
    with transaction.atomic():
        ids = [r["id"] for r in returned]
        for start in range(0, len(ids), 1000):
            chunk = ids[start:start + 1000]
            # Only those still with the owner they had when read.
            Customer.objects.filter(pk__in=chunk, owner__isnull=False).update(owner=None, updated_at=now)
            batch = [r for r in returned[start:start + 1000]]
            OwnershipChange.objects.bulk_create([
                OwnershipChange(customer_id=r["id"], from_owner_id=r["owner_id"], from_team_id=r["team_id"],
                                to_owner=None, to_team_id=r["team_id"], at=now,
                                by=actor if getattr(actor, "pk", None) else None, reason=R.RECYCLE,
                                note=_("No activity since %(date)s") % {"date": r["last_activity"].date().isoformat()})
                for r in batch])
            AuditEvent.objects.bulk_create([
                AuditEvent(actor=actor if getattr(actor, "pk", None) else None, action="reassign",
                           entity="customer", entity_id=r["id"], customer_id=r["id"],
                           summary=f"{R.RECYCLE.label}: {r['owner']} → {_('pool')}"[:300],
                           changes={"owner": [r["owner"], str(_("pool"))], "reason": R.RECYCLE.value})
                for r in batch])
        _reminders(reminded, settings=settings, now=now)
    return report
