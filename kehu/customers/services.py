"""Writes to customers, contacts, tags and shares. Every write is atomic,
validated with ``full_clean()`` and audited."""

from __future__ import annotations

from typing import Any, Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record, diff, snapshot
from kehu.customers.models import Anniversary, Contact, Customer, CustomerShare, Tag
from kehu.customers.search import name_keys, normalise_phone
from kehu.numbering.services import save_numbered
from kehu.org.policies import policy_for
from kehu.validators import TAG_LENGTH_MAX, TAGS_PER_CUSTOMER_MAX

CUSTOMER_FIELDS = {
    f.name for f in Customer._meta.concrete_fields
    if f.editable and f.name not in ("id", "created_at", "updated_at", "merged_into", "team")
}
ANNIVERSARY_FIELDS = {"label", "date"}
CONTACT_FIELDS = {
    f.name for f in Contact._meta.concrete_fields
    if f.editable and f.name not in ("id", "created_at", "updated_at", "customer")
}


def _apply_keys(customer: Customer) -> None:
    customer.name = (customer.name or "").strip()
    customer.name_key, customer.name_pinyin, customer.name_initials = name_keys(customer.name)
    customer.phone = normalise_phone(customer.phone)
    customer.email = (customer.email or "").strip().lower()
    # An owned customer is its owner's team's; one without an owner stays in the pool it is
    # in (its team's, or the company's when it has no team: kehu.sales.pool).
    if customer.owner_id:
        customer.team_id = customer.owner.team_id


def next_customer_ref() -> str:
    """A new customer code ``C`` + 8 digits, from the customer counter (atomic; skips codes
    typed by hand: :mod:`kehu.numbering.services`)."""
    from kehu.numbering.services import next_code

    return next_code("customer")


def check_tags(tag_names: Iterable[str]) -> list[str]:
    """The distinct, stripped tag names, or ``ValidationError`` on ``tags`` when
    there are more than a customer may carry or one is too long."""
    names = sorted({t.strip() for t in tag_names if t and t.strip()})
    long = [n for n in names if len(n) > TAG_LENGTH_MAX]
    if long:
        raise ValidationError({"tags": _("A tag has at most %(max)d characters (“%(tag)s…”).") % {
            "max": TAG_LENGTH_MAX, "tag": long[0][:20]}})
    if len(names) > TAGS_PER_CUSTOMER_MAX:
        raise ValidationError({"tags": _("A customer has at most %(max)d tags (%(count)d given).") % {
            "max": TAGS_PER_CUSTOMER_MAX, "count": len(names)}})
    return names


def set_tags(customer: Customer, tag_names: Iterable[str]) -> None:
    names = check_tags(tag_names)
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    tags = [existing.get(n) or Tag.objects.create(name=n) for n in names]
    customer.tags.set(tags)


def customer_create(*, actor, data: dict[str, Any], tags: Iterable[str] | None = None,
                    check_permissions: bool = True, lead: bool = False) -> Customer:
    """Create a customer. ``data`` holds model field names (``owner`` a User).

    The owner defaults to the actor. Raises ``ValidationError`` with field
    errors, or ``PermissionDenied`` when the actor may not create or may not
    give the customer to that owner. ``lead``: a lead for the pool — no owner, whoever
    creates it (kehu.sales.pool.lead_create).
    """
    unknown = set(data) - CUSTOMER_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    data = dict(data)
    partner_registers = check_permissions and policy_for(actor).is_partner
    if partner_registers:
        _partner_registration(actor, data)
    elif data.get("owner") is None and actor is not None and getattr(actor, "pk", None) and not lead:
        data["owner"] = actor
    if check_permissions and not partner_registers:
        policy = policy_for(actor)
        if not policy.can_create:
            raise PermissionDenied(_("You may not create customers."))
        if data.get("owner") is not None and not policy.can_assign_to(data["owner"]):
            raise ValidationError({"owner": _("You may not assign customers to this user.")})
    if tags is not None:
        tags = check_tags(tags)
    if "custom" in data or check_permissions:
        from kehu.customfields.values import clean_custom_values

        data["custom"] = clean_custom_values("customer", data.get("custom"))
    numbered = not data.get("ref")
    if numbered:
        data["ref"] = next_customer_ref()
    customer = Customer(**data)
    _apply_keys(customer)
    if customer.consent_marketing or customer.consent_data_processing:
        customer.consent_updated_at = timezone.now()
    with transaction.atomic():
        customer.full_clean()
        save_numbered(customer, series="customer" if numbered else None,
                      taken=_("A customer with this code already exists."))
        if tags is not None:
            set_tags(customer, tags)
        audit_record(actor=actor, action="create", instance=customer, customer_id=customer.pk,
                     changes=snapshot(customer), summary=customer.name)
    return customer


