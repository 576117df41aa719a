"""Parse a ``DATABASE_URL`` into a Django ``DATABASES`` entry.

Supported forms::

    sqlite:///relative/path.sqlite3      (relative to the current directory)
    sqlite:////absolute/path.sqlite3
    postgres://user:pass@host:5432/name  (also postgresql://)
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit


class DatabaseURLError(ValueError):
    pass


def parse_database_url(url: str, *, base_dir: Path | None = None) -> dict:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        raw = unquote(url[len("sqlite://"):])
        if raw in ("", "/", "/:memory:", ":memory:"):
            name = ":memory:"
        else:
            # sqlite:///var/x.db -> "var/x.db" (relative); sqlite:////abs -> "/abs"
            path = raw[1:] if raw.startswith("/") else raw
            p = Path(path)
            if not p.is_absolute() and base_dir is not None:
                p = base_dir / p
            name = str(p)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "OPTIONS": {
                # WAL lets readers and one writer work at once; the timeout
                # waits for a busy writer instead of failing at once.
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
            },
        }
    if scheme in ("postgres", "postgresql", "pgsql"):
        options = dict(parse_qsl(parts.query))
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "kehu",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "OPTIONS": options,
        }
    raise DatabaseURLError(
        f"Unsupported DATABASE_URL scheme {scheme!r}: use sqlite:///path or postgres://user@host/name"
    )
