"""An account of a box beyond its basis: closed forms with their proofs, hypotheses, buckets.

Step 1 runs per member with the table (in each shard, :func:`closed_forms`);
steps 2-3 once on a box's merged table (:func:`mathdisco.engines.pcf.job.merge` and
:func:`mathdisco.engines.pcf.job.run` alike), after clustering and the accelerator
(:func:`account`):

1. **Closed forms** (:mod:`mathdisco.engines.pcf.closed_forms`): every member with
   ``deg a <= 1``, ``deg b <= 2`` is a ratio of hypergeometric functions by a
   classical theorem (Nörlund's 2F1 fraction, its confluent 1F1 and 0F1 limits,
   the degenerate forms documented there).  Each identified formula then
   carries ``hypergeometric`` and a ``proof``: ``proved`` only where the
   theorem proves the hypergeometric form *and* that form's value is the
   formula's constant by a derivation; otherwise ``numerical``, by the
   acceptance rule at the digits stated.  A convergent member no basis
   constant names but with a closed form becomes a formula of its own
   (``constant = "hypergeometric"``, ``equals`` the closed form in the safe
   grammar: ``hyp2f1(a, b, c, z)`` for sympy's ``hyper([a, b], [c], z)``),
   confirmed numerically by :func:`~mathdisco.engines.pcf.closed_forms.verify_closed_form`.
2. **Hypotheses** (:mod:`mathdisco.engines.pcf.hypotheses`) among every member that no
   basis constant names, hypergeometric ones included.
3. **The account**: every convergent member in exactly one bucket, by the
   precedence ``rational > named_constant > hypergeometric > hypothesis >
   isolated`` -- a member is counted by the strongest statement made about it:
   an exact rational, then a basis constant, then a (proved) closed form, then
   membership of a hypothesis (a relation to other PCFs, its constant still
   unknown); ``isolated`` is what nothing was said about.

Bounds: at most ``hypothesis_max_members`` members (the simplest first) enter
the hypothesis search; the others are counted and reported, never silently
dropped.  At most ``hypothesis_certificates`` non-trivial members (in the order
the hypotheses are listed) are searched for a coboundary certificate
(:mod:`mathdisco.engines.pcf.coboundary`); the counts are in ``hypothesis_search``.
"""

from __future__ import annotations

import time
from typing import Any

import mpmath
import sympy

from mathdisco.engines.contract import Progress, no_progress
from mathdisco.engines.numerics.expressions import ExpressionError, parse_expression, to_text
from mathdisco.engines.numerics.formula import QuasiPolynomial, formula_json
from mathdisco.engines.pcf.table import TABLE_COLUMNS

__all__ = ["EXPLAINED_BUCKETS", "account", "annotate", "closed_forms", "explained", "grammar_text"]

COLUMN = {name: i for i, name in enumerate(TABLE_COLUMNS)}
EXPLAINED_BUCKETS = ("rational", "named_constant", "hypergeometric", "hypothesis", "isolated")
#: digits to which a hypergeometric closed form is confirmed numerically, and the least accepted
CLOSED_FORM_DIGITS = 30
MIN_CLOSED_FORM_DIGITS = 20

