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


Recall section (``--recall a1b2,slice``): for each box, the engine's
``pcf_cluster`` run against an exhaustive identification pass written in this
file, independently of the engine: every PCF is evaluated by the plain
three-term recurrence in gmpy2 (no binary splitting), and the slow
constant-``a`` members by this file's own modified approximant (the tail
expansion solved in powers of ``1/n`` by undetermined coefficients, not the
engine's ``n^(-1/2)`` series); every member with >= 40 digits is then tried by
PSLQ against every basis constant (Möbius ``x L + y L K + z + w K = 0``) and
for a quadratic; rational limits are set aside.  Printed: the truth set, the
engine's set, recall, precision (engine formulas this file's own evaluation
confirms against their closed forms to the digits they claim) and the time of
both, side by side.

Reproduce::

    python -m venv --system-site-packages /tmp/bench-pcf
    /tmp/bench-pcf/bin/pip install ramanujantools==0.0.8
    python bench/pcf_bench.py --rt-python /tmp/bench-pcf/bin/python
    flock /work/wt/heavy.lock nice -n 5 python bench/pcf_bench.py --recall a1b2,slice --engine-pcfs 0
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

import gmpy2
import mpmath
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from mathdisco.engines.numerics.constants import constant_value  # noqa: E402
from mathdisco.engines.numerics.expressions import constant_expression_value  # noqa: E402
from mathdisco.engines.pcf.dynamics import STATUS_NAMES, pcf_features  # noqa: E402
from mathdisco.engines.pcf.enumeration import CoefficientBox, first_positive_root  # noqa: E402
from mathdisco.engines.pcf.job import PCFClusterParams  # noqa: E402
from mathdisco.engines.pcf.job import run as run_job  # noqa: E402
from mathdisco.engines.pcf.table import box_rows  # noqa: E402

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
    import numba

    numba.set_num_threads(1)  # per-core figures: the job's default (threads=1)
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


BASIS = ["pi", "e", "e2", "sqrt_e", "ln2", "ln3", "zeta3", "catalan", "pi2", "tan1",
         "bessel_i0_i1_1", "bessel_i0_i1_2", "gauss", "lemniscate", "lemniscate_gauss",
         "sqrt2", "sqrt3", "sqrt5", "phi"]
RECALL_BOXES = {
    "a1b2": (1, 2, -2, 2),    # the box: 2,976 PCFs
    "slice": (0, 2, -4, 4),   # the paper's discovery slice: a constant, b quadratic, 5,824 PCFs
    "a1b1": (1, 1, -5, 5),    # 14,400 PCFs
}
MIN_DIGITS = 40
DPS = 130


# -- this file's own evaluation -------------------------------------------------------------

def poly(c, n):
    return sum(ci * n**i for i, ci in enumerate(c))


def terminates(b):
    bound = max(abs(x) for x in b) + 1
    return any(poly(b, n) == 0 for n in range(1, bound + 1)) and any(b)


def plain_convergents(a, b, depths):
    """p_n, q_n at the given depths by the plain recurrence."""
    p0, p1, q0, q1 = gmpy2.mpz(1), gmpy2.mpz(a[0]), gmpy2.mpz(0), gmpy2.mpz(1)
    out, last = {}, max(depths)
    for n in range(1, last + 1):
        an, bn = poly(a, n), poly(b, n)
        p0, p1 = p1, an * p1 + bn * p0
        q0, q1 = q1, an * q1 + bn * q0
        if n in depths:
            out[n] = (p0, p1, q0, q1)
    return out


def tail_coefficients(a0, b, terms):
    """t_n = n * sum_k c_k n^-k solving t_n (a0 + t_{n+1}) = b(n + 1), B2 > 0 (undetermined coefficients).

    With x = 1/n: t_{n+1} = (n+1) * sum_k c_k (n+1)^-k; expand (n+1)^(1-k) = n^(1-k) (1 + x)^(1-k)
    and match powers of x.  Order 0: c_0^2 = B2; order j: 2 c_0 c_j + (known) = rhs_j.
    """
    b0, b1, b2 = (list(b) + [0, 0, 0])[:3]
    c = [mpmath.sqrt(b2) * (1 if a0 > 0 else -1)]
    # shifted[k][j]: coefficient of x^j in (1 + x)^(1 - k), times x^k (so total power k + j)
    rhs = {0: mpmath.mpf(b2), 1: mpmath.mpf(2 * b2 + b1), 2: mpmath.mpf(b2 + b1 + b0)}

    def shifted_coefficient(k, power):  # coefficient of x^power in x^k (1 + x)^(1 - k)
        j = power - k
        return mpmath.binomial(1 - k, j) if j >= 0 else 0

    def coefficient(order: int) -> mpmath.mpf:
        total = mpmath.mpf(0)
        for i in range(order + 1):
            second = (a0 if order - i == 1 else 0) + sum(c[k] * shifted_coefficient(k, order - i)
                                                         for k in range(order - i + 1))
            total += c[i] * second
        return total - rhs.get(order, 0)

    for order in range(1, terms + 1):
        c.append(mpmath.mpf(0))
        without = coefficient(order)
        c[order] = mpmath.mpf(1)
        slope = coefficient(order) - without
        c[order] = -without / slope
    return c


