"""Per-PCF feature throughput: mathdisco's pcf engine vs ramanujantools 0.0.8 (same run).

What is timed, per PCF, at the paper's depth (N = 2000, n* = 1000):

* mathdisco: the whole feature row of engines.pcf.dynamics.pcf_features
  (limit, δ naive and FR, γ′/η′ fit, convergence law, eigenvalue ratio, δ_pred),
  batched as the job runs it;
* ramanujantools 0.0.8: ``PCF(a, b).delta(1000)`` (the FR δ alone, blind limit
  from depth 2000), run in its own virtualenv (``--rt-python``);
* "blind-delta recipe": the published approach as the reference describes it
  (exact recurrence to N with gcd(p_n, q_n) at every n, logarithms in 100,000-bit
  mpfr), re-implemented here from that description for a handful of PCFs.

PCFs are drawn uniformly (seed 0) from the paper's space (deg 2 / deg 2,
coefficients in [-5, 5]); terminating ones (b with a positive integer root) are
left out because ramanujantools raises on them.  The δ values of both tools are
compared on the common PCFs.  CPU time (``time.process_time``) is reported,
because the machine is shared; wall time is shown next to it.

Reproduce::

    python -m venv --system-site-packages /tmp/bench-pcf
    /tmp/bench-pcf/bin/pip install ramanujantools==0.0.8
    python bench/pcf_bench.py --rt-python /tmp/bench-pcf/bin/python
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from engines.pcf.dynamics import STATUS_NAMES, pcf_features  # noqa: E402
from engines.pcf.enumeration import CoefficientBox, first_positive_root  # noqa: E402
from engines.pcf.job import PCFClusterParams, feature_rows  # noqa: E402

PAPER_BOX = CoefficientBox(2, 2, -5, 5)
DEPTH = 2000

_RT_SCRIPT = r"""
import json, sys, time
import sympy
from ramanujantools.pcf import PCF
n = sympy.Symbol("n")
out = []
for a, b in json.load(open(sys.argv[1])):
    pa = sum(c * n**i for i, c in enumerate(a))
    pb = sum(c * n**i for i, c in enumerate(b))
    t = time.process_time()
    try:
        delta = float(PCF(pa, pb).delta(int(sys.argv[2])))
    except Exception as error:  # terminating / zero denominators raise
        delta = None
    out.append([delta, time.process_time() - t])
