"""JSON views of stored rows, shared by the /v1 API and the dashboard.

:func:`job_view` is the job object every route answers with (and the body of
a completion callback); :func:`discovery_view` a catalogued statement;
:func:`job_types_catalogue` the job types with their params and result
schemas.  The models :class:`JobView` and friends describe these shapes in
the OpenAPI document.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any, get_args

from pydantic import BaseModel, Field

from mathdisco.engines.discoveries import Statement
from mathdisco.engines.registry import job_types
from mathdisco.service.errors import InvalidFilter
from mathdisco.workers.models import STATUSES, Job, JobStatus
from mathdisco.workers.store import JobStore, aware, jsonable

__all__ = ["JobView", "check_filters", "kernels_state", "discovery_kinds", "discovery_view", "job_types_catalogue",
           "job_view", "key_params_text", "progress_rate", "schema_has_list"]


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
    compile_s: float | None = Field(None, exclude_if=lambda value: value is None,
                                    description="kernel compilation first (no worker was warm)")


class LimitedView(BaseModel):
    reason: str


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
    limited: LimitedView | None = Field(None, description=(
        "set when a limit stopped a succeeded job before it did all it was asked"))
    callback: dict[str, Any] | None = Field(None, description="url, state and every delivery attempt")
    links: dict[str, str]

    @classmethod
    def from_job(cls, job: Job) -> JobView:
        """The view of a stored job (the one place its fields are filled)."""
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
        return cls(
            id=job.id,
            type=job.type,
            status=job.status,
            params=job.params,
            progress=ProgressView(
                done=job.progress_done, total=total, message=job.progress_message,
                fraction=(job.progress_done / total) if total
                else (1.0 if job.status == JobStatus.SUCCEEDED else 0.0),
                rate_per_s=rate, eta_s=eta),
            attempts=job.attempts,
            owner=job.owner,
            created_at=_iso(job.created_at),
            started_at=_iso(started),
            finished_at=_iso(finished),
            heartbeat_at=_iso(job.heartbeat_at),
            duration_s=(finished - started).total_seconds() if started and finished else None,
            cancel_requested=job.cancel_requested,
            error=job.error,
            status_history=job.status_history or [],
            rerun_of=job.rerun_of,
            estimate=job.estimate,
            limited={"reason": job.limited} if job.limited else None,
            callback=callback,
            links=links,
        )


def _iso(moment: datetime | None) -> str | None:
    return aware(moment).isoformat() if moment else None


def progress_rate(job: Job, now: datetime | None = None) -> tuple[float | None, float | None]:
    """(units per second since the job started, seconds left at that rate) for a running job."""
    started = aware(job.started_at)
    if job.status != JobStatus.RUNNING or started is None or not job.progress_total:
        return None, None
    from mathdisco.workers.models import utcnow

    elapsed = ((now or utcnow()) - started).total_seconds()
    if elapsed <= 0 or job.progress_done <= 0:
        return None, None
    rate = job.progress_done / elapsed
    return rate, max(0.0, (job.progress_total - job.progress_done) / rate)


def job_view(job: Job) -> dict[str, Any]:
    """The job view as JSON (what the API answers and the dashboard's templates read)."""
    return JobView.from_job(job).model_dump(mode="json")


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
        result_schema = job_type.result_model.model_json_schema()
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
        missing = types[entry["name"]].missing_extra()
        out.append({**entry, "available": not missing, "unavailable_reason": missing})
    return out


@cache
def discovery_kinds() -> tuple[str, ...]:
    """Every kind a discovery can have: the ``kind`` literals of the statement union."""
    union = get_args(Statement)[0]
    return tuple(get_args(model.model_fields["kind"].annotation)[0] for model in get_args(union))


def check_filters(**values: str | None) -> None:
    """Refuse an unknown value of a listing filter (``type``, ``job_type``, ``status``, ``kind``).

    An empty value means "no filter" (the dashboard's "all").  Unknown values
    are a 422 naming the field, so a typo is not mistaken for "nothing found".
    """
    allowed = {"type": lambda: job_types(), "job_type": lambda: job_types(),
               "status": lambda: STATUSES, "kind": discovery_kinds}
    errors = []
    for name, value in values.items():
        if value and value not in allowed[name]():
            choices = ", ".join(sorted(allowed[name]()))
            errors.append({"field": f"query.{name}",
                           "message": f"unknown {name} {value!r}; one of {choices}"})
    if errors:
        raise InvalidFilter("; ".join(e["message"] for e in errors), errors)


def schema_has_list(type_name: str, keys: list[str]) -> bool:
    """Whether the job type's declared result has a list at the dotted path ``keys``."""
    job_type = job_types().get(type_name)
    if job_type is None:
        return False
    schema = job_type.result_model.model_json_schema()
    nodes = [schema]
    for key in keys:
        nodes = [child for node in nodes for child in _children(schema, node, key)]
    return any(_kind(schema, node) == "array" for node in nodes)


def _resolved(root: dict[str, Any], node: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema node itself, or its ``$ref`` target and every ``anyOf``/``oneOf`` branch."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _resolved(root, root.get("$defs", {}).get(name, {}))
    branches = node.get("anyOf") or node.get("oneOf") or node.get("allOf")
    if branches:
        return [r for branch in branches for r in _resolved(root, branch)]
    return [node]


def _children(root: dict[str, Any], node: dict[str, Any], key: str) -> list[dict[str, Any]]:
    out = []
    for item in _resolved(root, node):
        if key in item.get("properties", {}):
            out.append(item["properties"][key])
        elif isinstance(item.get("additionalProperties"), dict):
            out.append(item["additionalProperties"])
    return out


def _kind(root: dict[str, Any], node: dict[str, Any]) -> str | None:
    kinds = {item.get("type") for item in _resolved(root, node)} - {"null"}
    return "array" if "array" in kinds else next(iter(kinds), None)


def key_params_text(type_name: str, params: dict[str, Any] | None, width: int = 24,
                    most: int = 4) -> str:
    """A job's key params as short ``name=value`` words, for a row of the jobs list.

    The type's declared ``key_params`` when it has them, else the params set
    away from their defaults (what the submitter chose), at most ``most`` of
    them, each value cut to ``width`` characters.

    >>> key_params_text("cayley_growth", {"family": "pancake", "n": 11, "max_layers": None})
    'family=pancake n=11'
    """
    entry = next((e for e in _schemas() if e["name"] == type_name), None)
    if entry is None or not params:
        return ""
    names = entry["key_params"] or [
        name for name, value in params.items()
        if value is not None and (name not in entry["defaults"] or entry["defaults"][name] != value)]
    words = []
    for name in names[:most]:
        value = params.get(name)
        if value is None:
            continue
        shown = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        if len(shown) > width:
            shown = shown[: width - 1] + "…"
        words.append(f"{name}={shown}")
    return " ".join(words)


def kernels_state(store: JobStore) -> dict[str, Any]:
    """Whether the workers have compiled their kernels (workers/warmup.py), for /readyz and the dashboard.

    ``state``: ``warm`` when some worker is warm (jobs run at full speed),
    ``warming`` while workers compile, ``off`` when workers do not warm up
    (``MATHDISCO_WARM_UP=none``), ``unknown`` when no worker has reported.
    Cold kernels do not make the service unready: jobs queue and run after.
    """
    try:
        workers = store.kernel_warmth()
    except Exception as exc:
        return {"state": "unknown", "error": f"{type(exc).__name__}: {exc}", "workers": {}}
    states = {w["state"] for w in workers.values()}
    state = next((s for s in ("warm", "warming", "off") if s in states), "unknown")
    return {"state": state, "workers": workers}
