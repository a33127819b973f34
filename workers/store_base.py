"""The store's foundation: the SQLAlchemy engine, sessions, schema, and shared helpers.

:class:`StoreBase` owns the connection pool and the write transaction
(:meth:`StoreBase._writing`); the concept modules -- jobs and shards
(workers/store.py), logs (workers/store_logs.py), callbacks
(workers/store_callbacks.py), the catalogue (workers/store_catalogue.py) --
add their reads and writes on top of it, and :class:`mathdisco.workers.store.JobStore`
combines them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Select, and_, create_engine, event, inspect, make_url, or_, text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from mathdisco.workers.models import Base

log = logging.getLogger(__name__)

__all__ = ["StoreBase", "after_cursor", "aware", "decode_cursor", "encode_cursor", "jsonable",
           "keyset_page", "make_engine", "params_fingerprint"]


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


def encode_cursor(created_at: datetime, key: str | int) -> str:
    raw = f"{aware(created_at).isoformat()}|{key}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


class InvalidCursor(ValueError):
    """A page cursor this store did not make (or a damaged one): the client's error."""


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        moment, key = raw.split("|", 1)
        return datetime.fromisoformat(moment), key
    except Exception as exc:  # any malformed cursor is the client's error
        raise InvalidCursor("malformed cursor") from exc


def after_cursor(query: Select, model: Any, cursor: str | None, key: type = str) -> Select:
    """``query`` (newest first by ``created_at, id``) continued after ``cursor``."""
    if not cursor:
        return query
    created_at, last = decode_cursor(cursor)
    return query.where(or_(model.created_at < created_at,
                           and_(model.created_at == created_at, model.id < key(last))))


def keyset_page(rows: list[Any], limit: int) -> tuple[list[Any], str | None]:
    """The first ``limit`` of ``limit + 1`` fetched rows, and the cursor after them if more exist."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].created_at, rows[-1].id)


class StoreBase:
    """The engine, the sessions and the schema; one write transaction at a time per SQLite file."""

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
        """Create missing tables, then add the columns and indexes an older version lacked.

        This is the schema's one upgrade step, and all it does: every change so
        far adds a table, an index, or a column that is nullable or has a
        default, so an older database is brought up to date in place (each
        added column is logged).  Processes that start together (``serve`` and
        its workers) may race: the loser's CREATE or ALTER fails on the object
        the winner just made; it logs that and checks once more, and a second
        failure is raised.
        """
        for attempt in (1, 2):
            try:
                Base.metadata.create_all(self.engine)
                self._add_missing_columns()
                for table in Base.metadata.sorted_tables:
                    for index in table.indexes:
                        index.create(self.engine, checkfirst=True)
                return
            except (IntegrityError, OperationalError, ProgrammingError) as exc:
                if attempt == 2:
                    raise
                log.info("schema upgrade raced another process (%s); checking again",
                         type(exc).__name__)

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
                log.warning("schema upgrade: added column %s.%s", table.name, column.name)

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (non-JSON values become strings), for JSON columns and responses."""
    return json.loads(json.dumps(value, default=str))