def _split_top_level(text: str) -> list[str]:
    """``text`` split at the commas outside any parentheses or brackets."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    last = "".join(current).strip()
    return [*parts, last] if last else parts      # a tuple's trailing comma adds nothing


def _closing(text: str, start: int) -> int:
    """The index of the bracket closing the one at ``start``."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] in "([":
            depth += 1
        elif text[i] in ")]":
            depth -= 1
            if depth == 0:
                return i
    raise ExpressionError("unbalanced brackets in a closed form")


def _conjugate_pair(top: list[str]) -> tuple[str, str] | None:
    """``(a, b)`` when ``top`` is ``[a + b I, a - b I]`` (sympy text), else None."""
    if len(top) != 2 or not all("I" in t for t in top):
        return None
    unit = sympy.Symbol("I")
    first, second = (parse_expression(t, variables=["I"]) for t in top)
    real = sympy.expand(first).subs(unit, 0)
    imaginary = sympy.expand((first - real) / unit)
    if imaginary.free_symbols or sympy.expand(second - (real - imaginary * unit)) != 0:
        return None
    return to_text(real), to_text(imaginary)


def _spelled(top: list[str], bottom: list[str], argument: str) -> str:
    if not top and not bottom:          # 0F0(;;z) = exp(z)
        return f"exp({argument})"
    if len(bottom) != 1 or len(top) > 2:
        raise ExpressionError(f"no grammar name for a {len(top)}F{len(bottom)} function")
    pair = _conjugate_pair(top)
    if pair is not None:                # 2F1(a + ib, a - ib; c; z), real
        return f"hyp2f1c({pair[0]}, {pair[1]}, {bottom[0]}, {argument})"
    return f"hyp{len(top)}f1(" + ", ".join([*top, *bottom, argument]) + ")"


def grammar_text(expression: str) -> str:
    """A closed form in sympy syntax (``hyper([..], [..], z)``) written in the safe grammar.

    >>> grammar_text("3*hyper([1/2, 1], [3/2], 1/2)/hyper([3/2, 2], [5/2], 1/2)")
    '3*hyp2f1(1/2, 1, 3/2, 1/2)/hyp2f1(3/2, 2, 5/2, 1/2)'
    >>> grammar_text("hyper([], [sqrt(2)], 2)/hyper((), (sqrt(2) + 1,), 2)")
    'hyp0f1(sqrt(2), 2)/hyp0f1(1 + sqrt(2), 2)'
    >>> grammar_text("hyper((), (), 1/2)*hyper((1,), (3/2,), 1/2)")
    'exp(1/2)*hyp1f1(1, 3/2, 1/2)'
    >>> grammar_text("hyper([-1/2 + sqrt(3)*I/2, -1/2 - sqrt(3)*I/2], [1], 1/3)")
    'hyp2f1c(-1/2, sqrt(3)/2, 1, 1/3)'
    """
    out, position = [], 0
    while (found := expression.find("hyper(", position)) >= 0:
        out.append(expression[position:found])
        end = _closing(expression, found + len("hyper"))
        arguments = _split_top_level(expression[found + len("hyper("):end])
        if len(arguments) != 3:
            raise ExpressionError("hyper takes three arguments")
        top, bottom = (_split_top_level(a.strip()[1:-1]) for a in arguments[:2])
        out.append(_spelled(top, bottom, grammar_text(arguments[2])))
        position = end + 1
    out.append(expression[position:])
    return to_text(parse_expression("".join(out)))


def _trimmed(c: list[int]) -> list[int]:
    out = [int(x) for x in c]
    while len(out) > 1 and out[-1] == 0:
        out.pop()
    return out


def _in_reach(a: list[int], b: list[int]) -> bool:
    return len(_trimmed(a)) <= 2 and len(_trimmed(b)) <= 3


def _hypergeometric(form: dict) -> dict:
    return {key: form[key] for key in ("expression", "theorem", "parameters")}


def _proof(formula: dict, form: dict | None) -> dict:
    """The proof of ``PCF = equals`` for a basis-identified formula (module docstring, 1.)."""
    evidence = formula.get("evidence", {})
    by = (f"the acceptance rule: found at {evidence.get('found_digits')} digits, confirmed "
          f"to {formula['verified_digits']} digits on a deeper evaluation")
    if form is not None and form["proof"]["status"] == "proved":
        by += (f"; the PCF equals {form['expression']} by {form['theorem']} (proved), whose "
               "value is the constant numerically")
    return {"status": "numerical", "by": by}


def _member_value(params: Any, row: list[Any]):
    """``(found, check)`` for a table row, as the table computed them (engines.pcf.table)."""
    from mathdisco.engines.pcf.evaluation import convergents
    from mathdisco.engines.pcf.table import member_values

    star = (row[COLUMN["digits_per_term"]] or 0.0) * (params.depth // 2)
    exact = None
    if star - 1 >= params.search_dps:
        p, q, _, _ = convergents(row[1], row[2], params.depth // 2)
        exact = (p, q) if q else None
    found, check, _ = member_values(params, row[1], row[2], exact, star)
    return found, check()


def _agreement(x: mpmath.mpf, y: mpmath.mpf, cap: int) -> int:
    with mpmath.workdps(cap + 20):
        difference = abs(x - y)
        if difference == 0:
            return cap
        scale = max(abs(x), mpmath.mpf(1))
        return int(min(cap, max(0, -mpmath.log10(difference / scale))))


def annotate(formulas: list[dict]) -> None:
    """``hypergeometric`` and ``proof`` on each basis formula that lacks them (in place)."""
    from mathdisco.engines.pcf.closed_forms import closed_form

    for f in formulas:
        if "proof" in f:
            continue
        a, b = f["a"]["polynomials"][0], f["b"]["polynomials"][0]
        form = closed_form(a, b, name=False) if _in_reach(a, b) else None
        f["proof"] = _proof(f, form)
        if form is not None:
            f["hypergeometric"] = _hypergeometric(form)


def closed_forms(params: Any, rows: list[list[Any]], formulas: list[dict],
                 progress: Progress = no_progress) -> dict[str, int]:
    """Step 1 on a table: ``formulas`` annotated and extended, ``rows`` marked, in place.

    Every formula gets its proof (:func:`annotate`); every convergent member no
    basis constant names with ``deg a <= 1``, ``deg b <= 2`` is tried for a
    closed form, and stated as a formula of its own when it checks.  Returns
    the counts of what happened.

    A closed form's value (the safe grammar's mpmath evaluation of its text) is
    checked against the member's independent deeper evaluation; it is stated
    when they agree to :data:`CLOSED_FORM_DIGITS` digits or to all the digits
    of that evaluation, and to at least :data:`MIN_CLOSED_FORM_DIGITS`.
    """
    from mathdisco.engines.numerics.expressions import constant_expression_value
    from mathdisco.engines.pcf.closed_forms import closed_form

    counts = {"tried": 0, "closed forms": 0, "no theorem applies": 0,
              "outside the expression grammar": 0, "too few digits to confirm": 0,
              "refused by the check": 0}
    annotate(formulas)
    named = {f["index"] for f in formulas}
    candidates = [r for r in rows if r[COLUMN["status"]] == "ok" and r[COLUMN["constant"]] is None
                  and r[0] not in named and _in_reach(r[1], r[2])]
    for done, row in enumerate(candidates):
        if done % 500 == 0:
            progress(done, len(candidates), f"closed forms: {done:,} of {len(candidates):,} "
                                            "members beyond the basis")
        counts["tried"] += 1
        form = closed_form(row[1], row[2], name=False)
        if form is None:
            counts["no theorem applies"] += 1
            continue
        try:
            equals = grammar_text(form["expression"])
            value = constant_expression_value(equals, CLOSED_FORM_DIGITS + 10)
        except (ExpressionError, ValueError, ZeroDivisionError):
            counts["outside the expression grammar"] += 1
            continue
        _, check = _member_value(params, row)
        if check.digits < MIN_CLOSED_FORM_DIGITS or not mpmath.isfinite(check.value):
            counts["too few digits to confirm"] += 1
            continue
        cap = min(check.digits, CLOSED_FORM_DIGITS + 10)
        verified = _agreement(value, check.value, cap)
        if verified < min(CLOSED_FORM_DIGITS, cap - 2):
            counts["refused by the check"] += 1
            continue
        counts["closed forms"] += 1
        row[-4:] = ["hypergeometric", equals, None, verified]
        formulas.append(formula_json(
            QuasiPolynomial.polynomial(row[1]), QuasiPolynomial.polynomial(row[2]), equals,
            verified, constant="hypergeometric", index=row[0], form="hypergeometric",
            relation={"coefficients": [1, -1], "basis": ["x", equals]},
            evidence={"found_digits": 0, "finder": f"theorem: {form['theorem']}",
                      "search": "the closed form from the coefficients (no numerical search)",
                      "check": f"the closed form against the PCF's {check.describe()}: "
                               f"{verified} digits",
                      "search_depth": 0, "check_depth": check.depth,
                      "delta": row[COLUMN["delta"]]},
            hypergeometric=_hypergeometric(form), proof=dict(form["proof"])))
    return counts


def _simplicity(row: list[Any]) -> tuple:
    return (sum(abs(int(c)) for c in row[1] + row[2]), row[0])


def account(params: Any, rows: list[list[Any]], formulas: list[dict], cluster_of: dict[int, int],
            progress: Progress = no_progress) -> dict[str, Any]:
    """Steps 1-3 of the module docstring; ``formulas`` is annotated and extended in place.

    Step 1 ran on the table already (:func:`closed_forms`, in the shards); here
    the accelerator's formulas get their proofs.  Returns the result fields
    ``hypotheses``, ``hypotheses_left_out``, ``hypothesis_search`` and
    ``explained``, and ``_seconds`` (timing, kept apart by the caller).
    """
    from mathdisco.engines.pcf.catalogue import canonical_form
    from mathdisco.engines.pcf.coboundary import coboundary
    from mathdisco.engines.pcf.evaluation import evaluate
    from mathdisco.engines.pcf.hypotheses import VALUE_DIGITS, connect, hypotheses

    clock = time.perf_counter()
    annotate(formulas)      # the accelerator's formulas (the shards' have theirs)
    named = {f["index"] for f in formulas if f["form"] != "hypergeometric"}
    # a member the accelerator named is stated once, by its constant (its closed form kept)
    formulas[:] = [f for f in formulas if f["form"] != "hypergeometric" or f["index"] not in named]
    forms = {f["index"]: f["hypergeometric"] for f in formulas if f["form"] == "hypergeometric"}
    open_rows = sorted((r for r in rows if r[COLUMN["status"]] == "ok"
                        and r[COLUMN["constant"]] in (None, "hypergeometric")
                        and r[0] not in named), key=_simplicity)
    limit = params.hypothesis_max_members if params.hypotheses else 0
    searched = open_rows[:limit]
    search: dict[str, Any] = {"members_beyond_the_basis": len(open_rows), "searched": len(searched),
                              "max_det": params.hypothesis_max_det,
                              "pslq_pairs": params.hypothesis_pslq_pairs}
    if len(searched) < len(open_rows):
        search["skipped"] = len(open_rows) - len(searched)
        search["skip_reason"] = (
            "hypotheses = false" if not params.hypotheses else
            f"more than hypothesis_max_members = {limit:,} members beyond the basis; the "
            "simplest were searched, the others are counted as isolated")
        progress(0, 1, f"hypotheses: {search['skipped']:,} members not searched "
                       f"({search['skip_reason']})")
    members = []
    for done, row in enumerate(searched):
        if done % 500 == 0:
            progress(done, len(searched), f"hypotheses: evaluating member {done:,} of "
                                          f"{len(searched):,}")
        found, check = _member_value(params, row)
        form = forms.get(row[0])
        members.append({"index": row[0], "a": row[1], "b": row[2], "found": found,
                        "check": check, "hypergeometric": None if form is None else
                        {"expression": form["expression"], "theorem": form["theorem"]}})
    progress(0, 1, f"hypotheses: relations among {len(members):,} members (their tails, then "
                   "PSLQ inside clusters)")
    connections = connect([m["found"] for m in members], [m["check"] for m in members],
                          max_det=params.hypothesis_max_det,
                          clusters=[cluster_of.get(m["index"]) for m in members],
                          pslq_pairs=params.hypothesis_pslq_pairs, progress=progress)

    def deep_value(position: int):
        member = members[position]
        if member["check"].digits >= VALUE_DIGITS:
            return member["check"]
        return evaluate(member["a"], member["b"], target_digits=VALUE_DIGITS + 5,
                        check_digits=VALUE_DIGITS + 20, max_depth=params.max_depth)[1]

    tries = {"certificates tried": 0, "certificates found": 0}

    def certify(a_x, b_x, a_y, b_y, relation):
        if tries["certificates tried"] >= params.hypothesis_certificates:
            return None
        tries["certificates tried"] += 1
        found = coboundary(a_x, b_x, a_y, b_y, relation=relation)
        tries["certificates found"] += found is not None
        return found

    found_hypotheses, left_out = hypotheses(members, connections, deep_value=deep_value,
                                            canonical=canonical_form, certify=certify)
    search.update(tries)
    search.update(sorted(connections.tried.items()))
    search["relations"] = len(connections.edges)
    search["hypotheses_with_non_trivial_members"] = sum(h["non_trivial"] > 0
                                                        for h in found_hypotheses)
    seconds = {"hypotheses_s": time.perf_counter() - clock}
    in_hypothesis = {m["index"] for h in found_hypotheses for m in h["members"]}
    progress(1, 1, f"hypotheses: {len(found_hypotheses)} unknown constants connecting "
                   f"{len(in_hypothesis):,} members")
    return {"hypotheses": found_hypotheses,
            "hypotheses_left_out": left_out, "hypothesis_search": search,
            "explained": explained(rows, formulas, in_hypothesis),
            "_seconds": {k: round(v, 3) for k, v in seconds.items()}}


def explained(rows: list[list[Any]], formulas: list[dict], in_hypothesis: set[int]
              ) -> dict[str, int]:
    """Every convergent member in one bucket, by the precedence of the module docstring."""
    form_of = {f["index"]: f["form"] for f in formulas}
    counts = dict.fromkeys(("convergent", *EXPLAINED_BUCKETS), 0)
    for row in rows:
        status = row[COLUMN["status"]]
        if status not in ("ok", "rational"):
            continue
        counts["convergent"] += 1
        index = row[0]
        if status == "rational" or row[COLUMN["constant"]] == "rational":
            bucket = "rational"
        elif form_of.get(index) in ("mobius", "quadratic"):
            bucket = "named_constant"
        elif form_of.get(index) == "hypergeometric":
            bucket = "hypergeometric"
        elif index in in_hypothesis:
            bucket = "hypothesis"
        else:
            bucket = "isolated"
        counts[bucket] += 1
    return counts
