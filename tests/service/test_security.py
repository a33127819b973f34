"""API keys, public/keyed reads, per-key rate limits and heavy-job caps (in process, no workers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mathdisco.service.app import create_app
from mathdisco.service.auth import KeyConfigError, KeyRing, hash_key
from mathdisco.workers.settings import load_settings

ALICE, BOB = "md_alice_secret_key_0123456789", "md_bob_secret_key_9876543210"
KEYS = f"alice:{hash_key(ALICE)},bob:{hash_key(BOB)}"
SLEEP = {"type": "sleep", "params": {"seconds": 0}}
HEAVY = {"type": "cayley_growth", "params": {"family": "coxeter", "n": 5}}


@pytest.fixture
def make_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    clients: list[TestClient] = []

    def make(**env: str) -> TestClient:
        for name in ("MATHDISCO_DATABASE_URL", "MATHDISCO_BROKER_URL", "MATHDISCO_API_KEYS",
                     "MATHDISCO_PUBLIC_READ", "MATHDISCO_RATE_LIMIT", "MATHDISCO_MAX_HEAVY_JOBS"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("MATHDISCO_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("MATHDISCO_ENABLE_TEST_JOBS", "1")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        client = TestClient(create_app(load_settings(), local_workers=False))
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def test_keyring_parses_list_and_file_and_refuses_garbage(tmp_path: Path) -> None:
    ring = KeyRing.parse(KEYS)
    assert ring.lookup(ALICE) == "alice" and ring.lookup(BOB) == "bob"
    assert ring.lookup("md_alice_secret_key_012345678") is None and ring.lookup("") is None
    path = tmp_path / "keys"
    path.write_text(f"# comment\nalice:{hash_key(ALICE)}\n\n")
    assert KeyRing.parse(str(path)).lookup(ALICE) == "alice"
    assert KeyRing.parse(f"@{path}").lookup(ALICE) == "alice"
    assert not KeyRing.parse(None).enabled and not KeyRing.parse("  ").enabled
    for bad in ("alice", "alice:abc", f":{hash_key(ALICE)}", "alice:" + "g" * 64):
        with pytest.raises(KeyConfigError):
            KeyRing.parse(bad)
    # the config holds only hashes: the key itself appears nowhere
    assert ALICE not in KEYS


def test_no_keys_configured_means_open_and_anonymous(make_client) -> None:
    client = make_client()
    r = client.post("/v1/jobs", json=SLEEP)
    assert r.status_code == 202 and r.json()["owner"] == "anonymous"


def test_writes_need_a_valid_key_and_the_key_names_the_owner(make_client) -> None:
    client = make_client(MATHDISCO_API_KEYS=KEYS)
    r = client.post("/v1/jobs", json=SLEEP)
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["title"] == "Unauthorized" and r.headers["www-authenticate"] == "Bearer"
    assert client.post("/v1/jobs", json=SLEEP, headers={"X-API-Key": "wrong"}).status_code == 401
    assert client.post("/v1/jobs", json=SLEEP, headers={"X-API-Key": "x" * 10_000}).status_code == 401
    r = client.post("/v1/jobs", json=SLEEP, headers={"X-API-Key": ALICE})
    assert r.status_code == 202 and r.json()["owner"] == "alice"
    r2 = client.post("/v1/jobs", json=SLEEP, headers={"Authorization": f"Bearer {BOB}"})
    assert r2.status_code == 202 and r2.json()["owner"] == "bob"
    # reads are public by default; a wrong key is still refused rather than ignored
    assert client.get(f"/v1/jobs/{r.json()['id']}").status_code == 200
    assert client.get("/v1/jobs", headers={"X-API-Key": "wrong"}).status_code == 401
    # a key cancels its own jobs only
    assert client.post(f"/v1/jobs/{r.json()['id']}/cancel", headers={"X-API-Key": BOB}).status_code == 403
    assert client.post(f"/v1/jobs/{r.json()['id']}/cancel").status_code == 401
    assert client.post(f"/v1/jobs/{r.json()['id']}/cancel", headers={"X-API-Key": ALICE}).status_code == 202


def test_keyed_reads(make_client) -> None:
    client = make_client(MATHDISCO_API_KEYS=KEYS, MATHDISCO_PUBLIC_READ="0")
    for path in ("/v1/jobs", "/v1/discoveries", "/v1/job-types", "/"):
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers={"X-API-Key": ALICE}).status_code == 200, path
    # probes, the API description and the docs pages with their own files stay public
    for path in ("/healthz", "/readyz", "/openapi.json", "/docs", "/docs/swagger-init.js", "/redoc",
                 "/static/vendor/swagger-ui/swagger-ui-bundle.js"):
        assert client.get(path).status_code == 200, path
    assert client.get("/static/dashboard.js").status_code == 401  # the rest of /static is not


def test_rate_limit_per_key_with_retry_after(make_client) -> None:
    client = make_client(MATHDISCO_API_KEYS=KEYS, MATHDISCO_RATE_LIMIT="3")
    codes = [client.post("/v1/jobs", json=SLEEP, headers={"X-API-Key": ALICE}).status_code for _ in range(4)]
    assert codes == [202, 202, 202, 429]
    r = client.post("/v1/jobs", json=SLEEP, headers={"X-API-Key": ALICE})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.headers["content-type"].startswith("application/problem+json")
    # another key has its own bucket; reads are not rate limited
    assert client.post("/v1/jobs", json=SLEEP, headers={"X-API-Key": BOB}).status_code == 202
    assert all(client.get("/v1/jobs").status_code == 200 for _ in range(10))


def test_rate_limit_anonymous_by_address(make_client) -> None:
    client = make_client(MATHDISCO_RATE_LIMIT="2")
    codes = [client.post("/v1/jobs", json=SLEEP).status_code for _ in range(3)]
    assert codes == [202, 202, 429]


def test_heavy_job_cap_per_owner(make_client) -> None:
    client = make_client(MATHDISCO_API_KEYS=KEYS, MATHDISCO_MAX_HEAVY_JOBS="2")
    alice = {"X-API-Key": ALICE}
    first = client.post("/v1/jobs", json=HEAVY, headers=alice)
    assert first.status_code == 202, first.text
    assert client.post("/v1/jobs", json=HEAVY, headers=alice).status_code == 202
    r = client.post("/v1/jobs", json=HEAVY, headers=alice)
    assert r.status_code == 429 and "heavy" in r.json()["detail"] and r.headers["retry-after"]
    # light jobs and other owners are not affected
    assert client.post("/v1/jobs", json=SLEEP, headers=alice).status_code == 202
    assert client.post("/v1/jobs", json=HEAVY, headers={"X-API-Key": BOB}).status_code == 202
    # a finished (here: cancelled) job frees its slot
    client.post(f"/v1/jobs/{first.json()['id']}/cancel", headers=alice)
    assert client.post("/v1/jobs", json=HEAVY, headers=alice).status_code == 202


def test_the_dashboard_enforces_the_same_rules_as_the_api(make_client) -> None:
    """Submission and cancellation go through one path: owner check, quota, idempotency."""
    client = make_client(MATHDISCO_API_KEYS=KEYS, MATHDISCO_MAX_HEAVY_JOBS="1")
    alice, bob = {"X-API-Key": ALICE}, {"X-API-Key": BOB}
    job = client.post("/v1/jobs", json={"type": "sleep", "params": {"seconds": 5}}, headers=alice).json()
    assert client.post(f"/jobs/{job['id']}/cancel", headers=bob).status_code == 403
    assert client.post(f"/v1/jobs/{job['id']}/cancel", headers=bob).status_code == 403
    assert client.get(f"/v1/jobs/{job['id']}").json()["status"] == "queued"
    assert client.post(f"/jobs/{job['id']}/cancel", headers=alice,
                       follow_redirects=False).status_code == 303
    assert client.get(f"/v1/jobs/{job['id']}").json()["status"] == "cancelled"

    form = {"type": "cayley_growth", "family": "coxeter", "n": "5", "form_key": "k1"}
    first = client.post("/jobs", data=form, headers=alice, follow_redirects=False)
    assert first.status_code == 303
    replay = client.post("/jobs", data=form, headers=alice, follow_redirects=False)
    assert "Already+submitted" in replay.headers["location"]  # a double click submits once
    quota = client.post("/jobs", data={**form, "form_key": "k2"}, headers=alice)
    assert quota.status_code == 429 and "heavy jobs" in quota.text
    assert client.post("/v1/jobs", json=HEAVY, headers=alice).status_code == 429
    assert client.post("/jobs", data=form, headers={}).status_code == 401
