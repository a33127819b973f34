"""The ``esma`` job type: conjectured signed continued fractions for a constant.

Parameters bound the domain up front (number of left-hand sides times sign
periods), the precision and the approval work.  The result lists one Formula
JSON per distinct value found (docs/design.md, "Formula JSON"), with ``verified_digits`` from the
independent Approve evaluation, and compares each with the simple continued
fraction of the same number (digits at ``n_terms`` and digits per term).

Example
-------
>>> from mathdisco.engines.esma.job import run
>>> from mathdisco.engines.esma.params import EsmaParams
>>> result = run(EsmaParams(constant="e", lhs_coefficient_bound=1, max_sign_period=2,
...                         approve_depth=400, approve_digits=200))
>>> any(c["equals"] == "E/(-1 + E)" and c["sign_period"] == [1, -1]
...     for c in result["conjectures"])
True"""

from __future__ import annotations

import math
import time
from fractions import Fraction
from typing import Any

import mpmath
import sympy

from mathdisco.engines.contract import (
    Estimate,
    JobType,
    Progress,
    TimeLimits,
    no_progress,
)
from mathdisco.engines.discoveries import Discovery, formula_statement
from mathdisco.engines.esma.params import EsmaParams
from mathdisco.engines.esma.results import EsmaResult, view
from mathdisco.engines.esma.search import (
    Candidate,
    ScreenCounts,
    approve,
    digits_at,
    enumerate_lhs,
    primitive_sign_periods,
    raw_lhs_count,
    screen,
    value_key,
)
from mathdisco.engines.numerics.continued_fractions import simple_continued_fraction
from mathdisco.engines.numerics.expressions import (
    ExpressionError,
    constant_expression_value,
    parse_expression,
    to_text,
)
from mathdisco.engines.numerics.formula import QuasiPolynomial, formula_json

__all__ = ["JOB_TYPES", "discoveries", "estimate", "merge", "run", "shards", "warm_up"]


#: fitted on this machine (docs/benchmarks.md, ESMA): seconds per screened (LHS, signs) pair at
#: n_terms = 100, and per approved candidate at depth x digits = 10^6; distinct LHS values are
#: about a fifth of the raw count
_SECONDS_PER_PAIR, _SECONDS_PER_APPROVAL, _DISTINCT_FRACTION = 5.5e-4, 5e-3, 0.2


_BASE_MEMORY_BYTES = 300 * 2**20


def estimate(params: EsmaParams) -> Estimate:
    """The engine's cost model: screening grows with the pairs and n_terms^2, Approve with depth x digits.

    >>> estimate(EsmaParams(constant="e")).seconds < 10
    True
    """
    raw = (raw_lhs_count(params.lhs_degree, params.lhs_coefficient_bound)
           * len(primitive_sign_periods(params.min_sign_period, params.max_sign_period)))
    pairs = _DISTINCT_FRACTION * raw
    screen_s = pairs * _SECONDS_PER_PAIR * (params.n_terms / 100) ** 2
    approvals = 0.02 * pairs
    approve_s = approvals * _SECONDS_PER_APPROVAL * params.approve_depth * params.approve_digits / 1e6
    working = _working_digits(params)
    # the LHS values are held at the working precision (~0.42 bytes a digit) while pairs stream
    lhs_values = raw_lhs_count(params.lhs_degree, params.lhs_coefficient_bound)
    memory = _BASE_MEMORY_BYTES + int(lhs_values * working * 0.5)
    return Estimate(seconds=round(screen_s + approve_s, 3), memory_bytes=memory)


def _working_digits(params: EsmaParams) -> int:
    return max(params.digits_for_extraction, params.approve_digits) + 30


