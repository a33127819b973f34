"""Load benchmark of the service, loopback only and bounded.

    python bench/service_load.py [--jobs 1000] [--clients 20] [--rate 40] [--stored 10000]
                                 [--database-url postgresql+psycopg://...]

Starts redis-server (AOF), `mathdisco serve` with the broker and two
`mathdisco worker` processes, all on 127.0.0.1 in a temporary directory
(SQLite store there unless ``--database-url`` names another), then:

1. saturated: ``--jobs`` tiny `sleep` jobs (seconds=0) from ``--clients``
   threads that submit back to back.  This measures capacity; the latency is
   mostly queueing (a closed loop of c clients waits about c / throughput).
2. paced: another ``--jobs`` from the same number of clients, arriving at a
   total of ``--rate`` jobs/s (exponential gaps, open loop, so a slow answer
   does not slow the arrivals).  This is the latency a user sees at that load.

It waits until every job is final (lost = never final), then fills the store
to ``--stored`` jobs and times GET /v1/jobs.  Prints one JSON object of
figures; everything it started is stopped by pid at the end.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from tests.service.conftest import Server, base_env  # noqa: E402
from tests.service.test_faults import Redis, start_worker  # noqa: E402

TINY = {"type": "sleep", "params": {"seconds": 0, "steps": 1}}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def submit_all(clients: list[httpx.Client], jobs: int, rate: float | None, seed: int = 0) -> dict:
    """Submit ``jobs`` from one thread per client; back to back, or paced at ``rate`` jobs/s in total."""
    samples: list[tuple[float, float]] = []  # (scheduled or sent at, latency), seconds
    ids: list[str] = []
    lock = threading.Lock()
    # one Poisson arrival schedule for all jobs, dealt round-robin to the clients
    rng = random.Random(seed)
    arrivals = list(itertools.accumulate(rng.expovariate(rate) for _ in range(jobs))) if rate else []
    began = time.perf_counter()

    def client_loop(index: int) -> None:
        client = clients[index]
        for k in range(index, jobs, len(clients)):
            start = time.perf_counter()
            if rate:  # latency counts from the scheduled arrival (no coordinated omission)
                start = began + arrivals[k]
                time.sleep(max(0.0, start - time.perf_counter()))
            r = client.post("/v1/jobs", json=TINY)
            elapsed = time.perf_counter() - start
            r.raise_for_status()
            with lock:
                samples.append((start - began, elapsed))
                ids.append(r.json()["id"])

    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(client_loop, range(len(clients))))
    submitted = time.perf_counter() - began
    latencies = [latency for _, latency in samples]
    slowest = sorted(samples, key=lambda s: -s[1])[:5]
    return {"ids": ids, "began": began, "figures": {
        "submit_p50_ms": round(1000 * statistics.median(latencies), 2),
        "submit_p99_ms": round(1000 * pct(latencies, 0.99), 2),
        "submit_max_ms": round(1000 * max(latencies), 2),
        "slowest": [f"{1000 * latency:.1f} ms at {at:.2f} s" for at, latency in slowest],
        "submit_rate_per_s": round(jobs / submitted, 1)}}


def wait_final(client: httpx.Client, ids: list[str], timeout: float) -> set[str]:
    """Wait until every job is final; returns the ids that never got there."""
    pending = set(ids)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for status in ("succeeded", "failed", "cancelled"):
            cursor = None
            while True:
                page = client.get("/v1/jobs", params={"status": status, "limit": 500,
                                                      **({"cursor": cursor} if cursor else {})}).json()
                pending -= {item["id"] for item in page["items"]}
                cursor = page["next_cursor"]
                if not cursor:
                    break
        if pending:
            time.sleep(0.5)
    return pending


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rate", type=float, default=40.0, help="offered jobs/s of the paced phase")
    parser.add_argument("--stored", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--database-url", default=None, help="default: SQLite in the temporary folder")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mathdisco-load-"))
    database_url = args.database_url or f"sqlite:///{tmp / 'data' / 'mathdisco.db'}"
    redis = Redis(tmp / "redis").start()
    env = base_env(tmp / "data", MATHDISCO_BROKER_URL=redis.url, MATHDISCO_DATABASE_URL=database_url)
    (tmp / "data").mkdir()
    server = Server(env, tmp / "api.log").start()
    workers = [start_worker(env, f"w{i}", tmp / f"w{i}.log") for i in (1, 2)]
    figures: dict[str, object] = {"jobs_per_phase": args.jobs, "clients": args.clients, "workers": 2,
                                  "store": database_url.split(":", 1)[0]}
    try:
        all_ids: list[str] = []
        with httpx.Client(base_url=server.url, timeout=30) as client:
            # warm up: both workers started (importing the engines takes seconds) and ran a job
            warm = [client.post("/v1/jobs", json=TINY).json()["id"] for _ in range(4)]
            if wait_final(client, warm, args.timeout):
                raise SystemExit("the workers did not start")
            # keep-alive clients, connected before any timing (as long-lived callers would be)
            clients = [httpx.Client(base_url=server.url, timeout=60) for _ in range(args.clients)]
            for each in clients:
                each.get("/healthz").raise_for_status()
            for phase, rate in (("saturated", None), ("paced", args.rate)):
                run = submit_all(clients, args.jobs, rate)
                lost = wait_final(client, run["ids"], args.timeout)
                finished = time.perf_counter() - run["began"]
                all_ids += run["ids"]
                figures[phase] = {**({"offered_rate_per_s": rate} if rate else {}), **run["figures"],
                                  "end_to_end_s": round(finished, 2),
                                  "throughput_jobs_per_s": round(args.jobs / finished, 1),
                                  "lost_jobs": len(lost)}
            for each in clients:
                each.close()
            failed = sum(1 for job_id in all_ids
                         if client.get(f"/v1/jobs/{job_id}").json()["status"] != "succeeded")
        figures["not_succeeded"] = failed

        # fill the store straight through the store API, then time the list endpoint over HTTP
        from mathdisco.workers.store import JobStore

        store = JobStore(database_url)
        for i in range(args.stored - 2 * args.jobs):
            store.create_job("sleep", {"seconds": 0, "steps": 1, "i": i}, owner="bench")
        store.dispose()
        list_times: list[float] = []
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for i in range(300):
                params = {"limit": 50} if i % 3 == 0 else ({"status": "queued", "limit": 50} if i % 3 == 1
                                                            else {"type": "sleep", "limit": 50})
                start = time.perf_counter()
                client.get("/v1/jobs", params=params).raise_for_status()
                list_times.append(time.perf_counter() - start)
        figures.update({"stored_jobs": args.stored,
                        "list_p50_ms": round(1000 * statistics.median(list_times), 2),
                        "list_p99_ms": round(1000 * pct(list_times, 0.99), 2)})
    finally:
        import os
        import signal

        for process in workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(30)
        server.stop()
        redis.stop()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
