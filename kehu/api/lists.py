"""The shared list tools through the API: saved views (one's own only),
bulk actions on a list's rows with a result per row, and the global search.

Bulk actions change each row through the record's own service, so the
visibility policy decides row by row: a row the caller may not see is
reported ``not found`` (as if it did not exist), one they may see but not
change is refused with the reason; the others are changed. The answer is 200
with the per-row results whatever the mix."""

import builtins
from typing import List, Optional, Union

from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS
from kehu.web import search as global_search
from kehu.web import services
from kehu.web.lists import BULK_MAX, bulk_apply, get_spec

router = Router(tags=["lists"])
views_router = Router(tags=["lists"])
search_router = Router(tags=["search"])


class SavedViewOut(Schema):
    id: int
    list: str = Field(alias="list_name", description=(
        "customers, orders, interactions, tasks, surveys, value_scores, value_runs or segments."))
    name: str
    query: str = Field(description="The list's query string (filters, sort, cols), without the page cursor.")
    columns: List[str]
    created_at: str
    updated_at: str

    @staticmethod
    def resolve_created_at(obj):
        return obj.created_at.isoformat()

    @staticmethod
    def resolve_updated_at(obj):
        return obj.updated_at.isoformat()


class SavedViewIn(Schema):
    list: str = Field(max_length=40, description=(
        "customers, orders, interactions, tasks, surveys, value_scores, value_runs or segments."))
    name: str = Field(max_length=80)
    query: str = Field("", max_length=2000)
    columns: List[str] = Field(default_factory=builtins.list, max_length=50)


class SavedViewPatchIn(Schema):
    name: Optional[str] = Field(None, max_length=80)
    query: Optional[str] = Field(None, max_length=2000)
    columns: Optional[List[str]] = Field(None, max_length=50)


class SavedViewFilter(Schema):
    list: str = Field("", max_length=40, description="Only the views of this list.")


@views_router.get("", response={200: list[SavedViewOut], **READ_ERRORS}, url_name="saved-view-list",
                  summary="Your saved views")
def list_views(request, filters: Query[SavedViewFilter]):
    return list(services.saved_view_list(viewer=request.auth, list_name=filters.list).order_by("list_name", "name", "id"))


@views_router.post("", response={201: SavedViewOut, **WRITE_ERRORS}, url_name="saved-view-create",
                   summary="Save a view of a list")
def create_view(request, payload: SavedViewIn):
    view = services.saved_view_create(actor=request.auth, list_name=payload.list, name=payload.name,
                                      query=payload.query, columns=payload.columns)
    return Status(201, view)


@views_router.get("/{int:view_id}", response={200: SavedViewOut, **READ_ERRORS}, url_name="saved-view-detail",
                  summary="One of your saved views")
def get_view(request, view_id: int):
    return services.saved_view_get(viewer=request.auth, pk=view_id)


@views_router.patch("/{int:view_id}", response={200: SavedViewOut, **WRITE_ERRORS}, url_name="saved-view-update",
                    summary="Rename a saved view or change its query or columns")
def update_view(request, view_id: int, payload: SavedViewPatchIn):
    view = services.saved_view_get(viewer=request.auth, pk=view_id)
    return services.saved_view_update(actor=request.auth, view=view, name=payload.name, query=payload.query,
                                      columns=payload.columns)


@views_router.delete("/{int:view_id}", response={204: None, **WRITE_ERRORS}, url_name="saved-view-delete",
                     summary="Delete a saved view")
def delete_view(request, view_id: int):
    view = services.saved_view_get(viewer=request.auth, pk=view_id)
    services.saved_view_delete(actor=request.auth, view=view)
    return Status(204, None)


class BulkIn(Schema):
    action: str = Field(max_length=20, description=(
        "customers: assign, tag, status, delete; orders: status, delete; interactions: delete; "
        "tasks: assign, status (done or cancelled), cancel; surveys: status, delete; segments: delete. "
        "Exporting a selection is a download: GET the list's export with ids=."))
    ids: list[int] = Field(max_length=BULK_MAX, description=f"The rows, at most {BULK_MAX}.")
    value: Optional[Union[int, str]] = Field(None, description=(
        "assign: the new owner's user id; tag: the tag; status: the new status (customers: the lifecycle stage; "
        "orders: open, confirmed, delivered, cancelled; tasks: done, cancelled; surveys: draft, active, archived)."))


class BulkRowOut(Schema):
    id: int
    ok: bool
    error: str = Field(description="Why the row was refused (empty when changed), in the caller's language.")


class BulkOut(Schema):
    action: str
    changed: int
    refused: int
    rows: list[BulkRowOut]


@router.post("/{list_name}/bulk", response={200: BulkOut, **WRITE_ERRORS}, url_name="list-bulk",
             summary="Apply an action to many rows of a list, with a result per row")
def bulk(request, list_name: str, payload: BulkIn):
    spec = get_spec(list_name)
    result = bulk_apply(actor=request.auth, spec=spec, action=payload.action, ids=payload.ids, value=payload.value)
    return {"action": result.action, "changed": result.changed, "refused": result.refused,
            "rows": [{"id": r.id, "ok": r.ok, "error": r.error} for r in result.rows]}


class SearchIn(Schema):
    q: str = Field(max_length=100, description="Name, pinyin (initials or full), phone, e-mail or code.")


class HitOut(Schema):
    kind: str
    id: int
    label: str
    detail: str
    url: str = Field(description="The record's page in the browser.")


class GroupOut(Schema):
    kind: str
    label: str
    hits: list[HitOut]


class SearchOut(Schema):
    groups: list[GroupOut]


@search_router.get("", response={200: SearchOut, **READ_ERRORS}, url_name="global-search",
            summary="The global search: records you may see, grouped by type")
def search(request, filters: Query[SearchIn]):
    term = filters.q.replace("\x00", "").strip()
    groups = global_search.search(viewer=request.auth, term=term) if term else []
    return {"groups": [{"kind": g["kind"], "label": str(g["label"]), "hits": g["hits"]} for g in groups]}
