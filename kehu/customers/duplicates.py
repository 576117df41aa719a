"""How many customers outside their scope a user may be told about, through duplicate checks.

A duplicate check (the create form's "This customer may already exist", a customer import's
"same phone as …") compares what a user types or uploads with *every* customer, so that nobody
creates a customer twice. For customers the user may not see (:mod:`kehu.org.policies`) that is
a disclosure, and a file of a thousand phone numbers would be a thousand lookups. So:

- the create form names such customers (name, code, owner — docs/user-guide.md, "Duplicate
  warnings"); a customer import only says that a customer *you cannot see* matches, with no
  code, name or count beyond the rows it warns about;
- either way each customer outside the user's scope mentioned is one *notice*, and a user gets
  at most ``KEHU_DUPLICATE_NOTICES_PER_HOUR`` of them (default 100; 0 = no limit) in an hour
  counted from their first one. The count is :func:`kehu.runtime.ratelimit.take`'s: one atomic
  upsert in the database (or ``INCRBY`` in Redis), shared by every server process, so several
  processes neither each grant the allowance nor lose counts.

Users who see every customer (administrators, head office) never use up notices: every match
is theirs to see.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.utils.translation import gettext as _

from kehu.runtime import ratelimit

WINDOW = 3600   # seconds


class DuplicateNoticeLimit(Exception):
    """The user has had their allowance of notices about customers they may not see."""

    def __init__(self, limit: int, minutes: int):
        self.limit, self.minutes = limit, minutes
        super().__init__(_("You have been shown too many customers that you may not see in a short time "
                           "(at most %(limit)d an hour). Try again in %(minutes)d minutes, or ask your manager.")
                         % {"limit": limit, "minutes": minutes})


def _limit() -> int:
    return int(getattr(settings, "KEHU_DUPLICATE_NOTICES_PER_HOUR", 100))


def _key(user) -> str:
    return f"dupnotice:{user.pk}"


def minutes_left(user) -> int:
    """Minutes until the user's count starts again (at least 1)."""
    now = ratelimit.clock()
    ends = ratelimit.window_ends(_key(user)) if getattr(user, "pk", None) is not None else None
    return max(1, math.ceil(((ends or now + WINDOW) - now) / 60))


def take_notices(user, wanted: int) -> int:
    """Use up ``wanted`` notices of ``user``'s allowance; returns how many were granted
    (``wanted`` when there is no limit, fewer when the allowance runs out). Atomic across
    processes: two requests at once cannot both be given the last notice."""
    limit = _limit()
    if wanted <= 0 or limit <= 0:
        return max(wanted, 0)
    if getattr(user, "pk", None) is None:
        return 0                # nobody to count them for: none
    after, _ends = ratelimit.take(_key(user), wanted, seconds=WINDOW)
    before = after - wanted
    return max(0, min(wanted, limit - before))


def require_notices(user, wanted: int) -> None:
    """:func:`take_notices`, all or nothing: raises :class:`DuplicateNoticeLimit` when fewer
    than ``wanted`` remain."""
    if take_notices(user, wanted) < wanted:
        raise DuplicateNoticeLimit(_limit(), minutes_left(user))


def limit_message(user) -> str:
    """The import report's note on the line where the notices ran out."""
    return _("From this line on, rows that match customers you may not see are not marked: you have been shown "
             "the most such customers allowed in an hour (%(limit)d). Try again in %(minutes)d minutes, or ask "
             "your manager to check the file.") % {"limit": _limit(), "minutes": minutes_left(user)}
