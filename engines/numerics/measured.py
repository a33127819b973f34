"""Closed forms for measured values: a constant known to a standard error, not to digits.

A constant fitted to noisy data (symbolic regression's ``1.50093 +- 0.001``)
cannot meet the digit rules of :mod:`mathdisco.engines.numerics.identification`,
so it is judged by the same rules read in nats.  :func:`interval_candidates`
proposes the closed forms ``(p/q) * B`` (``q <= 12``; ``B`` a product of
``sqrt 2``, ``sqrt 3`` and a half-integer power of ``pi``, a power of ``e``, or
a constant of the registry) inside the value's confidence interval
``v +- z sigma``, cheapest first, each with its codelength in nats under a
proper code (Kraft's inequality holds: a plain rational takes half the
probability, the other bases share the rest).  :func:`interval_accepts`
accepts one when

1'. its codelength is shorter than the measured value's,
    ``ln 2 + ln(1 + |v| / sigma)``: the relation is smaller than the
    information the data hold about the value (the analogue of the digit margin);
2'. it lies inside the interval; and
3'. a form that short lies inside an interval that wide by accident with
    chance at most ``CHANCE_LEVEL`` (:func:`coincidence_chance`: the
    look-elsewhere effect, counted).

Measured by bench/sr_recognition.py (``c * x0 * x1``, 1 % noise, 200 rows; the
selection's refit and F-test included): 10 of 200 random constants were
"recognised" and 37 of 50 simple ones recognised as themselves, where the
earlier rule (an improper code and a margin of 2 nats instead of rule 3')
gave 30 of 100 and 36 of 50.

The caller then refits its model with the value fixed and re-checks the error
(the analogue of the digit check: symbolic regression's partial F-test,
:mod:`mathdisco.engines.sr.selection`), and states the chance beside the form.

Examples
--------
>>> best = interval_candidates(0.50041, 0.4989, 0.5019)[0]
>>> best.text, interval_accepts(best, 0.50041, 0.0005)
('1/2', True)
>>> round(coincidence_chance(best, 0.50041, 0.0005), 3)
0.013
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from mathdisco.engines.numerics.constants import CONSTANTS, constant_value

__all__ = ["CHANCE_LEVEL", "INTERVAL_Z", "Recognised", "coincidence_chance", "interval_accepts",
           "interval_candidates", "measured_cost", "plausible_reading"]

#: confidence interval of a measured value, in standard errors (rule 2').
INTERVAL_Z = 3.0
#: the largest chance of an accidental match a recognition may carry (rule 3').
CHANCE_LEVEL = 0.1

_LN2 = math.log(2.0)
_MAX_DENOMINATOR = 12
#: registry constants offered for measured values beyond the products of sqrt 2, sqrt 3, pi, e.
_REGISTRY_FOR_INTERVALS = ("ln2", "ln3", "phi", "sqrt5", "zeta3", "catalan", "euler_gamma")


@dataclass(frozen=True)
class Recognised:
    """A closed form ``rational * base`` near a measured value, with its codelength in nats."""

    value: float
    rational: Fraction
    base: int  # index into the interval bases (0: the number 1)
    cost: float

    @property
    def expression(self) -> sympy.Expr:
        return sympy.Rational(self.rational.numerator, self.rational.denominator) * _interval_bases()[self.base][1]

    @property
    def text(self) -> str:
        return sympy.sstr(self.expression)


@functools.lru_cache(maxsize=1)
def _interval_bases() -> tuple[tuple[float, sympy.Expr, float], ...]:
    """(value, sympy form, codelength in nats) of every base; the first is 1."""
    out = []
    for a in (0, 1):
        for b in (0, 1):
            for c in (0, 1, -1, 2, -2, 3, -3, 4, -4):
                expr = sympy.sqrt(2) ** a * sympy.sqrt(3) ** b * sympy.pi ** sympy.Rational(c, 2)
                cost = _LN2 * (a + b) + (_LN2 + math.log(abs(c)) if c else 0.0)
                out.append((float(expr), expr, cost))
    for k in (1, -1, 2, -2):  # e**k: exp(1 - x) = e * exp(-x) leaves a power of e in a scale
        out.append((math.e**k, sympy.E**k, 2 * _LN2 + math.log(abs(k))))
    extra = 2 * _LN2 + math.log(len(_REGISTRY_FOR_INTERVALS))  # which registry entry
    for name in _REGISTRY_FOR_INTERVALS:
        out.append((float(constant_value(name, 20)), CONSTANTS[name].sympy_form, extra))
    # A proper code (Kraft): the number 1 (a plain rational) takes half the probability, the
    # other bases share the rest in proportion to exp(-cost) above.
    others = math.log(sum(math.exp(-cost) for _, _, cost in out[1:]))
    return tuple((value, expr, _LN2 + (0.0 if i == 0 else cost + others))
                 for i, (value, expr, cost) in enumerate(out))


def _integer_cost(k: int) -> float:
    return 2.0 * math.log1p(abs(k))  # a proper code: the lengths satisfy Kraft's inequality


def _rational_cost(r: Fraction) -> float:
    return _integer_cost(r.numerator) + 2.0 * math.log(r.denominator) + (_LN2 if r < 0 else 0.0)


def measured_cost(value: float, standard_error: float) -> float:
    """The codelength in nats of a measured value: a sign and ``|value|`` to its standard error.

    >>> round(measured_cost(1.5, 0.001), 3)
    8.007
    """
    if not math.isfinite(standard_error) or standard_error <= 0:
        standard_error = 1e-300
    return _LN2 + math.log1p(abs(value) / standard_error)


def interval_candidates(value: float, low: float, high: float, *,
                        max_denominator: int = _MAX_DENOMINATOR, decimals: int = 0) -> list[Recognised]:
    """Closed forms ``(p/q) * base`` in ``[low, high]``, cheapest first (ties: nearest ``value``).

    The finder for measured values (module docstring).  ``decimals > 0`` adds the
    decimal with that many places nearest to ``value`` (``3.39``), for exact data
    whose constants are short decimals; its cost is that of ``p`` over
    ``10**decimals``.  Zero is never a candidate (dropping a term is the caller's
    decision).

    >>> [c.text for c in interval_candidates(1.50093, 1.4978, 1.5041)][:2]
    ['3/2', '3*sqrt(2)*sqrt(pi)/5']
    >>> interval_candidates(0.69316, 0.69310, 0.69320)[0].text
    'log(2)'
    """
    if not all(math.isfinite(v) for v in (value, low, high)) or value == 0 or abs(value) > 1e6:
        return []
    pad = 1e-15 * abs(value)
    low, high = min(low, value) - pad, max(high, value) + pad
    seen: dict[float, Recognised] = {}
    for index, (base_value, _, base_cost) in enumerate(_interval_bases()):
        ratio = value / base_value
        for q in range(1, max_denominator + 1):
            p = round(ratio * q)
            if p == 0:
                continue
            r = Fraction(p, q)
            number = float(r) * base_value
            if not low <= number <= high:
                continue
            cost = _rational_cost(r) + base_cost
            key = round(number, 12)
            if key not in seen or cost < seen[key].cost:
                seen[key] = Recognised(number, r, index, cost)
    for places in range(1, decimals + 1):
        r = Fraction(round(value * 10**places), 10**places)
        if r != 0 and low <= float(r) <= high:
            key = round(float(r), 12)
            if key not in seen:
                cost = _integer_cost(round(value * 10**places)) + places * math.log(10) + _LN2
                seen[key] = Recognised(float(r), r, 0, cost)
    return sorted(seen.values(), key=lambda c: (c.cost, abs(c.value - value)))


def interval_accepts(candidate: Recognised, value: float, standard_error: float,
                     z: float = INTERVAL_Z) -> bool:
    """Rules 1', 2' and 3' for a measured value (module docstring); the caller refits and re-checks.

    >>> c = interval_candidates(1.50093, 1.497, 1.505)[0]
    >>> interval_accepts(c, 1.50093, 0.0005), interval_accepts(c, 1.50093, 0.0001)
    (True, False)
    """
    inside = abs(candidate.value - value) <= z * standard_error * (1 + 1e-12)
    if not inside or candidate.cost >= measured_cost(value, standard_error):
        return False
    return coincidence_chance(candidate, value, standard_error, z) <= CHANCE_LEVEL


def coincidence_chance(candidate: Recognised, value: float, standard_error: float,
                       z: float = INTERVAL_Z, neighbourhood: float = 0.25) -> float:
    """The chance that a closed form as short as ``candidate`` lies inside the interval by accident.

    The closed forms of codelength at most ``candidate.cost`` between
    ``|value| / (1 + neighbourhood)`` and ``|value| * (1 + neighbourhood)`` are
    counted (``N``, ``candidate`` included); a value known to ``z`` standard
    errors sees a window ``2 z sigma`` of that span, so ``N * 2 z sigma / span``
    of them are expected inside it at random, and the chance of at least one is
    ``1 - exp(-N * 2 z sigma / span)`` (a Poisson count).  Decimals of exact
    data (``interval_candidates(decimals=...)``) are not counted.

    >>> three_halves = interval_candidates(1.50093, 1.4979, 1.5039)[0]
    >>> round(coincidence_chance(three_halves, 1.50093, 0.001), 2)
    0.03
    >>> round(coincidence_chance(three_halves, 1.50093, 0.0001), 4)
    0.0035
    """
    size = abs(value)
    if not math.isfinite(standard_error) or standard_error <= 0 or size == 0:
        return 0.0
    low, high = size / (1 + neighbourhood), size * (1 + neighbourhood)
    budget = candidate.cost - (_LN2 if value < 0 else 0.0) + 1e-9  # the candidate itself counts
    count = len(_forms_within(low, high, budget))
    expected = count * 2 * z * standard_error / (high - low)
    return float(-np.expm1(-expected))


def _forms_within(low: float, high: float, budget: float) -> set[float]:
    """The distinct positive values ``(p/q) * base`` in ``[low, high]`` of codelength <= ``budget``."""
    found: set[float] = set()
    q = np.arange(1, _MAX_DENOMINATOR + 1)
    for base_value, _, base_cost in _interval_bases():
        left = budget - base_cost - 2.0 * np.log(q)  # nats left for the numerator, per q
        p_max = np.floor(np.exp(np.maximum(left, 0.0) / 2.0) - 1.0).astype(np.int64)
        p_max = np.minimum(p_max, np.floor(high * q / base_value).astype(np.int64))
        p_min = np.maximum(np.ceil(low * q / base_value).astype(np.int64), 1)
        for qi, first, last in zip(q.tolist(), p_min.tolist(), p_max.tolist(), strict=True):
            if first > last or left[qi - 1] < 0:
                continue
            p = np.arange(first, last + 1)
            p = p[np.gcd(p, qi) == 1]  # in lowest terms: the reduced form is counted at its own q
            if p.size:
                found.update(np.round(p / qi * base_value, 12).tolist())
    return found


def plausible_reading(value: float, standard_error: float,
                      z: float = INTERVAL_Z) -> tuple[Recognised, float] | None:
    """The shortest closed form that meets rules 1' and 2' for ``value``, with its chance (rule 3').

    For a value kept as measured: the reading a researcher may still consider
    ("consistent with 2, chance 0.18 of an accidental match"); None when no
    form is shorter than the measured value inside its interval.

    >>> form, chance = plausible_reading(1.996, 0.03)
    >>> form.text, round(chance, 2)
    ('2', 0.18)
    """
    if not (math.isfinite(standard_error) and standard_error > 0):
        return None
    width = z * standard_error
    for candidate in interval_candidates(value, value - width, value + width)[:1]:
        if candidate.cost < measured_cost(value, standard_error):
            return candidate, coincidence_chance(candidate, value, standard_error, z)
    return None
