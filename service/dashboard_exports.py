"""Exports of the discoveries catalogue: ``/discoveries.json`` and ``/discoveries.csv``.

Both take the discoveries page's filters, stream page by page (bounded by
``EXPORT_CAP`` rows), and carry each statement's provenance: the software,
versions and params of the job that first found it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse

from mathdisco.service.deps import StoreDep
from mathdisco.service.views import check_filters, discovery_view
from mathdisco.workers.store import JobStore

__all__ = ["CSV_COLUMNS", "discovery_filters", "install_exports"]

router = APIRouter(include_in_schema=False)
EXPORT_CAP = 50_000  # rows per export: bounded so one request cannot stream the world
CSV_COLUMNS = ("id", "kind", "target", "text", "latex", "verified_digits", "evidence", "jobs",
               "created_at", "fingerprint", "mathdisco", "git_revision", "libraries", "found_with")


def discovery_filters(kind: str | None, target: str | None, q: str | None,
                      job_type: str | None) -> dict[str, str]:
    """The discoveries page's filters that are set (they travel in its URL); 422 for unknown ones."""
    check_filters(kind=kind, job_type=job_type)
    return {k: v for k, v in (("kind", kind), ("target", target), ("q", q),
                              ("job_type", job_type)) if v}


def _all_discoveries(store: JobStore, filters: dict[str, str]) -> Iterator[dict[str, Any]]:
    """Every matching discovery, newest first, page by page (bounded by EXPORT_CAP)."""
    cursor, sent = None, 0
    while sent < EXPORT_CAP:
        rows, cursor = store.list_discoveries(
            kind=filters.get("kind"), target=filters.get("target"), search=filters.get("q"),
            job_type=filters.get("job_type"), limit=500, cursor=cursor)
        for row, jobs in rows:
            yield discovery_view(row, jobs)
            sent += 1
        if not cursor:
            return


@router.get("/discoveries.json")
def discoveries_json(store: StoreDep, kind: str | None = Query(None, max_length=64),
                     target: str | None = Query(None, max_length=255),
                     q: str | None = Query(None, max_length=255),
                     job_type: str | None = Query(None, max_length=64)) -> Response:
    items = list(_all_discoveries(store, discovery_filters(kind, target, q, job_type)))
    return Response(json.dumps({"items": items}, indent=1), media_type="application/json",
                    headers={"Content-Disposition": 'attachment; filename="discoveries.json"'})


def _csv_cell(value: Any) -> str:
    """Spreadsheet-safe text: a leading = + - @ would be run as a formula (OWASP "CSV injection").

    The quote changes how such cells read ("'-1 + e"); the JSON export is exact.
    """
    text = value if isinstance(value, str) else json.dumps(value) if value is not None else ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_row(item: dict[str, Any]) -> list[str]:
    evidence = item.get("evidence") or {}
    provenance = item.get("provenance") or {}
    found_with = {k: provenance.get(k) for k in ("job_type", "params", "seeds", "verification")
                  if provenance.get(k) is not None}
    return [_csv_cell(v) for v in (
        str(item["id"]), item["kind"], item["target"], item["text"], item["latex"],
        str(evidence.get("verified_digits", "")), evidence, " ".join(item["jobs"]),
        item["created_at"], item["fingerprint"], provenance.get("mathdisco", ""),
        provenance.get("git_revision") or "", provenance.get("libraries") or "", found_with or "")]


@router.get("/discoveries.csv")
def discoveries_csv(store: StoreDep, kind: str | None = Query(None, max_length=64),
                    target: str | None = Query(None, max_length=255),
                    q: str | None = Query(None, max_length=255),
                    job_type: str | None = Query(None, max_length=64)) -> StreamingResponse:
    filters = discovery_filters(kind, target, q, job_type)

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for item in _all_discoveries(store, filters):
            writer.writerow(_csv_row(item))
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="discoveries.csv"'})


def install_exports(app: Any) -> None:
    app.include_router(router)
