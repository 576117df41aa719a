"""Masking of personal data (phone numbers, e-mail addresses, ID numbers).

Who sees what in full is decided by the one policy
(:meth:`kehu.org.policies.CustomerPolicy.may_see_personal_data`); this module
only applies that decision, in one place for every page, API response,
search result and export:

- :func:`mask_customers` / :func:`mask_contacts` / :func:`mask_invitations`
  replace the values on model instances *in memory* before a template or an
  API schema reads them (the instance is marked, and
  :func:`refuse_masked_save` refuses to save it);
- :func:`shown` answers one value for rows that are not model instances
  (exports).

Masks keep just enough to recognise a number one already knows:
``13800138001`` → ``138****8001``, ``zhang.san@example.com`` →
``z***@example.com``, ``110101199003071234`` → ``11**************34``.
"""

from __future__ import annotations

from typing import Iterable

from kehu.org.policies import policy_for

MASKED_ATTR = "_kehu_masked"
CUSTOMER_FIELDS = ("phone", "email", "id_number")
CONTACT_FIELDS = ("phone", "email")
PERSONAL_FIELDS = {"customer": CUSTOMER_FIELDS, "contact": CONTACT_FIELDS}


def mask_phone(value: str) -> str:
    """Keep the first three and the last four digits (two of a short number)."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) <= 4:
        return "*" * len(value)
    tail = 4 if len(value) >= 10 else 2
    head = 3 if len(value) > 6 else 1
    return value[:head] + "****" + value[-tail:]


def mask_email(value: str) -> str:
    """The first letter of the mailbox and the whole domain."""
    value = (value or "").strip()
    if not value:
        return ""
    local, at, domain = value.partition("@")
    if not at:
        return mask_phone(value)
    return (local[:1] or "*") + "***@" + domain


def mask_id_number(value: str) -> str:
    """The first two and the last two characters; the length is kept."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) <= 4:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


MASKS = {"phone": mask_phone, "email": mask_email, "id_number": mask_id_number}


def mask_value(field: str, value: str) -> str:
    return MASKS[field](value)


def _mask_instance(obj, fields: Iterable[str]) -> None:
    if getattr(obj, MASKED_ATTR, False):
        return
    for name in fields:
        if hasattr(obj, name):
            setattr(obj, name, mask_value(name, getattr(obj, name)))
    setattr(obj, MASKED_ATTR, True)


def mask_customers(*, viewer, customers):
    """Mask the customers ``viewer`` may not see in full; returns them."""
    policy = policy_for(viewer)
    for customer in customers:
        if customer is not None and not policy.may_see_personal_data(customer):
            _mask_instance(customer, CUSTOMER_FIELDS)
    return customers


def mask_contacts(*, viewer, contacts, customer=None):
    """Mask contacts of customers ``viewer`` may not see in full (their
    ``customer`` is read unless given: select it with the contacts)."""
    policy = policy_for(viewer)
    for contact in contacts:
        owner = customer if customer is not None else contact.customer
        if not policy.may_see_personal_data(owner):
            _mask_instance(contact, CONTACT_FIELDS)
    return contacts


def mask_invitations(*, viewer, invitations):
    """Survey invitations carry the address they were sent to."""
    policy = policy_for(viewer)
    for inv in invitations:
        if inv.customer_id and not policy.may_see_personal_data(inv.customer):
            _mask_instance(inv, ("email",))
            _mask_instance(inv.customer, CUSTOMER_FIELDS)
    return invitations


def shown(*, viewer, customer, field: str, value):
    """``value`` of ``customer``'s ``field`` as ``viewer`` may see it."""
    if not value or policy_for(viewer).may_see_personal_data(customer):
        return value
    return mask_value(field, value)


def is_masked(obj) -> bool:
    return bool(getattr(obj, MASKED_ATTR, False))


def refuse_masked_save(sender, instance, **kwargs):
    if is_masked(instance):
        raise RuntimeError(f"{sender.__name__} {instance.pk} was masked for display and must not be saved")


def for_schema(obj, context, field: str, *, customer=None):
    """An API schema's resolver of a personal field: ``obj``'s ``field`` as the
    caller (``context["request"].auth``) may see it. ``customer`` is the
    customer the value belongs to (``obj`` itself by default)."""
    value = getattr(obj, field, "") or ""
    if is_masked(obj) or not value:
        return value
    request = (context or {}).get("request")
    viewer = getattr(request, "auth", None) or getattr(request, "user", None)
    return shown(viewer=viewer, customer=customer if customer is not None else obj, field=field, value=value)
