"""The /v1 HTTP API: jobs, their results, logs and shards, job types, discoveries.

The routes only translate HTTP: every rule about starting and stopping jobs
lives in :mod:`mathdisco.service.submission`, every JSON shape in :mod:`mathdisco.service.views`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Header, Query, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from mathdisco.service import submission
from mathdisco.service.deps import CallerDep, DispatcherDep, SettingsDep, StoreDep
from mathdisco.service.problems import Problem
from mathdisco.service.views import (
    JobView,
    check_filters,
    discovery_view,
    job_types_catalogue,
    job_view,
    schema_has_list,
)
from mathdisco.workers.models import Job, JobStatus, ShardStatus
from mathdisco.workers.store import JobStore

router = APIRouter(prefix="/v1")

MAX_PAGE_ITEMS = 1000


class JobSubmission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(..., max_length=64, description="a job type from GET /v1/job-types")
    params: dict[str, Any] = Field(default_factory=dict)
    callback_url: str | None = Field(
        None, max_length=2000,
        description="http(s) URL that receives a JSON POST of the job view when the job is final "
                    "(hosts allowed by MATHDISCO_CALLBACK_HOSTS; loopback only when unset)")


class RerunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    params: dict[str, Any] = Field(default_factory=dict, description="overrides of the original params")
    callback_url: str | None = Field(None, max_length=2000)


@router.post("/jobs", status_code=202, response_model=JobView)
def submit_job(submission_body: JobSubmission, response: Response, store: StoreDep,
               dispatcher: DispatcherDep, settings: SettingsDep, caller: CallerDep,
               idempotency_key: str | None = Header(None, max_length=255)) -> dict[str, Any]:
    """Validate, store, then enqueue a job; 202 with its status and a Location header.

    Heavy job types answer with the engine's ``estimate`` (seconds, memory_bytes);
    a job whose estimate exceeds the configured limits is refused with 422.
    """
    job, created = submission.submit(store, dispatcher, settings, caller,
                                     submission_body.type, submission_body.params,
                                     idempotency_key=idempotency_key,
                                     callback_url=submission_body.callback_url)
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return job_view(job)  # as accepted; no re-read (a worker may already have it: GET shows that)


@router.get("/jobs")
def list_jobs(store: StoreDep, type: str | None = Query(None, max_length=64),
              status: JobStatus | None = None, limit: int = Query(50, ge=1, le=500),
              cursor: str | None = Query(None, max_length=500)) -> dict[str, Any]:
    check_filters(type=type)
    jobs, next_cursor = store.list_jobs(
        job_type=type, status=status, limit=limit, cursor=cursor)
    return {"items": [job_view(j) for j in jobs], "next_cursor": next_cursor}


@router.get("/jobs/{job_id}", response_model=JobView)
def get_job(job_id: str, store: StoreDep) -> dict[str, Any]:
    return job_view(submission.get_job(store, job_id))


def _partial_result(store: JobStore, job: Job) -> dict[str, Any] | None:
    """What a cancelled or failed sharded job stored before it stopped, or None."""
    shards = store.shards(job.id)
    stored = [s for s in shards if s.status == ShardStatus.SUCCEEDED]
    if not stored:
        return None
    return {"partial": True, "status": job.status, "shards_total": len(shards),
            "shards_stored": len(stored),
            "shards": [{"index": s.index, "params": s.params,
                        "result": f"/v1/jobs/{job.id}/shards/{s.index}"} for s in stored],
            "items": f"/v1/jobs/{job.id}/items/{{path}}"}


@router.get("/jobs/{job_id}/result", responses={200: {
    "description": "The job's result: an object of the job type's `result_schema` (see "
                   "GET /v1/job-types), with `provenance`. A cancelled or failed sharded job answers "
                   "its partial result: the shards it stored (`partial: true`).",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobResult"}}}}})
def get_result(job_id: str, store: StoreDep) -> dict[str, Any]:
    job = submission.get_job(store, job_id)
    if job.status == JobStatus.SUCCEEDED:
        return job.result or {}
    if job.status in (JobStatus.CANCELLED, JobStatus.FAILED):
        partial = _partial_result(store, job)
        if partial is not None:
            return partial
    detail = f"job is {job.status}"
    if job.error:
        detail += f": {job.error.splitlines()[0]}"
    raise Problem(409, "No result", detail)


@router.get("/jobs/{job_id}/log", response_class=PlainTextResponse)
def get_log(job_id: str, store: StoreDep, download: bool = False) -> PlainTextResponse:
    """The job's log as text: what its engine reported, its phases and verification steps."""
    job = submission.get_job(store, job_id)
    lines = [f"{line.at.isoformat(timespec='seconds')} {line.level.upper():7} {line.message}"
             for line in store.job_log(job.id)]
    headers = ({"Content-Disposition": f'attachment; filename="{job.type}-{job.id[:8]}.log"'}
               if download else None)
    return PlainTextResponse("\n".join(lines) + ("\n" if lines else ""), headers=headers)


