"""The ``identify`` job type: recognise a decimal number as a closed form.

Given a number as a decimal string, look for a small integer relation between
it and registered constants (:func:`mathdisco.engines.numerics.identification.identify_decimal`),
in order of simplicity:

1. ``x`` rational: ``a x + b = 0``;
2. for each constant ``c``: ``x`` linear in ``c`` (``a x + b + d c = 0``), then
   a Möbius transform of ``c`` (``a x + b x c + d + f c = 0``);
3. ``x`` an integer combination of all chosen constants at once.

PSLQ sees the leading four fifths of the given digits; a relation is accepted
by the one rule of :mod:`mathdisco.engines.numerics.identification` (it is smaller than
those digits by a margin, and holds on all of them).  The answer is the
relation with the smallest sum of absolute coefficients, with the closed form
in the safe expression grammar and LaTeX, ``found_digits`` (what PSLQ saw) and
``verified_digits`` (what it holds to).

Example
-------
>>> from mathdisco.engines.identify import IdentifyParams, identify
>>> result = identify(IdentifyParams(value="1.3591409142295226176801437356763"), None)
>>> result["expression"], result["found_digits"], result["verified_digits"]
('E/2', 25, 31)
"""

from __future__ import annotations

import re

import sympy
from mathdisco.engines.contract import EngineParams, JobType, Progress, TimeLimits, no_progress
from mathdisco.engines.discoveries import Discovery, identity_statement
from mathdisco.engines.numerics.constants import CONSTANTS
from mathdisco.engines.numerics.identification import identify_decimal
from mathdisco.engines.results import EvidenceRow, ResultModel, ResultView, ShownFormula
from pydantic import Field, JsonValue, field_validator

__all__ = ["IdentifyParams", "IdentifyResult", "JOB_TYPES", "identify", "run", "view"]

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


class IdentifyResult(ResultModel):
    """An ``identify`` answer: the relation found, or None with a message."""

    value: str
    precision_digits: int
    form: str | None = None
    relation: dict[str, JsonValue] | None
    expression: str | None
    latex: str | None
    found_digits: int | None = None
    verified_digits: int
    message: str | None = None


def _significant_digits(text: str) -> int:
    mantissa = re.split(r"[eE]", text)[0].lstrip("+-").replace(".", "")
    return len(mantissa.lstrip("0"))


def _form_label(form: str, constant: str | None) -> str:
    if form in ("linear", "mobius"):
        return f"{form} in {constant}"
    return "linear combination" if form == "combination" else form


def identify(params: IdentifyParams, progress: Progress | None = None) -> dict:
    """Run the search; see the module docstring."""
    progress = progress or no_progress
    digits = min(params.precision_digits or _significant_digits(params.value),
                 _significant_digits(params.value))
    if sympy.Rational(params.value.split("e")[0].split("E")[0] or "0") == 0:
        progress(1, 1, "the value is zero")
        return {"value": params.value, "precision_digits": digits, "form": "zero",
                "relation": {"coefficients": [1], "basis": ["x"]}, "expression": "0",
                "latex": "0", "found_digits": digits, "verified_digits": digits}
    found = identify_decimal(params.value, digits, params.constants, max_coeff=params.max_coeff,
                             progress=progress)
    if found is None:
        return {"value": params.value, "precision_digits": digits, "relation": None,
                "expression": None, "latex": None, "verified_digits": 0,
                "message": "no relation with coefficients up to max_coeff passes the acceptance "
                           "rule (smaller than the digits searched by the margin, holding on all)"}
    return {
        "value": params.value,
        "precision_digits": digits,
        "form": _form_label(found.form, found.constant),
        "relation": {"coefficients": list(found.coefficients), "basis": list(found.basis)},
        "expression": sympy.sstr(found.expression),
        "latex": sympy.latex(found.expression),
        "found_digits": found.found_digits,
        "verified_digits": found.verified_digits,
    }


run = identify


def discoveries(params: IdentifyParams, result: dict) -> list[Discovery]:
    if not result.get("expression"):
        return []
    return [Discovery(
        target=params.value[:40],
        text=f"{params.value[:40]}... = {result['expression']}",
        latex=result["latex"],
        statement=identity_statement(params.value, result["expression"]),
        evidence={"verified_digits": result["verified_digits"],
                  "found_digits": result.get("found_digits"),
                  "precision_digits": result["precision_digits"]},
    )]


def view(result: IdentifyResult) -> ResultView:
    """The closed form, if any, with the digits it was found at and holds to."""
    evidence = [EvidenceRow(label="digits given", value=result.precision_digits)]
    if result.expression is None:
        return ResultView(evidence=evidence, notes=[result.message or "no closed form found"])
    evidence += [EvidenceRow(label="relation", value=result.form),
                 EvidenceRow(label="found at digits", value=result.found_digits),
                 EvidenceRow(label="holds to digits", value=result.verified_digits)]
    return ResultView(formulas=[ShownFormula(
        label=f"Closed form: {result.expression}", text=f"{result.value} = {result.expression}",
        latex=result.latex or "", verified_digits=result.verified_digits)], evidence=evidence)


JOB_TYPES = [
    JobType("identify", IdentifyParams, run,
            "Recognise a decimal number as a closed form in registered constants (PSLQ).",
            result_model=IdentifyResult, view=view,
            discoveries=discoveries, limits=TimeLimits(300, 330)),
]
