"""Sending to customers: the one gate every message passes (issue 16, item 1).

The API other apps call (campaigns, the care calendar, coupons, referrals)::

    from kehu.marketing.outreach import services as outreach

    msg = outreach.send(customer=c, channel="email", purpose="marketing", template="spring-offer",
                        context={"coupon": {"code": "AB12CD", "value": "¥50"}}, source=("coupon", coupon.pk),
                        contact=None, actor=None, now=None)
    counts = outreach.send_many(customers=ids_or_queryset, channel="sms", purpose="marketing",
                                template=tpl, context={...}, per_customer={cid: {"coupon": {...}}},
                                source=("campaign", campaign.pk), actor=None, now=None, deliver=True)
    # counts == {"queued": …, "sent": …, "held": …, "deferred": …, "failed": …}

- ``channel``: ``email`` | ``sms`` | ``wechat`` | ``mail`` | ``phone``;
  ``purpose``: ``service`` | ``marketing`` (a marketing message needs both
  consents and counts towards the frequency cap; a service message needs the
  consent to data processing);
- ``template``: a :class:`MessageTemplate` or its code; rendered in the
  customer's language (:class:`CustomerLanguage`, else the settings' default
  language; the other language when the template lacks that version) with the
  placeholders of :data:`kehu.marketing.outreach.rendering.PLACEHOLDERS`;
- ``context``: what the sender adds for every customer (``coupon``,
  ``campaign``, ``referral``, ``link``), ``per_customer``: the same per customer
  id (a campaign's unique coupon codes); other keys are ignored;
- ``source``: ``(kind, id)`` — kind ``campaign`` | ``care`` | ``coupon`` |
  ``referral`` | ``membership`` | ``manual`` | ``test`` — or just the kind;
- ``actor``: the person sending by hand (checked: they must manage outreach or
  be able to change the customer), None for the system (a campaign's worker);
- ``now``: the instant of the attempt (the tests' clock).

Every attempt leaves one :class:`OutboundMessage`, whatever came of it: held
back (with the reason), deferred (quiet hours; :func:`release_deferred` sends
it when they end, checking the gate again), queued, sent or failed. E-mail and
SMS are delivered here (``deliver=False`` leaves them queued for
:func:`deliver_queued`, the worker's job); WeChat and direct mail stay queued
for their exported lists (:func:`mark_sent` once they went out); a phone
message becomes a task for the customer's owner (``engagement.Task``, source
``care``, ``source_ref = {"outreach_message": id}``).

``send_many`` works in batches of 5,000 customers (:data:`gate.BATCH`): per batch one
query for the customers with their consents, one for the owners not met in an
earlier batch, two for the suppression list, one for the frequency cap, one for
the languages — each list one array parameter (:mod:`kehu.lookups`) — and one
write of the log (PostgreSQL: ids from the sequence, then ``COPY``; elsewhere
``bulk_create``), and for e-mail one SMTP connection. On PostgreSQL outside a
transaction, when nothing is delivered or returned (a campaign queueing with
``deliver=False``), a writer thread on a connection of its own writes one batch
while the next is prepared; each batch is committed on its own either way.

Every e-mail carries the unsubscribe link (:func:`unsubscribe_url`, a signed
token, no login) in its text, its HTML and its ``List-Unsubscribe`` header;
:func:`unsubscribe` opts the customer out of that channel at once (recorded in
the consent history: an audit event changing ``opt_out_email``) and puts the
address on the suppression list.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import queue
import secrets
import threading
import time
from collections import Counter
from typing import Any, Iterable

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record, diff, snapshot
from kehu.customers.models import Contact, Customer
from kehu.org.models import User
from kehu.marketing.permissions import require_marketing
from kehu.marketing.records import audited_delete, audited_save, take
from kehu.org.policies import policy_for
from kehu.privacy.consent import OPT_OUT_FIELDS, consent_fields

from . import channels, gate, rendering
from .models import (
    Channel, CustomerLanguage, GateSettings, HoldReason, Language, MessageTemplate, OutboundMessage, Purpose,
    SourceKind, Status, Suppression, SuppressionReason,
)

log = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "kehu.outreach.unsubscribe"
STATUSES = [s.value for s in Status]


# -- templates ----------------------------------------------------------------------

TEMPLATE_FIELDS = ("code", "name", "channel", "purpose", "subject_zh", "body_zh", "subject_en", "body_en")


def _check_template(tpl: MessageTemplate) -> None:
    tpl.full_clean()
    rendering.check(subject_zh=tpl.subject_zh, body_zh=tpl.body_zh, subject_en=tpl.subject_en,
                    body_en=tpl.body_en)
    if not tpl.body_zh.strip() and not tpl.body_en.strip():
        raise ValidationError({"body_zh": _("Write the message in at least one language.")})
    if tpl.channel == Channel.EMAIL:
        for lang, subject, body in (("zh", tpl.subject_zh, tpl.body_zh), ("en", tpl.subject_en, tpl.body_en)):
            if body.strip() and not subject.strip():
                raise ValidationError({f"subject_{lang}": _("An e-mail needs a subject.")})


def template_create(*, actor, data: dict[str, Any]) -> MessageTemplate:
    require_marketing(actor)
    return audited_save(actor=actor, instance=MessageTemplate(created_by=actor), data=take(data, TEMPLATE_FIELDS),
                        check=_check_template, summary=lambda t: t.code)


def template_update(*, actor, template: MessageTemplate, data: dict[str, Any]) -> MessageTemplate:
    require_marketing(actor)
    return audited_save(actor=actor, instance=template, data=take(data, TEMPLATE_FIELDS), check=_check_template,
                        summary=lambda t: t.code, always_record=False)


def template_delete(*, actor, template: MessageTemplate) -> None:
    require_marketing(actor)
    audited_delete(actor=actor, instance=template, summary=template.code)


# -- suppressions -------------------------------------------------------------------

def suppression_add(*, actor, channel: str, address: str = "", customer: Customer | None = None,
                    reason: str = SuppressionReason.MANUAL, note: str = "") -> Suppression:
    """Put an address or a customer on the list for ``channel`` (idempotent). ``actor`` None: the system
    (a bounce, an unsubscribe)."""
    if actor is not None:
        require_marketing(actor)
        if customer is not None and not policy_for(actor).can_view(customer):
            raise PermissionDenied(_("You may not see this customer."))
    address = gate.normalise_address(channel, address)
    if channel == Channel.EMAIL and address:
        from django.core.validators import validate_email

        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError({"address": _("Enter a valid e-mail address.")}) from None
    existing = Suppression.objects.filter(channel=channel, address=address,
                                          customer=customer if not address else None).first() if (
        address or customer) else None
    if existing is not None:
        return existing
    row = Suppression(channel=channel, address=address, customer=customer if not address else None,
                      reason=reason, note=note, added_by=actor if getattr(actor, "pk", None) else None)
    row.full_clean()
    with transaction.atomic():
        row.save()
        audit_record(actor=actor, action="suppress", instance=row, customer_id=customer.pk if customer else None,
                     changes=snapshot(row), summary=f"{channel} {address or customer}")
    return row


def suppression_remove(*, actor, suppression: Suppression) -> None:
    require_marketing(actor)
    with transaction.atomic():
        audit_record(actor=actor, action="unsuppress", instance=suppression, customer_id=suppression.customer_id,
                     changes=snapshot(suppression), summary=f"{suppression.channel} {suppression}")
        suppression.delete()


# -- settings and languages ------------------------------------------------------------

SETTINGS_FIELDS = tuple(f.name for f in GateSettings._meta.concrete_fields if f.name not in ("id", "updated_at"))


def settings_update(*, actor, data: dict[str, Any]) -> GateSettings:
    require_marketing(actor)
    unknown = set(data) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    row = GateSettings.current()

    def snap():   # times as text: the audit record is JSON
        return {k: v.isoformat() if isinstance(v, dt.time) else v for k, v in snapshot(row).items()}

    before = snap()
    for key, value in data.items():
        setattr(row, key, value)
    row.full_clean()
    with transaction.atomic():
        row.save()
        audit_record(actor=actor, action="update", instance=row, changes=diff(before, snap()),
                     summary="sending settings")
    return row


def customer_language_set(*, actor, customer: Customer, language: str) -> CustomerLanguage:
    """Write to ``customer`` in ``language`` from now on (whoever may change the customer, or manage outreach)."""
    policy = policy_for(actor)
    if not (policy.can_change(customer) or (policy.may_manage_outreach and policy.can_view(customer))):
        raise PermissionDenied(_("You may not change this customer."))
    if language not in Language.values:
        raise ValidationError({"language": _("Choose Chinese or English.")})
    with transaction.atomic():
        CustomerLanguage.objects.filter(customer=customer).delete()
        row = CustomerLanguage.objects.create(customer=customer, language=language)
        audit_record(actor=actor, action="update", instance=customer, customer_id=customer.pk,
                     changes={"message_language": [None, language]}, summary=customer.name)
    return row


def customer_language(customer: Customer) -> str:
    return gate.languages([customer.pk], GateSettings.current().default_language)[customer.pk]


# -- the unsubscribe link --------------------------------------------------------------

def unsubscribe_url(token: str) -> str:
    signed = signing.Signer(salt=UNSUBSCRIBE_SALT).sign(token)
    return f"{settings.KEHU_PUBLIC_URL.rstrip('/')}/u/{signed}/"


def message_for_unsubscribe(signed: str) -> OutboundMessage | None:
    """The message an unsubscribe link came in, or None for a link that is not ours."""
    try:
        token = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(signed)
    except signing.BadSignature:
        return None
    return OutboundMessage.objects.select_related("customer").filter(tracking_token=token).first()


def unsubscribe(*, message: OutboundMessage) -> bool:
    """Opt the customer out of the message's channel at once, and suppress the address the
    message went to (a contact's own address too). True when something changed."""
    channel = message.channel
    changed = False
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=message.customer_id)
        field = OPT_OUT_FIELDS.get(channel)
        if field and not getattr(customer, field):
            Customer.objects.filter(pk=customer.pk).update(**{field: True}, updated_at=timezone.now())
            audit_record(actor=None, action="unsubscribe", instance=customer, customer_id=customer.pk,
                         changes={field: [False, True]}, summary=customer.name)
            changed = True
        if message.address and not Suppression.objects.filter(
                channel=channel, address=gate.normalise_address(channel, message.address)).exists():
            suppression_add(actor=None, channel=channel, address=message.address, reason=SuppressionReason.UNSUBSCRIBED,
                            note=f"message {message.pk}")
            changed = True
        elif not message.address and not field and not Suppression.objects.filter(
                channel=channel, customer_id=customer.pk).exists():
            suppression_add(actor=None, channel=channel, customer=customer, reason=SuppressionReason.UNSUBSCRIBED)
            changed = True
    return changed


