"""Faults against real processes: SIGTERM a worker, kill -9 a pool child, restart Redis, restart the API.

Every process here is a subprocess on loopback: redis-server (AOF on, restartable
on the same port and directory), `mathdisco serve` with a broker URL, and
`mathdisco worker` processes.  Each test is bounded by explicit timeouts.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.service.conftest import Server, base_env, free_port, wait_for

pytestmark = pytest.mark.redis


class Redis:
    """A redis-server with AOF that can be stopped and started again on the same port and data."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed (.ci/run installs it)")
        self.binary, self.workdir, self.port = binary, workdir, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    def start(self) -> Redis:
        import redis

        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.workdir),
             "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        for _ in range(200):
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: redis flushes the AOF and exits
            self.process.wait(15)


def start_worker(env: dict[str, str], name: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mathdisco.service.cli", "worker", "--concurrency", "1", "--hostname", f"{name}@%h"],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


class Cluster:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.redis = Redis(tmp_path / "redis").start()
        self.env = base_env(tmp_path / "data", MATHDISCO_BROKER_URL=self.redis.url,
                            MATHDISCO_VISIBILITY_TIMEOUT_S="8", MATHDISCO_RESTORE_INTERVAL_S="1",
                            MATHDISCO_MAX_ATTEMPTS="4", MATHDISCO_SOFT_SHUTDOWN_S="30")
        (tmp_path / "data").mkdir()
        self.server = Server(self.env, tmp_path / "api.log").start()
        self.workers: dict[str, subprocess.Popen] = {}

    def add_worker(self, name: str) -> subprocess.Popen:
        self.workers[name] = start_worker(self.env, name, self.tmp_path / f"{name}.log")
        return self.workers[name]

    def close(self) -> None:
        for process in self.workers.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        self.server.stop()
        self.redis.stop()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    made = Cluster(tmp_path)
    yield made
    made.close()


def sleep_job(client: httpx.Client, seconds: float, steps: int = 20) -> dict:
    r = client.post("/v1/jobs", json={"type": "sleep", "params": {"seconds": seconds, "steps": steps}})
    assert r.status_code == 202, r.text
    return r.json()


def holder_pid(job: dict) -> int:
    """The pid that claimed the job: the last 'running' history note is kind:host:pid."""
    return int(job["status_history"][-1]["note"].rsplit(":", 1)[1])


def group_of(pid: int, workers: dict[str, subprocess.Popen]) -> subprocess.Popen:
    return next(p for p in workers.values() if _pgid(pid) == p.pid)


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def test_sigterm_worker_mid_job_finishes_it_warm(cluster: Cluster) -> None:
    cluster.add_worker("w1")
    with cluster.server.client() as client:
        job = sleep_job(client, 4)
        running = wait_for(client, job["id"], {"running"}, timeout=60)
        main = group_of(holder_pid(running), cluster.workers)
        main.send_signal(signal.SIGTERM)  # warm shutdown: stop taking jobs, finish the current one
        final = wait_for(client, job["id"], timeout=40)
        assert final["status"] == "succeeded" and final["attempts"] == 1, final
        main.wait(30)  # and then the worker exits
        # nothing else was lost: a job submitted after the shutdown runs on a fresh worker
        later = sleep_job(client, 0.2, 2)
        cluster.add_worker("w2")
        assert wait_for(client, later["id"], timeout=60)["status"] == "succeeded"


def test_kill9_pool_child_only_redelivers_and_completes(cluster: Cluster) -> None:
    cluster.add_worker("w1")
    with cluster.server.client() as client:
        job = sleep_job(client, 4)
        running = wait_for(client, job["id"], {"running"}, timeout=60)
        child = holder_pid(running)
        main = group_of(child, cluster.workers)
        assert child != main.pid  # the prefork pool child, not the main worker
        os.kill(child, signal.SIGKILL)
        final = wait_for(client, job["id"], timeout=60)
        assert final["status"] == "succeeded" and final["attempts"] >= 2, final
        assert main.poll() is None  # the main worker survived and replaced its child
        runs = [h for h in final["status_history"] if h["status"] == "running"]
        assert int(runs[-1]["note"].rsplit(":", 1)[1]) != child  # a fresh child ran the redelivery


def test_redis_restart_with_jobs_queued_and_running_loses_and_duplicates_nothing(cluster: Cluster) -> None:
    cluster.add_worker("w1")
    cluster.add_worker("w2")
    with cluster.server.client() as client:
        jobs = [sleep_job(client, 1.5, 5) for _ in range(8)]
        wait_for(client, jobs[0]["id"], {"running", "succeeded"}, timeout=60)
        cluster.redis.stop()
        time.sleep(2)
        cluster.redis.start()  # same port, same AOF directory
        finals = [wait_for(client, j["id"], timeout=150) for j in jobs]
        assert [f["status"] for f in finals] == ["succeeded"] * 8, [(f["status"], f["error"]) for f in finals]
        listed = client.get("/v1/jobs", params={"limit": 500}).json()["items"]
        ids = [item["id"] for item in listed]
        assert len(ids) == len(set(ids)) == 8 and set(ids) == {j["id"] for j in jobs}
        # and the broker still works for new work
        assert wait_for(client, sleep_job(client, 0.1, 1)["id"], timeout=60)["status"] == "succeeded"


def test_api_restart_while_workers_run_results_still_land(cluster: Cluster) -> None:
    cluster.add_worker("w1")
    cluster.add_worker("w2")
    with cluster.server.client() as client:
        jobs = [sleep_job(client, 2, 10) for _ in range(4)]
        wait_for(client, jobs[0]["id"], {"running"}, timeout=60)
    cluster.server.stop()
    time.sleep(3)  # workers keep running and write results to the store with no API up
    cluster.server.start()
    with cluster.server.client() as client:
        finals = [wait_for(client, j["id"], timeout=90) for j in jobs]
        assert [f["status"] for f in finals] == ["succeeded"] * 4, finals
        assert all(f["attempts"] == 1 for f in finals)
        assert client.get(f"/v1/jobs/{jobs[0]['id']}/result").json()["slept_s"] == 2
