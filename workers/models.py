"""The job store's tables (SQLAlchemy 2).

The jobs table is the source of truth: the broker only carries job ids.  The
schema is created on start-up and an older database is brought up to date in
place by :meth:`mathdisco.workers.store_base.StoreBase.create_schema` (new tables,
indexes, and columns that are nullable or defaulted: every change so far).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class JobStatus(StrEnum):
    """The life of a job (docs/design.md, "Job lifecycle"); members compare equal to their names."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ShardStatus(StrEnum):
    """The state of one shard of a job that fans out."""

    QUEUED = "queued"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RunOutcome(StrEnum):
    """What a delivery of a job or shard did, besides ending the job with a JobStatus."""

    SKIPPED = "skipped"        # final, cancelled, or held by a live worker: nothing to do
    FANNED_OUT = "fanned_out"  # its shards were queued for other workers
    STORED = "stored"          # one shard's result stored; others are still to come


class CallbackState(StrEnum):
    """Where a job's completion callback stands (None on a job without one)."""

    PENDING = "pending"      # due at callback_next_at
    DELIVERED = "delivered"  # answered 2xx
    FAILED = "failed"        # given up: a final refusal or every retry spent


STATUSES = tuple(status.value for status in JobStatus)
FINAL_STATUSES = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})
ACTIVE_STATUSES = frozenset({JobStatus.QUEUED, JobStatus.RUNNING})


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # also the Celery task id
    type: Mapped[str] = mapped_column(String(64), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    params_fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_history: Mapped[list[Any]] = mapped_column(JSON, default=list)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    progress_message: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner: Mapped[str] = mapped_column(String(128), default="anonymous", index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    rerun_of: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    estimate: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    log_bytes: Mapped[int] = mapped_column(Integer, default=0)
    callback_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: a CallbackState; None on a job without a callback
    callback_state: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    callback_next_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    callback_attempts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: why a limit stopped a succeeded job early (the result's ``limited.reason``), else None
    limited: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        UniqueConstraint("owner", "idempotency_key", name="uq_jobs_owner_idempotency_key"),
        # newest-first pages, unfiltered and filtered by status or type (GET /v1/jobs, the dashboard)
        Index("ix_jobs_created_id", "created_at", "id"),
        Index("ix_jobs_status_created_id", "status", "created_at", "id"),
        Index("ix_jobs_type_created_id", "type", "created_at", "id"),
    )


class WorkerWarmth(Base):
    """Whether a worker process has its kernels compiled (workers/warmup.py)."""

    __tablename__ = "worker_warmth"

    worker: Mapped[str] = mapped_column(String(128), primary_key=True)
    #: "warming" while it compiles, "warm" when every job type's kernels are ready
    state: Mapped[str] = mapped_column(String(16))
    #: seconds the warm-up took (compilation on a cold cache, loading on a warm one)
    seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Discovery(Base):
    """A verified statement, stored once however many jobs find it."""

    __tablename__ = "discoveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(255), index=True)
    text: Mapped[str] = mapped_column(Text)
    latex: Mapped[str] = mapped_column(Text)
    canonical: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: the provenance of the result that first found it (software, versions, params)
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class JobDiscovery(Base):
    __tablename__ = "job_discoveries"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    discovery_id: Mapped[int] = mapped_column(
        ForeignKey("discoveries.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class JobLogLine(Base):
    """One line of a job's log: what its engine and runner reported, bounded per job."""

    __tablename__ = "job_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    level: Mapped[str] = mapped_column(String(8), default="info")
    message: Mapped[str] = mapped_column(Text)


class JobShard(Base):
    """One part of a job that fans out over workers; written idempotently per (job, index)."""

    __tablename__ = "job_shards"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=ShardStatus.QUEUED)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: the worker process running it (kind:host:pid) and that run's last heartbeat, so that a
    #: redelivered shard task does not start the same work again while its holder lives
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
