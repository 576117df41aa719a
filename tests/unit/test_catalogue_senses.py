"""One English string, one meaning (issue 13, item 14).

At run time Django merges every zh-hans catalogue into one: kehu/locale
(LOCALE_PATHS) wins over the apps' own. So "Open" translated 待确认 for an
order status in the core catalogue showed on the survey wave pages too, and
"Closed" (a task's closing time, 关闭时间) replaced the wave status 已关闭.
Two tests guard this:

- a string (with its context) may not have two different translations in
  two catalogues: either the senses differ (give one of them a context:
  ``pgettext("wave status", "Closed")``, ``{% translate "Open" context
  "action" %}``) or the wording does (use one);
- the English words that are verbs as well as nouns or adjectives in the UI
  must always carry a context, so that no later use borrows another's sense.
"""

from __future__ import annotations

import collections
from pathlib import Path

import polib

import kehu

ROOT = Path(kehu.__file__).parent
CATALOGUES = sorted(ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))
# Words this UI uses in two senses (a button and a state, a date range and a path's ends, …).
HOMOGRAPHS = {"Open", "Close", "Closed", "Share", "Change", "From", "To", "Low", "High"}


def _entries():
    for path in CATALOGUES:
        for entry in polib.pofile(str(path)):
            if not entry.obsolete:
                yield path.relative_to(ROOT), entry


def _translation(entry) -> str:
    return entry.msgstr or " | ".join(entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural))


def test_there_are_catalogues():
    assert len(CATALOGUES) >= 3


def test_no_string_has_two_translations_across_the_catalogues():
    seen = collections.defaultdict(dict)
    for path, entry in _entries():
        seen[(entry.msgctxt, entry.msgid)][str(path)] = _translation(entry)
    clashes = {key: found for key, found in seen.items() if len(set(found.values())) > 1}
    assert not clashes, "give one sense a context (pgettext) or use one wording:\n" + "\n".join(
        f"  {key!r}: {found}" for key, found in clashes.items())


def test_homographs_always_have_a_context():
    bare = [f"{path}: {entry.msgid!r} at {[o[0] for o in entry.occurrences]}"
            for path, entry in _entries() if entry.msgid in HOMOGRAPHS and entry.msgctxt is None]
    assert not bare, "use pgettext / {% translate ... context ... %} for:\n" + "\n".join(bare)
