"""The ``identify`` job type: recognise a decimal number as a closed form.

Given a number as a decimal string, look for a small integer relation between
it and registered constants with PSLQ (see :mod:`engines.numerics.relations`),
in order of simplicity:

1. ``x`` rational: ``a x + b = 0``;
2. for each constant ``c``: ``x`` linear in ``c`` (``a x + b + d c = 0``), then
   a Möbius transform of ``c`` (``a x + b x c + d + f c = 0``);
3. ``x`` an integer combination of all chosen constants at once.

A relation counts only when it holds on the digits PSLQ did not see (the last
fifth of the given digits).  The answer is the relation with the smallest sum
of absolute coefficients, with the closed form in the safe expression grammar
and LaTeX.

Example
-------
>>> from engines.identify import IdentifyParams, identify
>>> result = identify(IdentifyParams(value="1.3591409142295226176801437356763"), None)
>>> result["expression"]
'E/2'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import mpmath
import sympy
from pydantic import Field, field_validator

from engines.contract import EngineParams, JobType, Progress, TimeLimits, no_progress
from engines.discoveries import Discovery, identity_statement
from engines.numerics.constants import CONSTANTS, constant_value
from engines.numerics.relations import Relation, find_relation

_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,4})?$")
MAX_VALUE_CHARS = 2_000
DEFAULT_BASIS = ("pi", "e", "ln2", "zeta3", "catalan", "euler_gamma", "sqrt2", "phi")


class IdentifyParams(EngineParams):
    value: str = Field(..., description="the number, as a decimal string", max_length=MAX_VALUE_CHARS)
    precision_digits: int | None = Field(
        None, ge=10, le=1_000,
        description="digits of `value` to trust; default: the significant digits given",
    )
    constants: list[str] = Field(
        default=list(DEFAULT_BASIS), min_length=0, max_length=12,
        description="registered constants to try (names from the constants registry)",
    )
    max_coeff: int = Field(10_000, ge=1, le=10**9, description="largest coefficient PSLQ may use")

    @field_validator("value")
    @classmethod
    def _decimal(cls, v: str) -> str:
        v = v.strip()
        if not _DECIMAL.match(v):
            raise ValueError("value must be a decimal number such as '3.14159...' or '1.2e-3'")
        if _significant_digits(v) < 10:
            raise ValueError("value needs at least 10 significant digits to identify anything")
        return v

    @field_validator("constants")
    @classmethod
    def _known(cls, names: list[str]) -> list[str]:
        unknown = [n for n in names if n not in CONSTANTS]
        if unknown:
            raise ValueError(f"unknown constants {unknown}; known: {sorted(CONSTANTS)}")
        return list(dict.fromkeys(names))


def _significant_digits(text: str) -> int:
    mantissa = re.split(r"[eE]", text)[0].lstrip("+-").replace(".", "")
    return len(mantissa.lstrip("0"))


def _candidates(x: mpmath.mpf, names: Sequence[str], dps: int):
    """(label, values, builder) triples in order of simplicity.

    ``builder(coefficients)`` returns ``x`` as a sympy expression.
    """
    one = mpmath.mpf(1)
    yield "rational", [x, one], lambda c: sympy.Rational(-c[1], c[0])
    consts = {n: constant_value(n, dps) for n in names}
    forms = {n: CONSTANTS[n].sympy_form for n in names}
    for n in names:
        k, s = consts[n], forms[n]
        yield f"linear in {n}", [x, one, k], lambda c, s=s: -(c[1] + c[2] * s) / c[0]
    for n in names:
        k, s = consts[n], forms[n]
        yield (f"mobius in {n}", [x, x * k, one, k],
               lambda c, s=s: -(c[2] + c[3] * s) / (c[0] + c[1] * s))
    if len(names) > 1:
        def combination(c: list[int]) -> sympy.Expr:
            return -(c[1] + sum(ci * forms[n] for ci, n in zip(c[2:], names, strict=True))) / c[0]

        yield "linear combination", [x, one, *consts.values()], combination


def identify(params: IdentifyParams, progress: Progress | None = None) -> dict:
    """Run the search; see the module docstring."""
    progress = progress or no_progress
    digits = min(params.precision_digits or _significant_digits(params.value),
                 _significant_digits(params.value))
    search_dps = max(8, (digits * 4) // 5)
    with mpmath.workdps(digits + 10):
        x = mpmath.mpf(params.value)
        candidates = list(_candidates(x, params.constants, digits + 10))
        best: tuple[int, str, Relation, sympy.Expr] | None = None
        for i, (label, values, build) in enumerate(candidates):
            progress(i, len(candidates), label)
            if x == 0:
                break
            relation = find_relation(values, search_dps=search_dps, check_dps=digits,
                                     max_coeff=params.max_coeff)
            if relation is None or not _involves_x(relation.coefficients, label):
                continue
            try:
                expression = _tidy(build(relation.coefficients))
            except ZeroDivisionError:
                continue
            if expression.is_zero is not False or expression.has(sympy.zoo, sympy.nan):
                continue
            size = sum(abs(c) for c in relation.coefficients)
            if best is None or size < best[0]:
                best = (size, label, relation, expression)
    progress(len(candidates), len(candidates), "done")
    if x == 0:
        return _answer(params, digits, "zero", [1], ["x"], sympy.Integer(0), digits)
    if best is None:
        return {"value": params.value, "precision_digits": digits, "relation": None,
                "expression": None, "latex": None, "verified_digits": 0,
                "message": "no relation with coefficients up to max_coeff holds beyond the search digits"}
    size, label, relation, expression = best
    basis_labels = _basis_labels(label, params.constants)
    return _answer(params, digits, label, relation.coefficients, basis_labels, expression,
                   relation.digits_matched)


def _involves_x(coefficients: list[int], label: str) -> bool:
    return bool(coefficients[0] or (label.startswith("mobius") and coefficients[1]))


def _tidy(expression: sympy.Expr) -> sympy.Expr:
    """One fraction, with a denominator that does not start with a minus sign."""
    numerator, denominator = sympy.fraction(sympy.together(expression))
    if denominator.is_negative or (denominator.is_negative is None
                                   and denominator.could_extract_minus_sign()):
        numerator, denominator = -numerator, -denominator
    return numerator / denominator


def _basis_labels(label: str, names: Sequence[str]) -> list[str]:
    if label == "rational":
        return ["x", "1"]
    if label.startswith("linear in "):
        return ["x", "1", label.removeprefix("linear in ")]
    if label.startswith("mobius in "):
        n = label.removeprefix("mobius in ")
        return ["x", f"x*{n}", "1", n]
    return ["x", "1", *names]


def _answer(params: IdentifyParams, digits: int, form: str, coefficients: list[int],
            basis: list[str], expression: sympy.Expr, verified: int) -> dict:
    return {
        "value": params.value,
        "precision_digits": digits,
        "form": form,
        "relation": {"coefficients": coefficients, "basis": basis},
        "expression": sympy.sstr(expression),
        "latex": sympy.latex(expression),
        "verified_digits": verified,
    }


def discoveries(params: IdentifyParams, result: dict) -> list[Discovery]:
    if not result.get("expression"):
        return []
    return [Discovery(
        target=params.value[:40],
        text=f"{params.value[:40]}... = {result['expression']}",
        latex=result["latex"],
        statement=identity_statement(params.value, result["expression"]),
        evidence={"verified_digits": result["verified_digits"],
                  "precision_digits": result["precision_digits"]},
    )]


JOB_TYPES = [
    JobType("identify", IdentifyParams, identify,
            "Recognise a decimal number as a closed form in registered constants (PSLQ).",
            discoveries=discoveries, limits=TimeLimits(300, 330)),
]