# -- sending ---------------------------------------------------------------------------

def _template(template) -> MessageTemplate:
    if isinstance(template, MessageTemplate):
        return template
    tpl = MessageTemplate.objects.filter(code=template).first()
    if tpl is None:
        raise ValidationError({"template": _("No template with the code %(code)s.") % {"code": template}})
    return tpl


def _source(source) -> tuple[str, int | None]:
    kind, ident = (source, None) if isinstance(source, str) else (source[0], source[1])
    if kind not in SourceKind.values:
        raise ValidationError({"source": _("Unknown source: %(kind)s") % {"kind": kind}})
    return kind, ident


def _address(channel: str, row: dict, contact: dict | None) -> str:
    person = contact or {}
    if channel == Channel.EMAIL:
        return person.get("email") or row.get("email") or ""
    if channel in (Channel.SMS, Channel.PHONE, Channel.WECHAT):
        return person.get("phone") or row.get("phone") or ""
    if channel == Channel.MAIL:
        return row.get("address") or ""
    return ""


class _Rendered:
    """A template's two language versions compiled once."""

    def __init__(self, tpl: MessageTemplate):
        self.versions = {}
        for lang in Language.values:
            used, subject, body = tpl.version(lang)
            self.versions[lang] = (used, rendering.Compiled(subject), rendering.Compiled(body))

    def render(self, lang: str, ctx: dict) -> tuple[str, str, str]:
        used, subject, body = self.versions[lang]
        return used, " ".join(subject.render(ctx).split())[:400], body.render(ctx)


