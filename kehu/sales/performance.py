"""Sales performance (销售业绩) and receivables ageing (应收账款账龄): reads, scoped by the
one policy (:meth:`kehu.org.policies.CustomerPolicy.performance_people`, and the visible
customers for the receivables).

Everything is aggregated in the database — one grouped query per figure over the people
in scope, one grouped query per ageing table — and only the per-person, per-customer
rows come back. The ratios and the bucket rule are in
:mod:`kehu.analytics.sales_performance`.

The figures of a person for a period ``[start, end]`` (both days included):

- visits planned / done: their planned visits (kehu/engagement) for a day in the period,
  and of them those done;
- interactions: those they logged in the period;
- opportunities created (owned by them, opened in the period), won and lost in the
  period; win rate = won / (won + lost); cycle = average days from opened to won;
- revenue: the amount of their orders (``Order.salesperson``) dated in the period,
  cancelled orders left out;
- collection rate (回款率): of their orders whose payment fell due in the period (the
  due date as in the ageing below), what has been paid ÷ their amount;
- satisfaction: over the customers they own, each customer's latest complete survey
  response up to the period's end — the mean satisfaction index (0–100) and the NPS;
- churn: of the customers they own with a score in the latest value run, those at or
  above the run's churn threshold.

A team's figures are the sums of the counts of the people in the team's subtree.

Revenue against quota: the quota of each person and team for the period
(:func:`kehu.sales.forecast.quotas_for`: month quotas, or a third of the quarter's, in
proportion to the period's days); ``has_quota`` when any row has one.

The due date of an order is its ``payment_due_on``; when empty, the order date plus the
customer's payment days — the same as :func:`kehu.sales.terms.customer_terms`, in SQL
(:func:`kehu.sales.terms.payment_days_expression`), in this order of precedence:

1. the ``payment_days`` of the customer's active key-account plan, when it sets them;
2. else the ``payment_days`` of its value tier's terms in the latest value run;
3. else the company's (``KEHU_PAYMENT_DAYS``, 30 by default).

A draft or closed plan changes nothing. The receivables ageing and the collection rate
both use this due date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case, Count, DecimalField, ExpressionWrapper, F, Func, IntegerField, OuterRef, Q, Subquery, Sum, Value, When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from kehu.analytics.sales_performance import BUCKET_KEYS, BUCKETS, NOT_DUE, PerformanceCounts, ratio
from kehu.org.models import Role, Team, User
from kehu.org.policies import policy_for

MONEY_FIELD = DecimalField(max_digits=16, decimal_places=2)
SELLING_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER)


class DaysBetween(Func):
    """``later − earlier`` in whole days, on SQLite and PostgreSQL (both dates)."""

    output_field = IntegerField()

    def __init__(self, later, earlier):
        super().__init__(later, earlier)

    def as_sql(self, compiler, connection, **extra):
        later_sql, later_params = compiler.compile(self.source_expressions[0])
        earlier_sql, earlier_params = compiler.compile(self.source_expressions[1])
        if connection.vendor == "postgresql":
            sql = f"(CAST({later_sql} AS date) - CAST({earlier_sql} AS date))"
        else:
            sql = f"CAST(ROUND(julianday({later_sql}) - julianday({earlier_sql})) AS INTEGER)"
        return sql, (*later_params, *earlier_params)


def _date(value: dt.date):
    from django.db.models import DateField

    return Value(value, output_field=DateField())


def with_days_past_due(qs, as_of: dt.date, *, name: str = "days_past_due"):
    """``qs`` (orders) annotated with their days past due on ``as_of`` (negative: not yet due).

    An order without a "payment due" date falls due its customer's payment days after its
    date: :func:`kehu.sales.terms.payment_days_expression` (the active key-account plan's,
    else the tier's, else the company's — as ``customer_terms``), annotated once as
    ``_payment_days`` and shared by every ``with_days_past_due`` on the same queryset."""
    from kehu.sales.terms import payment_days_expression

    if "_payment_days" not in qs.query.annotations:
        qs = qs.annotate(_payment_days=payment_days_expression("customer_id"))
    return qs.annotate(**{name: Case(
        When(payment_due_on__isnull=False, then=DaysBetween(_date(as_of), F("payment_due_on"))),
        default=ExpressionWrapper(DaysBetween(_date(as_of), F("order_date")) - F("_payment_days"),
                                  output_field=IntegerField()),
        output_field=IntegerField())})


def _bucket_q(key: str, days: str = "days_past_due") -> Q:
    if key == NOT_DUE:
        return Q(**{f"{days}__lte": 0})
    for k, low, high in BUCKETS:
        if k == key:
            q = Q(**{f"{days}__gte": low})
            return q & Q(**{f"{days}__lte": high}) if high is not None else q
    raise KeyError(key)


# -- scope ---------------------------------------------------------------------------------

def performance_people(*, viewer, team: Team | None = None):
    """The people whose figures ``viewer`` sees (sellers; the viewer always, when in scope),
    within ``team``'s subtree when given."""
    policy = policy_for(viewer)
    people = policy.performance_people()
    if policy.sees_leaderboard:
        people = people.filter(Q(role__in=SELLING_ROLES) | Q(pk=viewer.pk))
    if team is not None:
        people = people.filter(team__path__startswith=team.path)
    return people.select_related("team").order_by("display_name", "username")


