"""Integer-relation identification with PSLQ, checked beyond the digits used.

PSLQ (Ferguson, Bailey & Arno, Math. Comp. 68 (1999)) finds integers
``c_0..c_k``, not all zero, with ``sum c_i v_i = 0`` to the working precision.
Any vector of reals has *some* relation with huge coefficients at a given
precision, so a relation only counts when it still holds at precision
beyond what PSLQ saw: :func:`find_relation` runs PSLQ on the leading
``search_dps`` digits and reports how many digits the relation matches at the
full ``check_dps`` precision.

Example
-------
>>> import mpmath
>>> from engines.numerics.relations import find_relation
>>> with mpmath.workdps(60):
...     x = (mpmath.e + 1) / (mpmath.e - 1)
...     values = [x, x * mpmath.e, mpmath.mpf(1), +mpmath.e]
>>> rel = find_relation(values, search_dps=40, check_dps=60, max_coeff=1000)
>>> rel.coefficients
[1, -1, 1, 1]
>>> rel.digits_matched >= 55
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import mpmath


@dataclass(frozen=True)
class Relation:
    """``sum(coefficients[i] * values[i]) == 0``, confirmed to ``digits_matched`` digits."""

    coefficients: list[int]
    digits_matched: int
    search_dps: int
    check_dps: int


def relation_digits(coefficients: Sequence[int], values: Sequence[mpmath.mpf], dps: int) -> int:
    """How many decimal digits the relation holds to, relative to its largest term."""
    with mpmath.workdps(dps + 10):
        terms = [c * v for c, v in zip(coefficients, values, strict=True) if c]
        scale = max(abs(t) for t in terms)
        residual = abs(mpmath.fsum(terms))
        if residual == 0:
            return dps
        return max(0, min(dps, int(mpmath.floor(-mpmath.log10(residual / scale)))))


def find_relation(
    values: Sequence[mpmath.mpf],
    *,
    search_dps: int,
    check_dps: int,
    max_coeff: int = 10**6,
    max_steps: int = 10_000,
    min_margin_digits: int = 5,
) -> Relation | None:
    """An integer relation among ``values`` found at ``search_dps`` and confirmed at ``check_dps``.

    ``values`` must be accurate to ``check_dps`` digits.  The relation is
    accepted only if it holds to at least ``search_dps + min_margin_digits``
    digits (or to within ``min_margin_digits`` of ``check_dps``), i.e. it
    keeps holding on digits PSLQ never saw.  Returns None when there is none.
    """
    if check_dps < search_dps:
        raise ValueError("check_dps must be at least search_dps")
    with mpmath.workdps(search_dps):
        found = mpmath.pslq([+v for v in values], maxcoeff=max_coeff, maxsteps=max_steps)
    if found is None:
        return None
    coefficients = [int(c) for c in found]
    # sign convention: the first non-zero coefficient is positive
    if coefficients and next((c for c in coefficients if c), 0) < 0:
        coefficients = [-c for c in coefficients]
    digits = relation_digits(coefficients, values, check_dps)
    needed = min(search_dps + min_margin_digits, check_dps - min_margin_digits)
    if digits < needed:
        return None
    return Relation(coefficients, digits, search_dps, check_dps)