def _new_tokens(n: int) -> list[str]:
    """``n`` tracking tokens as :func:`_new_token` makes them, the random bits read at once (a
    batch of a campaign: one system call instead of one a message)."""
    prefix = f"{time.time_ns() // 1_000_000:011x}"
    raw = base64.urlsafe_b64encode(secrets.token_bytes(12 * n)).decode()   # 12 bytes → 16 characters
    return [prefix + raw[i:i + 16] for i in range(0, 16 * n, 16)]


def _new_token() -> str:
    """A message's tracking token: the time in milliseconds (11 hex digits, so that a million new
    tokens go to the right-hand end of the unique index instead of all over it — on PostgreSQL the
    difference between an index in memory and one read from disk) and 96 random bits (what makes it
    unguessable; the unsubscribe link signs it as well)."""
    return f"{time.time_ns() // 1_000_000:011x}{secrets.token_urlsafe(12)}"


def _footer(language: str) -> str:
    with translation.override(language):
        return _("Unsubscribe from these e-mails")


def _sms_text(body: str, url: str, language: str, purpose: str) -> str:
    if purpose != Purpose.MARKETING:
        return body
    with translation.override(language):
        return f"{body} " + _("Unsubscribe: %(url)s") % {"url": url}


def send_many(*, customers, channel: str, purpose: str, template, context: dict | None = None,
              per_customer: dict[int, dict] | None = None, source=SourceKind.MANUAL, actor=None,
              now: dt.datetime | None = None, deliver: bool = True) -> dict[str, int]:
    """Pass many customers through the gate and send; counts by status (see the module docstring)."""
    counts, _messages = _send_all(customers=customers, channel=channel, purpose=purpose, template=template,
                                  context=context, per_customer=per_customer, source=source, actor=actor, now=now,
                                  deliver=deliver, contact=None, keep=False)
    return counts


