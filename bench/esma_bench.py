"""ESMA / continued-fraction benchmark: our evaluate_gcf against ramanujantools in the same run.

Peer: ``ramanujantools`` (PyPI, the Ramanujan Machine group's PCF toolkit); it has
no ESMA code, so the comparison is on the shared primitive, evaluating a
polynomial continued fraction to depth N (``PCF(a, b).limit(N)``), with its
lru cache cleared before every call.  The full ESMA search has no runnable
peer (the authors' ``ESMA/`` code does not import on current SymPy), so it is
timed alone on the authors' own unit-test configuration.

Run (the peer lives in a separate virtualenv that sees the system packages)::

    python -m venv --system-site-packages /tmp/bench-esma
    /tmp/bench-esma/bin/pip install ramanujantools==0.0.8
    /tmp/bench-esma/bin/python bench/esma_bench.py
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import mpmath  # noqa: E402

from mathdisco.engines.esma.job import run  # noqa: E402
from mathdisco.engines.esma.params import EsmaParams  # noqa: E402
from mathdisco.engines.numerics.continued_fractions import evaluate_gcf  # noqa: E402
from mathdisco.engines.numerics.formula import QuasiPolynomial  # noqa: E402


def best_of(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    print("load average:", os.getloadavg())
    try:
        import sympy
        from ramanujantools import Matrix
        from ramanujantools.pcf import PCF
    except ImportError:
        PCF = None
        print("ramanujantools not importable: peer column skipped (see the docstring)")

    a, b = QuasiPolynomial.polynomial([1, 1]), QuasiPolynomial.polynomial([0, 1])
    print("\nPCF(n+1, n) -> 1/(e-2): time to the depth-N convergent, best of 5")
    print(f"{'depth':>6} {'ours ms':>9} {'peer ms':>9} {'ratio':>7} {'digits':>7}")
    for depth in (100, 1000, 3000):
        dps = int(depth * 3.1) + 20
        ours = best_of(lambda depth=depth, dps=dps: evaluate_gcf(a, b, depth, dps), 5)
        with mpmath.workdps(dps):
            value = evaluate_gcf(a, b, depth, dps)
            digits = int(-mpmath.log10(abs(value - 1 / (mpmath.e - 2))))
        peer = float("nan")
        if PCF is not None:
            n = sympy.Symbol("n")
            pcf = PCF(n + 1, n)

            def peer_call(pcf=pcf, depth=depth, dps=dps) -> None:
                Matrix._walk_inner.cache_clear()
                limit = pcf.limit(depth)
                with mpmath.workdps(dps):
                    mpmath.mpf(int(limit.p())) / int(limit.q())

            peer = best_of(peer_call, 5)
        print(f"{depth:>6} {ours * 1e3:>9.2f} {peer * 1e3:>9.2f} {peer / ours:>7.1f} {digits:>7}")

    print("\nESMA search, the authors' unit test (e, sign periods 2..2, LHS degree 1, |c| <= 2, N = 105,")
    print("Approve at depth 1000 / 1000 digits)")
    params = EsmaParams(constant="e", min_sign_period=2, max_sign_period=2, n_terms=105)
    run(EsmaParams(constant="e", lhs_coefficient_bound=1, max_sign_period=1))  # numba compile
    start = time.perf_counter()
    result = run(params)
    elapsed = time.perf_counter() - start
    counts = result["counts"]
    print(f"  {counts['pairs']} pairs, {counts['bm_hits']} BM hits, {counts['approved']} approved, "
          f"{counts['distinct_values']} distinct values (authors' test expects 13) in {elapsed:.2f} s")

    print("\nESMA default search (LHS degree 1, |c| <= 2, sign periods 1..4, N = 100, Approve 1000/1000),")
    print("one core; strict = the original ESMA, pre-periods = expansions with a pre-period accepted too")
    print(f"{'constant':>16} {'mode':>12} {'pairs':>6} {'BM hits':>8} {'approved':>9} {'distinct':>9} "
          f"{'faster':>7} {'CPU s':>6} {'wall s':>7}")
    for constant in ("e", "e2", "tan1", "bessel_i0_i1_2", "bessel_i0_i1_1"):
        for strict in (True, False):
            params = EsmaParams(constant=constant, strict=strict)
            start, cpu = time.perf_counter(), time.process_time()
            result = run(params)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            counts = result["counts"]
            faster = sum(1 for c in result["conjectures"]
                         for f in [c, *c["alternatives"]] if f["faster_than_simple_cf"])
            print(f"{constant:>16} {'strict' if strict else 'pre-periods':>12} {counts['pairs']:>6} "
                  f"{counts['bm_hits']:>8} {counts['approved']:>9} {counts['distinct_values']:>9} "
                  f"{faster:>7} {cpu:>6.1f} {elapsed:>7.1f}")
    print("load average:", os.getloadavg())


if __name__ == "__main__":
    main()
