"""The address respondents reach Kehu at (``KEHU_PUBLIC_URL``): survey links
and QR codes are made from it, so a wrong one sends every customer to a dead
page.

Unless ``KEHU_PUBLIC_URL`` is set, it follows the server: ``kehu serve --port
8101`` (and ``kehu demo --serve``) makes it ``http://127.0.0.1:8101``
(:func:`apply_served`), for the server's processes and its worker. Whether it
answers is checked when the server is ready (a warning in the log) and shown
to administrators on a wave's page (:func:`problem`, checked at most every
ten minutes).
"""

from __future__ import annotations

import logging
import os
import socket
import urllib.error
import urllib.request

from django.conf import settings

logger = logging.getLogger(__name__)

SERVED_ENV = "KEHU_SERVED_URL"
CHECK_SECONDS = 600


def served_url(host: str, port: int) -> str:
    """The URL of ``kehu serve --host HOST --port PORT`` as others would write it."""
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = socket.gethostname() or "127.0.0.1"  # listening everywhere: the machine's name
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{int(port)}"


def configured() -> bool:
    """Whether the administrator set ``KEHU_PUBLIC_URL`` (then it is never changed)."""
    return bool(os.environ.get("KEHU_PUBLIC_URL", "").strip())


def apply_served(host: str, port: int) -> str:
    """Make the served address the default public one (unless ``KEHU_PUBLIC_URL``
    is set); returns the public URL in force. The environment carries it to the
    worker process and to anything else started from here."""
    url = served_url(host, port)
    os.environ[SERVED_ENV] = url
    if not configured():
        settings.KEHU_PUBLIC_URL = url
    return settings.KEHU_PUBLIC_URL


def check(url: str, *, timeout: float = 3.0) -> str | None:
    """None when ``url`` answers HTTP (any status), else what went wrong."""
    request = urllib.request.Request(url.rstrip("/") + "/", method="HEAD",
                                     headers={"User-Agent": "kehu-public-url-check"})
    try:
        with urllib.request.urlopen(request, timeout=timeout):  # noqa: S310 - the administrator's own URL
            return None
    except urllib.error.HTTPError:
        return None  # it answered (404, 405, 302 …): something is serving there
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return str(reason) or exc.__class__.__name__


def problem(*, use_cache: bool = True) -> str | None:
    """What is wrong with ``KEHU_PUBLIC_URL`` (None when it answers, or when it
    is the address this server itself serves)."""
    url = settings.KEHU_PUBLIC_URL
    if url == os.environ.get(SERVED_ENV):
        return None
    if not use_cache:
        return check(url)
    from django.core.cache import cache

    key = f"kehu:public-url:{url}"
    try:
        hit = cache.get(key)
    except Exception:  # noqa: BLE001 - no cache: check every time
        hit = None
    if hit is not None:
        return hit or None
    found = check(url)
    try:
        cache.set(key, found or "", CHECK_SECONDS)
    except Exception:  # noqa: BLE001
        pass
    return found


def warn_if_unreachable(*, attempts: int = 5, pause: float = 2.0) -> str | None:
    """Log a warning when ``KEHU_PUBLIC_URL`` does not answer (the server calls
    this once it is ready); returns the problem. The address this server
    serves is not checked; another one gets a few tries (the server's workers,
    or a proxy in front, may still be starting)."""
    import time

    if settings.KEHU_PUBLIC_URL == os.environ.get(SERVED_ENV):
        return None
    found = None
    for attempt in range(attempts):
        found = check(settings.KEHU_PUBLIC_URL)
        if not found:
            return None
        if attempt < attempts - 1:
            time.sleep(pause)
    if found:
        logger.warning("KEHU_PUBLIC_URL %s does not answer (%s): survey links and QR codes point there; "
                       "set KEHU_PUBLIC_URL to the address customers reach Kehu at", settings.KEHU_PUBLIC_URL, found)
    return found