def _partner_registration(actor, data: dict[str, Any]) -> None:
    """A customer registered by a partner user (报备): served by their partner (or one of its
    sub-partners, when they name it), owned by that partner's channel manager — the Kehu
    person who looks after the partner, else the nearest one above it — or by nobody when
    there is none (a partner's customer
    is never in the lead pool: :meth:`kehu.org.policies.CustomerPolicy.visible_pool`)."""
    from kehu.partners.selectors import channel_manager

    policy = policy_for(actor)
    if data.get("owner") is not None:
        raise ValidationError({"owner": _("You may not assign customers to this user.")})
    partner = data.get("partner") or actor.partner
    if partner.pk not in policy.partner_ids:
        raise ValidationError({"partner": _("Choose your own partner or one of its sub-partners.")})
    data["partner"] = partner
    data["owner"] = channel_manager(partner)   # the nearest active one up the partner tree


def _check_partner_change(policy, customer: Customer, data: dict[str, Any]) -> None:
    """A partner user keeps the customer with their partners: the partner may move between
    their own partner and its sub-partners, never away (nor to none)."""
    if not policy.is_partner or "partner" not in data:
        return
    partner = data["partner"]
    if partner is None or partner.pk not in policy.partner_ids:
        if (partner.pk if partner else None) != customer.partner_id:
            raise ValidationError({"partner": _("Choose your own partner or one of its sub-partners.")})


def customer_update(*, actor, customer: Customer, data: dict[str, Any],
                    tags: Iterable[str] | None = None, custom_partial: bool = False) -> Customer:
    """Change a customer. ``data["custom"]``, when given, holds custom field
    values: all of them (a form), or only those to change with ``custom_partial``
    (an API PATCH) — :func:`kehu.customfields.values.clean_custom_values`."""
    policy = policy_for(actor)
    if not policy.can_change(customer):
        raise PermissionDenied(_("You may not change this customer."))
    unknown = set(data) - CUSTOMER_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    if "owner" in data and data["owner"] is not None and data["owner"].pk != customer.owner_id:
        if not policy.can_assign_to(data["owner"]):
            raise ValidationError({"owner": _("You may not assign customers to this user.")})
    if policy.is_partner and "owner" in data and getattr(data["owner"], "pk", None) != customer.owner_id:
        raise ValidationError({"owner": _("You may not assign customers to this user.")})
    _check_partner_change(policy, customer, data)
    if tags is not None:
        tags = check_tags(tags)
    if "custom" in data:
        from kehu.customfields.values import clean_custom_values

        data = {**data, "custom": clean_custom_values("customer", data["custom"], current=customer.custom,
                                                      partial=custom_partial)}
    before = snapshot(customer)
    old_owner_id = customer.owner_id
    old_tags = sorted(customer.tags.values_list("name", flat=True))
    consent_before = (customer.consent_marketing, customer.consent_data_processing)
    for key, value in data.items():
        setattr(customer, key, value)
    _apply_keys(customer)
    if (customer.consent_marketing, customer.consent_data_processing) != consent_before:
        customer.consent_updated_at = timezone.now()
    with transaction.atomic():
        customer.full_clean()
        customer.save()
        changes = diff(before, snapshot(customer))
        if tags is not None:
            set_tags(customer, tags)
            new_tags = sorted(customer.tags.values_list("name", flat=True))
            if new_tags != old_tags:
                changes["tags"] = [old_tags, new_tags]
        changes.pop("consent_updated_at", None)
        if changes:
            audit_record(actor=actor, action="update", instance=customer, customer_id=customer.pk,
                         changes=changes, summary=customer.name)
        if "lifecycle_stage" in changes:   # a hand edit: kept in the dated history too
            from kehu.sales.lifecycle import lifecycle_record

            lifecycle_record(customer=customer, from_stage=changes["lifecycle_stage"][0],
                             to_stage=customer.lifecycle_stage, actor=actor, auto=False)
        if customer.owner_id != old_owner_id:
            from kehu.engagement.services import tasks_follow_owner

            tasks_follow_owner(customer_ids=[customer.pk], from_owner_id=old_owner_id, to_owner=customer.owner)
    return customer


