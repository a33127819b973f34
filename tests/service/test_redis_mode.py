"""Redis mode: real redis-server, the API and two `mathdisco worker` processes, all subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.service.conftest import Server, base_env, wait_for

pytestmark = pytest.mark.redis


def start_worker(env: dict[str, str], name: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mathdisco.service.cli", "worker", "--concurrency", "1", "--hostname", f"{name}@%h"],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


@pytest.fixture
def cluster(tmp_path: Path, redis_url: str):
    env = base_env(tmp_path / "data", MATHDISCO_BROKER_URL=redis_url, MATHDISCO_VISIBILITY_TIMEOUT_S="10",
                   MATHDISCO_RESTORE_INTERVAL_S="1", MATHDISCO_MAX_ATTEMPTS="3")
    (tmp_path / "data").mkdir()
    server = Server(env, tmp_path / "api.log").start()
    workers = {name: start_worker(env, name, tmp_path / f"{name}.log") for name in ("w1", "w2")}
    yield server, workers, env, tmp_path
    for process in workers.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    server.stop()


def test_twenty_jobs_kill_and_cancel(cluster) -> None:
    server, workers, env, tmp_path = cluster
    with server.client() as client:
        assert client.get("/readyz").json()["checks"]["broker"] == "ok"
        values = ["1.3591409142295226176801437356763", "2.1639534137386528487700040102180231170937",
                  "0.7853981633974483096156608458198757"]
        jobs = [client.post("/v1/jobs", json={"type": "identify", "params": {"value": values[i % 3]}}).json()
                for i in range(18)]
        jobs += [client.post("/v1/jobs", json={"type": "sleep", "params": {"seconds": 0.5, "steps": 5}}).json()
                 for _ in range(2)]
        finals = [wait_for(client, j["id"], timeout=180) for j in jobs]
        assert [f["status"] for f in finals] == ["succeeded"] * 20, [f["error"] for f in finals]
        assert client.get(f"/v1/jobs/{jobs[0]['id']}/result").json()["expression"] == "E/2"

        # kill -9 the whole worker that holds a running job: the job must still end
        victim = client.post("/v1/jobs", json={"type": "sleep", "params": {"seconds": 8, "steps": 80}}).json()
        running = wait_for(client, victim["id"], {"running"}, timeout=60)
        holder_pid = int(running["status_history"][-1]["note"].rsplit(":", 1)[1])
        owner = next(p for p in workers.values() if _is_in_group(holder_pid, p.pid))
        os.killpg(owner.pid, signal.SIGKILL)
        owner.wait(10)
        final = wait_for(client, victim["id"], timeout=120)
        assert final["status"] == "succeeded" and final["attempts"] >= 2, final

        # cancel a running job: it stops before its 600 steps
        long = client.post("/v1/jobs", json={"type": "sleep", "params": {"seconds": 60, "steps": 600}}).json()
        wait_for(client, long["id"], {"running"}, timeout=60)
        assert client.post(f"/v1/jobs/{long['id']}/cancel").status_code == 202
        final = wait_for(client, long["id"], timeout=30)
        assert final["status"] == "cancelled" and final["progress"]["done"] < 600
        assert "cancelled" in client.get(f"/v1/jobs/{long['id']}/log").text  # Celery mode keeps logs too


def _is_in_group(pid: int, group: int) -> bool:
    try:
        return os.getpgid(pid) == group
    except ProcessLookupError:
        return False


def test_crash_cap_and_fan_out_over_workers(cluster) -> None:
    server, workers, env, tmp_path = cluster
    with server.client() as client:
        crash = client.post("/v1/jobs", json={"type": "crash", "params": {"delay_s": 0.1}}).json()
        sweep = client.post("/v1/jobs", json={"type": "cayley_sweep",
                                              "params": {"family": "coxeter", "n_min": 2, "n_max": 9}}).json()
        done = wait_for(client, sweep["id"], timeout=180)
        assert done["status"] == "succeeded", done
        result = client.get(f"/v1/jobs/{sweep['id']}/result").json()
        # each n ran as its own shard and the merge restored the order
        assert result["diameters"] == {str(n): n * (n - 1) // 2 for n in range(2, 10)}
        assert done["progress"]["total"] == 8
        final = wait_for(client, crash["id"], timeout=180)
        assert final["status"] == "failed" and "attempts" in final["error"], final
        assert final["attempts"] >= 3
        # a fanned-out job whose merge failed: its retry reuses both shards and goes straight
        # to the merge (which fails again, being faulty)
        faulty = client.post("/v1/jobs", json={"type": "faulty",
                                               "params": {"where": "merge", "shards": 2}}).json()
        assert wait_for(client, faulty["id"], timeout=180)["status"] == "failed"
        retried = client.post(f"/v1/jobs/{faulty['id']}/retry").json()
        assert wait_for(client, retried["id"], timeout=180)["status"] == "failed"
        log = client.get(f"/v1/jobs/{retried['id']}/log").text
        assert "all 2 shards stored by an earlier attempt or job" in log and "merge raised" in log
