"""The results dashboard: server-rendered pages (Jinja2) made live with htmx.

Pages work without JavaScript: every page is complete HTML, forms post and
redirect (POST/redirect/GET), filters and pagination are plain links.  With
JavaScript, htmx re-fetches the jobs table and the job body while something
on them is active, and stops once nothing is (the fragment comes back
without its ``hx-trigger``); KaTeX typesets ``[data-latex]`` elements and
Chart.js draws ``canvas[data-chart]`` on load and after every swap
(static/dashboard.js).  All assets are vendored under static/vendor: the
service works offline and never loads a CDN.

Every action goes through :mod:`mathdisco.service.submission`, the same functions the
/v1 API calls, so quotas, estimates, idempotency and owner checks hold here
too.  What a result shows is its engine's declared view
(:mod:`mathdisco.service.rendering`).

Routes: ``/`` jobs (``?rerun=ID`` pre-fills the form with a job's params),
``/jobs/{id}`` one job, ``/discoveries`` the catalogue (+ ``.json``/``.csv``
export), ``/fragments/...`` for htmx, and form posts ``/jobs`` (submit),
``/jobs/{id}/cancel`` and ``/jobs/{id}/retry``.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from mathdisco.engines.registry import job_types
from mathdisco.service import forms, submission
from mathdisco.service.dashboard_exports import discovery_filters, install_exports
from mathdisco.service.deps import CallerDep, DispatcherDep, SettingsDep, StoreDep
from mathdisco.service.errors import Conflict, DomainError
from mathdisco.service.problems import status_of
from mathdisco.service.rendering import render_result, show_value
from mathdisco.service.views import (
    check_filters,
    discovery_view,
    job_view,
    kernels_state,
    key_params_text,
)
from mathdisco.workers.models import ACTIVE_STATUSES, STATUSES, Job, JobStatus, ShardStatus
from mathdisco.workers.store import JobStore

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
LOG_TAIL_LINES = 200


def _static(path: str) -> str:
    return f"/static/{path}"


def _when(value: str | datetime | None) -> str:
    """A compact UTC time (the full ISO time is in the JSON API and the title attribute)."""
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


def _bytes(count: int | None) -> str:
    if count is None:
        return ""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{count} B"


def _limited(job: dict[str, Any]) -> str | None:
    """Why a job's limit stopped it before it searched at all (the view's ``limited``), or None."""
    limited = job.get("limited")
    if not limited:
        return None
    reason = limited.get("reason") if isinstance(limited, dict) else limited
    return str(reason or "stopped by its limit")


def _key_params(job: dict[str, Any]) -> str:
    return key_params_text(job["type"], job.get("params"))


templates.env.globals.update(static=_static, when=_when, duration=_duration, show=show_value,
                             size=_bytes, limited=_limited, key_params=_key_params)


def _type_infos() -> tuple[dict[str, Any], ...]:
    return tuple({"name": jt.name, "summary": jt.summary} for jt in job_types().values())


@cache  # a schema is fixed for the life of the process
def _fields(type_name: str) -> tuple[forms.FormField, ...]:
    job_type = job_types()[type_name]
    return tuple(forms.form_fields(job_type.params_model.model_json_schema(), job_type.key_params))


def _form_values(type_name: str, params: dict[str, Any]) -> dict[str, str]:
    """A job's params as the strings its form fields would hold (for Rerun)."""
    values = {}
    for f in _fields(type_name):
        if f.name not in params or params[f.name] is None:
            continue
        value = params[f.name]
        values[f.name] = (json.dumps(value) if f.widget == "json" else
                          ("true" if value else "false") if isinstance(value, bool) else str(value))
    return values


def _form_context(type_name: str | None, values: dict[str, str] | None = None,
                  errors: dict[str, str] | None = None, general_errors: list[str] | None = None,
                  rerun_of: str | None = None) -> dict[str, Any]:
    types = job_types()
    name = type_name if type_name in types else ("identify" if "identify" in types else next(iter(types)))
    missing = types[name].missing_extra()
    selected = {**next(i for i in _type_infos() if i["name"] == name), "available": not missing,
                "unavailable": missing or ""}
    return {"types": _type_infos(), "selected": selected, "fields": _fields(name),
            "values": values or {}, "errors": errors or {}, "general_errors": general_errors or [],
            "rerun_of": rerun_of or "", "form_key": uuid.uuid4().hex}