def customer_delete(*, actor, customer: Customer) -> None:
    """Delete a customer with no orders. Customers with orders are kept:
    their history is company data; mark them lost instead."""
    from kehu.attachments.services import attachments_delete
    from kehu.sales.models import Order

    if not policy_for(actor).can_change(customer) or not policy_for(actor).may_delete_customers:
        raise PermissionDenied(_("You may not change this customer."))
    if Order.objects.filter(customer=customer).exists():
        raise ValidationError(_("This customer has orders and cannot be deleted; set the lifecycle stage to lost instead."))
    with transaction.atomic():
        audit_record(actor=actor, action="delete", instance=customer, customer_id=customer.pk,
                     changes=snapshot(customer), summary=customer.name)
        attachments_delete(queryset=customer.attachments.all())
        from kehu.service.models import CaseAttachment

        attachments_delete(queryset=CaseAttachment.objects.filter(case__customer=customer))
        customer.delete()


def customer_reassign_bulk(*, actor, from_owner, to_owner, customer_ids: Iterable[int] | None = None) -> int:
    """Move customers (all of ``from_owner``'s, or the given ones) to ``to_owner``.

    History — orders, interactions, audit — stays attached to the customer, so
    nothing is lost when staff leave. Returns the number moved.
    """
    policy = policy_for(actor)
    if not policy.can_assign_to(to_owner):
        raise PermissionDenied(_("You may not assign customers to this user."))
    qs = policy.changeable().filter(owner=from_owner)
    if customer_ids is not None:
        qs = qs.filter(pk__in=list(customer_ids))
    with transaction.atomic():
        ids = list(qs.values_list("pk", flat=True))
        for start in range(0, len(ids), 1000):
            chunk = ids[start:start + 1000]
            Customer.objects.filter(pk__in=chunk).update(
                owner=to_owner, team_id=to_owner.team_id, updated_at=timezone.now()
            )
            from kehu.audit.models import AuditEvent

            AuditEvent.objects.bulk_create([
                AuditEvent(actor=actor if getattr(actor, "pk", None) else None, action="reassign",
                           entity="customer", entity_id=pk, customer_id=pk,
                           summary=f"{from_owner} → {to_owner}",
                           changes={"owner": [str(from_owner), str(to_owner)]})
                for pk in chunk
            ])
        from kehu.engagement.services import tasks_follow_owner

        tasks_follow_owner(customer_ids=ids, from_owner_id=from_owner.pk, to_owner=to_owner)
    return len(ids)


def customer_share(*, actor, customer: Customer, user=None, team=None, can_edit: bool = False) -> CustomerShare:
    if not policy_for(actor).can_change(customer) or not policy_for(actor).may_delete_customers:
        raise PermissionDenied(_("You may not change this customer."))
    if (user is None) == (team is None):
        raise ValidationError(_("Share with either a user or a team."))
    with transaction.atomic():
        share, _created = CustomerShare.objects.update_or_create(
            customer=customer, user=user, team=team,
            defaults={"can_edit": can_edit, "created_by": actor if getattr(actor, "pk", None) else None},
        )
        audit_record(actor=actor, action="share", instance=customer, customer_id=customer.pk,
                     summary=str(user or team), changes={"shared_with": str(user or team), "can_edit": can_edit})
    return share


def customer_unshare(*, actor, share: CustomerShare) -> None:
    if not policy_for(actor).can_change(share.customer):
        raise PermissionDenied(_("You may not change this customer."))
    with transaction.atomic():
        audit_record(actor=actor, action="unshare", instance=share.customer, customer_id=share.customer_id,
                     summary=str(share.user or share.team))
        share.delete()


def duplicate_q(*, name: str = "", phone: str = "", email: str = "", city: str = "") -> Q | None:
    """Customers that look like the same one: same phone, same email, or same name and city
    (None when there is nothing to compare)."""
    q = Q()
    phone = normalise_phone(phone)
    if phone:
        q |= Q(phone=phone)
    if email and email.strip():
        q |= Q(email=email.strip().lower())
    if name and city and city.strip():
        key = name_keys(name)[0]
        q |= Q(name_key=key, city=city.strip())
    return q or None


