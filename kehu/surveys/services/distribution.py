"""Writes of the survey's distribution: waves (create, change, open, close),
the sample and its invitations, email invitations and reminders, and the
answers themselves (the answer page, phone interviews, the API, imports).

Who may do what:

* waves, sampling, invitations, sending — the survey designers
  (:func:`kehu.surveys.selectors.may_design_surveys`); the population is
  always within the acting user's visibility (``org/policies.py``);
* phone interviews — service agents, sales managers and administrators
  (:func:`may_enter_phone`), for customers they may see;
* the answer page — whoever holds the personal link's token.

Sampling is reproducible: the same population, design and seed give the
same sample (:func:`kehu.analytics.sampling.stratified_sample`); the seed is
recorded in ``Wave.sample_design``. No customer is invited again within the
survey's ``resurvey_days`` of an earlier invitation to any customer survey.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.analytics import sampling
from kehu.audit.services import audit_record
from kehu.customers.models import Contact, Customer, Region
from kehu.org.models import Role
from kehu.org.policies import policy_for
from kehu.surveys import answers as answers_mod
from kehu.surveys import selectors, texts
from kehu.surveys.models import (
    Answer, Invitation, InvitationChannel, InvitationStatus, Response, ResponseSource, ResponseStatus, Survey,
    SurveyKind, SurveyStatus, Wave, WaveStatus,
)
from kehu.surveys.scoring import response_figures
from kehu.surveys.signals import response_submitted

logger = logging.getLogger(__name__)

STRATA = ("", "region", "tier", "segment")
POPULATION_FILTERS = ("kind", "stage", "region", "owner_id", "team_id", "tag", "tier")
BATCH = 2000


# --------------------------------------------------------------------------
# Permissions
# --------------------------------------------------------------------------

def may_run_waves(user) -> bool:
    """Whether ``user`` may create waves, draw samples and send invitations."""
    return selectors.may_design_surveys(user)


def may_enter_phone(user) -> bool:
    """Call-centre entry: service agents, sales managers and administrators."""
    policy = policy_for(user)
    if not policy.active or policy.read_only:
        return False
    return policy.is_admin or policy.role in (Role.SERVICE_AGENT, Role.SALES_MANAGER)


def _require_runner(actor) -> None:
    if not may_run_waves(actor):
        raise PermissionDenied(_("Only administrators, marketing and head-office managers run survey waves."))


# --------------------------------------------------------------------------
# Waves
# --------------------------------------------------------------------------

WAVE_FIELDS = ("name", "opens_on", "closes_on", "reminder_after_days", "max_reminders", "population")


def clean_population(population: Mapping | None) -> dict:
    """``{"segment_id": 3}`` or ``{"filters": {...}}`` with only known filter keys."""
    population = dict(population or {})
    if population.get("segment_id"):
        try:
            return {"segment_id": int(population["segment_id"])}
        except (TypeError, ValueError):
            raise ValidationError({"population": [_("Choose a saved segment.")]}) from None
    filters = {}
    for key, value in (population.get("filters") or {}).items():
        if key not in POPULATION_FILTERS:
            raise ValidationError({"population": [_("Unknown filter %(name)s.") % {"name": key}]})
        if value in (None, ""):
            continue
        if key in ("owner_id", "team_id"):
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise ValidationError({"population": [_("Enter a whole number.")]}) from None
        filters[key] = value if key in ("owner_id", "team_id") else str(value)
    return {"filters": filters}


def _check_wave(wave: Wave) -> None:
    if wave.opens_on and wave.closes_on and wave.closes_on < wave.opens_on:
        raise ValidationError({"closes_on": [_("The wave cannot close before it opens.")]})
    wave.name = (wave.name or "").strip()
    if not wave.name:
        raise ValidationError({"name": [_("This field cannot be blank.")]})
    if Wave.objects.filter(survey=wave.survey, name=wave.name).exclude(pk=wave.pk).exists():
        raise ValidationError({"name": [_("This survey already has a wave named %(name)s.") % {"name": wave.name}]})
    if wave.max_reminders > 10:
        raise ValidationError({"max_reminders": [_("Send at most 10 reminders.")]})
    if wave.reminder_after_days < 1:
        raise ValidationError({"reminder_after_days": [_("Remind after one day at the earliest.")]})
    wave.full_clean(exclude=["survey", "created_by", "population", "sample_design"])


@transaction.atomic
def wave_create(*, actor, survey: Survey, name: str, opens_on: dt.date | None = None,
                closes_on: dt.date | None = None, population: Mapping | None = None,
                reminder_after_days: int = 7, max_reminders: int = 2) -> Wave:
    """A planned wave of ``survey``."""
    _require_runner(actor)
    if survey.status == SurveyStatus.ARCHIVED:
        raise ValidationError(_("The survey is archived: restore it to run a new wave."))
    wave = Wave(survey=survey, name=name, opens_on=opens_on, closes_on=closes_on,
                population=clean_population(population), reminder_after_days=reminder_after_days,
                max_reminders=max_reminders, created_by=actor)
    _check_wave(wave)
    wave.save()
    audit_record(actor=actor, action="survey.wave_create", instance=wave, summary=f"{survey.code}: {wave.name}")
    return wave


@transaction.atomic
def wave_update(*, actor, wave: Wave, data: Mapping[str, Any]) -> Wave:
    """Change the name, dates, reminders or population (the population only
    before the sample is drawn)."""
    _require_runner(actor)
    if wave.status == WaveStatus.CLOSED and set(data) - {"name", "closes_on"}:
        raise ValidationError(_("The wave is closed; reopen it to change it."))
    for key, value in data.items():
        if key not in WAVE_FIELDS:
            continue
        if key == "population":
            value = clean_population(value)
            if value != wave.population and wave_has_sample(wave):
                raise ValidationError({"population": [_("The sample is drawn: the population can no longer change.")]})
        setattr(wave, key, value)
    _check_wave(wave)
    wave.save()
    audit_record(actor=actor, action="survey.wave_update", instance=wave, summary=wave.name)
    return wave


@transaction.atomic
def wave_open(*, actor, wave: Wave) -> Wave:
    """Open the wave for answers (the survey must be in use)."""
    _require_runner(actor)
    if wave.survey.status != SurveyStatus.ACTIVE:
        raise ValidationError(_("Put the survey into use before opening a wave."))
    if wave.status == WaveStatus.OPEN:
        return wave
    wave.status = WaveStatus.OPEN
    if wave.opens_on is None or wave.opens_on > timezone.localdate():
        wave.opens_on = timezone.localdate()
    if wave.closes_on and wave.closes_on < timezone.localdate():
        wave.closes_on = None
    wave.save(update_fields=["status", "opens_on", "closes_on", "updated_at"])
    audit_record(actor=actor, action="survey.wave_open", instance=wave, summary=wave.name)
    return wave


@transaction.atomic
def wave_close(*, actor, wave: Wave) -> Wave:
    """Close the wave: its links then show that the survey is closed."""
    _require_runner(actor)
    if wave.status != WaveStatus.OPEN:
        raise ValidationError(_("Only an open wave can be closed."))
    wave.status = WaveStatus.CLOSED
    if wave.closes_on is None or wave.closes_on > timezone.localdate():
        wave.closes_on = timezone.localdate()
    if wave.opens_on and wave.closes_on < wave.opens_on:
        wave.opens_on = wave.closes_on
    wave.save(update_fields=["status", "opens_on", "closes_on", "updated_at"])
    audit_record(actor=actor, action="survey.wave_close", instance=wave, summary=wave.name)
    return wave


def wave_accepts_answers(wave: Wave, today: dt.date | None = None) -> bool:
    """Open, and within its dates."""
    today = today or timezone.localdate()
    if wave.status != WaveStatus.OPEN:
        return False
    if wave.opens_on and today < wave.opens_on:
        return False
    return not (wave.closes_on and today > wave.closes_on)


def wave_has_sample(wave: Wave) -> bool:
    return wave.invitations.exclude(channel__in=[InvitationChannel.PHONE, InvitationChannel.IMPORT]).exists()


# --------------------------------------------------------------------------
# Population and sample
# --------------------------------------------------------------------------

def _latest_run():
    from kehu.insights.selectors import latest_run

    return latest_run()


def population_queryset(*, population: Mapping, viewer) -> QuerySet:
    """The customers of a population that ``viewer`` may see (unordered)."""
    from kehu.customers.selectors import CustomerFilters, customer_list

    population = population or {}
    if population.get("segment_id"):
        from kehu.insights.models import Segment
        from kehu.insights.segments import segment_members

        segment = Segment.objects.filter(pk=population["segment_id"]).first()
        if segment is None:
            return Customer.objects.none()
        return segment_members(segment=segment, viewer=viewer)
    f = population.get("filters") or {}
    qs = customer_list(viewer=viewer, filters=CustomerFilters(
        kind=f.get("kind", ""), stage=f.get("stage", ""), region=f.get("region", ""),
        owner_id=f.get("owner_id"), tag=f.get("tag", "")))
    if f.get("team_id"):
        from kehu.insights.selectors import team_subtree_ids

        qs = qs.filter(team_id__in=team_subtree_ids(f["team_id"]))
    if f.get("tier"):
        from kehu.insights.models import CustomerScore

        run = _latest_run()
        if run is None:
            return qs.none()
        qs = qs.filter(pk__in=CustomerScore.objects.filter(run=run, tier=f["tier"]).values("customer_id"))
    return qs


def recently_surveyed(customer_ids_qs: QuerySet, *, days: int, wave: Wave | None = None) -> QuerySet:
    """Customer ids invited to any customer survey within the last ``days``
    (this wave's own invitations left out)."""
    since = timezone.now() - dt.timedelta(days=days)
    qs = Invitation.objects.filter(customer_id__in=customer_ids_qs, created_at__gte=since,
                                   wave__survey__kind=SurveyKind.CUSTOMER)
    if wave is not None:
        qs = qs.exclude(wave=wave)
    return qs.values("customer_id")


@dataclass
class SampleDesign:
    confidence: float = 0.95
    margin: float = 0.05
    proportion: float = 0.5
    size: int | None = None  # None: the calculator's size for the eligible population
    strata: str = ""
    strata_segments: list = field(default_factory=list)
    seed: int | None = None

    def clean(self) -> SampleDesign:
        errors: dict[str, list] = {}
        if not 0.5 <= self.confidence < 1:
            errors["confidence"] = [_("Choose a confidence level between 50% and 99.9%.")]
        if not 0 < self.margin < 0.5:
            errors["margin"] = [_("The margin of error must be between 0.1 and 49.9 points.")]
        if not 0 < self.proportion < 1:
            errors["proportion"] = [_("The expected proportion must be between 1% and 99%.")]
        if self.strata not in STRATA:
            errors["strata"] = [_("Stratify by region, value tier or segment, or not at all.")]
        if self.strata == "segment" and not self.strata_segments:
            errors["strata_segments"] = [_("Choose the segments that make the strata.")]
        if self.size is not None and self.size < 1:
            errors["size"] = [_("The sample needs at least one customer.")]
        if self.seed is not None and not 0 <= self.seed < 2**63:
            errors["seed"] = [_("The seed is a whole number from 0 to 2⁶³ − 1.")]
        if errors:
            raise ValidationError(errors)
        return self


@dataclass
class Sample:
    """A drawn sample, not yet stored."""

    design: SampleDesign
    seed: int
    population: int  # customers in the population the viewer sees
    eligible: int  # population less the excluded
    excluded_recent: int  # surveyed within resurvey_days
    excluded_invited: int  # already invited in this wave
    recommended: int  # the calculator's size for the eligible population
    size: int
    ids: list
    strata: list
    allocation: dict
    stratum_sizes: dict

    def as_design(self) -> dict:
        d = self.design
        return {"confidence": d.confidence, "margin": d.margin, "proportion": d.proportion,
                "population": self.eligible, "size": self.size, "recommended": self.recommended,
                "strata": d.strata, "strata_segments": d.strata_segments, "allocation": "proportional",
                "seed": self.seed, "strata_sizes": {str(k): v for k, v in self.allocation.items()},
                "population_sizes": {str(k): v for k, v in self.stratum_sizes.items()},
                "excluded_recent": self.excluded_recent, "excluded_invited": self.excluded_invited,
                "population_total": self.population}


def _strata_of(ids: list, design: SampleDesign, rows: dict, viewer) -> list:
    if design.strata == "region":
        return [rows[i] or "-" for i in ids]
    if design.strata == "tier":
        from kehu.insights.models import CustomerScore

        run = _latest_run()
        tiers = {}
        if run is not None:
            tiers = dict(CustomerScore.objects.filter(run=run, customer_id__in=ids).values_list("customer_id", "tier"))
        return [tiers.get(i) or "-" for i in ids]
    if design.strata == "segment":
        from kehu.insights.models import Segment
        from kehu.insights.segments import segment_members

        label: dict = {}
        for seg in Segment.objects.filter(pk__in=design.strata_segments).order_by("name"):
            for cid in segment_members(segment=seg, viewer=viewer).filter(pk__in=ids).values_list("pk", flat=True):
                label.setdefault(cid, seg.name)
        return [label.get(i, "-") for i in ids]
    return ["all"] * len(ids)


def sample_draw(*, wave: Wave, viewer, design: SampleDesign) -> Sample:
    """Draw the sample of ``wave`` by ``design`` from its population as
    ``viewer`` sees it, leaving out customers surveyed within the survey's
    ``resurvey_days`` and those this wave already invited. Writes nothing."""
    design.clean()
    population_qs = population_queryset(population=wave.population, viewer=viewer)
    base = population_qs.filter(merged_into__isnull=True)
    rows = dict(base.order_by("pk").values_list("pk", "region"))
    total = len(rows)
    ids_qs = base.values("pk")
    recent = set(recently_surveyed(ids_qs, days=wave.survey.resurvey_days, wave=wave).values_list(
        "customer_id", flat=True)) if wave.survey.resurvey_days else set()
    invited = set(wave.invitations.filter(customer_id__isnull=False).values_list("customer_id", flat=True))
    recent -= invited
    ids = [i for i in rows if i not in recent and i not in invited]
    eligible = len(ids)
    recommended = sampling.sample_size(design.confidence, design.margin, design.proportion,
                                       population=eligible) if eligible else 0
    size = min(design.size, eligible) if design.size is not None else recommended
    seed = design.seed if design.seed is not None else secrets.randbelow(2**63)
    strata = _strata_of(ids, design, rows, viewer)
    drawn = sampling.stratified_sample(ids, strata, size, seed=seed)
    return Sample(design=design, seed=int(drawn.seed), population=total, eligible=eligible,
                  excluded_recent=len([i for i in rows if i in recent]), excluded_invited=len(invited & set(rows)),
                  recommended=recommended, size=size, ids=list(drawn.ids), strata=list(drawn.strata),
                  allocation=drawn.allocation, stratum_sizes=drawn.population)


def new_token() -> str:
    """A personal link's token: 32 random bytes (256 bits), URL-safe."""
    return secrets.token_urlsafe(32)


def public_link(token: str) -> str:
    return f"{settings.KEHU_PUBLIC_URL}/s/{token}/"


def _emails_of(customer_ids: list) -> dict:
    """Customer id → the address to invite: the customer's own, else their first contact's."""
    out = dict(Customer.objects.filter(pk__in=customer_ids).exclude(email="").values_list("pk", "email"))
    missing = [i for i in customer_ids if i not in out]
    if missing:
        for cid, email in (Contact.objects.filter(customer_id__in=missing).exclude(email="")
                           .order_by("customer_id", "id").values_list("customer_id", "email")):
            out.setdefault(cid, email)
    return out


def invitations_create(*, actor, wave: Wave, design: SampleDesign,
                       progress: Callable[[int, int], None] | None = None) -> Sample:
    """Draw the sample and create one invitation per sampled customer (with
    their email when there is one), storing the design and its seed on the
    wave. The same design and seed redraw the same sample."""
    _require_runner(actor)
    if wave.status == WaveStatus.CLOSED:
        raise ValidationError(_("The wave is closed; reopen it to add invitations."))
    if wave.survey.kind == SurveyKind.PARTNER:
        raise ValidationError(_("A partner survey invites the partner users, not a sample of customers."))
    sample = sample_draw(wave=wave, viewer=actor, design=design)
    if not sample.ids:
        raise ValidationError(_("The sample is empty: no customer of the population can be invited."))
    regions = dict(Customer.objects.filter(pk__in=sample.ids).values_list("pk", "region")) \
        if len(sample.ids) <= 50_000 else None
    done = 0
    with transaction.atomic():
        for start in range(0, len(sample.ids), BATCH):
            chunk = sample.ids[start:start + BATCH]
            strata = sample.strata[start:start + BATCH]
            emails = _emails_of(chunk)
            if regions is None:
                chunk_regions = dict(Customer.objects.filter(pk__in=chunk).values_list("pk", "region"))
            else:
                chunk_regions = regions
            Invitation.objects.bulk_create([
                Invitation(wave=wave, customer_id=cid, token=new_token(), stratum=str(s)[:60],
                           email=emails.get(cid, ""),
                           channel=InvitationChannel.EMAIL if emails.get(cid) else InvitationChannel.LINK,
                           language="en" if chunk_regions.get(cid) == Region.OVERSEAS else "zh-hans")
                for cid, s in zip(chunk, strata)
            ], batch_size=BATCH)
            done += len(chunk)
            if progress is not None:
                progress(done, len(sample.ids))
        design_record = sample.as_design()
        design_record.update(drawn_at=timezone.now().isoformat(), drawn_by=getattr(actor, "username", ""))
        history = list((wave.sample_design or {}).get("draws", []))
        history.append({k: design_record[k] for k in ("size", "seed", "drawn_at", "drawn_by")})
        design_record["draws"] = history
        wave.sample_design = design_record
        wave.save(update_fields=["sample_design", "updated_at"])
        audit_record(actor=actor, action="survey.sample_draw", instance=wave,
                     summary=f"{wave.name}: {sample.size} (seed {sample.seed})")
    return sample


# --------------------------------------------------------------------------
# Email invitations and reminders
# --------------------------------------------------------------------------

def _other(language: str) -> str:
    return "en" if language == "zh-hans" else "zh-hans"


def invitation_message(invitation: Invitation, *, reminder: bool = False) -> EmailMessage:
    """The invitation (or reminder) email: the text in the invitation's
    language first, then in the other language."""
    survey = invitation.wave.survey
    parts, subject = [], ""
    customer_name = invitation.customer.name if invitation.customer_id else ""
    for language in (invitation.language, _other(invitation.language)):
        with translation.override(language):
            title = texts.pick(survey.title, language) or survey.code
            ctx = {"title": title, "intro": texts.pick(survey.intro, language), "link": public_link(invitation.token),
                   "customer": customer_name, "closes_on": invitation.wave.closes_on, "reminder": reminder}
            parts.append(render_to_string("surveys/email/invitation.txt", ctx).strip())
            if not subject:
                subject = (_("Reminder: %(title)s") if reminder else _("Your opinion counts: %(title)s")) % {
                    "title": title}
    return EmailMessage(subject=subject, body="\n\n----------\n\n".join(parts), to=[invitation.email])


def _send(invitations: list[Invitation], *, reminder: bool, now) -> dict:
    counts = {"sent": 0, "failed": 0}
    connection = get_connection()
    try:
        connection.open()
    except Exception:  # noqa: BLE001 - the mail server is down: every message fails below
        logger.warning("could not open the mail connection", exc_info=True)
    for inv in invitations:
        try:
            sent = connection.send_messages([invitation_message(inv, reminder=reminder)])
        except Exception:  # noqa: BLE001 - a refused address must not stop the others
            logger.warning("invitation %s could not be sent", inv.pk, exc_info=True)
            sent = 0
        if sent:
            counts["sent"] += 1
            if reminder:
                Invitation.objects.filter(pk=inv.pk).update(reminders_sent=inv.reminders_sent + 1,
                                                            last_reminded_at=now, updated_at=now)
            else:
                Invitation.objects.filter(pk=inv.pk, status=InvitationStatus.PENDING).update(
                    status=InvitationStatus.SENT, sent_at=now, updated_at=now)
        else:
            counts["failed"] += 1
            Invitation.objects.filter(pk=inv.pk).update(status=InvitationStatus.FAILED, updated_at=now)
    try:
        connection.close()
    except Exception:  # noqa: BLE001
        pass
    return counts


def invitations_send(*, actor, wave: Wave) -> dict:
    """Email every invitation of ``wave`` not sent yet that has an address,
    except to customers the consent gate holds back (:mod:`kehu.privacy.consent`:
    their invitations become "held back" with the reason, and are tried again
    by the next send). Returns ``{"sent": n, "failed": m, "without_email": k, "held": h}``."""
    _require_runner(actor)
    if not wave_accepts_answers(wave):
        raise ValidationError(_("Open the wave before sending invitations."))
    pending = wave.invitations.filter(status__in=[InvitationStatus.PENDING, InvitationStatus.HELD])
    without = pending.filter(email="").count()
    todo = list(pending.exclude(email="").select_related("wave__survey", "customer").order_by("id"))
    now = timezone.now()
    todo, held = _hold_back(todo, now=now, status=InvitationStatus.HELD)
    # Consent given since an earlier send: the invitation is pending again.
    Invitation.objects.filter(pk__in=[i.pk for i in todo if i.status == InvitationStatus.HELD]).update(
        status=InvitationStatus.PENDING, held_reason="", held_at=None, updated_at=now)
    counts = _send(todo, reminder=False, now=now)
    counts["without_email"] = without
    counts["held"] = held
    audit_record(actor=actor, action="survey.invitations_send", instance=wave,
                 summary=f"{wave.name}: {counts['sent']} sent, {counts['failed']} failed, {held} held back")
    return counts


def invitation_for_customer(*, wave: Wave, customer: Customer, contact: Contact | None = None,
                            email: str = "") -> Invitation:
    """One personal invitation of ``customer`` in ``wave``, made by Kehu itself
    (the return visit of a service case): no sample, no permission check; the
    caller has asked the consent gate. E-mailed with :func:`invitation_send`."""
    invitation = Invitation(wave=wave, customer=customer, contact=contact, token=new_token(), email=email,
                            channel=InvitationChannel.EMAIL if email else InvitationChannel.LINK, stratum="",
                            language="en" if customer.region == Region.OVERSEAS else "zh-hans")
    invitation.full_clean(exclude=["wave", "customer", "contact"], validate_unique=False, validate_constraints=False)
    invitation.save()
    return invitation


def invitation_send(invitation_id: int) -> dict:
    """E-mail one invitation not sent yet (after the transaction that made it
    commits): ``{"sent": 0|1, "failed": 0|1}``."""
    todo = list(Invitation.objects.filter(pk=invitation_id, status=InvitationStatus.PENDING).exclude(email="")
                .select_related("wave__survey", "customer"))
    return _send(todo, reminder=False, now=timezone.now())


def _hold_back(invitations: list[Invitation], *, now, status: str | None = None) -> tuple[list[Invitation], int]:
    """Split off the invitations whose customers must not be e-mailed
    (:mod:`kehu.privacy.consent`), recording why on each; ``status`` is set on
    them too (a first invitation becomes "held back"; a reminder's invitation
    keeps its status). Returns the invitations to send and how many were held."""
    from kehu.privacy.consent import hold_reasons

    reasons = hold_reasons([i.customer_id for i in invitations if i.customer_id], channel="email")
    keep, held = [], {}
    for inv in invitations:
        reason = reasons.get(inv.customer_id) if inv.customer_id else ""
        if reason:
            held.setdefault(reason, []).append(inv.pk)
        else:
            keep.append(inv)
    for reason, pks in held.items():
        update = {"held_reason": reason, "held_at": now, "updated_at": now}
        if status:
            update["status"] = status
        for start in range(0, len(pks), BATCH):
            Invitation.objects.filter(pk__in=pks[start:start + BATCH]).update(**update)
    return keep, sum(len(p) for p in held.values())


def reminders_due(*, now=None, wave: Wave | None = None) -> list[Invitation]:
    """Invitations of open waves due for a reminder: sent, opened or partly
    answered, with an address, fewer reminders than the wave's maximum, and
    the wave's ``reminder_after_days`` since the invitation or last reminder."""
    from django.db.models import F

    now = now or timezone.now()
    qs = Invitation.objects.filter(
        wave__status=WaveStatus.OPEN, status__in=[InvitationStatus.SENT, InvitationStatus.OPENED,
                                                  InvitationStatus.PARTIAL],
        reminders_sent__lt=F("wave__max_reminders"), sent_at__isnull=False).exclude(email="")
    if wave is not None:
        qs = qs.filter(wave=wave)
    today = timezone.localdate(now)
    qs = qs.filter(Q(wave__closes_on__isnull=True) | Q(wave__closes_on__gte=today))
    out = []
    for inv in qs.select_related("wave__survey", "customer").order_by("id").iterator(chunk_size=1000):
        last = inv.last_reminded_at or inv.sent_at
        if last <= now - dt.timedelta(days=inv.wave.reminder_after_days):
            out.append(inv)
    return out


def reminders_send(*, now=None, wave: Wave | None = None) -> dict:
    """Send the reminders that are due (``kehu survey remind``, and the hourly job),
    except to customers the consent gate holds back: their invitations record
    the reason (``held_reason``, ``held_at``) and keep their status."""
    now = now or timezone.now()
    due = reminders_due(now=now, wave=wave)
    due, held = _hold_back(due, now=now)
    counts = _send(due, reminder=True, now=now)
    counts["held"] = held
    if due or held:
        logger.info("survey reminders: %s sent, %s failed, %s held back for consent",
                    counts["sent"], counts["failed"], held)
    return counts


# --------------------------------------------------------------------------
# Answers
# --------------------------------------------------------------------------

class AlreadyCompleted(Exception):
    """The invitation's response is complete: it cannot be answered again."""


class WaveNotOpen(Exception):
    """The wave does not accept answers now."""


def _store_answers(response: Response, spec, answers: Mapping, *, fresh: bool) -> None:
    if not fresh:
        Answer.objects.filter(response=response).delete()
    rows = []
    for code, value in answers.items():
        q = spec.by_code.get(code)
        if q is None:
            continue
        if isinstance(value, list):
            rows.append(Answer(response=response, question=q, choices=value))
        elif q.kind == "single":
            rows.append(Answer(response=response, question=q, choices=[value]))
        elif q.kind == "text":
            rows.append(Answer(response=response, question=q, text=value))
        else:
            rows.append(Answer(response=response, question=q, number=value))
    if rows:
        Answer.objects.bulk_create(rows)


def response_record(*, invitation: Invitation, answers: Mapping, submit: bool, language: str = "",
                    source: str = ResponseSource.WEB, entered_by=None, submitted_at=None,
                    check_open: bool = True) -> Response:
    """Save the answers of ``invitation`` — partly (``submit=False``, to
    continue later with the same link) or finally. Only answers to the
    questions shown count. A final submission must answer every required
    question shown (``ValidationError`` with the question codes otherwise);
    it stores the response's index, NPS and satisfied flag and sends
    :data:`kehu.surveys.signals.response_submitted` in the same transaction.

    Raises :class:`AlreadyCompleted` when the invitation's response is
    complete, :class:`WaveNotOpen` when the wave does not accept answers."""
    wave = invitation.wave
    if check_open and not wave_accepts_answers(wave):
        raise WaveNotOpen
    spec = answers_mod.survey_spec(wave.survey)
    _shown, kept = answers_mod.shown_answers(spec, answers)
    if submit:
        missing = answers_mod.missing_required(spec, kept)
        if missing:
            raise ValidationError({code: [msg] for code, msg in missing.items()})
    now = timezone.now()
    with transaction.atomic():
        # The response row is locked while its answers are replaced, so an autosave
        # and a submission of the same link never interleave; two first saves at
        # once collide on the one-response-per-invitation constraint instead.
        # No ORDER BY: the models' default orderings join the wave and survey, and FOR UPDATE
        # would then lock those rows too, making every submission of a wave wait for the others.
        response = next(iter(Response.objects.select_for_update().filter(invitation_id=invitation.pk)
                             .order_by()[:1]), None)
        fresh = response is None
        if response is not None and response.status == ResponseStatus.COMPLETE:
            raise AlreadyCompleted
        if response is None:
            response = Response(wave=wave, invitation=invitation, customer_id=invitation.customer_id,
                                partner_id=invitation.partner_id)
        response.source = source
        response.language = language or response.language or invitation.language
        if entered_by is not None:
            response.entered_by = entered_by
        if submit:
            figures = response_figures(spec.plan, kept)
            response.status = ResponseStatus.COMPLETE
            response.submitted_at = submitted_at or now
            response.index, response.nps, response.satisfied = figures.index, figures.nps, figures.satisfied
        else:
            response.status = ResponseStatus.PARTIAL
        try:
            response.save()
        except IntegrityError:  # another request created it a moment ago: this one is rolled back
            raise AlreadyCompleted from None
        _store_answers(response, spec, kept, fresh=fresh)
        status = InvitationStatus.COMPLETED if submit else InvitationStatus.PARTIAL
        Invitation.objects.filter(pk=invitation.pk).update(status=status, updated_at=now,
                                                           opened_at=invitation.opened_at or now)
        invitation.status = status
        if submit:
            response_submitted.send(sender=Response, response=response, questions=spec.questions, answers=kept)
    return response


def invitation_opened(invitation: Invitation) -> None:
    """The link was opened: remember when, first time only."""
    if invitation.status in (InvitationStatus.PENDING, InvitationStatus.SENT):
        now = timezone.now()
        Invitation.objects.filter(pk=invitation.pk, status__in=[InvitationStatus.PENDING, InvitationStatus.SENT]).update(
            status=InvitationStatus.OPENED, opened_at=invitation.opened_at or now, updated_at=now)


def phone_invitation(*, actor, wave: Wave, customer: Customer) -> Invitation:
    """The invitation a call-centre agent answers for ``customer``: the
    wave's own invitation of that customer, else a new one (channel phone)."""
    if not may_enter_phone(actor):
        raise PermissionDenied(_("Only service agents, managers and administrators enter phone interviews."))
    if not policy_for(actor).visible(Customer.objects.filter(pk=customer.pk)).exists():
        from django.http import Http404

        raise Http404
    if wave.survey.kind != SurveyKind.CUSTOMER:
        raise ValidationError(_("Phone interviews are for customer surveys."))
    invitation = wave.invitations.filter(customer=customer).first()
    if invitation is not None:
        return invitation
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(wave=wave, customer=customer, token=new_token(),
                                                   channel=InvitationChannel.PHONE, stratum="phone")
    except IntegrityError:
        invitation = wave.invitations.get(customer=customer)
    audit_record(actor=actor, action="survey.phone_invitation", instance=invitation, customer_id=customer.pk,
                 summary=wave.name)
    return invitation


def phone_response(*, actor, invitation: Invitation, answers: Mapping, submit: bool = True,
                   language: str = "") -> Response:
    """A phone interview's answers, entered by ``actor`` (source phone)."""
    if not may_enter_phone(actor):
        raise PermissionDenied(_("Only service agents, managers and administrators enter phone interviews."))
    if invitation.customer_id and not policy_for(actor).visible(
            Customer.objects.filter(pk=invitation.customer_id)).exists():
        from django.http import Http404

        raise Http404
    response = response_record(invitation=invitation, answers=answers, submit=submit, source=ResponseSource.PHONE,
                               entered_by=actor, language=language or translation.get_language() or "")
    audit_record(actor=actor, action="survey.phone_response", instance=response,
                 customer_id=invitation.customer_id, summary=invitation.wave.name)
    return response