def _jobs_context(store: JobStore, job_type: str | None, status: str | None,
                  cursor: str | None) -> dict[str, Any]:
    jobs, next_cursor = store.list_jobs(job_type=job_type or None, status=status or None,
                                        limit=PAGE_SIZE, cursor=cursor or None)
    views = [job_view(j) for j in jobs]
    filters = {"type": job_type or "", "status": status or ""}
    base = {k: v for k, v in filters.items() if v}
    any_active = any(v["status"] in ACTIVE_STATUSES for v in views)
    # Poll fast while something shown can change; the newest page also polls slowly to pick up
    # jobs submitted elsewhere (CLI, cron); older pages are history and do not poll at all.
    final = status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)
    kernels = kernels_state(store)
    warming = kernels["state"] == "warming"  # the banner changes when they are ready
    poll_every = "1s" if any_active else ("10s" if (not cursor and not final) or warming else "")
    return {
        "kernels": kernels,
        "jobs": views, "filters": filters, "cursor": cursor, "poll_every": poll_every,
        "fragment_url": "/fragments/jobs?" + urlencode({**base, **({"cursor": cursor} if cursor else {})}),
        "next_url": "/?" + urlencode({**base, "cursor": next_cursor}) if next_cursor else "",
        "first_url": "/?" + urlencode(base),
    }


def _rerun_form(store: JobStore, rerun: str | None, type_name: str | None) -> dict[str, Any]:
    if not rerun:
        return _form_context(type_name)
    original = submission.get_job(store, rerun)
    return _form_context(original.type, _form_values(original.type, original.params or {}),
                         rerun_of=original.id)


@router.get("/", response_class=HTMLResponse)
def jobs_page(request: Request, store: StoreDep, type: str | None = Query(None, max_length=64),
              status: str | None = Query(None, max_length=16),
              cursor: str | None = Query(None, max_length=500),
              notice: str | None = Query(None, max_length=200),
              rerun: str | None = Query(None, max_length=64)) -> HTMLResponse:
    check_filters(type=type, status=status)
    context = {"nav": "jobs", "statuses": STATUSES, "notice": notice,
               **_jobs_context(store, type, status, cursor), **_rerun_form(store, rerun, type)}
    return templates.TemplateResponse(request, "jobs.html", context)


@router.get("/fragments/jobs", response_class=HTMLResponse)
def jobs_fragment(request: Request, store: StoreDep, type: str | None = Query(None, max_length=64),
                  status: str | None = Query(None, max_length=16),
                  cursor: str | None = Query(None, max_length=500)) -> HTMLResponse:
    check_filters(type=type, status=status)
    return templates.TemplateResponse(request, "_jobs_table.html",
                                      _jobs_context(store, type, status, cursor))


@router.get("/fragments/form", response_class=HTMLResponse)
def form_fragment(request: Request, type: str | None = Query(None, max_length=64)) -> HTMLResponse:
    return templates.TemplateResponse(request, "_submit_form.html", _form_context(type))


@router.post("/jobs", response_class=HTMLResponse)
async def submit_form(request: Request, store: StoreDep, dispatcher: DispatcherDep,
                      settings: SettingsDep, caller: CallerDep) -> Response:
    """The form post: submit like the API, show errors next to the fields, else redirect."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    type_name = values.pop("type", "")[:64]
    rerun_of = values.pop("rerun_of", "")[:64] or None
    form_key = values.pop("form_key", "")[:64] or None
    if type_name not in job_types():
        return _form_error(request, store, type_name, values, {}, [f"unknown job type {type_name!r}"],
                           rerun_of=rerun_of)
    params, errors = forms.parse_form(list(_fields(type_name)), values)
    if errors:
        return _form_error(request, store, type_name, values, errors, [], rerun_of=rerun_of)
    try:
        job, created = submission.submit(
            store, dispatcher, settings, caller, type_name, params,
            idempotency_key=f"form-{form_key}" if form_key else None, rerun_of=rerun_of)
    except DomainError as refused:
        by_field, general = forms.field_errors(refused.errors)
        if not by_field and not general:
            general = [refused.detail or refused.title]
        return _form_error(request, store, type_name, values, by_field, general, status_of(refused),
                           rerun_of=rerun_of)
    if rerun_of:
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)
    verb = "Submitted" if created else "Already submitted"
    notice = f"{verb} {type_name} job {job.id[:8]}."
    return RedirectResponse("/?" + urlencode({"notice": notice}), status_code=303)


def _form_error(request: Request, store: JobStore, type_name: str, values: dict[str, str],
                errors: dict[str, str], general: list[str], status_code: int = 422, *,
                rerun_of: str | None = None) -> HTMLResponse:
    """Re-render the jobs page with the user's input kept and each error at its field."""
    context = {"nav": "jobs", "statuses": STATUSES, "notice": None,
               **_jobs_context(store, None, None, None),
               **_form_context(type_name, values, errors, general, rerun_of=rerun_of)}
    if request.headers.get("HX-Request"):
        return templates.TemplateResponse(request, "_submit_form.html", context, status_code=status_code)
    return templates.TemplateResponse(request, "jobs.html", context, status_code=status_code)


