"""Closed-form coverage of deg (1, 2) PCF boxes (issue 26, part A); called by pcf_bench.py.

For the box ``deg a <= 1``, ``deg b <= 2``, coefficients in ``[lo, hi]``:

1. *convergent*: this file's own float test -- the plain recurrence in float64
   (rescaled every step) to depth 16000; a PCF converges when its convergents
   are finite, below 1e12 in size (convergents running off to infinity look
   stationary in relative terms), and either agree to 1e-10 (float rounding)
   at the end, or converge visibly slowly: the steps |x(2N) - x(N)| for
   N = 2000, 4000, 8000 and the gaps |x(N) - x(N-1)| for N = 2000 ... 16000
   each shrink by a factor < 0.8 (error ~ n^-s shrinks by 2^-s; slow members
   alternate around their limit), the last step is below 1e-2, and the last
   convergents of each parity (15994..16000) spread less than the last step.
   An oscillation whose period divides 2000, or one of slowly varying
   amplitude (characteristic roots of equal modulus), fails one of these;
2. *covered*: :func:`mathdisco.engines.pcf.closed_forms.closed_form` states a form
   (timed), counted per theorem; the convergent members without one are
   listed by their case (characteristic discriminant ``D = A1^2 + 4 B2``);
3. *proof re-check*: :func:`mathdisco.engines.pcf.closed_forms.check_proof` on every
   statement (parameters substituted into the theorem's own fraction, exact);
4. *independent numerical check* at >= 30 digits on a seeded sample (every
   statement with ``--verify all``): the PCF by ``pcf_bench.independent_value``
   (plain gmpy2 recurrence, the bench's own tail expansion; deeper plain
   convergents when that is short of digits), against (i) the statement's
   expression text evaluated by sympy/mpmath and (ii) the theorem's value at
   the stated parameters with mpmath's own functions.  Statements on members
   the float test calls divergent are checked the same way.  Where the
   theorem says the convergence is polynomial, ``n^-s`` (``pincherle_gamma``,
   ``s = alpha - beta``; a periodic fraction with a double root, ``s = 1``),
   the PCF value is Richardson-extrapolated with that exponent; a
   ``terminating`` statement is re-evaluated exactly as the finite fraction.

Run::

    python bench/pcf_bench.py --engine-pcfs 0 --closed-forms=-4,4 --verify 600
"""

from __future__ import annotations

import collections
import itertools
import os
import random
import sys
import time

import mpmath
import numpy as np
import sympy

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from mathdisco.engines.pcf.closed_forms import check_proof, closed_form  # noqa: E402
from mathdisco.engines.pcf.hypergeometric_theorems import (  # noqa: E402
    expression_value,
    theorem_value,
)

DEPTHS = (1999, 2000, 3999, 4000, 7999, 8000, 15994, 15995, 15996, 15997, 15998, 15999, 16000)
VERIFY_DIGITS = 30


def box(lo: int, hi: int) -> np.ndarray:
    """Rows ``(A0, A1, B0, B1, B2)`` of the box."""
    return np.array(list(itertools.product(range(lo, hi + 1), repeat=5)), dtype=np.int64)


