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
>>> from mathdisco.engines.identify.job import IdentifyParams, identify
>>> result = identify(IdentifyParams(value="1.3591409142295226176801437356763"), None)
>>> result["expression"], result["found_digits"], result["verified_digits"]
('E/2', 25, 31)"""

from __future__ import annotations

import sympy

from mathdisco.engines.contract import JobType, Progress, TimeLimits, no_progress
from mathdisco.engines.discoveries import Discovery, identity_statement
from mathdisco.engines.identify.params import IdentifyParams, significant_digits
from mathdisco.engines.identify.results import IdentifyResult, view
from mathdisco.engines.numerics.identification import identify_decimal

__all__ = ["JOB_TYPES", "discoveries", "identify", "run"]


def _form_label(form: str, constant: str | None) -> str:
    if form in ("linear", "mobius"):
        return f"{form} in {constant}"
    return "linear combination" if form == "combination" else form


def identify(params: IdentifyParams, progress: Progress | None = None) -> dict:
    """Run the search; see the module docstring."""
    progress = progress or no_progress
    digits = min(params.precision_digits or significant_digits(params.value),
                 significant_digits(params.value))
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


def discoveries(params: IdentifyParams, result: IdentifyResult) -> list[Discovery]:
    if not result.expression:
        return []
    return [Discovery(
        target=params.value[:40],
        text=f"{params.value[:40]}... = {result.expression}",
        latex=result.latex,
        statement=identity_statement(params.value, result.expression),
        evidence={"verified_digits": result.verified_digits,
                  "found_digits": result.found_digits,
                  "precision_digits": result.precision_digits},
    )]


JOB_TYPES = [
    JobType("identify", IdentifyParams, run,
            "Recognise a decimal number as a closed form in registered constants (PSLQ).",
            result_model=IdentifyResult, view=view,
            discoveries=discoveries, limits=TimeLimits(300, 330)),
]
