"""Writes of campaigns: create and change them, their variants and cost lines; select the
audience and split off the control group; send through the one gate in batches; record
clicks; cancel and finish.

Sending (``campaign_send``) never sends from the request: it selects the audience if not
yet, marks the campaign scheduled and hands it to the worker (:mod:`.tasks`), which runs
:func:`campaign_run` — coupons of the offer for the treated members first
(:func:`kehu.marketing.coupons.services.coupon_issue`, source ``campaign``), then batches of
:data:`BATCH` members through :func:`kehu.marketing.outreach.services.send_many` (queued,
``deliver=False``) and the worker's delivery of the queue. Each batch asks the gate anew,
so an unsubscribe between two batches holds the next one back. A run that stops (a
killed worker, an error) leaves the campaign scheduled with its error; running it again
resumes: a member whose message exists (found by the message log's ``source``) is never
sent a second one. The control group is sent nothing, ever.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.analytics.control_groups import assign_control
from kehu.audit.services import audit_record, diff, snapshot
from kehu.customers.models import Customer
from kehu.marketing.outreach.models import MessageTemplate, OutboundMessage, SourceKind
from kehu.marketing.permissions import may_manage, require_marketing  # noqa: F401 (may_manage: the views)
from kehu.runtime.liveness import INTERRUPTED, Heartbeat, claim, reap, report_progress

from .models import (
    EDITABLE, AudienceKind, Campaign, CampaignKind, CampaignStatus, Click, CostLine, Member, Variant,
)

log = logging.getLogger(__name__)

BATCH = 2000  # members a batch of the send (the gate's own batch size)
INSERT_BATCH = 20_000  # member rows an INSERT statement
COUPON_BATCH = 50_000  # coupons a call of coupon_issue (below its ISSUE_MAX)
FIELDS = ("code", "name", "goal", "kind", "channel", "offer", "target_url", "starts_at", "ends_on",
          "attribution_days", "control_share", "budget", "cost_per_message", "audience_kind", "segment", "rule",
          "winback_min_value", "winback_top", "gain_top")
COST_FIELDS = ("category", "planned", "actual", "note")
STAGE_AUDIENCE = gettext_noop("Selecting the audience")
STAGE_COUPONS = gettext_noop("Issuing coupons")
STAGE_SENDING = gettext_noop("Sending")
STAGE_DONE = gettext_noop("Sent")
STAGE_PAUSED = gettext_noop("Paused")


def _require_manager(actor) -> None:
    require_marketing(actor, _("Only marketing and administrators may manage campaigns."), system_ok=True)


def _next_code(now: dt.datetime | None = None) -> str:
    year = timezone.localdate(now or timezone.now()).year
    n = Campaign.objects.filter(code__startswith=f"C{year}-").count() + 1
    while Campaign.objects.filter(code=f"C{year}-{n:03d}").exists():
        n += 1
    return f"C{year}-{n:03d}"


# -- create and change ---------------------------------------------------------------------

def _check(c: Campaign) -> None:
    errors: dict[str, list[str]] = {}
    if c.audience_kind == AudienceKind.SEGMENT and c.segment_id is None:
        errors["segment"] = [_("Choose the segment to target.")]
    if c.audience_kind == AudienceKind.RULE:
        from kehu.insights.segments import clean_rule

        try:
            c.rule = clean_rule("rule", c.rule or {})
        except ValidationError as exc:
            errors["rule"] = [" ".join(exc.messages)]
    if c.audience_kind != AudienceKind.RULE:
        c.rule = {}
    if c.audience_kind != AudienceKind.SEGMENT:
        c.segment = None
    if c.audience_kind != AudienceKind.WINBACK:
        c.winback_min_value = c.winback_top = None
    if c.audience_kind == AudienceKind.GAIN and not c.gain_top:
        errors["gain_top"] = [_("Say how many customers to contact: the top N by expected gain.")]
    if c.audience_kind != AudienceKind.GAIN:
        c.gain_top = None
    if c.ends_on and c.starts_at and c.ends_on < timezone.localdate(c.starts_at):
        errors["ends_on"] = [_("The campaign cannot end before it is sent.")]
    try:
        c.full_clean(exclude=["rule", "seed", *errors])
    except ValidationError as exc:
        for key, msgs in exc.message_dict.items():
            errors.setdefault(key, []).extend(msgs)
    if errors:
        raise ValidationError(errors)


def _clean_variants(campaign: Campaign, variants) -> list[dict]:
    out, labels = [], set()
    for i, v in enumerate(variants):
        tpl = v.get("template")
        if not isinstance(tpl, MessageTemplate):
            tpl = MessageTemplate.objects.filter(pk=tpl).first() if str(tpl or "").isdigit() else \
                MessageTemplate.objects.filter(code=tpl).first()
        label = (v.get("label") or chr(ord("A") + i)).strip()[:20]
        if tpl is None:
            raise ValidationError({"variants": [_("Variant %(label)s: choose a message template.") % {"label": label}]})
        if tpl.channel != campaign.channel:
            raise ValidationError({"variants": [_("Variant %(label)s: the template %(code)s is written for another "
                                                  "channel.") % {"label": label, "code": tpl.code}]})
        if label in labels:
            raise ValidationError({"variants": [_("Two variants have the label %(label)s.") % {"label": label}]})
        labels.add(label)
        try:
            share = int(v.get("share") or 1)
        except (TypeError, ValueError):
            share = 0
        if not 1 <= share <= 100:
            raise ValidationError({"variants": [_("A variant's share is a whole number from 1 to 100.")]})
        out.append({"label": label, "template": tpl, "share": share})
    return out


def _set_variants(campaign: Campaign, variants: list[dict]) -> None:
    Variant.objects.filter(campaign=campaign).delete()
    Variant.objects.bulk_create([Variant(campaign=campaign, **v) for v in variants])


def campaign_create(*, actor, data: dict[str, Any], variants=(), costs=()) -> Campaign:
    """A draft campaign with its message variants (``[{label, template, share}]``) and cost lines."""
    _require_manager(actor)
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in unknown})
    data = dict(data)
    if not (data.get("code") or "").strip():
        data["code"] = _next_code()
    c = Campaign(created_by=actor if getattr(actor, "pk", None) else None, seed=secrets.randbelow(2**31), **data)
    _check(c)
    clean = _clean_variants(c, variants)
    with transaction.atomic():
        c.save()
        _set_variants(c, clean)
        for line in costs:
            cost_add(actor=actor, campaign=c, data=line)
        audit_record(actor=actor, action="create", instance=c, changes=snapshot(c), summary=str(c))
    return c


def campaign_update(*, actor, campaign: Campaign, data: dict[str, Any], variants=None) -> Campaign:
    """Change a draft or scheduled campaign (and, given, replace its variants)."""
    _require_manager(actor)
    if campaign.status not in EDITABLE:
        raise ValidationError(_("A campaign that is sending, sent or cancelled cannot be changed."))
    if campaign.audience_at is not None:
        raise ValidationError(_("The audience is already selected: this campaign can no longer be changed."))
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in unknown})
    before = snapshot(campaign)
    for key, value in data.items():
        setattr(campaign, key, value)
    if not (campaign.code or "").strip():
        campaign.code = _next_code()
    _check(campaign)
    clean = _clean_variants(campaign, variants) if variants is not None else None
    if clean is None and "channel" in data:
        clean = _clean_variants(campaign, [{"label": v.label, "template": v.template, "share": v.share}
                                           for v in campaign.variants.select_related("template")])
    with transaction.atomic():
        campaign.save()
        if clean is not None:
            _set_variants(campaign, clean)
        changes = diff(before, snapshot(campaign))
        if changes or clean is not None:
            audit_record(actor=actor, action="update", instance=campaign, changes=changes, summary=str(campaign))
    return campaign


def campaign_delete(*, actor, campaign: Campaign) -> None:
    """Delete a draft that was never sent."""
    _require_manager(actor)
    if campaign.status != CampaignStatus.DRAFT or campaign.audience_at is not None:
        raise ValidationError(_("Only a draft that was never sent can be deleted; cancel the others."))
    with transaction.atomic():
        audit_record(actor=actor, action="delete", instance=campaign, summary=str(campaign))
        campaign.delete()


# -- cost lines ----------------------------------------------------------------------------

def _cost_check(line: CostLine) -> None:
    line.full_clean()


def cost_add(*, actor, campaign: Campaign, data: dict[str, Any]) -> CostLine:
    _require_manager(actor)
    unknown = set(data) - set(COST_FIELDS)
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in unknown})
    line = CostLine(campaign=campaign, **data)
    _cost_check(line)
    with transaction.atomic():
        line.save()
        audit_record(actor=actor, action="update", instance=campaign, changes={"cost_added": snapshot(line)},
                     summary=str(campaign))
    return line


def cost_update(*, actor, line: CostLine, data: dict[str, Any]) -> CostLine:
    _require_manager(actor)
    unknown = set(data) - set(COST_FIELDS)
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in unknown})
    before = snapshot(line)
    for key, value in data.items():
        setattr(line, key, value)
    _cost_check(line)
    with transaction.atomic():
        line.save()
        audit_record(actor=actor, action="update", instance=line.campaign,
                     changes={"cost": diff(before, snapshot(line))}, summary=str(line.campaign))
    return line


def cost_delete(*, actor, line: CostLine) -> None:
    _require_manager(actor)
    with transaction.atomic():
        audit_record(actor=actor, action="update", instance=line.campaign, changes={"cost_deleted": snapshot(line)},
                     summary=str(line.campaign))
        line.delete()


# -- the audience and the control group ----------------------------------------------------------

def _draw(campaign: Campaign):
    """The audience as arrays: customer ids, value tiers, the control mask, the variant of each."""
    from . import selectors

    ids, strata = selectors.audience_arrays(campaign)
    mask = assign_control(ids, strata, campaign.control_share, int(campaign.seed))
    variants = list(campaign.variants.order_by("label", "id").values_list("id", "share"))
    variant_of = np.zeros(ids.size, np.int64)
    treated = np.flatnonzero(~mask)
    if variants and treated.size:
        # the treated in a random order (seeded apart from the control draw), cut by the shares
        order = np.random.default_rng(int(campaign.seed) + 1).permutation(treated.size)
        shares = np.array([s for _v, s in variants], float)
        bounds = np.floor(np.cumsum(shares) / shares.sum() * treated.size + 0.5).astype(np.int64)
        vids = np.array([v for v, _s in variants], np.int64)
        which = np.searchsorted(bounds, np.arange(treated.size), side="right")
        variant_of[treated[order]] = vids[np.minimum(which, len(vids) - 1)]
    return ids, strata, mask, variant_of


def _insert_members(rows: list[tuple]) -> None:
    """Insert member rows (tuples in the order of ``cols``): COPY on PostgreSQL, else INSERTs."""
    table = Member._meta.db_table
    cols = ("campaign_id", "customer_id", "control", "variant_id", "stratum", "token", "responded", "revenue")
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.connection.cursor() as cur:
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(cols))
    with connection.cursor() as cur:
        for i in range(0, len(rows), INSERT_BATCH):
            cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows[i:i + INSERT_BATCH])


def audience_select(*, campaign: Campaign, now: dt.datetime | None = None) -> int:
    """Select the audience once, split the control group (recorded on each member) and the
    variants; returns the audience's size. A second call does nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        c = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if c.audience_at is not None:
            return c.members.count()
        if not c.variants.exists():
            raise ValidationError(_("Add at least one message variant before sending."))
        ids, strata, mask, variant_of = _draw(c)
        tokens = {secrets.token_urlsafe(12) for _i in range(ids.size)}
        while len(tokens) < ids.size:
            tokens.add(secrets.token_urlsafe(12))
        rows = list(zip([c.pk] * ids.size, ids.tolist(), mask.tolist(),
                        [v or None for v in variant_of.tolist()], strata.tolist(), tokens, [False] * ids.size,
                        [Decimal(0)] * ids.size))
        _insert_members(rows)
        Campaign.objects.filter(pk=c.pk).update(audience_at=now, updated_at=now)
        audit_record(actor=None, action="campaign.audience", instance=c,
                     changes={"audience": int(ids.size), "control": int(mask.sum()), "seed": int(c.seed)},
                     summary=str(c))
    campaign.audience_at = now
    return int(ids.size)


