"""/backups: list, make and download backups — administrators only (others get 403).

Same conventions as the rest of API v1: one schema out per endpoint, the
error envelope, keyset ``CursorPagination``. Making a backup answers 202
with the queued backup; poll ``GET /backups/{id}`` until ``finished``. A
failed backup (e.g. "interrupted: the process stopped", its process was
killed) is run again with ``POST /backups/{id}/retry``.
Restoring is not offered here: it is ``kehu restore FILE`` on the server.
"""

import datetime as dt
from typing import Optional

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import ErrorOut
from kehu.api.customers import UserRef
from kehu.api.pagination import CursorPagination
from kehu.backup import selectors
from kehu.backup.models import BackupStatus, BackupTrigger
from kehu.backup.services import backup_delete, backup_retry, backup_start

router = Router(tags=["backups"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class BackupSummary(Schema):
    kehu_version: Optional[str] = None
    vendor: Optional[str] = Field(None, description="sqlite or postgresql.")
    server_version: Optional[str] = None
    tables: int = 0
    rows: int = Field(0, description="Rows in all tables, as counted in the backup's snapshot.")
    files: int = Field(0, description="Files besides the database (uploads, settings under var/).")
    migrations: int = 0
    latest_migrations: dict[str, str] = Field(default_factory=dict,
                                              description="The latest applied migration of each app.")
    includes_secret_key: bool = False


class BackupOut(Schema):
    id: int
    filename: str
    status: BackupStatus
    trigger: BackupTrigger
    requested_by: Optional[UserRef]
    progress: int = Field(description="0–100.")
    stage: str = Field(description="What the backup is doing, in the caller's language.")
    error: str = Field(description="Why the backup failed, in the caller's language; empty otherwise.")
    size: Optional[int] = Field(description="Bytes; null until finished.")
    include_secret_key: bool
    created_at: dt.datetime
    started_at: Optional[dt.datetime]
    finished_at: Optional[dt.datetime]
    finished: bool = Field(description="True once the backup succeeded or failed: stop polling.")
    summary: Optional[BackupSummary] = Field(description="The manifest's summary; null until finished.")

    @staticmethod
    def resolve_stage(obj) -> str:
        return _(obj.stage) if obj.stage else ""

    @staticmethod
    def resolve_error(obj) -> str:
        return obj.error_message()

    @staticmethod
    def resolve_finished(obj) -> bool:
        return not obj.running

    @staticmethod
    def resolve_summary(obj):
        return obj.summary or None


class BackupIn(Schema):
    include_secret_key: bool = Field(False, description="Also put var/secret_key into the archive.")


@router.get("", response={200: list[BackupOut], **ERRORS}, url_name="backup-list",
            summary="List backups, newest first")
@paginate(CursorPagination)
def list_backups(request):
    return selectors.backup_list(viewer=request.auth)


@router.post("", response={202: BackupOut, **ERRORS, 400: ErrorOut}, url_name="backup-create",
             summary="Make a backup in the background")
def create_backup(request, payload: BackupIn):
    selectors.backup_list(viewer=request.auth)  # administrators only
    backup = backup_start(actor=request.auth, trigger=BackupTrigger.API,
                          include_secret_key=payload.include_secret_key)
    return Status(202, backup)


@router.get("/{int:backup_id}", response={200: BackupOut, **ERRORS}, url_name="backup-detail",
            summary="One backup (poll it while it runs)")
def get_backup(request, backup_id: int):
    return selectors.backup_get(viewer=request.auth, pk=backup_id)


@router.post("/{int:backup_id}/retry", response={202: BackupOut, **ERRORS}, url_name="backup-retry",
             summary="Run a failed backup again in the background")
def retry_backup(request, backup_id: int):
    backup = selectors.backup_get(viewer=request.auth, pk=backup_id)
    return Status(202, backup_retry(actor=request.auth, backup=backup))


@router.get("/{int:backup_id}/download", response={200: None, **ERRORS}, url_name="backup-download",
            summary="Download a finished backup's archive",
            openapi_extra={"responses": {"200": {"description": "The archive (.tar.gz).", "content": {
                "application/gzip": {"schema": {"type": "string", "format": "binary"}}}}}})
def download_backup(request, backup_id: int):
    backup = selectors.backup_get(viewer=request.auth, pk=backup_id)
    if backup.status != BackupStatus.SUCCEEDED or not backup.path.is_file():
        raise Http404
    return FileResponse(open(backup.path, "rb"), as_attachment=True, filename=backup.filename,
                        content_type="application/gzip")


@router.delete("/{int:backup_id}", response={204: None, **ERRORS}, url_name="backup-delete",
               summary="Delete a backup and its archive")
def delete_backup(request, backup_id: int):
    backup = selectors.backup_get(viewer=request.auth, pk=backup_id)
    backup_delete(actor=request.auth, backup=backup)
    return Status(204, None)
