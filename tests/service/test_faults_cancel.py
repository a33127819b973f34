"""Cancel a running job of every engine type (embedded mode): the engine stops and the job
ends `cancelled`, with the work it was doing unfinished.

How fast is a benchmark figure, not a test (bench/cancel_latency.py measures the
seconds from request to `cancelled` per type); the waits here only catch a hang.

Each type gets cheap-to-validate but long-running params, so the job is surely
still computing when the cancel arrives.  `identify` and `psi_exact` finish
too fast to cancel mid-run and are left out; the neural types run only where
torch is importable.
"""

from __future__ import annotations

import importlib.util
import time

import pytest

from tests.service.conftest import wait_for

LONG_RUNNING = {
    "cayley_growth": {"family": "coxeter", "n": 11},
    "cayley_sweep": {"family": "coxeter", "n_min": 2, "n_max": 11},
    "esma": {"constant": "pi", "lhs_degree": 1, "lhs_coefficient_bound": 4, "max_sign_period": 5, "n_terms": 400},
    "pcf_cluster": {"a_degree": 2, "b_degree": 2, "coefficient_min": -3, "coefficient_max": 3, "depth": 2000},
    "sr_mcts": {"benchmark": "Nguyen-5", "time_limit_s": 120, "target_nrmse": 0},
    "sr_benchmark": {"benchmarks": ["Nguyen-5", "Nguyen-6"], "seeds": 4, "time_limit_s": 120, "target_nrmse": 0},
    "sleep": {"seconds": 60, "steps": 600},
}
if importlib.util.find_spec("torch") is not None:
    LONG_RUNNING["sr_neural"] = {"benchmark": "Nguyen-5", "time_limit_s": 120}
    LONG_RUNNING["psi_intersections"] = {"epochs": 300, "time_limit_s": 120}
    LONG_RUNNING["operator_learning"] = {"iterations": 50_000, "time_limit_s": 120}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    from tests.service.conftest import Server, base_env

    tmp = tmp_path_factory.mktemp("cancel")
    made = Server(base_env(tmp / "data", MATHDISCO_LOCAL_WORKERS="2"), tmp / "serve.log").start()
    yield made
    made.stop()


@pytest.mark.parametrize("job_type", sorted(LONG_RUNNING))
def test_cancel_running_job_of_each_type(server, job_type: str) -> None:
    with server.client() as client:
        r = client.post("/v1/jobs", json={"type": job_type, "params": LONG_RUNNING[job_type]})
        assert r.status_code == 202, r.text
        job = r.json()
        running = wait_for(client, job["id"], {"running", "succeeded", "failed", "cancelled"}, timeout=60)
        assert running["status"] == "running", running
        time.sleep(1.0)  # let it get into its main loop
        assert client.post(f"/v1/jobs/{job['id']}/cancel").status_code == 202
        final = wait_for(client, job["id"], timeout=60)
        assert final["status"] == "cancelled", (final["status"], final["error"])
        assert final["error"] == "cancelled on request"
        progress = final["progress"]
        assert not progress["total"] or progress["done"] < progress["total"], progress
        assert "cancelled" in client.get(f"/v1/jobs/{job['id']}/log").text
