"""The results dashboard: server-rendered pages (Jinja2) made live with htmx.

Pages work without JavaScript: every page is complete HTML, forms post and
redirect (POST/redirect/GET), filters and pagination are plain links.  With
JavaScript, htmx re-fetches the jobs table and the job body while something
on them is active, and stops once nothing is (the fragment comes back
without its ``hx-trigger``); KaTeX typesets ``[data-latex]`` elements and
Chart.js draws ``canvas[data-chart]`` on load and after every swap
(static/dashboard.js).  All assets are vendored under static/vendor: the
service works offline and never loads a CDN.

Routes: ``/`` jobs, ``/jobs/{id}`` one job, ``/discoveries`` the catalogue
(+ ``.json``/``.csv`` export), ``/fragments/...`` for htmx, and form posts
``/jobs`` (submit) and ``/jobs/{id}/cancel``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlalchemy import select

from engines.registry import job_types
from service import dashboard_render as render
from service.jobs_api import (
    JobSubmission,
    discovery_view,
    job_types_catalogue,
    job_view,
    validate_submission,
)
from service.problems import Problem
from workers.models import STATUSES, Discovery
from workers.store import IdempotencyConflict, JobFinished, JobNotFound

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
ACTIVE = ("queued", "running")
EXPORT_CAP = 50_000  # rows per export: bounded so one request cannot stream the world


def _static(path: str) -> str:
    return f"/static/{path}"


def _when(value: str | datetime | None) -> str:
    """A compact UTC time; the full ISO time is in the JSON API."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


templates.env.globals.update(static=_static, when=_when, duration=_duration)


def _owner(request: Request) -> str:
    # the auth layer (when enabled) sets request.state.owner, as for the /v1 API
    return getattr(request.state, "owner", "anonymous")


def _type_infos() -> tuple[dict[str, Any], ...]:  # not cached: availability can change (an extra installed)
    return tuple({"name": c["name"], "summary": c["summary"], "available": c["available"],
                  "unavailable": c["unavailable_reason"] or ""} for c in job_types_catalogue())


@cache
def _fields(type_name: str) -> tuple[render.FormField, ...]:
    schema = next(c["schema"] for c in job_types_catalogue() if c["name"] == type_name)
    return tuple(render.form_fields(schema))


def _form_context(type_name: str | None, values: dict[str, str] | None = None,
                  errors: dict[str, str] | None = None,
                  general_errors: list[str] | None = None) -> dict[str, Any]:
    infos = _type_infos()
    types = job_types()
    name = type_name if type_name in types else ("identify" if "identify" in types else next(iter(types)))
    selected = next(i for i in infos if i["name"] == name)
    return {"types": infos, "selected": selected, "fields": _fields(name),
            "values": values or {}, "errors": errors or {}, "general_errors": general_errors or []}


def _jobs_context(request: Request, job_type: str | None, status: str | None,
                  cursor: str | None) -> dict[str, Any]:
    store = request.app.state.store
    try:
        jobs, next_cursor = store.list_jobs(job_type=job_type or None, status=status or None,
                                            limit=PAGE_SIZE, cursor=cursor or None)
    except ValueError:
        raise Problem(422, "Invalid cursor", "malformed cursor",
                      [{"field": "cursor", "message": "malformed cursor"}]) from None
    views = [job_view(j) for j in jobs]
    filters = {"type": job_type or "", "status": status or ""}
    base = {k: v for k, v in filters.items() if v}
    any_active = any(v["status"] in ACTIVE for v in views)
    # Poll fast while something shown can change; the newest page also polls slowly to pick up
    # jobs submitted elsewhere (CLI, cron); older pages are history and do not poll at all.
    poll_every = "1s" if any_active else ("10s" if not cursor and status not in ("succeeded", "failed", "cancelled") else "")
    return {
        "jobs": views, "filters": filters, "cursor": cursor, "poll_every": poll_every,
        "fragment_url": "/fragments/jobs?" + urlencode({**base, **({"cursor": cursor} if cursor else {})}),
        "next_url": "/?" + urlencode({**base, "cursor": next_cursor}) if next_cursor else "",
        "first_url": "/?" + urlencode(base),
    }


@router.get("/", response_class=HTMLResponse)
def jobs_page(request: Request, type: str | None = Query(None, max_length=64),
              status: str | None = Query(None, max_length=16),
              cursor: str | None = Query(None, max_length=500),
              notice: str | None = Query(None, max_length=200)) -> HTMLResponse:
    status = status if status in STATUSES else None
    context = {"nav": "jobs", "statuses": STATUSES, "notice": notice,
               **_jobs_context(request, type, status, cursor), **_form_context(type)}
    return templates.TemplateResponse(request, "jobs.html", context)