def _back(request: Request, job_id: str, notice: str) -> RedirectResponse:
    """Back where the button was: the job page or the jobs list."""
    referer = request.headers.get("referer", "")
    target = f"/jobs/{job_id}" if f"/jobs/{job_id}" in referer else "/?" + urlencode({"notice": notice})
    return RedirectResponse(target, status_code=303)


@router.post("/jobs/{job_id}/cancel")
def cancel_form(job_id: str, request: Request, store: StoreDep, dispatcher: DispatcherDep,
                caller: CallerDep) -> Response:
    try:
        submission.cancel(store, dispatcher, caller, job_id)
        notice = f"Cancellation requested for {job_id[:8]}."
    except Conflict as refused:  # 404, 403 answer as for the API
        notice = f"Job {job_id[:8]} not cancelled: {refused.detail}."
    return _back(request, job_id, notice)


@router.post("/jobs/{job_id}/retry")
def retry_form(job_id: str, store: StoreDep, dispatcher: DispatcherDep, settings: SettingsDep,
               caller: CallerDep) -> Response:
    job = submission.retry(store, dispatcher, settings, caller, job_id)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def _job_context(store: JobStore, job_id: str) -> dict[str, Any]:
    job: Job = submission.get_job(store, job_id)
    view = job_view(job)
    result = job.result if job.status == JobStatus.SUCCEEDED else None
    rendered = render_result(job.id, job.type, view["finished_at"], result) if result is not None else None
    log_lines = store.job_log(job.id)
    partial = (job.status in (JobStatus.CANCELLED, JobStatus.FAILED)
               and any(s.status == ShardStatus.SUCCEEDED for s in store.shards(job.id)))
    return {
        "nav": "jobs", "job": view, "active": job.status in ACTIVE_STATUSES,
        "params_json": json.dumps(job.params, indent=2, sort_keys=True),
        "result_json": json.dumps(result, indent=2)[:200_000] if result is not None else "",
        "rendered": rendered,
        "log_lines": log_lines[-LOG_TAIL_LINES:], "log_hidden": max(0, len(log_lines) - LOG_TAIL_LINES),
        "partial": partial,
        "catalogued": len(store.job_discoveries(job.id)) if result is not None else 0,
    }


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(job_id: str, request: Request, store: StoreDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "job.html", _job_context(store, job_id))


@router.get("/fragments/jobs/{job_id}", response_class=HTMLResponse)
def job_fragment(job_id: str, request: Request, store: StoreDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "_job_body.html", _job_context(store, job_id))


# -- discoveries --------------------------------------------------------------------------------


@router.get("/discoveries", response_class=HTMLResponse)
def discoveries_page(request: Request, store: StoreDep, kind: str | None = Query(None, max_length=64),
                     target: str | None = Query(None, max_length=255),
                     q: str | None = Query(None, max_length=255),
                     job_type: str | None = Query(None, max_length=64),
                     cursor: str | None = Query(None, max_length=500)) -> HTMLResponse:
    filters = discovery_filters(kind, target, q, job_type)
    rows, next_cursor = store.list_discoveries(
        kind=kind or None, target=target or None, search=q or None, job_type=job_type or None,
        limit=PAGE_SIZE, cursor=cursor or None)
    query = urlencode(filters)
    context = {
        "nav": "discoveries", "items": [discovery_view(r, jobs) for r, jobs in rows],
        "filters": filters, "kinds": store.discovery_kinds(), "types": _type_infos(),
        "cursor": cursor,
        "next_url": "/discoveries?" + urlencode({**filters, "cursor": next_cursor}) if next_cursor else "",
        "first_url": "/discoveries?" + query,
        "export_json": "/discoveries.json" + (f"?{query}" if query else ""),
        "export_csv": "/discoveries.csv" + (f"?{query}" if query else ""),
    }
    return templates.TemplateResponse(request, "discoveries.html", context)


def install_dashboard(app: Any) -> None:
    """Mount the dashboard pages, the exports and the vendored static assets on the app."""
    from fastapi.staticfiles import StaticFiles

    app.include_router(router)
    install_exports(app)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
