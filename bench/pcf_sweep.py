"""The paper-scale pcf_cluster sweep through the service: one sharded job, timed, killed, resumed.

Starts ``mathdisco serve`` from this checkout with a fresh data directory --
the embedded executor (default) or Redis + two Celery workers (``--mode
celery``) -- submits one ``pcf_cluster`` job over the space of Shalyt et al.
(NeurIPS 2024, Sec. 4.1: deg a, deg b <= 2, coefficients in [-5, 5],
1,768,900 PCFs), follows its progress, optionally kills the executor once a
fraction of the shards is stored and starts it again (the job must resume at
the first missing shard), and prints the figures of the merged summary next
to the paper's: convergent PCFs (paper 1,543,926), delta > 0 (913,056),
clusters, formulas per constant, families, catalogue classes, and the sizes of
the summary and of the pages (``/v1/jobs/{id}/items/{path}``).

Reproduce::

    flock /work/wt/heavy.lock nice -n 5 python bench/pcf_sweep.py --mode embedded --kill-at 0.3
    flock /work/wt/heavy.lock nice -n 5 python bench/pcf_sweep.py --mode celery --kill-at 0.3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PAPER = {"count": 1_768_900, "convergent": 1_543_926, "delta_positive": 913_056,
         "anchors": 126, "hypotheses": 441}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATHDISCO_")}
    env.update({"MATHDISCO_DATA_DIR": str(data), "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": str(ROOT), "MATHDISCO_STALE_AFTER_S": "30"})
    env.update(extra)
    return env


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mathdisco.service.cli", *argv], cwd=ROOT, env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


def wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("serve did not become healthy")


def kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)


class Cluster:
    """The service and its executor(s), started and killed as one."""

    def __init__(self, mode: str, work: Path) -> None:
        self.mode, self.work = mode, work
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.redis = None
        extra = {}
        if mode == "celery":
            redis_port = free_port()
            (work / "redis").mkdir(exist_ok=True)
            self.redis = subprocess.Popen(
                [shutil.which("redis-server"), "--port", str(redis_port), "--bind", "127.0.0.1",
                 "--dir", str(work / "redis"), "--appendonly", "yes", "--save", ""],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            extra = {"MATHDISCO_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
                     "MATHDISCO_VISIBILITY_TIMEOUT_S": "300"}  # a killed shard comes back in 5 min
            time.sleep(1.0)
        self.env = environment(work / "data", **extra)
        (work / "data").mkdir(exist_ok=True)
        self.serve = self.workers = None

    def up(self) -> None:
        self.serve = start(["serve", "--host", "127.0.0.1", "--port", str(self.port)], self.env,
                           self.work / "serve.log")
        wait_healthy(self.url, self.serve, self.work / "serve.log")
        if self.mode == "celery":
            self.workers = [start(["worker", "--concurrency", "1", "--queues", "default,heavy",
                                   "--hostname", f"w{i}@%h"], self.env, self.work / f"w{i}.log")
                            for i in (1, 2)]

    def kill_executor(self) -> None:
        if self.mode == "celery":
            kill(self.workers[0])           # one worker dies mid-shard; the other carries on
            self.workers[0] = start(["worker", "--concurrency", "1", "--queues", "default,heavy",
                                     "--hostname", "w1b@%h"], self.env, self.work / "w1b.log")
        else:
            kill(self.serve)                 # the embedded executor dies with serve
            self.up()

    def down(self) -> None:
        for process in (self.workers or []) + [self.serve, self.redis]:
            if process is not None:
                kill(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["embedded", "celery"], default="embedded")
    parser.add_argument("--kill-at", type=float, default=0.0,
                        help="kill the executor once this fraction of shards is stored (0: never)")
    parser.add_argument("--coefficient", type=int, default=5, help="the box [-c, c]")
    parser.add_argument("--max-clusters", type=int, default=1000,
                        help="the job's max_clusters (the paper's 500 skips both planes of this box)")
    parser.add_argument("--out", default="", help="write the summary JSON here")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="pcf-sweep-"))
    cluster = Cluster(args.mode, work)
    cluster.up()
    started = time.monotonic()
    try:
        with httpx.Client(base_url=cluster.url, timeout=120) as client:
            params = {"a_degree": 2, "b_degree": 2, "coefficient_min": -args.coefficient,
                      "coefficient_max": args.coefficient, "depth": 2000,
                      "max_clusters": args.max_clusters}
            answer = client.post("/v1/jobs", json={"type": "pcf_cluster", "params": params})
            answer.raise_for_status()
            job = answer.json()
            print(f"submitted {job['id']}: estimate {job.get('estimate')}", flush=True)
            count = (11**3 - 1) ** 2 if args.coefficient == 5 else (
                (2 * args.coefficient + 1) ** 3 - 1) ** 2
            shard_count = -(-count // 50_000)
            killed = args.kill_at <= 0
            last = ""
            while True:
                try:
                    job = client.get(f"/v1/jobs/{job['id']}").json()
                except httpx.HTTPError:
                    time.sleep(2)
                    continue
                progress = job.get("progress") or {}
                line = f"{progress.get('done')}/{progress.get('total')} {progress.get('message')}"
                if line != last:
                    print(f"{time.monotonic() - started:7.0f} s  {job['status']:9s} {line}", flush=True)
                    last = line
                if job["status"] in ("succeeded", "failed", "cancelled"):
                    break
                # progress counts stored shards (the shard list itself carries every result)
                total, done = progress.get("total") or 0, progress.get("done") or 0
                if not killed and total == shard_count and done >= args.kill_at * total:
                    print(f"KILL the executor with {done}/{total} shards stored", flush=True)
                    cluster.kill_executor()
                    killed = True
                    after = client.get(f"/v1/jobs/{job['id']}/shards").json()["items"]
                    print(f"after the restart: {sum(1 for s in after if s['status'] != 'queued')}"
                          f"/{len(after)} shards stored, {job['status']}", flush=True)
                time.sleep(10)
            wall = time.monotonic() - started
            print(f"finished: {job['status']} after {wall:.0f} s wall ({wall / 60:.1f} min)", flush=True)
            if job["status"] != "succeeded":
                print(job.get("error"))
                return
            raw = client.get(f"/v1/jobs/{job['id']}/result")
            result = raw.json()
            report(result, len(raw.content), client, job["id"])
            if args.out:
                Path(args.out).write_text(json.dumps(result))
    finally:
        cluster.down()
        print(f"load average: {os.getloadavg()}; logs in {work}", flush=True)


def report(result: dict, size: int, client: httpx.Client, job_id: str) -> None:
    counts = result["status_counts"]
    print(f"summary JSON: {size / 2**20:.2f} MiB; timing {result.get('timing')}")
    print(f"statuses: {counts}")
    print(f"convergent (ok + rational): {result['convergent']:,} (paper {PAPER['convergent']:,})")
    print(f"delta > 0: {result['delta_positive']:,} (paper {PAPER['delta_positive']:,})")
    print(f"clustered {result['clustered']:,}, noise {result['noise']:,}, clusters "
          f"{len(result['clusters'])}, labels "
          f"{ {k: sum(c['label'] == k for c in result['clusters']) for k in ('identified', 'mixed', 'unidentified')} }")
    print(f"identified PCFs: {result['identified_count']:,}; catalogue classes: "
          f"{result['catalogue_classes']:,}; families: {len(result['families'])} "
          f"(paper: {PAPER['anchors']} anchors, {PAPER['hypotheses']} hypotheses)")
    print(f"per constant: {result['formulas_per_constant']}")
    print(f"identification: {result['identification']}")
    print(f"accelerator: {result['accelerator']}")
    print(f"account (explained): {result.get('explained')}")
    hypotheses = result.get("hypotheses") or []
    print(f"hypotheses: {len(hypotheses):,}, non-trivial (connecting different tail classes): "
          f"{sum(h['non_trivial'] > 0 for h in hypotheses):,} (paper: {PAPER['hypotheses']})")
    print(f"hypothesis search: {result.get('hypothesis_search')}")
    for path in ("identified", "feature_table.rows"):
        page = client.get(f"/v1/jobs/{job_id}/items/{path}", params={"offset": 0, "limit": 5}).json()
        print(f"pages of {path}: total {page.get('total'):,}")
    for family in result["families"][:10]:
        print("family:", family["text"])
    for entry in result["catalogue"][:15]:
        print(f"class of {entry['size']}: {entry['constant']}: {entry['equals']}  "
              f"({entry['verified_digits']} digits)")


if __name__ == "__main__":
    main()
