"""``POST /api/v1/imports/{kind}``: the all-or-nothing table imports (kehu/imports/tables.py) —
sales quotas, partners, staff without a login — from a multipart upload, with or without
writing (``dry_run``)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from kehu.api.common import WRITE_ERRORS
from kehu.imports.readers import TableError
from kehu.imports.tables import TABLE_IMPORTS, report_dict

router = Router(tags=["imports"])

TableKind = Literal[tuple(t.value for t in TABLE_IMPORTS)]  # type: ignore[valid-type]  # quotas, partners, employees


class BadRowOut(Schema):
    line: int = Field(description="The row's line in the file (the header is line 1 when it is the first).")
    reason: str = Field(description="What is wrong with it, in the caller's language.")


class TableImportOut(Schema):
    kind: TableKind
    rows: int = Field(description="Data rows read.")
    created: int = Field(description="Records created (a dry run: that would be created).")
    updated: int = Field(description="Records changed (a dry run: that would be changed).")
    errors: list[BadRowOut] = Field(description="The bad rows; any of them and nothing is written.")
    refused: bool = Field(description="True when there are bad rows: nothing was written.")
    dry_run: bool = Field(description="True when the file was only checked.")


DOC = ("Import a .csv (UTF-8 or GBK) or .xlsx file (multipart/form-data, field `file`) of sales quotas "
       "(`quotas`), partners (`partners`) or staff without a login (`employees`), with the columns and rules of "
       "`kehu import KIND FILE` (docs/api.md). All or nothing: any bad row and nothing is written — the answer is "
       "still 200, with `refused` true and the bad rows by line. `dry_run` (a form field, true or false) checks the "
       "file and writes nothing. A file that cannot be read as a table (unknown type, no header row, not valid "
       "text) is a 422 with a field error on `file`; who may not run the import gets a 403 (quotas: those who set "
       "quotas; partners: administrators and sales managers; staff: administrators).")


@router.post("/{kind}", response={200: TableImportOut, **WRITE_ERRORS}, url_name="table-import",
             summary="Import quotas, partners or staff from a file", description=DOC)
def table_import(request, kind: TableKind, file: File[UploadedFile], dry_run: Form[bool] = False):
    spec = TABLE_IMPORTS[kind]
    if not spec.may(request.auth):
        raise PermissionDenied(_("You may not run this import."))
    suffix = Path(file.name or "").suffix.lower()[:10]
    with tempfile.TemporaryDirectory(prefix="kehu-import-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        with open(path, "wb") as fh:
            for chunk in file.chunks():
                fh.write(chunk)
        try:
            report = spec.run(actor=request.auth, path=path, dry_run=dry_run)
        except TableError as exc:
            raise ValidationError({"file": [str(exc)]}) from None
    return {"kind": kind, **report_dict(report)}
