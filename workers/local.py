"""The embedded executor: worker processes that take queued jobs straight from the store.

``mathdisco serve`` with no broker starts a :class:`LocalExecutor`: a few
worker processes (``spawn``, so they share nothing with the web server's
threads) that each loop claiming the oldest queued job and running it with
:func:`mathdisco.workers.runner.execute_job`.  A supervisor thread in the parent

* respawns a worker process that died and requeues (or, past the attempts
  cap, fails) the job it held -- the same policy as Celery's redelivery;
* enforces each job type's hard time limit by failing the job and killing
  the process that runs it, since a numba kernel cannot be interrupted.

On start-up, jobs left running by worker processes of this host that no
longer exist (``serve`` was killed) are requeued, so nothing is lost across a
restart.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import threading
import time
from datetime import timedelta
from multiprocessing.process import BaseProcess

from mathdisco.engines.registry import get_job_type
from mathdisco.workers.models import JobStatus, RunOutcome, utcnow
from mathdisco.workers.runner import execute_job, worker_process_alive
from mathdisco.workers.settings import Settings, load_settings
from mathdisco.workers.store import JobStore
from mathdisco.workers.warmup import warm_for_job, warm_up_in_background

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.2


def worker_name(pid: int | None = None) -> str:
    return f"local:{socket.gethostname()}:{pid or os.getpid()}"


def worker_loop(stop: threading.Event | None = None, parent_pid: int | None = None) -> None:
    """Claim and run queued jobs until ``stop`` is set (runs in a worker process).

    With ``parent_pid`` (the embedded executor's workers) it also stops once
    that process is no longer its parent: a worker of a SIGKILLed ``serve``
    exits at its next poll instead of living on as an orphan that holds the
    store's files, even one that was still starting when ``serve`` died.
    """
    settings = load_settings()
    store = JobStore(settings.database_url)
    name = worker_name()
    warm_up_in_background(store, name, settings.warm_up_types)
    while (stop is None or not stop.is_set()) and parent_pid in (None, os.getppid()):
        ran = False
        for job_id in store.next_queued():
            warm_for_job(store, job_id, settings.warm_up_types)  # queued while it compiles
            if execute_job(store, job_id, name, settings) != RunOutcome.SKIPPED:
                ran = True
                break
        if not ran:
            time.sleep(POLL_INTERVAL_S)


class LocalExecutor:
    """A supervised pool of local worker processes."""

    def __init__(self, store: JobStore, settings: Settings, processes: int | None = None) -> None:
        self.store, self.settings = store, settings
        self.size = max(1, processes or settings.local_workers)
        self._context = multiprocessing.get_context("spawn")
        self._processes: list[BaseProcess] = []
        self._stop = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, name="local-executor", daemon=True)

    def start(self) -> None:
        self.recover_orphans()
        self._processes = [self._spawn() for _ in range(self.size)]
        self._supervisor.start()

    def stop(self, timeout: float = 5.0) -> None:
        # The supervisor is joined before any process is terminated: otherwise it can
        # see a terminated worker as dead and respawn it after the shutdown began,
        # leaving an orphan that outlives the server.
        self._stop.set()
        if self._supervisor.is_alive():
            self._supervisor.join()
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            process.join(timeout)
            if process.is_alive():
                process.kill()
        for process in self._processes:
            self._release(process.pid, "the local executor stopped; requeued")

    def _spawn(self) -> BaseProcess:
        process = self._context.Process(target=worker_loop, kwargs={"parent_pid": os.getpid()},
                                        name="mathdisco-local-worker", daemon=True)
        process.start()
        return process

    def recover_orphans(self) -> None:
        """Requeue jobs held by this host's local worker processes that are gone."""
        for job in self.store.stale_running(0):
            if job.worker and worker_process_alive(job.worker) is False:
                pid = int(job.worker.rsplit(":", 1)[1])
                self._release(pid, "its worker process was gone when the executor started")

    def _release(self, pid: int | None, note: str) -> None:
        """Requeue (or fail, past the attempts cap) the job a dead process held."""
        name = worker_name(pid)
        self.store.forget_warmth(name)
        for job in self.store.stale_running(0):
            if job.worker != name:
                continue
            if job.attempts >= self.settings.max_attempts:
                self.store.finish(job.id, JobStatus.FAILED, error=(
                    f"gave up after {job.attempts} attempts: the worker process running this "
                    "job died each time"))
            else:
                self.store.requeue(job.id, note)

    def _enforce_time_limits(self) -> None:
        now = utcnow()
        by_name = {worker_name(p.pid): p for p in self._processes}
        for job in self.store.stale_running(0):
            process = by_name.get(job.worker or "")
            if process is None or job.started_at is None:
                continue
            limit = get_job_type(job.type).limits.hard_s
            started = job.started_at if job.started_at.tzinfo else job.started_at.replace(tzinfo=now.tzinfo)
            if now - started > timedelta(seconds=limit):
                self.store.finish(job.id, JobStatus.FAILED, error=f"hard time limit of {limit} s exceeded")
                process.kill()

    def _supervise(self) -> None:
        while not self._stop.wait(0.5):
            try:
                for i, process in enumerate(self._processes):
                    if not process.is_alive() and not self._stop.is_set():
                        log.warning("local worker %s exited with %s", process.pid, process.exitcode)
                        self._release(process.pid, f"worker process exited with code {process.exitcode}")
                        self._processes[i] = self._spawn()
                self._enforce_time_limits()
            except Exception:  # the supervisor must outlive a store hiccup
                log.exception("local executor supervision failed")
