"""Load benchmark of the service, loopback only and bounded.

    python bench/service_load.py [--jobs 1000] [--clients 20] [--stored 10000]

Starts redis-server (AOF), `mathdisco serve` with the broker and two
`mathdisco worker` processes, all on 127.0.0.1 in a temporary directory;
submits ``--jobs`` tiny `sleep` jobs (seconds=0) from ``--clients`` threads,
waits for all of them, then fills the store to ``--stored`` jobs and times
GET /v1/jobs.  Prints one JSON object of figures; everything it started is
stopped by pid at the end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--stored", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mathdisco-load-"))
    redis = Redis(tmp / "redis").start()
    env = base_env(tmp / "data", MATHDISCO_BROKER_URL=redis.url)
    (tmp / "data").mkdir()
    server = Server(env, tmp / "api.log").start()
    workers = [start_worker(env, f"w{i}", tmp / f"w{i}.log") for i in (1, 2)]
    figures: dict[str, object] = {}
    try:
        latencies: list[float] = []
        ids: list[str] = []

        def client_loop(count: int) -> None:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                for _ in range(count):
                    start = time.perf_counter()
                    r = client.post("/v1/jobs", json=TINY)
                    latencies.append(time.perf_counter() - start)
                    r.raise_for_status()
                    ids.append(r.json()["id"])

        per_client = [args.jobs // args.clients + (i < args.jobs % args.clients) for i in range(args.clients)]
        began = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(client_loop, per_client))
        submitted = time.perf_counter() - began
        pending = set(ids)
        deadline = time.monotonic() + args.timeout
        with httpx.Client(base_url=server.url, timeout=30) as client:
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
            finished = time.perf_counter() - began
            failed = client.get("/v1/jobs", params={"status": "failed", "limit": 500}).json()["items"]
        figures.update({
            "jobs": args.jobs, "clients": args.clients, "workers": 2,
            "submit_p50_ms": round(1000 * statistics.median(latencies), 2),
            "submit_p99_ms": round(1000 * pct(latencies, 0.99), 2),
            "submit_rate_per_s": round(args.jobs / submitted, 1),
            "end_to_end_s": round(finished, 2),
            "throughput_jobs_per_s": round(args.jobs / finished, 1),
            "lost_jobs": len(pending), "failed_jobs": len(failed),
        })

        # fill the store straight through the store API, then time the list endpoint over HTTP
        from workers.store import JobStore

        store = JobStore(f"sqlite:///{tmp / 'data' / 'mathdisco.db'}")
        for i in range(args.stored - args.jobs):
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
