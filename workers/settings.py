"""Configuration from the environment, read once per process.

| variable | default | meaning |
|---|---|---|
| MATHDISCO_DATA_DIR | ~/.mathdisco | where the SQLite store and logs live |
| MATHDISCO_DATABASE_URL | sqlite:///$DATA_DIR/mathdisco.db | SQLAlchemy URL (postgresql+psycopg://... to scale) |
| MATHDISCO_BROKER_URL | (unset) | redis://... switches from the embedded executor to Celery |
| MATHDISCO_MAX_ATTEMPTS | 3 | deliveries of one job before it is failed |
| MATHDISCO_STALE_AFTER_S | 60 | a running job whose heartbeat is older is requeued or failed |
| MATHDISCO_VISIBILITY_TIMEOUT_S | 3900 | Redis redelivery of unacknowledged jobs |
| MATHDISCO_LOCAL_WORKERS | 2 | worker processes of the embedded executor |
| MATHDISCO_MAX_BODY_BYTES | 4194304 | largest request body the API accepts |
| MATHDISCO_API_KEYS | (unset) | `name:sha256hex,...` or a file of such lines; set = writes need a key (see SECURITY.md) |
| MATHDISCO_PUBLIC_READ | 1 | with keys set, 0 makes reads (GET) need a key too |
| MATHDISCO_RATE_LIMIT | 0 | writes (POST) per minute per key (per client address when anonymous); 0 = off |
| MATHDISCO_MAX_HEAVY_JOBS | 0 | queued+running jobs of `heavy`-queue types per owner; 0 = off |
| MATHDISCO_MAX_JOB_MEMORY_GIB | half the physical memory | jobs whose estimate needs more are refused (422) |
| MATHDISCO_MAX_JOB_SECONDS | 86400 | jobs whose estimate runs longer (or past their type's limit) are refused |
| MATHDISCO_CALLBACK_HOSTS | (unset) | hosts `callback_url` may name (`a.org,*.b.org`); unset = loopback only |
| MATHDISCO_CALLBACK_SECRET | (unset) | signs callbacks: `X-Mathdisco-Signature: sha256=HMAC(secret, "<timestamp>.<body>")` |
| MATHDISCO_URL | http://127.0.0.1:8000 | the server the CLI's `submit`, `jobs` and `batch` talk to |
| MATHDISCO_API_KEY | (unset) | the key the CLI sends (`X-API-Key`) |
| MATHDISCO_RESTORE_INTERVAL_S | 10 | Redis: how often unacknowledged messages are swept back |
| MATHDISCO_SOFT_SHUTDOWN_S | 30 | Celery: seconds a warm shutdown lets running jobs finish |
| MATHDISCO_ENABLE_TEST_JOBS | 0 | register the diagnostic job types (tests only) |

Engines know nothing of this module; the one engine-side switch,
MATHDISCO_ENABLE_TEST_JOBS, is read by engines/registry.py itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw else default


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    broker_url: str | None
    max_attempts: int
    stale_after_s: float
    heartbeat_interval_s: float
    visibility_timeout_s: int
    local_workers: int
    max_body_bytes: int
    api_keys: str | None = None
    public_read: bool = True
    rate_limit_per_min: int = 0
    max_heavy_jobs: int = 0
    max_job_memory_bytes: int = 8 * 2**30
    max_job_seconds: float = 86_400.0
    callback_hosts: tuple[str, ...] = ()
    callback_secret: str | None = None
    server_url: str = "http://127.0.0.1:8000"
    api_key: str | None = None
    restore_interval_s: float = 10.0
    soft_shutdown_s: float = 30.0
    #: job types whose kernels a worker compiles before their jobs: None all, () none
    warm_up_types: tuple[str, ...] | None = None

    @property
    def uses_celery(self) -> bool:
        return bool(self.broker_url)


def physical_memory_bytes() -> int:
    """This machine's memory (bytes); 8 GiB when the platform does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    return raw.strip().lower() not in {"0", "false", "no", "off"}


def load_settings() -> Settings:
    data_dir = Path(os.environ.get("MATHDISCO_DATA_DIR") or Path.home() / ".mathdisco")
    database_url = os.environ.get("MATHDISCO_DATABASE_URL") or f"sqlite:///{data_dir / 'mathdisco.db'}"
    stale_after = _float("MATHDISCO_STALE_AFTER_S", 60.0)
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        broker_url=os.environ.get("MATHDISCO_BROKER_URL") or None,
        max_attempts=_int("MATHDISCO_MAX_ATTEMPTS", 3),
        stale_after_s=stale_after,
        heartbeat_interval_s=max(0.2, min(5.0, stale_after / 4)),
        visibility_timeout_s=_int("MATHDISCO_VISIBILITY_TIMEOUT_S", 3900),
        local_workers=_int("MATHDISCO_LOCAL_WORKERS", 2),
        max_body_bytes=_int("MATHDISCO_MAX_BODY_BYTES", 4 * 1024 * 1024),
        api_keys=os.environ.get("MATHDISCO_API_KEYS") or None,
        public_read=_flag("MATHDISCO_PUBLIC_READ", True),
        rate_limit_per_min=_int("MATHDISCO_RATE_LIMIT", 0),
        max_heavy_jobs=_int("MATHDISCO_MAX_HEAVY_JOBS", 0),
        max_job_memory_bytes=int(_float("MATHDISCO_MAX_JOB_MEMORY_GIB",
                                        physical_memory_bytes() / 2 / 2**30) * 2**30),
        max_job_seconds=_float("MATHDISCO_MAX_JOB_SECONDS", 86_400.0),
        callback_hosts=tuple(h.strip().lower() for h in
                             os.environ.get("MATHDISCO_CALLBACK_HOSTS", "").split(",") if h.strip()),
        callback_secret=os.environ.get("MATHDISCO_CALLBACK_SECRET") or None,
        server_url=os.environ.get("MATHDISCO_URL") or "http://127.0.0.1:8000",
        api_key=os.environ.get("MATHDISCO_API_KEY") or None,
        restore_interval_s=_float("MATHDISCO_RESTORE_INTERVAL_S", 10.0),
        soft_shutdown_s=_float("MATHDISCO_SOFT_SHUTDOWN_S", 30.0),
        warm_up_types=_warm_up_types(os.environ.get("MATHDISCO_WARM_UP", "all")),
    )


def _warm_up_types(value: str) -> tuple[str, ...] | None:
    """``all`` (None), ``none`` (()), or a comma-separated list of job types.

    >>> _warm_up_types("all"), _warm_up_types("none"), _warm_up_types("sr_mcts, pcf_cluster")
    (None, (), ('sr_mcts', 'pcf_cluster'))
    """
    value = value.strip().lower()
    if value in {"", "all", "1", "true", "yes"}:
        return None
    if value in {"none", "0", "false", "no"}:
        return ()
    return tuple(name.strip() for name in value.split(",") if name.strip())