@router.get("/jobs/{job_id}/shards")
def list_shards(job_id: str, store: StoreDep) -> dict[str, Any]:
    """The shards of a job that fans out: index, status, params (results at /shards/{index})."""
    job = submission.get_job(store, job_id)
    return {"items": [{"index": s.index, "status": s.status, "params": s.params, "error": s.error,
                       "result": f"/v1/jobs/{job.id}/shards/{s.index}"}
                      for s in store.shards(job.id)]}


@router.get("/jobs/{job_id}/shards/{index}")
def get_shard_result(job_id: str, index: int, store: StoreDep) -> dict[str, Any]:
    submission.get_job(store, job_id)
    shard = next((s for s in store.shards(job_id) if s.index == index), None)
    if shard is None:
        raise Problem(404, "Shard not found", f"job {job_id!r} has no shard {index}")
    if shard.status != ShardStatus.SUCCEEDED:
        raise Problem(409, "No result", f"shard {index} is {shard.status}")
    return shard.result or {}


def _at_path(value: Any, path: list[str]) -> list[Any] | None:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, list) else None


@router.get("/jobs/{job_id}/items/{path}")
def page_items(job_id: str, path: str, store: StoreDep, offset: int = Query(0, ge=0),
               limit: int = Query(100, ge=1, le=MAX_PAGE_ITEMS)) -> dict[str, Any]:
    """A page of the list at the dotted ``path`` (e.g. ``identified``, ``feature_table.rows``).

    The list is the one in the job's result when it has it (a merge may add to
    what its shards found: cluster-accelerated formulas).  Otherwise, for a job
    that fans out -- a list left out of a large merged result, or a cancelled
    job's partial one -- it is the concatenation of that list over the stored
    shard results in shard order, read page by page.
    """
    job = submission.get_job(store, job_id)
    keys = [k for k in path.split(".") if k]
    if not keys or len(keys) > 5 or any(len(k) > 64 for k in keys):
        raise Problem(422, "Invalid path", "a dotted path of up to 5 keys",
                      [{"field": "path", "message": "a dotted path of up to 5 keys"}])
    merged = _at_path(job.result, keys) if job.status == JobStatus.SUCCEEDED else None
    if merged is not None:
        lists = [merged]
    else:
        found = [_at_path(s.result, keys) for s in store.shards(job.id)
                 if s.status == ShardStatus.SUCCEEDED]
        # a list the type's result declares is a page of 0 until a shard stores it; anything
        # else (a dict such as `box`, an attribute name, a typo) is not a list of this result
        if all(f is None for f in found) and not schema_has_list(job.type, keys):
            raise Problem(404, "No such list",
                          f"{path!r} is not a list in the result of this {job.type} job")
        lists = [f or [] for f in found]
    items, seen, total = [], 0, 0
    for values in lists:
        total += len(values)
        start = max(0, offset - seen)
        if start < len(values) and len(items) < limit:
            items.extend(values[start:start + limit - len(items)])
        seen += len(values)
    next_offset = offset + len(items) if offset + len(items) < total else None
    return {"items": items, "offset": offset, "total": total, "next_offset": next_offset}


@router.post("/jobs/{job_id}/rerun", status_code=202, response_model=JobView)
def rerun_job(job_id: str, response: Response, store: StoreDep, dispatcher: DispatcherDep,
              settings: SettingsDep, caller: CallerDep,
              body: RerunRequest = Body(default_factory=RerunRequest)) -> dict[str, Any]:
    """A new job with this job's params, updated by ``params``; its view has ``rerun_of``."""
    job = submission.rerun(store, dispatcher, settings, caller, job_id, body.params,
                           callback_url=body.callback_url)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return job_view(job)


@router.post("/jobs/{job_id}/retry", status_code=202, response_model=JobView)
def retry_job(job_id: str, response: Response, store: StoreDep, dispatcher: DispatcherDep,
              settings: SettingsDep, caller: CallerDep) -> dict[str, Any]:
    """Run a failed or cancelled job again with the same params (a new job, ``rerun_of`` = id)."""
    job = submission.retry(store, dispatcher, settings, caller, job_id)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return job_view(job)


@router.post("/jobs/{job_id}/cancel", status_code=202, response_model=JobView)
def cancel_job(job_id: str, store: StoreDep, dispatcher: DispatcherDep,
               caller: CallerDep) -> dict[str, Any]:
    return job_view(submission.cancel(store, dispatcher, caller, job_id))


@router.get("/job-types")
def list_job_types() -> JSONResponse:
    """Each job type: params ``schema``, ``result_schema``, defaults, key params, availability."""
    return JSONResponse(job_types_catalogue())


@router.get("/discoveries")
def list_discoveries(store: StoreDep, kind: str | None = Query(None, max_length=64),
                     target: str | None = Query(None, max_length=255),
                     q: str | None = Query(None, max_length=255,
                                           description="matches statement text, target and kind"),
                     job_type: str | None = Query(None, max_length=64,
                                                  description="found by a job of this type"),
                     limit: int = Query(50, ge=1, le=500),
                     cursor: str | None = Query(None, max_length=500)) -> dict[str, Any]:
    check_filters(kind=kind, job_type=job_type)
    rows, next_cursor = store.list_discoveries(
        kind=kind, target=target, search=q, job_type=job_type, limit=limit, cursor=cursor)
    return {"items": [discovery_view(r, jobs) for r, jobs in rows], "next_cursor": next_cursor}
