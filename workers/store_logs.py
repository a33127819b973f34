"""The per-job log in the store: bounded lines, written in batches by the runner (workers/joblog.py)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from mathdisco.workers.models import Job, JobLogLine, utcnow
from mathdisco.workers.store_base import StoreBase

__all__ = ["LOG_LINE_MAX_CHARS", "LOG_MAX_BYTES", "LOG_RESERVE_BYTES", "LogStore"]

#: a job's log is cut here (a line says so); the final lines always fit in the reserve
LOG_MAX_BYTES = 256 * 1024
LOG_RESERVE_BYTES = 8 * 1024
LOG_LINE_MAX_CHARS = 2000


class LogStore(StoreBase):
    """Append and read a job's log lines."""

    def append_log(self, job_id: str, lines: Sequence[tuple[str, str]], *, final: bool = False) -> None:
        """Append (level, message) lines, keeping the job's log within LOG_MAX_BYTES.

        Past the limit one line says the log was cut and later lines are
        dropped; ``final`` lines (the outcome) use a small reserve beyond it.
        """
        if not lines:
            return
        with self._writing() as session:
            job = session.get(Job, job_id, with_for_update=True)
            if job is None:
                return
            used = job.log_bytes or 0
            limit = LOG_MAX_BYTES + (LOG_RESERVE_BYTES if final else 0)
            now = utcnow()
            for level, message in lines:
                message = str(message)[:LOG_LINE_MAX_CHARS]
                size = len(message.encode()) + 40
                if used + size > limit:
                    if used <= LOG_MAX_BYTES:
                        session.add(JobLogLine(job_id=job_id, at=now, level="warning",
                                               message=f"log cut at {LOG_MAX_BYTES} bytes"))
                        used = LOG_MAX_BYTES + 1
                    if not final:
                        break
                    continue
                session.add(JobLogLine(job_id=job_id, at=now, level=level[:8], message=message))
                used += size
            job.log_bytes = used

    def job_log(self, job_id: str) -> list[JobLogLine]:
        with self.sessions() as session:
            return list(session.scalars(
                select(JobLogLine).where(JobLogLine.job_id == job_id).order_by(JobLogLine.id)))