# -- sending -------------------------------------------------------------------------------------

def link_url(token: str) -> str:
    return f"{settings.KEHU_PUBLIC_URL.rstrip('/')}/c/{token}/"


def campaign_send(*, actor, campaign: Campaign, dry_run: bool = False, now: dt.datetime | None = None) -> dict:
    """Send the campaign (by the worker, at its send time) or, with ``dry_run``, count what would be
    sent and write nothing. Returns the counts: audience, control, treated, per value tier."""
    from . import selectors

    _require_manager(actor)
    now = now or timezone.now()
    if campaign.status in (CampaignStatus.SENT, CampaignStatus.FINISHED, CampaignStatus.CANCELLED):
        raise ValidationError(_("This campaign was already sent or cancelled."))
    if not campaign.variants.exists():
        raise ValidationError(_("Add at least one message variant before sending."))
    if dry_run:
        if campaign.audience_at is not None:
            return selectors.audience_counts(campaign)
        ids, strata, mask, _variants = _draw(campaign)
        return selectors.counts_of(strata, mask, offer=campaign.offer_id is not None)
    if campaign.status == CampaignStatus.SENDING:
        raise ValidationError(_("This campaign is being sent."))
    audience_select(campaign=campaign, now=now)
    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SCHEDULED, error="", updated_at=now)
        audit_record(actor=actor, action="campaign.send", instance=campaign,
                     changes={"starts_at": campaign.starts_at.isoformat() if campaign.starts_at else None},
                     summary=str(campaign))
    campaign.status, campaign.error = CampaignStatus.SCHEDULED, ""
    if campaign.starts_at is None or campaign.starts_at <= now:
        from .tasks import campaign_send_task

        transaction.on_commit(lambda: campaign_send_task(campaign.pk))
    return selectors.audience_counts(campaign)


