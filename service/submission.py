"""Every rule about starting and stopping a job, in one place.

Both the /v1 API (service/jobs_api.py) and the dashboard's form posts
(service/dashboard.py) call these functions, so a rule added here holds on
every route that reaches the action:

* :func:`submit` -- validate the params against the job type's model (422
  naming the field), refuse a type whose optional dependencies are missing
  (503), check the engine's own estimate against the configured limits (422
  stating the estimate), the per-owner heavy-job quota (429) and the
  callback URL (422), honour the idempotency key, store the job, then
  enqueue it;
* :func:`rerun` -- a new job from an old one's params with optional
  overrides (validated like any submission), linked by ``rerun_of``; a retry
  is a rerun of a failed or cancelled job with no overrides;
* :func:`cancel` -- with API keys on, a key may cancel only the jobs it
  submitted (403).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from mathdisco.engines.contract import Estimate, JobType
from mathdisco.engines.registry import job_types, unknown_type_message
from mathdisco.service.callbacks import check_callback_url
from mathdisco.service.errors import (
    BrokerUnavailable,
    Conflict,
    InvalidParams,
    JobTypeUnavailable,
    NotFound,
    NotOwner,
    UnknownJobType,
    field_errors,
)
from mathdisco.service.limits import check_heavy_quota
from mathdisco.workers.dispatch import Dispatcher
from mathdisco.workers.models import Job, JobStatus
from mathdisco.workers.settings import Settings
from mathdisco.workers.store import IdempotencyConflict, JobFinished, JobNotFound, JobStore

log = logging.getLogger(__name__)

__all__ = ["Caller", "cancel", "get_job", "rerun", "retry", "submit", "validate_params"]


@dataclass(frozen=True)
class Caller:
    """Who asks: the owner name, and whether an API key proved it."""

    owner: str = "anonymous"
    authenticated: bool = False

    @classmethod
    def of(cls, request: Any) -> Caller:
        state = request.state
        return cls(getattr(state, "owner", "anonymous"), bool(getattr(state, "authenticated", False)))


def job_type_named(name: str) -> JobType:
    """The registered job type; :class:`UnknownJobType` (suggesting the nearest name) otherwise."""
    job_type = job_types().get(name)
    if job_type is None:
        raise UnknownJobType(unknown_type_message(name), [{"field": "type", "message": "unknown job type"}])
    return job_type


def validate_params(type_name: str, params: dict[str, Any]) -> tuple[JobType, Any]:
    """The job type and its validated params model; :class:`InvalidParams` and kin otherwise."""
    job_type = job_type_named(type_name)
    if missing := job_type.missing_extra():
        raise JobTypeUnavailable(missing)
    try:
        model = job_type.validate(params)
    except ValidationError as exc:
        errors = field_errors(exc, ("params",))
        raise InvalidParams("; ".join(f"{e['field']}: {e['message']}" for e in errors),
                            errors) from None
    except ValueError as exc:  # a validator that raised outside pydantic's wrapping
        raise InvalidParams(str(exc), [{"field": "params", "message": str(exc)}]) from None
    return job_type, model


def _check_estimate(job_type: JobType, model: Any, settings: Settings,
                    cold: bool = False) -> Estimate | None:
    """The engine's estimate, checked against the limits; ``cold`` adds the kernels' compile time.

    The limits apply to the job's own run (a worker compiles before it takes the
    job); the estimate shown is what the user waits, compilation included.
    """
    if job_type.estimate is None:
        return None
    estimate = job_type.estimate(model)
    if estimate is None:
        return None
    if cold and job_type.compile_s:
        estimate = estimate.model_copy(update={"compile_s": job_type.compile_s})
    stated = (f"estimated {estimate.seconds:.3g} s and {estimate.memory_bytes / 2**30:.3g} GiB "
              f"({estimate.memory_bytes} bytes)")
    if estimate.memory_bytes > settings.max_job_memory_bytes:
        raise InvalidParams(
            f"{stated}; the memory limit is {settings.max_job_memory_bytes / 2**30:.3g} GiB",
            [{"field": "params", "message": f"{stated} exceeds the memory limit"}], title="Job too large")
    time_limit = min(settings.max_job_seconds, job_type.limits.soft_s)
    if estimate.seconds > time_limit:
        raise InvalidParams(
            f"{stated}; the time limit for {job_type.name} is {time_limit:g} s",
            [{"field": "params", "message": f"{stated} exceeds the time limit"}], title="Job too long")
    return estimate


def _kernels_warm(store: JobStore) -> bool:
    try:
        return store.kernels_warm()
    except Exception:  # an estimate without the compile term beats a refused submission
        log.warning("could not read the workers' warmth", exc_info=True)
        return True


def submit(store: JobStore, dispatcher: Dispatcher, settings: Settings, caller: Caller, type_name: str,
           params: dict[str, Any], *, idempotency_key: str | None = None,
           callback_url: str | None = None, rerun_of: str | None = None,
           shards_from: str | None = None) -> tuple[Job, bool]:
    """Validate, check the limits, store and enqueue a job; returns (job, created).

    ``shards_from``: reuse that job's stored shards (see :meth:`JobStore.create_job`).
    """
    job_type, model = validate_params(type_name, params)
    normalised = model.model_dump(mode="json")
    if idempotency_key is not None:  # a replay answers the first job, whatever the limits say now
        try:
            existing = store.replay(caller.owner, idempotency_key, job_type.name, normalised)
        except IdempotencyConflict as exc:
            raise _key_reused(exc) from None
        if existing is not None:
            return existing, False
    estimate = _check_estimate(job_type, model, settings, cold=not _kernels_warm(store))
    if callback_url is not None:
        check_callback_url(callback_url, settings)
    check_heavy_quota(store, caller.owner, job_type.name, settings.max_heavy_jobs)
    try:
        job, created = store.create_job(
            job_type.name, normalised, owner=caller.owner,
            idempotency_key=idempotency_key, rerun_of=rerun_of, callback_url=callback_url,
            estimate=estimate.model_dump(exclude_none=True) if estimate else None, shards_from=shards_from)
    except IdempotencyConflict as exc:
        raise _key_reused(exc) from None
    if created:
        try:
            dispatcher.enqueue(job)
        except Exception as exc:
            store.finish(job.id, JobStatus.FAILED, error=f"could not enqueue: {type(exc).__name__}: {exc}")
            raise BrokerUnavailable(f"the job was stored but could not be queued: {exc}") from None
    return job, created


def _key_reused(exc: IdempotencyConflict) -> InvalidParams:
    return InvalidParams(str(exc), [{"field": "Idempotency-Key", "message": str(exc)}],
                         title="Idempotency key reused")


def get_job(store: JobStore, job_id: str) -> Job:
    try:
        return store.get_job(job_id)
    except JobNotFound:
        raise NotFound(f"no job with id {job_id!r}", title="Job not found") from None


def rerun(store: JobStore, dispatcher: Dispatcher, settings: Settings, caller: Caller, job_id: str,
          overrides: dict[str, Any] | None = None, *, callback_url: str | None = None) -> Job:
    """A new job with the params of ``job_id`` updated by ``overrides``, linked by ``rerun_of``.

    The original's stored shards go with it; the runner keeps those whose params the engine
    still asks for (a pcf sweep rerun with other clustering params only merges again).
    """
    original = get_job(store, job_id)
    params = {**(original.params or {}), **(overrides or {})}
    job, _ = submit(store, dispatcher, settings, caller, original.type, params,
                    callback_url=callback_url, rerun_of=original.id, shards_from=original.id)
    return job


def retry(store: JobStore, dispatcher: Dispatcher, settings: Settings, caller: Caller, job_id: str) -> Job:
    """Run a failed or cancelled job again with the same params (409 for any other status).

    The shards the job stored are kept: a sweep that failed in its merge, or was cancelled
    half-way, goes on from the first shard it lacks.
    """
    original = get_job(store, job_id)
    if original.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise Conflict(f"job is {original.status}; only failed or cancelled jobs are retried "
                       "(use rerun to run a job again)", title="Nothing to retry")
    return rerun(store, dispatcher, settings, caller, job_id, callback_url=original.callback_url)


def cancel(store: JobStore, dispatcher: Dispatcher, caller: Caller, job_id: str) -> Job:
    """Ask a job to stop; with API keys on, only its owner may."""
    job = get_job(store, job_id)
    if caller.authenticated and job.owner != caller.owner:
        raise NotOwner("a key may cancel only the jobs it submitted")
    try:
        job = store.request_cancel(job_id)
    except JobNotFound:
        raise NotFound(f"no job with id {job_id!r}", title="Job not found") from None
    except JobFinished as exc:
        raise Conflict(str(exc), title="Job already finished") from None
    dispatcher.revoke(job_id)
    return job