def float_convergent(rows: np.ndarray) -> np.ndarray:
    """The float test (module docstring), vectorised over the rows."""
    a0, a1, b0, b1, b2 = (rows[:, i].astype(np.float64) for i in range(5))
    p0, p1 = np.ones(len(rows)), a0.copy()
    q0, q1 = np.zeros(len(rows)), np.ones(len(rows))
    x = {}
    with np.errstate(all="ignore"):
        for k in range(1, DEPTHS[-1] + 1):
            an, bn = a1 * k + a0, (b2 * k + b1) * k + b0
            p0, p1 = p1, an * p1 + bn * p0
            q0, q1 = q1, an * q1 + bn * q0
            scale = np.maximum.reduce([np.abs(p0), np.abs(p1), np.abs(q0), np.abs(q1)])
            scale[~np.isfinite(scale) | (scale == 0)] = 1.0
            p0, p1, q0, q1 = p0 / scale, p1 / scale, q0 / scale, q1 / scale
            if k in DEPTHS:
                x[k] = p1 / q1
        size = np.maximum(1.0, np.abs(x[16000]))
        finite = np.all([np.isfinite(v) for v in x.values()], axis=0)
        # a limit this large is a convergent running off to infinity (q_n -> 0 relative to p_n)
        bounded = np.abs(x[16000]) < 1e12
        steps = [np.abs(x[2 * n] - x[n]) / size for n in (2000, 4000, 8000)]
        gaps = [np.abs(x[n] - x[n - 1]) / size for n in (2000, 4000, 8000, 16000)]
        even = np.array([x[d] for d in DEPTHS[6:] if d % 2 == 0])
        odd = np.array([x[d] for d in DEPTHS[6:] if d % 2])
        spread = np.maximum(even.max(axis=0) - even.min(axis=0),
                            odd.max(axis=0) - odd.min(axis=0)) / size
        tiny = 1e-10  # float rounding
        exact = (steps[-1] <= tiny) & (spread <= tiny) & (gaps[-1] <= tiny)
        shrinking = np.ones(len(rows), dtype=bool)
        for seq in (steps, gaps):
            for old, new in zip(seq, seq[1:], strict=False):
                shrinking &= (new <= tiny) | (new < 0.8 * old)
        slow = shrinking & (steps[-1] < 1e-2) & (gaps[-1] < 0.1) & (
            spread <= np.maximum(steps[-1], tiny))
        return finite & bounded & (exact | slow)


def _case(row) -> str:
    a0, a1, b0, b1, b2 = (int(v) for v in row)
    if b2:
        d = a1 * a1 + 4 * b2
        return "D > 0" if d > 0 else ("D = 0" if d == 0 else "D < 0")
    if a1:
        return "B2 = 0, A1 != 0"
    return "B2 = A1 = 0, B1 != 0" if b1 else "B2 = A1 = B1 = 0"


def _deep_value(a, b, digits: int):
    """The bench's own PCF value: pcf_bench's, then deeper convergents if short of digits.

    The deeper ladder (8192, 16384, ... 131072) runs the plain recurrence in
    mpmath floats at ``digits + 30`` digits, rescaled every 64 steps (exact
    integers of a million bits would cost minutes a member).
    """
    from pcf_bench import independent_value, trimmed
    value, got, _ = independent_value(a, b)
    if value is not None and got >= digits + 5:
        return value, got
    a, b = trimmed(a), trimmed(b)

    def poly(c, k):
        return sum(ci * k**i for i, ci in enumerate(c))
    with mpmath.workdps(digits + 30):
        p0, p1, q0, q1 = mpmath.mpf(1), mpmath.mpf(a[0]), mpmath.mpf(0), mpmath.mpf(1)
        previous, best = None, (value, got)
        for k in range(1, 131_073):
            an, bn = poly(a, k), poly(b, k)
            p0, p1 = p1, an * p1 + bn * p0
            q0, q1 = q1, an * q1 + bn * q0
            if k % 64 == 0:
                scale = max(abs(p1), abs(q1), abs(p0), abs(q0))
                if scale:
                    p0, p1, q0, q1 = p0 / scale, p1 / scale, q0 / scale, q1 / scale
            if k & (k - 1) == 0 and k >= 8192 and q1 != 0:
                current = p1 / q1
                if previous is not None:
                    gap = abs(current - previous)
                    got = digits + 20 if gap == 0 else int(-mpmath.log10(gap / max(1, abs(current))))
                    if got > best[1]:
                        best = (current, got)
                    if got >= digits + 5:
                        return current, got
                previous = current
    return best