def _coupon_context(coupon) -> dict:
    d = coupon.definition
    value = f"{d.value.normalize():f}%" if d.kind == "percentage" else f"¥{d.value.normalize():f}"
    return {"code": coupon.display_code, "value": value,
            "valid_until": coupon.valid_until.isoformat() if coupon.valid_until else ""}


def _issue_coupons(c: Campaign) -> None:
    """One coupon of the offer for each treated member without one (skipping who already holds the most)."""
    from kehu.marketing.coupons.models import Coupon, CouponSource
    from kehu.marketing.coupons.services import coupon_issue

    def link(cids) -> set[int]:
        found = dict(Coupon.objects.filter(source=CouponSource.CAMPAIGN, source_id=c.pk, customer_id__in=cids)
                     .values_list("customer_id", "id"))
        rows = list(Member.objects.filter(campaign=c, customer_id__in=list(found)).only("id", "customer_id"))
        for m in rows:
            m.coupon_id = found[m.customer_id]
        Member.objects.bulk_update(rows, ["coupon"], batch_size=1000)
        return set(found)

    last = 0
    while True:
        pairs = list(Member.objects.filter(campaign=c, control=False, coupon__isnull=True, message_id__isnull=True,
                                           id__gt=last).order_by("id").values_list("id", "customer_id")[:COUPON_BATCH])
        if not pairs:
            return
        last = pairs[-1][0]
        ids = [cid for _m, cid in pairs]
        linked: set[int] = set()
        for i in range(0, len(ids), 5000):
            linked |= link(ids[i:i + 5000])   # coupons issued by an earlier run that stopped
        todo = [cid for cid in ids if cid not in linked]
        if todo:
            coupon_issue(actor=None, definition=c.offer, customers=[Customer(pk=i) for i in todo],
                         source=CouponSource.CAMPAIGN, source_id=c.pk, skip_held=True)
            for i in range(0, len(todo), 5000):
                link(todo[i:i + 5000])