def send(*, customer: Customer, channel: str, purpose: str, template, context: dict | None = None,
         source=SourceKind.MANUAL, contact: Contact | None = None, actor=None, now: dt.datetime | None = None,
         deliver: bool = True) -> OutboundMessage:
    """One customer (or one of its contacts) through the gate; the logged message."""
    if contact is not None and contact.customer_id != customer.pk:
        raise ValidationError({"contact": _("This contact is not the customer's.")})
    _counts, messages = _send_all(customers=[customer.pk], channel=channel, purpose=purpose, template=template,
                                  context=context, per_customer=None, source=source, actor=actor, now=now,
                                  deliver=deliver, contact=contact, keep=True)
    return messages[0]


def _send_all(*, customers, channel, purpose, template, context, per_customer, source, actor, now, deliver,
              contact, keep) -> tuple[dict[str, int], list[OutboundMessage]]:
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel: %(channel)s") % {"channel": channel}})
    if purpose not in Purpose.values:
        raise ValidationError({"purpose": _("Unknown purpose: %(purpose)s") % {"purpose": purpose}})
    tpl = _template(template)
    if tpl.channel != channel:
        raise ValidationError({"template": _("This template is written for another channel.")})
    kind, source_id = _source(source)
    now = now or timezone.now()
    settings_row = GateSettings.current()
    ids = _customer_ids(customers)
    if actor is not None:
        policy = policy_for(actor)
        scope = policy.visible if policy.may_manage_outreach else policy.changeable
        for start in range(0, len(ids), gate.BATCH):
            chunk = ids[start:start + gate.BATCH]
            allowed = set(scope(Customer.objects.filter(pk__in=chunk)).values_list("pk", flat=True))
            if set(chunk) - allowed:
                raise PermissionDenied(_("You may not send to these customers."))
    job = _Batch(channel=channel, purpose=purpose, tpl=tpl, context=context or {}, per_customer=per_customer or {},
                 kind=kind, source_id=source_id, actor=actor, now=now, settings_row=settings_row, deliver=deliver,
                 contact=contact, keep=keep)
    if len(ids) > gate.BATCH:
        job.suppression = gate.SuppressionList(channel)
    counts = Counter({s: 0 for s in STATUSES})
    kept: list[OutboundMessage] = []
    if len(ids) > gate.BATCH and job.may_write_behind():
        with _Writer() as writer:
            for start in range(0, len(ids), gate.BATCH):
                out, _rows = job.prepare(ids[start:start + gate.BATCH])
                writer.put(job.copy_text(out))
                counts.update(r[14] for r in out)
        return dict(counts), kept
    for start in range(0, len(ids), gate.BATCH):
        statuses, messages = job.send(ids[start:start + gate.BATCH])
        counts.update(statuses)
        kept.extend(messages)
    return dict(counts), kept


