"""Benchmark: mathdisco's cayley_growth engine vs CayleyPy 0.2.0, same run.

Each (tool, algorithm, case) runs in a fresh subprocess that first warms up on
a small graph of the same family (numba compilation / torch start-up are not
timed), then times one full BFS and reports its layer sizes and the process's
peak resident memory (ru_maxrss).  For CayleyPy every CPU algorithm is run
(default ``bfs``, ``bfs_numpy``, ``bfs_bitmask``) and the fastest is compared.

Setup of the peer (outside the repository)::

    python -m venv --system-site-packages /tmp/bench-cayley
    /tmp/bench-cayley/bin/pip install torch==2.13.0 cayleypy==0.2.0

Run::

    python bench/cayley_bench.py                       # the five standard cases
    python bench/cayley_bench.py --cases lrx:10 pancake:10 --peer-algorithms bfs
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CASES = ["lrx:10", "lrx:11", "pancake:10", "pancake:11", "all_transpositions:10"]
PEER_ALGORITHMS = ["bfs", "bfs_numpy", "bfs_bitmask"]

OURS = r"""
import json, resource, sys, time
from engines.cayley.job import GrowthParams, run_growth
family, n = sys.argv[1], int(sys.argv[2])
run_growth(GrowthParams(family=family, n=6))
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t = time.perf_counter()
result = run_growth(GrowthParams(family=family, n=n))
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "layer_sizes": result["layer_sizes"],
                  "baseline_rss": baseline, "algorithm": result["algorithm"],
                  "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""

PEER = r"""
import json, resource, sys, time
from cayleypy import CayleyGraph, PermutationGroups
from cayleypy.algo import bfs_bitmask, bfs_numpy
family, n, algorithm = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def run(m):
    graph = CayleyGraph(getattr(PermutationGroups, family)(m), device="cpu")
    if algorithm == "bfs":
        return list(graph.bfs().layer_sizes)
    if algorithm == "bfs_numpy":
        return list(bfs_numpy(graph))
    return list(bfs_bitmask(graph))
run(9 if algorithm == "bfs_bitmask" else 6)
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t = time.perf_counter()
sizes = run(n)
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "layer_sizes": [int(x) for x in sizes],
                  "baseline_rss": baseline, "algorithm": algorithm,
                  "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def _run(python: str, code: str, args: list[str], timeout: float) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS=os.environ.get(
        "OMP_NUM_THREADS", "2"))
    try:
        proc = subprocess.run([python, "-c", code, *args], capture_output=True, text=True,
                              timeout=timeout, env=env, cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", nargs="+", default=DEFAULT_CASES, help="family:n")
    parser.add_argument("--peer-python", default="/tmp/bench-cayley/bin/python")
    parser.add_argument("--peer-algorithms", nargs="+", default=PEER_ALGORITHMS)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}", flush=True)
    rows = []
    for case in args.cases:
        family, n = case.split(":")
        ours = _run(sys.executable, OURS, [family, n], args.timeout)
        peers = {a: _run(args.peer_python, PEER, [family, n, a], args.timeout)
                 for a in args.peer_algorithms}
        ok_peers = {a: r for a, r in peers.items() if "error" not in r}
        best = min(ok_peers, key=lambda a: ok_peers[a]["seconds"]) if ok_peers else None
        row = {"case": case, "ours": ours, "peers": peers, "best_peer": best}
        if best and "error" not in ours:
            peer = ok_peers[best]
            row["same_layers"] = all(r["layer_sizes"] == ours["layer_sizes"]
                                     for r in ok_peers.values())
            row["speedup"] = peer["seconds"] / ours["seconds"]
            row["memory_ratio"] = ours["peak_rss"] / peer["peak_rss"]
        rows.append(row)
        _print_row(row)
    print(json.dumps([{k: v for k, v in r.items() if k not in ("ours", "peers")} |
                      {"ours_s": r["ours"].get("seconds"),
                       "ours_peak_mb": r["ours"].get("peak_rss", 0) / 2**20,
                       "peers_s": {a: p.get("seconds", p.get("error"))
                                   for a, p in r["peers"].items()},
                       "peers_peak_mb": {a: p.get("peak_rss", 0) / 2**20
                                         for a, p in r["peers"].items()}}
                      for r in rows], indent=1))
    print(f"load average: {os.getloadavg()}")


def _print_row(row: dict) -> None:
    ours = row["ours"]
    if "error" in ours:
        print(f"{row['case']}: ours failed: {ours['error']}", flush=True)
        return
    peers = "; ".join(
        f"{a} {p['seconds']:.2f} s / {p['peak_rss'] / 2**20:.0f} MB" if "error" not in p
        else f"{a} {p['error']}" for a, p in row["peers"].items())
    line = (f"{row['case']}: ours {ours['seconds']:.2f} s / {ours['peak_rss'] / 2**20:.0f} MB "
            f"peak RSS | CayleyPy {peers}")
    if "speedup" in row:
        line += (f" | best peer {row['best_peer']}: ratio {row['speedup']:.1f}x faster, "
                 f"memory {row['memory_ratio']:.2f}x of peer | layers equal: "
                 f"{row['same_layers']}")
    print(line, flush=True)


if __name__ == "__main__":
    main()