def find_duplicates(*, viewer, name: str = "", phone: str = "", email: str = "", city: str = "",
                    exclude_id: int | None = None, limit: int = 10) -> list[dict]:
    """The duplicate check of a single create: ``[{"customer": …, "visible": bool}]``, the
    customers that look like the same one (:func:`duplicate_q`), visible ones first.

    Not only those ``viewer`` may see: a salesperson must learn that a customer already exists
    (and who owns it) before creating it twice, so customers outside their scope are shown too,
    with name, code and owner only (docs/user-guide.md, "Duplicate warnings"). A partner user is
    told only that such customers exist: one entry ``{"customer": None, "visible": False}``. Each of those is
    one notice of the viewer's hourly allowance (:mod:`kehu.customers.duplicates`); raises
    :class:`~kehu.customers.duplicates.DuplicateNoticeLimit` when it is used up.
    """
    from kehu.customers.duplicates import require_notices

    q = duplicate_q(name=name, phone=phone, email=email, city=city)
    if q is None:
        return []
    policy = policy_for(viewer)
    qs = Customer.objects.filter(q, merged_into__isnull=True).select_related("owner")
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    visible = list(policy.visible(qs).order_by("id")[:limit])
    hidden = [] if policy.view_scope.everything or len(visible) >= limit else list(
        qs.exclude(pk__in=policy.visible(qs).values("pk")).order_by("id")[:limit - len(visible)])
    if hidden:
        require_notices(viewer, len(hidden))
    if hidden and policy.is_partner:
        # a partner user learns only that the company may have the customer already — not
        # its name, code, owner or partner (another partner's customer is not theirs to know)
        return [{"customer": c, "visible": True} for c in visible] + [{"customer": None, "visible": False}]
    return [{"customer": c, "visible": True} for c in visible] + [{"customer": c, "visible": False} for c in hidden]


# -- merging -----------------------------------------------------------------------
#
# Every relation to Customer, and what a merge does with the duplicate's rows in it. Checked
# against the models at every merge (merge_unhandled_relations) and by a test that reads
# Customer._meta, so that a model added later cannot be cascaded away unnoticed: a new
# relation needs an entry here before any merge runs.
#
#   "move"     the rows are re-pointed to the customer kept;
#   "repoint"  customers merged into the duplicate earlier now point at the one kept;
#   "shares"   moved; where the kept customer already has that share (one per user or team),
#              the kept one stays, with edit rights if either had them, the duplicate's goes;
#   "scores"   value-analysis scores (one per customer per run): moved for the runs where the
#              kept customer has none; for the others the kept customer's stays and the
#              duplicate's is deleted (counted in the merge's audit record) — the next analysis
#              recomputes the merged customer from all the orders anyway;
#   "invitations" survey invitations (one per customer per wave): moved for the waves where the
#              kept customer has none; where both were invited, the answered invitation stays
#              (the kept customer's when both or neither were answered) and the other is deleted
#              — its response, if any, is kept and moves with the responses;
#   "attitude" the measured attitude (one per customer): the later measurement stays;
#   "summary"  the kept purchase summary and sales per day (kehu.sales.purchase_summary): both
#              customers' rows recomputed from the orders — the duplicate has none left;
#   "tags"     the duplicate's tags are added;
#   "key_plans" key-account plans move; when the kept customer has an active plan, the
#              duplicate's active plan is closed (one active plan per customer).
MERGE_RELATIONS = {
    "customers.Customer.merged_into": "repoint",
    "customers.Anniversary.customer": "move",
    "customers.Contact.customer": "move",
    "customers.CustomerShare.customer": "shares",
    "customers.Customer.tags": "tags",
    "engagement.Interaction.customer": "move",
    "engagement.Task.customer": "move",
    "sales.Order.customer": "move",
    "sales.CustomerPurchaseSummary.customer": "summary",
    "sales.CustomerSalesDay.customer": "summary",
    "attachments.Attachment.customer": "move",
    "insights.CustomerScore.customer": "scores",
    "surveys.Invitation.customer": "invitations",
    "surveys.Response.customer": "move",
    "surveys.CustomerAttitude.customer": "attitude",
    "service.Case.customer": "move",
    "sales.Opportunity.customer": "move",
    "sales.LifecycleChange.customer": "move",
    "engagement.PlannedVisit.customer": "visits",
    "sales.OwnershipChange.customer": "move",
    "sales.KeyAccountPlan.customer": "key_plans",
    "sales.Quote.customer": "move",
    "winback.LossRecord.customer": "move",   # a customer may have several open losses after a merge
    "coupons.Coupon.customer": "move",
    "membership.Membership.customer": "membership",
    "outreach.OutboundMessage.customer": "move",
    "outreach.Suppression.customer": "move",
    # several rows after a merge: the newest language wins (kehu.marketing.outreach.gate.languages)
    "outreach.CustomerLanguage.customer": "move",
    # the moments keep their keys (rule:customer:date with the dropped customer's id): none is made twice
    "care.CareMoment.customer": "move",
    # referred once, never by oneself (kehu.marketing.referrals.services.referral_merge); old codes keep working
    "referrals.Referral.referrer": "referrals",
    "referrals.Referral.referred": "referrals",
    "referrals.ReferralCode.customer": "referrals",
    "campaigns.Member.customer": "campaign_members",
}


