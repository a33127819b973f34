"""Which worker processes have their kernels compiled: written by workers/warmup.py, read by /readyz."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from sqlalchemy import delete, select

from mathdisco.workers.models import WorkerWarmth, utcnow
from mathdisco.workers.store_base import StoreBase, aware

__all__ = ["KernelState", "WarmthStore"]

KernelState = Literal["warming", "warm", "off"]

#: a worker that has not said anything for this long is taken to be gone
FORGET_AFTER = timedelta(days=1)


class WarmthStore(StoreBase):
    """Record and read the kernel warm-up of worker processes."""

    def report_warmth(self, worker: str, state: KernelState, seconds: float | None = None) -> None:
        with self._writing() as session:
            row = session.get(WorkerWarmth, worker)
            if row is None:
                row = WorkerWarmth(worker=worker)
                session.add(row)
            row.state, row.seconds, row.updated_at = state, seconds, utcnow()

    def forget_warmth(self, worker: str) -> None:
        """A worker process that stops takes its warmth with it."""
        with self._writing() as session:
            session.execute(delete(WorkerWarmth).where(WorkerWarmth.worker == worker))

    def kernel_warmth(self) -> dict[str, dict[str, object]]:
        """``{worker: {"state", "seconds"}}`` of the workers heard from in the last day."""
        since = utcnow() - FORGET_AFTER
        with self.sessions() as session:
            rows = session.scalars(select(WorkerWarmth)).all()
        return {r.worker: {"state": r.state, "seconds": r.seconds} for r in rows
                if aware(r.updated_at) >= since}

    def kernels_warm(self) -> bool:
        """Whether some worker has every kernel compiled, so a job's estimate needs no compile time."""
        return any(w["state"] == "warm" for w in self.kernel_warmth().values())