def tail_estimate(a, b, depth, coefficients):
    p0, p1, q0, q1 = plain_convergents(a, b, {depth})[depth]
    x = mpmath.mpf(1) / depth
    w = depth * mpmath.fsum(ck * x**k for k, ck in enumerate(coefficients))
    return (p1 + w * p0) / (q1 + w * q0)


def trimmed(c):
    c = list(c)
    while len(c) > 1 and c[-1] == 0:
        c.pop()
    return c


def independent_value(a, b):
    """(value, digits, method) by this file's own means."""
    a, b = trimmed(a), trimmed(b)
    with mpmath.workdps(DPS + 20):
        got = plain_convergents(a, b, {2000, 4000})
        (_, p_half, _, q_half), (_, p, _, q) = got[2000], got[4000]
        if q == 0 or q_half == 0:
            return None, 0, "zero denominator"
        x, half = mpmath.mpf(p) / q, mpmath.mpf(p_half) / q_half
        digits = DPS if x == half else int(-mpmath.log10(abs(x - half) / max(1, abs(x))))
        if digits >= MIN_DIGITS or len(a) != 1 or a[0] == 0 or len(b) < 3 or b[2] <= 0:
            return x, min(digits, DPS), "convergents"
        coefficients = tail_coefficients(a[0], b, 40)
        first, second = tail_estimate(a, b, 2048, coefficients), tail_estimate(a, b, 4096, coefficients)
        digits = DPS if first == second else int(-mpmath.log10(abs(first - second) / max(1, abs(second))))
        return second, min(digits, DPS), "tail"


def _holds(relation, basis, digits: int, search: int) -> bool:
    terms = [r * v for r, v in zip(relation, basis, strict=True) if r]
    scale = max(abs(t) for t in terms)
    size = sum(math.log10(abs(r)) for r in relation if r)
    return abs(mpmath.fsum(terms)) < scale * mpmath.mpf(10) ** -(digits - 5) and search >= size + 8


def _pslq(basis, maxcoeff: int, search: int):
    with mpmath.workdps(search):
        try:
            return mpmath.pslq([+v for v in basis], maxcoeff=maxcoeff, maxsteps=20_000)
        except ValueError:
            return None


def identify_independently(x, digits: int, constants: dict) -> tuple | None:
    """(constant or "quadratic", relation) by PSLQ, None for rational or unidentified limits."""
    search = min(digits - 10, 60)
    with mpmath.workdps(DPS + 20):
        if abs(x) < mpmath.mpf(10) ** -30:
            return None
        rational = _pslq([x, 1], 10**12, search)
        if rational and _holds(rational, [x, 1], digits, search):
            return None
        quadratic = _pslq([x * x, x, 1], 10**5, search)
        if quadratic and quadratic[0] and _holds(quadratic, [x * x, x, 1], digits, search):
            return "quadratic", tuple(quadratic)
        for name, k in constants.items():
            if name in ("sqrt2", "sqrt3", "sqrt5", "phi"):
                continue  # quadratic: found above
            basis = [x, x * k, 1, k]
            r = _pslq(basis, 10**5, search)
            if r and (r[0] or r[1]) and (r[1] or r[3]) and _holds(r, basis, digits, search):
                return name, tuple(r)
    return None


def exhaustive(box: CoefficientBox) -> tuple[dict[int, tuple], dict[int, tuple]]:
    """(truth: index -> (constant, relation), values: index -> (value, digits, method))."""
    constants = {name: constant_value(name, DPS + 20) for name in BASIS}
    truth, values = {}, {}
    a_all, b_all = box.coefficients(0, box.count)
    for index in range(box.count):
        a, b = a_all[index].tolist(), b_all[index].tolist()
        if terminates(b):
            continue
        x, digits, method = independent_value(a, b)
        if x is None or not mpmath.isfinite(x) or abs(x) > 1000:
            continue
        values[index] = (x, digits, method)
        if digits >= MIN_DIGITS:
            found = identify_independently(x, digits, constants)
            if found is not None:
                truth[index] = found
    return truth, values


# -- the comparison -----------------------------------------------------------------------------