json.dump(out, open(sys.argv[3], "w"))
"""


def sample(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    index = np.sort(rng.choice(PAPER_BOX.count, size=count * 2, replace=False))
    a_rows, b_rows = [], []
    for i in index.tolist():
        a, b = PAPER_BOX.coefficients(i, i + 1)
        if first_positive_root(b)[0] == 0:
            a_rows.append(a[0])
            b_rows.append(b[0])
        if len(a_rows) == count:
            break
    return np.array(a_rows), np.array(b_rows)


def time_engine(a: np.ndarray, b: np.ndarray, batch: int = 128) -> tuple[dict, float, float]:
    pcf_features(a[:2], b[:2], DEPTH)  # compile / load the numba cache
    wall, cpu = time.perf_counter(), time.process_time()
    parts = [pcf_features(a[i:i + batch], b[i:i + batch], DEPTH) for i in range(0, len(a), batch)]
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    table = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return table, cpu, wall


def time_ramanujantools(python: str, a: np.ndarray, b: np.ndarray) -> tuple[list, float, float]:
    with tempfile.TemporaryDirectory(prefix="pcf-bench-") as scratch:
        script = os.path.join(scratch, "rt_delta.py")
        with open(script, "w") as f:
            f.write(_RT_SCRIPT)
        pcfs = os.path.join(scratch, "pcfs.json")
        with open(pcfs, "w") as f:
            json.dump([[x.tolist(), y.tolist()] for x, y in zip(a, b, strict=True)], f)
        out = os.path.join(scratch, "out.json")
        wall = time.perf_counter()
        subprocess.run([python, script, pcfs, str(DEPTH // 2), out], check=True, cwd=scratch)
        wall = time.perf_counter() - wall
        with open(out) as f:
            results = json.load(f)
    return results, sum(t for _, t in results), wall


def time_blind_delta_recipe(a: np.ndarray, b: np.ndarray) -> float:
    """CPU seconds per PCF of the published recipe (gcd at every n, 100k-bit mpfr logs)."""
    import gmpy2

    cpu = time.process_time()
    for coeffs_a, coeffs_b in zip(a.tolist(), b.tolist(), strict=True):
        with gmpy2.context(precision=100_000):
            p_prev, p, q_prev, q = gmpy2.mpz(1), gmpy2.mpz(coeffs_a[0]), gmpy2.mpz(0), gmpy2.mpz(1)
            reduced = []
            for n in range(1, DEPTH + 1):
                an = sum(c * pow(n, i) for i, c in enumerate(coeffs_a))
                bn = sum(c * pow(n, i) for i, c in enumerate(coeffs_b))
                p_prev, p = p, an * p + bn * p_prev
                q_prev, q = q, an * q + bn * q_prev
                g = gmpy2.gcd(p, q)
                reduced.append((p, q, g))
            if q == 0:
                continue
            limit = gmpy2.mpfr(p) / gmpy2.mpfr(q)
            for n in (6, 125, 250, 500, 1000):
                pn, qn, gn = reduced[n - 1]
                if qn != 0 and gn != 0:
                    err = abs(limit - gmpy2.mpfr(pn) / gmpy2.mpfr(qn))
                    if err > 0:
                        gmpy2.log(err)
                    gmpy2.log(abs(gmpy2.mpfr(qn) / gmpy2.mpfr(gn)))
    return (time.process_time() - cpu) / len(a)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rt-python", default="/tmp/bench-pcf/bin/python",
                        help="python of a virtualenv with ramanujantools==0.0.8")
    parser.add_argument("--engine-pcfs", type=int, default=4000)
    parser.add_argument("--rt-pcfs", type=int, default=200)
    parser.add_argument("--recipe-pcfs", type=int, default=5)
    parser.add_argument("--shard", action="store_true",
                        help="also time a 1%% shard of the paper space through the job")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}")

    a, b = sample(args.engine_pcfs)
    table, cpu, wall = time_engine(a, b)
    engine_rate = len(a) / cpu
    print(f"mathdisco pcf_features: {len(a)} PCFs, {cpu * 1e3 / len(a):.3f} CPU ms/PCF "
          f"({engine_rate:.0f} PCF/s per core), wall {wall:.2f} s")
    statuses = {STATUS_NAMES[int(s)]: int((table["status"] == s).sum())
                for s in np.unique(table["status"])}
    print(f"  statuses: {statuses}")

    rt_rate = None
    if args.rt_pcfs and os.path.exists(args.rt_python):
        k = args.rt_pcfs
        results, rt_cpu, rt_wall = time_ramanujantools(args.rt_python, a[:k], b[:k])
        rt_rate = k / rt_cpu
        print(f"ramanujantools 0.0.8 PCF.delta(1000): {k} PCFs, {rt_cpu * 1e3 / k:.1f} CPU "
              f"ms/PCF ({rt_rate:.1f} PCF/s per core), wall {rt_wall:.1f} s")
        diffs = [abs(float(table["delta"][i]) - d) for i, (d, _) in enumerate(results)
                 if d is not None and math.isfinite(d) and table["status"][i] == 0
                 and math.isfinite(table["delta"][i])]
        print(f"  delta agreement on {len(diffs)} common ok PCFs: max |diff| = "
              f"{max(diffs):.2e}, median {float(np.median(diffs)):.2e}")
        print(f"  SPEEDUP (CPU, per core): {engine_rate / rt_rate:.0f}x")
    if args.recipe_pcfs:
        per = time_blind_delta_recipe(a[: args.recipe_pcfs], b[: args.recipe_pcfs])
        print(f"blind-delta recipe (gcd every n, 100k-bit mpfr): {args.recipe_pcfs} PCFs, "
              f"{per * 1e3:.0f} CPU ms/PCF ({1 / per:.2f} PCF/s per core); "
              f"speedup {engine_rate * per:.0f}x")
    full = PAPER_BOX.count
    print(f"projection, full {full:,}-PCF space: {full / engine_rate / 3600:.2f} core-hours "
          f"= {full / engine_rate / 3600 / 2 * 60:.0f} min on 2 idle cores"
          + (f" (ramanujantools: {full / rt_rate / 3600:.0f} core-hours)" if rt_rate else ""))
    if args.shard:
        start = full // 2
        params = PCFClusterParams(depth=DEPTH, coefficient_min=-5, coefficient_max=5,
                                  index_start=start, index_stop=start + full // 100,
                                  stage="features")
        wall, cpu = time.perf_counter(), time.process_time()
        rows = feature_rows(params, lambda *args: None)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(f"1% shard through the job (stage='features', {len(rows):,} PCFs incl. "
              f"terminating): wall {wall:.1f} s, CPU {cpu:.1f} s "
              f"-> full space {cpu * 100 / 3600:.2f} core-hours")
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
