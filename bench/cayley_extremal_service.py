"""The extremal generating-set search at n = 8 through the service: one sharded job over Celery.

Starts ``mathdisco serve`` with Redis and two Celery workers (concurrency 1 each, so both cores
search), submits one ``cayley_extremal`` job per shape given, follows its shards, and prints
per n the largest diameter, the maximisers, the first maximiser's growth, the bound
n^2/2 + 4n and the wall time from submission to the merged result.

Reproduce::

    python bench/cayley_extremal_service.py --shapes involution_triples involution_element_pairs --n 8
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import httpx
from pcf_sweep import Cluster


def run_one(client: httpx.Client, shape: str, n: int) -> None:
    params = {"shape": shape, "n_min": n, "n_max": n}
    answer = client.post("/v1/jobs", json={"type": "cayley_extremal", "params": params})
    answer.raise_for_status()
    job = answer.json()
    started = time.monotonic()
    print(f"{shape} n={n}: submitted {job['id']}, estimate {job.get('estimate')}", flush=True)
    last = ""
    while job["status"] not in ("succeeded", "failed", "cancelled"):
        time.sleep(5)
        job = client.get(f"/v1/jobs/{job['id']}").json()
        progress = job.get("progress") or {}
        line = f"{job['status']} {progress.get('done')}/{progress.get('total')}"
        if line != last:
            print(f"  {time.monotonic() - started:7.0f} s  {line}", flush=True)
            last = line
    wall = time.monotonic() - started
    if job["status"] != "succeeded":
        print(f"  {job['status']}: {job.get('error')}")
        return
    result = client.get(f"/v1/jobs/{job['id']}/result").json()
    shards = client.get(f"/v1/jobs/{job['id']}/shards").json()["items"]
    for row in result["per_n"]:
        first = row["maximisers"][0]["cycles"] if row["maximisers"] else None
        print(f"  n={row['n']}: {row['candidates']:,} candidates, {row['generating']:,} generate S_n, "
              f"largest diameter {row['max_diameter']}, {row['maximisers_found']} maximisers, "
              f"first {first}; n(n-1)/2 = {row['coxeter_diameter']}, bound {row['bound']}, "
              f"within {row['within_bound']}")
        print(f"  growth of the first maximiser: {row['growth']}")
    print(f"  wall {wall:.0f} s over {len(shards)} shards; job elapsed_s {result['elapsed_s']}",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shapes", nargs="+", default=["involution_triples"])
    parser.add_argument("--n", type=int, default=8)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="cayley-extremal-"))
    cluster = Cluster("celery", work)
    cluster.up()
    try:
        with httpx.Client(base_url=cluster.url, timeout=120) as client:
            for shape in args.shapes:
                run_one(client, shape, args.n)
    finally:
        cluster.down()
        print(f"load average: {os.getloadavg()}; logs in {work}", flush=True)


if __name__ == "__main__":
    main()