def recall_box(name: str, spec: tuple[int, int, int, int]) -> dict:
    box = CoefficientBox(*spec)
    params = PCFClusterParams(a_degree=spec[0], b_degree=spec[1], coefficient_min=spec[2],
                              coefficient_max=spec[3], depth=2000, constants=BASIS)
    wall, cpu = time.perf_counter(), time.process_time()
    result = run_job(params)
    engine_wall, engine_cpu = time.perf_counter() - wall, time.process_time() - cpu
    wall, cpu = time.perf_counter(), time.process_time()
    truth, values = exhaustive(box)
    pass_wall, pass_cpu = time.perf_counter() - wall, time.process_time() - cpu
    found = {f["index"]: f for f in result["identified"]}
    hits = [i for i in truth if i in found]
    misses = sorted(set(truth) - set(found))
    confirmed, confirmed_lower, wrong = 0, 0, []
    for index, formula in found.items():
        x, digits, _ = values.get(index, (None, 0, ""))
        if x is None:
            wrong.append((index, "not evaluated here"))
            continue
        claimed = formula["verified_digits"]
        with mpmath.workdps(DPS + 20):
            closed = constant_expression_value(formula["equals"], DPS + 10)
            agree = int(-mpmath.log10(abs(x - closed) / max(1, abs(x)))) if x != closed else DPS
        if agree >= min(claimed, digits) - 1:
            if digits >= claimed - 1:
                confirmed += 1
            else:
                confirmed_lower += 1
        else:
            wrong.append((index, formula["equals"], claimed, agree))
    counts = result["identification"]["counts"]
    print(f"\n== box {name}: deg a <= {spec[0]}, deg b <= {spec[1]}, coefficients "
          f"[{spec[2]}, {spec[3]}]: {box.count:,} PCFs ==")
    print(f"members evaluated here: {len(values):,} (>= {MIN_DIGITS} digits: "
          f"{sum(1 for v in values.values() if v[1] >= MIN_DIGITS):,}; "
          f"by tail: {sum(1 for v in values.values() if v[2] == 'tail'):,})")
    print(f"exhaustive pass: {len(truth)} identified irrational limits, "
          f"wall {pass_wall:.1f} s, CPU {pass_cpu:.1f} s")
    print(f"engine: {len(found)} formulas (tried {counts.get('tried', 0):,} members, "
          f"{counts.get('slow', 0):,} by the depth ladder), wall {engine_wall:.1f} s, "
          f"CPU {engine_cpu:.1f} s")
    recall = len(hits) / len(truth) if truth else 1.0
    precision = (confirmed + confirmed_lower) / len(found) if found else 1.0
    print(f"RECALL {recall:.1%} ({len(hits)}/{len(truth)}); PRECISION {precision:.1%} "
          f"({confirmed} confirmed to their claimed digits, {confirmed_lower} to this file's "
          f"fewer digits, {len(wrong)} not confirmed); engine-only formulas: "
          f"{len(set(found) - set(truth))}")
    for index in misses[:20]:
        a, b = box.coefficients(index, index + 1)
        print(f"  missed: {index} a={a[0].tolist()} b={b[0].tolist()} {truth[index]}")
    for entry in wrong[:20]:
        print(f"  NOT CONFIRMED: {entry}")
    return {"recall": recall, "precision": precision}



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rt-python", default="/tmp/bench-pcf/bin/python",
                        help="python of a virtualenv with ramanujantools==0.0.8")
    parser.add_argument("--engine-pcfs", type=int, default=4000)
    parser.add_argument("--rt-pcfs", type=int, default=200)
    parser.add_argument("--recipe-pcfs", type=int, default=5)
    parser.add_argument("--shard", action="store_true",
                        help="also time a 1%% shard of the paper space through the job")
    parser.add_argument("--recall", default="",
                        help=f"boxes for the recall section, comma-separated, of {sorted(RECALL_BOXES)}")
    parser.add_argument("--closed-forms", default="",
                        help="closed-form coverage of the deg (1, 2) box LO,HI "
                             "(bench/pcf_closed_form_coverage.py)")
    parser.add_argument("--hypotheses", default="",
                        help="hypothesis recall on boxes, comma-separated "
                             "(bench/pcf_hypothesis_recall.py: a1b1, a1b1+, a1b2)")
    parser.add_argument("--verify", default="600",
                        help="closed-form statements re-verified numerically: a count or 'all'")
    parser.add_argument("--named", type=int, default=0,
                        help="closed-form statements named by derivation, on a sample this large")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}")
    if args.closed_forms:
        from pcf_closed_form_coverage import coverage
        low, high = (int(v) for v in args.closed_forms.split(","))
        coverage(low, high, args.verify)
        if args.named:
            from pcf_closed_form_coverage import named_share
            named_share(low, high, args.named)
    if args.engine_pcfs:
        throughput(args)
    for name in filter(None, args.recall.split(",")):
        recall_box(name, RECALL_BOXES[name])
    for name in filter(None, args.hypotheses.split(",")):
        from pcf_hypothesis_recall import recall as hypothesis_recall
        print(f"hypothesis recall, box {name}:")
        hypothesis_recall(name)
    print(f"load average: {os.getloadavg()}")


def throughput(args: argparse.Namespace) -> None:
    """The per-PCF feature throughput, side by side with ramanujantools and the recipe."""
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
        rows, _, _ = box_rows(params)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(f"1% shard through the job (stage='features': features and identification, "
              f"{len(rows):,} PCFs incl. terminating): wall {wall:.1f} s, CPU {cpu:.1f} s "
              f"-> full space {cpu * 100 / 3600:.2f} core-hours")


if __name__ == "__main__":
    main()
