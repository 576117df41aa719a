"""``send_many`` (consent read with the customers, arrays for the batch queries, rows written with
COPY, on PostgreSQL outside a transaction by a writer thread while the next batch is prepared) against
an oracle that asks every rule of the gate one customer at a time through the public per-customer
functions and renders with Django's own template engine: the same status, reason, due time,
language, address, subject and body for a mixed audience — consent given, missing, withdrawn, opted
out; suppressed by customer or by address; no address; capped or not by the frequency cap; quiet
hours; two languages; a code of its own for one customer; the unsubscribe link in the text."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing
from django.template import Context

from kehu.customers.models import Customer
from kehu.marketing.outreach import gate, rendering
from kehu.marketing.outreach import services as outreach
from kehu.marketing.outreach.models import (
    CustomerLanguage, GateSettings, MessageTemplate, OutboundMessage, Suppression,
)
from kehu.privacy.consent import hold_reason

from .conftest import DAYTIME, NIGHT

CONTEXT = {"coupon": {"code": "SPRING", "value": "¥50"}, "campaign": {"name": "春季"}}


def _audience(owner):
    from tests.factories import CustomerFactory

    def make(i, **kw):
        data = {"consent_marketing": True, "consent_data_processing": True, "phone": f"1380000{i:04d}",
                "owner": owner, "name": f"客户{i}", "city": "杭州"}
        data.update(kw)
        return CustomerFactory(**data)

    cs = {
        "ok": make(1), "ok_en": make(2), "ok_own_code": make(3),
        "no_consent": make(4, consent_marketing=False, consent_data_processing=False),
        "service_only": make(5, consent_marketing=False),
        "opted_out": make(7, opt_out_sms=True),
        "supp_customer": make(8), "supp_address": make(9, phone="138-0000-0009"),
        "no_address": make(10, phone=""),
        "capped": make(11), "one_before": make(12), "old_ones": make(13), "held_before": make(14),
        "plus_phone": make(15, phone="+86 138 0000 0015"),
    }
    withdrawn = make(6, consent_marketing=False)
    Customer.objects.filter(pk=withdrawn.pk).update(consent_updated_at=DAYTIME - dt.timedelta(days=3))
    cs["withdrawn"] = withdrawn
    for i in range(16, 40):   # plain ones, to fill several batches
        cs[f"plain{i}"] = make(i, **({"consent_marketing": False} if i % 7 == 0 else {}))
    CustomerLanguage.objects.create(customer=cs["ok_en"], language="zh-hans")
    CustomerLanguage.objects.create(customer=cs["ok_en"], language="en")   # the newest wins
    CustomerLanguage.objects.create(customer=cs["plain17"], language="en")
    Suppression.objects.create(channel="sms", customer=cs["supp_customer"])
    Suppression.objects.create(channel="sms", address="13800000009")
    Suppression.objects.create(channel="email", customer=cs["ok"])   # another channel: no effect
    tpl = MessageTemplate.objects.get(code="eq")
    before = [("capped", 2, "queued", 5), ("one_before", 1, "sent", 5), ("old_ones", 3, "sent", 40),
              ("held_before", 3, "held", 2)]
    for key, n, status, days in before:
        for j in range(n):
            OutboundMessage.objects.create(customer=cs[key], channel="sms", purpose="marketing", template=tpl,
                                           source_kind="test", language="zh-hans", status=status,
                                           tracking_token=f"{key}-{j}", created_at=DAYTIME - dt.timedelta(days=days))
    return cs


@pytest.fixture
def audience(org):
    GateSettings.objects.create(pk=1)
    MessageTemplate.objects.create(
        code="eq", name="Eq", channel="sms", purpose="marketing",
        body_zh="{{ customer.name }}（{{ customer.city }}）您好：{{ campaign.name }}优惠码 {{ coupon.code }}，"
                "{{ owner.name }}。退订 {{ unsubscribe_url }}",
        body_en="Dear {{ contact.name }}, code {{ coupon.code }} ({{ coupon.value }}). {{ unsubscribe_url }}")
    return _audience(org.users.sales_n1)


def _expected(customer: Customer, tpl: MessageTemplate, now: dt.datetime, token: str, own: dict | None):
    """What the gate must do with one customer, asked rule by rule."""
    customer.refresh_from_db()
    settings_row = GateSettings.current()
    address = customer.phone
    reason = hold_reason(customer, channel="sms", purpose="marketing")
    cap, days = settings_row.cap("sms")
    recent = OutboundMessage.objects.filter(customer=customer, channel="sms", purpose="marketing",
                                            status__in=["queued", "deferred", "sent"],
                                            created_at__gte=now - dt.timedelta(days=days)).exclude(
        tracking_token=token).count()
    quiet = gate.quiet_until(settings_row, "sms", now)
    if reason:
        status, due = ("held", reason), None
    elif (Suppression.objects.filter(channel="sms", customer=customer).exists()
          or (address and Suppression.objects.filter(channel="sms",
                                                     address=gate.normalise_address("sms", address)).exists())):
        status, due = ("held", "suppressed"), None
    elif not address:
        status, due = ("held", "no_address"), None
    elif recent >= cap:
        status, due = ("held", "capped"), None
    elif quiet is not None:
        status, due = ("deferred", ""), quiet
    else:
        status, due = ("queued", ""), None
    chosen = CustomerLanguage.objects.filter(customer=customer).order_by("-id").first()
    language, _subject, body = tpl.version(chosen.language if chosen else settings_row.default_language)
    owner = customer.owner
    ctx = {"customer": {"name": customer.name, "ref": customer.ref, "city": customer.city},
           "contact": {"name": customer.name, "title": ""},
           "owner": {"name": str(owner), "phone": owner.phone, "email": owner.email},
           "unsubscribe_url": outreach.unsubscribe_url(token),
           "coupon": {**CONTEXT["coupon"], **((own or {}).get("coupon") or {})}, "campaign": CONTEXT["campaign"],
           "referral": {}, "link": ""}
    text = rendering.ENGINE.from_string(body).render(Context(ctx, autoescape=False))
    return status, due, language, address, text


def _check(audience, now, per_customer):
    tpl = MessageTemplate.objects.get(code="eq")
    ids = [c.pk for c in audience.values()]
    counts = outreach.send_many(customers=ids + ids[:3], channel="sms", purpose="marketing", template=tpl,
                                context=CONTEXT, per_customer=per_customer, source=("campaign", 42), now=now,
                                deliver=False)
    sent = {m.customer_id: m for m in OutboundMessage.objects.filter(source_kind="campaign", source_id=42)}
    assert len(sent) == len(ids) and sum(counts.values()) == len(ids)
    tally = {}
    for key, c in audience.items():
        m = sent[c.pk]
        (status, reason), due, language, address, body = _expected(c, tpl, now, m.tracking_token,
                                                                  per_customer.get(c.pk))
        assert (m.status, m.reason, m.due_at, m.language, m.address, m.body) == (
            status, reason, due, language, address, body), key
        assert (m.purpose, m.template_id, m.source_kind, m.created_at, m.actor_id) == (
            "marketing", tpl.pk, "campaign", now, None)
        tally[m.status] = tally.get(m.status, 0) + 1
    assert counts == {"queued": 0, "sent": 0, "held": 0, "deferred": 0, "failed": 0, **tally}
    # every token its own, and the link in the text opens the message it came in
    assert len({m.tracking_token for m in sent.values()}) == len(ids)
    m = sent[audience["ok"].pk]
    signed = m.body.rsplit("/u/", 1)[1].rstrip("/")
    assert outreach.message_for_unsubscribe(signed).pk == m.pk
    assert signing.Signer(salt=outreach.UNSUBSCRIBE_SALT).unsign(signed) == m.tracking_token
    return {key: sent[c.pk] for key, c in audience.items()}


def _outcomes(audience, now, per_customer):
    got = _check(audience, now, per_customer)
    assert got["no_consent"].reason == "no_consent" and got["withdrawn"].reason == "withdrawn"
    assert got["opted_out"].reason == "opted_out" and got["service_only"].reason in ("no_consent", "withdrawn")
    assert got["supp_customer"].reason == got["supp_address"].reason == "suppressed"
    assert got["no_address"].reason == "no_address" and got["capped"].reason == "capped"
    for key in ("one_before", "old_ones", "held_before", "ok", "plus_phone"):
        assert got[key].status in ("queued", "deferred"), key
    assert got["ok_en"].language == "en" and got["ok_en"].body.startswith("Dear 客户2, code SPRING (¥50).")
    assert "优惠码 OWN-3" in got["ok_own_code"].body and "优惠码 SPRING" in got["ok"].body
    return got


@pytest.mark.django_db
@pytest.mark.parametrize("now", [DAYTIME, NIGHT], ids=["day", "quiet hours"])
def test_mixed_audience_in_a_transaction(audience, now, monkeypatch):
    monkeypatch.setattr(gate, "BATCH", 7)   # several batches
    got = _outcomes(audience, now, {audience["ok_own_code"].pk: {"coupon": {"code": "OWN-3"}}})
    assert got["ok"].status == ("deferred" if now == NIGHT else "queued")


@pytest.mark.django_db(transaction=True)
def test_mixed_audience_written_behind(audience, monkeypatch):
    """Outside a transaction: on PostgreSQL the rows go through the writer thread."""
    from django.db import connection

    monkeypatch.setattr(gate, "BATCH", 7)
    calls, behind = [], []
    real, put, copy = outreach._write_messages, outreach._Writer.put, outreach._copy_messages
    monkeypatch.setattr(outreach, "_write_messages", lambda rows: calls.append(len(rows)) or real(rows))
    monkeypatch.setattr(outreach, "_copy_messages",
                        lambda rows=None, *, text: calls.append(text.count(b"\n")) or copy(text=text))
    monkeypatch.setattr(outreach._Writer, "put", lambda self, text: behind.append(text.count(b"\n")) or put(self, text))
    fast, compared = outreach._Batch.copy_text, []

    def checked(self, out):   # the writer's fast COPY text is the reference one of the same rows
        text = fast(self, out)
        assert text == outreach.copy_text(out)
        compared.append(len(out))
        return text

    monkeypatch.setattr(outreach._Batch, "copy_text", checked)
    _outcomes(audience, NIGHT, {audience["ok_own_code"].pk: {"coupon": {"code": "OWN-3"}}})
    assert sum(calls) == len(audience) and len(calls) == -(-len(audience) // 7)
    assert compared == (calls if connection.vendor == "postgresql" else [])
    assert behind == (calls if connection.vendor == "postgresql" else [])


def test_message_columns_are_the_models():
    assert outreach.MESSAGE_COLUMNS == tuple(f.attname for f in OutboundMessage._meta.concrete_fields)


def test_the_customer_fields_read_from_the_cursor_convert_nothing():
    """``_Batch._customers`` reads these fields from the cursor without the ORM's converters (on
    PostgreSQL): a field that converts its value on reading must not join them unnoticed."""
    from kehu.privacy.consent import consent_fields

    for channel in ("email", "sms", "wechat", "mail", "phone"):
        for name in outreach.CUSTOMER_FIELDS + tuple(consent_fields(channel)):
            field = next(f for f in Customer._meta.concrete_fields if name in (f.name, f.attname))
            assert not hasattr(field, "from_db_value"), name


@pytest.mark.django_db
def test_any_lookup_is_in(audience):
    import kehu.lookups  # noqa: F401

    ids = [c.pk for c in list(audience.values())[:5]]
    assert set(Customer.objects.filter(pk__any=set(ids)).values_list("pk", flat=True)) == set(ids)
    assert set(Suppression.objects.filter(customer_id__any={audience["supp_customer"].pk, -1})
               .values_list("channel", flat=True)) == {"sms"}
    assert list(Suppression.objects.filter(address__any={"13800000009", "x"}).values_list("address", flat=True)) \
        == ["13800000009"]
    odd = ["", "a,b", "{x}", "NULL", 'a"b', "a\\b", "客户 1", " lead"]   # one array literal on PostgreSQL
    for text in odd:
        Suppression.objects.create(channel="wechat", address=text or "-")
    assert sorted(Suppression.objects.filter(channel="wechat", address__any=set(odd) | {"-"})
                  .values_list("address", flat=True)) == sorted([t or "-" for t in odd])
    assert not Suppression.objects.filter(channel="wechat", address__any={"a", "b", "x", "NUL"}).exists()
    assert not Customer.objects.filter(pk__any=set()).exists()


@pytest.mark.django_db(transaction=True)
def test_copy_text_writes_what_the_plain_path_writes(audience):
    """The writer's own ``COPY`` text (ids from the column's default) stores every column as the plain
    path does, including text with tabs, newlines, backslashes and carriage returns, NULLs, dates."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the COPY text is PostgreSQL's")
    tpl = MessageTemplate.objects.create(code="COPY", name="copy", channel="sms", body_zh="x", body_en="x")
    customer = audience["ok"]
    odd = "a\tb\\c\nd\re 客户 \\N"
    now = dt.datetime(2026, 12, 6, 1, 2, 3, 456789, tzinfo=dt.timezone.utc)
    base = (None, now, now, customer.pk, None, "sms", "marketing", tpl.pk, "campaign", 42, "zh-hans", odd,
            "", odd, "deferred", "quiet_hours", now + dt.timedelta(hours=7), None, "", "", "", None, None)
    rows = [base[:20] + (f"tok-plain-{i}",) + base[21:] for i in range(2)]
    copied = [base[:20] + (f"tok-copy-{i}",) + base[21:] for i in range(2)]
    outreach._write_messages(rows)
    outreach._copy_messages(copied)
    fields = [c for c in outreach.MESSAGE_COLUMNS if c not in ("id", "tracking_token")]
    plain = list(OutboundMessage.objects.filter(tracking_token__startswith="tok-plain").order_by("tracking_token")
                 .values_list(*fields))
    other = list(OutboundMessage.objects.filter(tracking_token__startswith="tok-copy").order_by("tracking_token")
                 .values_list(*fields))
    assert plain == other and len(other) == 2
    assert other[0][fields.index("body")] == odd and other[0][fields.index("due_at")] == now + dt.timedelta(hours=7)


@pytest.mark.django_db(transaction=True)
def test_a_suppression_added_during_a_sending_holds_the_next_batch(audience, monkeypatch):
    """The list is read once and again only when it changed: an address suppressed between two
    batches of one call holds the later batch (the one gate's promise)."""
    monkeypatch.setattr(gate, "BATCH", 2)
    ok = [audience[k] for k in ("plain16", "plain18", "plain19", "plain20")]
    target = ok[-1]
    real = outreach._Batch.prepare
    seen = []

    def prepare(self, ids):
        if len(seen) == 1:   # after the first batch: suppress the last customer's address
            Suppression.objects.create(channel="sms", address=target.phone)
        seen.append(list(ids))
        return real(self, ids)

    monkeypatch.setattr(outreach._Batch, "prepare", prepare)
    tpl = MessageTemplate.objects.get(code="eq")
    outreach.send_many(customers=[c.pk for c in ok], channel="sms", purpose="marketing", template=tpl,
                       now=DAYTIME, deliver=False)
    assert len(seen) == 2 and target.pk in seen[1]
    last = OutboundMessage.objects.filter(customer=target).latest("id")
    assert (last.status, last.reason) == ("held", "suppressed")
