"""The job store's rules, against SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from mathdisco.engines.discoveries import Discovery, formula_statement
from mathdisco.engines.numerics.formula import QuasiPolynomial
from mathdisco.workers.store import IdempotencyConflict, JobFinished, JobStore


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> JobStore:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    s = JobStore(url)
    yield s
    s.dispose()


def test_idempotency_key_returns_same_job_and_refuses_other_params(store: JobStore) -> None:
    job, created = store.create_job("sleep", {"seconds": 1}, idempotency_key="k1")
    again, created_again = store.create_job("sleep", {"seconds": 1}, idempotency_key="k1")
    assert created and not created_again and again.id == job.id
    with pytest.raises(IdempotencyConflict):
        store.create_job("sleep", {"seconds": 2}, idempotency_key="k1")
    other_owner, created_other = store.create_job("sleep", {"seconds": 2}, owner="bob", idempotency_key="k1")
    assert created_other and other_owner.id != job.id


def test_claim_is_exclusive_and_counts_attempts(store: JobStore) -> None:
    job, _ = store.create_job("sleep", {})
    first = store.claim(job.id, "w1", stale_after_s=60)
    assert first is not None and first.attempts == 1 and first.status == "running"
    assert store.claim(job.id, "w2", stale_after_s=60) is None  # held by a live worker
    # a stale heartbeat (stale_after 0) lets another worker take over, counting a second attempt
    second = store.claim(job.id, "w2", stale_after_s=0)
    assert second is not None and second.attempts == 2 and second.worker == "w2"


def test_reconciler_requeues_a_dead_holder_but_not_a_busy_live_one(store: JobStore) -> None:
    import dataclasses
    import os
    import socket
    import subprocess
    import sys

    from mathdisco.workers.dispatch import LocalDispatcher, reconcile
    from mathdisco.workers.settings import load_settings

    settings = dataclasses.replace(load_settings(), stale_after_s=0.0)
    busy, _ = store.create_job("sleep", {"n": 1})
    lost, _ = store.create_job("sleep", {"n": 2})
    remote, _ = store.create_job("sleep", {"n": 3})
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    host = socket.gethostname()
    store.claim(busy.id, f"local:{host}:{os.getpid()}", 60)  # alive: this very process
    store.claim(lost.id, f"local:{host}:{int(gone.stdout)}", 60)  # exited
    store.claim(remote.id, "celery:elsewhere:1", 60)  # another host: only the heartbeat tells
    done = reconcile(store, LocalDispatcher(store), settings)
    assert done == {"requeued": 2, "failed": 0}
    assert store.get_job(busy.id).status == "running"
    assert store.get_job(lost.id).status == "queued"
    assert store.get_job(remote.id).status == "queued"


def test_first_outcome_wins(store: JobStore) -> None:
    job, _ = store.create_job("sleep", {})
    store.claim(job.id, "w1", 60)
    assert store.finish(job.id, "succeeded", result={"x": 1})
    assert not store.finish(job.id, "failed", error="late duplicate")
    final = store.get_job(job.id)
    assert final.status == "succeeded" and final.result == {"x": 1} and final.error is None
    assert [h["status"] for h in final.status_history] == ["queued", "running", "succeeded"]


def test_cancel_queued_running_and_finished(store: JobStore) -> None:
    queued, _ = store.create_job("sleep", {"n": 1})
    assert store.request_cancel(queued.id).status == "cancelled"
    assert store.claim(queued.id, "w", 60) is None
    running, _ = store.create_job("sleep", {"n": 2})
    store.claim(running.id, "w", 60)
    assert store.request_cancel(running.id).status == "running"
    assert store.report_progress(running.id, 1, 10, "x") is True  # the worker sees the request
    store.finish(running.id, "cancelled")
    with pytest.raises(JobFinished):
        store.request_cancel(running.id)


def test_discoveries_are_deduplicated_and_linked_to_every_job(store: JobStore) -> None:
    a, _ = store.create_job("identify", {"n": 1})
    b, _ = store.create_job("identify", {"n": 2})
    one = QuasiPolynomial.constant(1)
    statement = formula_statement("E", QuasiPolynomial.polynomial([1, 2]), one)
    found = Discovery(target="e", text="e = ...", latex="e", statement=statement)
    same = Discovery(target="e", text="other text", latex="e", statement=statement)
    other = Discovery(target="e", text="e = ...", latex="e",
                      statement=formula_statement("E", QuasiPolynomial.polynomial([1, 3]), one))
    store.record_discoveries(a.id, [found, other])
    store.record_discoveries(b.id, [same])
    rows, _ = store.list_discoveries(kind="formula")
    assert len(rows) == 2
    links = {tuple(r.canonical["a"]["polynomials"][0]): jobs for r, jobs in rows}
    assert links[(1, 2)] == sorted([a.id, b.id]) and links[(1, 3)] == [a.id]


def test_cursor_pagination_visits_every_job_once(store: JobStore) -> None:
    ids = {store.create_job("sleep", {"i": i})[0].id for i in range(23)}
    seen, cursor = [], None
    while True:
        page, cursor = store.list_jobs(limit=5, cursor=cursor)
        seen += [j.id for j in page]
        if cursor is None:
            break
    assert len(seen) == 23 and set(seen) == ids
    assert len(store.list_jobs(job_type="nothing")[0]) == 0


def test_shards_complete_exactly_once(store: JobStore) -> None:
    job, _ = store.create_job("sleep", {})
    store.claim(job.id, "w", 60)
    store.create_shards(job.id, [{"i": 0}, {"i": 1}])
    store.create_shards(job.id, [{"i": 0}, {"i": 1}])  # a redelivered parent adds nothing
    assert len(store.shards(job.id)) == 2
    assert store.finish_shard(job.id, 1, result={"r": 1}, error=None) == (1, 2, False)
    assert store.finish_shard(job.id, 1, result={"r": 1}, error=None) == (1, 2, False)  # duplicate
    assert store.finish_shard(job.id, 0, result={"r": 0}, error=None) == (2, 2, True)
    assert [s.result for s in store.shards(job.id)] == [{"r": 0}, {"r": 1}]


def test_a_redelivered_shard_is_left_to_its_live_holder(store: JobStore) -> None:
    """A shard task delivered twice (past the visibility timeout) runs once while its holder lives."""
    job, _ = store.create_job("sleep", {})
    store.claim(job.id, "w", 60)
    store.create_shards(job.id, [{"i": 0}, {"i": 1}])
    alive = {"celery:h:1": True, "celery:h:2": True}
    first = store.claim_shard(job.id, 0, "celery:h:1", 60, alive.get)
    assert first is not None and first.params == {"i": 0} and first.worker == "celery:h:1"
    assert store.claim_shard(job.id, 0, "celery:h:2", 60, alive.get) is None  # held, beating
    assert store.claim_shard(job.id, 0, "celery:other:9", 60, alive.get) is None  # cannot tell: fresh
    assert store.heartbeat(job.id, shard=0) is False
    alive["celery:h:1"] = False  # its process died on this host: take it over at once
    taken = store.claim_shard(job.id, 0, "celery:h:2", 60, alive.get)
    assert taken is not None and taken.worker == "celery:h:2"
    # a holder that stopped beating (another host, say) is taken over after stale_after_s
    assert store.claim_shard(job.id, 0, "celery:other:9", 0, alive.get) is not None
    store.finish_shard(job.id, 0, result={"r": 0}, error=None)
    assert store.claim_shard(job.id, 0, "celery:h:3", 0, alive.get) is None  # stored: skipped
    assert store.claim_shard(job.id, 1, "celery:h:3", 60, alive.get) is not None


def test_an_older_store_gains_the_new_columns(tmp_path) -> None:
    """A database made by an earlier version (no rerun/log/callback columns) is upgraded in place."""
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE jobs (id VARCHAR(36) PRIMARY KEY, type VARCHAR(64), params JSON, "
                   "params_fingerprint VARCHAR(64), status VARCHAR(16), status_history JSON, "
                   "progress_done INTEGER, progress_total INTEGER, progress_message TEXT, attempts INTEGER, "
                   "worker VARCHAR(128), created_at DATETIME, started_at DATETIME, finished_at DATETIME, "
                   "heartbeat_at DATETIME, result JSON, error TEXT, owner VARCHAR(128), "
                   "idempotency_key VARCHAR(255), cancel_requested BOOLEAN)")
        db.execute("INSERT INTO jobs (id, type, params, params_fingerprint, status, status_history, "
                   "progress_done, progress_total, progress_message, attempts, created_at, owner, "
                   "cancel_requested) VALUES ('old', 'sleep', '{}', 'x', 'succeeded', '[]', 0, 0, '', 1, "
                   "'2026-01-01 00:00:00', 'anonymous', 0)")
    store = JobStore(f"sqlite:///{path}")
    old = store.get_job("old")
    assert old.rerun_of is None and old.log_bytes == 0 and old.callback_url is None
    store.append_log("old", [("info", "hello")])
    assert [line.message for line in store.job_log("old")] == ["hello"]
    job, _ = store.create_job("sleep", {"seconds": 1}, rerun_of="old")
    assert store.get_job(job.id).rerun_of == "old"


def test_the_log_is_bounded_and_says_where_it_was_cut(store: JobStore) -> None:
    from mathdisco.workers.store import LOG_MAX_BYTES

    job, _ = store.create_job("sleep", {})
    line = "x" * 1000
    for _ in range(LOG_MAX_BYTES // 1000 + 50):
        store.append_log(job.id, [("info", line)])
    store.append_log(job.id, [("info", "succeeded")], final=True)
    lines = store.job_log(job.id)
    assert sum(len(entry.message) for entry in lines) < LOG_MAX_BYTES + 10_000
    assert any(entry.message.startswith("log cut at") for entry in lines)
    assert lines[-1].message == "succeeded"  # the outcome always fits