def _extrapolated_value(a, b, exponent: sympy.Expr, digits: int, points: int = 20, first: int = 1000,
                        ratio: float = 1.25):
    """The limit of a polynomially converging PCF, error ``~ n^-s (c_0 + c_1/n + ...)``.

    Convergents at ``n = first * ratio^j``, ``j < points`` (mpmath recurrence),
    then the linear system ``x_n = L + sum c_jk n^(-j s - k)`` solved for ``L``
    (Richardson extrapolation with a known, possibly irrational, exponent);
    digits from the agreement of the solutions with all points and one fewer.
    """
    from pcf_bench import trimmed
    a, b = trimmed(a), trimmed(b)

    def poly(c, k):
        return sum(ci * k**i for i, ci in enumerate(c))
    with mpmath.workdps(digits + 120):
        p0, p1, q0, q1 = mpmath.mpf(1), mpmath.mpf(a[0]), mpmath.mpf(0), mpmath.mpf(1)
        xs, ns = [], []
        depths = {int(first * ratio**j) for j in range(points)}
        for k in range(1, max(depths) + 1):
            an, bn = poly(a, k), poly(b, k)
            p0, p1 = p1, an * p1 + bn * p0
            q0, q1 = q1, an * q1 + bn * q0
            if k % 64 == 0:
                scale = max(abs(p1), abs(q1), abs(p0), abs(q0))
                p0, p1, q0, q1 = p0 / scale, p1 / scale, q0 / scale, q1 / scale
            if k in depths:
                if q1 == 0:
                    return None, 0
                xs.append(p1 / q1)
                ns.append(mpmath.mpf(k))

        # x_n - L = sum c_jk n^-(j s + k): the convergent's denominator mixes the
        # minimal solution in too, so powers of n^-s appear, not only n^-s itself
        exponents = sorted({j * exponent + k for j in (1, 2, 3, 4) for k in range(points)},
                           key=lambda e: float(e))
        exponents = [mpmath.mpmathify(sympy.N(e, digits + 130)) for e in exponents]

        def solve(m):
            rows = [[1] + [n ** -e for e in exponents[:m - 1]] for n in ns[-m:]]
            return mpmath.lu_solve(mpmath.matrix(rows), mpmath.matrix(xs[-m:]))[0]
        full, fewer = solve(points), solve(points - 1)
        gap = abs(full - fewer)
        got = digits + 20 if gap == 0 else int(-mpmath.log10(gap / max(1, abs(full))))
        return full, got


def _convergence_exponent(form) -> sympy.Expr | None:
    """``s`` of the error ``~ n^-s`` where the theorem says it is polynomial (else None)."""
    p = {k: sympy.sympify(v) for k, v in form["parameters"].items() if v is not None}
    if form["theorem"] == "pincherle_gamma" and p["alpha"] != p["beta"]:
        return sympy.re(p["alpha"] - p["beta"])  # exact: a float exponent costs digits
    if form["theorem"] == "periodic" and p["a"] ** 2 + 4 * p["b"] == 0:
        return sympy.Integer(1)
    return None


def _terminating_holds(a, b, form) -> bool:
    """The bench's own finite evaluation of a terminating statement, exactly."""
    from fractions import Fraction

    def poly(c, k):
        return sum(ci * k**i for i, ci in enumerate(c))
    root = int(form["parameters"]["root"])
    if poly(b, root) != 0 and any(b):
        return False
    p0, p1, q0, q1 = 1, poly(a, 0), 0, 1
    for k in range(1, root):
        p0, p1 = p1, poly(a, k) * p1 + poly(b, k) * p0
        q0, q1 = q1, poly(a, k) * q1 + poly(b, k) * q0
    return q1 != 0 and Fraction(p1, q1) == Fraction(form["parameters"]["value"])


def _agree(x, y, cap: int) -> int:
    if x is None or y is None or not (mpmath.isfinite(x) and mpmath.isfinite(y)):
        return 0
    gap = abs(x - y)
    return cap if gap == 0 else int(min(cap, max(0, -mpmath.log10(gap / max(1, abs(x))))))