def performance_teams(*, viewer):
    """The teams the viewer may pick (their subtree; all for who sees everything)."""
    policy = policy_for(viewer)
    if not policy.sees_leaderboard:
        return Team.objects.none()
    return policy.visible_teams().order_by("path")


# -- performance -----------------------------------------------------------------------------

@dataclass
class PerformanceRow:
    kind: str                  # "person" or "team"
    pk: int
    name: str
    team: str
    counts: PerformanceCounts
    quota: Decimal | None = None
    rank: int = 0

    @property
    def quota_attainment(self) -> float | None:
        return ratio(self.counts.revenue, self.quota) if self.quota is not None else None


@dataclass
class Performance:
    start: dt.date
    end: dt.date
    people: list[PerformanceRow] = field(default_factory=list)
    teams: list[PerformanceRow] = field(default_factory=list)
    total: PerformanceCounts = field(default_factory=PerformanceCounts)
    has_quota: bool = False


def _bounds(start: dt.date, end: dt.date):
    tz = timezone.get_current_timezone()
    low = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return low, high


def _grouped(qs, key: str, **aggregates) -> dict[int, dict]:
    return {row[key]: row for row in qs.values(key).annotate(**aggregates).order_by()}


def _person_counts(ids: list[int], start: dt.date, end: dt.date) -> dict[int, PerformanceCounts]:
    from kehu.engagement.models import Interaction, PlannedVisit, VisitStatus
    from kehu.customers.models import Customer
    from kehu.insights.models import CustomerScore
    from kehu.insights.selectors import churn_threshold, latest_run
    from kehu.sales.models import Opportunity, Order, OrderStatus
    from kehu.surveys.models import Response, ResponseStatus

    low, high = _bounds(start, end)
    counts = {pk: PerformanceCounts() for pk in ids}

    def put(rows: dict, mapping: dict):
        for pk, row in rows.items():
            c = counts.get(pk)
            if c is None:
                continue
            for attr, key in mapping.items():
                setattr(c, attr, row[key] if row[key] is not None else getattr(c, attr))

    put(_grouped(PlannedVisit.objects.filter(salesperson_id__in=ids, planned_on__gte=start, planned_on__lte=end),
                 "salesperson_id", planned=Count("id"), done=Count("id", filter=Q(status=VisitStatus.DONE))),
        {"visits_planned": "planned", "visits_done": "done"})
    put(_grouped(Interaction.objects.filter(user_id__in=ids, occurred_at__gte=low, occurred_at__lt=high),
                 "user_id", n=Count("id")), {"interactions": "n"})
    opps = Opportunity.objects.filter(owner_id__in=ids)
    put(_grouped(opps.filter(created_at__gte=low, created_at__lt=high), "owner_id", n=Count("id")),
        {"opportunities_created": "n"})
    put(_grouped(opps.filter(lost_at__gte=low, lost_at__lt=high), "owner_id", n=Count("id")),
        {"opportunities_lost": "n"})
    won = opps.filter(won_at__gte=low, won_at__lt=high)
    put(_grouped(won, "owner_id", n=Count("id"), amount=Sum("amount")),
        {"opportunities_won": "n", "won_amount": "amount"})
    # Cycle length: days from opened to won, summed in the database as whole days per
    # opportunity (the date parts, so the sum is the same on SQLite and PostgreSQL).
    from django.db.models.functions import TruncDate

    put(_grouped(won.annotate(_days=DaysBetween(TruncDate("won_at"), TruncDate("created_at"))),
                 "owner_id", days=Sum("_days")), {"cycle_days_sum": "days"})

    # The order and customer figures, and the churn figures below, are the costly ones at a
    # million customers: kept per (people, period, latest run, versions) —
    # kehu/insights/figure_cache.py (the sales version follows orders, payments and customers;
    # the due date also reads the run's tier terms, hence the run; key-account plans: the TTL).
    from kehu.insights.figure_cache import cached

    run = latest_run()
    ids_key = hashlib.sha1(",".join(map(str, sorted(ids))).encode()).hexdigest()

    def order_figures():
        orders = Order.objects.filter(salesperson_id__in=ids).exclude(status=OrderStatus.CANCELLED)
        by_order = _grouped(orders.filter(order_date__gte=start, order_date__lte=end), "salesperson_id",
                            n=Count("id"), revenue=Sum("amount"))
        # Due in the period: days past due ≥ 0 at the end and ≤ 0 at the start.
        due = with_days_past_due(with_days_past_due(orders, start, name="_at_start"), end, name="_at_end")
        by_due = _grouped(due.filter(_at_start__lte=0, _at_end__gte=0), "salesperson_id",
                          due=Sum("amount"), paid=Sum("paid_amount"))
        owned = Customer.objects.filter(owner_id__in=ids, merged_into__isnull=True)
        return by_order, by_due, _grouped(owned, "owner_id", n=Count("id"))

    by_order, by_due, by_owner = cached("performance-orders", (ids_key, start, end, run and run.pk), order_figures)
    put(by_order, {"orders": "n", "revenue": "revenue"})
    put(by_due, {"due": "due", "collected": "paid"})
    put(by_owner, {"customers": "n"})
    latest = (Response.objects.filter(customer_id=OuterRef("customer_id"), status=ResponseStatus.COMPLETE,
                                      submitted_at__lt=high)
              .order_by("-submitted_at", "-id").values("pk")[:1])
    responses = Response.objects.filter(customer__owner_id__in=ids, status=ResponseStatus.COMPLETE,
                                        submitted_at__lt=high).filter(pk=Subquery(latest))
    put(_grouped(responses, "customer__owner_id", n=Count("index"), s=Sum("index"), nps_n=Count("nps"),
                 promoters=Count("id", filter=Q(nps__gte=9)), detractors=Count("id", filter=Q(nps__lte=6))),
        {"satisfaction_n": "n", "satisfaction_sum": "s", "nps_n": "nps_n", "promoters": "promoters",
         "detractors": "detractors"})
    if run is not None:
        threshold = churn_threshold(run)
        put(cached("performance-churn", (ids_key, run.pk, threshold), lambda: _grouped(
            CustomerScore.objects.filter(run=run, customer__owner_id__in=ids, churn_risk__isnull=False),
            "customer__owner_id", n=Count("id"), warn=Count("id", filter=Q(churn_risk__gte=threshold)))),
            {"scored": "n", "churn_warnings": "warn"})
    for c in counts.values():
        c.won_amount = Decimal(c.won_amount or 0)
        c.revenue = Decimal(c.revenue or 0)
        c.due = Decimal(c.due or 0)
        c.collected = Decimal(c.collected or 0)
        c.cycle_days_sum = float(c.cycle_days_sum or 0)
        c.satisfaction_sum = float(c.satisfaction_sum or 0)
    return counts