@router.get("/fragments/jobs", response_class=HTMLResponse)
def jobs_fragment(request: Request, type: str | None = Query(None, max_length=64),
                  status: str | None = Query(None, max_length=16),
                  cursor: str | None = Query(None, max_length=500)) -> HTMLResponse:
    status = status if status in STATUSES else None
    return templates.TemplateResponse(request, "_jobs_table.html",
                                      _jobs_context(request, type, status, cursor))


@router.get("/fragments/form", response_class=HTMLResponse)
def form_fragment(request: Request, type: str | None = Query(None, max_length=64)) -> HTMLResponse:
    return templates.TemplateResponse(request, "_submit_form.html", _form_context(type))


@router.post("/jobs", response_class=HTMLResponse)
async def submit_form(request: Request) -> Response:
    """The form post: validate like the API, show errors next to the fields, else redirect."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    type_name = values.pop("type", "")
    types = job_types()
    if type_name not in types:
        return _form_error(request, type_name, values, {}, [f"unknown job type {type_name!r}"])
    params, errors = render.parse_form(list(_fields(type_name)), values)
    if errors:
        return _form_error(request, type_name, values, errors, [])
    try:
        submission = JobSubmission(type=type_name, params=params)
        normalised = validate_submission(submission)
    except ValidationError as exc:  # e.g. an over-long type name
        return _form_error(request, type_name, values, {}, [str(exc)])
    except Problem as problem:
        by_field, general = render.field_errors(problem.errors)
        if not by_field and not general:
            general = [problem.detail or problem.title]
        return _form_error(request, type_name, values, by_field, general, problem.status)
    store = request.app.state.store
    try:
        job, _created = store.create_job(type_name, normalised, owner=_owner(request))
    except IdempotencyConflict as exc:  # pragma: no cover - the form sends no key
        return _form_error(request, type_name, values, {}, [str(exc)])
    try:
        request.app.state.dispatcher.enqueue(job)
    except Exception as exc:
        store.finish(job.id, "failed", error=f"could not enqueue: {type(exc).__name__}: {exc}")
        return _form_error(request, type_name, values, {}, [f"the broker is unavailable: {exc}"], 503)
    notice = f"Submitted {type_name} job {job.id[:8]}."
    return RedirectResponse("/?" + urlencode({"notice": notice}), status_code=303)


def _form_error(request: Request, type_name: str, values: dict[str, str], errors: dict[str, str],
                general: list[str], status_code: int = 422) -> HTMLResponse:
    """Re-render the jobs page with the user's input kept and each error at its field."""
    context = {"nav": "jobs", "statuses": STATUSES, "notice": None,
               **_jobs_context(request, None, None, None),
               **_form_context(type_name, values, errors, general)}
    if request.headers.get("HX-Request"):
        return templates.TemplateResponse(request, "_submit_form.html", context, status_code=status_code)
    return templates.TemplateResponse(request, "jobs.html", context, status_code=status_code)


@router.post("/jobs/{job_id}/cancel")
def cancel_form(job_id: str, request: Request) -> Response:
    store = request.app.state.store
    try:
        store.request_cancel(job_id)
        request.app.state.dispatcher.revoke(job_id)
        notice = f"Cancellation requested for {job_id[:8]}."
    except JobNotFound:
        raise Problem(404, "Job not found", f"no job with id {job_id!r}") from None
    except JobFinished as exc:
        notice = f"Job {job_id[:8]} not cancelled: {exc}."
    # back where the button was: the job page or the jobs list
    referer = request.headers.get("referer", "")
    target = f"/jobs/{job_id}" if f"/jobs/{job_id}" in referer else "/?" + urlencode({"notice": notice})
    return RedirectResponse(target, status_code=303)


def _job_context(request: Request, job_id: str) -> dict[str, Any]:
    store = request.app.state.store
    try:
        job = store.get_job(job_id)
    except JobNotFound:
        raise Problem(404, "Job not found", f"no job with id {job_id!r}") from None
    view = job_view(job)
    result = job.result if job.status == "succeeded" else None
    discoveries = store.job_discoveries(job_id) if result is not None else []
    return {
        "nav": "jobs", "job": view, "active": job.status in ACTIVE,
        "params_json": json.dumps(job.params, indent=2, sort_keys=True),
        "result_json": json.dumps(result, indent=2)[:200_000] if result is not None else "",
        "formulas": render.latex_items(result) if result is not None else [],
        "evidence": render.evidence_items(result),
        "charts": render.charts(result),
        "discoveries": discoveries,
    }


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(job_id: str, request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "job.html", _job_context(request, job_id))


