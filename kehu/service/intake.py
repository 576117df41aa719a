"""The public service form (no login) and the links that lead to it.

An :class:`~kehu.service.models.IntakeLink` is an address ``/service/form/<code>/``
with its QR code, for the whole company, a product line or a service centre
(a team, whose queue receives the cases). Administrators keep them
(:func:`intake_link_create`, :func:`intake_link_deactivate`).

:func:`public_submit` turns a checked submission into a case on the channel
"website form":

- the sender is matched to a customer by phone and e-mail — exactly one
  customer (or one customer's contact) with that phone or e-mail links the
  case; none or several leave an unknown caller with the caller fields
  filled, for an agent to match from the queue;
- a repeated submission (the same phone or e-mail and the same description,
  normalised, within ``KEHU_INTAKE_DUPLICATE_MINUTES``, default 10) is not a
  second case: it is merged into the first as a timeline event "duplicate
  submission merged", and the sender is shown the first case's number;
- every case made here carries a random status-lookup token (43 characters,
  256 bits): its page shows the number, kind, status and the date of the last
  status change, nothing else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record
from kehu.org.policies import policy_for
from kehu.service.models import Case, CaseChannel, CaseKind, EventKind, IntakeLink

# The kinds a member of the public may choose (praise is a suggestion there).
PUBLIC_KINDS = (CaseKind.COMPLAINT, CaseKind.SERVICE, CaseKind.REPAIR, CaseKind.ENQUIRY, CaseKind.SUGGESTION)
SUBJECT_CHARS = 80


def duplicate_window_minutes() -> int:
    return int(getattr(settings, "KEHU_INTAKE_DUPLICATE_MINUTES", 10))


def attachment_limit() -> int:
    """The public form's attachment limit in bytes (``KEHU_INTAKE_ATTACHMENT_MAX_MB``, default 10)."""
    return int(getattr(settings, "KEHU_INTAKE_ATTACHMENT_MAX_MB", 10)) * 1024 * 1024


def normalised(text: str) -> str:
    """The description as compared for duplicates: NFKC, case-folded, whitespace collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).strip().casefold()


def digest(text: str) -> str:
    return hashlib.sha256(normalised(text).encode("utf-8")).hexdigest()


# -- links (administrators) -------------------------------------------------------------------

LINK_FIELDS = {"name", "slug", "product_line", "team"}


def _require_admin(actor) -> None:
    if not policy_for(actor).is_admin:
        raise PermissionDenied(_("Only an administrator may see or change the public form's links."))


def _new_slug(name: str) -> str:
    base = slugify(name)[:20].strip("-")
    suffix = secrets.token_hex(3)
    return f"{base}-{suffix}" if base else f"form-{suffix}"


def intake_link_create(*, actor, data: dict[str, Any]) -> IntakeLink:
    """A new active link; without a ``slug`` one is made from the name plus six random hex digits."""
    _require_admin(actor)
    unknown = set(data) - LINK_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in sorted(unknown)})
    data = dict(data)
    if not (data.get("slug") or "").strip():
        data["slug"] = _new_slug(data.get("name") or "")
    link = IntakeLink(created_by=actor if getattr(actor, "pk", None) else None, **data)
    with transaction.atomic():
        link.full_clean()
        link.save()
        audit_record(actor=actor, action="create", instance=link, summary=link.name)
    return link


def intake_link_deactivate(*, actor, link: IntakeLink) -> IntakeLink:
    """The link's form answers "no longer in use" from now on (cases made through it stay)."""
    _require_admin(actor)
    if link.active:
        with transaction.atomic():
            link.active = False
            link.save(update_fields=["active", "updated_at"])
            audit_record(actor=actor, action="deactivate", instance=link, summary=link.name,
                         changes={"active": [True, False]})
    return link


def active_link(slug: str) -> IntakeLink | None:
    return IntakeLink.objects.select_related("team", "product_line").filter(slug=slug, active=True).first()


# -- the submission -------------------------------------------------------------------------------

@dataclass
class Submission:
    name: str
    phone: str
    email: str
    kind: str
    reference: str
    description: str


@dataclass
class Outcome:
    case: Case
    duplicate: bool


def match_customer(phone: str, email: str):
    """``(customer, contact)`` when the phone and e-mail point at exactly one
    customer (by the customer's own or a contact's phone or e-mail), else ``(None, None)``."""
    from kehu.customers.models import Contact, Customer

    customers: dict[int, object] = {}
    contacts: dict[int, object] = {}
    for field, value in (("phone", phone), ("email", email)):
        if not value:
            continue
        lookup = {f"{field}__iexact" if field == "email" else field: value}
        for c in Customer.objects.filter(**lookup)[:3]:
            customers[c.pk] = c
        for ct in Contact.objects.filter(**lookup).select_related("customer")[:3]:
            customers.setdefault(ct.customer_id, ct.customer)
            contacts[ct.customer_id] = ct
    if len(customers) != 1:
        return None, None
    (pk, customer), = customers.items()
    return customer, contacts.get(pk)


