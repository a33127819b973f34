"""The embedded executor's supervisor never leaves a worker behind when it stops."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from mathdisco.workers.local import LocalExecutor
from mathdisco.workers.settings import load_settings
from mathdisco.workers.store import JobStore


@pytest.fixture
def executor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalExecutor:
    monkeypatch.setenv("MATHDISCO_DATA_DIR", str(tmp_path))
    settings = load_settings()
    tmp_path.mkdir(exist_ok=True)
    store = JobStore(settings.database_url)
    yield LocalExecutor(store, settings, processes=1)
    store.dispose()


def test_a_respawn_racing_with_stop_is_stopped_too(executor: LocalExecutor) -> None:
    """The supervisor is mid-respawn (releasing the dead worker's job) when ``stop`` begins.

    ``stop`` must wait for that iteration and stop the process it spawned; before,
    the new worker was started after ``stop`` had terminated the old ones, and
    outlived the server as an orphan.
    """
    releasing = threading.Event()
    original_release = executor._release

    def slow_release(pid: int | None, note: str) -> None:
        if "exited" in note:  # the supervisor's respawn path, not stop()'s own release
            releasing.set()
            executor._stop.wait(30)
            time.sleep(0.5)  # let stop() get past its terminate loop, as a slow store would
        original_release(pid, note)

    executor._release = slow_release  # type: ignore[method-assign]
    executor.start()
    executor._processes[0].kill()
    assert releasing.wait(30), "the supervisor did not notice the dead worker"
    stopper = threading.Thread(target=executor.stop)
    stopper.start()
    stopper.join(60)
    assert not stopper.is_alive()
    assert not executor._supervisor.is_alive()
    for process in executor._processes:
        process.join(10)
    alive = [p.pid for p in multiprocessing.active_children() if p.name == "mathdisco-local-worker"]
    assert alive == []


def test_workers_of_a_killed_server_exit_on_their_own(server_factory) -> None:
    """SIGKILL reaches ``serve`` alone: its embedded workers notice and exit (no orphans)."""
    import os
    import signal

    from tests.service.conftest import assert_group_gone, group_members

    server = server_factory(MATHDISCO_LOCAL_WORKERS="2").start()
    deadline = time.monotonic() + 60
    while len(group_members(server.process.pid)) < 3:  # serve and its two workers
        assert time.monotonic() < deadline, group_members(server.process.pid)
        time.sleep(0.2)
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(10)
    assert_group_gone(server.process.pid)  # the workers exited by themselves, not by a signal