def _send_batch(c: Campaign, rows: list[tuple], *, templates: dict, now: dt.datetime) -> None:
    """Send one batch of treated members ``(member id, customer id, variant id, token, coupon id)``."""
    from kehu.marketing.coupons.models import Coupon
    from kehu.marketing.outreach import services as outreach

    cids = [r[1] for r in rows]
    source = dict(source_kind=SourceKind.CAMPAIGN, source_id=c.pk)
    done = set(OutboundMessage.objects.filter(customer_id__in=cids, **source).values_list("customer_id", flat=True))
    coupons = {cp.pk: cp for cp in Coupon.objects.filter(pk__in=[r[4] for r in rows if r[4]])
               .select_related("definition")}
    by_variant: dict[int, list[tuple]] = {}
    for r in rows:
        if r[1] not in done:   # resumed: never twice
            by_variant.setdefault(r[2], []).append(r)
    for vid, group in by_variant.items():
        per_customer = {}
        for _mid, cid, _vid, token, coupon_id in group:
            ctx = {"link": link_url(token) if c.target_url else ""}
            if coupon_id in coupons:
                ctx["coupon"] = _coupon_context(coupons[coupon_id])
            per_customer[cid] = ctx
        tpl = templates[vid]
        outreach.send_many(customers=[r[1] for r in group], channel=c.channel, purpose=tpl.purpose, template=tpl,
                           context={"campaign": {"name": c.name}}, per_customer=per_customer,
                           source=("campaign", c.pk), now=now, deliver=False)
    found = dict(OutboundMessage.objects.filter(customer_id__in=cids, **source).values_list("customer_id", "id"))
    members = [Member(pk=r[0], message_id=found.get(r[1])) for r in rows]
    Member.objects.bulk_update(members, ["message_id"], batch_size=1000)