class _Writer:
    """Writes the log rows of one batch on a connection of its own while the next batch is prepared
    (PostgreSQL, outside any transaction, when nothing is delivered or returned: each batch is
    committed on its own either way). An error in the writer is raised in the sender at its next batch
    or at the end."""

    def __init__(self):
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="outreach-writer", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def _run(self) -> None:
        from django.db import connection as own   # this thread's connection

        try:
            while (rows := self.queue.get()) is not None:
                if self.error is None:
                    try:
                        with transaction.atomic():
                            _copy_messages(text=rows)
                    except BaseException as exc:  # noqa: BLE001 - handed to the sender
                        self.error = exc
        finally:
            own.close()

    def put(self, text: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(text)

    def __exit__(self, *exc_info):
        self.queue.put(None)
        self.thread.join()
        if self.error is not None and exc_info[0] is None:
            raise self.error
        return False


def _customer_ids(customers) -> list[int]:
    if hasattr(customers, "values_list"):
        return list(customers.order_by("pk").values_list("pk", flat=True))
    out = []
    for c in customers:
        out.append(c.pk if isinstance(c, Customer) else int(c))
    return list(dict.fromkeys(out))


# OutboundMessage's columns in the order the log rows are built (a test checks it is the model's)
MESSAGE_COLUMNS = ("id", "updated_at", "created_at", "customer_id", "contact_id", "channel", "purpose", "template_id",
                   "source_kind", "source_id", "language", "address", "subject", "body", "status", "reason", "due_at",
                   "sent_at", "error", "provider_ref", "tracking_token", "task_id", "actor_id")
CUSTOMER_FIELDS = ("id", "name", "ref", "city", "email", "phone", "address", "owner_id")


class _Batch:
    """One call's sending, batch by batch: what is the same for every batch is worked out once (the
    template compiled, the sender's context, the owners met so far), and each batch asks the gate in
    a few queries, renders, and writes its log rows in one statement — PostgreSQL's ``COPY`` with ids
    taken from the sequence, ``bulk_create`` elsewhere. Model instances are made only for the messages
    that are delivered, become tasks or are returned (:func:`send`)."""

    def __init__(self, *, channel, purpose, tpl, context, per_customer, kind, source_id, actor, now, settings_row,
                 deliver, contact, keep):
        self.channel, self.purpose, self.tpl, self.now, self.settings_row = channel, purpose, tpl, now, settings_row
        self.per_customer, self.contact, self.keep = per_customer, contact, keep
        self.context = context
        self.compiled = _Rendered(tpl)
        self.sender_ctx = rendering.sender_context(context)
        self.contact_row = ({"name": contact.name, "title": contact.title, "email": contact.email,
                             "phone": contact.phone} if contact is not None else None)
        self.actor_id = actor.pk if getattr(actor, "pk", None) else None
        self.actor = actor if self.actor_id else None
        # the link is signed only where the text shows it (e-mail adds it at delivery)
        self.wants_link = any("unsubscribe_url" in t for t in (tpl.subject_zh, tpl.body_zh, tpl.subject_en,
                                                               tpl.body_en))
        self.fields = CUSTOMER_FIELDS + tuple(consent_fields(channel))
        self.owners: dict[int, tuple[dict, dict]] = {}
        # the whole list once per sending only for a sending of several batches; one message (a coupon's
        # notice, a referral's) asks for its own entries, not for up to 50,000
        self.suppression: gate.SuppressionList | None = None
        self.delivers = channel == Channel.PHONE or (deliver and channel in gate.DELIVERED_HERE)
        # the columns every message of the call shares
        self.head = (None, now, now)
        self.middle = (contact.pk if contact is not None else None, channel, purpose, tpl.pk, kind, source_id)
        self.tail = (None, "", "")
        self.end = (None, self.actor_id)

    def _owners(self, rows) -> None:
        missing = {r["owner_id"] for r in rows.values() if r["owner_id"] and r["owner_id"] not in self.owners}
        for u in User.objects.filter(pk__in=missing):
            row = {"name": str(u), "phone": u.phone, "email": u.email}
            self.owners[u.pk] = (row, rendering.owner_context(row))

    def _customers(self, ids) -> dict[int, dict]:
        """Customer id → the fields the gate and the templates need. On PostgreSQL the rows come
        from the cursor as they are (none of these fields converts its value on reading), without
        the ORM's per-row work: a campaign of a million reads 200 batches of them."""
        qs = Customer.objects.filter(pk__any=set(ids))
        if connection.vendor != "postgresql":
            return {r["id"]: r for r in qs.values(*self.fields)}
        sql, params = qs.values_list(*self.fields).query.sql_with_params()
        fields = self.fields
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {r[0]: dict(zip(fields, r)) for r in cursor.fetchall()}

    def copy_text(self, out: list[tuple]) -> bytes:
        """:func:`copy_text` of this call's rows, faster: the columns every row of the call shares
        (:attr:`head`, :attr:`middle`, :attr:`tail`, :attr:`end`) are formatted once, and only the
        customer, the texts, the outcome and the token per row (a test compares the two)."""
        shared = copy_text([(None, *self.head[1:], 0, *self.middle, "", "", "", "", "", "", None, *self.tail, "",
                             *self.end)]).decode()[:-1].split("\t")
        before = "\t".join(shared[:2]) + "\t"                  # updated_at, created_at
        middle = "\t" + "\t".join(shared[3:9]) + "\t"         # contact … source_id
        after = "\t" + "\t".join(shared[16:19]) + "\t"         # sent_at, error, provider_ref
        end = "\t" + "\t".join(shared[20:]) + "\n"            # task, actor
        escape = _copy_escape
        due_texts: dict = {None: "\\N"}
        lines = []
        for r in out:
            due = r[16]
            due_text = due_texts.get(due)
            if due_text is None:
                due_text = due_texts[due] = str(due)
            lines.append(f"{before}{r[3]}{middle}{r[10]}\t{escape(r[11])}\t{escape(r[12])}\t{escape(r[13])}\t"
                         f"{r[14]}\t{r[15]}\t{due_text}{after}{r[20]}{end}")
        return "".join(lines).encode()

    def may_write_behind(self) -> bool:
        return connection.vendor == "postgresql" and not connection.in_atomic_block and not (
            self.keep or self.delivers)

    def send(self, ids) -> tuple[list[str], list[OutboundMessage]]:
        out, rows = self.prepare(ids)
        with transaction.atomic():
            out = _write_messages(out)
        return self.finish(out, rows)

    def prepare(self, ids) -> tuple[list[tuple], dict]:
        """The batch's log rows (id None) and the customers read for them."""
        channel, now = self.channel, self.now
        rows = self._customers(ids)
        ids = [i for i in ids if i in rows]
        self._owners(rows)
        contact_row = self.contact_row
        addresses = {cid: _address(channel, rows[cid], contact_row) for cid in ids}
        decisions = gate.decide(channel=channel, purpose=self.purpose, customers=[rows[i] for i in ids],
                                addresses=addresses, gate=self.settings_row, now=now,
                                suppression=self.suppression.current() if self.suppression else None)
        langs = gate.languages(ids, self.settings_row.default_language)
        render, build, per_customer = self.compiled.render, rendering.build_context, self.per_customer
        no_owner = (None, rendering.owner_context(None))
        head, middle, tail, end = self.head, self.middle, self.tail, self.end
        out = []
        for cid, token in zip(ids, _new_tokens(len(ids))):
            row = rows[cid]
            status, reason, due_at = decisions[cid]
            url = unsubscribe_url(token) if self.wants_link else ""
            owner, owner_ctx = self.owners.get(row["owner_id"], no_owner)
            own = per_customer.get(cid)
            sender_ctx = rendering.sender_context({**self.context, **own}) if own else self.sender_ctx
            ctx = build(customer=row, contact=contact_row, owner=owner, sender=None, unsubscribe_url=url,
                        sender_ctx=sender_ctx, owner_ctx=owner_ctx)
            used, subject, body = render(langs[cid], ctx)
            out.append(head + (cid,) + middle + (used, addresses[cid], subject, body, status, reason, due_at) + tail
                       + (token,) + end)
        return out, rows

    def finish(self, out: list[tuple], rows: dict) -> tuple[list[str], list[OutboundMessage]]:
        """After the rows are written: deliver, make the phone tasks, the messages to return."""
        channel, now = self.channel, self.now
        statuses = [r[14] for r in out]
        if not (self.keep or self.delivers):
            return statuses, []
        messages = [self._message(r) for r in out] if self.keep else []
        ready = ([m for m in messages if m.status == Status.QUEUED] if self.keep else
                 [self._message(r) for r in out if r[14] == Status.QUEUED])
        if channel == Channel.PHONE:
            _phone_tasks(ready, rows, now)
        elif self.delivers:
            _deliver(ready, now=now)
        if self.keep:
            return [m.status for m in messages], messages
        final = {m.pk: m.status for m in ready}   # delivered: sent or failed now
        return [final.get(r[0], r[14]) for r in out], []

    def _message(self, row) -> OutboundMessage:
        m = OutboundMessage(**dict(zip(MESSAGE_COLUMNS, row)))
        m._state.adding, m._state.db = False, "default"
        m.template = self.tpl
        if self.contact is not None:
            m.contact = self.contact
        if self.actor is not None:
            m.actor = self.actor
        return m


def _write_messages(rows: list[tuple]) -> list[tuple]:
    """Insert log rows (:data:`MESSAGE_COLUMNS`, id None); the rows with their ids."""
    if not rows:
        return rows
    if connection.vendor == "postgresql":
        table = OutboundMessage._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                           [table, len(rows)])
            rows = [(pk,) + r[1:] for (pk,), r in zip(cursor.fetchall(), rows)]
            with cursor.cursor.copy(f"COPY {table} ({', '.join(MESSAGE_COLUMNS)}) FROM STDIN") as copy:
                write = copy.write_row
                for r in rows:
                    write(r)
        return rows
    objs = [OutboundMessage(**dict(zip(MESSAGE_COLUMNS, r))) for r in rows]
    OutboundMessage.objects.bulk_create(objs, batch_size=1000)
    if objs[0].pk is None:   # a database that does not return ids
        by_token = dict(OutboundMessage.objects.filter(tracking_token__in=[m.tracking_token for m in objs])
                        .values_list("tracking_token", "pk"))
        for m in objs:
            m.pk = m.id = by_token[m.tracking_token]
    return [(m.pk,) + r[1:] for m, r in zip(objs, rows)]


