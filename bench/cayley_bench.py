"""Benchmark: mathdisco's cayley_growth engine vs CayleyPy 0.2.0, same run.

Each (tool, algorithm, case) runs in a fresh subprocess that first warms up on
a small graph of the same kind (numba compilation / torch start-up are not
timed), then times one full BFS and reports its layer sizes and the process's
peak resident memory (ru_maxrss).  For permutation families CayleyPy runs
every CPU algorithm (default ``bfs``, ``bfs_numpy``, ``bfs_bitmask``) and the
fastest is compared; for puzzles only ``bfs`` applies (the others need
one-word states or a permutation central state).

Cases:

* ``family:n`` -- e.g. ``lrx:11``; CayleyPy's ``PermutationGroups.<family>(n)``;
* ``puzzle:cube_2x2x2:quarter_turn`` (or ``half_turn``) -- ours
  ``{"puzzle": "cube_2x2x2", "metric": ...}`` (corner fixed), CayleyPy's
  ``Puzzles.rubik_cube(2, "fixed_QTM" / "fixed_HTM")``;
* ``gap:<name>`` -- a GAP file CayleyPy ships (``GapPuzzles.puzzle(name)``,
  inverse-closed, central state from its ``ip`` line); ours reads the same
  file's text as ``gap_moves`` (quarter-turn metric: each move and its inverse).

Threads: every case runs at each count of ``--threads`` (default 1 and 2) for
both tools alike -- ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` and
``NUMBA_NUM_THREADS`` set to it, ``torch.set_num_threads`` in CayleyPy's
process and ``threads`` in ours (which threads the rank-bitset and one-word
sorted-layer searches; multi-word ones run on one whatever the count) -- so a
speed ratio is always at equal cores.

Setup of the peer (outside the repository), either a venv::

    python -m venv --system-site-packages /tmp/bench-cayley
    /tmp/bench-cayley/bin/pip install torch==2.13.0 cayleypy==0.2.0

or, reusing the project venv's torch, a target folder given as ``--peer-path``::

    .venv/bin/python -m pip install --target /tmp/cayleypy-pkg --no-deps cayleypy==0.2.0 h5py
    .venv/bin/python -m pip install --target /tmp/cayleypy-pkg kagglehub
    python bench/cayley_bench.py --peer-python .venv/bin/python --peer-path /tmp/cayleypy-pkg

Run::

    python bench/cayley_bench.py                       # the standard cases
    python bench/cayley_bench.py --cases puzzle:cube_2x2x2:quarter_turn gap:master_pyramorphix
    python bench/cayley_bench.py --cases lrx:10 pancake:10 --peer-algorithms bfs
    python bench/cayley_bench.py --repeat 3 --cases puzzle:cube_2x2x2:quarter_turn
    python bench/cayley_bench.py --threads 1 2 --cases lrx:10 pancake:10
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CASES = ["puzzle:cube_2x2x2:quarter_turn", "puzzle:cube_2x2x2:half_turn",
                 "gap:master_pyramorphix", "lrx:10", "lrx:11", "pancake:10", "pancake:11",
                 "all_transpositions:10"]
PEER_ALGORITHMS = ["bfs", "bfs_numpy", "bfs_bitmask"]

OURS = r"""
import json, resource, sys, time
from mathdisco.engines.cayley.job import GrowthParams, run_growth
kind, spec, threads = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
spec = dict(spec, threads=threads)
if kind == "family":
    small, params = dict(spec, n=6), spec
else:
    if kind == "gap":
        spec = {"gap_moves": open(spec.pop("gap_file")).read(), **spec}
    small, params = dict(spec, max_diameter=3), spec
