"""Which files may be attached: an allow-list of extensions, each with the
magic bytes its content must start with (the name alone proves nothing).

Refused whatever their name: executables (Windows ``MZ``, ELF, Mach-O,
``#!`` scripts), HTML and SVG (they can carry script), and anything whose
content does not match its extension — a program renamed ``report.pdf``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"        # .doc .xls .ppt (Office 97-2003)
ZIP = (b"PK\x03\x04", b"PK\x05\x06")                 # .zip and the Office Open XML / OpenDocument formats


@dataclass(frozen=True)
class FileType:
    content_type: str
    magic: tuple[bytes, ...] = ()       # the content starts with one of these; () = plain text
    riff: bytes = b""                   # RIFF containers: the form type at offset 8


TYPES: dict[str, FileType] = {
    "pdf": FileType("application/pdf", (b"%PDF-",)),
    "png": FileType("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": FileType("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": FileType("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": FileType("image/gif", (b"GIF87a", b"GIF89a")),
    "webp": FileType("image/webp", (b"RIFF",), riff=b"WEBP"),
    "bmp": FileType("image/bmp", (b"BM",)),
    "tif": FileType("image/tiff", (b"II*\x00", b"MM\x00*")),
    "tiff": FileType("image/tiff", (b"II*\x00", b"MM\x00*")),
    "doc": FileType("application/msword", (OLE2,)),
    "xls": FileType("application/vnd.ms-excel", (OLE2,)),
    "ppt": FileType("application/vnd.ms-powerpoint", (OLE2,)),
    "docx": FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    "xlsx": FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    "pptx": FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation", ZIP),
    "odt": FileType("application/vnd.oasis.opendocument.text", ZIP),
    "ods": FileType("application/vnd.oasis.opendocument.spreadsheet", ZIP),
    "odp": FileType("application/vnd.oasis.opendocument.presentation", ZIP),
    "zip": FileType("application/zip", ZIP),
    "csv": FileType("text/csv"),
    "txt": FileType("text/plain"),
}

EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe",
                    b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"#!")
# Markup a browser would run if it ever rendered the file: never accepted as text.
MARKUP = (b"<html", b"<!doctype", b"<script", b"<svg", b"<?xml", b"<body", b"<head", b"<iframe", b"<object",
          b"<embed", b"<meta")
SNIFF_BYTES = 4096


def max_bytes() -> int:
    return int(getattr(settings, "KEHU_ATTACHMENT_MAX_MB", 20)) * 1024 * 1024


def allowed_extensions() -> list[str]:
    return sorted(TYPES)


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            # The sniffed block may end inside a character: ignore a cut-off tail.
            head.decode(encoding) if len(head) < SNIFF_BYTES else head[:-4].decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def check_file(*, name: str, size: int, head: bytes, limit: int | None = None) -> FileType:
    """The :class:`FileType` of an upload, or :class:`ValidationError` (on ``file``)
    saying in the user's language why it is refused. ``head`` is the first
    :data:`SNIFF_BYTES` bytes of the content; ``limit`` a smaller size limit in
    bytes than :func:`max_bytes` (the public service form's)."""
    limit = max_bytes() if limit is None else min(limit, max_bytes())
    if size <= 0:
        raise ValidationError({"file": [_("The file is empty.")]}, code="empty")
    if size > limit:
        raise ValidationError({"file": [_("The file is too large: at most %(mb)s MB.") % {
            "mb": limit // (1024 * 1024)}]}, code="too_large")
    ext = extension(name)
    kind = TYPES.get(ext)
    if kind is None:
        raise ValidationError({"file": [_("Files of this type cannot be attached. Allowed: %(types)s.") % {
            "types": ", ".join(allowed_extensions())}]}, code="type")
    if head.startswith(EXECUTABLE_MAGIC):
        raise ValidationError({"file": [_("Programs and scripts cannot be attached.")]}, code="executable")
    if kind.magic:
        ok = head.startswith(kind.magic) and (not kind.riff or head[8:12] == kind.riff)
    else:
        lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        ok = _is_text(head) and not any(m in lowered[:SNIFF_BYTES] for m in MARKUP)
    if not ok:
        raise ValidationError({"file": [_("The content of the file is not a .%(ext)s file.") % {"ext": ext}]},
                              code="content")
    return kind
