"""Search keys for customer names: lower-case text, full pinyin and pinyin initials.

``zs``, ``zhangsan`` and ``张三`` all find 张三; keys are computed once on write
and searched by indexed prefix, so a search stays fast at a million customers.
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
    syllables = lazy_pinyin(text, errors="default")
    full = _NON_KEY.sub("", "".join(syllables).lower())
    initials = []
    for chunk in syllables:
        chunk = _NON_KEY.sub("", chunk.lower())
        if chunk:
            initials.append(chunk[0])
    return key[:200], full[:400], "".join(initials)[:100]


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
