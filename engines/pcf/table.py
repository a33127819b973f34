"""The per-PCF table of a coefficient box: features and an identification for every member.

One row per PCF of an index range (:data:`TABLE_COLUMNS`).  The features are
those of :mod:`mathdisco.engines.pcf.dynamics` (Shalyt et al., NeurIPS 2024, Sec. 3);
the identification columns come from :func:`mathdisco.engines.pcf.members.identify_member`,
run on **every** convergent member -- clustering later orders and summarises,
it never decides who is looked at (issue 15).

What each member's finders see, and what the acceptance rule checks on:

* fast members (``-log10|L^ - p_n*/q_n*| >= search_dps``): the exact
  convergent ``p_n*/q_n*`` that the feature kernel computes anyway, cut to
  ``search_dps`` digits; the check is the exact convergent at the reference
  depth ``N`` with up to ``check_dps`` digits (``N = 2 n*``: a larger depth
  and a higher precision);
* slow members: the depth ladder of :func:`mathdisco.engines.pcf.evaluation.evaluate`
  (tail-corrected convergents where the tail expansion applies), up to
  ``max_depth`` -- its ``found`` and deeper ``check`` estimates.

Example
-------
>>> from mathdisco.engines.pcf.job import PCFClusterParams
>>> params = PCFClusterParams(a_degree=0, b_degree=2, coefficient_min=0, coefficient_max=2,
...                           depth=400, constants=["pi", "ln2"])
>>> rows, formulas, stats = box_rows(params)
>>> column = {name: i for i, name in enumerate(TABLE_COLUMNS)}
>>> row = rows[params.box.index_of([1], [0, 0, 1])]          # 1 + 1/(1 + 4/(1 + 9/...)) = 1/ln 2
>>> row[column["closed_form"]], row[column["constant"]], row[column["found_digits"]] >= 40
('1/log(2)', 'ln2', True)
"""

from __future__ import annotations

import math
import time
from collections import Counter
from typing import Any

import mpmath
import numba
import numpy as np

from mathdisco.engines.contract import Progress, no_progress
from mathdisco.engines.numerics.expressions import to_text
from mathdisco.engines.numerics.formula import QuasiPolynomial, formula_json
from mathdisco.engines.numerics.identification import Identification
from mathdisco.engines.numerics.tails import TailIndex
from mathdisco.engines.pcf.enumeration import first_positive_root, terminating_value
from mathdisco.engines.pcf.evaluation import PCFValue, convergent_value, evaluate
from mathdisco.engines.pcf.members import QUADRATIC_CONSTANTS, identify_member, quadratic_name

__all__ = ["FLOAT_COLUMNS", "TABLE_COLUMNS", "batch_size", "box_rows", "constant_of",
           "formula_of", "kernel_seconds", "member_values", "tail_index"]

TABLE_COLUMNS = ["index", "a", "b", "status", "limit", "digits", "delta", "delta_naive",
                 "gamma_prime", "eta_prime", "beta", "gamma", "eta", "log_eigen_ratio",
                 "delta_pred", "digits_per_term", "exact_limit",
                 "constant", "closed_form", "found_digits", "verified_digits"]
FLOAT_COLUMNS = TABLE_COLUMNS[4:16]
#: PCFs per numba kernel call is chosen so that one call stays near this (a signal cannot stop one)
KERNEL_CALL_BUDGET_S = 0.3
BATCH_SIZE = 128
#: Hermite determinants, index positions and window of the tail index
INDEX_POSITIONS = 20
INDEX_WINDOW = 12


def _json_float(x: float, significant: int) -> float | None:
    if not math.isfinite(x):
        return None
    return float(f"{x:.{significant}g}")


def kernel_seconds(params: Any) -> float:
    """Seconds per PCF of the feature kernels (one core), the model behind :func:`batch_size`.

    A fixed part (the gcds at the sample points, the double-precision tail
    sums, building the row) plus the exact recurrence, which costs
    ~ n*^2 * (bits per step) limb operations -- wide multipliers also narrow
    the limbs (or need chunks), hence the square.  Fitted to this machine:
    0.95 ms per PCF at n* = 1000 and 8.9 ms at n* = 5000 (deg 2/2, |c| <= 4).
    """
    n_star = params.depth // 2
    reach = max(abs(params.coefficient_min), abs(params.coefficient_max), 1)
    degree = max(params.a_degree, params.b_degree)
    bits = math.log2(reach * (degree + 1)) + degree * math.log2(max(n_star, 2)) + 1
    return 7.2e-4 + 2.05e-4 * (n_star / 1000) ** 2 * (max(bits, 8.0) / 23) ** 2


def batch_size(params: Any) -> int:
    """PCFs per kernel call, so that one call stays near :data:`KERNEL_CALL_BUDGET_S`."""
    return max(1, min(BATCH_SIZE, int(KERNEL_CALL_BUDGET_S / kernel_seconds(params))))


def tail_index(params: Any) -> TailIndex:
    """The tail index of the params' basis (square roots are left to the period test)."""
    names = [c for c in params.constants if c not in QUADRATIC_CONSTANTS]
    return TailIndex.build(names, max_det=params.index_max_det, positions=INDEX_POSITIONS,
                           window=INDEX_WINDOW)