@router.get("/fragments/jobs/{job_id}", response_class=HTMLResponse)
def job_fragment(job_id: str, request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "_job_body.html", _job_context(request, job_id))


# -- discoveries --------------------------------------------------------------------------------


def _kinds(request: Request) -> list[str]:
    store = request.app.state.store
    with store.sessions() as session:
        return sorted(session.scalars(select(Discovery.kind).distinct()))


def _discovery_filters(kind: str | None, target: str | None, q: str | None) -> dict[str, str]:
    return {k: v for k, v in (("kind", kind), ("target", target), ("q", q)) if v}


@router.get("/discoveries", response_class=HTMLResponse)
def discoveries_page(request: Request, kind: str | None = Query(None, max_length=64),
                     target: str | None = Query(None, max_length=255),
                     q: str | None = Query(None, max_length=255),
                     cursor: str | None = Query(None, max_length=500)) -> HTMLResponse:
    filters = _discovery_filters(kind, target, q)
    try:
        rows, next_cursor = request.app.state.store.list_discoveries(
            kind=kind or None, target=target or None, search=q or None, limit=PAGE_SIZE,
            cursor=cursor or None)
    except ValueError:
        raise Problem(422, "Invalid cursor", "malformed cursor") from None
    query = urlencode(filters)
    context = {
        "nav": "discoveries", "items": [discovery_view(r, jobs) for r, jobs in rows],
        "filters": filters, "kinds": _kinds(request), "cursor": cursor,
        "next_url": "/discoveries?" + urlencode({**filters, "cursor": next_cursor}) if next_cursor else "",
        "first_url": "/discoveries?" + query,
        "export_json": "/discoveries.json" + (f"?{query}" if query else ""),
        "export_csv": "/discoveries.csv" + (f"?{query}" if query else ""),
    }
    return templates.TemplateResponse(request, "discoveries.html", context)


def _all_discoveries(request: Request, filters: dict[str, str]) -> Iterator[dict[str, Any]]:
    """Every matching discovery, newest first, page by page (bounded by EXPORT_CAP)."""
    store = request.app.state.store
    cursor, sent = None, 0
    while sent < EXPORT_CAP:
        rows, cursor = store.list_discoveries(kind=filters.get("kind"), target=filters.get("target"),
                                              search=filters.get("q"), limit=500, cursor=cursor)
        for row, jobs in rows:
            yield discovery_view(row, jobs)
            sent += 1
        if not cursor:
            return


@router.get("/discoveries.json")
def discoveries_json(request: Request, kind: str | None = Query(None, max_length=64),
                     target: str | None = Query(None, max_length=255),
                     q: str | None = Query(None, max_length=255)) -> Response:
    items = list(_all_discoveries(request, _discovery_filters(kind, target, q)))
    return Response(json.dumps({"items": items}, indent=1), media_type="application/json",
                    headers={"Content-Disposition": 'attachment; filename="discoveries.json"'})


CSV_COLUMNS = ("id", "kind", "target", "text", "latex", "verified_digits", "evidence", "jobs",
               "created_at", "fingerprint")


def _csv_cell(value: Any) -> str:
    """Spreadsheet-safe text: a leading = + - @ would be run as a formula (OWASP "CSV injection").

    The quote changes how such cells read ("'-1 + e"); the JSON export is exact.
    """
    text = value if isinstance(value, str) else json.dumps(value) if value is not None else ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/discoveries.csv")
def discoveries_csv(request: Request, kind: str | None = Query(None, max_length=64),
                    target: str | None = Query(None, max_length=255),
                    q: str | None = Query(None, max_length=255)) -> StreamingResponse:
    filters = _discovery_filters(kind, target, q)

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for item in _all_discoveries(request, filters):
            evidence = item.get("evidence") or {}
            writer.writerow([_csv_cell(v) for v in (
                str(item["id"]), item["kind"], item["target"], item["text"], item["latex"],
                str(evidence.get("verified_digits", "")), evidence, " ".join(item["jobs"]),
                item["created_at"], item["fingerprint"])])
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="discoveries.csv"'})


def install_dashboard(app: Any) -> None:
    """Mount the dashboard pages and its vendored static assets on the app."""
    from fastapi.staticfiles import StaticFiles

    app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
