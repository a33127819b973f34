"""Simple numbers near a fitted value, each with its description length.

A fitted constant ``0.4987 +- 0.004`` may be ``1/2``; ``0.3991`` may be
``1/sqrt(2 pi)``.  The candidates come from the one identification module,
:func:`mathdisco.engines.numerics.measured.interval_candidates` (``(p/q) * B``
with ``q <= 12`` and ``B`` a product of ``sqrt 2``, ``sqrt 3`` and a
half-integer power of ``pi``, a power of ``e`` or a registry constant), with
their codelengths in nats; whether one replaces the fitted value is decided by
:mod:`mathdisco.engines.sr.selection` (inside the confidence interval, a shorter
description, and a statistical test after the refit).  This module adapts
them to the selection's vocabulary.

Reference: Rissanen, "A universal prior for integers and estimation by minimum
description length", Annals of Statistics 11 (1983) (codelengths of integers);
Bartlett, Desmond, Ferreira, "Exhaustive Symbolic Regression", IEEE TEVC 2023,
section III (the codelength of a model's constants).

Examples
--------
>>> [c.text for c in candidates(0.4987, 0.004)][:1]
['1/2']
>>> [c.text for c in candidates(0.39896, 0.0005)][:1]
['sqrt(2)/(2*sqrt(pi))']
>>> candidates(1.7800000000001, 1e-12, decimals=2)[0].text
'89/50'
>>> is_simple(1 / 6), is_simple(0.0083333391)
(True, False)
"""

from __future__ import annotations

import math
from fractions import Fraction

from mathdisco.engines.numerics.measured import Recognised, interval_candidates, measured_cost

__all__ = ["SimpleNumber", "candidates", "free_cost", "is_simple"]

SimpleNumber = Recognised
"""A closed form with ``value``, ``rational``, ``cost`` (nats), ``expression``/``expr`` and ``text``."""
Recognised.expr = Recognised.expression  # the selection's older name


def free_cost(value: float, standard_error: float) -> float:
    """The codelength of a free parameter: a sign and ``|value|`` to its standard error."""
    return measured_cost(value, standard_error)


def candidates(value: float, width: float, max_denominator: int = 12,
               decimals: int = 0) -> list[SimpleNumber]:
    """Simple numbers within ``width`` of ``value``, cheapest first (ties: closest first).

    ``decimals > 0`` adds the nearest decimal with that many places (exact data).
    Zero is never a candidate here (dropping a term is the caller's decision).
    """
    if not math.isfinite(width):
        return []
    width = max(width, 1e-15 * abs(value))
    return interval_candidates(value, value - width, value + width,
                               max_denominator=max_denominator, decimals=decimals)


def is_simple(value: float, rtol: float = 1e-8) -> bool:
    """Whether ``value`` is, to ``rtol``, zero, a fraction with denominator <= 12, a decimal with
    <= 3 places, or a closed form of :func:`candidates` -- a number a law may hold."""
    if value == 0 or abs(value) <= 1e-300:
        return True
    if not math.isfinite(value):
        return False
    r = Fraction(value).limit_denominator(1000)
    if (r.denominator <= 12 or 1000 % r.denominator == 0) and abs(float(r) - value) <= rtol * abs(value):
        return True
    return bool(candidates(value, rtol * abs(value)))