_COPY_COLUMNS = ", ".join(MESSAGE_COLUMNS[1:])


def _copy_escape(text: str) -> str:
    """A value in ``COPY``'s text format: backslash, tab, newline and carriage return escaped."""
    if text.isprintable() and "\\" not in text:
        return text
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_text(rows: list[tuple]) -> bytes:
    """Log rows (:data:`MESSAGE_COLUMNS`) without their id as ``COPY … FROM STDIN`` text: one line a row,
    ``\\N`` for NULL, the other values (datetimes, numbers) as PostgreSQL reads their ``str``. Formatted
    here because psycopg's ``write_row`` asks for a dumper per value, which was two thirds of the
    writer's time for a million messages; the shared values (the call's time, the template) are
    formatted once per batch."""
    memo: dict = {}
    escape = _copy_escape
    lines = []
    for row in rows:
        parts = []
        for value in row[1:]:
            kind = value.__class__
            if kind is str:
                parts.append(escape(value))
            elif kind is int:
                parts.append(str(value))
            else:
                text = memo.get((kind, value))
                if text is None:
                    text = memo[kind, value] = "\\N" if value is None else str(value)
                parts.append(text)
        lines.append("\t".join(parts))
    lines.append("")
    return "\n".join(lines).encode()


def _copy_messages(rows: list[tuple] | None = None, *, text: bytes | None = None) -> None:
    """Insert log rows whose ids nobody needs (the writer behind a large send): one ``COPY`` of
    :func:`copy_text` (or of ``text`` made already), the ids left to the column's default."""
    text = copy_text(rows) if text is None else text
    if text:
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {OutboundMessage._meta.db_table} ({_COPY_COLUMNS}) FROM STDIN") as copy:
                copy.write(text)


