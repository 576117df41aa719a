"""gunicorn's sync worker, answering the requests it refuses itself in Kehu's
JSON error envelope.

gunicorn reads the request line and the headers before Kehu sees anything; a
request line over ``limit_request_line`` (``kehu serve`` sets gunicorn's
maximum, 8190 bytes, above Kehu's own ``KEHU_MAX_URL_LENGTH``, which answers
first) or too many or too large headers got gunicorn's HTML page. Here they
get ``{"error": {"code": ..., "message": ...}}`` like every other error of the
API, in Kehu's default language (the request's own language header could not
be read). Everything else is gunicorn's own handling.
"""

from __future__ import annotations

import json

from gunicorn import util
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.sync import SyncWorker


def refusal(exc) -> tuple[int, str, str, str] | None:
    """``(status, reason, code, message)`` for a request gunicorn refused, or None."""
    from django.conf import settings
    from django.utils import translation
    from django.utils.translation import gettext as _

    with translation.override(settings.LANGUAGE_CODE):
        if isinstance(exc, LimitRequestLine):
            return (414, "URI Too Long", "uri_too_long",
                    _("The address is too long (more than %(max)s characters); send long values in "
                      "the body of a POST instead.") % {"max": settings.KEHU_MAX_URL_LENGTH})
        if isinstance(exc, LimitRequestHeaders):
            return (431, "Request Header Fields Too Large", "headers_too_large",
                    _("The request headers are too large."))
    return None


def envelope_bytes(status: int, reason: str, code: str, message: str) -> bytes:
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode("utf-8")
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


class KehuSyncWorker(SyncWorker):
    def handle_error(self, req, client, addr, exc):
        answer = refusal(exc)
        if answer is None:
            return super().handle_error(req, client, addr, exc)
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("", -1))[0], exc)
        try:
            util.write_nonblock(client, envelope_bytes(*answer))
        except Exception:  # the client may be gone; nothing to answer then
            self.log.debug("Failed to send error message.")
