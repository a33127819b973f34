"""The per-job log: what an engine reports while it runs, kept with the job.

:class:`JobLog` buffers lines and writes them to the store with the
progress writes (so logging costs no extra transactions on the hot path),
bounded per job by :data:`mathdisco.workers.store_logs.LOG_MAX_BYTES`.  Lines come from:

* the runner's phases (attempt, shards, merge, result check, discoveries,
  outcome and timings);
* the engine's progress messages, when they change, at most one line per
  ``PROGRESS_EVERY_S``;
* warnings (``warnings.warn``) and ``logging`` records at INFO or above from
  the ``engines`` loggers, while the engine runs (:meth:`JobLog.capture`).

The same path runs in the embedded executor and in Celery workers, so both
modes keep the same log (``GET /v1/jobs/{id}/log``).
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from mathdisco.workers.store import JobStore

__all__ = ["JobLog"]

PROGRESS_EVERY_S = 5.0


class _Handler(logging.Handler):
    def __init__(self, log: JobLog) -> None:
        super().__init__(logging.INFO)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.log.add(record.levelname.lower(), f"{record.name}: {record.getMessage()}")
        except Exception:  # pragma: no cover - logging must never break the job
            self.handleError(record)


class JobLog:
    """Buffered lines of one job's log."""

    def __init__(self, store: JobStore, job_id: str, prefix: str = "") -> None:
        self.store, self.job_id, self.prefix = store, job_id, prefix
        self._lines: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._last_progress = ("", 0.0)

    def add(self, level: str, message: str) -> None:
        with self._lock:
            self._lines.append((level, self.prefix + message))

    def info(self, message: str) -> None:
        self.add("info", message)

    def progress(self, done: int, total: int, message: str) -> None:
        """A progress line when the message changed and the last one is old enough."""
        last_message, last_at = self._last_progress
        now = time.monotonic()
        if message and message != last_message and now - last_at >= PROGRESS_EVERY_S:
            self._last_progress = (message, now)
            counts = f"{done}/{total} " if total else ""
            self.add("info", f"{counts}{message}")

    def flush(self, *, final: bool = False) -> None:
        with self._lock:
            lines, self._lines = self._lines, []
        if lines:
            self.store.append_log(self.job_id, lines, final=final)

    @contextmanager
    def capture(self) -> Iterator[None]:
        """Record warnings and ``engines.*`` log records into this log while the block runs."""
        handler = _Handler(self)
        engines_logger = logging.getLogger("engines")
        previous_level = engines_logger.level
        engines_logger.addHandler(handler)
        if engines_logger.getEffectiveLevel() > logging.INFO:
            engines_logger.setLevel(logging.INFO)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("default")
                yield
        finally:
            engines_logger.removeHandler(handler)
            engines_logger.setLevel(previous_level)
            for warning in caught[:100]:
                self.add("warning", f"{warning.category.__name__}: {warning.message}")
