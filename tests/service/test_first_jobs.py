"""Honest first jobs: workers compile before they take a job, /readyz says when, limits are visible.

The diagnostic ``kernel_sleep`` type stands in for a numba engine: its ``warm_up``
waits for a gate file (so the test decides when "compilation" ends), its
``compile_s`` is 30 s, and with ``limit_s`` it stops early and says so.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.service.conftest import base_env, wait_for
from tests.service.test_cli import cli


def _kernels(client) -> dict:
    return client.get("/readyz").json()["kernels"]


def test_workers_warm_up_before_the_first_job_and_readyz_says_so(server_factory, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    # the worker warms every type in a background thread; a job waits for its own type only
    server = server_factory(MATHDISCO_LOCAL_WORKERS="1", MATHDISCO_TEST_WARM_UP_GATE=str(gate),
                            MATHDISCO_WARM_UP="kernel_sleep").start()
    with server.client() as client:
        assert _kernels(client)["state"] in {"unknown", "warming"}
        assert 'class="kernels-cold"' in client.get("/").text  # the dashboard says so too
        quick = client.post("/v1/jobs", json={"type": "identify", "params": {"value": "2.1639534137386528487700040102180231170937"}}).json()
        assert wait_for(client, quick["id"], timeout=60)["status"] == "succeeded"
        assert _kernels(client)["state"] == "warming"  # identify compiles nothing: it did not wait

        cold = client.post("/v1/jobs", json={"type": "kernel_sleep", "params": {"seconds": 0.2}}).json()
        assert cold["estimate"]["compile_s"] == 30.0  # no worker is warm: compilation comes first
        time.sleep(2.0)  # the worker is free; it waits for the kernels before it claims the job
        assert client.get(f"/v1/jobs/{cold['id']}").json()["status"] == "queued"
        assert _kernels(client)["state"] == "warming"
        gate.write_text("open")
        done = wait_for(client, cold["id"], timeout=60)
        assert done["status"] == "succeeded" and done["attempts"] == 1
        kernels = _kernels(client)
        assert kernels["state"] == "warm" and len(kernels["workers"]) == 1
        assert 'class="kernels-cold"' not in client.get("/").text
        warm = client.post("/v1/jobs", json={"type": "kernel_sleep", "params": {"seconds": 0.2}}).json()
        assert warm["estimate"] == {"seconds": 0.2, "memory_bytes": 0}  # no compile term


def test_a_job_stopped_by_its_limit_is_marked_limited_everywhere(server_factory, tmp_path: Path) -> None:
    server = server_factory(MATHDISCO_LOCAL_WORKERS="1").start()
    with server.client() as client:
        job = client.post("/v1/jobs", json={"type": "kernel_sleep",
                                            "params": {"seconds": 5, "limit_s": 0.2}}).json()
        done = wait_for(client, job["id"], timeout=60)
        assert done["status"] == "succeeded"
        assert "limit_s" in done["limited"]["reason"]
        listed = {j["id"]: j for j in client.get("/v1/jobs").json()["items"]}
        assert listed[job["id"]]["limited"] == done["limited"]
        full = client.post("/v1/jobs", json={"type": "kernel_sleep", "params": {"seconds": 0.1}}).json()
        assert wait_for(client, full["id"], timeout=60)["limited"] is None

    env = base_env(tmp_path / "client", MATHDISCO_URL=server.url)
    limited = tmp_path / "limited.yaml"
    limited.write_text("- type: kernel_sleep\n  params: {seconds: 0.1}\n"
                       "- type: kernel_sleep\n  params: {seconds: 3, limit_s: 0.1}\n")
    out = cli("batch", str(limited), env=env)
    assert out.returncode == 3, out.stdout + out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [line["limited"] is not None for line in lines] == [False, True]
    assert "limited" in out.stderr and "spec 1" in out.stderr


def test_run_exits_3_for_a_limited_job(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data")
    out = cli("run", "kernel_sleep", "--params", '{"seconds": 3, "limit_s": 0.1}', "--json", env=env)
    assert out.returncode == 3, out.stdout + out.stderr
    assert json.loads(out.stdout)["limited"]["reason"]
    assert out.stderr.strip().splitlines()[-1].startswith("limited:")
    ok = cli("run", "kernel_sleep", "--params", '{"seconds": 0.1}', "--json", env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