def customer_relations() -> dict[str, tuple]:
    """Every relation to :class:`Customer` — foreign keys (nullable or not), one-to-ones and
    many-to-manys, either side — as ``{"app.Model.field": (model, field name)}``."""
    relations = {}
    for rel in Customer._meta.related_objects:
        model, name = rel.related_model, rel.field.name
        relations[f"{model._meta.label}.{name}"] = (model, name)
    for field in Customer._meta.many_to_many:
        relations[f"{Customer._meta.label}.{field.name}"] = (Customer, field.name)
    return relations


def merge_unhandled_relations() -> list[str]:
    """Relations to Customer that :data:`MERGE_RELATIONS` does not handle (should be none)."""
    return sorted(set(customer_relations()) - set(MERGE_RELATIONS))


def _merge_relation(how: str, model, field: str, keep: Customer, drop: Customer) -> dict[str, int]:
    """Apply one entry of :data:`MERGE_RELATIONS`; returns counts for the audit record."""
    if how == "tags":
        tags = list(drop.tags.all())
        keep.tags.add(*tags)
        return {"added": len(tags)}
    rows = model._default_manager.filter(**{field: drop})
    if how == "move":
        return {"moved": rows.update(**{field: keep})}
    if how == "repoint":
        return {"moved": rows.exclude(pk=keep.pk).update(**{field: keep})}
    if how == "shares":
        moved = dropped = 0
        for share in rows:
            same = CustomerShare.objects.filter(customer=keep, user=share.user, team=share.team).first()
            if same is None:
                share.customer = keep
                share.save(update_fields=["customer"])
                moved += 1
            else:
                if share.can_edit and not same.can_edit:
                    same.can_edit = True
                    same.save(update_fields=["can_edit"])
                share.delete()
                dropped += 1
        return {"moved": moved, "dropped": dropped}
    if how == "summary":
        from kehu.sales.purchase_summary import orders_written

        # recomputed for both: the duplicate, whose orders have moved, is left without rows
        # (its sales per day taken off the day totals), the kept customer has them all
        dropped = rows.count()
        orders_written([keep.pk, drop.pk])
        return {"dropped": dropped}
    if how == "scores":
        taken = model._default_manager.filter(customer=keep).values("run_id")
        dropped, _by = rows.filter(run_id__in=taken).delete()
        return {"moved": rows.update(customer=keep), "dropped": dropped}
    if how == "invitations":
        moved = dropped = 0
        for invitation in rows.select_related("response"):
            other = model._default_manager.filter(customer=keep, wave_id=invitation.wave_id).first()
            if other is None:
                invitation.customer = keep
                invitation.save(update_fields=["customer", "updated_at"])
                moved += 1
                continue
            answered = hasattr(invitation, "response")
            if answered and not hasattr(other, "response"):
                other.delete()              # the duplicate's answered invitation stays instead
                invitation.customer = keep
                invitation.save(update_fields=["customer", "updated_at"])
                moved += 1
            else:
                invitation.delete()         # its response (kept: SET_NULL) moves with the responses
            dropped += 1
        return {"moved": moved, "dropped": dropped}
    if how == "attitude":
        theirs = rows.first()
        if theirs is None:
            return {"moved": 0}
        ours = model._default_manager.filter(customer=keep).first()
        if ours is not None and ours.measured_at >= theirs.measured_at:
            theirs.delete()
            return {"moved": 0, "dropped": 1}
        if ours is not None:
            ours.delete()
        rows.update(customer=keep)
        return {"moved": 1, "dropped": int(ours is not None)}
    if how == "campaign_members":   # once per campaign: the kept customer's membership stays
        taken = model._default_manager.filter(customer=keep).values("campaign_id")
        dropped, _by = rows.filter(campaign_id__in=taken).delete()
        return {"moved": rows.update(customer=keep), "dropped": dropped}
    if how == "key_plans":
        dropped = 0
        if model._default_manager.filter(customer=keep, status="active").exists():
            dropped = rows.filter(status="active").update(status="closed")
        return {"moved": rows.update(customer=keep), "dropped": dropped}
    if how == "visits":
        # The planner keeps one open visit per customer: the kept customer's open
        # visit stays, the duplicate's open ones are skipped, the rest move.
        open_q = {"source": "auto", "status__in": ["planned", "moved"]}
        dropped = 0
        if model._default_manager.filter(customer=keep, **open_q).exists():
            dropped = rows.filter(**open_q).update(status="skipped", skip_reason=str(_("Customers merged.")))
        return {"moved": rows.update(customer=keep), "dropped": dropped}
    if how == "membership":
        from kehu.marketing.membership.services import membership_merge

        return membership_merge(keep=keep, drop=drop)
    if how == "referrals":
        from kehu.marketing.referrals.services import referral_merge

        return referral_merge(keep=keep, drop=drop, field=field)
    raise ValueError(how)


