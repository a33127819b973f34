"""The HTTP contract and bad input, in process (no workers: jobs stay queued)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mathdisco.service.app import create_app
from mathdisco.workers.settings import load_settings


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MATHDISCO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MATHDISCO_DATABASE_URL", raising=False)
    monkeypatch.delenv("MATHDISCO_BROKER_URL", raising=False)
    monkeypatch.setenv("MATHDISCO_MAX_BODY_BYTES", "20000")
    with TestClient(create_app(load_settings(), local_workers=False)) as c:
        yield c


IDENTIFY = {"type": "identify", "params": {"value": "2.1639534137386528487700040102180231170937"}}


def test_submit_returns_202_location_and_status(client: TestClient) -> None:
    r = client.post("/v1/jobs", json=IDENTIFY)
    assert r.status_code == 202
    body = r.json()
    assert r.headers["location"] == f"/v1/jobs/{body['id']}"
    assert body["status"] == "queued" and body["type"] == "identify"
    got = client.get(f"/v1/jobs/{body['id']}").json()
    assert got["id"] == body["id"] and got["progress"]["done"] == 0
    # params are stored normalised, with defaults filled in
    assert got["params"]["max_coeff"] == 10_000


@pytest.mark.parametrize("payload, field", [
    ({"type": "no_such_type", "params": {}}, "type"),
    ({"type": "identify", "params": {}}, "params.value"),
    ({"type": "identify", "params": {"value": "1.2345678901234", "bogus": 1}}, "params.bogus"),
    ({"type": "identify", "params": {"value": "1.2345678901234", "max_coeff": 10**12}}, "params.max_coeff"),
    ({"type": "identify", "params": {"value": "__import__('os')"}}, "params.value"),
    ({"params": {}}, "type"),
])
def test_bad_submissions_are_422_problems_naming_the_field(client: TestClient, payload: dict, field: str) -> None:
    r = client.post("/v1/jobs", json=payload)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in r.json()["errors"]]


def test_malformed_json_and_oversize_bodies(client: TestClient) -> None:
    r = client.post("/v1/jobs", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    big = {"type": "identify", "params": {"value": "1." + "1" * 30000}}
    assert client.post("/v1/jobs", json=big).status_code == 413


def test_chunked_bodies_are_limited_too(client: TestClient) -> None:
    """With no content-length the body is read up to the limit, then passed on intact."""
    import json

    def chunks(body: bytes, size: int = 1000):
        for i in range(0, len(body), size):
            yield body[i:i + size]

    big = json.dumps({"type": "identify", "params": {"value": "1." + "1" * 30000}}).encode()
    r = client.post("/v1/jobs", content=chunks(big), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["title"] == "Request body too large"
    small = json.dumps(IDENTIFY).encode()
    r = client.post("/v1/jobs", content=chunks(small, 7), headers={"content-type": "application/json"})
    assert r.status_code == 202 and r.json()["params"]["value"] == IDENTIFY["params"]["value"]


def test_unknown_ids_result_conflicts_and_cancel(client: TestClient) -> None:
    assert client.get("/v1/jobs/nope").status_code == 404
    assert client.get("/v1/jobs/nope/result").status_code == 404
    assert client.post("/v1/jobs/nope/cancel").status_code == 404
    job = client.post("/v1/jobs", json=IDENTIFY).json()
    assert client.get(f"/v1/jobs/{job['id']}/result").status_code == 409
    cancelled = client.post(f"/v1/jobs/{job['id']}/cancel")
    assert cancelled.status_code == 202 and cancelled.json()["status"] == "cancelled"
    again = client.post(f"/v1/jobs/{job['id']}/cancel")
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]


def test_idempotency_key(client: TestClient) -> None:
    h = {"Idempotency-Key": "abc-123"}
    first = client.post("/v1/jobs", json=IDENTIFY, headers=h)
    second = client.post("/v1/jobs", json=IDENTIFY, headers=h)
    assert first.json()["id"] == second.json()["id"]
    assert second.headers.get("idempotent-replayed") == "true"
    other = dict(IDENTIFY, params={"value": "1.4142135623730950488016887242097"})
    r = client.post("/v1/jobs", json=other, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "Idempotency-Key"


def test_listing_filters_and_paginates(client: TestClient) -> None:
    ids = {client.post("/v1/jobs", json=IDENTIFY).json()["id"] for _ in range(7)}
    seen, cursor = set(), None
    while True:
        params = {"limit": 3, "type": "identify", **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/jobs", params=params).json()
        seen |= {j["id"] for j in page["items"]}
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids
    assert client.get("/v1/jobs", params={"status": "bogus"}).status_code == 422
    assert client.get("/v1/jobs", params={"cursor": "!!!"}).status_code == 422
    assert client.get("/v1/jobs", params={"status": "succeeded"}).json()["items"] == []


def test_job_types_list_schemas_and_defaults(client: TestClient) -> None:
    types = {t["name"]: t for t in client.get("/v1/job-types").json()}
    for name in ("identify", "esma", "pcf_cluster", "sr_mcts", "cayley_growth", "cayley_sweep", "psi_exact"):
        assert name in types
    assert "value" in types["identify"]["schema"]["properties"]
    assert types["identify"]["defaults"]["max_coeff"] == 10_000


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["checks"]["database"] == "ok"


def test_unknown_filter_values_are_422_naming_the_field(client: TestClient) -> None:
    for route, params, field in (("/v1/jobs", {"type": "bogus"}, "type"),
                                 ("/v1/jobs", {"status": "bogus"}, "status"),
                                 ("/v1/discoveries", {"kind": "bogus"}, "kind"),
                                 ("/v1/discoveries", {"job_type": "bogus"}, "job_type")):
        r = client.get(route, params=params)
        assert r.status_code == 422, (route, params)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert f"query.{field}" in [e["field"] for e in r.json()["errors"]]
    # known values and the empty "all" still filter
    assert client.get("/v1/jobs", params={"type": "esma"}).status_code == 200
    assert client.get("/v1/jobs", params={"type": ""}).status_code == 200
    assert client.get("/v1/discoveries", params={"kind": "formula"}).status_code == 200


def test_items_of_a_path_that_is_not_a_list_are_404(client: TestClient) -> None:
    store = client.app.state.store
    job, _ = store.create_job("pcf_cluster", {})
    store.claim(job.id, "test", 60)
    store.finish(job.id, "succeeded", result={"identified": [{"k": 1}, {"k": 2}, {"k": 3}],
                                              "box": {"a_degree": 1}, "clusters": None})
    page = client.get(f"/v1/jobs/{job.id}/items/identified", params={"offset": 1, "limit": 1}).json()
    assert page == {"items": [{"k": 2}], "offset": 1, "total": 3, "next_offset": 2}
    for path in ("box", "__class__", "nothing_here", "box.a_degree", "identified.k"):
        r = client.get(f"/v1/jobs/{job.id}/items/{path}")
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("application/problem+json")
    # a list the result model declares, absent from this result, is an empty page
    assert client.get(f"/v1/jobs/{job.id}/items/clusters").json()["total"] == 0
    # a queued job: a declared list is empty so far, anything else is still 404
    queued, _ = store.create_job("pcf_cluster", {})
    assert client.get(f"/v1/jobs/{queued.id}/items/identified").json()["total"] == 0
    assert client.get(f"/v1/jobs/{queued.id}/items/box").status_code == 404


def test_a_constant_that_cannot_be_evaluated_is_422_at_submission(client: TestClient) -> None:
    r = client.post("/v1/jobs", json={"type": "esma", "params": {"constant": "exp(exp(exp(exp(10))))"}})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "params.constant"
    assert client.get("/v1/jobs").json()["items"] == []  # nothing was stored or queued
