"""Typed contracts at the service boundary: result schemas, the runner's result check, estimates,
discoveries stored once per statement (in process, no workers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import Field, ValidationError

from mathdisco.engines.contract import EngineParams, Estimate, JobType
from mathdisco.engines.discoveries import Discovery, formula_statement
from mathdisco.engines.numerics.formula import QuasiPolynomial
from mathdisco.engines.registry import job_types
from mathdisco.engines.results import ResultModel
from mathdisco.service.app import create_app
from mathdisco.workers.settings import load_settings


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    for key in ("MATHDISCO_BROKER_URL", "MATHDISCO_DATABASE_URL", "MATHDISCO_API_KEYS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MATHDISCO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MATHDISCO_MAX_JOB_MEMORY_GIB", "1")
    with TestClient(create_app(load_settings(), local_workers=False)) as test_client:
        yield test_client


class SizedParams(EngineParams):
    size: int = Field(1, ge=1, le=10**12)


class SizedResult(ResultModel):
    size: int


def _sized_estimate(params: SizedParams) -> Estimate:
    return Estimate(seconds=params.size / 1e6, memory_bytes=params.size * 8)


@pytest.fixture
def sized(monkeypatch: pytest.MonkeyPatch) -> JobType:
    job_type = JobType("sized", SizedParams, lambda p, progress: {"size": p.size}, "sized",
                       result_model=SizedResult, estimate=_sized_estimate)
    monkeypatch.setitem(job_types(), "sized", job_type)
    return job_type


def test_job_types_publish_result_schemas_and_openapi_describes_results(client: TestClient) -> None:
    catalogue = {t["name"]: t for t in client.get("/v1/job-types").json()}
    esma = catalogue["esma"]
    assert "conjectures" in esma["result_schema"]["properties"]
    assert esma["key_params"][0] == "constant" and esma["time_limits"]["soft_s"] > 0
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "EsmaResult" in schemas and "PartialResult" in schemas
    refs = [one.get("$ref", "") for one in schemas["JobResult"]["oneOf"]]
    assert "#/components/schemas/EsmaResult" in refs
    result_route = document["paths"]["/v1/jobs/{job_id}/result"]["get"]["responses"]["200"]
    assert result_route["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/JobResult"
    for path in ("/v1/jobs/{job_id}/rerun", "/v1/jobs/{job_id}/retry", "/v1/jobs/{job_id}/log",
                 "/v1/jobs/{job_id}/shards", "/v1/jobs/{job_id}/items/{path}"):
        assert path in document["paths"], path


def test_estimates_are_shown_and_enforced(client: TestClient, sized: JobType) -> None:
    small = client.post("/v1/jobs", json={"type": "sized", "params": {"size": 1000}})
    assert small.status_code == 202
    assert small.json()["estimate"] == {"seconds": 0.001, "memory_bytes": 8000}
    assert client.get(f"/v1/jobs/{small.json()['id']}").json()["estimate"]["memory_bytes"] == 8000
    big = client.post("/v1/jobs", json={"type": "sized", "params": {"size": 10**9}})
    assert big.status_code == 422
    detail = big.json()["detail"]
    assert "8000000000 bytes" in detail and "memory limit is 1 GiB" in detail
    slow = client.post("/v1/jobs", json={"type": "sized", "params": {"size": 10**11 // 8}})
    assert slow.status_code == 422  # over the memory limit as well as the type's time limit
    form = client.post("/jobs", data={"type": "sized", "size": str(10**9)})
    assert form.status_code == 422 and "memory limit" in form.text


def test_the_runner_refuses_a_result_its_model_does_not_describe(sized: JobType) -> None:
    from mathdisco.engines.contract import ResultContractError
    from mathdisco.workers.runner import final_result

    good = final_result(sized, SizedParams(size=3), {"size": 3})
    assert good["size"] == 3 and good["provenance"]["job_type"] == "sized"
    with pytest.raises(ResultContractError, match="size: Input should be a valid integer"):
        final_result(sized, SizedParams(size=3), {"size": "three"})
    with pytest.raises(ResultContractError, match="Extra inputs are not permitted"):
        final_result(sized, SizedParams(size=3), {"size": 3, "surprise": 1})


def test_one_statement_one_fingerprint_whichever_engine_states_it() -> None:
    e_over = "(1 + E)/(-1 + E)"
    esma_like = formula_statement(e_over, QuasiPolynomial.polynomial([2, 4]), QuasiPolynomial.signs([1]))
    pcf_like = formula_statement("(exp(1)+1)/(exp(1)-1)", QuasiPolynomial.polynomial([2, 4]),
                                 QuasiPolynomial.constant(1))
    one = Discovery(target="e", text="esma wording", latex="x", statement=esma_like,
                    evidence={"verified_digits": 200})
    two = Discovery(target="(e+1)/(e-1)", text="pcf wording", latex="y", statement=pcf_like)
    assert one.fingerprint() == two.fingerprint()
    with pytest.raises(ValidationError):
        Discovery(target="e", text="t", latex="l", statement=esma_like, evidence={"bad": object()})


def test_result_and_discoveries_are_committed_together(client: TestClient) -> None:
    store = client.app.state.store
    job, _ = store.create_job("esma", {"constant": "e"})
    store.claim(job.id, "test", 60)
    statement = formula_statement("E", QuasiPolynomial.polynomial([1, 2]), QuasiPolynomial.constant(1))

    class Exploding(Discovery):
        def fingerprint(self) -> str:  # fails inside the transaction, after the status was set
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.finish(job.id, "succeeded", result={"x": 1},
                     discoveries=[Exploding(target="e", text="t", latex="l", statement=statement)])
    assert store.get_job(job.id).status == "running"  # nothing was committed
    assert store.finish(job.id, "succeeded", result={"x": 1},
                        discoveries=[Discovery(target="e", text="t", latex="l", statement=statement)])
    assert store.get_job(job.id).status == "succeeded" and len(store.job_discoveries(job.id)) == 1