SORTS = {
    "revenue": lambda r: r.counts.revenue,
    "won": lambda r: r.counts.opportunities_won,
    "win_rate": lambda r: r.counts.win_rate,
    "visits": lambda r: r.counts.visits_done,
    "interactions": lambda r: r.counts.interactions,
    "collection": lambda r: r.counts.collection_rate,
    "satisfaction": lambda r: r.counts.satisfaction,
    "nps": lambda r: r.counts.nps,
    "churn": lambda r: r.counts.churn_rate,
    "name": lambda r: r.name,
}
DEFAULT_SORT = "-revenue"


def sort_rows(rows: list[PerformanceRow], sort: str) -> str:
    """Sort ``rows`` in place by ``sort`` (a key of :data:`SORTS`, ``-`` for descending;
    rows without a figure last); returns the sort used."""
    key = sort.lstrip("-")
    if key not in SORTS:
        sort, key = DEFAULT_SORT, DEFAULT_SORT.lstrip("-")
    desc = sort.startswith("-")
    get = SORTS[key]
    present = [r for r in rows if get(r) is not None]
    missing = [r for r in rows if get(r) is None]
    present.sort(key=lambda r: (get(r), -r.pk if desc else r.pk), reverse=desc)
    rows[:] = present + missing
    return sort