def _classify_constant(expr: sympy.Expr, x: mpmath.mpf, n_terms: int, digits: int
                       ) -> dict[str, Any]:
    """The constant's simple CF; 'rational' if it is (sympy knows, or the CF terminates),
    'quadratic' if the CF turns periodic."""
    if expr.is_Rational:
        expansion = simple_continued_fraction(Fraction(int(expr.p), int(expr.q)), 4 * n_terms)
    else:
        with mpmath.workdps(digits + 10):
            expansion = simple_continued_fraction(x, 4 * n_terms, correct_digits=digits)
    terms = expansion.terms
    kind = "irrational (no short period seen)"
    if expansion.terminated or expr.is_rational:
        kind = "rational"
    else:
        for period in range(1, len(terms) // 4 + 1):
            tail = terms[len(terms) // 2:]
            if len(tail) >= 3 * period and all(tail[i] == tail[i + period]
                                              for i in range(len(tail) - period)):
                kind = "quadratic irrational (periodic simple CF)"
                break
    return {"kind": kind, "simple_cf_terms": terms[:n_terms], "terms_checked": len(terms)}


def run(params: EsmaParams, progress: Progress = no_progress) -> dict[str, Any]:
    """Run the search; see the module docstring."""
    started = time.monotonic()
    working = _working_digits(params)
    try:
        x = constant_expression_value(params.constant, working)
    except ExpressionError as error:
        raise ValueError(f"cannot evaluate the constant: {error}") from error
    constant_expr = parse_expression(params.constant)
    classification = _classify_constant(constant_expr, x, params.n_terms, params.digits_for_extraction)
    base = {"constant": params.constant, "constant_expression": to_text(constant_expr),
            "constant_kind": classification["kind"],
            "constant_simple_cf": classification["simple_cf_terms"][:30],
            "params": params.model_dump(exclude={"shard_index", "shard_count"})}
    if classification["kind"] != "irrational (no short period seen)":
        progress(1, 1, "the constant is " + classification["kind"])
        return {**base, "conjectures": [], "counts": {}, "lhs_count": 0,
                "message": f"the constant is {classification['kind']}: every LHS has a "
                           "terminating or periodic CF, so nothing is conjectured",
                "elapsed_s": round(time.monotonic() - started, 3)}

    with mpmath.workdps(working):
        lhs_all = enumerate_lhs(+x, params.lhs_degree, params.lhs_coefficient_bound)
    lhs_list = lhs_all[params.shard_index::params.shard_count]
    sign_periods = primitive_sign_periods(params.min_sign_period, params.max_sign_period)
    total = len(lhs_list) + 1
    counts = ScreenCounts()
    candidates = screen(
        lhs_list, sign_periods, n_terms=params.n_terms,
        extraction_digits=params.digits_for_extraction, threshold=params.hit_threshold,
        prime=params.prime, strict=params.strict, counts=counts,
        progress=lambda i, message: progress(i, total, message))

    approved: list[Candidate] = []
    last_report = time.monotonic()
    for i, candidate in enumerate(candidates):
        if time.monotonic() - last_report > 0.3:
            progress(len(lhs_list), total, f"approve {i}/{len(candidates)}")
            last_report = time.monotonic()
        candidate.verified_digits = approve(candidate, params.approve_depth, params.approve_digits)
        if candidate.verified_digits >= params.approve_min_digits:
            approved.append(candidate)
    groups = _group(approved)
    conjectures = []
    for members in groups[: params.max_conjectures]:
        # every member has the same value, so the simple-CF comparison is computed once
        simple = _simple_cf_reference(members[0].lhs.value, params)
        equals = to_text(members[0].lhs.expression(constant_expr))
        conjecture = _conjecture(members[0], len(members), equals, params, simple)
        # other sign patterns for the same value (e.g. T14 for tan 1 beside its simple CF)
        conjecture["alternatives"] = [_conjecture(m, len(members), equals, params, simple)
                                      for m in members[1:]]
        conjectures.append(conjecture)
    progress(total, total, "done")
    return {**base, "conjectures": conjectures,
            "truncated": len(groups) > params.max_conjectures,
            "lhs_count": len(lhs_list), "sign_periods": len(sign_periods),
            "counts": {**counts.__dict__, "candidates": len(candidates),
                       "approved": len(approved), "distinct_values": len(groups)},
            "elapsed_s": round(time.monotonic() - started, 3)}


def _group(approved: list[Candidate]) -> list[list[Candidate]]:
    """Approved candidates grouped by value, simplest first, in a deterministic order."""
    by_value: dict[str, list[Candidate]] = {}
    for candidate in approved:
        by_value.setdefault(value_key(candidate.lhs.value), []).append(candidate)
    groups = [sorted(members, key=lambda c: c.complexity) for members in by_value.values()]
    return sorted(groups, key=lambda g: g[0].complexity)


def _simple_cf_reference(value: mpmath.mpf, params: EsmaParams) -> dict[str, Any]:
    """The value's simple CF: its first terms, digits at n_terms and n_terms/2, its shape."""
    n = params.n_terms
    with mpmath.workdps(_working_digits(params)):
        simple = simple_continued_fraction(value, n + 1, correct_digits=params.approve_digits)
        terms = simple.terms
        digits = digits_at(terms, [1] * len(terms), value, [n // 2, n],
                           params.approve_digits) if len(terms) > n else {}
    shape = _simple_cf_shape(terms)
    return {
        "terms": terms[:20],
        "digits_at_n_terms": digits.get(n),
        "digits_per_term": round((digits[n] - digits[n // 2]) / (n - n // 2), 4) if digits else None,
        "period": shape.period if shape else None,
        "formula": shape.to_json() if shape else None,
    }


def _conjecture(candidate: Candidate, equivalent: int, equals: str,
                params: EsmaParams, simple: dict[str, Any]) -> dict[str, Any]:
    n = params.n_terms
    b = QuasiPolynomial.signs(candidate.signs)
    lhs = candidate.lhs
    with mpmath.workdps(_working_digits(params)):
        ours = digits_at(candidate.a.terms(n + 1), b.terms(n + 1), lhs.value, [n // 2, n],
                         params.approve_digits)
    ours_rate = (ours[n] - ours[n // 2]) / (n - n // 2)
    result = formula_json(
        candidate.a, b, equals, candidate.verified_digits,
        sign_period=list(candidate.signs),
        lhs=lhs.to_json(),
        connection_polynomial=candidate.connection,
        recurrence_length=candidate.recurrence_length,
        confirmations=candidate.confirmations,
        evidence={"approve_depth": params.approve_depth, "approve_digits": params.approve_digits,
                  "extracted_terms": n},
        equivalent_results=equivalent,
        digits_at_n_terms=ours[n],
        digits_per_term=round(ours_rate, 4),
        simple_cf=simple,
    )
    reference = simple["digits_at_n_terms"]
    result["faster_than_simple_cf"] = reference is not None and ours[n] > reference
    result["simpler_than_simple_cf"] = (simple["period"] is None
                                        or candidate.a.period < simple["period"])
    return result


def _simple_cf_shape(terms: list[int]) -> QuasiPolynomial | None:
    """The interlaced-polynomial form of a simple CF, when its terms have one (period <= 8)."""
    for period in range(1, 9):
        for degree in range(0, 3):
            for preperiod in range(0, 3):
                qp = QuasiPolynomial.from_terms(terms, period=period, degree=degree,
                                                preperiod=preperiod)
                if qp is not None and len(terms) >= 2 * (preperiod + period * (degree + 1)):
                    return qp.canonical()
    return None


def discoveries(params: EsmaParams, result: EsmaResult) -> list[Discovery]:
    found = []
    formulas = [f for c in result.conjectures for f in [c, *c.alternatives]]
    for conjecture in formulas:
        found.append(Discovery(
            target=params.constant, text=conjecture.text, latex=conjecture.latex,
            statement=formula_statement(conjecture.equals,
                                        QuasiPolynomial.from_json(conjecture.a.model_dump()),
                                        QuasiPolynomial.from_json(conjecture.b.model_dump())),
            evidence={"verified_digits": conjecture.verified_digits, **conjecture.evidence},
        ))
    return found


def shards(params: EsmaParams) -> list[dict[str, Any]]:
    """Split the left-hand sides round-robin; about 16 LHS per shard, at most 8 shards."""
    raw = raw_lhs_count(params.lhs_degree, params.lhs_coefficient_bound)
    count = max(1, min(8, math.ceil(math.sqrt(raw) / 4)))
    dumped = params.model_dump()
    return [{**dumped, "shard_index": i, "shard_count": count} for i in range(count)]


def merge(params: EsmaParams, results: list[dict[str, Any]]) -> dict[str, Any]:
    """Concatenate the shards' conjectures in the order one run would give them.

    Shards split the distinct LHS values, so each value (and its group of
    equivalent results) is found by exactly one shard; the top ``max_conjectures``
    overall are among the union of each shard's top ``max_conjectures``.
    """
    if not results:
        return run(params)
    first = results[0]
    if not any(r.get("lhs_count") for r in results) and first.get("message"):
        return first
    # every LHS value lives in exactly one shard, so the groups never straddle shards
    conjectures = sorted((c for r in results for c in r["conjectures"]), key=_rank)
    counts: dict[str, int] = {}
    for result in results:
        for name, value in result["counts"].items():
            if name != "distinct_values":
                counts[name] = counts.get(name, 0) + value
    counts["distinct_values"] = len(conjectures)
    limit = params.max_conjectures
    return {**{k: v for k, v in first.items() if k not in ("conjectures", "counts")},
            "conjectures": conjectures[:limit],
            "truncated": len(conjectures) > limit or any(r.get("truncated") for r in results),
            "lhs_count": sum(r["lhs_count"] for r in results),
            "counts": counts,
            "elapsed_s": round(sum(r["elapsed_s"] for r in results), 3)}


def _rank(conjecture: dict[str, Any]) -> tuple:
    """The same order as Candidate.complexity, recomputed from the JSON."""
    a = QuasiPolynomial.from_json(conjecture["a"])
    lhs = conjecture["lhs"]
    coefficients = tuple(lhs["numerator"]) + tuple(lhs["denominator"])
    degree = max(max((i for i, c in enumerate(lhs["numerator"]) if c), default=-1),
                 max((i for i, c in enumerate(lhs["denominator"]) if c), default=-1))
    return (len(conjecture["sign_period"]), a.period, a.degree, a.preperiod,
            sum(abs(c) for p in a.polynomials for c in p) + sum(abs(t) for t in a.initial),
            (degree, sum(abs(c) for c in coefficients), coefficients),
            tuple(conjecture["sign_period"]))


def warm_up() -> None:
    """Compile the search's kernels (signed continued fractions, Berlekamp-Massey) on a tiny job."""
    run(EsmaParams(constant="e"), no_progress)


JOB_TYPES = [
    JobType("esma", EsmaParams, run,
            "Signed continued fractions + Berlekamp-Massey conjecture search (ESMA) for a constant.",
            result_model=EsmaResult, discoveries=discoveries, view=view, estimate=estimate,
            shards=shards, merge=merge, key_params=("constant", "lhs_coefficient_bound", "max_sign_period"),
            verification_fields=("approve_depth", "approve_digits", "approve_min_digits"),
            limits=TimeLimits(1800, 1900), warm_up=warm_up, compile_s=3.0),
]
