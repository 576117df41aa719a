"""Reading gettext catalogues for the tests, with the standard library only.

:func:`parse_po` reads a ``.po`` file into :class:`Entry` objects (context,
msgid, plural, translations, flags); :func:`po_catalog` turns them into the
dictionary that Python's :class:`gettext.GNUTranslations` builds from the
compiled ``.mo``, following the rules of ``msgfmt``: fuzzy entries and entries
without a translation are left out, the header is kept.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")
CONTINUATION = re.compile(r"^(\".*\")\s*$")
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +\-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
POSITIONAL_PLACEHOLDER = re.compile(r"(?<!%)%[#0 +\-]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]")


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translations(self) -> list[str]:
        return [self.msgstr[i] for i in sorted(self.msgstr)]

    def label(self) -> str:
        ctx = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"line {self.line}: {ctx}{self.msgid!r}"


def _unquote(token: str) -> str:
    # A PO string is a C string; Python's literal syntax reads the escapes PO uses.
    return ast.literal_eval(token)


def parse_po(path: Path) -> list[Entry]:
    """The entries of a ``.po`` file, header included, in file order."""
    entries: list[Entry] = []
    flags: set[str] = set()
    current: Entry | None = None
    target: tuple[str, int | None] | None = None
    obsolete = False

    def finish():
        nonlocal current, target, flags, obsolete
        if current is not None:
            entries.append(current)
        current, target, flags, obsolete = None, None, set(), False

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#~"):
            line = line[2:].strip()
            obsolete = True
            if not line:
                continue
        elif line.startswith("#,"):
            if current is not None and target is not None and target[0] == "msgstr":
                finish()
            flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        elif line.startswith("#") or not line:
            if not line and current is not None:
                finish()
            continue
        m = KEYWORD.match(line)
        if m:
            keyword, index, token = m.group(1), m.group(2), m.group(3)
            if keyword in ("msgctxt", "msgid") and current is not None and target and target[0] == "msgstr":
                finish()
            if current is None:
                current = Entry(msgid="", flags=flags, obsolete=obsolete, line=number)
            value = _unquote(token)
            if keyword == "msgctxt":
                current.msgctxt = value
                target = ("msgctxt", None)
            elif keyword == "msgid":
                current.msgid = value
                target = ("msgid", None)
            elif keyword == "msgid_plural":
                current.msgid_plural = value
                target = ("msgid_plural", None)
            else:
                i = int(index) if index is not None else 0
                current.msgstr[i] = value
                target = ("msgstr", i)
            continue
        m = CONTINUATION.match(line)
        if m and current is not None and target is not None:
            value = _unquote(m.group(1))
            kind, i = target
            if kind == "msgstr":
                current.msgstr[i] += value
            else:
                setattr(current, kind, getattr(current, kind) + value)
            continue
        raise ValueError(f"{path}:{number}: cannot read {raw!r}")
    finish()
    return [e for e in entries if not e.obsolete]


def header(entries: list[Entry]) -> dict[str, str]:
    head = next((e for e in entries if e.is_header), None)
    if head is None:
        return {}
    out = {}
    for line in head.msgstr.get(0, "").splitlines():
        key, _sep, value = line.partition(":")
        out[key.strip()] = value.strip()
    return out


def po_catalog(entries: list[Entry]) -> dict:
    """What ``msgfmt`` would compile, keyed as :class:`gettext.GNUTranslations` keys it."""
    catalog = {}
    for e in entries:
        if e.fuzzy and not e.is_header:
            continue
        if not any(e.translations):
            continue
        key = e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}"
        if e.msgid_plural is None:
            catalog[key] = e.msgstr[0]
        else:
            for i, text in e.msgstr.items():
                catalog[(key, i)] = text
    return catalog


def mo_catalog(path: Path) -> dict:
    """The messages of a compiled ``.mo`` file, as Python's gettext reads them."""
    with open(path, "rb") as fh:
        return dict(gettext.GNUTranslations(fh)._catalog)


def placeholders(text: str) -> list[str]:
    """The named placeholders of a Python-format string, sorted (``%(name)s`` → ``name``)."""
    return sorted(PLACEHOLDER.findall(text))
