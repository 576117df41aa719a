"""Search keys for customer names: lower-case text, full pinyin and pinyin initials.

``zs``, ``zhangsan`` and ``张三`` all find 张三; keys are computed once on write
and searched by indexed prefix, so a search stays fast at a million customers.

Pinyin comes from pypinyin's ``lazy_pinyin``, which segments each run of Han
characters into phrases and reads a phrase from its phrase dictionary, so that
重庆 is ``chongqing`` and 银行 ``yinhang``. That costs about 80 µs a name —
80 s for a million-row import. Most names contain no phrase that reads a
character differently from the character alone, though, so :func:`name_keys`
uses a per-character translation table built once from pypinyin's own
dictionaries (with ``str.translate``) and falls back to ``lazy_pinyin`` only
for names that contain such a phrase (重庆, 银行, 长沙 …) or a character
pypinyin does not know. Both paths give exactly the same keys
(tests/unit/test_search_keys.py compares them over every character pypinyin
knows and over generated names).
"""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

_NON_KEY = re.compile(r"[\s\-_.·,，。()（）'\"/\\&]+")
_DIGITS = re.compile(r"\D+")
_HAN = re.compile(r"[\u3400-\u9fff]")


def name_keys(name: str) -> tuple[str, str, str]:
    """``(name_key, name_pinyin, name_initials)`` for a customer name."""
    text = (name or "").strip()
    key = _NON_KEY.sub("", text.lower())
    if not _HAN.search(text):
        words = [w for w in re.split(r"[\s\-_.·,()]+", text.lower()) if w]
        return key[:200], key[:400], "".join(w[0] for w in words)[:100]
    fast = _fast_pinyin(text)
    if fast is not None:
        full, initials = fast
        return key[:200], full[:400], initials[:100]
    return (key[:200], *_slow_pinyin(text))


def _slow_pinyin(text: str) -> tuple[str, str]:
    """``(name_pinyin, name_initials)`` with pypinyin's phrase-aware conversion."""
    syllables = lazy_pinyin(text, errors="default")
    full = _NON_KEY.sub("", "".join(syllables).lower())
    initials = []
    for chunk in syllables:
        chunk = _NON_KEY.sub("", chunk.lower())
        if chunk:
            initials.append(chunk[0])
    return full[:400], "".join(initials)[:100]


# -- the fast path -------------------------------------------------------------------

_tables: tuple | None = None


def _build_tables() -> tuple:
    """What :func:`_fast_pinyin` needs, built once from pypinyin's own dictionaries.

    ``(runs, any_han, full, initials, first, phrases)``: a regex splitting text
    into Han / non-Han runs exactly as pypinyin's ``simple_seg`` does, one
    finding a Han character, two ``str.translate`` tables (Han character →
    its syllable, → its initial), and the *deviant* phrases indexed by their
    first character.

    A character's table reading is the one lazy_pinyin gives it alone: the
    first reading in ``PINYIN_DICT`` after pypinyin's own NORMAL-style
    conversion. A phrase of ``PHRASES_DICT`` is deviant when it reads any of
    its characters differently (重庆 chong-qing, 银行 yin-hang, 长沙
    chang-sha). lazy_pinyin reads a run of Han characters phrase by phrase, so
    a run that contains no deviant phrase reads character by character as the
    table says; a run that does contain one goes to lazy_pinyin.
    """
    from pypinyin.constants import PHRASES_DICT, PINYIN_DICT, RE_HANS
    from pypinyin.converter import UltimateConverter

    pattern = RE_HANS.pattern
    if not (pattern.startswith("^(?:[") and pattern.endswith("])+$")):
        return (None,) * 6   # a pypinyin we do not know: always the slow path
    han_class = pattern[len("^(?:["):-len("])+$")]
    runs = re.compile(f"([{han_class}]+)|([^{han_class}]+)")
    any_han = re.compile(f"[{han_class}]")

    converter = UltimateConverter()     # what lazy_pinyin uses with its default arguments
    normal: dict[tuple[str, str], str] = {}

    def read(han: str, tone: str) -> str:
        got = normal.get((han, tone))
        if got is None:
            got = normal[han, tone] = converter.convert_style(han, tone, Style.NORMAL, strict=True)
        return got

    reading: dict[str, str] = {}
    for code, readings in PINYIN_DICT.items():
        han = chr(code)
        if RE_HANS.match(han):
            reading[han] = read(han, readings.split(",")[0])
    first: dict[str, set[int]] = {}
    phrases: set[str] = set()
    for phrase, readings in PHRASES_DICT.items():
        if len(readings) != len(phrase) or any(
                reading.get(han) != read(han, tones[0]) for han, tones in zip(phrase, readings)):
            phrases.add(phrase)
            first.setdefault(phrase[0], set()).add(len(phrase))
    full = {ord(han): syllable for han, syllable in reading.items()}
    initials = {ord(han): _NON_KEY.sub("", syllable.lower())[:1] for han, syllable in reading.items()}
    first_lengths = {han: sorted(lengths) for han, lengths in first.items()}
    return runs, any_han, full, initials, first_lengths, phrases


def _fast_pinyin(text: str) -> tuple[str, str] | None:
    """``(name_pinyin, name_initials)`` from the tables, or None when lazy_pinyin must decide."""
    global _tables
    if _tables is None:
        _tables = _build_tables()
    runs, any_han, full_table, initial_table, first, phrases = _tables
    if runs is None:
        return None
    initials = []
    for han, other in runs.findall(text):
        if han:
            # One chunk per character, as lazy_pinyin gives outside phrases.
            chunk = han.translate(initial_table)
            if any_han.search(chunk):       # a character pypinyin has no reading for
                return None
            for i, c in enumerate(han):
                lengths = first.get(c)
                if lengths and any(han[i:i + n] in phrases for n in lengths):
                    return None
            initials.append(chunk)
        else:
            chunk = _NON_KEY.sub("", other.lower())
            if chunk:
                initials.append(chunk[0])
    full = _NON_KEY.sub("", text.translate(full_table).lower())
    return full[:400], "".join(initials)[:100]


def normalise_phone(phone: str) -> str:
    """Keep a leading + and the digits: ``138-0013 8000`` → ``13800138000``."""
    phone = (phone or "").strip()
    plus = "+" if phone.startswith("+") else ""
    return plus + _DIGITS.sub("", phone)


def search_term_kind(term: str) -> str:
    """Classify a search term: ``phone``, ``email``, ``latin`` or ``text``."""
    t = term.strip()
    if "@" in t:
        return "email"
    digits = _DIGITS.sub("", t)
    if digits and len(digits) >= 3 and re.fullmatch(r"[+\d\s\-()]+", t):
        return "phone"
    if re.fullmatch(r"[A-Za-z\s]+", t):
        return "latin"
    return "text"
