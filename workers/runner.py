"""Run one job (or one shard of a job) against the store: the adapter around an engine.

Both executors call :func:`execute_job`; it does not care whether a Celery
task or the embedded executor delivered the job id (docs/design.md, "Job
lifecycle").

* The delivery claims the job (see :meth:`JobStore.claim`), which counts the
  attempt; past ``max_attempts`` deliveries the job is failed instead of run,
  so a job that kills its worker is not retried forever.
* Any exception from engine code -- params validation, ``shards``, ``run``,
  ``merge``, the result contract, ``discoveries`` -- fails the job at once,
  with the exception and its traceback in the job's error.
* Progress is written at most every ``PROGRESS_INTERVAL_S``; each write also
  reads ``cancel_requested``, and the engine's ``progress`` call raises
  :class:`Cancelled` when it is set.
* A heartbeat thread refreshes the job's heartbeat while the engine runs, even
  inside a long uninterruptible call, so the reconciler can tell a slow job
  from a dead worker.
* The job's log (:mod:`mathdisco.workers.joblog`) gets the phases, progress messages,
  warnings and timings; the result gets its ``provenance``.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from mathdisco.engines.contract import Cancelled, JobType, ResultContractError
from mathdisco.engines.registry import get_job_type
from mathdisco.engines.results import ResultModel
from mathdisco.workers.joblog import JobLog
from mathdisco.workers.models import JobStatus, RunOutcome, ShardStatus, utcnow
from mathdisco.workers.provenance import provenance
from mathdisco.workers.settings import Settings
from mathdisco.workers.store import JobStore, aware
from mathdisco.workers.warmup import ensure_warm

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.5

#: called with (job_id, job_type, shard_count) when a job fans out; enqueues its shards
FanOut = Callable[[str, str, int], None]


class ProgressReporter:
    """The ``progress`` callback handed to an engine: throttled writes, cooperative cancel."""

    def __init__(self, store: JobStore, job_id: str, cancel: threading.Event, joblog: JobLog,
                 interval_s: float = PROGRESS_INTERVAL_S, write: bool = True,
                 describe: Callable[[str], str] | None = None) -> None:
        self.store, self.job_id, self.cancel, self.joblog = store, job_id, cancel, joblog
        self.interval_s, self.write, self.describe = interval_s, write, describe
        self._last = 0.0

    def __call__(self, done: int, total: int, message: str = "") -> None:
        if self.cancel.is_set():
            raise Cancelled()
        now = time.monotonic()
        if now - self._last < self.interval_s:
            return
        self._last = now
        self.joblog.progress(done, total, message)
        self.joblog.flush()
        if self.write and self.describe is not None:  # a shard: the job's counts are per shard
            requested = self.store.report_message(self.job_id, self.describe(message))
        elif self.write:
            requested = self.store.report_progress(self.job_id, done, total, message)
        else:
            requested = self.store.heartbeat(self.job_id)
        if requested:
            self.cancel.set()
            raise Cancelled()


class Heartbeat:
    """Refresh a job's heartbeat from a thread while the engine computes."""

    def __init__(self, store: JobStore, job_id: str, interval_s: float, cancel: threading.Event,
                 shard: int | None = None) -> None:
        self.store, self.job_id, self.interval_s, self.cancel = store, job_id, interval_s, cancel
        self.shard = shard
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{job_id}", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                if self.store.heartbeat(self.job_id, self.shard):
                    self.cancel.set()
            except Exception:  # a store hiccup must not kill the job; the next beat retries
                log.warning("heartbeat for %s failed", self.job_id, exc_info=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _describe(exc: BaseException, with_traceback: bool = False) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    text = text if len(text) < 2000 else text[:2000] + " ..."
    if with_traceback:
        trace = "".join(traceback.format_exception(exc))
        text += "\n\n" + (trace if len(trace) < 6000 else "...\n" + trace[-6000:])
    return text


def _json_result(result: Any, job_type: JobType) -> dict[str, Any]:
    """Results cross process boundaries as JSON; fail loudly on anything else.

    An engine returns its declared result model (or the JSON object it
    validates); any other model is a broken contract.
    """
    if isinstance(result, BaseModel):
        if not isinstance(result, job_type.result_model):
            raise ResultContractError(f"{job_type.name} returned {type(result).__name__}, "
                                      f"not its result model {job_type.result_model.__name__}")
        result = result.model_dump(mode="json")
    if not isinstance(result, dict):
        raise TypeError(f"engine returned {type(result).__name__}, expected a dict")
    return json.loads(json.dumps(result, allow_nan=False))


def checked_result(job_type: JobType, params: Any, result: Any, *, job_id: str | None = None,
                   started: datetime | None = None) -> tuple[dict[str, Any], ResultModel]:
    """The result as stored (JSON, with its provenance) and as its model, validated once.

    The model is what ``discoveries`` reads; the JSON is what the store keeps.
    """
    result = _json_result(result, job_type)
    result["provenance"] = provenance(job_type, params, job_id=job_id, started=started)
    return result, job_type.check_result(result)


def final_result(job_type: JobType, params: Any, result: Any, *,
                 job_id: str | None = None, started: datetime | None = None) -> dict[str, Any]:
    """The result as stored: JSON, with its provenance, checked against the declared model.

    ``mathdisco run`` calls this too, so a result printed locally and one
    stored by a worker are the same object.
    """
    return checked_result(job_type, params, result, job_id=job_id, started=started)[0]


def _run_engine(store: JobStore, settings: Settings, job_type: JobType, params: Any,
                job_id: str, joblog: JobLog, write_progress: bool,
                describe: Callable[[str], str] | None = None,
                shard: int | None = None) -> dict[str, Any]:
    cancel = threading.Event()
    reporter = ProgressReporter(store, job_id, cancel, joblog, write=write_progress, describe=describe)
    waiting: list[bool] = []

    def compiling() -> None:
        waiting.append(True)
        joblog.info(f"waiting for the {job_type.name} kernels to compile (once per worker)")
        reporter(0, 1, "compiling the kernels (once per worker; not counted in the time limit)")

    started = time.monotonic()
    try:
        with Heartbeat(store, job_id, settings.heartbeat_interval_s, cancel, shard), joblog.capture():
            waited = ensure_warm(job_type, compiling, settings.warm_up_types)  # before its clock
            if waiting:
                joblog.info(f"kernels ready after {waited:.1f} s")
                started = time.monotonic()
            result = _json_result(job_type.run(params, reporter), job_type)
    finally:
        joblog.info(f"engine ran {time.monotonic() - started:.2f} s")
    return result


def worker_process_alive(worker: str) -> bool | None:
    """Whether the process named ``kind:host:pid`` is alive; None when it is on another host."""
    try:
        _kind, host, pid = worker.rsplit(":", 2)
        pid_number = int(pid)
    except ValueError:
        return None
    if host != socket.gethostname():
        return None
    try:
        os.kill(pid_number, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder_died(store: JobStore, job_id: str) -> bool:
    """Requeue a job whose worker process on this host died (a redelivery after kill -9)."""
    try:
        job = store.get_job(job_id)
    except KeyError:
        return False
    if job.status != JobStatus.RUNNING or not job.worker or worker_process_alive(job.worker) is not False:
        return False
    return store.requeue(job_id, f"its worker process {job.worker} died")


def _end(store: JobStore, joblog: JobLog, job_id: str, status: JobStatus, *,
         error: str | None = None, result: dict[str, Any] | None = None,
         discoveries: Any = ()) -> str:
    """Record the outcome and the log's last lines; returns the status."""
    note = f"; {len(discoveries)} discoveries" if discoveries else ""
    joblog.add("error" if status == JobStatus.FAILED else "info",
               f"{status}{note}" + (f": {error.splitlines()[0]}" if error else ""))
    joblog.flush(final=True)
    store.finish(job_id, status, result=result, error=error, discoveries=discoveries)
    return status.value


def execute_job(store: JobStore, job_id: str, worker: str, settings: Settings,
                fan_out: FanOut | None = None) -> str:
    """Claim and run one job; returns its final JobStatus, or the RunOutcome of the delivery."""
    job = store.claim(job_id, worker, settings.stale_after_s)
    if job is None and _holder_died(store, job_id):
        job = store.claim(job_id, worker, settings.stale_after_s)
    if job is None:
        return RunOutcome.SKIPPED  # final, cancelled, or held by a live worker
    joblog = JobLog(store, job_id)
    joblog.info(f"attempt {job.attempts} on {worker}")
    if job.attempts > settings.max_attempts:
        return _end(store, joblog, job_id, JobStatus.FAILED, error=(
            f"gave up after {settings.max_attempts} attempts: the worker running this job "
            "died or was killed each time"))
    started = utcnow()
    try:
        job_type = get_job_type(job.type)
        if missing := job_type.missing_extra():
            raise RuntimeError(f"this worker cannot run it: {missing}")
        params = job_type.validate(job.params)
        shard_params = job_type.shards(params) if job_type.shards and job_type.merge else []
    except Exception as exc:  # engine code (validation, shards) failing is the job's outcome
        log.info("job %s failed before running: %s", job_id, traceback.format_exc())
        return _end(store, joblog, job_id, JobStatus.FAILED, error=_describe(exc, with_traceback=True))

    if fan_out is not None and len(shard_params) > 1:
        if store.create_shards(job_id, shard_params, _normaliser(job_type)) == len(shard_params):
            joblog.info(f"all {len(shard_params)} shards stored by an earlier attempt or job")
            return merge_shards(store, job_id, job_type, joblog)
        joblog.info(f"fanned out into {len(shard_params)} shards")
        joblog.flush()
        store.report_progress(job_id, 0, len(shard_params), "shards queued")
        fan_out(job_id, job.type, len(shard_params))
        return RunOutcome.FANNED_OUT
    if len(shard_params) > 1:
        return _run_shards_here(store, settings, job_type, job_id, shard_params, joblog)

    try:
        result = _run_engine(store, settings, job_type, params, job_id, joblog, True)
        result, model = checked_result(job_type, params, result, job_id=job_id, started=started)
        found = job_type.discoveries(params, model)
    except Cancelled:
        return _end(store, joblog, job_id, JobStatus.CANCELLED, error="cancelled on request")
    except Exception as exc:  # the engine's failure is the job's outcome, not the worker's
        log.info("job %s failed: %s", job_id, traceback.format_exc())
        return _end(store, joblog, job_id, JobStatus.FAILED, error=_describe(exc, with_traceback=True))
    return _end(store, joblog, job_id, JobStatus.SUCCEEDED, result=result, discoveries=found)


def _normaliser(job_type: JobType) -> Callable[[dict[str, Any]], Any]:
    """Shard params as the engine reads them today (defaults filled), for comparing."""
    def normalise(params: dict[str, Any]) -> Any:
        try:
            return job_type.validate(params).model_dump(mode="json")
        except Exception:  # params the engine no longer accepts match nothing
            return None

    return normalise


def _run_shards_here(store: JobStore, settings: Settings, job_type: JobType, job_id: str,
                     shard_params: list[dict[str, Any]], joblog: JobLog) -> str:
    """Run a sharded job's shards one after another in this process, then merge.

    Each shard's result is stored as it lands, so a retry after the worker
    died resumes at the first shard not yet stored instead of starting over
    (the embedded executor has no fan-out; under Celery the shards go to many
    workers instead).  The contract ``merge(p, [run(s) for s in shards(p)]) ==
    run(p)`` makes the outcome the same as one ``run``.
    """
    done = store.create_shards(job_id, shard_params, _normaliser(job_type))  # earlier attempts' kept
    shards = store.shards(job_id)
    joblog.info(f"{len(shards)} shards, {done} stored by earlier attempts or the retried job"
                if done else f"{len(shards)} shards, run one after another")
    for shard in shards:
        if shard.status != ShardStatus.QUEUED:
            continue
        label = f"shard {shard.index + 1} of {len(shards)}"
        if store.report_progress(job_id, done, len(shards), label):
            return _end(store, joblog, job_id, JobStatus.CANCELLED, error="cancelled on request")
        ended, _ = _run_shard(store, settings, job_type, job_id, shard, joblog,
                              lambda message, label=label: f"{label}: {message}")
        if ended:
            return ended
        done += 1
    return merge_shards(store, job_id, job_type, joblog)


def execute_shard(store: JobStore, job_id: str, index: int, worker: str, settings: Settings) -> str:
    """Run one shard of a fanned-out job; the shard that completes the set merges them.

    A redelivered shard that already landed, or that a live worker is running, is skipped
    (:meth:`mathdisco.workers.store.JobStore.claim_shard`).
    """
    job = store.get_job(job_id)
    if job.status != JobStatus.RUNNING:
        return RunOutcome.SKIPPED
    shard = store.claim_shard(job_id, index, worker, settings.stale_after_s, worker_process_alive)
    if shard is None:
        return RunOutcome.SKIPPED
    joblog = JobLog(store, job_id, prefix=f"shard {index}: ")
    try:
        job_type = get_job_type(job.type)
    except KeyError as exc:
        return _end(store, joblog, job_id, JobStatus.FAILED, error=_describe(exc))
    ended, completed = _run_shard(store, settings, job_type, job_id, shard, joblog, None)
    if ended:
        return ended
    if completed:
        return merge_shards(store, job_id, job_type, JobLog(store, job_id))
    return RunOutcome.STORED


def _run_shard(store: JobStore, settings: Settings, job_type: JobType, job_id: str, shard: Any,
               joblog: JobLog, describe: Callable[[str], str] | None) -> tuple[str | None, bool]:
    """Run one shard and store its outcome.

    Returns (the job's final status when this shard ended the job -- cancelled
    or failed -- else None, whether this call stored the last missing shard).
    With ``describe`` the shard's progress messages are written (one shard at
    a time); without, shards running side by side only heartbeat.
    """
    started = time.monotonic()
    try:
        result = _run_engine(store, settings, job_type, job_type.validate(shard.params), job_id,
                             joblog, describe is not None, describe, shard=shard.index)
        error = None
    except Cancelled:
        return _end(store, joblog, job_id, JobStatus.CANCELLED, error="cancelled on request"), False
    except Exception as exc:
        log.info("job %s shard %d failed: %s", job_id, shard.index, traceback.format_exc())
        result, error = None, f"shard {shard.index}: {_describe(exc, with_traceback=True)}"
    _, _, completed = store.finish_shard(job_id, shard.index, result=result, error=error)
    if error:
        return _end(store, joblog, job_id, JobStatus.FAILED, error=error), False
    joblog.info(f"shard {shard.index + 1} stored after {time.monotonic() - started:.2f} s")
    joblog.flush()
    return None, completed


def merge_shards(store: JobStore, job_id: str, job_type: JobType, joblog: JobLog) -> str:
    job = store.get_job(job_id)
    started = time.monotonic()
    try:
        params = job_type.validate(job.params)
        results = [s.result for s in store.shards(job_id)]
        # merge takes no progress callback: say what the job is doing while it runs
        store.report_progress(job_id, len(results), len(results),
                              f"merging {len(results)} shards")
        joblog.info(f"merging {len(results)} shards")
        joblog.flush()
        merged, model = checked_result(job_type, params, job_type.merge(params, results),
                                       job_id=job_id, started=aware(job.started_at) or utcnow())
        found = job_type.discoveries(params, model)
    except Exception as exc:
        log.info("job %s merge failed: %s", job_id, traceback.format_exc())
        return _end(store, joblog, job_id, JobStatus.FAILED,
                    error=f"merge: {_describe(exc, with_traceback=True)}")
    joblog.info(f"merged {len(results)} shards in {time.monotonic() - started:.2f} s")
    return _end(store, joblog, job_id, JobStatus.SUCCEEDED, result=merged, discoveries=found)
