"""The durable job store: every state change of a job is a short transaction here.

Both executors (Celery and the embedded local one) and the API go through
this module, so the rules live in one place:

* a job row is committed before its id is handed to any broker;
* a delivery *claims* the job with one conditional UPDATE, which also counts
  the attempt, so a redelivered or duplicated message cannot run a job twice
  at once, and a job that keeps killing its worker stops at the attempts cap;
* finishing is conditional on the job not being final yet, so the first
  outcome wins and nothing is overwritten;
* discoveries are deduplicated by fingerprint and linked to every job that
  found them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Engine,
    and_,
    create_engine,
    event,
    inspect,
    make_url,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, defer, sessionmaker

from engines.discoveries import Discovery as FoundDiscovery
from workers.models import (
    FINAL_STATUSES,
    Base,
    Discovery,
    Job,
    JobDiscovery,
    JobLogLine,
    JobShard,
    JobStatus,
    ShardStatus,
    utcnow,
)

#: a job's log is cut here (a line says so); the final lines always fit in the reserve
LOG_MAX_BYTES = 256 * 1024
LOG_RESERVE_BYTES = 8 * 1024
LOG_LINE_MAX_CHARS = 2000


class IdempotencyConflict(Exception):
    """The idempotency key was used before with other params."""


class JobNotFound(KeyError):
    pass


class JobFinished(Exception):
    """The operation needs a job that is not final yet."""


def params_fingerprint(job_type: str, params: dict[str, Any]) -> str:
    canonical = json.dumps({"type": job_type, "params": params}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def make_engine(url: str) -> Engine:
    """A SQLAlchemy engine; SQLite gets WAL and a busy timeout for multi-process use."""
    if url.startswith("sqlite"):
        in_memory = make_url(url).database in (None, "", ":memory:")
        # A pool as large as the API's thread pool: under a burst, overflow connections
        # would be opened and closed per request, each paying the connect pragmas.
        pool = {} if in_memory else {"pool_size": 40, "max_overflow": 0, "pool_timeout": 60}
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **pool)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        if not in_memory:
            with engine.connect() as connection:  # WAL is a property of the file: set it once
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def aware(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every time in the store is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _history(job: Job, status: str, note: str | None = None) -> list[Any]:
    entry: dict[str, Any] = {"status": status, "at": utcnow().isoformat()}
    if note:
        entry["note"] = note
    return [*(job.status_history or []), entry]


def encode_cursor(created_at: datetime, key: str | int) -> str:
    raw = f"{aware(created_at).isoformat()}|{key}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        moment, key = raw.split("|", 1)
        return datetime.fromisoformat(moment), key
    except Exception as exc:  # any malformed cursor is the client's error
        raise ValueError("malformed cursor") from exc


class JobStore:
    """All reads and writes of jobs, shards and discoveries."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = threading.Lock() if url.startswith("sqlite") else None
        if create:
            self.create_schema()

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        """A write transaction.

        SQLite takes one writer at a time and a blocked writer sleep-polls
        (1, 2, 5, ... 100 ms), which turns a burst of concurrent submits into
        tails of a second; this process's writers queue on a lock instead.
        """
        if self._write_lock is None:
            with self.sessions.begin() as session:
                yield session
            return
        with self._write_lock, self.sessions.begin() as session:
            yield session

    def create_schema(self) -> None:
        """Create missing tables, and the columns and indexes an older version did not have.

        Every column added since the first release is nullable or has a
        server-side default, so adding it to an existing table is safe.
        """
        try:
            Base.metadata.create_all(self.engine)
            self._add_missing_columns()
            for table in Base.metadata.sorted_tables:
                for index in table.indexes:
                    index.create(self.engine, checkfirst=True)
        except (IntegrityError, OperationalError, ProgrammingError):
            pass  # another process created it at the same moment

    def _add_missing_columns(self) -> None:
        inspector = inspect(self.engine)
        for table in Base.metadata.sorted_tables:
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                kind = column.type.compile(dialect=self.engine.dialect)
                value = column.default.arg if column.default is not None else None
                if isinstance(value, bool):
                    default = f" DEFAULT {'TRUE' if value else 'FALSE'}"
                else:
                    default = f" DEFAULT {value}" if isinstance(value, int) else ""
                with self.engine.begin() as connection:
                    connection.execute(text(
                        f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}{default}'))

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()

    # -- creating and reading jobs ------------------------------------------------

    def create_job(
        self,
        job_type: str,
        params: dict[str, Any],
        *,
        owner: str = "anonymous",
        idempotency_key: str | None = None,
        rerun_of: str | None = None,
        estimate: dict[str, Any] | None = None,
        callback_url: str | None = None,
    ) -> tuple[Job, bool]:
        """Insert a queued job; returns (job, created).  A replayed idempotency key returns the old job."""
        fingerprint = params_fingerprint(job_type, params)
        if idempotency_key is not None:
            existing = self._by_idempotency_key(owner, idempotency_key)
            if existing is not None:
                return self._replay(existing, fingerprint), False
        job = Job(
            id=str(uuid.uuid4()),
            type=job_type,
            params=params,
            params_fingerprint=fingerprint,
            status=JobStatus.QUEUED,
            owner=owner,
            idempotency_key=idempotency_key,
            created_at=utcnow(),
            rerun_of=rerun_of,
            estimate=estimate,
            callback_url=callback_url,
            callback_attempts=[],
            log_bytes=0,
        )
        job.status_history = _history(job, JobStatus.QUEUED)
        try:
            with self._writing() as session:
                session.add(job)
        except IntegrityError:
            # a concurrent request with the same key won the race
            existing = self._by_idempotency_key(owner, idempotency_key or "")
            if existing is None:
                raise
            return self._replay(existing, fingerprint), False
        return job, True

    def replay(self, owner: str, key: str, job_type: str, params: dict[str, Any]) -> Job | None:
        """The job an earlier request with this idempotency key created, or None.

        Raises IdempotencyConflict when that request had another type or params.
        """
        existing = self._by_idempotency_key(owner, key)
        return None if existing is None else self._replay(existing, params_fingerprint(job_type, params))

    def _by_idempotency_key(self, owner: str, key: str) -> Job | None:
        with self.sessions() as session:
            return session.scalar(select(Job).where(Job.owner == owner, Job.idempotency_key == key))

    @staticmethod
    def _replay(job: Job, fingerprint: str) -> Job:
        if job.params_fingerprint != fingerprint:
            raise IdempotencyConflict(
                "this Idempotency-Key was already used for a job with other type or params"
            )
        return job

    def get_job(self, job_id: str) -> Job:
        with self.sessions() as session:
            job = session.get(Job, job_id)
        if job is None:
            raise JobNotFound(job_id)
        return job

    def list_jobs(
        self,
        *,
        job_type: str | None = None,
        status: str | None = None,
        owner: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[Job], str | None]:
        """Newest first; ``cursor`` continues after the last job of the previous page.

        The rows come without ``result`` (a list never shows it, and one result
        can be megabytes): reading ``job.result`` on them raises.
        """
        query = (select(Job).options(defer(Job.result, raiseload=True))
                 .order_by(Job.created_at.desc(), Job.id.desc()).limit(limit + 1))
        if job_type:
            query = query.where(Job.type == job_type)
        if status:
            query = query.where(Job.status == status)
        if owner:
            query = query.where(Job.owner == owner)
        if cursor:
            created_at, job_id = decode_cursor(cursor)
            query = query.where(
                or_(Job.created_at < created_at, and_(Job.created_at == created_at, Job.id < job_id))
            )
        with self.sessions() as session:
            jobs = list(session.scalars(query))
        next_cursor = None
        if len(jobs) > limit:
            jobs = jobs[:limit]
            next_cursor = encode_cursor(jobs[-1].created_at, jobs[-1].id)
        return jobs, next_cursor

    def count_jobs(self, *, owner: str | None = None, statuses: Iterable[str] = (),
                   job_types: Iterable[str] = ()) -> int:
        from sqlalchemy import func

        query = select(func.count()).select_from(Job)
        if owner:
            query = query.where(Job.owner == owner)
        if statuses := list(statuses):
            query = query.where(Job.status.in_(statuses))
        if job_types := list(job_types):
            query = query.where(Job.type.in_(job_types))
        with self.sessions() as session:
            return int(session.scalar(query) or 0)

    # -- running jobs ---------------------------------------------------------------

    def claim(self, job_id: str, worker: str, stale_after_s: float) -> Job | None:
        """Mark the job running for ``worker`` and count the attempt.

        Succeeds for a queued job, or for a running job whose heartbeat is
        older than ``stale_after_s`` (its worker died).  Returns None when the
        job is final, cancelled, or held by a live worker.
        """
        now = utcnow()
        stale = now - timedelta(seconds=stale_after_s)
        with self._writing() as session:
            claimed = session.execute(
                update(Job)
                .where(
                    Job.id == job_id,
                    Job.cancel_requested.is_(False),
                    or_(Job.status == JobStatus.QUEUED,
                        and_(Job.status == JobStatus.RUNNING,
                             or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < stale))),
                )
                .values(status=JobStatus.RUNNING, attempts=Job.attempts + 1, worker=worker,
                        heartbeat_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if not claimed:
                return None
            job = session.get(Job, job_id)
            if job.started_at is None:
                job.started_at = now
            job.status_history = _history(job, JobStatus.RUNNING, f"attempt {job.attempts} on {worker}")
            return job

    def next_queued(self, job_types: Sequence[str] | None = None) -> list[str]:
        """Ids of queued jobs, oldest first (for the embedded executor)."""
        query = (select(Job.id).where(Job.status == JobStatus.QUEUED, Job.cancel_requested.is_(False))
                 .order_by(Job.created_at).limit(20))
        if job_types is not None:
            query = query.where(Job.type.in_(job_types))
        with self.sessions() as session:
            return list(session.scalars(query))

    def report_progress(self, job_id: str, done: int, total: int, message: str) -> bool:
        """Store progress and heartbeat; returns True when cancellation was requested."""
        with self._writing() as session:
            session.execute(
                update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING)
                .values(progress_done=int(done), progress_total=int(total),
                        progress_message=str(message)[:500], heartbeat_at=utcnow())
            )
            return bool(session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))

    def report_message(self, job_id: str, message: str) -> bool:
        """Store a progress message (not the counts) and heartbeat; True when cancellation was requested."""
        with self._writing() as session:
            session.execute(
                update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING)
                .values(progress_message=str(message)[:500], heartbeat_at=utcnow()))
            return bool(session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))

    def heartbeat(self, job_id: str) -> bool:
        """Refresh the heartbeat; returns True when cancellation was requested."""
        with self._writing() as session:
            session.execute(update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING)
                            .values(heartbeat_at=utcnow()))
            return bool(session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))

    def finish(
        self,
        job_id: str,
        status: str,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        discoveries: Sequence[FoundDiscovery] = (),
    ) -> bool:
        """Record the outcome unless the job is already final; returns whether it was recorded.

        The status, the result and the discoveries are committed in one
        transaction: a job is never "succeeded" without the statements it found.
        """
        assert status in FINAL_STATUSES
        for attempt in range(3):
            try:
                return self._finish_once(job_id, status, result, error, discoveries)
            except IntegrityError:
                if attempt == 2:  # another job stored the same statement at the same moment, thrice
                    raise
        return False

    def _finish_once(self, job_id: str, status: str, result: dict[str, Any] | None,
                     error: str | None, discoveries: Sequence[FoundDiscovery]) -> bool:
        with self._writing() as session:
            job = session.get(Job, job_id, with_for_update=True)
            if job is None or job.status in FINAL_STATUSES:
                return False
            job.status = status
            job.result = result
            job.error = error
            job.finished_at = utcnow()
            if status == JobStatus.SUCCEEDED:
                job.progress_done = job.progress_total or job.progress_done
                job.progress_message = "done"
            job.status_history = _history(job, status, error)
            if job.callback_url:
                job.callback_state, job.callback_next_at = "pending", job.finished_at
            if discoveries:
                self._link_discoveries(session, job_id, discoveries, (result or {}).get("provenance"))
        return True

    def requeue(self, job_id: str, note: str) -> bool:
        """Put a running job back in the queue (its worker died or shut down)."""
        with self._writing() as session:
            job = session.get(Job, job_id, with_for_update=True)
            if job is None or job.status != JobStatus.RUNNING:
                return False
            job.status = JobStatus.QUEUED
            job.worker = None
            job.status_history = _history(job, JobStatus.QUEUED, note)
            return True

    def request_cancel(self, job_id: str) -> Job:
        """Ask a job to stop: a queued job is cancelled at once, a running one at its next check."""
        with self._writing() as session:
            job = session.get(Job, job_id, with_for_update=True)
            if job is None:
                raise JobNotFound(job_id)
            if job.status in FINAL_STATUSES:
                raise JobFinished(f"job is already {job.status}")
            job.cancel_requested = True
            if job.status == JobStatus.QUEUED:
                job.status = JobStatus.CANCELLED
                job.finished_at = utcnow()
                job.status_history = _history(job, JobStatus.CANCELLED, "cancelled before it started")
                if job.callback_url:
                    job.callback_state, job.callback_next_at = "pending", job.finished_at
            return job

    def stale_running(self, stale_after_s: float) -> list[Job]:
        cutoff = utcnow() - timedelta(seconds=stale_after_s)
        with self.sessions() as session:
            return list(session.scalars(select(Job).where(
                Job.status == JobStatus.RUNNING,
                or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < cutoff))))

    # -- the job log ---------------------------------------------------------------------

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

    # -- completion callbacks ---------------------------------------------------------------

    def due_callbacks(self, limit: int = 20) -> list[Job]:
        """Final jobs whose callback is pending and due."""
        with self.sessions() as session:
            return list(session.scalars(
                select(Job).options(defer(Job.result, raiseload=True))
                .where(Job.callback_state == "pending", Job.callback_next_at <= utcnow())
                .order_by(Job.callback_next_at).limit(limit)))

    def lease_callback(self, job_id: str, lease_s: float) -> bool:
        """Take the job's due callback for ``lease_s`` so one process delivers it at a time."""
        now = utcnow()
        with self._writing() as session:
            return bool(session.execute(
                update(Job).where(Job.id == job_id, Job.callback_state == "pending",
                                  Job.callback_next_at <= now)
                .values(callback_next_at=now + timedelta(seconds=lease_s))
                .execution_options(synchronize_session=False)).rowcount)

    def record_callback(self, job_id: str, attempt: dict[str, Any], *, state: str,
                        next_at: datetime | None) -> None:
        """Record one delivery attempt; ``state`` is pending (retry at ``next_at``), delivered or failed."""
        with self._writing() as session:
            job = session.get(Job, job_id, with_for_update=True)
            if job is None:
                return
            job.callback_attempts = [*(job.callback_attempts or []), attempt]
            job.callback_state, job.callback_next_at = state, next_at

    # -- shards of a fanned-out job ----------------------------------------------------

    def create_shards(self, job_id: str, shard_params: Sequence[dict[str, Any]]) -> None:
        with self._writing() as session:
            existing = {s.index for s in session.scalars(select(JobShard).where(JobShard.job_id == job_id))}
            for index, params in enumerate(shard_params):
                if index not in existing:
                    session.add(JobShard(job_id=job_id, index=index, params=params, status=ShardStatus.QUEUED))

    def shards(self, job_id: str) -> list[JobShard]:
        with self.sessions() as session:
            return list(session.scalars(
                select(JobShard).where(JobShard.job_id == job_id).order_by(JobShard.index)))

    def finish_shard(self, job_id: str, index: int, *, result: dict[str, Any] | None,
                     error: str | None) -> tuple[int, int, bool]:
        """Store one shard's outcome (idempotent); returns (done, total, this_call_completed_all)."""
        with self._writing() as session:
            shard = session.get(JobShard, (job_id, index), with_for_update=True)
            first_time = shard is not None and shard.status == ShardStatus.QUEUED
            if first_time:
                shard.status = ShardStatus.FAILED if error else ShardStatus.SUCCEEDED
                shard.result, shard.error = result, error
            session.flush()
            # lock the parent row so exactly one finisher sees the last shard land
            session.get(Job, job_id, with_for_update=True)
            states = list(session.scalars(select(JobShard.status).where(JobShard.job_id == job_id)))
            done = sum(1 for s in states if s != ShardStatus.QUEUED)
            session.execute(update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING)
                            .values(progress_done=done, progress_total=len(states),
                                    progress_message="shard stored",
                                    heartbeat_at=utcnow()))
        return done, len(states), first_time and done == len(states)

    # -- discoveries ----------------------------------------------------------------------

    def record_discoveries(self, job_id: str, found: Sequence[FoundDiscovery],
                           provenance: dict[str, Any] | None = None) -> list[int]:
        """Store each statement once (by fingerprint) and link it to the job, in one transaction."""
        with self._writing() as session:
            return self._link_discoveries(session, job_id, found, provenance)

    def discovery_kinds(self) -> list[str]:
        with self.sessions() as session:
            return sorted(session.scalars(select(Discovery.kind).distinct()))

    @staticmethod
    def _link_discoveries(session: Session, job_id: str, found: Sequence[FoundDiscovery],
                          provenance: dict[str, Any] | None) -> list[int]:
        ids: list[int] = []
        by_fingerprint = {item.fingerprint(): item for item in found}
        existing = dict(session.execute(
            select(Discovery.fingerprint, Discovery.id)
            .where(Discovery.fingerprint.in_(list(by_fingerprint)))).all()) if by_fingerprint else {}
        for fingerprint, item in by_fingerprint.items():
            if fingerprint not in existing:
                # a concurrent writer inserting the same statement makes this transaction fail
                # on the unique fingerprint; the caller's retry then finds the row
                row = Discovery(fingerprint=fingerprint, kind=item.kind, target=item.target[:255],
                                text=item.text, latex=item.latex, canonical=item.canonical,
                                evidence=jsonable(item.evidence), provenance=provenance,
                                created_at=utcnow())
                session.add(row)
                session.flush()
                existing[fingerprint] = row.id
            discovery_id = existing[fingerprint]
            if session.get(JobDiscovery, (job_id, discovery_id)) is None:
                session.add(JobDiscovery(job_id=job_id, discovery_id=discovery_id))
            ids.append(discovery_id)
        return ids

    def list_discoveries(
        self, *, kind: str | None = None, target: str | None = None, search: str | None = None,
        job_type: str | None = None, limit: int = 50, cursor: str | None = None,
    ) -> tuple[list[tuple[Discovery, list[str]]], str | None]:
        """Newest first.  ``search`` matches the statement text, the target (e.g. the constant)
        and the kind; ``job_type`` keeps discoveries found by a job of that type."""
        query = select(Discovery).order_by(Discovery.created_at.desc(), Discovery.id.desc()).limit(limit + 1)
        if kind:
            query = query.where(Discovery.kind == kind)
        if target:
            query = query.where(Discovery.target == target)
        if search:
            pattern = f"%{search}%"
            query = query.where(or_(Discovery.target.ilike(pattern), Discovery.text.ilike(pattern),
                                    Discovery.kind.ilike(pattern)))
        if job_type:
            found_by = (select(JobDiscovery.discovery_id)
                        .join(Job, Job.id == JobDiscovery.job_id).where(Job.type == job_type))
            query = query.where(Discovery.id.in_(found_by))
        if cursor:
            created_at, key = decode_cursor(cursor)
            query = query.where(or_(Discovery.created_at < created_at,
                                    and_(Discovery.created_at == created_at, Discovery.id < int(key))))
        with self.sessions() as session:
            rows = list(session.scalars(query))
            next_cursor = None
            if len(rows) > limit:
                rows = rows[:limit]
                next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id)
            links: dict[int, list[str]] = {r.id: [] for r in rows}
            if rows:
                for link in session.scalars(select(JobDiscovery).where(
                        JobDiscovery.discovery_id.in_(list(links)))):
                    links[link.discovery_id].append(link.job_id)
        return [(r, sorted(links[r.id])) for r in rows], next_cursor

    def job_discoveries(self, job_id: str) -> list[Discovery]:
        with self.sessions() as session:
            return list(session.scalars(
                select(Discovery).join(JobDiscovery, JobDiscovery.discovery_id == Discovery.id)
                .where(JobDiscovery.job_id == job_id).order_by(Discovery.id)))


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (non-JSON values become strings), for JSON columns and responses."""
    return json.loads(json.dumps(value, default=str))