from mathdisco.engines.cayley.job import warm_up
warm_up()  # every kernel compiled (or loaded from numba's cache), threaded ones included
run_growth(GrowthParams(**small))
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t = time.perf_counter()
result = run_growth(GrowthParams(**params))
seconds = time.perf_counter() - t
from mathdisco.engines.cayley.params import estimate_growth
print(json.dumps({"seconds": seconds, "layer_sizes": result["layer_sizes"],
                  "estimate_s": estimate_growth(GrowthParams(**params)).seconds,
                  "baseline_rss": baseline, "algorithm": result["algorithm"],
                  "state_words": result["state_words"],
                  "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""

PEER = r"""
import json, resource, sys, time
from cayleypy import CayleyGraph, GapPuzzles, PermutationGroups, Puzzles
from cayleypy.algo import bfs_bitmask, bfs_numpy
kind, spec, algorithm = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
import torch
torch.set_num_threads(int(sys.argv[4]))
def definition(n=None):
    if kind == "family":
        return getattr(PermutationGroups, spec["family"])(n or spec["n"])
    if kind == "puzzle":
        metric = {"quarter_turn": "fixed_QTM", "half_turn": "fixed_HTM"}[spec["metric"]]
        return Puzzles.rubik_cube(2, metric)
    return GapPuzzles.puzzle(spec["gap"])
def run(small):
    graph = CayleyGraph(definition(9 if algorithm == "bfs_bitmask" else 6) if small and
                        kind == "family" else definition(), device="cpu")
    if algorithm == "bfs":
        if small and kind != "family":
            return list(graph.bfs(max_diameter=3).layer_sizes)
        return list(graph.bfs().layer_sizes)
    if algorithm == "bfs_numpy":
        return list(bfs_numpy(graph))
    return list(bfs_bitmask(graph))
run(True)
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t = time.perf_counter()
sizes = run(False)
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "layer_sizes": [int(x) for x in sizes],
                  "baseline_rss": baseline, "algorithm": algorithm,
                  "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""

GAP_DIR = r"""
from cayleypy import GapPuzzles
print(GapPuzzles.get_gaps_dir())
"""


def _run(python: str, code: str, args: list[str], timeout: float, threads: int,
         path: str = "") -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(REPO), path) if p),
               OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
               NUMBA_NUM_THREADS=str(threads))
    try:
        proc = subprocess.run([python, "-c", code, *args], capture_output=True, text=True,
                              timeout=timeout, env=env, cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fastest(runs: list[dict]) -> dict:
    """The fastest successful run (with every run's seconds), else the first failure."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0]
    best = min(ok, key=lambda r: r["seconds"])
    return {**best, "all_seconds": [round(r["seconds"], 3) for r in ok]}


def _specs(case: str, peer_python: str, scratch: Path, peer_path: str = ""
           ) -> tuple[str, dict, dict]:
    """(kind, our spec, the peer's spec) of a case string."""
    parts = case.split(":")
    if parts[0] == "puzzle":
        spec = {"puzzle": parts[1], "metric": parts[2]}
        return "puzzle", spec, spec
    if parts[0] == "gap":
        env = dict(os.environ, PYTHONPATH=peer_path)
        folder = subprocess.run([peer_python, "-c", GAP_DIR], capture_output=True, text=True,
                                check=True, env=env).stdout.strip()
        source = Path(folder) / "defaults" / f"{parts[1]}.gap"
        copy = scratch / source.name
        copy.write_text(source.read_text())
        return "gap", {"gap_file": str(copy)}, {"gap": parts[1]}
    spec = {"family": parts[0], "n": int(parts[1])}
    return "family", spec, spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", nargs="+", default=DEFAULT_CASES,
                        help="family:n, puzzle:cube_2x2x2:<metric> or gap:<name>")
    parser.add_argument("--peer-python", default="/tmp/bench-cayley/bin/python")
    parser.add_argument("--peer-algorithms", nargs="+", default=PEER_ALGORITHMS)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--repeat", type=int, default=1,
                        help="fresh runs per tool and algorithm; the fastest counts")
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2],
                        help="thread counts, each given to both tools alike")
    parser.add_argument("--estimates", action="store_true",
                        help="ours only: warm time against the engine's estimate")
    parser.add_argument("--peer-path", default="",
                        help="extra PYTHONPATH entry for CayleyPy (a pip --target folder)")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for case in args.cases:
            kind, ours_spec, peer_spec = _specs(case, args.peer_python, Path(scratch),
                                                args.peer_path)
            for threads in args.threads:
                ours = _fastest([_run(sys.executable, OURS,
                                      [kind, json.dumps(ours_spec), str(threads)], args.timeout,
                                      threads) for _ in range(args.repeat)])
                if args.estimates:
                    print(f"{case} @{threads}t: ours {ours.get('seconds', 0):.2f} s, estimate "
                          f"{ours.get('estimate_s', 0):.2f} s, ratio "
                          f"{ours.get('estimate_s', 0) / max(ours.get('seconds', 1e-9), 1e-9):.2f}"
                          f" (load {os.getloadavg()[0]:.1f})", flush=True)
                    continue
                algorithms = args.peer_algorithms if kind == "family" else ["bfs"]
                peers = {a: _fastest([_run(args.peer_python, PEER,
                                           [kind, json.dumps(peer_spec), a, str(threads)],
                                           args.timeout, threads, args.peer_path)
                                      for _ in range(args.repeat)])
                         for a in algorithms}
                rows.append(_compare(f"{case} @{threads}t", ours, peers))
                rows[-1]["load"] = os.getloadavg()[0]
                _print_row(rows[-1])
    print(json.dumps([{k: v for k, v in r.items() if k not in ("ours", "peers")} |
                      {"ours_s": r["ours"].get("seconds"),
                       "ours_peak_mb": r["ours"].get("peak_rss", 0) / 2**20,
                       "ours_algorithm": r["ours"].get("algorithm"),
                       "peers_s": {a: p.get("seconds", p.get("error"))
                                   for a, p in r["peers"].items()},
                       "peers_peak_mb": {a: p.get("peak_rss", 0) / 2**20
                                         for a, p in r["peers"].items()}}
                      for r in rows], indent=1))
    print(f"load average: {os.getloadavg()}")


def _compare(case: str, ours: dict, peers: dict) -> dict:
    ok_peers = {a: r for a, r in peers.items() if "error" not in r}
    best = min(ok_peers, key=lambda a: ok_peers[a]["seconds"]) if ok_peers else None
    row = {"case": case, "ours": ours, "peers": peers, "best_peer": best}
    if best and "error" not in ours:
        peer = ok_peers[best]
        row["same_layers"] = all(r["layer_sizes"] == ours["layer_sizes"]
                                 for r in ok_peers.values())
        row["speedup"] = peer["seconds"] / ours["seconds"]
        row["memory_ratio"] = ours["peak_rss"] / peer["peak_rss"]
    return row


def _print_row(row: dict) -> None:
    ours = row["ours"]
    if "error" in ours:
        print(f"{row['case']}: ours failed: {ours['error']}", flush=True)
        return
    peers = "; ".join(
        f"{a} {p['seconds']:.2f} s / {p['peak_rss'] / 2**20:.0f} MB" if "error" not in p
        else f"{a} {p['error']}" for a, p in row["peers"].items())
    line = (f"{row['case']}: ours {ours['seconds']:.2f} s / {ours['peak_rss'] / 2**20:.0f} MB "
            f"peak RSS ({ours['algorithm']}) | CayleyPy {peers}")
    if "speedup" in row:
        line += (f" | best peer {row['best_peer']}: ratio {row['speedup']:.1f}x faster, "
                 f"memory {row['memory_ratio']:.2f}x of peer | layers equal: "
                 f"{row['same_layers']}")
    print(line, flush=True)


if __name__ == "__main__":
    main()
