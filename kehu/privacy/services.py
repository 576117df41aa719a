"""Writes of personal information (个人信息保护, DOMAIN.md §1).

- :func:`personal_data_reveal` — one masked value in full, audited;
- :func:`personal_data_export` — everything Kehu holds about one person, as a
  zip the person can read (``index.html``) and a machine can (``data.json``),
  audited;
- :func:`customer_erase` — erasure on request: the person's identifying data
  removed or anonymised, orders kept for the books, irreversible, audited
  with who, when and why;
- :func:`retention_purge` — the retention rules for interactions and survey
  answers (``KEHU_RETAIN_INTERACTIONS_DAYS``, ``KEHU_RETAIN_SURVEY_ANSWERS_DAYS``),
  run by the nightly job and ``kehu privacy purge``, audited.

Who may do what is the policy's (:mod:`kehu.org.policies`); not visible gives 404.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.audit.models import AuditEvent
from kehu.audit.services import audit_record
from kehu.customers.models import Contact, Customer
from kehu.customers.search import name_keys
from kehu.org.policies import policy_for
from kehu.privacy.masking import CONTACT_FIELDS, CUSTOMER_FIELDS, is_masked
from kehu.privacy.selectors import personal_data, section_labels

REVEAL_FIELDS = {"customer": CUSTOMER_FIELDS, "contact": CONTACT_FIELDS}
REASON_MAX = 300
# What an erasure clears on the customer (besides the name, replaced by a placeholder).
ERASED_CUSTOMER_FIELDS = (
    "phone", "email", "id_number", "website", "address", "birthday", "gender", "age_band", "occupation",
    "income_band", "education", "lifestyle", "personality", "preferences", "remarks",
)
# Values in audit records that an erasure scrubs (the person's, not the business's).
ERASED_AUDIT_KEYS = set(ERASED_CUSTOMER_FIELDS) | {"name", "title", "department", "summary", "participants",
                                                   "subject", "next_step", "description"}
ERASED = "—"


def _visible_customer(actor, customer_id) -> Customer:
    return policy_for(actor).get_visible(customer_id)


# --------------------------------------------------------------------------
# Reveal
# --------------------------------------------------------------------------

@transaction.atomic
def personal_data_reveal(*, actor, customer_id: int, field: str, contact_id: int | None = None) -> str:
    """The full ``field`` (phone, email, id_number) of a customer or of one of
    its contacts, for a viewer allowed to reveal it; writes an audit record
    (who, when, which field of which customer)."""
    customer = _visible_customer(actor, customer_id)
    entity = "contact" if contact_id else "customer"
    if field not in REVEAL_FIELDS[entity]:
        raise ValidationError({"field": [_("Choose phone, email or ID number.")]})
    if not policy_for(actor).may_reveal_personal_data(customer):
        raise PermissionDenied(_("Your role may not see this customer's personal data."))
    target = customer
    if contact_id:
        target = Contact.objects.filter(customer=customer, pk=contact_id).first()
        if target is None:
            raise Http404
    if is_masked(target):  # never: fresh from the database
        raise RuntimeError("masked instance")
    value = getattr(target, field) or ""
    audit_record(actor=actor, action="privacy.reveal", instance=target, customer_id=customer.pk,
                 summary=f"{entity}.{field}", changes={"field": field, "record": entity, "record_id": target.pk})
    return value


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------

def _check_export(actor, customer: Customer) -> None:
    if not policy_for(actor).may_export_personal_data(customer):
        raise PermissionDenied(_("Only users who may see this customer's personal data in full export it."))


def personal_data_collect(*, actor, customer_id: int, fmt: str = "json") -> tuple[Customer, dict]:
    """Everything Kehu holds about one customer (:func:`kehu.privacy.selectors.personal_data`),
    for a viewer who may export it; writes the audit record of the export."""
    customer = _visible_customer(actor, customer_id)
    _check_export(actor, customer)
    data = personal_data(customer)
    with transaction.atomic():
        audit_record(actor=actor, action="privacy.export", instance=customer, customer_id=customer.pk,
                     summary=f"{customer.ref} ({fmt})", changes={"format": fmt,
                                                                 "sections": [k for k, _l in section_labels()]})
    return customer, data


def personal_data_export(*, actor, customer_id: int) -> tuple[str, bytes]:
    """``(file name, zip bytes)``: ``index.html`` (a readable summary in the
    actor's language) and ``data.json`` (every record) of one customer."""
    customer, data = personal_data_collect(actor=actor, customer_id=customer_id, fmt="zip")
    html = render_to_string("privacy/export.html", {
        "customer": customer, "data": data, "sections": section_labels(),
        "generated_at": timezone.localtime(),
    })
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("index.html", html)
        zf.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
    return f"personal-data-{customer.ref}.zip", buffer.getvalue()


# --------------------------------------------------------------------------
# Erasure
# --------------------------------------------------------------------------

def _scrub(value):
    if isinstance(value, dict):
        return {k: ([ERASED for _x in v] if isinstance(v, list) and k in ERASED_AUDIT_KEYS
                    else ERASED if k in ERASED_AUDIT_KEYS and v not in (None, "")
                    else _scrub(v) if isinstance(v, dict) else v)
                for k, v in value.items()}
    return value


@dataclass
class Erasure:
    customer: Customer
    contacts: int = 0
    anniversaries: int = 0
    interactions: int = 0
    tasks: int = 0
    answers: int = 0
    invitations: int = 0
    audit_events: int = 0
    attachments: int = 0
    fields: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"contacts": self.contacts, "anniversaries": self.anniversaries, "interactions": self.interactions,
                "tasks": self.tasks, "answers": self.answers, "invitations": self.invitations,
                "audit_events": self.audit_events, "attachments": self.attachments, "fields": self.fields}


