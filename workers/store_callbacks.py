"""Completion callbacks in the store: which are due, who delivers them, every attempt (service/callbacks.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import defer

from mathdisco.workers.models import CallbackState, Job, utcnow
from mathdisco.workers.store_base import StoreBase

__all__ = ["CallbackStore"]


class CallbackStore(StoreBase):
    """The pending completion callbacks and their delivery attempts."""

    def due_callbacks(self, limit: int = 20) -> list[Job]:
        """Final jobs whose callback is pending and due."""
        with self.sessions() as session:
            return list(session.scalars(
                select(Job).options(defer(Job.result, raiseload=True))
                .where(Job.callback_state == CallbackState.PENDING, Job.callback_next_at <= utcnow())
                .order_by(Job.callback_next_at).limit(limit)))

    def lease_callback(self, job_id: str, lease_s: float) -> bool:
        """Take the job's due callback for ``lease_s`` so one process delivers it at a time."""
        now = utcnow()
        with self._writing() as session:
            return bool(session.execute(
                update(Job).where(Job.id == job_id, Job.callback_state == CallbackState.PENDING,
                                  Job.callback_next_at <= now)
                .values(callback_next_at=now + timedelta(seconds=lease_s))
                .execution_options(synchronize_session=False)).rowcount)

    def record_callback(self, job_id: str, attempt: dict[str, Any], *, state: CallbackState,
                        next_at: datetime | None) -> None:
        """Record one delivery attempt; ``state`` is pending (retry at ``next_at``), delivered or failed."""
        with self._writing() as session:
            job = session.get(Job, job_id, with_for_update=True)
            if job is None:
                return
            job.callback_attempts = [*(job.callback_attempts or []), attempt]
            job.callback_state, job.callback_next_at = state, next_at