def customer_merge(*, actor, keep: Customer, drop: Customer) -> Customer:
    """Merge ``drop`` into ``keep``: everything that points at ``drop`` — contacts,
    anniversaries, interactions, tasks, orders, attachments, shares, tags, survey invitations, responses and
    attitude, value scores, customers merged into it before, audit history — goes to ``keep``
    as :data:`MERGE_RELATIONS` says; blank fields of ``keep`` take ``drop``'s values; ``drop``
    is deleted after an audit record of what it held and what moved or was dropped."""
    from kehu.audit.models import AuditEvent
    from kehu.customers.selectors import import_event

    policy = policy_for(actor)
    if keep.pk == drop.pk:
        raise ValidationError(_("A customer cannot be merged with itself."))
    if not (policy.can_change(keep) and policy.can_change(drop)) or not policy.may_delete_customers:
        raise PermissionDenied(_("You may not change this customer."))
    unhandled = merge_unhandled_relations()
    if unhandled:       # a programming error: deleting the duplicate would cascade them away
        raise RuntimeError(f"customer_merge does not handle {', '.join(unhandled)}")
    with transaction.atomic():
        before = snapshot(keep)
        filled = {}
        for field in CUSTOMER_FIELDS - {"ref", "owner", "kind", "name", "custom"}:
            if getattr(keep, field) in ("", None) and getattr(drop, field) not in ("", None):
                setattr(keep, field, getattr(drop, field))
                filled[field] = getattr(drop, field)
        gaps = {k: v for k, v in (drop.custom or {}).items() if (keep.custom or {}).get(k) in (None, "")}
        if gaps:        # custom field values of the duplicate fill the kept customer's gaps
            keep.custom = {**(keep.custom or {}), **gaps}
            filled["custom"] = gaps
        if drop.remarks and drop.remarks not in keep.remarks:
            keep.remarks = (keep.remarks + "\n" + drop.remarks).strip()
        _apply_keys(keep)
        keep.full_clean()
        keep.save()
        relations = customer_relations()
        moved = {}
        for key, how in MERGE_RELATIONS.items():
            if key in relations:
                model, field = relations[key]
                counts = _merge_relation(how, model, field, keep, drop)
                if any(counts.values()):
                    moved[key] = counts
        created = import_event(drop)       # drop's creation by an import: kept as a stored event
        if created is not None:
            created.id = None
            created.save()
            AuditEvent.objects.filter(pk=created.pk).update(created_at=drop.created_at)   # not auto_now_add's
        AuditEvent.objects.filter(customer_id=drop.pk).update(customer_id=keep.pk)
        audit_record(actor=actor, action="merge", instance=keep, customer_id=keep.pk,
                     summary=f"{drop.ref} {drop.name} → {keep.ref} {keep.name}",
                     changes={"merged": snapshot(drop), "moved": moved, **diff(before, snapshot(keep))})
        drop.delete()
    return keep


