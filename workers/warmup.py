"""Kernels compiled before a job's clock starts (docs/design.md, "Honest first jobs").

numba compiles a kernel on its first call, and on an empty cache that takes
tens of seconds: a job whose time limit includes it searches for a fraction
of its limit, or not at all.  So:

* every worker process starts :func:`warm_up_in_background` when it starts: a
  thread that runs each job type's ``warm_up`` (compiling its kernels, or
  loading them from numba's on-disk cache, which takes a moment) and records
  the worker as ``warming``, then ``warm``, in the store; ``/readyz`` and the
  dashboard report it, and while no worker is warm the submission estimate
  adds each type's ``compile_s``;
* a worker calls :func:`warm_for_job` before it claims a job: the job stays
  queued until its own type's kernels are ready (a job of a type with nothing
  to compile, identify, does not wait for the others), so its run and its
  duration are the search alone; the runner calls :func:`ensure_warm` again
  inside the job's heartbeat (a no-op by then; the guard for any other path),
  which reports "compiling" if it ever has to wait.

A warm-up that fails is logged and does not stop the worker: the job then
compiles what it needs itself, as before, and says so if its limit stopped it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from mathdisco.engines.contract import JobType
from mathdisco.engines.registry import get_job_type, job_types
from mathdisco.workers.store import JobStore

__all__ = ["ensure_warm", "warm_up_in_background", "warm_up_kernels"]

log = logging.getLogger(__name__)

_locks: dict[str, threading.Lock] = {}
_warm: set[str] = set()
_registry_lock = threading.Lock()


def ensure_warm(job_type: JobType, waiting: Callable[[], None] | None = None,
                types: tuple[str, ...] | None = None) -> float:
    """Run ``job_type.warm_up`` once in this process (waiting if another thread runs it).

    ``waiting`` is called first when the kernels are not ready yet (the runner
    reports "compiling"); ``types`` limits warm-ups to those job types
    (``MATHDISCO_WARM_UP``; None: all). Returns the seconds this call spent.
    """
    if job_type.warm_up is None or job_type.name in _warm:
        return 0.0
    if types is not None and job_type.name not in types:
        return 0.0
    with _registry_lock:
        lock = _locks.setdefault(job_type.name, threading.Lock())
    started = time.monotonic()
    if waiting is not None:
        waiting()
    with lock:
        if job_type.name not in _warm:
            try:
                job_type.warm_up()
                log.info("kernels of %s ready in %.1f s", job_type.name, time.monotonic() - started)
            except Exception:  # the job compiles for itself then; the worker must still serve
                log.exception("warm-up of %s failed", job_type.name)
            _warm.add(job_type.name)
    return time.monotonic() - started


def warm_for_job(store: JobStore, job_id: str, types: tuple[str, ...] | None = None) -> None:
    """Warm the kernels of a queued job's type before a worker claims it.

    The job stays queued while they compile (the dashboard and /readyz say the
    workers are warming), so its run -- and its duration -- is the search alone.
    """
    try:
        job_type = get_job_type(store.get_job(job_id).type)
    except KeyError:  # gone, or a type this worker lacks: the runner reports it
        return
    if not job_type.missing_requirements():
        ensure_warm(job_type, types=types)


def warm_up_kernels(store: JobStore | None, worker: str,
                    types: tuple[str, ...] | None = None) -> float:
    """Warm every job type's kernels (those in ``types``; None: all) here; the seconds it took.

    ``store`` (None where there is none) records the worker's state as it goes.
    """
    if types == ():  # switched off (MATHDISCO_WARM_UP=none): jobs compile for themselves
        if store is not None:
            _report(store, worker, "off", None)
        return 0.0
    started = time.monotonic()
    if store is not None:
        _report(store, worker, "warming", None)
    for job_type in job_types().values():
        if job_type.warm_up is not None and not job_type.missing_requirements():
            ensure_warm(job_type, types=types)
    seconds = time.monotonic() - started
    if store is not None:
        _report(store, worker, "warm", seconds)
    return seconds


def warm_up_in_background(store: JobStore, worker: str,
                          types: tuple[str, ...] | None = None) -> threading.Thread:
    """:func:`warm_up_kernels` in a daemon thread, so the worker takes jobs meanwhile."""
    thread = threading.Thread(target=warm_up_kernels, args=(store, worker, types),
                              name="kernel-warm-up", daemon=True)
    thread.start()
    return thread


def _report(store: JobStore, worker: str, state: str, seconds: float | None) -> None:
    try:
        store.report_warmth(worker, state, seconds)  # type: ignore[arg-type]
    except Exception:  # readiness reporting must not stop a worker
        log.warning("could not record %s as %s", worker, state, exc_info=True)
