"""The /v1 HTTP API: jobs, job types, discoveries."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engines.registry import job_types
from service.limits import check_heavy_quota
from service.problems import Problem, validation_errors
from workers.models import Job
from workers.store import IdempotencyConflict, JobFinished, JobNotFound, aware, jsonable

router = APIRouter(prefix="/v1")

Status = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class JobSubmission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(..., max_length=64, description="a job type from GET /v1/job-types")
    params: dict[str, Any] = Field(default_factory=dict)


def _iso(moment: datetime | None) -> str | None:
    return aware(moment).isoformat() if moment else None


def job_view(job: Job) -> dict[str, Any]:
    total = job.progress_total or 0
    started, finished = aware(job.started_at), aware(job.finished_at)
    return {
        "id": job.id,
        "type": job.type,
        "status": job.status,
        "params": job.params,
        "progress": {
            "done": job.progress_done,
            "total": total,
            "fraction": (job.progress_done / total) if total else (1.0 if job.status == "succeeded" else 0.0),
            "message": job.progress_message,
        },
        "attempts": job.attempts,
        "owner": job.owner,
        "created_at": _iso(job.created_at),
        "started_at": _iso(started),
        "finished_at": _iso(finished),
        "heartbeat_at": _iso(job.heartbeat_at),
        "duration_s": (finished - started).total_seconds() if started and finished else None,
        "cancel_requested": job.cancel_requested,
        "error": job.error,
        "status_history": job.status_history or [],
        "links": {"self": f"/v1/jobs/{job.id}", "result": f"/v1/jobs/{job.id}/result",
                  "cancel": f"/v1/jobs/{job.id}/cancel"},
    }


def _not_found(job_id: str) -> Problem:
    return Problem(404, "Job not found", f"no job with id {job_id!r}")


def _get(request: Request, job_id: str) -> Job:
    try:
        return request.app.state.store.get_job(job_id)
    except JobNotFound:
        raise _not_found(job_id) from None


def validate_submission(submission: JobSubmission) -> dict[str, Any]:
    """Validate params against the job type's model; returns the normalised params."""
    types = job_types()
    job_type = types.get(submission.type)
    if job_type is None:
        raise Problem(422, "Unknown job type", f"unknown job type {submission.type!r}; known: {sorted(types)}",
                      [{"field": "type", "message": "unknown job type"}])
    missing = job_type.missing_requirements()
    if missing:
        raise Problem(503, "Job type unavailable",
                      f"job type {job_type.name!r} needs {missing}: install mathdisco[{job_type.extra}]")
    try:
        model = job_type.validate(submission.params)
    except ValidationError as exc:
        errors = validation_errors(exc, ("params",))
        raise Problem(422, "Invalid params", "; ".join(f"{e['field']}: {e['message']}" for e in errors),
                      errors) from None
    return model.model_dump(mode="json")


@router.post("/jobs", status_code=202)
def submit_job(submission: JobSubmission, request: Request, response: Response,
               idempotency_key: str | None = Header(None, max_length=255)) -> dict[str, Any]:
    """Validate, store, then enqueue a job; 202 with its status and a Location header."""
    params = validate_submission(submission)
    owner = getattr(request.state, "owner", "anonymous")
    store = request.app.state.store
    check_heavy_quota(store, owner, submission.type, request.app.state.settings.max_heavy_jobs)
    try:
        job, created = store.create_job(submission.type, params, owner=owner,
                                        idempotency_key=idempotency_key)
    except IdempotencyConflict as exc:
        raise Problem(422, "Idempotency key reused", str(exc),
                      [{"field": "Idempotency-Key", "message": str(exc)}]) from None
    if created:
        try:
            request.app.state.dispatcher.enqueue(job)
        except Exception as exc:
            store.finish(job.id, "failed", error=f"could not enqueue: {type(exc).__name__}: {exc}")
            raise Problem(503, "Broker unavailable", f"the job was stored but could not be queued: {exc}") from None
    else:
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return job_view(job)  # as accepted; no re-read (a worker may already have it: GET shows that)


