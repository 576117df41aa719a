"""Who may reach the public answer page ``/s/<token>/``: the token check and
the rate-limit decision (used by :mod:`kehu.surveys.views_answer`).

Kept apart from the page so that mutation testing (docs/testing.md) can
mutate exactly these few lines — a bug here opens one respondent's answers
to another, or lets a script hammer the page.

- The token (256 random bits, URL-safe base64) is the only key: only a token
  of 20 to 64 characters of the URL-safe alphabet is looked up at all, and it
  must match an invitation's token **exactly**.
- Requests are limited per client address (``KEHU_ANSWER_RATE_PER_IP``) and
  per token (``KEHU_ANSWER_RATE_PER_TOKEN``) a minute, counted by
  :mod:`kehu.runtime.ratelimit`; the token is counted under a digest, never
  stored. A failing counter lets the request through (and is logged): an
  outage of the counter must not take the page down.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings

from kehu.runtime import ratelimit
from kehu.surveys.models import Invitation

logger = logging.getLogger(__name__)

TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
TOKEN_MIN, TOKEN_MAX = 20, 64

# What the answer page reads of the invitation, its wave and its survey.
_FIELDS = ("id", "token", "status", "language", "opened_at", "customer_id", "partner_id", "wave__id",
           "wave__status", "wave__name", "wave__opens_on", "wave__closes_on", "wave__survey__id", "wave__survey__code",
           "wave__survey__title", "wave__survey__intro", "wave__survey__thanks", "wave__survey__created_at",
           "wave__survey__updated_at", "wave__survey__likert_scores", "wave__survey__satisfied_from",
           "wave__survey__kind", "wave__survey__follow_up_detractors", "wave__survey__follow_up_below")


def token_well_formed(token: str) -> bool:
    """Whether ``token`` could be an invitation's token at all (length and alphabet)."""
    return TOKEN_MIN <= len(token) <= TOKEN_MAX and TOKEN_CHARS.issuperset(token)


def invitation_for(token: str) -> Invitation | None:
    """The invitation whose token is exactly ``token``, with its wave and survey; None for any other token."""
    if not token_well_formed(token):
        return None
    rows = (Invitation.objects.select_related("wave__survey").only(*_FIELDS)
            .filter(token=token).order_by()[:1])
    return next(iter(rows), None)


def _over_limit(kind: str, key: str, limit: int) -> bool:
    try:
        return ratelimit.over_limit(f"ans:{kind}:{key}", limit)
    except Exception:  # noqa: BLE001 - a counter outage must not take the page down
        logger.exception("answer page: the rate counter failed")
        return False


def limited(request, token: str) -> bool:
    """Whether this request is over the answer page's limit (per client address, then per token)."""
    ip = request.META.get("REMOTE_ADDR", "") or "-"
    if _over_limit("ip", ip, settings.KEHU_ANSWER_RATE_PER_IP):
        return True
    digest = hashlib.blake2s(token.encode(), digest_size=12).hexdigest()
    return _over_limit("tok", digest, settings.KEHU_ANSWER_RATE_PER_TOKEN)
