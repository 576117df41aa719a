"""Writes to the partners of the channel (伙伴关系管理, DOMAIN.md §8): create, change,
move in the partner tree, and their targets. Administrators and the channel's
managers do this (:attr:`kehu.org.policies.CustomerPolicy.may_manage_partners`);
``actor=None`` is the ``kehu`` command, the demo and the generator.

Partners form a tree kept like the teams': ``path`` is the materialised path of ids
(``/3/8/``) and ``level`` the depth (1 for a partner that deals with the company
directly), so a partner's subtree is one indexed prefix query.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record
from kehu.org.models import Partner, PartnerTarget

PARTNER_FIELDS = ("code", "name", "kind", "manager", "regions", "provinces", "cities", "industries",
                  "contract_start", "contract_end", "terms", "margin_pct", "phone", "email", "address",
                  "is_active")
MAX_LEVEL = 3


def _require_manager(actor) -> None:
    from kehu.org.policies import policy_for

    if actor is not None and not policy_for(actor).may_manage_partners:
        raise PermissionDenied(_("Only administrators and sales managers may manage partners."))


def _place(partner: Partner, parent: Partner | None) -> None:
    if parent is not None and partner.pk and parent.path.startswith(partner.path):
        raise ValidationError({"parent": _("A partner cannot be placed below itself or its own sub-partners.")})
    level = (parent.level + 1) if parent else 1
    if level > MAX_LEVEL:
        raise ValidationError({"parent": _("Partners go at most %(n)d levels deep.") % {"n": MAX_LEVEL}})


def partner_create(*, data: dict, parent: Partner | None = None, actor=None) -> Partner:
    """A new partner below ``parent`` (None: a partner of the company itself)."""
    _require_manager(actor)
    unknown = set(data) - set(PARTNER_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    partner = Partner(parent=parent, **data)
    partner.code = (partner.code or "").strip()
    partner.name = (partner.name or "").strip()
    _place(partner, parent)
    with transaction.atomic():
        partner.level = (parent.level + 1) if parent else 1
        partner.full_clean(exclude=["path"])
        partner.save()
        partner.path = f"{parent.path if parent else '/'}{partner.pk}/"
        partner.save(update_fields=["path"])
        audit_record(actor=actor, action="create", instance=partner, summary=partner.name)
    return partner


def partner_update(*, partner: Partner, data: dict, parent: Partner | None | object = ..., actor=None) -> Partner:
    """Change a partner's fields and/or move it (with its sub-partners) below ``parent``
    (``...`` leaves it where it is)."""
    _require_manager(actor)
    unknown = set(data) - set(PARTNER_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    changes = {}
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        for field, value in data.items():
            old = getattr(partner, field)
            if old != value:
                changes[field] = [str(old) if old is not None else "", str(value) if value is not None else ""]
                setattr(partner, field, value)
        if parent is not ... and (parent.pk if parent else None) != partner.parent_id:
            _place(partner, parent)
            depth_below = max(p.level for p in Partner.objects.filter(path__startswith=partner.path)) - partner.level
            new_level = (parent.level + 1) if parent else 1
            if new_level + depth_below > MAX_LEVEL:
                raise ValidationError({"parent": _("Partners go at most %(n)d levels deep.") % {"n": MAX_LEVEL}})
            changes["parent"] = [str(partner.parent or ""), str(parent or "")]
            old_path, new_path = partner.path, f"{parent.path if parent else '/'}{partner.pk}/"
            shift = new_level - partner.level
            for p in Partner.objects.filter(path__startswith=old_path).exclude(pk=partner.pk).select_for_update():
                p.path = new_path + p.path[len(old_path):]
                p.level += shift
                p.save(update_fields=["path", "level"])
            partner.parent, partner.path, partner.level = parent, new_path, new_level
        if not changes:
            return partner
        partner.full_clean(exclude=["path"])
        partner.save()
        audit_record(actor=actor, action="update", instance=partner, summary=partner.name, changes=changes)
    return partner


def partner_target_set(*, partner: Partner, period_start, period_end, revenue, new_customers: int = 0,
                       actor=None) -> PartnerTarget:
    """Set (create or replace) the partner's target for the period starting ``period_start``."""
    _require_manager(actor)
    with transaction.atomic():
        target = PartnerTarget.objects.filter(partner=partner, period_start=period_start).first() or PartnerTarget(
            partner=partner, period_start=period_start)
        target.period_end, target.revenue, target.new_customers = period_end, revenue, new_customers
        target.full_clean()
        target.save()
        audit_record(actor=actor, action="update", instance=partner, summary=partner.name,
                     changes={"target": [str(period_start), str(revenue)]})
    return target