# -- contacts -----------------------------------------------------------------

def _check_reports_to(contact: Contact) -> None:
    boss = contact.reports_to
    seen = set()
    while boss is not None:
        if boss.customer_id != contact.customer_id:
            raise ValidationError({"reports_to": _("The manager must work at the same customer.")})
        if boss.pk == contact.pk or boss.pk in seen:
            raise ValidationError({"reports_to": _("Reporting lines cannot go round in a circle.")})
        seen.add(boss.pk)
        boss = boss.reports_to


def contact_create(*, actor, customer: Customer, data: dict[str, Any]) -> Contact:
    if not policy_for(actor).can_change(customer):
        raise PermissionDenied(_("You may not change this customer."))
    unknown = set(data) - CONTACT_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    contact = Contact(customer=customer, **data)
    contact.phone = normalise_phone(contact.phone)
    with transaction.atomic():
        contact.full_clean()
        _check_reports_to(contact)
        contact.save()
        audit_record(actor=actor, action="create", instance=contact, customer_id=customer.pk,
                     changes=snapshot(contact), summary=contact.name)
    return contact


def contact_update(*, actor, contact: Contact, data: dict[str, Any]) -> Contact:
    if not policy_for(actor).can_change(contact.customer):
        raise PermissionDenied(_("You may not change this customer."))
    unknown = set(data) - CONTACT_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    before = snapshot(contact)
    for key, value in data.items():
        setattr(contact, key, value)
    contact.phone = normalise_phone(contact.phone)
    with transaction.atomic():
        contact.full_clean()
        _check_reports_to(contact)
        contact.save()
        changes = diff(before, snapshot(contact))
        if changes:
            audit_record(actor=actor, action="update", instance=contact, customer_id=contact.customer_id,
                         changes=changes, summary=contact.name)
    return contact


def contact_delete(*, actor, contact: Contact) -> None:
    if not policy_for(actor).can_change(contact.customer):
        raise PermissionDenied(_("You may not change this customer."))
    with transaction.atomic():
        audit_record(actor=actor, action="delete", instance=contact, customer_id=contact.customer_id,
                     changes=snapshot(contact), summary=contact.name)
        contact.delete()


# -- anniversaries ------------------------------------------------------------------

def _anniversary_name(anniversary: Anniversary) -> str:
    return f"{anniversary.label} {anniversary.date.isoformat() if anniversary.date else ''}".strip()


def anniversary_create(*, actor, customer: Customer, data: dict[str, Any]) -> Anniversary:
    """Add a date to remember (纪念日) to a customer: its founding day, a
    wedding anniversary, the first order..."""
    if not policy_for(actor).can_change(customer):
        raise PermissionDenied(_("You may not change this customer."))
    unknown = set(data) - ANNIVERSARY_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    anniversary = Anniversary(customer=customer, **data)
    anniversary.label = (anniversary.label or "").strip()
    with transaction.atomic():
        anniversary.full_clean()
        anniversary.save()
        audit_record(actor=actor, action="create", instance=anniversary, customer_id=customer.pk,
                     changes=snapshot(anniversary), summary=_anniversary_name(anniversary))
    return anniversary


def anniversary_update(*, actor, anniversary: Anniversary, data: dict[str, Any]) -> Anniversary:
    if not policy_for(actor).can_change(anniversary.customer):
        raise PermissionDenied(_("You may not change this customer."))
    unknown = set(data) - ANNIVERSARY_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    before = snapshot(anniversary)
    for key, value in data.items():
        setattr(anniversary, key, value)
    anniversary.label = (anniversary.label or "").strip()
    with transaction.atomic():
        anniversary.full_clean()
        anniversary.save()
        changes = diff(before, snapshot(anniversary))
        if changes:
            audit_record(actor=actor, action="update", instance=anniversary, customer_id=anniversary.customer_id,
                         changes=changes, summary=_anniversary_name(anniversary))
    return anniversary


def anniversary_delete(*, actor, anniversary: Anniversary) -> None:
    if not policy_for(actor).can_change(anniversary.customer):
        raise PermissionDenied(_("You may not change this customer."))
    with transaction.atomic():
        audit_record(actor=actor, action="delete", instance=anniversary, customer_id=anniversary.customer_id,
                     changes=snapshot(anniversary), summary=_anniversary_name(anniversary))
        anniversary.delete()