def _deliver(channel: str) -> None:
    from kehu.marketing.outreach import gate
    from kehu.marketing.outreach import services as outreach

    if channel in gate.DELIVERED_HERE:
        while outreach.deliver_queued(channel=channel, limit=BATCH) == BATCH:
            pass


def campaign_run(pk: int, *, now: dt.datetime | None = None, max_batches: int | None = None) -> dict:
    """The worker's send of campaign ``pk`` (scheduled): coupons, then batches through the gate with
    progress. ``max_batches`` stops after that many batches, leaving it scheduled (paused) to resume.
    Returns the message counts by status."""
    from . import selectors

    if not claim(Campaign, pk, waiting=[CampaignStatus.SCHEDULED], status=CampaignStatus.SENDING,
                 stage=STAGE_COUPONS, error=""):
        return {}
    c = Campaign.objects.select_related("offer").get(pk=pk)
    try:
        with Heartbeat(Campaign, pk):
            if c.audience_at is None:
                audience_select(campaign=c, now=now)
            if c.offer_id:
                _issue_coupons(c)
            report_progress(Campaign, pk, 5, STAGE_SENDING)
            templates = {v.pk: v.template for v in c.variants.select_related("template")}
            todo = Member.objects.filter(campaign=c, control=False, message_id__isnull=True)
            total = Member.objects.filter(campaign=c, control=False).count() or 1
            left = todo.count()
            batches, last = 0, 0
            while True:
                if Campaign.objects.filter(pk=pk, status=CampaignStatus.CANCELLED).exists():
                    return selectors.message_counts(c)
                # keyset over the members' ids: each batch reads only its own rows
                rows = list(todo.filter(id__gt=last).order_by("id").values_list(
                    "id", "customer_id", "variant_id", "token", "coupon_id")[:BATCH])
                if not rows:
                    break
                last = rows[-1][0]
                _send_batch(c, rows, templates=templates, now=now or timezone.now())
                _deliver(c.channel)
                batches += 1
                left = max(left - len(rows), 0)
                report_progress(Campaign, pk, 5 + 95 * (total - left) / total, STAGE_SENDING)
                if max_batches is not None and batches >= max_batches and left:
                    Campaign.objects.filter(pk=pk, status=CampaignStatus.SENDING).update(
                        status=CampaignStatus.SCHEDULED, stage=STAGE_PAUSED, updated_at=timezone.now())
                    return selectors.message_counts(c)
        done_at = now or timezone.now()
        Campaign.objects.filter(pk=pk, status=CampaignStatus.SENDING).update(
            status=CampaignStatus.SENT, progress=100, stage=STAGE_DONE, sent_at=done_at, finished_at=timezone.now(),
            updated_at=timezone.now())
        audit_record(actor=None, action="campaign.sent", instance=c, summary=str(c))
        return selectors.message_counts(c)
    except Exception as exc:
        log.exception("campaign %s: the send stopped", pk)
        Campaign.objects.filter(pk=pk, status=CampaignStatus.SENDING).update(
            status=CampaignStatus.SCHEDULED, error=str(exc)[:2000] or exc.__class__.__name__,
            updated_at=timezone.now())
        raise