def _phone_tasks(messages: list[OutboundMessage], rows: dict, now) -> None:
    from kehu.engagement.models import TaskSource
    from kehu.engagement.services import task_create_from_source

    for m in messages:
        owner_id = rows[m.customer_id]["owner_id"]
        task, _created = task_create_from_source(
            customer=m.customer if hasattr(m, "_customer_cache") else Customer(pk=m.customer_id),
            assigned_to=User(pk=owner_id) if owner_id else None, source=TaskSource.CARE,
            source_ref={"outreach_message": m.pk}, title=(m.subject or _("Call the customer"))[:200],
            description=m.body[:10_000], due_on=timezone.localdate(now))
        OutboundMessage.objects.filter(pk=m.pk).update(task=task)
        m.task = task


def _deliver(messages: list[OutboundMessage], *, now) -> None:
    """Deliver queued e-mail or SMS messages; each ends sent or failed."""
    if not messages:
        return
    channel = messages[0].channel
    if channel == Channel.EMAIL:
        connection = channels.email_connection()
        try:
            connection.open()
            for m in messages:
                url = unsubscribe_url(m.tracking_token)
                try:
                    email = channels.email_message(to=m.address, subject=m.subject, body=m.body, unsubscribe_url=url,
                                                   footer=_footer(m.language), connection=connection)
                    email.send()
                    m.status, m.sent_at, m.error = Status.SENT, timezone.now(), ""
                except Exception as exc:  # noqa: BLE001 - one bad address must not stop the batch
                    log.warning("e-mail to message %s failed: %s", m.pk, exc)
                    m.status, m.error = Status.FAILED, str(exc)[:300]
        except Exception as exc:  # noqa: BLE001 - the server is down: every message failed
            log.warning("mail server unavailable: %s", exc)
            for m in messages:
                if m.status == Status.QUEUED:
                    m.status, m.error = Status.FAILED, str(exc)[:300]
        finally:
            try:
                connection.close()
            except Exception:  # noqa: BLE001
                pass
    elif channel == Channel.SMS:
        provider = channels.sms_provider()
        for m in messages:
            result = provider.send(m.address, _sms_text(m.body, unsubscribe_url(m.tracking_token), m.language,
                                                        m.purpose))
            if result.ok:
                m.status, m.sent_at, m.provider_ref, m.error = Status.SENT, timezone.now(), result.ref, ""
            else:
                m.status, m.error = Status.FAILED, result.error[:300]
    for m in messages:
        m.updated_at = timezone.now()
    OutboundMessage.objects.bulk_update(messages, ["status", "sent_at", "error", "provider_ref", "updated_at"],
                                        batch_size=500)


def deliver_queued(*, channel: str, limit: int = 5000) -> int:
    """Deliver up to ``limit`` queued e-mail or SMS messages (the worker's job after ``deliver=False``)."""
    if channel not in gate.DELIVERED_HERE:
        raise ValidationError({"channel": _("Only e-mail and SMS are delivered by Kehu.")})
    messages = list(OutboundMessage.objects.filter(channel=channel, status=Status.QUEUED).order_by("id")[:limit])
    _deliver(messages, now=timezone.now())
    return len(messages)