def performance(*, viewer, start: dt.date, end: dt.date, team: Team | None = None,
                sort: str = DEFAULT_SORT) -> Performance:
    """The figures of the people ``viewer`` may see (and of their teams), for ``[start, end]``.
    People are ranked by revenue (``rank``), whatever the sort."""
    people = list(performance_people(viewer=viewer, team=team))
    counts = _person_counts([p.pk for p in people], start, end)
    result = Performance(start=start, end=end)
    from kehu.sales.forecast import quotas_for

    user_quotas, _teams = quotas_for(users=people, start=start, end=end)
    for p in people:
        row = PerformanceRow("person", p.pk, p.display_name or p.username, p.team.name if p.team else "",
                             counts[p.pk])
        row.quota = user_quotas[p.pk]
        result.people.append(row)
        result.total.add(counts[p.pk])
    ranked = sorted(result.people, key=lambda r: (-r.counts.revenue, r.pk))
    for i, row in enumerate(ranked, 1):
        row.rank = i
    if policy_for(viewer).sees_leaderboard:
        teams = list(performance_teams(viewer=viewer))
        if team is not None:
            teams = [t for t in teams if t.path.startswith(team.path)]
        _users, team_quotas = quotas_for(teams=teams, start=start, end=end)
        for t in teams:
            members = [p for p in people if p.team is not None and p.team.path.startswith(t.path)]
            if not members:
                continue
            c = PerformanceCounts()
            for m in members:
                c.add(counts[m.pk])
            row = PerformanceRow("team", t.pk, t.name, t.name, c)
            row.quota = team_quotas[t.pk]
            result.teams.append(row)
    result.has_quota = any(r.quota is not None for r in result.people + result.teams)
    sort_rows(result.people, sort)
    return result


# -- receivables ageing ------------------------------------------------------------------------

def receivable_orders(*, viewer, as_of: dt.date | None = None, salesperson: User | None = None,
                      team: Team | None = None, customer_id: int | None = None):
    """The orders with money outstanding on ``as_of`` (today by default) of the customers the
    viewer may see, annotated with ``owed`` (the amount outstanding) and ``days_past_due`` — one query."""
    from kehu.sales.models import Order, OrderStatus, Payment

    today = timezone.localdate()
    as_of = as_of or today
    qs = policy_for(viewer).visible(Order.objects.all(), prefix="customer__").exclude(
        status=OrderStatus.CANCELLED).filter(order_date__lte=as_of)
    if salesperson is not None:
        qs = qs.filter(salesperson=salesperson)
    if team is not None:
        qs = qs.filter(salesperson__team__path__startswith=team.path)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    # Paid by then: what is paid now less the payments received after ``as_of`` (so that
    # an order whose paid amount came in without payment rows, by an import, still counts).
    paid = F("paid_amount")
    if as_of < today:
        later = Coalesce(Subquery(Payment.objects.filter(order_id=OuterRef("pk"), received_on__gt=as_of)
                                  .values("order_id").annotate(s=Sum("amount")).values("s")[:1],
                                  output_field=MONEY_FIELD), Value(Decimal("0")), output_field=MONEY_FIELD)
        paid = ExpressionWrapper(F("paid_amount") - later, output_field=MONEY_FIELD)
    qs = qs.annotate(owed=ExpressionWrapper(F("amount") - paid, output_field=MONEY_FIELD)).filter(
        owed__gt=0)
    return with_days_past_due(qs, as_of)


def _bucket_sums() -> dict:
    sums = {key: Coalesce(Sum("owed", filter=_bucket_q(key)), Value(Decimal("0")),
                          output_field=MONEY_FIELD) for key in BUCKET_KEYS}
    sums["total"] = Coalesce(Sum("owed"), Value(Decimal("0")), output_field=MONEY_FIELD)
    sums["orders"] = Count("id")
    return sums


def _overdue_expr():
    return F("d0_30") + F("d31_60") + F("d61_90") + F("d90_plus")


AGEING_SORTS = {"total": "total", "overdue": "overdue", "d90_plus": "d90_plus", "name": "customer__name"}


