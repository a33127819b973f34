"""The researcher's workflow end to end on a real `mathdisco serve`: rerun, retry, logs,
callbacks, provenance, partial results, and engine faults failing jobs at once."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.service.conftest import wait_for

SLEEP = {"type": "sleep", "params": {"seconds": 0.2, "steps": 4}}


class Receiver:
    """A callback receiver on loopback; answers the statuses in ``plan`` in turn, then 200."""

    def __init__(self, plan: list[int] | None = None) -> None:
        self.plan = list(plan or [])
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.plan.pop(0) if receiver.plan else 200
                self.send_response(status)
                self.end_headers()
                if status == 200:
                    receiver.arrived.set()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made: list[Receiver] = []

    def make(plan: list[int] | None = None) -> Receiver:
        made.append(Receiver(plan))
        return made[-1]

    yield make
    for r in made:
        r.close()


def test_rerun_with_overrides_and_retry_of_a_failed_job(server_factory) -> None:
    server = server_factory().start()
    with server.client() as client:
        original = client.post("/v1/jobs", json=SLEEP).json()
        wait_for(client, original["id"])
        rerun = client.post(f"/v1/jobs/{original['id']}/rerun", json={"params": {"steps": 2}})
        assert rerun.status_code == 202 and rerun.headers["location"] == f"/v1/jobs/{rerun.json()['id']}"
        view = rerun.json()
        assert view["rerun_of"] == original["id"] and view["params"] == {"seconds": 0.2, "steps": 2}
        bad = client.post(f"/v1/jobs/{original['id']}/rerun", json={"params": {"steps": 0}})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "params.steps"
        assert client.post(f"/v1/jobs/{original['id']}/retry").status_code == 409  # it succeeded
        assert client.post("/v1/jobs/nope/rerun", json={}).status_code == 404

        failed = client.post("/v1/jobs", json={"type": "faulty", "params": {"where": "run", "shards": 1}}).json()
        assert wait_for(client, failed["id"])["status"] == "failed"
        retried = client.post(f"/v1/jobs/{failed['id']}/retry")
        assert retried.status_code == 202
        again = wait_for(client, retried.json()["id"])
        assert again["rerun_of"] == failed["id"] and again["params"] == client.get(
            f"/v1/jobs/{failed['id']}").json()["params"]


@pytest.mark.parametrize(("where", "message"), [
    ("run", "ArithmeticError: faulty engine: run raised"),
    ("shards", "LookupError: faulty engine: shards raised"),
    ("merge", "merge: ValueError: faulty engine: merge raised"),
    ("result", "faulty result does not match its model"),
])
def test_engine_faults_fail_the_job_at_once_with_the_traceback(server_factory, where, message) -> None:
    server = server_factory().start()
    with server.client() as client:
        shards = 1 if where in ("run", "result") else 2
        job = client.post("/v1/jobs", json={"type": "faulty", "params": {"where": where, "shards": shards}}).json()
        final = wait_for(client, job["id"], timeout=90)
        assert final["status"] == "failed" and final["attempts"] == 1, final
        assert message in final["error"] and "Traceback" in final["error"]
        assert "died" not in final["error"]


def test_log_provenance_and_view_of_a_finished_job(server_factory) -> None:
    server = server_factory().start()
    with server.client() as client:
        job = client.post("/v1/jobs", json={"type": "sleep", "params": {"seconds": 6, "steps": 60}}).json()
        wait_for(client, job["id"])
        log = client.get(f"/v1/jobs/{job['id']}/log")
        assert log.status_code == 200 and log.headers["content-type"].startswith("text/plain")
        text = log.text
        assert "attempt 1 on" in text and "step " in text and "succeeded" in text and "engine ran" in text
        download = client.get(f"/v1/jobs/{job['id']}/log", params={"download": "true"})
        assert "attachment" in download.headers["content-disposition"]
        result = client.get(f"/v1/jobs/{job['id']}/result").json()
        provenance = result["provenance"]
        assert provenance["job_type"] == "sleep" and provenance["params"] == {"seconds": 6, "steps": 60}
        assert {"mathdisco", "sympy", "mpmath", "gmpy2", "numba"} <= set(provenance["libraries"])
        assert provenance["host"] and provenance["started_at"] <= provenance["finished_at"]
        page = client.get(f"/jobs/{job['id']}").text
        assert 'id="job-log"' in page and "attempt 1 on" in page and 'id="provenance"' in page
        view = client.get(f"/v1/jobs/{job['id']}").json()
        assert view["progress"]["message"] == "done" and view["links"]["log"].endswith("/log")


def test_cancelled_sharded_job_keeps_its_shards_serves_a_partial_result_and_retries_the_rest(server_factory) -> None:
    server = server_factory(MATHDISCO_LOCAL_WORKERS="1").start()
    with server.client() as client:
        job = client.post("/v1/jobs", json={"type": "sleep_shards",
                                            "params": {"shards": 6, "seconds_per_shard": 1.0}}).json()
        for _ in range(600):
            shards = client.get(f"/v1/jobs/{job['id']}/shards").json()["items"]
            if sum(s["status"] == "succeeded" for s in shards) >= 2:
                break
            time.sleep(0.1)
        client.post(f"/v1/jobs/{job['id']}/cancel")
        final = wait_for(client, job["id"])
        assert final["status"] == "cancelled"
        partial = client.get(f"/v1/jobs/{job['id']}/result")
        assert partial.status_code == 200
        body = partial.json()
        assert body["partial"] is True and 2 <= body["shards_stored"] < 6 and body["shards_total"] == 6
        first = client.get(body["shards"][0]["result"]).json()
        assert first["shards"][0]["index"] == 0
        page = client.get(f"/v1/jobs/{job['id']}/items/shards", params={"offset": 1, "limit": 1}).json()
        assert page["total"] == body["shards_stored"] and page["items"][0]["index"] == 1
        assert "partial-result" in client.get(f"/jobs/{job['id']}").text
        # a retry keeps the shards stored so far and runs only the missing ones
        retried = client.post(f"/v1/jobs/{job['id']}/retry").json()
        assert wait_for(client, retried["id"])["status"] == "succeeded"
        merged = client.get(f"/v1/jobs/{retried['id']}/result").json()
        assert [s["index"] for s in merged["shards"]] == list(range(6))
        # a succeeded job's pages read its merged result
        page = client.get(f"/v1/jobs/{retried['id']}/items/shards", params={"limit": 100}).json()
        assert page["items"] == merged["shards"] and page["total"] == 6
        log = client.get(f"/v1/jobs/{retried['id']}/log").text
        assert f"6 shards, {body['shards_stored']} stored by earlier attempts or the retried job" in log


def test_callbacks_are_signed_retried_and_recorded(server_factory, receiver) -> None:
    hook = receiver([500])  # the first delivery fails, the retry succeeds
    server = server_factory(MATHDISCO_CALLBACK_SECRET="s3cret").start()
    with server.client() as client:
        job = client.post("/v1/jobs", json={**SLEEP, "callback_url": hook.url}).json()
        wait_for(client, job["id"])
        assert hook.arrived.wait(30), "no successful callback"
        headers, body = hook.received[-1]
        payload = json.loads(body)
        assert payload["event"] == "job.finished" and payload["job"]["id"] == job["id"]
        assert payload["job"]["status"] == "succeeded"
        expected = hmac.new(b"s3cret", headers["x-mathdisco-timestamp"].encode() + b"." + body,
                            hashlib.sha256).hexdigest()
        assert headers["x-mathdisco-signature"] == f"sha256={expected}"
        for _ in range(100):
            callback = client.get(f"/v1/jobs/{job['id']}").json()["callback"]
            if callback["state"] == "delivered":
                break
            time.sleep(0.1)
        assert callback["state"] == "delivered" and len(hook.received) == 2
        assert [a["status_code"] for a in callback["attempts"]] == [500, 200]


@pytest.mark.parametrize(("url", "configured", "fragment"), [
    ("ftp://127.0.0.1/x", "", "only http and https"),
    ("file:///etc/passwd", "", "only http and https"),
    ("http://10.0.0.7:8080/x", "", "disabled except to loopback"),
    ("http://169.254.169.254/latest", "hooks.example.org", "not in MATHDISCO_CALLBACK_HOSTS"),
    ("http://user:pw@127.0.0.1/x", "", "credentials"),
])
def test_callback_targets_outside_the_allow_list_are_refused(tmp_path, monkeypatch, url, configured,
                                                              fragment) -> None:
    from fastapi.testclient import TestClient

    from mathdisco.service.app import create_app
    from mathdisco.workers.settings import load_settings

    monkeypatch.setenv("MATHDISCO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MATHDISCO_ENABLE_TEST_JOBS", "1")
    monkeypatch.setenv("MATHDISCO_CALLBACK_HOSTS", configured)
    for key in ("MATHDISCO_BROKER_URL", "MATHDISCO_DATABASE_URL", "MATHDISCO_API_KEYS"):
        monkeypatch.delenv(key, raising=False)
    with TestClient(create_app(load_settings(), local_workers=False)) as client:
        answer = client.post("/v1/jobs", json={**SLEEP, "callback_url": url})
        assert answer.status_code == 422 and fragment in answer.json()["detail"]
        assert answer.json()["errors"][0]["field"] == "callback_url"
        assert client.get("/v1/jobs").json()["items"] == []  # nothing stored
