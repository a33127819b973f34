"""`mathdisco serve` says where it listens and logs requests and job events to stderr and a rotating file."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from mathdisco.service.logging_setup import (
    JobEventLog,
    configure_logging,
    flush_logging,
    log_file,
    reset_logging,
)
from mathdisco.workers.store import JobStore
from tests.service.conftest import wait_for


def _wait_for_text(path: Path, *needles: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = path.read_text() if path.exists() else ""
        if all(n in text for n in needles) or time.monotonic() > deadline:
            return text
        time.sleep(0.2)


def test_serve_prints_its_address_and_logs_requests_and_job_events(server_factory, tmp_path: Path) -> None:
    server = server_factory().start()
    stderr = tmp_path / "serve.log"  # the fixture's capture of serve's stdout and stderr
    assert f"mathdisco serving on http://127.0.0.1:{server.port}" in stderr.read_text()
    logged = log_file(tmp_path / "data")
    assert str(logged) in stderr.read_text()
    with server.client() as client:
        job = client.post("/v1/jobs", json={"type": "identify",
                                            "params": {"value": "1.3591409142295226176801437356763"}}).json()
        assert wait_for(client, job["id"])["status"] == "succeeded"
        sleeper = client.post("/v1/jobs", json={"type": "sleep", "params": {"seconds": 60}}).json()
        wait_for(client, sleeper["id"], {"running"})
        assert client.post(f"/v1/jobs/{sleeper['id']}/cancel").status_code == 202
        assert wait_for(client, sleeper["id"])["status"] == "cancelled"
    needles = ['"POST /v1/jobs HTTP/1.1" 202', f"job {job['id']} identify: queued",
               f"job {job['id']} identify: running", f"job {job['id']} identify: succeeded in",
               f"job {sleeper['id']} sleep: cancelled"]
    text = _wait_for_text(logged, *needles)
    for needle in needles:
        assert needle in text, (needle, text[-2000:])
    echoed = _wait_for_text(stderr, *needles)
    for needle in needles:
        assert needle in echoed, needle
    # one line per event, not a traceback
    assert "Traceback" not in text


def test_log_file_rotates(tmp_path: Path) -> None:
    path = configure_logging(tmp_path, stream=None, max_bytes=2000, backups=2)
    try:
        for i in range(200):
            logging.getLogger("mathdisco.test").warning("line %d of a long enough message", i)
        flush_logging()
    finally:
        reset_logging()
    assert path.exists() and path.with_name(path.name + ".1").exists()
    assert path.with_name(path.name + ".2").exists() and not path.with_name(path.name + ".3").exists()
    assert path.stat().st_size <= 2000


def test_job_event_log_logs_each_transition_once_and_not_the_past(tmp_path: Path, caplog) -> None:
    store = JobStore(f"sqlite:///{tmp_path / 'store.db'}")
    old, _ = store.create_job("identify", {"value": "1"}, owner="anonymous")
    store.finish(old.id, "succeeded", result={})
    events = JobEventLog(store)
    events.poll(log_events=False)  # start-up: what is already there is not replayed
    job, _ = store.create_job("identify", {"value": "2"}, owner="alice")
    with caplog.at_level(logging.INFO, logger="mathdisco.jobs"):
        assert events.poll() == 1
        store.claim(job.id, "local:host:1", stale_after_s=60)
        store.finish(job.id, "failed", error="ValueError: bad input\n\nTraceback (most recent call last): ...")
        assert events.poll() == 2
        assert events.poll() == 0
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [f"job {job.id} identify: queued (owner alice)",
                     f"job {job.id} identify: running: attempt 1 on local:host:1",
                     f"job {job.id} identify: failed: ValueError: bad input"]
    assert not any(old.id in line for line in lines)
    store.dispose()
