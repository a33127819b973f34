"""Per-key limits: a token-bucket rate limit on writes and a cap on concurrent heavy jobs.

The buckets live in this process's memory: with several API processes each
enforces its own share, which is good enough to stop a runaway client (the
heavy-job cap, which matters more, is counted in the shared job store).
"""

from __future__ import annotations

import threading
import time

from mathdisco.engines.registry import job_types
from mathdisco.service.errors import QuotaExceeded
from mathdisco.workers.models import ACTIVE_STATUSES
from mathdisco.workers.store import JobStore

#: buckets not touched for this long are forgotten, so many distinct clients cannot grow memory forever
_IDLE_FORGET_S = 600.0
_MAX_BUCKETS = 100_000


class RateLimiter:
    """``per_minute`` requests per key, with bursts up to ``per_minute``; thread-safe."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens per second
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def take(self, key: str) -> float:
        """Take one token; returns 0 when allowed, else the seconds until a token is free."""
        if not self.enabled:
            return 0.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            if len(self._buckets) > _MAX_BUCKETS:
                self._forget(now)
        return wait

    def _forget(self, now: float) -> None:
        for key in [k for k, (_, last) in self._buckets.items() if now - last > _IDLE_FORGET_S]:
            del self._buckets[key]


def heavy_types() -> set[str]:
    return {name for name, job_type in job_types().items() if job_type.queue == "heavy"}


def check_heavy_quota(store: JobStore, owner: str, job_type: str, cap: int) -> None:
    """Refuse (429) a heavy job when ``owner`` already has ``cap`` heavy jobs queued or running."""
    if cap <= 0:
        return
    heavy = heavy_types()
    if job_type not in heavy:
        return
    active = store.count_jobs(owner=owner, statuses=ACTIVE_STATUSES, job_types=heavy)
    if active >= cap:
        raise QuotaExceeded(f"{owner!r} has {active} heavy jobs queued or running; the limit is {cap}. "
                            "Wait for one to finish or cancel one.", retry_after_s=30)
