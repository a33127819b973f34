"""Benchmarks of the neural job types, in one run.

1. ``psi_intersections`` with its default budget (χ ≤ 14, train g ≤ 3, test
   g = 4..7) over several seeds: MAE of log10 on the unseen genera for the
   model and for the no-learning asymptotic baseline, their ratio, the share
   of predictions within 10%, conformal coverage.
2. ``sr_neural`` (DySymNet) and ``sr_mcts`` side by side on Nguyen-1..12:
   exact recovery (each engine's own symbolic-equivalence verdict) and time,
   same seed, same data protocol (20 points, DSO domains), same time limit.

Usage::

    python bench/neural_bench.py                       # everything
    python bench/neural_bench.py --skip-sr --psi-seeds 3
    python bench/neural_bench.py --skip-psi --sr-time 20 --sr-seeds 1

Prints a table and, with --json, one JSON object per measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout first (its mathdisco/ API); the engines come from `pip install -e .`


def bench_psi(seeds: int, emit) -> None:
    from mathdisco.engines.neural.params import PsiRegressionParams
    from mathdisco.engines.neural.psi_regression import run_psi_intersections

    print("\n## psi_intersections (default params: chi_max 14, train g<=3, test g=4..7)")
    print(f"{'seed':>4} {'model MAE log10':>16} {'asymptotic':>11} {'ratio':>6} {'within10%':>9} "
          f"{'within1%':>8} {'cov ID':>6} {'cov OOD':>7} {'time s':>6}")
    rows = []
    for seed in range(seeds):
        t0 = time.perf_counter()
        result = run_psi_intersections(PsiRegressionParams(seed=seed))
        wall = time.perf_counter() - t0
        model = result["metrics"]["ood_test"]
        base = result["baseline"]["metrics"]["ood_test"]
        row = {"seed": seed, "model_mae_log10": model["mae_log10"], "baseline_mae_log10": base["mae_log10"],
               "ratio": base["mae_log10"] / model["mae_log10"], "within_10pct": model["within_10pct"],
               "within_1pct": model["within_1pct"], "baseline_within_10pct": base["within_10pct"],
               "coverage_id": result["conformal"]["id_test"]["coverage"],
               "coverage_ood": result["conformal"]["ood_test"]["coverage"], "wall_s": wall}
        rows.append(row)
        emit({"bench": "psi_intersections", **row})
        print(f"{seed:>4} {row['model_mae_log10']:>16.4f} {row['baseline_mae_log10']:>11.4f} {row['ratio']:>6.1f} "
              f"{row['within_10pct']:>9.3f} {row['within_1pct']:>8.3f} {row['coverage_id']:>6.3f} "
              f"{row['coverage_ood']:>7.3f} {wall:>6.1f}")
    print(f"mean: model {statistics.mean(r['model_mae_log10'] for r in rows):.4f}, "
          f"asymptotic {statistics.mean(r['baseline_mae_log10'] for r in rows):.4f}, "
          f"ratio {statistics.mean(r['ratio'] for r in rows):.1f}x, "
          f"within 10% {statistics.mean(r['within_10pct'] for r in rows):.3f}")


def bench_sr(time_limit: float, seeds: int, problems: list[int], emit) -> None:
    from mathdisco.engines.neural.dysymnet import run_sr_neural
    from mathdisco.engines.neural.params import DySymNetParams
    from mathdisco.engines.registry import job_types

    sr_mcts = job_types().get("sr_mcts")
    print(f"\n## sr_neural vs sr_mcts on Nguyen (time limit {time_limit:g} s per run, {seeds} seed(s))")
    print(f"{'problem':>10} {'neural rec':>10} {'neural s':>8} {'mcts rec':>8} {'mcts s':>7}  neural best")
    totals = {"neural": [0, 0.0], "mcts": [0, 0.0]}
    for k in problems:
        for seed in range(seeds):
            t0 = time.perf_counter()
            neural = run_sr_neural(DySymNetParams(benchmark=f"nguyen-{k}", seed=seed, time_limit_s=time_limit))
            neural_s = time.perf_counter() - t0
            mcts_rec, mcts_s = None, None
            if sr_mcts is not None:
                t0 = time.perf_counter()
                mcts = sr_mcts.run(sr_mcts.validate({"benchmark": f"Nguyen-{k}", "seed": seed,
                                                     "time_limit_s": time_limit}), lambda *a: None)
                mcts_s = time.perf_counter() - t0
                mcts_rec = bool(mcts.get("recovered"))
            totals["neural"][0] += bool(neural["recovered"])
            totals["neural"][1] += neural_s
            if mcts_s is not None:
                totals["mcts"][0] += mcts_rec
                totals["mcts"][1] += mcts_s
            emit({"bench": "sr", "problem": f"Nguyen-{k}", "seed": seed, "neural_recovered": neural["recovered"],
                  "neural_s": neural_s, "neural_best": neural["best"]["expression"] if neural["best"] else None,
                  "mcts_recovered": mcts_rec, "mcts_s": mcts_s})
            best = neural["best"]["expression"] if neural["best"] else "-"
            print(f"{'Nguyen-' + str(k):>10} {str(neural['recovered']):>10} {neural_s:>8.1f} {str(mcts_rec):>8} "
                  f"{(mcts_s or 0):>7.1f}  {best[:60]}")
    runs = len(problems) * seeds
    print(f"recovered: sr_neural {totals['neural'][0]}/{runs} in {totals['neural'][1]:.0f} s; "
          f"sr_mcts {totals['mcts'][0]}/{runs} in {totals['mcts'][1]:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--psi-seeds", type=int, default=3)
    parser.add_argument("--sr-time", type=float, default=20.0)
    parser.add_argument("--sr-seeds", type=int, default=1)
    parser.add_argument("--sr-problems", default="1-12", help="e.g. 1-12 or 1,2,8")
    parser.add_argument("--skip-psi", action="store_true")
    parser.add_argument("--skip-sr", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if "-" in args.sr_problems:
        lo, hi = map(int, args.sr_problems.split("-"))
        problems = list(range(lo, hi + 1))
    else:
        problems = [int(p) for p in args.sr_problems.split(",")]

    def emit(row: dict) -> None:
        if args.json:
            print(json.dumps(row), flush=True)

    print(f"load average: {os.getloadavg()}")
    if not args.skip_psi:
        bench_psi(args.psi_seeds, emit)
    if not args.skip_sr:
        bench_sr(args.sr_time, args.sr_seeds, problems, emit)
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
