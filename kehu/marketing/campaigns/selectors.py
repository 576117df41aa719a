"""Reads of campaigns: the list and one campaign (every signed-in user reads them), the
audience, the members a viewer may see (the one policy), the message counts, and the
results — reach, clicks, redemptions, responders, revenue, cost, ROI and the lift over
the control group with its confidence intervals (:func:`kehu.analytics.lift.campaign_lift`),
overall, by value tier and by variant.

Attribution (:func:`outcomes`): the window runs from the day the campaign was sent for
``attribution_days`` days (both ends included). A member responded when, in the window,
they clicked their tracked link, redeemed the campaign's coupon or placed an order that
counts (not cancelled — as everywhere revenue is counted); the revenue is the amount of
those orders. The control group cannot click or redeem (it was sent nothing): its
responders are its buyers, which is what the treated would have done without the
campaign.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.db.models import Count, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.analytics import lift as L
from kehu.customers.models import Customer
from kehu.marketing.outreach.models import HoldReason, OutboundMessage, SourceKind, Status
from kehu.org.policies import policy_for

from .models import AudienceKind, Campaign, CampaignKind, CampaignStatus, Member

ZERO = Decimal(0)
NO_TIER = "none"
STATUSES = ("", CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.SENDING, CampaignStatus.SENT,
            CampaignStatus.FINISHED, CampaignStatus.CANCELLED)


# -- campaigns -------------------------------------------------------------------------------------

def campaign_list(*, viewer, status: str = "") -> QuerySet[Campaign]:
    """Every campaign (the figures are the company's; members stay behind the policy)."""
    qs = Campaign.objects.select_related("offer", "segment", "created_by")
    if status:
        qs = qs.filter(status=status)
    return qs


def campaign_get(*, viewer, pk) -> Campaign:
    try:
        return campaign_list(viewer=viewer).get(pk=int(pk))
    except (Campaign.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def campaign_by_code(code: str) -> Campaign | None:
    return Campaign.objects.filter(code=code).first()


def member_list(*, viewer, campaign: Campaign, group: str = "") -> QuerySet[Member]:
    """The members whose customers ``viewer`` may see."""
    qs = policy_for(viewer).visible(Member.objects.filter(campaign=campaign), prefix="customer__")
    if group == "treated":
        qs = qs.filter(control=False)
    elif group == "control":
        qs = qs.filter(control=True)
    return qs.select_related("customer", "variant", "coupon")


def customer_campaigns(*, viewer, customer: Customer, limit: int = 5, seen: bool = False) -> list[Member]:
    """The customer's latest campaigns (the 360 page), one query (``seen``: the page has asked
    the policy already)."""
    if not seen and not policy_for(viewer).can_view(customer):
        return []
    return list(Member.objects.filter(customer=customer).select_related("campaign", "variant")
                .order_by("-campaign_id")[:limit])


# -- the audience ----------------------------------------------------------------------------------

def audience_queryset(campaign: Campaign):
    """The customer ids of a segment or rule audience, within the creator's visibility."""
    from kehu.insights.models import Segment, SegmentKind
    from kehu.insights.segments import segment_members

    viewer = campaign.created_by
    if campaign.audience_kind == AudienceKind.SEGMENT:
        if campaign.segment is None:
            return Customer.objects.none()
        return segment_members(segment=campaign.segment, viewer=viewer)
    segment = Segment(name=campaign.name, kind=SegmentKind.RULE, rule=campaign.rule or {})
    return segment_members(segment=segment, viewer=viewer)


def gain_audience(campaign: Campaign) -> np.ndarray:
    """The top ``gain_top`` customers the creator sees by expected gain if kept (the retention
    targeting page's ranking: predicted lifetime value × churn risk × uplift), ids ascending."""
    from kehu.marketing.targeting.selectors import targeting

    if not campaign.gain_top or campaign.created_by is None:
        return np.zeros(0, np.int64)
    t = targeting(viewer=campaign.created_by)
    if t.curve is None:
        return np.zeros(0, np.int64)
    return np.sort(t.ids[t.curve.order[:campaign.gain_top]]).astype(np.int64)


def audience_arrays(campaign: Campaign) -> tuple[np.ndarray, np.ndarray]:
    """``(customer ids, value tiers)`` of the audience, ids ascending; the tier is that of the
    latest finished customer value analysis (``none`` for a customer it did not score)."""
    from kehu.insights.models import CustomerScore
    from kehu.insights.selectors import latest_run

    if campaign.audience_kind == AudienceKind.WINBACK:
        from kehu.marketing.winback.selectors import winback_targets

        targets = winback_targets(viewer=campaign.created_by, limit=campaign.winback_top,
                                  min_value=campaign.winback_min_value)
        ids = np.array(sorted({t.customer_id for t in targets}), np.int64)
        qs = None
    elif campaign.audience_kind == AudienceKind.GAIN:
        ids = gain_audience(campaign)
        qs = None
    else:
        qs = audience_queryset(campaign).order_by().values("pk")
        ids = np.fromiter(audience_queryset(campaign).order_by("pk").values_list("pk", flat=True), np.int64)
    tiers = {}
    run = latest_run()
    if run is not None and ids.size:
        scores = CustomerScore.objects.filter(run=run).exclude(tier="")
        if qs is not None:
            tiers = dict(scores.filter(customer_id__in=qs).values_list("customer_id", "tier"))
        else:
            listed = ids.tolist()
            for i in range(0, len(listed), 5000):
                tiers.update(scores.filter(customer_id__in=listed[i:i + 5000]).values_list("customer_id", "tier"))
    strata = np.array([tiers.get(i, NO_TIER) for i in ids.tolist()], dtype=object)
    return ids, strata


def counts_of(strata, mask, *, offer: bool) -> dict:
    by = {}
    for tier in sorted(set(np.asarray(strata).tolist())):
        sel = np.asarray(strata) == tier
        by[tier] = {"audience": int(sel.sum()), "control": int((sel & mask).sum())}
    n, k = int(np.asarray(mask).size), int(np.asarray(mask).sum())
    return {"audience": n, "control": k, "treated": n - k, "coupons": (n - k) if offer else 0, "by_tier": by}


def audience_counts(campaign: Campaign) -> dict:
    """The selected audience's counts, from the members (one grouped query)."""
    by: dict[str, dict] = {}
    for tier, control, n in (Member.objects.filter(campaign=campaign).values_list("stratum", "control")
                             .annotate(n=Count("id")).order_by()):
        row = by.setdefault(tier, {"audience": 0, "control": 0})
        row["audience"] += n
        if control:
            row["control"] += n
    n = sum(r["audience"] for r in by.values())
    k = sum(r["control"] for r in by.values())
    return {"audience": n, "control": k, "treated": n - k, "coupons": (n - k) if campaign.offer_id else 0,
            "by_tier": dict(sorted(by.items()))}


def audience_preview(*, campaign: Campaign) -> dict:
    """Before the send: the counts the send would make (nothing written); after: the real ones."""
    if campaign.audience_at is not None:
        return audience_counts(campaign)
    from .services import _draw

    def draw() -> dict:
        _ids, strata, mask, _v = _draw(campaign)
        return counts_of(strata, mask, offer=campaign.offer_id is not None)

    if campaign.audience_kind != AudienceKind.GAIN:
        return draw()
    # The expected-gain ranking reads every score the creator sees (seconds at a million): the preview is
    # kept for ten minutes per campaign version and analysis (the uplift scales every gain alike, so it
    # does not change the order).
    from django.core.cache import cache
    from kehu.insights.selectors import latest_run

    run = latest_run()
    key = f"campaign-preview:{campaign.pk}:{campaign.updated_at.timestamp()}:{run.pk if run else 0}"
    counts = cache.get(key)
    if counts is None:
        counts = draw()
        cache.set(key, counts, 600)
    return counts


# -- the messages ----------------------------------------------------------------------------------

def message_counts(campaign: Campaign) -> dict:
    """Messages of the campaign by status, and those held back by reason (one grouped query)."""
    statuses = {s: 0 for s in Status.values}
    held: dict[str, int] = {}
    for status, reason, n in (OutboundMessage.objects.filter(source_kind=SourceKind.CAMPAIGN, source_id=campaign.pk)
                              .values_list("status", "reason").annotate(n=Count("id")).order_by()):
        statuses[status] = statuses.get(status, 0) + n
        if status == Status.HELD:
            held[reason] = held.get(reason, 0) + n
    return {"statuses": statuses, "held": held, "total": sum(statuses.values())}


def held_rows(counts: dict) -> list[tuple[str, str, int]]:
    labels = dict(HoldReason.choices)
    return [(r, str(labels.get(r, r)), n) for r, n in sorted(counts["held"].items(), key=lambda x: -x[1])]


# -- attribution -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    clicked: bool
    redeemed: bool
    ordered: bool
    revenue: Decimal


def window(campaign: Campaign) -> tuple[dt.date, dt.date] | None:
    """The attribution window's first and last day (the send's day in the company's zone), or None
    before the send."""
    sent = campaign.sent_at or (campaign.started_at if campaign.status == CampaignStatus.SENDING else None)
    if sent is None:
        return None
    start = timezone.localdate(sent)
    return start, start + dt.timedelta(days=campaign.attribution_days)


def outcomes(campaign: Campaign) -> dict[int, Outcome]:
    """Customer id → what the member did in the window, for the members who did anything (three
    grouped queries: orders, redemptions, clicks)."""
    from kehu.marketing.coupons.models import CouponSource, Redemption
    from kehu.sales.models import Order

    span = window(campaign)
    if span is None:
        return {}
    start, end = span
    revenue = dict(Order.objects.filter(customer__campaign_members__campaign=campaign, order_date__gte=start,
                                        order_date__lte=end).exclude(status="cancelled")
                   .values("customer_id").annotate(s=Sum("amount")).values_list("customer_id", "s").order_by())
    t0 = dt.datetime.combine(start, dt.time.min, tzinfo=timezone.get_current_timezone())
    t1 = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone())
    redeemed = set(Redemption.objects.filter(coupon__source=CouponSource.CAMPAIGN, coupon__source_id=campaign.pk,
                                             redeemed_at__gte=t0, redeemed_at__lt=t1)
                   .values_list("coupon__customer_id", flat=True))
    clicked = set(Member.objects.filter(campaign=campaign, clicked_at__gte=t0, clicked_at__lt=t1)
                  .values_list("customer_id", flat=True))
    out = {}
    for cid in set(revenue) | redeemed | clicked:
        out[cid] = Outcome(cid in clicked, cid in redeemed, cid in revenue, revenue.get(cid) or ZERO)
    return out


def _nan(x) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def results(*, campaign: Campaign, level: float = 0.95) -> dict:
    """The campaign's results (module docstring). Lift needs a control group: without one
    (share 0) the lift figures are absent and say why."""
    rows = list(Member.objects.filter(campaign=campaign).values_list("customer_id", "control", "stratum",
                                                                     "variant_id", "message_id").order_by("id"))
    out_by = outcomes(campaign)
    n = len(rows)
    ids = np.fromiter((r[0] for r in rows), np.int64, n)
    control = np.fromiter((r[1] for r in rows), bool, n)
    strata = np.array([r[2] or NO_TIER for r in rows], dtype=object)
    variant = np.fromiter((r[3] or 0 for r in rows), np.int64, n)
    responded = np.fromiter((cid in out_by for cid in ids.tolist()), bool, n)
    revenue = np.fromiter((float(out_by[cid].revenue) if cid in out_by else 0.0 for cid in ids.tolist()), float, n)
    counts = message_counts(campaign)
    sent = counts["statuses"].get(Status.SENT, 0)
    treated = ~control
    clicks = sum(1 for o in out_by.values() if o.clicked)
    redemptions = sum(1 for o in out_by.values() if o.redeemed)
    costs = campaign.costs.aggregate(planned=Sum("planned"), actual=Sum("actual"))
    message_cost = (campaign.cost_per_message * sent).quantize(Decimal("0.01"))
    cost = (costs["actual"] or ZERO) + message_cost
    revenue_treated = Decimal(str(round(float(revenue[treated].sum()), 2)))
    res = {
        "audience": n, "treated": int(treated.sum()), "control": int(control.sum()),
        "messages": counts, "held": held_rows(counts), "reach": sent,
        "clicks": clicks, "redemptions": redemptions,
        "responders_treated": int((responded & treated).sum()), "responders_control": int((responded & control).sum()),
        "revenue": revenue_treated, "revenue_control": Decimal(str(round(float(revenue[control].sum()), 2))),
        "cost": cost, "cost_planned": (costs["planned"] or ZERO) + message_cost, "cost_actual_lines": costs["actual"]
        or ZERO, "message_cost": message_cost, "budget": campaign.budget, "window": window(campaign),
        "lift": None, "by_tier": [], "variants": [], "variant_difference": None, "roi": None, "roi_low": None,
        "roi_high": None, "incremental_revenue": None, "level": level,
    }
    res["rate_treated"] = res["responders_treated"] / res["treated"] if res["treated"] else None
    res["rate_control"] = res["responders_control"] / res["control"] if res["control"] else None
    if n and control.any() and treated.any():
        lift = L.campaign_lift(control, responded, revenue, strata=strata, level=level)
        res["lift"] = lift
        pooled = lift.pooled
        res["by_tier"] = [lift.strata[k] for k in lift.strata]
        rv = pooled.revenue
        if rv is not None and rv.estimable:
            res["incremental_revenue"] = rv.incremental_revenue
            if cost > 0:
                c = float(cost)
                res["roi"] = (rv.incremental_revenue - c) / c
                res["roi_low"] = (rv.incremental_revenue_low - c) / c
                res["roi_high"] = (rv.incremental_revenue_high - c) / c
    # A/B: each variant's response rate among the treated, with Wilson intervals
    names = dict(campaign.variants.values_list("id", "label"))
    for vid, label in sorted(names.items(), key=lambda x: x[1]):
        sel = treated & (variant == vid)
        nv, xv = int(sel.sum()), int((sel & responded).sum())
        low, high = L.wilson_interval(xv, nv, level) if nv else (None, None)
        res["variants"].append({"id": vid, "label": label, "n": nv, "responders": xv,
                                "rate": xv / nv if nv else None, "low": low, "high": high,
                                "revenue": float(revenue[sel].sum())})
    if len(res["variants"]) >= 2:
        a, b = res["variants"][0], res["variants"][1]
        if a["n"] and b["n"]:
            d = L.response_lift(a["responders"], a["n"], b["responders"], b["n"], level)
            res["variant_difference"] = {"a": a["label"], "b": b["label"], "difference": d.difference,
                                         "low": d.ci_low, "high": d.ci_high, "p_value": d.p_value,
                                         "significant": d.significant}
    return res


def retention_outcomes() -> list[tuple[int, int, int, int]]:
    """For each finished retention or win-back campaign with a control group:
    ``(churned_treated, n_treated, churned_control, n_control)``, where a member churned when
    they placed no order that counts within the attribution window after the send — the
    figures :func:`kehu.analytics.targeting.measured_uplift` takes, one per campaign."""
    from kehu.sales.models import Order

    out = []
    for c in Campaign.objects.filter(status=CampaignStatus.FINISHED, sent_at__isnull=False,
                                     kind__in=[CampaignKind.RETENTION, CampaignKind.WINBACK]).order_by("id"):
        start, end = window(c)
        groups = dict(Member.objects.filter(campaign=c).values_list("control").annotate(n=Count("id")).order_by())
        if not groups.get(True) or not groups.get(False):
            continue
        bought = dict(Member.objects.filter(campaign=c).filter(
            customer_id__in=Order.objects.filter(order_date__gte=start, order_date__lte=end)
            .exclude(status="cancelled").values("customer_id"))
            .values_list("control").annotate(n=Count("id")).order_by())
        nt, nc = groups[False], groups[True]
        out.append((nt - bought.get(False, 0), nt, nc - bought.get(True, 0), nc))
    return out


def winback_campaign_for(*, customer_id: int, day: dt.date) -> int | None:
    """The win-back campaign that reached the customer (a treated member sent a message) with
    ``day`` in its attribution window, latest first; None when there is none."""
    for cid, sent_at, days in (Member.objects.filter(customer_id=customer_id, control=False,
                                                     message_id__isnull=False, campaign__kind=CampaignKind.WINBACK,
                                                     campaign__sent_at__isnull=False)
                               .order_by("-campaign__sent_at")
                               .values_list("campaign_id", "campaign__sent_at", "campaign__attribution_days")[:20]):
        start = timezone.localdate(sent_at)
        if start <= day <= start + dt.timedelta(days=days):
            return cid
    return None


def in_words(res: dict) -> dict:
    """The lift's intervals as sentences (the results page and the command)."""
    lift = res.get("lift")
    pct = int(round(res["level"] * 100))
    if lift is None:
        return {"response": _("No control group: the campaign's own effect cannot be measured."), "revenue": ""}
    r, y = lift.pooled.response, lift.pooled.revenue
    words = {}
    if r.estimable:
        words["response"] = _(
            "The campaign raised the response rate by %(diff).1f points (%(pct)d%% confidence interval %(low).1f to "
            "%(high).1f points) over the control group.") % {
            "diff": r.difference * 100, "low": r.ci_low * 100, "high": r.ci_high * 100, "pct": pct}
        if not r.significant:
            words["response"] += " " + _("The interval includes zero: the difference may be chance.")
    else:
        words["response"] = _("The response lift cannot be estimated yet (%(reason)s).") % {"reason": r.reason}
    if y is not None and y.estimable:
        words["revenue"] = _(
            "Incremental revenue: %(inc)s yuan (%(pct)d%% confidence interval %(low)s to %(high)s yuan).") % {
            "inc": f"{y.incremental_revenue:,.2f}", "low": f"{y.incremental_revenue_low:,.2f}",
            "high": f"{y.incremental_revenue_high:,.2f}", "pct": pct}
    else:
        words["revenue"] = _("The incremental revenue cannot be estimated yet.")
    return words


def link_target(token: str) -> str | None:
    """The target of a tracked link without recording a click (HEAD requests, link previews)."""
    row = (Member.objects.filter(token=token, control=False, message_id__isnull=False)
           .values_list("campaign__target_url", flat=True).first())
    return row or None