def ageing_by_customer(orders, *, sort: str = "-overdue"):
    """One row a customer: the outstanding amount in each bucket, the total, the overdue part
    (grouped in the database)."""
    key = sort.lstrip("-")
    field_name = AGEING_SORTS.get(key, "overdue")
    order = ("-" if sort.startswith("-") else "") + field_name
    return (orders.values("customer_id", "customer__name", "customer__ref").annotate(**_bucket_sums())
            .annotate(overdue=ExpressionWrapper(_overdue_expr(), output_field=MONEY_FIELD))
            .order_by(order, "customer_id"))


def ageing_by_salesperson(orders) -> list[dict]:
    rows = list(orders.values("salesperson_id").annotate(**_bucket_sums()).order_by("salesperson_id"))
    names = {u.pk: (u.display_name or u.username, u.team.name if u.team else "")
             for u in User.objects.filter(pk__in=[r["salesperson_id"] for r in rows if r["salesperson_id"]])
             .select_related("team")}
    for r in rows:
        r["name"], r["team"] = names.get(r["salesperson_id"], ("", ""))
        r["overdue"] = sum(r[k] for k in BUCKET_KEYS if k != NOT_DUE)
    return rows


def ageing_by_team(by_person: list[dict], teams) -> list[dict]:
    """Team rows: the sums of the people of each team's subtree (from :func:`ageing_by_salesperson`)."""
    person_team = dict(User.objects.filter(pk__in=[r["salesperson_id"] for r in by_person if r["salesperson_id"]])
                       .values_list("pk", "team__path"))
    rows = []
    for t in teams:
        members = [r for r in by_person if (person_team.get(r["salesperson_id"]) or "").startswith(t.path)]
        if not members:
            continue
        row = {"team_id": t.pk, "name": t.name}
        for k in (*BUCKET_KEYS, "total", "orders", "overdue"):
            row[k] = sum(m[k] for m in members)
        rows.append(row)
    return rows


def ageing_totals(orders) -> dict:
    totals = orders.aggregate(**_bucket_sums())
    totals["overdue"] = sum(totals[k] for k in BUCKET_KEYS if k != NOT_DUE)
    return totals


# -- labels and tables (pages, exports, the command) ----------------------------------------------

def bucket_labels() -> dict[str, str]:
    from django.utils.translation import gettext as _

    return {"not_due": _("Not yet due"), "d0_30": _("0–30 days"), "d31_60": _("31–60 days"),
            "d61_90": _("61–90 days"), "d90_plus": _("Over 90 days")}


def _pct(value: float | None):
    return None if value is None else round(value * 100, 1)


def performance_table(result: Performance) -> list[list]:
    """A header and one row a person, then one a team (the export and ``--json``'s rows)."""
    from django.utils.translation import gettext as _

    header = [_("Kind"), _("Rank"), _("Name"), _("Team"), _("Visits planned"), _("Visits done"),
              _("Interactions"), _("Opportunities created"), _("Won"), _("Lost"), _("Win rate (%)"),
              _("Average cycle (days)"), _("Orders"), _("Revenue")]
    if result.has_quota:
        header += [_("Quota"), _("Quota attained (%)")]
    header += [_("Amount due"), _("Collected"), _("Collection rate (%)"), _("Customers"),
               _("Satisfaction (0–100)"), _("NPS"), _("Churn warnings"), _("Churn rate (%)")]
    rows = [header]
    for row in (*result.people, *result.teams):
        c = row.counts
        line = [_("Person") if row.kind == "person" else _("Team"), row.rank or "", row.name, row.team,
                c.visits_planned, c.visits_done, c.interactions, c.opportunities_created, c.opportunities_won,
                c.opportunities_lost, _pct(c.win_rate), None if c.cycle_days is None else round(c.cycle_days, 1),
                c.orders, c.revenue]
        if result.has_quota:
            line += [row.quota, _pct(row.quota_attainment)]
        line += [c.due, c.collected, _pct(c.collection_rate), c.customers,
                 None if c.satisfaction is None else round(c.satisfaction, 1),
                 None if c.nps is None else round(c.nps, 1), c.churn_warnings, _pct(c.churn_rate)]
        rows.append(line)
    return rows


def receivables_table(by_customer) -> list[list]:
    """A header and one row a customer (the export)."""
    from django.utils.translation import gettext as _

    labels = bucket_labels()
    rows = [[_("Customer number"), _("Customer"), _("Orders"), *(labels[k] for k in BUCKET_KEYS), _("Overdue"),
             _("Total outstanding")]]
    for r in by_customer:
        rows.append([r["customer__ref"], r["customer__name"], r["orders"], *(r[k] for k in BUCKET_KEYS),
                     r["overdue"], r["total"]])
    return rows
