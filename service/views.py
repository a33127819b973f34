"""JSON views of stored rows, shared by the /v1 API and the dashboard.

:func:`job_view` is the job object every route answers with (and the body of
a completion callback); :func:`discovery_view` a catalogued statement;
:func:`job_types_catalogue` the job types with their params and result
schemas.  The models :class:`JobView` and friends describe these shapes in
the OpenAPI document.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from pydantic import BaseModel, Field

from engines.registry import job_types
from workers.models import Job, JobStatus
from workers.store import aware, jsonable

__all__ = ["JobView", "discovery_view", "job_types_catalogue", "job_view", "progress_rate"]


class ProgressView(BaseModel):
    done: int
    total: int
    fraction: float
    message: str | None
    rate_per_s: float | None = Field(None, description="units of `total` per second so far")
    eta_s: float | None = Field(None, description="seconds left at that rate")


class EstimateView(BaseModel):
    seconds: float
    memory_bytes: int


class JobView(BaseModel):
    id: str
    type: str
    status: JobStatus
    params: dict[str, Any]
    progress: ProgressView
    attempts: int
    owner: str
    created_at: str | None
    started_at: str | None
    finished_at: str | None
    heartbeat_at: str | None
    duration_s: float | None
    cancel_requested: bool
    error: str | None
    status_history: list[dict[str, Any]]
    rerun_of: str | None = None
    estimate: EstimateView | None = None
    callback: dict[str, Any] | None = Field(None, description="url, state and every delivery attempt")
    links: dict[str, str]


def _iso(moment: datetime | None) -> str | None:
    return aware(moment).isoformat() if moment else None


def progress_rate(job: Job, now: datetime | None = None) -> tuple[float | None, float | None]:
    """(units per second since the job started, seconds left at that rate) for a running job."""
    started = aware(job.started_at)
    if job.status != JobStatus.RUNNING or started is None or not job.progress_total:
        return None, None
    from workers.models import utcnow

    elapsed = ((now or utcnow()) - started).total_seconds()
    if elapsed <= 0 or job.progress_done <= 0:
        return None, None
    rate = job.progress_done / elapsed
    return rate, max(0.0, (job.progress_total - job.progress_done) / rate)


def job_view(job: Job) -> dict[str, Any]:
    total = job.progress_total or 0
    started, finished = aware(job.started_at), aware(job.finished_at)
    rate, eta = progress_rate(job)
    links = {"self": f"/v1/jobs/{job.id}", "result": f"/v1/jobs/{job.id}/result",
             "log": f"/v1/jobs/{job.id}/log", "rerun": f"/v1/jobs/{job.id}/rerun",
             "cancel": f"/v1/jobs/{job.id}/cancel", "shards": f"/v1/jobs/{job.id}/shards"}
    if job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
        links["retry"] = f"/v1/jobs/{job.id}/retry"
    callback = None
    if job.callback_url:
        callback = {"url": job.callback_url, "state": job.callback_state or "waiting",
                    "attempts": job.callback_attempts or []}
    return {
        "id": job.id,
        "type": job.type,
        "status": job.status,
        "params": job.params,
        "progress": {
            "done": job.progress_done,
            "total": total,
            "fraction": (job.progress_done / total) if total else (1.0 if job.status == JobStatus.SUCCEEDED else 0.0),
            "message": job.progress_message,
            "rate_per_s": rate,
            "eta_s": eta,
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
        "rerun_of": job.rerun_of,
        "estimate": job.estimate,
        "callback": callback,
        "links": links,
    }


def discovery_view(row: Any, jobs: list[str]) -> dict[str, Any]:
    return {"id": row.id, "fingerprint": row.fingerprint, "kind": row.kind, "target": row.target,
            "text": row.text, "latex": row.latex, "canonical": row.canonical, "evidence": row.evidence,
            "created_at": _iso(row.created_at), "provenance": row.provenance, "jobs": jobs}


@cache  # the schemas are fixed for the life of the process; building them takes ~40 ms
def _schemas() -> tuple[dict[str, Any], ...]:
    out = []
    for job_type in job_types().values():
        defaults = {name: field.get_default(call_default_factory=True)
                    for name, field in job_type.params_model.model_fields.items()
                    if not field.is_required()}
        result_schema = (job_type.result_model.model_json_schema() if job_type.result_model
                         else {"type": "object", "properties": {}})
        out.append({"name": job_type.name, "summary": job_type.summary,
                    "schema": job_type.params_model.model_json_schema(),
                    "result_schema": result_schema, "defaults": jsonable(defaults),
                    "key_params": list(job_type.key_params), "queue": job_type.queue,
                    "estimates": job_type.estimate is not None,
                    "time_limits": {"soft_s": job_type.limits.soft_s, "hard_s": job_type.limits.hard_s}})
    return tuple(out)


def job_types_catalogue() -> list[dict[str, Any]]:
    """Each job type with its params and result JSON schemas, defaults, queue and availability.

    Availability is asked afresh on every call, so an optional extra
    installed while the server runs is seen at once.
    """
    types = job_types()
    out = []
    for entry in _schemas():
        missing = types[entry["name"]].missing_requirements()
        extra = types[entry["name"]].extra
        out.append({**entry, "available": not missing,
                    "unavailable_reason": f"install mathdisco[{extra}]" if missing else None})
    return out
