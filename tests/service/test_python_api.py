"""`import mathdisco`: the in-process ``run`` and the ``Client`` of a real server."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

import mathdisco
from tests.service.conftest import free_port

E_RATIO = "2.1639534137386528487700040102180231170937"  # (e + 1)/(e - 1)


def test_run_returns_the_typed_result_with_provenance() -> None:
    result = mathdisco.run("identify", value=E_RATIO)
    assert type(result).__name__ != "dict" and result.expression == "(1 + E)/(-1 + E)"
    assert result.provenance is not None
    with pytest.raises(KeyError, match="did you mean 'identify'"):
        mathdisco.run("idenitfy", value=E_RATIO)
    with pytest.raises(ValidationError) as refused:
        mathdisco.run("identify", value="not a number")
    assert refused.value.errors()[0]["loc"][0] == "value"


def test_client_against_a_real_server(server_factory) -> None:
    server = server_factory().start()
    seen: list[tuple[str, int]] = []
    with mathdisco.Client(server.url) as client:
        job = client.submit("identify", {"value": E_RATIO}, idempotency_key="k1")
        assert client.submit("identify", {"value": E_RATIO}, idempotency_key="k1")["id"] == job["id"]
        done = client.wait(job["id"], timeout_s=120,
                           progress=lambda view: seen.append((view["status"], view["progress"]["done"])))
        assert done["status"] == "succeeded" and seen[-1][0] == "succeeded"
        assert client.result(job["id"])["expression"] == "(1 + E)/(-1 + E)"
        assert "succeeded" in client.log(job["id"])
        assert any(job["id"] in d["jobs"] for d in client.discoveries(kind=None))
        assert [j["id"] for j in client.jobs(job_type="identify")] == [job["id"]]

        rerun = client.rerun(job["id"], precision_digits=60)
        assert rerun["rerun_of"] == job["id"] and rerun["params"]["precision_digits"] == 60
        client.wait(rerun["id"], timeout_s=120)

        with pytest.raises(mathdisco.InvalidRequest) as bad:
            client.submit("identify", {"value": "x"})
        assert bad.value.status == 422 and bad.value.errors[0]["field"].endswith("value")
        with pytest.raises(mathdisco.NotFound):
            client.job("no-such-job")
        with pytest.raises(mathdisco.Conflict):
            client.cancel(job["id"])  # already finished

        failing = client.submit("faulty", {"where": "run"})
        with pytest.raises(mathdisco.JobFailed) as failed:
            client.wait(failing["id"], timeout_s=120)
        assert failed.value.job["status"] == "failed" and "ArithmeticError" in str(failed.value)


def test_client_items_page_through_a_list(server_factory) -> None:
    server = server_factory().start()
    with mathdisco.Client(server.url) as client:
        job = client.submit("sleep_shards", {"shards": 3, "seconds_per_shard": 0})
        client.wait(job["id"], timeout_s=120)
        shards = list(client.items(job["id"], "shards", page_size=2))
        assert [s["index"] for s in shards] == [0, 1, 2]


def test_an_unreachable_server_is_a_typed_error() -> None:
    with mathdisco.Client(f"http://127.0.0.1:{free_port()}") as client:
        with pytest.raises(mathdisco.ServerUnreachable):
            client.job_types()