def constant_of(found: Identification) -> str:
    if found.form == "quadratic":
        return quadratic_name(*found.coefficients)
    if found.form == "rational":
        return "rational"
    return str(found.constant)


def member_values(params: Any, a: list[int], b: list[int], exact, star_digits: float):
    """``(found, check, slow)`` for one convergent member (module docstring)."""
    n_star = params.depth // 2
    if exact is not None and math.isfinite(star_digits) and star_digits - 1 >= params.search_dps:
        p, q = int(exact[0]), int(exact[1])
        with mpmath.workdps(params.search_dps + 20):
            found = PCFValue(mpmath.mpf(p) / q, params.search_dps, n_star, "convergent", (p, q))

        def check() -> PCFValue:
            return convergent_value(a, b, params.depth, params.check_dps)

        return found, check, False
    found, deeper = evaluate(a, b, target_digits=params.search_dps, check_digits=params.check_dps,
                             max_depth=params.max_depth)
    return found, (lambda: deeper), True


def formula_of(params: Any, row: list[Any], found: Identification, values: tuple) -> dict:
    search, check = values
    return formula_json(
        QuasiPolynomial.polynomial(row[1]), QuasiPolynomial.polynomial(row[2]),
        to_text(found.expression), found.verified_digits,
        constant=constant_of(found), index=row[0], form=found.form,
        relation={"coefficients": list(found.coefficients), "basis": list(found.basis)},
        evidence={"found_digits": found.found_digits, "finder": found.method,
                  "search": search.describe(), "check": check.describe(),
                  "search_depth": search.depth, "check_depth": check.depth,
                  "delta": row[TABLE_COLUMNS.index("delta")]})


def box_rows(params: Any, progress: Progress = no_progress
             ) -> tuple[list[list[Any]], list[dict], dict[str, Any]]:
    """Rows, identified formulas and counts for the params' index range (module docstring)."""
    from mathdisco.engines.pcf.dynamics import STATUS_NAMES, pcf_features

    start, stop = params.index_range
    total = stop - start
    index = tail_index(params)
    pslq = list(params.constants) if params.pslq == "all" else []
    rows: list[list[Any]] = []
    formulas: list[dict] = []
    counts: Counter[str] = Counter()
    seconds = Counter()
    batch = batch_size(params)
    last_report = 0.0
    for lo in range(start, stop, batch):
        hi = min(lo + batch, stop)
        now = time.monotonic()
        if now - last_report > 0.3:
            progress(lo - start, total, f"measuring and identifying PCFs "
                                        f"({counts['identified']:,} identified so far)")
            last_report = now
        a, b = params.box.coefficients(lo, hi)
        roots = first_positive_root(b)
        live = np.flatnonzero(roots == 0)
        clock = time.perf_counter()
        table = None
        if len(live):
            numba.set_num_threads(min(params.threads, numba.config.NUMBA_NUM_THREADS))
            table = pcf_features(a[live], b[live], params.depth, with_exact=True)
        seconds["features"] += time.perf_counter() - clock
        position = {int(i): k for k, i in enumerate(live)}
        for i in range(hi - lo):
            a_list, b_list = a[i].tolist(), b[i].tolist()
            if roots[i]:
                value = terminating_value(a_list, b_list, int(roots[i]))
                limit = None if value is None else _json_float(float(value), 17)
                exact = None if value is None else f"{value.numerator}/{value.denominator}"
                rows.append([lo + i, a_list, b_list, "terminating", limit]
                            + [None] * (len(FLOAT_COLUMNS) - 1) + [exact, "rational", exact,
                                                                   None, None])
                counts["terminating"] += 1
                continue
            k = position[i]
            status = STATUS_NAMES[int(table["status"][k])]
            row = [lo + i, a_list, b_list, status, _json_float(float(table["limit"][k]), 17)]
            row += [_json_float(float(table[c][k]), 8) for c in FLOAT_COLUMNS[1:]]
            row += [None, None, None, None, None]
            if status == "ok":
                clock = time.perf_counter()
                star = float(table["digits_per_term"][k]) * (params.depth // 2)
                search, check, slow = member_values(params, a_list, b_list, table["exact"][k], star)
                seconds["slow evaluation" if slow else "fast evaluation"] += time.perf_counter() - clock
                counts["slow"] += slow
                clock = time.perf_counter()
                checked: list[PCFValue] = []

                def check_once(check=check, checked=checked) -> PCFValue:
                    checked.append(check())
                    return checked[-1]

                found = identify_member(a_list, b_list, search, check_once, index, pslq)
                seconds["identification"] += time.perf_counter() - clock
                counts["tried"] += 1
                if search.digits < 12:
                    counts["too few digits"] += 1
                if found is not None:
                    constant = constant_of(found)
                    row[-4:] = [constant, to_text(found.expression), found.found_digits,
                                found.verified_digits]
                    counts["rational" if found.form == "rational" else "identified"] += 1
                    counts[f"finder: {found.method}"] += 1
                    if found.form != "rational":
                        formulas.append(formula_of(params, row, found, (search, checked[-1])))
            rows.append(row)
    progress(total, total, f"measured and identified {total:,} PCFs: "
                           f"{counts['identified']:,} formulas")
    stats = {"counts": dict(sorted(counts.items())),
             "seconds": {key: round(value, 3) for key, value in sorted(seconds.items())}}
    return rows, formulas, stats