@router.get("/jobs")
def list_jobs(request: Request, type: str | None = Query(None, max_length=64),
              status: Status | None = None, limit: int = Query(50, ge=1, le=500),
              cursor: str | None = Query(None, max_length=500)) -> dict[str, Any]:
    try:
        jobs, next_cursor = request.app.state.store.list_jobs(
            job_type=type, status=status, limit=limit, cursor=cursor)
    except ValueError as exc:
        raise Problem(422, "Invalid cursor", str(exc), [{"field": "cursor", "message": str(exc)}]) from None
    return {"items": [job_view(j) for j in jobs], "next_cursor": next_cursor}


@router.get("/jobs/{job_id}")
def get_job(job_id: str, request: Request) -> dict[str, Any]:
    return job_view(_get(request, job_id))


@router.get("/jobs/{job_id}/result")
def get_result(job_id: str, request: Request) -> dict[str, Any]:
    job = _get(request, job_id)
    if job.status != "succeeded":
        detail = f"job is {job.status}"
        if job.error:
            detail += f": {job.error}"
        raise Problem(409, "No result", detail)
    return job.result or {}


@router.post("/jobs/{job_id}/cancel", status_code=202)
def cancel_job(job_id: str, request: Request) -> dict[str, Any]:
    store = request.app.state.store
    if getattr(request.state, "authenticated", False) and _get(request, job_id).owner != request.state.owner:
        raise Problem(403, "Not your job", "a key may cancel only the jobs it submitted")
    try:
        job = store.request_cancel(job_id)
    except JobNotFound:
        raise _not_found(job_id) from None
    except JobFinished as exc:
        raise Problem(409, "Job already finished", str(exc)) from None
    request.app.state.dispatcher.revoke(job_id)
    return job_view(job)


@router.get("/job-types")
def list_job_types() -> JSONResponse:
    return JSONResponse(job_types_catalogue())


@cache  # fixed for the life of the process; building every schema takes ~40 ms
def _static_catalogue() -> tuple[dict[str, Any], ...]:
    out = []
    for job_type in job_types().values():
        schema = job_type.params_model.model_json_schema()
        defaults = {name: field.get_default(call_default_factory=True)
                    for name, field in job_type.params_model.model_fields.items()
                    if not field.is_required()}
        out.append({"name": job_type.name, "summary": job_type.summary, "schema": schema,
                    "defaults": jsonable(defaults), "queue": job_type.queue})
    return tuple(out)


def job_types_catalogue() -> list[dict[str, Any]]:
    """Each job type with its params' JSON schema, defaults, queue and availability.

    Availability is asked afresh on every call (an extra installed while the
    server runs is seen at once); the schemas are built once.
    """
    types = job_types()
    out = []
    for entry in _static_catalogue():
        job_type = types[entry["name"]]
        missing = job_type.missing_requirements()
        out.append({**entry, "available": not missing,
                    "unavailable_reason": f"install mathdisco[{job_type.extra}]" if missing else None})
    return out


def discovery_view(row: Any, jobs: list[str]) -> dict[str, Any]:
    return {"id": row.id, "fingerprint": row.fingerprint, "kind": row.kind, "target": row.target,
            "text": row.text, "latex": row.latex, "canonical": row.canonical, "evidence": row.evidence,
            "created_at": _iso(row.created_at), "jobs": jobs}


@router.get("/discoveries")
def list_discoveries(request: Request, kind: str | None = Query(None, max_length=64),
                     target: str | None = Query(None, max_length=255),
                     q: str | None = Query(None, max_length=255),
                     limit: int = Query(50, ge=1, le=500),
                     cursor: str | None = Query(None, max_length=500)) -> dict[str, Any]:
    try:
        rows, next_cursor = request.app.state.store.list_discoveries(
            kind=kind, target=target, search=q, limit=limit, cursor=cursor)
    except ValueError as exc:
        raise Problem(422, "Invalid cursor", str(exc), [{"field": "cursor", "message": str(exc)}]) from None
    return {"items": [discovery_view(r, jobs) for r, jobs in rows], "next_cursor": next_cursor}

