"""Chinese word segmentation for the knowledge base's search (jieba).

PostgreSQL's and SQLite's full-text parsers split text at spaces and
punctuation; Chinese has neither between words. So the text indexed and
the text searched are both first cut into words by jieba, lower-cased and
joined by spaces: ``燃气表漏气怎么办`` → ``燃气 气表 燃气表 漏气 怎么办``.

- :func:`index_text` uses jieba's search mode (the words and the shorter
  dictionary words inside them), so that a query for ``燃气`` finds
  ``燃气表``;
- :func:`query_words` uses the precise mode and drops a few function words
  (``怎么``, ``如何``, ``the``) so that a question phrased as a sentence still
  finds the articles that have its content words;
- :func:`keywords` picks the strongest words of a long text (a case's
  description) by TF-IDF, for suggestions.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata

import jieba
import jieba.analyse

jieba.setLogLevel(logging.WARNING)

_lock = threading.Lock()
_ready = False
_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # letters and digits, any script

STOP_WORDS = frozenset(
    "的 了 是 在 和 与 或 吗 呢 吧 啊 怎么 怎样 怎么办 如何 什么 为什么 哪里 哪个 可以 能 能否 需要 要 我 我们 你 您 "
    "请问 请 一个 这个 那个 有 没有 及 对 把 被 给 "
    "a an the to of in on for and or is are was be how what why where can do does i my we you your it "
    "with by from at as this that".split()
)


def _init() -> None:
    global _ready
    if not _ready:
        with _lock:
            if not _ready:
                jieba.initialize()
                _ready = True


def normalise(text: str) -> str:
    """Full-width letters and digits to half-width, lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def _words(pieces) -> list[str]:
    out = []
    for piece in pieces:
        out.extend(_WORD.findall(piece))
    return out


def index_words(text: str) -> list[str]:
    _init()
    return _words(jieba.cut_for_search(normalise(text)))


def index_text(*parts: str) -> str:
    """The segmented text stored for the full-text index."""
    return " ".join(w for part in parts if part for w in index_words(part))


def query_words(text: str) -> list[str]:
    """The words of a search, in order, without duplicates or function words
    (all of them when the search is nothing but function words)."""
    _init()
    words = _words(jieba.cut(normalise(text)))
    kept = [w for w in words if w not in STOP_WORDS] or words
    seen: list[str] = []
    for w in kept:
        if w not in seen:
            seen.append(w)
    return seen[:32]


def keywords(text: str, limit: int = 8) -> list[str]:
    """The strongest words of a longer text (TF-IDF over jieba's corpus)."""
    _init()
    text = normalise(text)
    words = [w for w in jieba.analyse.extract_tags(text, topK=limit * 2) if _WORD.fullmatch(w)
             and w not in STOP_WORDS]
    return words[:limit] or query_words(text)[:limit]