def customer_erase(*, actor, customer_id: int, reason: str) -> Erasure:
    """Erase the personal data of one customer on request. Irreversible.

    - the customer: name replaced by "Erased customer C…", contact details,
      ID number, address, birthday, the individual's demographic fields,
      preferences and remarks cleared, consents withdrawn; code, type,
      classification, owner, orders and payments kept (the books);
    - contacts, anniversaries and attachments (with their stored files) deleted;
    - interactions and tasks kept with their dates, their texts replaced;
    - survey answers: free text cleared, scores kept; invitations' addresses cleared;
    - messages sent to them: address, subject and text cleared (status and dates kept);
    - the audit history of the customer: the person's values replaced by "—";
    - one audit record ``privacy.erase`` with who, when and why.
    """
    from kehu.attachments.models import Attachment
    from kehu.attachments.services import attachments_delete
    from kehu.engagement.models import Interaction, Task
    from kehu.surveys.models import Answer, Invitation

    policy = policy_for(actor)
    customer = _visible_customer(actor, customer_id)
    if not policy.may_erase_personal_data:
        raise PermissionDenied(_("Only administrators and head-office managers erase personal data."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the data is erased (for example, the person's request).")]})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [_("Keep the reason under %(n)s characters.") % {"n": REASON_MAX}]})
    now = timezone.now()
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        result = Erasure(customer=customer)
        old_name = customer.name
        for name in ERASED_CUSTOMER_FIELDS:
            f = Customer._meta.get_field(name)
            empty = None if f.null else ""
            if getattr(customer, name) not in (None, ""):
                result.fields.append(name)
            setattr(customer, name, empty)
        customer.name = _("Erased customer %(ref)s") % {"ref": customer.ref}
        customer.name_key, customer.name_pinyin, customer.name_initials = name_keys(customer.name)
        customer.consent_marketing = customer.consent_data_processing = False
        customer.consent_updated_at = now
        customer.save()
        contact_names = sorted({n for n in Contact.objects.filter(customer=customer).values_list("name", flat=True)
                                if n}, key=len, reverse=True)
        result.contacts = Contact.objects.filter(customer=customer).count()
        Contact.objects.filter(customer=customer).update(reports_to=None)
        Contact.objects.filter(customer=customer).delete()
        result.anniversaries, _d = customer.anniversaries.all().delete()
        result.attachments = attachments_delete(queryset=Attachment.objects.filter(customer=customer))
        from kehu.service.models import CaseAttachment

        result.attachments += attachments_delete(queryset=CaseAttachment.objects.filter(case__customer=customer))
        text = _("(erased)")
        result.interactions = Interaction.objects.filter(customer=customer).update(
            summary=text, subject="", participants="", next_step="", updated_at=now)
        result.tasks = Task.objects.filter(customer=customer).update(description="", updated_at=now)
        result.answers = Answer.objects.filter(response__customer=customer).exclude(text="").update(text="")
        result.invitations = Invitation.objects.filter(customer=customer).exclude(email="").update(
            email="", updated_at=now)
        # messages sent to the person (kehu.marketing.outreach): the log keeps when and why, not
        # the address or the text; the suppression list keeps the address, so an opt-out still holds
        from kehu.marketing.outreach.models import OutboundMessage

        OutboundMessage.objects.filter(customer=customer).update(address="", subject="", body=text,
                                                                 updated_at=now)
        events = list(AuditEvent.objects.filter(customer_id=customer.pk))
        for ev in events:
            ev.changes = _scrub(ev.changes) if isinstance(ev.changes, dict) else ev.changes
            if old_name and old_name in ev.summary:
                ev.summary = ev.summary.replace(old_name, customer.ref)
            for name in contact_names:
                ev.summary = ev.summary.replace(name, ERASED)
        AuditEvent.objects.bulk_update(events, ["changes", "summary"], batch_size=500)
        result.audit_events = len(events)
        audit_record(actor=actor, action="privacy.erase", instance=customer, customer_id=customer.pk,
                     summary=reason, changes={"reason": reason, **result.as_dict()})
    return result


# --------------------------------------------------------------------------
# Retention
# --------------------------------------------------------------------------

@dataclass
class Purge:
    interactions_before: dt.datetime | None
    answers_before: dt.datetime | None
    interactions: int = 0
    responses: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {"interactions_before": self.interactions_before.isoformat() if self.interactions_before else None,
                "answers_before": self.answers_before.isoformat() if self.answers_before else None,
                "interactions": self.interactions, "responses": self.responses, "dry_run": self.dry_run}


def retention_cutoffs(now=None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The moments before which interactions and survey answers are purged (None: kept forever)."""
    now = now or timezone.now()
    days_i = int(getattr(settings, "KEHU_RETAIN_INTERACTIONS_DAYS", 0) or 0)
    days_a = int(getattr(settings, "KEHU_RETAIN_SURVEY_ANSWERS_DAYS", 0) or 0)
    return (now - dt.timedelta(days=days_i) if days_i > 0 else None,
            now - dt.timedelta(days=days_a) if days_a > 0 else None)


def _expired_responses(before):
    from kehu.surveys.models import Response

    old = Q(submitted_at__lt=before) | Q(submitted_at__isnull=True, created_at__lt=before)
    personal = Q(customer__isnull=False) | Q(invitation__isnull=False) | Q(answers__text__gt="")
    return Response.objects.filter(old).filter(personal).distinct()


def retention_purge(*, actor=None, dry_run: bool = False, now=None) -> Purge:
    """Apply the retention rules (see docs/operations.md, "Retention of personal data"):

    - interactions that occurred before ``KEHU_RETAIN_INTERACTIONS_DAYS`` ago are
      deleted (their summaries are notes about people), and the texts of their
      audit records cleared;
    - survey responses submitted (or, never submitted, started) before
      ``KEHU_RETAIN_SURVEY_ANSWERS_DAYS`` ago are anonymised: free-text
      answers cleared and the link to the person (customer, invitation)
      dropped; the scores and the response's index, NPS and satisfied flag
      stay for the statistics.

    0 days (the default) keeps records forever. ``dry_run`` counts only.
    One audit record per purge that changed anything."""
    from kehu.attachments.models import Attachment
    from kehu.attachments.services import attachments_delete
    from kehu.engagement.models import Interaction
    from kehu.surveys.models import Answer, CustomerAttitude, Response

    inter_before, answers_before = retention_cutoffs(now)
    result = Purge(interactions_before=inter_before, answers_before=answers_before, dry_run=dry_run)
    inter_qs = Interaction.objects.filter(occurred_at__lt=inter_before) if inter_before else Interaction.objects.none()
    response_ids = list(_expired_responses(answers_before).values_list("pk", flat=True)) if answers_before else []
    result.interactions = inter_qs.count()
    result.responses = len(response_ids)
    if dry_run or not (result.interactions or result.responses):
        return result
    with transaction.atomic():
        if result.interactions:
            # The audit copies of a purged interaction hold its texts too.
            ids = list(inter_qs.values_list("pk", flat=True))
            for start in range(0, len(ids), 2000):
                AuditEvent.objects.filter(entity="interaction", entity_id__in=ids[start:start + 2000]).update(
                    changes={}, summary="")
                attachments_delete(queryset=Attachment.objects.filter(interaction_id__in=ids[start:start + 2000]))
            inter_qs.delete()
        for start in range(0, len(response_ids), 2000):
            chunk = response_ids[start:start + 2000]
            Answer.objects.filter(response_id__in=chunk).exclude(text="").update(text="")
            CustomerAttitude.objects.filter(response_id__in=chunk).update(response=None)
            Response.objects.filter(pk__in=chunk).update(customer=None, invitation=None, entered_by=None,
                                                         updated_at=timezone.now())
        AuditEvent.objects.create(
            actor=actor if getattr(actor, "pk", None) else None, action="privacy.purge", entity="retention",
            entity_id=0, summary=f"{result.interactions} interactions, {result.responses} responses",
            changes=result.as_dict())
    return result
