"""The Celery application: one task per job type, each a thin call into :mod:`mathdisco.workers.runner`.

Configuration follows Celery's crash-safety settings: JSON only (no pickle),
``acks_late`` with ``reject_on_worker_lost`` so a job whose worker dies is
redelivered, prefetch 1, per-type soft/hard time limits; our own attempts
counter in the job store caps the redeliveries.  The broker carries job ids
only; results live in the job store, never in a Celery result backend.
"""

from __future__ import annotations

import logging
import os
import socket

from celery import Celery
from celery.exceptions import SoftTimeLimitExceeded

from mathdisco.engines.registry import job_types
from mathdisco.workers.models import JobStatus
from mathdisco.workers.runner import execute_job, execute_shard
from mathdisco.workers.settings import Settings, load_settings
from mathdisco.workers.store import JobStore
from mathdisco.workers.warmup import warm_for_job, warm_up_in_background

log = logging.getLogger(__name__)


def run_task_name(job_type: str) -> str:
    return f"mathdisco.run.{job_type}"


def shard_task_name(job_type: str) -> str:
    return f"mathdisco.shard.{job_type}"


def make_celery(settings: Settings) -> Celery:
    app = Celery("mathdisco", broker=settings.broker_url, set_as_current=False)
    transport = {
        "visibility_timeout": settings.visibility_timeout_s,
        # kombu's sweep for unacknowledged messages runs every interval x throttle seconds
        "unacked_restore_interval": settings.restore_interval_s,
        "unacked_restore_throttle": 1,
    }
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        event_serializer="json",
        task_ignore_result=True,
        result_backend=None,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options=transport,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        task_default_queue="default",
        worker_soft_shutdown_timeout=settings.soft_shutdown_s,
    )
    _register_tasks(app, settings)
    _warm_up_children(settings)
    return app


def _warm_up_children(settings: Settings) -> None:
    """Each prefork child warms its kernels in the background from its start (workers/warmup.py)."""
    from celery.signals import worker_process_init, worker_process_shutdown

    def name() -> str:
        return f"celery:{socket.gethostname()}:{os.getpid()}"

    @worker_process_init.connect(weak=False)
    def warm(**_: object) -> None:
        warm_up_in_background(_shared_store(settings), name(), settings.warm_up_types)

    @worker_process_shutdown.connect(weak=False)
    def forget(**_: object) -> None:
        try:
            _shared_store(settings).forget_warmth(name())
        except Exception:  # the process is ending; a stale row ages out of /readyz
            logging.getLogger(__name__).debug("could not forget %s's warmth", name(), exc_info=True)


_stores: dict[int, JobStore] = {}


def _shared_store(settings: Settings) -> JobStore:
    """One store (connection pool) per worker process, created after fork."""
    pid = os.getpid()
    if pid not in _stores:
        _stores[pid] = JobStore(settings.database_url)
    return _stores[pid]


def _register_tasks(app: Celery, settings: Settings) -> None:
    host = socket.gethostname()

    def fan_out(job_id: str, job_type: str, count: int) -> None:
        queue = job_types()[job_type].queue
        for index in range(count):
            app.send_task(shard_task_name(job_type), args=[job_id, index],
                          task_id=f"{job_id}:{index}", queue=queue)

    for job_type in job_types().values():
        limits = {"soft_time_limit": job_type.limits.soft_s, "time_limit": job_type.limits.hard_s}

        def run(job_id: str) -> str:
            warm_for_job(_shared_store(settings), job_id, settings.warm_up_types)
            try:
                return execute_job(_shared_store(settings), job_id, f"celery:{host}:{os.getpid()}",
                                   settings, fan_out=fan_out)
            except SoftTimeLimitExceeded:
                _shared_store(settings).finish(job_id, JobStatus.FAILED, error="soft time limit exceeded")
                return "failed"

        def shard(job_id: str, index: int) -> str:
            return execute_shard(_shared_store(settings), job_id, index, f"celery:{host}:{os.getpid()}",
                                 settings)

        app.task(name=run_task_name(job_type.name), queue=job_type.queue, **limits)(run)
        app.task(name=shard_task_name(job_type.name), queue=job_type.queue, **limits)(shard)


_app: Celery | None = None


def celery_app() -> Celery:
    """The process-wide Celery app, configured from the environment."""
    global _app
    if _app is None:
        settings = load_settings()
        if not settings.broker_url:
            raise RuntimeError("MATHDISCO_BROKER_URL is not set; Celery needs a broker")
        _app = make_celery(settings)
    return _app
