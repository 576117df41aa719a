"""The consent gate: may Kehu contact this customer (个人信息保护, DOMAIN.md §1)?

Everything Kehu sends to a customer asks :func:`hold_reasons` first and sends
nothing to the customers it returns; the caller records the reason where its
user sees it (a survey wave's invitations keep it in
``Invitation.held_reason``).

Rules (the consent fields of :class:`kehu.customers.models.Customer`):

- a *service* message — a satisfaction survey's invitation or reminder —
  needs the customer's consent to the processing of their data
  (``consent_data_processing``): sending to their address is processing it.
  A survey is not advertising, so consent to marketing is not asked for;
- a *marketing* message needs both consents;
- a customer who never consented is held back as ``no_consent``; one whose
  consent was given and later withdrawn (``consent_updated_at`` set, the
  consent now off: the customer's history shows when) as ``withdrawn``;
- the consents are per customer; on top of them a customer may opt out of
  a channel (``opt_out_email``, ``opt_out_sms``, 退订): nothing is sent on
  that channel, whatever the consents say (``opted_out``). WeChat, direct mail
  and phone (the channels of :mod:`kehu.marketing.outreach`) have no opt-out
  field of their own: the consents decide.

The outreach gate (:mod:`kehu.marketing.outreach.gate`) asks this first and
adds the suppression list, frequency caps, quiet hours and the language.
"""

from __future__ import annotations

from typing import Iterable

from kehu.customers.models import Customer

SERVICE = "service"
MARKETING = "marketing"
CHANNELS = ("email", "sms", "wechat", "mail", "phone")
NO_CONSENT = "no_consent"
WITHDRAWN = "withdrawn"
OPTED_OUT = "opted_out"
OPT_OUT_FIELDS = {"email": "opt_out_email", "sms": "opt_out_sms"}
BATCH = 2000


def _reason(*, marketing: bool, processing: bool, updated_at, purpose: str, opted_out: bool = False) -> str:
    if opted_out:
        return OPTED_OUT
    ok = processing and (marketing or purpose != MARKETING)
    if ok:
        return ""
    return WITHDRAWN if updated_at is not None else NO_CONSENT


def hold_reason(customer: Customer, *, channel: str, purpose: str = SERVICE) -> str:
    """Why ``customer`` must not be contacted on ``channel`` for ``purpose``; empty: go ahead."""
    if channel not in CHANNELS:
        raise ValueError(channel)
    return _reason(marketing=customer.consent_marketing, processing=customer.consent_data_processing,
                   updated_at=customer.consent_updated_at, purpose=purpose,
                   opted_out=bool(channel in OPT_OUT_FIELDS and getattr(customer, OPT_OUT_FIELDS[channel])))


def consent_fields(channel: str) -> list[str]:
    """The customer's fields :func:`row_hold_reason` reads for ``channel``."""
    opt_out = OPT_OUT_FIELDS.get(channel)
    return ["consent_marketing", "consent_data_processing", "consent_updated_at"] + ([opt_out] if opt_out else [])


def row_hold_reason(row: dict, *, channel: str, purpose: str = SERVICE) -> str:
    """:func:`hold_reason` of a customer read as a dict holding :func:`consent_fields` (a caller that
    reads its customers anyway asks no second query)."""
    opt_out = OPT_OUT_FIELDS.get(channel)
    return _reason(marketing=row["consent_marketing"], processing=row["consent_data_processing"],
                   updated_at=row["consent_updated_at"], purpose=purpose,
                   opted_out=bool(opt_out and row[opt_out]))


def hold_reasons(customer_ids: Iterable[int], *, channel: str, purpose: str = SERVICE) -> dict[int, str]:
    """Customer id → reason, for the customers of ``customer_ids`` that must not be contacted."""
    if channel not in CHANNELS:
        raise ValueError(channel)
    ids = sorted({i for i in customer_ids if i is not None})
    out: dict[int, str] = {}
    fields = consent_fields(channel)
    for start in range(0, len(ids), BATCH):
        for row in Customer.objects.filter(pk__in=ids[start:start + BATCH]).values("pk", *fields):
            reason = row_hold_reason(row, channel=channel, purpose=purpose)
            if reason:
                out[row["pk"]] = reason
    return out