def reap_dead() -> list[int]:
    """Sends whose worker died: back to scheduled with the reason, to be resumed."""
    return reap(Campaign, running=[CampaignStatus.SENDING],
                failed={"status": CampaignStatus.SCHEDULED, "error": INTERRUPTED})


def run_due(*, now: dt.datetime | None = None) -> list[int]:
    """The worker's schedule: send the scheduled campaigns whose time has come (not those that failed:
    a person resumes those)."""
    from django.db.models import Q

    now = now or timezone.now()
    reap_dead()
    due = list(Campaign.objects.filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now),
                                       status=CampaignStatus.SCHEDULED, error="").values_list("pk", flat=True))
    for pk in due:
        try:
            campaign_run(pk)
        except Exception:  # noqa: BLE001 - recorded on the campaign; the next one still goes
            pass
    return due


def campaign_cancel(*, actor, campaign: Campaign) -> Campaign:
    """Stop a campaign before or while it is sent (the running batch ends first)."""
    _require_manager(actor)
    if campaign.status in (CampaignStatus.SENT, CampaignStatus.FINISHED, CampaignStatus.CANCELLED):
        raise ValidationError(_("A campaign already sent or cancelled cannot be cancelled."))
    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.CANCELLED, updated_at=timezone.now())
        audit_record(actor=actor, action="campaign.cancel", instance=campaign,
                     changes={"status": [campaign.status, CampaignStatus.CANCELLED]}, summary=str(campaign))
    campaign.status = CampaignStatus.CANCELLED
    return campaign


# -- responses -------------------------------------------------------------------------------------

def click_record(*, token: str, user_agent: str = "", now: dt.datetime | None = None) -> str | None:
    """A click on a tracked link: recorded once per member; returns the campaign's target URL
    (None for a link that is not ours, a control member's, or a campaign without a target)."""
    member = Member.objects.select_related("campaign").filter(token=token, control=False).first()
    if member is None or not member.campaign.target_url or member.message_id is None:
        return None
    now = now or timezone.now()
    with transaction.atomic():
        _click, created = Click.objects.get_or_create(member=member,
                                                      defaults={"clicked_at": now, "user_agent": user_agent[:200]})
        if created:
            Member.objects.filter(pk=member.pk, clicked_at__isnull=True).update(clicked_at=now)
    return member.campaign.target_url


def campaign_attribute(*, campaign: Campaign) -> int:
    """Store each member's response and revenue in the attribution window; returns the responders."""
    from . import selectors

    out = selectors.outcomes(campaign)
    with transaction.atomic():
        Member.objects.filter(campaign=campaign).update(responded=False, revenue=Decimal(0))
        rows = list(Member.objects.filter(campaign=campaign, customer_id__in=list(out)).only("id", "customer_id"))
        for m in rows:
            m.responded, m.revenue = True, out[m.customer_id].revenue
        Member.objects.bulk_update(rows, ["responded", "revenue"], batch_size=1000)
    return len(rows)


def campaign_finish(*, actor, campaign: Campaign, now: dt.datetime | None = None) -> Campaign:
    """Close a sent campaign: its responses and revenue are stored and its results stay as they are."""
    _require_manager(actor)
    if campaign.status != CampaignStatus.SENT:
        raise ValidationError(_("Only a sent campaign can be finished."))
    campaign_attribute(campaign=campaign)
    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.FINISHED, updated_at=timezone.now())
        audit_record(actor=actor, action="campaign.finish", instance=campaign, summary=str(campaign))
    campaign.status = CampaignStatus.FINISHED
    return campaign


def finish_due(*, now: dt.datetime | None = None) -> list[int]:
    """The daily job: finish the sent campaigns whose attribution window is over."""
    now = now or timezone.now()
    done = []
    for c in Campaign.objects.filter(status=CampaignStatus.SENT, sent_at__isnull=False):
        if c.sent_at + dt.timedelta(days=c.attribution_days) <= now:
            campaign_finish(actor=None, campaign=c, now=now)
            done.append(c.pk)
    return done


__all__ = ["CampaignKind", "campaign_create", "campaign_update", "campaign_send", "campaign_run", "campaign_cancel",
           "campaign_finish", "click_record", "cost_add", "cost_update", "cost_delete", "audience_select"]