def verify(a, b, form, digits: int = VERIFY_DIGITS) -> int:
    """Digits to which both closed-form numbers match the bench's own PCF value."""
    if form["theorem"] == "terminating":
        return digits + 10 if _terminating_holds(a, b, form) else 0
    with mpmath.workdps(digits + 30):
        value, got = _deep_value(a, b, digits)
        exponent = _convergence_exponent(form)
        if got < digits + 5 and exponent is not None:
            value, got = _extrapolated_value(a, b, exponent, digits)
        expression = sympy.sympify(form["expression"],
                                   locals={"hyper": sympy.hyper, "meijerg": sympy.meijerg})
        try:
            text = mpmath.mpmathify(sympy.N(expression, digits + 20))
        except ValueError:  # mpmath cannot reach a relative accuracy on an exact zero
            text = expression_value(form["expression"], digits + 20)
        thm = theorem_value(form["theorem"], form["parameters"], digits + 10)
        out = []
        for y in (text, thm):
            if isinstance(y, mpmath.mpc):
                y = y.real if abs(y.imag) <= mpmath.mpf(10) ** -(digits + 5) else None
            out.append(_agree(value, y, digits + 10))
        return min(min(out), got)


def coverage(lo: int, hi: int, verify_count: int | str = 600, seed: int = 0) -> dict:
    """Run the four steps (module docstring) on one box and print the figures."""
    print(f"closed-form coverage, box deg a <= 1, deg b <= 2, coefficients in [{lo}, {hi}]; "
          f"load average {os.getloadavg()}")
    rows = box(lo, hi)
    t0 = time.perf_counter()
    convergent = float_convergent(rows)
    t_float = time.perf_counter() - t0
    print(f"  {len(rows)} PCFs, {int(convergent.sum())} convergent by the float test "
          f"({t_float:.1f} s)")
    t0 = time.perf_counter()
    forms = {}
    for i, row in enumerate(rows):
        a, b = [int(row[0]), int(row[1])], [int(row[2]), int(row[3]), int(row[4])]
        form = closed_form(a, b, name=False)
        if form is not None:
            forms[i] = (a, b, form)
    t_forms = time.perf_counter() - t0
    by_theorem = collections.Counter(f["theorem"] for i, (_, _, f) in forms.items() if convergent[i])
    uncovered = [i for i in np.flatnonzero(convergent) if i not in forms]
    on_divergent = [i for i in forms if not convergent[i]]
    covered = int(convergent.sum()) - len(uncovered)
    print(f"  closed_form on all {len(rows)} PCFs: {t_forms:.1f} s "
          f"({1e3 * t_forms / len(rows):.2f} ms each)")
    print(f"  covered: {covered}/{int(convergent.sum())} convergent "
          f"({100 * covered / max(1, int(convergent.sum())):.2f} %); not terminating: "
          f"{covered - by_theorem.get('terminating', 0)}/"
          f"{int(convergent.sum()) - by_theorem.get('terminating', 0)}")
    for name, count in by_theorem.most_common():
        print(f"    {name:15s} {count}")
    cases = collections.Counter(_case(rows[i]) for i in uncovered)
    print(f"  convergent, no closed form: {len(uncovered)} by case {dict(cases)}")
    for i in uncovered[:12]:
        print(f"    e.g. a = {rows[i][:2].tolist()}, b = {rows[i][2:].tolist()}")
    print(f"  statements on members the float test calls divergent: {len(on_divergent)} "
          f"by theorem {dict(collections.Counter(forms[i][2]['theorem'] for i in on_divergent))}")
    t0 = time.perf_counter()
    failed_proofs = [i for i, (a, b, f) in forms.items() if not check_proof(a, b, f)]
    t_proofs = time.perf_counter() - t0
    print(f"  proofs re-checked exactly: {len(forms) - len(failed_proofs)}/{len(forms)} hold "
          f"({t_proofs:.1f} s)")
    keys = sorted(forms)
    if verify_count != "all":
        rng = random.Random(seed)
        keys = sorted(rng.sample(keys, min(int(verify_count), len(keys))))
        # every theorem and the divergent-labelled statements get their share
        for name in set(f["theorem"] for _, _, f in forms.values()):
            same = [i for i in forms if forms[i][2]["theorem"] == name]
            keys += rng.sample(same, min(20, len(same)))
        keys = sorted(set(keys) | set(on_divergent))
    # alpha = beta: convergence like 1/log n (docs/pcf_closed_forms.md), out of numerical reach
    logarithmic = [i for i in keys if forms[i][2]["theorem"] == "pincherle_gamma"
                   and forms[i][2]["parameters"]["alpha"] == forms[i][2]["parameters"]["beta"]]
    keys = [i for i in keys if i not in set(logarithmic)]
    t0 = time.perf_counter()
    short = []
    for i in keys:
        a, b, f = forms[i]
        if verify(a, b, f) < VERIFY_DIGITS:
            short.append(i)
    t_verify = time.perf_counter() - t0
    print(f"  proved, converging like 1/log n, not checked numerically: {len(logarithmic)} "
          f"{[forms[i][:2] for i in logarithmic[:6]]}")
    print(f"  numerically re-verified at >= {VERIFY_DIGITS} digits (bench's own PCF value vs "
          f"expression text and vs theorem parameters): {len(keys) - len(short)}/{len(keys)} "
          f"({t_verify:.1f} s)")
    for i in short[:20]:
        a, b, f = forms[i]
        print(f"    SHORT: a = {a}, b = {b}, {f['theorem']} {f['parameters']}, "
              f"float-convergent {bool(convergent[i])}")
    print(f"  load average {os.getloadavg()}")
    return {"pcfs": len(rows), "convergent": int(convergent.sum()), "covered": covered,
            "by_theorem": dict(by_theorem), "uncovered": len(uncovered),
            "failed_proofs": len(failed_proofs), "verified": len(keys) - len(short),
            "checked": len(keys)}


