"""Rendering message templates, sandboxed.

Templates are Django template text, compiled by an engine of their own (no
template loaders, no libraries beyond the built-in tags and filters), and
checked before they are saved (:func:`check`):

- a placeholder (``{{ customer.name }}``) must be one of :data:`PLACEHOLDERS`;
  nothing else can be reached — the context holds plain dictionaries of strings
  built here from the allow-list, never a model instance;
- only the tags of :data:`ALLOWED_TAGS` and the filters of :data:`ALLOWED_FILTERS`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import FilterExpression, Node, VariableNode
from django.utils.translation import gettext as _

PLACEHOLDERS: dict[str, str] = {
    "customer.name": "The customer's name",
    "customer.ref": "The customer's code",
    "customer.city": "The customer's city",
    "contact.name": "The contact's name (the customer's name when sent to the customer)",
    "contact.title": "The contact's job title",
    "owner.name": "The customer's owner (salesperson)",
    "owner.phone": "The owner's phone",
    "owner.email": "The owner's e-mail",
    "coupon.code": "A coupon code (from the sender)",
    "coupon.value": "A coupon's value (from the sender)",
    "coupon.valid_until": "A coupon's last day (from the sender)",
    "campaign.name": "The campaign's name (from the sender)",
    "referral.code": "The customer's referral code (from the sender)",
    "referral.link": "The customer's referral link (from the sender)",
    "member.number": "The member's number (membership notices)",
    "member.tier": "The member's tier, in Chinese (membership notices)",
    "member.tier_en": "The member's tier, in English (membership notices)",
    "member.expires_on": "The membership's last day (membership notices)",
    "link": "A tracked link (from the sender)",
    "unsubscribe_url": "The unsubscribe link (e-mail and SMS)",
}
ALLOWED_TAGS = {"IfNode", "TextNode", "VariableNode", "NodeList"}
ALLOWED_FILTERS = {"default", "upper", "lower", "title", "capfirst", "truncatechars", "date", "floatformat"}
# The parts of the context a sender may fill (from its own records: coupons, campaigns, referrals, members).
SENDER_KEYS = {"coupon", "campaign", "referral", "member", "link"}

ENGINE = Engine(debug=False, loaders=[], libraries={}, autoescape=False,
                builtins=["django.template.defaulttags", "django.template.defaultfilters"])


def _expressions(node: Node):
    """The filter expressions a node itself evaluates (its children are walked by :func:`_nodes`)."""
    if isinstance(node, VariableNode):
        yield node.filter_expression
    for condition, _nodes_ in getattr(node, "conditions_nodelists", ()):   # {% if %} / {% elif %}
        if condition is not None:
            yield from _condition_expressions(condition)


def _condition_expressions(cond):
    value = getattr(cond, "value", None)
    if isinstance(value, FilterExpression):
        yield value
    for side in ("first", "second"):
        part = getattr(cond, side, None)
        if part is not None:
            yield from _condition_expressions(part)


def _nodes(nodelist):
    for node in nodelist:
        yield node
        for attr in getattr(node, "child_nodelists", ()):
            yield from _nodes(getattr(node, attr, None) or ())
        for _cond, nodes in getattr(node, "conditions_nodelists", ()):
            yield from _nodes(nodes)


def problems(text: str) -> list[str]:
    """What is wrong with template ``text`` (translated messages); empty: fine."""
    if not text:
        return []
    try:
        template = ENGINE.from_string(text)
    except TemplateSyntaxError as exc:
        return [_("The template cannot be read: %(error)s") % {"error": exc}]
    out: list[str] = []
    for node in _nodes(template.nodelist):
        name = type(node).__name__
        if name not in ALLOWED_TAGS:
            token = getattr(getattr(node, "token", None), "contents", "") or name
            out.append(_("This tag is not allowed in a message: %(tag)s") % {"tag": token.split()[0]})
            continue
        for expr in _expressions(node):
            var = getattr(expr.var, "var", None)
            if isinstance(var, str):
                if var not in PLACEHOLDERS:
                    out.append(_("Unknown placeholder: %(name)s") % {"name": var})
            for func, _args in expr.filters:
                fname = getattr(func, "__name__", "")
                if fname not in ALLOWED_FILTERS:
                    out.append(_("This filter is not allowed in a message: %(name)s") % {"name": fname})
    return sorted(set(out), key=out.index)


def check(**texts: str) -> None:
    """Raise a ValidationError naming each field (``subject_zh=…``) whose text is not allowed."""
    errors = {field: problems(text) for field, text in texts.items()}
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise ValidationError(errors)


def _plain(value) -> str:
    return "" if value is None else str(value)


# sender key -> the sub-keys a template may read of it (``coupon`` -> {"code", "value", "valid_until"})
_SENDER_FIELDS = {key: {p.split(".", 1)[1] for p in PLACEHOLDERS if p.startswith(key + ".")}
                  for key in SENDER_KEYS if key != "link"}


def sender_context(sender: dict | None) -> dict:
    """The sender's part of the context (:data:`SENDER_KEYS`, allow-listed, strings): the same for every
    customer a sender writes to unless it adds something per customer, so computed once for them."""
    sender = sender or {}
    ctx: dict = {"link": _plain(sender.get("link"))}
    for key, allowed in _SENDER_FIELDS.items():
        ctx[key] = {k: _plain(v) for k, v in (sender.get(key) or {}).items() if k in allowed}
    return ctx


def owner_context(owner: dict | None) -> dict:
    owner = owner or {}
    return {k: _plain(owner.get(k)) for k in ("name", "phone", "email")}


def build_context(*, customer: dict, contact: dict | None, owner: dict | None, sender: dict | None,
                  unsubscribe_url: str = "", sender_ctx: dict | None = None, owner_ctx: dict | None = None) -> dict:
    """The template context: only the allow-listed keys, every value a string. ``sender_ctx`` /
    ``owner_ctx``: :func:`sender_context` / :func:`owner_context` computed beforehand (they then stand
    for ``sender`` / ``owner``)."""
    get = customer.get
    name = _plain(get("name"))
    return {
        "customer": {"name": name, "ref": _plain(get("ref")), "city": _plain(get("city"))},
        "contact": ({"name": name, "title": ""} if not contact else
                    {"name": _plain(contact.get("name") or get("name")), "title": _plain(contact.get("title"))}),
        "owner": owner_ctx if owner_ctx is not None else owner_context(owner),
        "unsubscribe_url": unsubscribe_url,
        **(sender_ctx if sender_ctx is not None else sender_context(sender)),
    }


class Compiled:
    """A template's text compiled once, rendered for many customers.

    A text made only of words and bare placeholders (no tag, no filter: most messages) is
    rendered by joining its parts — the same result as Django's engine, which the tests
    compare, at a fraction of the cost when a campaign renders a million of them."""

    def __init__(self, text: str):
        self.template = ENGINE.from_string(text or "")
        self.parts: list[tuple[bool, object]] | None = []
        for node in self.template.nodelist:
            if type(node).__name__ == "TextNode":
                self.parts.append((False, node.s))
            elif isinstance(node, VariableNode) and not node.filter_expression.filters and isinstance(
                    getattr(node.filter_expression.var, "var", None), str):
                self.parts.append((True, node.filter_expression.var.var.split(".")))
            else:
                self.parts = None
                break
        if self.parts is not None:   # the words as a format string, the placeholders as its fields
            self.format = "".join("{}" if is_var else value.replace("{", "{{").replace("}", "}}")
                                  for is_var, value in self.parts).format
            self.paths = [tuple(value) for is_var, value in self.parts if is_var]

    def render(self, ctx: dict) -> str:
        if self.parts is None:
            return self.template.render(Context(ctx, autoescape=False))
        values = []
        for path in self.paths:
            current = ctx
            for key in path:
                current = current.get(key, "") if isinstance(current, dict) else ""
            values.append(current if isinstance(current, str) else "")
        return self.format(*values)
