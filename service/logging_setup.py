"""Logging of ``mathdisco serve``: requests and job events, to stderr and a rotating file.

:func:`configure_logging` sends every log record of the serve process
(uvicorn's access log -- one line per request -- and its error log, the
service's and the workers' loggers) to stderr and to
``$MATHDISCO_DATA_DIR/logs/mathdisco.log``, rotated at ``max_bytes`` with
``backups`` old files kept (``mathdisco.log.1`` ...).

Jobs run in other processes (the embedded executor's worker processes, or
Celery workers on other hosts), so the serve process learns their events
where they are recorded: :class:`JobEventLog` follows the job store and logs
each status change (queued, running on which worker, succeeded in how long,
failed with the first line of its error, cancelled) once, whichever worker
ran the job.  The store keeps the full history and error of every job; the
log is for following the service as it runs.

Example
-------
>>> import logging, tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = configure_logging(Path(tmp), level="info", stream=None)
...     logging.getLogger("mathdisco.jobs").info("job 1 identify: queued")
...     flush_logging()
...     "job 1 identify: queued" in path.read_text()
...     reset_logging()
True
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import IO, Any

__all__ = [
    "JobEventLog",
    "LOG_FILE_NAME",
    "configure_logging",
    "flush_logging",
    "log_file",
    "reset_logging",
]

LOG_FILE_NAME = "mathdisco.log"
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
#: loggers uvicorn configures itself; here they hand their records to the root handlers
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")

log = logging.getLogger("mathdisco.jobs")

_installed: list[logging.Handler] = []


def log_file(data_dir: Path) -> Path:
    """Where ``serve`` writes its log: ``<data dir>/logs/mathdisco.log``."""
    return Path(data_dir) / "logs" / LOG_FILE_NAME


def configure_logging(data_dir: Path, *, level: str = "info", stream: IO[str] | None = sys.stderr,
                      max_bytes: int = 10 * 1024 * 1024, backups: int = 5) -> Path:
    """Log to ``stream`` (None: not at all) and to the rotating file; returns the file's path.

    Calling it again replaces the handlers it installed before.
    """
    reset_logging()
    path = log_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    formatter = logging.Formatter(FORMAT)
    handlers: list[logging.Handler] = [
        logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups,
                                             encoding="utf-8")]
    if stream is not None:
        handlers.append(logging.StreamHandler(stream))
    root = logging.getLogger()
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
        _installed.append(handler)
    root.setLevel(level.upper())
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(level.upper())
    return path


def flush_logging() -> None:
    for handler in _installed:
        handler.flush()


def reset_logging() -> None:
    """Remove the handlers :func:`configure_logging` installed."""
    root = logging.getLogger()
    while _installed:
        handler = _installed.pop()
        root.removeHandler(handler)
        handler.close()


def _first_line(text: str | None) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= 300 else line[:297] + "..."


def describe_event(job: Any, entry: dict[str, Any]) -> str:
    """One log line for a status-history entry of a job.

    >>> class Job:
    ...     id, type, owner = "1b2c", "identify", "anonymous"
    ...     created_at = started_at = finished_at = None
    >>> describe_event(Job(), {"status": "failed", "note": "ValueError: bad\\n\\nTraceback ..."})
    'job 1b2c identify: failed: ValueError: bad'
    """
    status, note = entry.get("status", "?"), entry.get("note")
    text = f"job {job.id} {job.type}: {status}"
    if status == "queued" and not note:
        text += f" (owner {job.owner})"
    elif status == "succeeded" and job.started_at and job.finished_at:
        from mathdisco.workers.store import aware

        text += f" in {(aware(job.finished_at) - aware(job.started_at)).total_seconds():.2f} s"
    if note:
        text += f": {_first_line(note)}"
    return text


class JobEventLog:
    """Follows the job store and logs every job's status changes once (see the module docstring).

    Each poll reads the newest ``window`` jobs, every running and queued job,
    and the jobs it saw unfinished that left those lists, then logs the
    status-history entries it has not logged yet.  Jobs already in the store
    when it starts are not replayed.
    """

    def __init__(self, store: Any, interval_s: float = 1.0, window: int = 50) -> None:
        self.store, self.interval_s, self.window = store, interval_s, window
        self._logged: dict[str, int] = {}  # job id -> history entries already logged
        self._open: set[str] = set()  # ids of jobs seen before they finished
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="job-event-log", daemon=True)

    def start(self) -> JobEventLog:
        self.poll(log_events=False)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.poll()
            except Exception:  # a store hiccup must not end the log; the next poll retries
                log.warning("reading job events failed", exc_info=True)

    def _current(self) -> dict[str, Any]:
        from mathdisco.workers.store import JobNotFound

        jobs = {job.id: job for job in self.store.list_jobs(limit=self.window)[0]}
        for status in ("running", "queued"):
            jobs.update((job.id, job) for job in self.store.list_jobs(status=status, limit=500)[0])
        for job_id in self._open - jobs.keys():
            try:
                jobs[job_id] = self.store.get_job(job_id)
            except JobNotFound:
                self._open.discard(job_id)
        return jobs

    def poll(self, log_events: bool = True) -> int:
        """Log the new events; returns how many were logged."""
        from mathdisco.workers.models import FINAL_STATUSES

        count = 0
        jobs = self._current()
        for job in sorted(jobs.values(), key=lambda j: (_stamp(j.created_at), j.id)):
            history = job.status_history or []
            start = self._logged.get(job.id, 0 if log_events else len(history))
            for entry in history[start:]:
                log.info(describe_event(job, entry))
                count += 1
            self._logged[job.id] = len(history)
            if job.status in FINAL_STATUSES:
                self._open.discard(job.id)
            else:
                self._open.add(job.id)
        for job_id in list(self._logged):
            if job_id not in jobs and job_id not in self._open:
                del self._logged[job_id]
        return count


def _stamp(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""