def release_deferred(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Send the deferred messages whose quiet hours are over, after asking the gate again
    about consent and the suppression list (either may have changed since)."""
    now = now or timezone.now()
    counts = Counter()
    due = list(OutboundMessage.objects.filter(status=Status.DEFERRED, due_at__lte=now).order_by("id")[:gate.BATCH])
    by_channel: dict[tuple[str, str], list[OutboundMessage]] = {}
    for m in due:
        by_channel.setdefault((m.channel, m.purpose), []).append(m)
    for (channel, purpose), msgs in by_channel.items():
        from kehu.privacy.consent import hold_reasons

        consent = hold_reasons([m.customer_id for m in msgs], channel=channel, purpose=purpose)
        supp_ids, supp_addrs = gate.suppressed(channel, [m.customer_id for m in msgs], [m.address for m in msgs])
        ready = []
        for m in msgs:
            if consent.get(m.customer_id):
                m.status, m.reason = Status.HELD, consent[m.customer_id]
            elif m.customer_id in supp_ids or gate.normalise_address(channel, m.address) in supp_addrs:
                m.status, m.reason = Status.HELD, HoldReason.SUPPRESSED
            else:
                m.status = Status.QUEUED
                ready.append(m)
        held = [m for m in msgs if m.status == Status.HELD]
        OutboundMessage.objects.bulk_update(held, ["status", "reason"])
        OutboundMessage.objects.filter(pk__in=[m.pk for m in ready]).update(status=Status.QUEUED)
        _deliver(ready, now=now)
        for m in msgs:
            counts[m.status] += 1
    return dict(counts)


def mark_sent(*, actor, channel: str, ids: Iterable[int] | None = None) -> int:
    """The exported WeChat or direct-mail list went out: its queued messages (those of ``ids``, else all
    the actor may see) become sent."""
    require_marketing(actor)
    if channel not in (Channel.WECHAT, Channel.MAIL):
        raise ValidationError({"channel": _("Only WeChat and direct-mail lists are marked as sent by hand.")})
    qs = policy_for(actor).visible(OutboundMessage.objects.filter(channel=channel, status=Status.QUEUED),
                                   prefix="customer__")
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    with transaction.atomic():
        n = qs.update(status=Status.SENT, sent_at=timezone.now(), updated_at=timezone.now())
        if n:
            audit_record(actor=actor, action="mark_sent", instance=GateSettings.objects.get_or_create(pk=1)[0],
                         summary=f"{channel}: {n}")
    return n


# -- preview ---------------------------------------------------------------------------------

SAMPLE = {"coupon": {"code": "SAMPLE-8K2Q", "value": "¥50", "valid_until": "2026-12-31"},
          "campaign": {"name": "Spring / 春季"}, "referral": {"code": "R-1234", "link": "https://example.com/r/1234"},
          "member": {"number": "M00001234", "tier": "金卡", "tier_en": "Gold", "expires_on": "2027-06-30"},
          "link": "https://example.com/l/abc"}


def preview(*, template: MessageTemplate, customer: Customer | None, viewer=None, context: dict | None = None,
            now: dt.datetime | None = None) -> dict:
    """The template in both languages for ``customer`` (a sample customer when None), with sample
    values for what a sender adds, and what the gate would do with it now — nothing is written."""
    now = now or timezone.now()
    settings_row = GateSettings.current()
    if customer is not None:
        row = {"id": customer.pk, "name": customer.name, "ref": customer.ref, "city": customer.city,
               "email": customer.email, "phone": customer.phone, "address": customer.address}
        owner = customer.owner
        owner_row = {"name": str(owner), "phone": owner.phone, "email": owner.email} if owner else None
    else:
        row = {"id": None, "name": _("Sample customer"), "ref": "C00000000", "city": "上海"}
        owner_row = {"name": str(viewer) if viewer else "", "phone": getattr(viewer, "phone", ""),
                     "email": getattr(viewer, "email", "")}
    ctx = rendering.build_context(customer=row, contact=None, owner=owner_row, sender=context or SAMPLE,
                                  unsubscribe_url=f"{settings.KEHU_PUBLIC_URL.rstrip('/')}/u/…/")
    compiled = _Rendered(template)
    versions = []
    for lang in Language.values:
        used, subject, body = compiled.render(lang, ctx)
        if used == lang:
            versions.append({"language": lang, "label": Language(lang).label, "subject": subject, "body": body})
    out = {"versions": versions, "gate": None, "language": None}
    if customer is not None:
        address = _address(template.channel, row, None)
        status, reason, due_at = gate.decide(channel=template.channel, purpose=template.purpose, customers=[row],
                                             addresses={customer.pk: address}, gate=settings_row,
                                             now=now)[customer.pk]
        out["gate"] = {"status": status, "status_label": Status(status).label,
                       "reason": reason, "reason_label": HoldReason(reason).label if reason else "",
                       "due_at": due_at, "address": address}
        out["language"] = gate.languages([customer.pk], settings_row.default_language)[customer.pk]
    return out
