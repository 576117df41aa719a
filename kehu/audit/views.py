"""The audit log page (/audit/): every audit event of the company, newest
first, for administrators — record changes and exports (who, when, which
export with which filters, how many rows)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.audit.selectors import audit_event_list
from kehu.exports.audit import EXPORT_ACTION
from kehu.exports.registry import EXPORTS, export_label
from kehu.web.views.common import int_or_none, paginate

VIA_LABELS = {"web": gettext_lazy("browser"), "api": gettext_lazy("API"), "cli": gettext_lazy("kehu command")}


def _row(ev) -> dict:
    from kehu.web.views.customers import ACTION_LABELS, ENTITY_LABELS

    changes = ev.changes if isinstance(ev.changes, dict) else {}
    if ev.action == EXPORT_ACTION:
        return {
            "event": ev, "export": True, "action": _("exported"), "what": export_label(ev.entity),
            "format": str(changes.get("format", "")).upper(), "via": VIA_LABELS.get(changes.get("via"), ""),
            "filters": sorted((changes.get("filters") or {}).items()), "rows": changes.get("rows"),
            "complete": changes.get("complete", False),
        }
    return {"event": ev, "export": False, "action": ACTION_LABELS.get(ev.action, ev.action),
            "what": f"{ENTITY_LABELS.get(ev.entity, ev.entity)} #{ev.entity_id}"}


@login_required
def audit_log(request):
    g = request.GET
    action = g.get("action", "")[:40]
    entity = g.get("entity", "")[:40]
    qs = audit_event_list(viewer=request.user, action=action, entity=entity, actor_id=int_or_none(g.get("actor")))
    page = paginate(request, qs, ("-created_at", "-id"))
    return render(request, "audit/log.html", {
        "nav_active": "audit", "title": _("Audit log"), "page": page, "rows": [_row(ev) for ev in page.items],
        "action": action, "entity": entity,
        "exports": [(key, str(e.label)) for key, e in EXPORTS.items()],
    })
