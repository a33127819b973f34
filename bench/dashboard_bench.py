"""Dashboard latency with a large store: 10,000 jobs (and their results), SQLite by default.

Times the pages a user polls: GET / (first page and a filtered page), the
htmx jobs fragment, a job page with a plotted result, and the discoveries
page.  Pagination is server side (50 rows a page, keyset cursor), so the
cost should not grow with the number of jobs.

    python bench/dashboard_bench.py [--jobs 10000] [--repeat 200] [--database-url URL]

Prints one line per route with median and p99 in milliseconds, and a JSON
summary on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout first (its mathdisco/ API); the engines come from `pip install -e .`

TYPES = ("identify", "cayley_growth", "esma", "sr_mcts", "psi_exact")
STATUSES = ("succeeded", "succeeded", "succeeded", "failed", "cancelled", "queued", "running")


def _real_results() -> dict[str, dict]:
    """One real, model-checked result per plotted type (computed once), so job pages render views."""
    from mathdisco.engines.registry import get_job_type
    from mathdisco.workers.runner import final_result

    out = {}
    for name, params in (("cayley_growth", {"family": "lrx", "n": 6}),
                         ("identify", {"value": "2.1639534137386528487700040102180231170937"})):
        job_type = get_job_type(name)
        model = job_type.validate(params)
        out[name] = final_result(job_type, model, job_type.run(model, lambda *a: None))
    return out


def populate(store, n_jobs: int, seed: int = 0) -> str:
    """Insert n_jobs jobs in bulk; returns the id of a succeeded cayley_growth job."""
    from mathdisco.engines.discoveries import Discovery, identity_statement
    from mathdisco.workers.models import Job

    real = _real_results()
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=30)
    sample_id = ""
    batch = []
    for i in range(n_jobs):
        job_type, status = rng.choice(TYPES), rng.choice(STATUSES)
        created = start + timedelta(seconds=i * 200)
        result = real.get(job_type, real["identify"])
        job = Job(id=str(uuid.uuid4()), type=job_type, params={"i": i}, params_fingerprint=f"{i:064d}",
                  status=status, owner="bench", created_at=created,
                  started_at=created + timedelta(seconds=1) if status != "queued" else None,
                  finished_at=created + timedelta(seconds=5) if status in ("succeeded", "failed", "cancelled") else None,
                  progress_done=5, progress_total=10, progress_message="working",
                  result=result if status == "succeeded" else None,
                  error="boom" if status == "failed" else None,
                  status_history=[{"status": "queued", "at": created.isoformat()}],
                  # a fresh heartbeat, so the reconciler does not requeue "running" rows mid-bench
                  heartbeat_at=datetime.now(UTC) + timedelta(days=1) if status == "running" else None)
        if status == "succeeded" and job_type == "cayley_growth":
            sample_id = job.id
        batch.append(job)
        if len(batch) == 1000:
            with store.sessions.begin() as session:
                session.add_all(batch)
            batch = []
    if batch:
        with store.sessions.begin() as session:
            session.add_all(batch)
    store.record_discoveries(sample_id, [
        Discovery(target=f"c{k}", text=f"c{k} = ...", latex=f"c_{{{k}}}",
                  statement=identity_statement(f"{k}.5", f"{k} + 1/2"))
        for k in range(200)])
    return sample_id


def timed(client, url: str, repeat: int) -> list[float]:
    client.get(url)  # warm caches (templates, SQL statement cache)
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="mathdisco-bench-")
    os.environ["MATHDISCO_DATA_DIR"] = data_dir
    if args.database_url:
        os.environ["MATHDISCO_DATABASE_URL"] = args.database_url
    for key in ("MATHDISCO_BROKER_URL", "MATHDISCO_API_KEYS"):
        os.environ.pop(key, None)

    from fastapi.testclient import TestClient

    from mathdisco.service.app import create_app
    from mathdisco.workers.settings import load_settings

    app = create_app(load_settings(), local_workers=False)
    with TestClient(app) as client:
        t0 = time.perf_counter()
        sample = populate(app.state.store, args.jobs)
        print(f"inserted {args.jobs} jobs in {time.perf_counter() - t0:.1f} s "
              f"({app.state.store.count_jobs()} in store)", file=sys.stderr)
        routes = {
            "GET / (newest 50)": "/",
            "GET /?type=esma&status=failed": "/?type=esma&status=failed",
            "GET /fragments/jobs (htmx poll)": "/fragments/jobs",
            "GET /jobs/{id} (with chart)": f"/jobs/{sample}",
            "GET /discoveries": "/discoveries",
        }
        summary = {}
        for label, url in routes.items():
            samples = sorted(timed(client, url, args.repeat))
            median = statistics.median(samples)
            p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
            summary[label] = {"median_ms": round(median, 2), "p99_ms": round(p99, 2)}
            print(f"{label:36s} median {median:7.2f} ms   p99 {p99:7.2f} ms")
    print(json.dumps({"jobs": args.jobs, "repeat": args.repeat, "results": summary}))


if __name__ == "__main__":
    main()
