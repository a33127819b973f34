"""The durable job store: every state change of a job is a short transaction here.

Both executors (Celery and the embedded local one) and the API go through
this module, so the rules live in one place:

* a job row is committed before its id is handed to any broker;
* a delivery *claims* the job with one conditional UPDATE, which also counts
  the attempt, so a redelivered or duplicated message cannot run a job twice
  at once, and a job that keeps killing its worker stops at the attempts cap;
* finishing is conditional on the job not being final yet, so the first
  outcome wins and nothing is overwritten;
* discoveries are deduplicated by fingerprint and linked to every job that
  found them, in the same transaction as the job's outcome.

:class:`JobStore` is this module's jobs and shards on top of the concept
modules it combines: workers/store_base.py (engine, sessions, schema),
workers/store_logs.py, workers/store_callbacks.py, workers/store_catalogue.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from mathdisco.engines.discoveries import Discovery as FoundDiscovery
from mathdisco.workers.models import (
    FINAL_STATUSES,
    CallbackState,
    Job,
    JobShard,
    JobStatus,
    ShardStatus,
    utcnow,
)
from mathdisco.workers.store_base import (
    after_cursor,
    aware,
    jsonable,
    keyset_page,
    make_engine,
    params_fingerprint,
)
from mathdisco.workers.store_callbacks import CallbackStore
from mathdisco.workers.store_catalogue import CatalogueStore
from mathdisco.workers.store_logs import LOG_MAX_BYTES, LogStore
from mathdisco.workers.store_warmth import WarmthStore

__all__ = ["LOG_MAX_BYTES", "IdempotencyConflict", "JobFinished", "JobNotFound", "JobStore", "aware",
           "jsonable", "make_engine", "params_fingerprint"]


class IdempotencyConflict(Exception):
    """The idempotency key was used before with other params."""


class JobNotFound(KeyError):
    pass


class JobFinished(Exception):
    """The operation needs a job that is not final yet."""


def _history(job: Job, status: str, note: str | None = None) -> list[Any]:
    entry: dict[str, Any] = {"status": status, "at": utcnow().isoformat()}
    if note:
        entry["note"] = note
    return [*(job.status_history or []), entry]


class JobStore(LogStore, CallbackStore, CatalogueStore, WarmthStore):
    """All reads and writes of jobs, shards, logs, callbacks, discoveries and worker warmth."""

    # -- creating and reading jobs ------------------------------------------------

    def create_job(
        self,
        job_type: str,
        params: dict[str, Any],
        *,
        owner: str = "anonymous",
        idempotency_key: str | None = None,
        rerun_of: str | None = None,
        estimate: dict[str, Any] | None = None,
        callback_url: str | None = None,
        shards_from: str | None = None,
    ) -> tuple[Job, bool]:
        """Insert a queued job; returns (job, created).  A replayed idempotency key returns the old job.

        ``shards_from`` (a retry): the succeeded shards of that job are copied to the new one in
        the same transaction, so no worker can claim it before they are there; the runner keeps
        a copied shard only if the engine gives that index the same params today.
        """
        fingerprint = params_fingerprint(job_type, params)
        if idempotency_key is not None:
            existing = self._by_idempotency_key(owner, idempotency_key)
            if existing is not None:
                return self._replay(existing, fingerprint), False
        job = Job(
            id=str(uuid.uuid4()),
            type=job_type,
            params=params,
            params_fingerprint=fingerprint,
            status=JobStatus.QUEUED,
            owner=owner,
            idempotency_key=idempotency_key,
            created_at=utcnow(),
            rerun_of=rerun_of,
            estimate=estimate,
            callback_url=callback_url,
            callback_attempts=[],
            log_bytes=0,
        )
        job.status_history = _history(job, JobStatus.QUEUED)
        try:
            with self._writing() as session:
                session.add(job)
                if shards_from is not None:
                    session.flush()
                    for shard in session.scalars(select(JobShard).where(
                            JobShard.job_id == shards_from, JobShard.status == ShardStatus.SUCCEEDED)):
                        session.add(JobShard(job_id=job.id, index=shard.index, params=shard.params,
                                             status=ShardStatus.SUCCEEDED, result=shard.result))
        except IntegrityError:
            # a concurrent request with the same key won the race
            existing = self._by_idempotency_key(owner, idempotency_key or "")
            if existing is None:
                raise
            return self._replay(existing, fingerprint), False
        return job, True

    def replay(self, owner: str, key: str, job_type: str, params: dict[str, Any]) -> Job | None:
        """The job an earlier request with this idempotency key created, or None.

        Raises IdempotencyConflict when that request had another type or params.
        """
        existing = self._by_idempotency_key(owner, key)
        return None if existing is None else self._replay(existing, params_fingerprint(job_type, params))

    def _by_idempotency_key(self, owner: str, key: str) -> Job | None:
        with self.sessions() as session:
            return session.scalar(select(Job).where(Job.owner == owner, Job.idempotency_key == key))

    @staticmethod
    def _replay(job: Job, fingerprint: str) -> Job:
        if job.params_fingerprint != fingerprint:
            raise IdempotencyConflict(
                "this Idempotency-Key was already used for a job with other type or params"
            )
        return job

    def get_job(self, job_id: str) -> Job:
        with self.sessions() as session:
            job = session.get(Job, job_id)
        if job is None:
            raise JobNotFound(job_id)
        return job

    def list_jobs(
        self,
        *,
        job_type: str | None = None,
        status: str | None = None,
        owner: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[Job], str | None]:
        """Newest first; ``cursor`` continues after the last job of the previous page.

        The rows come without ``result`` (a list never shows it, and one result
        can be megabytes): reading ``job.result`` on them raises.
        """
        query = (select(Job).options(defer(Job.result, raiseload=True))
                 .order_by(Job.created_at.desc(), Job.id.desc()).limit(limit + 1))
        if job_type:
            query = query.where(Job.type == job_type)
        if status:
            query = query.where(Job.status == status)
        if owner:
            query = query.where(Job.owner == owner)
        query = after_cursor(query, Job, cursor)
        with self.sessions() as session:
            return keyset_page(list(session.scalars(query)), limit)

    def count_jobs(self, *, owner: str | None = None, statuses: Iterable[str] = (),
                   job_types: Iterable[str] = ()) -> int:
        from sqlalchemy import func

        query = select(func.count()).select_from(Job)
        if owner:
            query = query.where(Job.owner == owner)
        if statuses := list(statuses):
            query = query.where(Job.status.in_(statuses))
        if job_types := list(job_types):
            query = query.where(Job.type.in_(job_types))
        with self.sessions() as session:
            return int(session.scalar(query) or 0)

    # -- running jobs ---------------------------------------------------------------

    def claim(self, job_id: str, worker: str, stale_after_s: float) -> Job | None:
        """Mark the job running for ``worker`` and count the attempt.

        Succeeds for a queued job, or for a running job whose heartbeat is
        older than ``stale_after_s`` (its worker died).  Returns None when the
        job is final, cancelled, or held by a live worker.
        """
        now = utcnow()
        stale = now - timedelta(seconds=stale_after_s)
        with self._writing() as session:
            claimed = session.execute(
                update(Job)
                .where(
                    Job.id == job_id,
                    Job.cancel_requested.is_(False),
                    or_(Job.status == JobStatus.QUEUED,
                        and_(Job.status == JobStatus.RUNNING,
                             or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < stale))),
                )
                .values(status=JobStatus.RUNNING, attempts=Job.attempts + 1, worker=worker,
                        heartbeat_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if not claimed:
                return None
            job = session.get(Job, job_id)
            if job.started_at is None:
                job.started_at = now
            job.status_history = _history(job, JobStatus.RUNNING, f"attempt {job.attempts} on {worker}")
            return job

    def next_queued(self, job_types: Sequence[str] | None = None) -> list[str]:
        """Ids of queued jobs, oldest first (for the embedded executor)."""
        query = (select(Job.id).where(Job.status == JobStatus.QUEUED, Job.cancel_requested.is_(False))
                 .order_by(Job.created_at).limit(20))
        if job_types is not None:
            query = query.where(Job.type.in_(job_types))
        with self.sessions() as session:
            return list(session.scalars(query))

    def report_progress(self, job_id: str, done: int, total: int, message: str) -> bool:
        """Store progress and heartbeat; returns True when cancellation was requested."""
        with self._writing() as session:
            session.execute(
                update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING)
                .values(progress_done=int(done), progress_total=int(total),
                        progress_message=str(message)[:500], heartbeat_at=utcnow())
            )
            return bool(session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))

    def report_message(self, job_id: str, message: str) -> bool:
        """Store a progress message (not the counts) and heartbeat; True when cancellation was requested."""
        with self._writing() as session:
            session.execute(
                update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING)
                .values(progress_message=str(message)[:500], heartbeat_at=utcnow()))
            return bool(session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))

    def heartbeat(self, job_id: str, shard: int | None = None) -> bool:
        """Refresh the heartbeat (the job's, and the shard's it runs); True when cancel was asked."""
        with self._writing() as session:
            now = utcnow()
            session.execute(update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING)
                            .values(heartbeat_at=now))
            if shard is not None:
                session.execute(update(JobShard).where(JobShard.job_id == job_id,
                                                       JobShard.index == shard)
                                .values(heartbeat_at=now))
            return bool(session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))

    def finish(
        self,
        job_id: str,
        status: str,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        discoveries: Sequence[FoundDiscovery] = (),
    ) -> bool:
        """Record the outcome unless the job is already final; returns whether it was recorded.

        The status, the result and the discoveries are committed in one
        transaction: a job is never "succeeded" without the statements it found.
        """
        assert status in FINAL_STATUSES
        for attempt in range(3):
            try:
                return self._finish_once(job_id, status, result, error, discoveries)
            except IntegrityError:
                if attempt == 2:  # another job stored the same statement at the same moment, thrice
                    raise
        return False

    def _finish_once(self, job_id: str, status: str, result: dict[str, Any] | None,
                     error: str | None, discoveries: Sequence[FoundDiscovery]) -> bool:
        with self._writing() as session:
            job = session.get(Job, job_id, with_for_update=True)
            if job is None or job.status in FINAL_STATUSES:
                return False
            job.status = status
            job.result = result
            job.error = error
            job.limited = ((result or {}).get("limited") or {}).get("reason")
            job.finished_at = utcnow()
            if status == JobStatus.SUCCEEDED:
                job.progress_done = job.progress_total or job.progress_done
                job.progress_message = "done"
            job.status_history = _history(job, status, error)
            if job.callback_url:
                job.callback_state, job.callback_next_at = CallbackState.PENDING, job.finished_at
            if discoveries:
                self._link_discoveries(session, job_id, discoveries, (result or {}).get("provenance"))
        return True

    def requeue(self, job_id: str, note: str) -> bool:
        """Put a running job back in the queue (its worker died or shut down)."""
        with self._writing() as session:
            job = session.get(Job, job_id, with_for_update=True)
            if job is None or job.status != JobStatus.RUNNING:
                return False
            job.status = JobStatus.QUEUED
            job.worker = None
            job.status_history = _history(job, JobStatus.QUEUED, note)
            return True

    def request_cancel(self, job_id: str) -> Job:
        """Ask a job to stop: a queued job is cancelled at once, a running one at its next check."""
        with self._writing() as session:
            job = session.get(Job, job_id, with_for_update=True)
            if job is None:
                raise JobNotFound(job_id)
            if job.status in FINAL_STATUSES:
                raise JobFinished(f"job is already {job.status}")
            job.cancel_requested = True
            if job.status == JobStatus.QUEUED:
                job.status = JobStatus.CANCELLED
                job.finished_at = utcnow()
                job.status_history = _history(job, JobStatus.CANCELLED, "cancelled before it started")
                if job.callback_url:
                    job.callback_state, job.callback_next_at = CallbackState.PENDING, job.finished_at
            return job

    def stale_running(self, stale_after_s: float) -> list[Job]:
        cutoff = utcnow() - timedelta(seconds=stale_after_s)
        with self.sessions() as session:
            return list(session.scalars(select(Job).where(
                Job.status == JobStatus.RUNNING,
                or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < cutoff))))

    # -- shards of a fanned-out job ----------------------------------------------------

    def create_shards(self, job_id: str, shard_params: Sequence[dict[str, Any]],
                      normalise: Callable[[dict[str, Any]], Any] = lambda p: p) -> int:
        """The job's shards as ``shard_params`` says; returns how many were already stored.

        A stored shard is kept when its params are the ones asked for (an earlier attempt, or a
        retried job's copy), compared after ``normalise`` (the engine's validation, so that a
        param added since with its default still matches); one with other params, or past the
        end, is queued again or removed.
        """
        kept = 0
        with self._writing() as session:
            existing = {s.index: s for s in session.scalars(
                select(JobShard).where(JobShard.job_id == job_id))}
            for index, params in enumerate(shard_params):
                shard = existing.pop(index, None)
                if shard is None:
                    session.add(JobShard(job_id=job_id, index=index, params=params, status=ShardStatus.QUEUED))
                elif (shard.status == ShardStatus.SUCCEEDED
                      and normalise(shard.params) == normalise(params)):
                    kept += 1
                else:  # other params today, or failed: run it (again)
                    shard.params, shard.status, shard.result, shard.error = (
                        params, ShardStatus.QUEUED, None, None)
                    shard.worker = shard.heartbeat_at = None
            for shard in existing.values():
                session.delete(shard)
        return kept

    def shards(self, job_id: str) -> list[JobShard]:
        with self.sessions() as session:
            return list(session.scalars(
                select(JobShard).where(JobShard.job_id == job_id).order_by(JobShard.index)))

    def claim_shard(self, job_id: str, index: int, worker: str, stale_after_s: float,
                    holder_alive: Callable[[str], bool | None]) -> JobShard | None:
        """Take a queued shard to run; None when it is stored, or held by a live worker.

        A shard task is delivered again when it runs past the broker's visibility timeout
        or its worker died.  The holder is live when its heartbeat is fresh and
        ``holder_alive`` (a process check, None when it cannot tell) does not say it died;
        then the redelivery leaves the work to it.  A holder that dies later stops beating
        the job too, and the reconciler requeues the job (:meth:`stale_jobs`).
        """
        with self._writing() as session:
            shard = session.get(JobShard, (job_id, index), with_for_update=True)
            if shard is None or shard.status != ShardStatus.QUEUED:
                return None
            now = utcnow()
            fresh = (shard.heartbeat_at is not None
                     and aware(shard.heartbeat_at) >= now - timedelta(seconds=stale_after_s))
            if (shard.worker not in (None, worker) and fresh
                    and holder_alive(shard.worker) is not False):
                return None
            shard.worker, shard.heartbeat_at = worker, now
            session.flush()
            session.expunge(shard)
            return shard

    def finish_shard(self, job_id: str, index: int, *, result: dict[str, Any] | None,
                     error: str | None) -> tuple[int, int, bool]:
        """Store one shard's outcome (idempotent); returns (done, total, this_call_completed_all)."""
        with self._writing() as session:
            shard = session.get(JobShard, (job_id, index), with_for_update=True)
            first_time = shard is not None and shard.status == ShardStatus.QUEUED
            if first_time:
                shard.status = ShardStatus.FAILED if error else ShardStatus.SUCCEEDED
                shard.result, shard.error = result, error
            session.flush()
            # lock the parent row so exactly one finisher sees the last shard land
            session.get(Job, job_id, with_for_update=True)
            states = list(session.scalars(select(JobShard.status).where(JobShard.job_id == job_id)))
            done = sum(1 for s in states if s != ShardStatus.QUEUED)
            session.execute(update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING)
                            .values(progress_done=done, progress_total=len(states),
                                    progress_message="shard stored",
                                    heartbeat_at=utcnow()))
        return done, len(states), first_time and done == len(states)