def _serialise_on(key: str) -> None:
    """Make two submissions of the same message wait for each other (until this
    transaction ends), so that the second sees the first's case and is merged into it.
    PostgreSQL: a transaction-scoped advisory lock on the message's digest; SQLite: every
    transaction of Kehu's begins IMMEDIATE (kehu/dburl.py), which already serialises them."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ["kehu.intake:" + key])


def _first_duplicate(sub: Submission, key: str, now) -> Case | None:
    since = now - dt.timedelta(minutes=duplicate_window_minutes())
    who = Q()
    if sub.phone:
        who |= Q(caller_phone=sub.phone)
    if sub.email:
        who |= Q(caller_email__iexact=sub.email)
    if not who:
        return None
    return (Case.objects.select_for_update().filter(submission_digest=key, created_at__gte=since,
                                                    channel=CaseChannel.WEBSITE)
            .filter(who).order_by("created_at", "id").first())


def _subject(sub: Submission) -> str:
    first = next((line.strip() for line in sub.description.splitlines() if line.strip()), "")
    if len(first) > SUBJECT_CHARS:
        first = first[:SUBJECT_CHARS - 1] + "…"
    return first or str(CaseKind(sub.kind).label)


def public_submit(*, link: IntakeLink, submission: Submission, upload=None, now=None) -> Outcome:
    """Register a submission of the public form (already checked by
    :class:`kehu.service.forms.PublicCaseForm`; the attachment is checked here,
    before anything is written). See the module for matching and duplicates."""
    from kehu.numbering.services import case_series, next_code, save_numbered
    from kehu.service.services import _ensure_steps, _event, _store_attachment
    from kehu.service.sla import sla_refresh

    if submission.kind not in PUBLIC_KINDS:
        raise ValidationError({"kind": _("Choose what your message is about.")})
    if upload is not None:
        from kehu.attachments.services import checked_upload

        checked_upload(upload, limit=attachment_limit())   # refuse before writing anything
    now = now or timezone.now()
    key = digest(submission.description)
    with transaction.atomic():
        _serialise_on(key)
        first = _first_duplicate(submission, key, now)
        if first is not None:
            _event(first, None, EventKind.DUPLICATE, note=_("The same message was sent again through the public "
                                                           "form (%(link)s).") % {"link": link.name})
            if upload is not None:
                attachment = _store_attachment(first, upload, actor=None, limit=attachment_limit())
                _event(first, None, EventKind.ATTACHMENT,
                       note=_("Added %(name)s (public form)") % {"name": attachment.name})
            audit_record(actor=None, action="intake.duplicate", instance=first, customer_id=first.customer_id,
                         summary=f"{first.ref} {link.name}")
            return Outcome(first, True)
        customer, contact = match_customer(submission.phone, submission.email)
        case = Case(
            kind=submission.kind, channel=CaseChannel.WEBSITE, customer=customer, contact=contact,
            caller_name=submission.name, caller_phone=submission.phone, caller_email=submission.email,
            serial_number=submission.reference, subject=_subject(submission), description=submission.description,
            team=link.team, intake_link=link, public_token=secrets.token_urlsafe(32), submission_digest=key,
        )
        series = case_series(timezone.localdate(now))
        case.ref = next_code(series)
        case.full_clean()
        save_numbered(case, series=series, taken=_("This case number is already in use."))
        sla_refresh(case)
        case.save(update_fields=["first_response_due", "resolution_due"])
        _ensure_steps(case)
        _event(case, None, EventKind.CREATED, to_status=case.status,
               note=_("Sent through the public form (%(link)s).") % {"link": link.name})
        if upload is not None:
            attachment = _store_attachment(case, upload, actor=None, limit=attachment_limit())
            _event(case, None, EventKind.ATTACHMENT, note=_("Added %(name)s (public form)") % {"name": attachment.name})
        audit_record(actor=None, action="create", instance=case, customer_id=case.customer_id,
                     summary=f"{case.ref} {case.subject}", changes={"intake_link": link.pk})
    return Outcome(case, False)


def last_public_update(case: Case):
    """When the sender's case last changed status (its registration if never)."""
    event = case.events.filter(kind=EventKind.TRANSITION).order_by("-at", "-id").first()
    return event.at if event is not None else case.created_at
