"""Reads of personal information: everything Kehu holds about one customer.

:func:`personal_data` gathers it for the export on request (the person's
copy of their data). It reads the customer's own rows directly — the caller
has already passed the policy (:func:`kehu.privacy.services.personal_data_export`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models

from kehu.audit.models import AuditEvent
from kehu.customers.models import Customer

# Internal keys and the search keys derived from the name are no one's data.
SKIPPED_FIELDS = {"name_key", "name_pinyin", "name_initials", "import_run", "merged_into"}


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    return value


def _row(obj: models.Model, skip: set[str] = frozenset()) -> dict[str, Any]:
    out = {}
    for f in obj._meta.concrete_fields:
        if f.name in skip or f.name in SKIPPED_FIELDS:
            continue
        if isinstance(f, models.ForeignKey):
            related = getattr(obj, f.name)
            out[f.name] = str(related) if related is not None else None
            continue
        out[f.name] = _plain(getattr(obj, f.attname))
    return out


def _label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - a key that is not a field keeps its name
        return name


def personal_data(customer: Customer) -> dict[str, Any]:
    """Every record of ``customer``: profile, tags, anniversaries, contacts,
    interactions, tasks, orders (lines and payments), survey invitations and
    answers, messages sent to them, consent (now and its history), and the audit of changes."""
    from kehu.engagement.models import Interaction, Task
    from kehu.sales.models import Order
    from kehu.surveys.models import Answer, Invitation, Response

    profile = _row(customer, skip={"owner", "team"})
    profile["owner"] = str(customer.owner) if customer.owner_id else None
    data: dict[str, Any] = {
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "customer": profile,
        "tags": sorted(t.name for t in customer.tags.all()),
        "anniversaries": [_row(a, skip={"customer"}) for a in customer.anniversaries.order_by("date", "id")],
        "contacts": [_row(c, skip={"customer"}) for c in customer.contacts.order_by("name", "id")],
        "interactions": [_row(i, skip={"customer"}) for i in
                         Interaction.objects.filter(customer=customer).select_related("user", "contact")
                         .order_by("occurred_at", "id")],
        "tasks": [_row(t, skip={"customer"}) for t in
                  Task.objects.filter(customer=customer).select_related("assigned_to", "created_by")
                  .order_by("created_at", "id")],
    }
    orders = []
    for order in Order.objects.filter(customer=customer).prefetch_related("lines", "payments").order_by(
            "order_date", "id"):
        row = _row(order, skip={"customer"})
        row["lines"] = [_row(line, skip={"order"}) for line in order.lines.all()]
        row["payments"] = [_row(p, skip={"order"}) for p in order.payments.all()]
        orders.append(row)
    data["orders"] = orders
    invitations = []
    for inv in Invitation.objects.filter(customer=customer).select_related("wave__survey").order_by("created_at", "id"):
        invitations.append({"survey": inv.wave.survey.code, "wave": inv.wave.name, "channel": inv.channel,
                            "email": inv.email, "status": inv.status, "sent_at": _plain(inv.sent_at),
                            "held_reason": inv.held_reason})
    data["survey_invitations"] = invitations
    responses = []
    for resp in Response.objects.filter(customer=customer).select_related("wave__survey").order_by("created_at", "id"):
        answers = []
        for ans in Answer.objects.filter(response=resp).select_related("question").order_by("question_id"):
            answers.append({"question": ans.question.code, "text": ans.text, "number": ans.number,
                            "choices": ans.choices})
        responses.append({"survey": resp.wave.survey.code, "wave": resp.wave.name, "status": resp.status,
                          "submitted_at": _plain(resp.submitted_at), "index": resp.index, "nps": resp.nps,
                          "answers": answers})
    data["survey_responses"] = responses
    from kehu.marketing.outreach.models import OutboundMessage

    data["messages"] = [{"created_at": _plain(m.created_at), "channel": m.channel, "purpose": m.purpose,
                         "address": m.address, "subject": m.subject, "body": m.body, "status": m.status,
                         "reason": m.reason, "sent_at": _plain(m.sent_at)}
                        for m in OutboundMessage.objects.filter(customer=customer).order_by("created_at", "id")]
    events = list(AuditEvent.objects.filter(customer_id=customer.pk).select_related("actor").order_by(
        "created_at", "id"))
    data["consent"] = {
        "marketing": customer.consent_marketing,
        "data_processing": customer.consent_data_processing,
        "opted_out_of_email": customer.opt_out_email,
        "opted_out_of_sms": customer.opt_out_sms,
        "updated_at": _plain(customer.consent_updated_at),
        "history": [{"at": _plain(ev.created_at), "by": str(ev.actor) if ev.actor_id else None,
                     "changes": {k: v for k, v in ev.changes.items() if k.startswith(("consent_", "opt_out_"))}}
                    for ev in events if isinstance(ev.changes, dict)
                    and any(k.startswith(("consent_", "opt_out_")) for k in ev.changes)],
    }
    data["audit"] = [{"at": _plain(ev.created_at), "by": str(ev.actor) if ev.actor_id else None,
                      "action": ev.action, "record": ev.entity, "summary": ev.summary, "changes": ev.changes}
                     for ev in events]
    return data


def section_labels() -> list[tuple[str, str]]:
    """The export's sections in order, with their titles (for the readable summary)."""
    from django.utils.translation import gettext as _

    return [
        ("customer", _("Profile")), ("tags", _("Tags")), ("anniversaries", _("Anniversaries")),
        ("contacts", _("Contacts")), ("interactions", _("Interactions")), ("tasks", _("Tasks")),
        ("orders", _("Orders")), ("survey_invitations", _("Survey invitations")),
        ("survey_responses", _("Survey answers")), ("messages", _("Messages sent")), ("consent", _("Consent")),
        ("audit", _("History of changes")),
    ]


def field_label(name: str) -> str:
    return _label(Customer, name)


def last_erasure(customer: Customer):
    """The audit record of the customer's erasure, or None."""
    return (AuditEvent.objects.filter(customer_id=customer.pk, action="privacy.erase")
            .select_related("actor").order_by("-created_at", "-id").first())
