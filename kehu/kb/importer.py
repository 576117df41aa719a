"""``kehu kb import DIR``: knowledge-base articles from Markdown files.

One article per ``*.md`` file (read in name order, UTF-8)::

    ---
    title_zh: 燃气表漏气怎么办
    title_en: What to do if the gas meter leaks
    category: safety | 安全 | Safety
    tags: 燃气表, 安全
    status: published
    case_category: leak
    ---
    --- zh ---
    闻到燃气味时，请立即关闭总阀……
    --- en ---
    If you smell gas, close the main valve ...

The header is ``key: value`` lines between two ``---`` lines. Keys:
``title_zh``, ``title_en`` (one at least), ``category`` (a category's code;
``code | 中文名 | English name`` creates it when it does not exist yet),
``tags`` (commas, ``，`` too), ``status`` (``draft``, the default,
``published`` or ``archived``), ``case_category``, ``source``. The body
follows: the lines after ``--- zh ---`` are the Chinese text, after
``--- en ---`` the English; a body without either marker is in the language
of the only title given (Chinese when both are).

All or nothing: any bad file and nothing is imported, each bad file reported
with its name and the reason; ``skip_bad`` imports the good ones and reports
the bad ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.kb.models import ArticleStatus, KbCategory
from kehu.kb.services import article_archive, article_create, category_create

KEYS = {"title_zh", "title_en", "category", "tags", "status", "case_category", "source"}
_MARKER = re.compile(r"^---\s*(zh|en)\s*---\s*$", re.IGNORECASE)
FILE_MAX = 1_000_000


class BadFile(Exception):
    pass


@dataclass
class ImportResult:
    imported: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)


def parse(text: str) -> tuple[dict, dict]:
    """The header and the bodies (``{"zh": ..., "en": ...}``) of one file."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        raise BadFile(_("The file does not start with a header between two --- lines."))
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise BadFile(_("The header has no closing --- line.")) from None
    header: dict[str, str] = {}
    for n, line in enumerate(lines[1:end], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if not sep or key not in KEYS:
            raise BadFile(_("Line %(n)d of the header is not one of: %(keys)s.") % {
                "n": n, "keys": ", ".join(sorted(KEYS))})
        header[key] = value.strip()
    bodies: dict[str, list[str]] = {}
    current = None
    for line in lines[end + 1:]:
        m = _MARKER.match(line.strip())
        if m:
            current = m.group(1).lower()
            bodies.setdefault(current, [])
            continue
        if current is None:
            current = "en" if header.get("title_en") and not header.get("title_zh") else "zh"
            bodies.setdefault(current, [])
        bodies[current].append(line)
    return header, {k: "\n".join(v).strip() for k, v in bodies.items()}


def _category(value: str) -> KbCategory | None:
    if not value:
        return None
    parts = [p.strip() for p in value.split("|")]
    code = parts[0]
    category = KbCategory.objects.filter(code=code).first()
    if category is not None:
        return category
    if len(parts) < 2 or not parts[1]:
        raise BadFile(_("Unknown category “%(code)s”; write “code | 中文名 | English name” to create it.")
                      % {"code": code})
    return category_create(actor=None, code=code, name_zh=parts[1], name_en=parts[2] if len(parts) > 2 else "")


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(ValidationError(errors).messages)}"
                         for name, errors in exc.error_dict.items())
    return " ".join(exc.messages)


def import_file(path: Path, *, actor=None):
    if path.stat().st_size > FILE_MAX:
        raise BadFile(_("The file is larger than 1 MB."))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BadFile(_("The file is not UTF-8 text.")) from None
    header, bodies = parse(text)
    status = header.get("status", ArticleStatus.DRAFT) or ArticleStatus.DRAFT
    if status not in ArticleStatus.values:
        raise BadFile(_("The status must be draft, published or archived."))
    data = {"title_zh": header.get("title_zh", ""), "title_en": header.get("title_en", ""),
            "body_zh": bodies.get("zh", ""), "body_en": bodies.get("en", ""),
            "category": _category(header.get("category", "")),
            "case_category_code": header.get("case_category", ""), "source_ref": header.get("source", "")}
    tags = [t for t in re.split(r"[,，]", header.get("tags", "")) if t.strip()]
    create_status = ArticleStatus.PUBLISHED if status == ArticleStatus.PUBLISHED else ArticleStatus.DRAFT
    article = article_create(actor=actor, data=data, tags=tags, status=create_status)
    if status == ArticleStatus.ARCHIVED:
        article_archive(actor=actor, article=article)
    return article


def import_dir(directory: Path, *, skip_bad: bool = False, actor=None) -> ImportResult:
    files = sorted(p for p in Path(directory).glob("*.md") if p.is_file())
    result = ImportResult()

    class _Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            for path in files:
                try:
                    with transaction.atomic():
                        import_file(path, actor=actor)
                except BadFile as exc:
                    result.errors.append((path.name, str(exc)))
                except ValidationError as exc:
                    result.errors.append((path.name, _messages(exc)))
                else:
                    result.imported.append(path.name)
            if result.errors and not skip_bad:
                raise _Rollback
    except _Rollback:
        result.imported = []
    return result
