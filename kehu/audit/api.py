"""/audit-events: the company-wide audit log, for administrators (403 for
anyone else) — changes to records, and every export with who, when, which
export and filters, and how many rows."""

import datetime as dt
from typing import Optional

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from kehu.api.common import ErrorOut, READ_ERRORS
from kehu.api.pagination import CursorPagination
from kehu.audit.selectors import audit_event_list

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    id: int
    created_at: dt.datetime
    actor_id: Optional[int] = Field(description="Who; null when Kehu itself acted (or the user was deleted).")
    actor_username: Optional[str]
    action: str = Field(description="create, update, delete, merge, export, ...")
    entity: str = Field(description="The record type (customer, order, ...), or for an export which export: "
                                    "customers, orders, value_scores, value_churn, value_groups, value_migration, "
                                    "segment, survey_results.")
    entity_id: int = Field(description="The record; for an export the survey, segment or analysis it came from, "
                                       "else 0.")
    customer_id: Optional[int]
    summary: str
    changes: dict = Field(description='Changed fields as {"field": [old, new]}; for an export '
                                      '{"export", "format", "via" (web, api, cli), "filters", "rows", "complete"}.')

    @staticmethod
    def resolve_actor_username(obj):
        return obj.actor.username if obj.actor_id and obj.actor else None


class AuditFilterIn(Schema):
    action: str = Field("", max_length=40, description="Only this action, e.g. export.")
    entity: str = Field("", max_length=40, description="Only this record type or export.")
    actor_id: Optional[int] = Field(None, description="Only this user's events.")


@router.get("", response={200: list[AuditEventOut], 403: ErrorOut, **READ_ERRORS}, url_name="audit-event-list",
            summary="The audit log, newest first (administrators only)")
@paginate(CursorPagination)
def list_audit_events(request, filters: Query[AuditFilterIn]):
    return audit_event_list(viewer=request.auth, action=filters.action, entity=filters.entity,
                            actor_id=filters.actor_id)