def named_share(lo: int, hi: int, count: int = 200, seed: int = 0) -> dict:
    """How many statements sympy's derivation names (``named``), on a seeded sample.

    ``count`` convergent, non-terminating members of the box drawn at random;
    ``closed_form(..., name=True)`` on each (timed); printed: named in the safe
    grammar, with an elementary form outside it (``erfc``, ``besselj``), per
    theorem, and a few examples.
    """
    rows = box(lo, hi)
    rng = np.random.default_rng(seed)
    rows = rows[rng.permutation(len(rows))]
    rows = rows[float_convergent(rows)]
    named, elementary, total = collections.Counter(), collections.Counter(), collections.Counter()
    examples = []
    t0 = time.perf_counter()
    for row in rows:
        if sum(total.values()) >= count:
            break
        a, b = [int(row[0]), int(row[1])], [int(row[2]), int(row[3]), int(row[4])]
        form = closed_form(a, b)
        if form is None or form["theorem"] == "terminating":
            continue
        total[form["theorem"]] += 1
        if form["named"]:
            named[form["theorem"]] += 1
            if len(examples) < 8:
                examples.append((a, b, form["named"]["equals"]))
        elif form["elementary"]:
            elementary[form["theorem"]] += 1
    seconds = time.perf_counter() - t0
    n = sum(total.values())
    print(f"  named by derivation (sample of {n} convergent non-terminating members of "
          f"[{lo}, {hi}]): {sum(named.values())} in the safe grammar, "
          f"{sum(elementary.values())} more with an elementary form outside it; "
          f"{seconds:.1f} s ({seconds / max(1, n):.2f} s each); load {os.getloadavg()}")
    for theorem in total:
        print(f"    {theorem:15s} {named[theorem]}/{total[theorem]} named, "
              f"{elementary[theorem]} elementary only")
    for a, b, equals in examples:
        print(f"    e.g. a = {a}, b = {b}: {equals}")
    return {"sample": n, "named": sum(named.values()), "elementary": sum(elementary.values())}


if __name__ == "__main__":
    low, high = (int(v) for v in (sys.argv[1] if len(sys.argv) > 1 else "-2,2").split(","))
    coverage(low, high, sys.argv[2] if len(sys.argv) > 2 else 600)
