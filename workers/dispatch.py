"""How a committed job reaches a worker, and the reconciler that repairs lost deliveries.

Two dispatchers share one interface:

* :class:`LocalDispatcher` -- the embedded default.  The job store *is* the
  queue: local worker processes claim queued rows (see :mod:`mathdisco.workers.local`),
  so enqueueing is nothing more than committing the row.  Chosen over Celery's
  embedded transports because kombu's filesystem transport drops a message
  when its consumer crashes and ``memory://`` works within one process only;
  a queue in the database is durable across restarts for free.
* :class:`CeleryDispatcher` -- Celery over Redis (or any broker): sends the
  job id as the task id to the job type's queue.

The reconciler runs periodically in the API process: a running job whose
heartbeat stopped is requeued (or failed once its attempts are spent) --
unless its worker process is alive on this host.  The heartbeat is a thread,
and a long call into compiled code that holds the GIL (sklearn's HDBSCAN over
a 1.5 M-PCF sweep: 20-40 s) starves it; the process is then busy, not lost,
and the job type's hard time limit still bounds it.
Duplicate messages are harmless: a delivery must claim the job in the store
first.  Queued messages survive a broker restart only with Redis AOF on (as
docker-compose.yml configures it).
"""

from __future__ import annotations

import logging
from typing import Protocol

from mathdisco.workers.models import Job, JobStatus
from mathdisco.workers.runner import worker_process_alive
from mathdisco.workers.settings import Settings
from mathdisco.workers.store import JobStore

log = logging.getLogger(__name__)


class Dispatcher(Protocol):
    def enqueue(self, job: Job) -> None: ...
    def revoke(self, job_id: str) -> None: ...
    def ping(self) -> None: ...


class LocalDispatcher:
    def __init__(self, store: JobStore) -> None:
        self.store = store

    def enqueue(self, job: Job) -> None:
        """Nothing to do: local workers poll the store for queued jobs."""

    def revoke(self, job_id: str) -> None:
        """Nothing to do: a cancelled queued job is never claimed."""

    def ping(self) -> None:
        self.store.ping()


class CeleryDispatcher:
    def __init__(self, settings: Settings) -> None:
        from mathdisco.workers.celery_app import celery_app

        self.app = celery_app()
        self.settings = settings

    def enqueue(self, job: Job) -> None:
        from mathdisco.engines.registry import get_job_type
        from mathdisco.workers.celery_app import run_task_name

        queue = get_job_type(job.type).queue
        self.app.send_task(run_task_name(job.type), args=[job.id], task_id=job.id, queue=queue)

    def revoke(self, job_id: str) -> None:
        try:
            self.app.control.revoke(job_id)
        except Exception:  # revoke is an optimisation; the store's cancel flag is the truth
            log.warning("revoke of %s failed", job_id, exc_info=True)

    def ping(self) -> None:
        with self.app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)


def make_dispatcher(settings: Settings, store: JobStore) -> Dispatcher:
    return CeleryDispatcher(settings) if settings.uses_celery else LocalDispatcher(store)


def reconcile(store: JobStore, dispatcher: Dispatcher, settings: Settings) -> dict[str, int]:
    """Requeue or fail jobs whose worker stopped; returns counts of what it did."""
    requeued = failed = 0
    for job in store.stale_running(settings.stale_after_s):
        if job.worker and worker_process_alive(job.worker):
            continue  # busy in code that holds the GIL, not lost
        if job.attempts >= settings.max_attempts:
            if store.finish(job.id, JobStatus.FAILED, error=(
                    f"the worker running this job stopped responding (no heartbeat for "
                    f"{settings.stale_after_s:g} s) on each of {job.attempts} attempts")):
                failed += 1
        elif store.requeue(job.id, f"no heartbeat for {settings.stale_after_s:g} s; requeued"):
            dispatcher.enqueue(job)
            requeued += 1
    return {"requeued": requeued, "failed": failed}
