"""Embedded mode: `mathdisco serve` with no broker runs jobs on its own worker processes."""

from __future__ import annotations

import time

from tests.service.conftest import wait_for

IDENTIFY = {"type": "identify", "params": {"value": "2.1639534137386528487700040102180231170937"}}


def test_identify_job_end_to_end_survives_restart(server_factory) -> None:
    server = server_factory().start()
    with server.client() as client:
        job = client.post("/v1/jobs", json=IDENTIFY).json()
        done = wait_for(client, job["id"], timeout=90)
        assert done["status"] == "succeeded", done
        result = client.get(f"/v1/jobs/{job['id']}/result").json()
        assert result["expression"] == "(1 + E)/(-1 + E)" and result["verified_digits"] >= 35
    server.stop()
    server.start()  # same data directory
    with server.client() as client:
        again = client.get(f"/v1/jobs/{job['id']}").json()
        assert again["status"] == "succeeded"
        assert client.get(f"/v1/jobs/{job['id']}/result").json() == result
        found = client.get("/v1/discoveries").json()["items"]
        assert any(job["id"] in d["jobs"] for d in found)


def test_cancel_running_job_and_crash_cap(server_factory) -> None:
    server = server_factory(MATHDISCO_MAX_ATTEMPTS="2").start()
    with server.client() as client:
        job = client.post("/v1/jobs", json={"type": "sleep", "params": {"seconds": 60, "steps": 600}}).json()
        wait_for(client, job["id"], {"running"}, timeout=60)
        client.post(f"/v1/jobs/{job['id']}/cancel")
        final = wait_for(client, job["id"], timeout=30)
        assert final["status"] == "cancelled" and final["progress"]["done"] < 600

        crash = client.post("/v1/jobs", json={"type": "crash", "params": {"delay_s": 0.1}}).json()
        final = wait_for(client, crash["id"], timeout=90)
        assert final["status"] == "failed" and final["attempts"] == 2
        assert "died" in final["error"]


def test_queued_jobs_left_by_a_killed_server_run_after_restart(server_factory) -> None:
    server = server_factory(MATHDISCO_LOCAL_WORKERS="1").start()
    with server.client() as client:
        job = client.post("/v1/jobs", json={"type": "sleep", "params": {"seconds": 30, "steps": 300}}).json()
        wait_for(client, job["id"], {"running"}, timeout=60)
    import os
    import signal

    os.killpg(server.process.pid, signal.SIGKILL)  # serve and its worker processes die mid-job
    server.process.wait(10)
    server.start()
    with server.client() as client:
        deadline = time.monotonic() + 30
        while (resumed := client.get(f"/v1/jobs/{job['id']}").json())["attempts"] < 2:
            assert time.monotonic() < deadline, resumed
            time.sleep(0.2)
        assert resumed["status"] == "running"
        # requeued either at start-up (its worker pid is gone) or by the heartbeat reconciler
        assert resumed["status_history"][-2]["status"] == "queued"
        client.post(f"/v1/jobs/{job['id']}/cancel")
        assert wait_for(client, job["id"], timeout=10)["status"] == "cancelled"


def test_sharded_job_resumes_after_its_worker_is_killed(server_factory) -> None:
    """The shards stored before a kill -9 are not run again; the retry finishes the rest."""
    import os
    import signal

    server = server_factory(MATHDISCO_LOCAL_WORKERS="1").start()
    params = {"shards": 6, "seconds_per_shard": 1.0}
    with server.client() as client:
        job = client.post("/v1/jobs", json={"type": "sleep_shards", "params": params}).json()
        deadline = time.monotonic() + 60
        while (running := client.get(f"/v1/jobs/{job['id']}").json())["progress"]["done"] < 2:
            assert time.monotonic() < deadline, running
            time.sleep(0.1)
        assert running["status"] == "running" and running["progress"]["total"] == 6
        first_pid = int(running["status_history"][-1]["note"].rsplit(":", 1)[1])
        os.kill(first_pid, signal.SIGKILL)
        final = wait_for(client, job["id"], timeout=90)
        assert final["status"] == "succeeded" and final["attempts"] == 2, final
        shards = client.get(f"/v1/jobs/{job['id']}/result").json()["shards"]
    assert [s["index"] for s in shards] == list(range(6))
    pids = [s["pid"] for s in shards]
    stored_before = pids.index(next(p for p in pids if p != first_pid))
    assert stored_before >= 2 and set(pids[:stored_before]) == {first_pid}
    assert first_pid not in pids[stored_before:]  # the retry ran only the rest
