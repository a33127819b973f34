"""Identifying one PCF limit: rational, quadratic, or Möbius in a basis constant.

Every convergent member of a box goes through :func:`identify_member`
(issue 15: clustering may order the work, never filter it).  The finders,
cheapest first, each only *propose* a relation; the acceptance rule of
:mod:`mathdisco.engines.numerics.identification` (:func:`~mathdisco.engines.numerics.identification.judge`)
decides, on an independent deeper and more precise evaluation:

1. ``rational`` -- the simplest fraction in the interval the value is known to;
2. ``quadratic`` -- a visibly periodic simple continued fraction (Lagrange),
   or a Möbius relation to a square root found by 3.;
3. ``mobius`` -- Serret's theorem through :class:`mathdisco.engines.numerics.tails.TailIndex`:
   the value's partial quotients are looked up among those of the images
   ``(a K + b)/d`` of the basis constants.  Relations of large determinant
   usually come from the fraction's own first terms (``det`` of a prefix is
   ``prod b(k)``), so the *backward extensions*
   ``y_s = a(-s) + b(1-s)/y_{s-1}``, ``y_0 = L`` -- the values of
   ``PCF[a(n - s), b(n - s)]``, whose tail at ``s`` is ``L`` -- are looked up
   too, and a hit there is mapped back to ``L`` exactly;
4. optionally PSLQ against named constants (the cluster accelerator and the
   exhaustive mode of the job).

Example
-------
>>> from mathdisco.engines.numerics.tails import TailIndex
>>> from mathdisco.engines.pcf.evaluation import convergent_value
>>> index = TailIndex.build(["pi", "e", "ln2"], max_det=24)
>>> found = convergent_value([1, 2], [0, 0, 1], 300, 50)            # 4/pi
>>> check = convergent_value([1, 2], [0, 0, 1], 600, 100)
>>> result = identify_member([1, 2], [0, 0, 1], found, lambda: check, index)
>>> result.form, result.constant, result.text, result.method
('mobius', 'pi', '4/pi', 'cf tail index')
>>> (result.found_digits, result.verified_digits)
(50, 100)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import mpmath
import sympy

from mathdisco.engines.numerics.constants import constant_value
from mathdisco.engines.numerics.identification import (
    MARGIN_DIGITS,
    Identification,
    basis_labels,
    basis_values,
    closed_form,
    judge,
    mobius_coefficients,
    primitive,
    pslq_relation,
    relation_digits,
    relation_size,
)
from mathdisco.engines.numerics.tails import (
    TailIndex,
    exact_interval,
    interval_partial_quotients,
    matrix_product,
    periodic_quadratic,
    rational_interval,
    simplest_rational,
)
from mathdisco.engines.pcf.evaluation import PCFValue

__all__ = ["QUADRATIC_CONSTANTS", "identify_member", "quadratic_name"]

#: basis constants that are quadratic irrationals: a relation to them is reported as quadratic
QUADRATIC_CONSTANTS = {"sqrt2": 2, "sqrt3": 3, "sqrt5": 5, "phi": 5}
#: partial quotients looked at (enough for a window after a prefix)
MAX_PARTIAL_QUOTIENTS = 40
#: backward extensions tried, and the largest |det| they may accumulate
MAX_EXTENSIONS = 6
MAX_EXTENSION_DET = 10**6


def _poly(coefficients: Sequence[int], n: int) -> int:
    value = 0
    for c in reversed(coefficients):
        value = value * n + int(c)
    return value


def quadratic_name(c2: int, c1: int, c0: int) -> str:
    """``sqrt<d>``: the square-free part of the discriminant of ``c2 x^2 + c1 x + c0``.

    >>> quadratic_name(1, -1, -1), quadratic_name(1, 0, -8)
    ('sqrt5', 'sqrt2')
    """
    disc = c1 * c1 - 4 * c2 * c0
    d = abs(disc)
    for p in range(2, math.isqrt(d) + 1):
        while d % (p * p) == 0:
            d //= p * p
    return f"sqrt{'-' if disc < 0 else ''}{d}"


def _quadratic_from_constant(name: str, matrix) -> tuple[int, int, int]:
    (m00, m01), (m10, m11) = matrix
    p, q, r, s = m11, -m01, -m10, m00      # K = (p x + q)/(r x + s)
    if name == "phi":   # K^2 - K - 1 = 0
        c2 = p * p - p * r - r * r
        c1 = 2 * p * q - (p * s + q * r) - 2 * r * s
        c0 = q * q - q * s - s * s
    else:               # K^2 - d = 0
        d = QUADRATIC_CONSTANTS[name]
        c2, c1, c0 = p * p - d * r * r, 2 * p * q - 2 * d * r * s, q * q - d * s * s
    return primitive([c2, c1, c0])


def _extensions(a: Sequence[int], b: Sequence[int], x: mpmath.mpf, digits: int,
                exact: tuple[int, int] | None):
    """``(y_s, its digits, E_s, exact y_s)``: backward extensions with ``y_s = E_s(L)``.

    Only the extensions whose last step has ``|b| != 1`` are returned: a
    step of determinant ``±1`` keeps the tail, so it has nothing new to look up.
    With ``exact = (p, q)`` the extensions are exact rationals too.
    """
    matrix = ((1, 0), (0, 1))
    y = float(x)
    left, det = float(digits), 1
    for s in range(1, MAX_EXTENSIONS + 1):
        bk, ak = _poly(b, 1 - s), _poly(a, -s)
        if bk == 0 or y == 0 or not math.isfinite(y):
            return
        # y_s = ak + bk / y_{s-1}; its error is the previous one times |bk| / y^2
        left -= max(0.0, math.log10(abs(bk)) - 2 * math.log10(abs(y)))
        y = ak + bk / y
        matrix = matrix_product(((ak, bk), (1, 0)), matrix)
        det *= abs(bk)
        if det > MAX_EXTENSION_DET or left < 20:
            return
        if abs(bk) != 1:
            (e00, e01), (e10, e11) = matrix
            if exact is not None:
                p, q = exact
                rational = (e00 * p + e01 * q, e10 * p + e11 * q)
                if rational[1] == 0:
                    return
                yield None, int(left), matrix, rational
            else:
                with mpmath.workdps(digits + 10):
                    yield (e00 * x + e01) / (e10 * x + e11), int(left), matrix, None


def _interval(x: mpmath.mpf, digits: int, exact: tuple[int, int] | None) -> tuple[int, int, int]:
    return exact_interval(*exact, digits) if exact is not None else rational_interval(x, digits)


def _partial_quotients(x: mpmath.mpf, digits: int, exact: tuple[int, int] | None) -> list[int]:
    return interval_partial_quotients(*_interval(x, digits, exact), MAX_PARTIAL_QUOTIENTS)


def _mobius_candidates(a, b, found: PCFValue, pqs: list[int], index: TailIndex):
    """``(constant, M)`` with ``L = M(K)`` from the tail index, for L and its extensions."""
    sequences, backs = [pqs], [None]
    for y, y_digits, extension, rational in _extensions(a, b, found.value, found.digits,
                                                        found.exact):
        sequences.append(_partial_quotients(y, y_digits, rational))
        (e00, e01), (e10, e11) = extension
        backs.append(((e11, -e01), (-e10, e00)))        # L = E^-1 (y)
    for back, found_relations in zip(backs, index.relations_many(sequences), strict=True):
        for name, m in found_relations:
            yield name, (m if back is None else matrix_product(back, m))


def _roughly_holds(form: str, coefficients, names, x: mpmath.mpf) -> bool:
    """A double-precision pre-check: the relation holds to 1e-9 relative (cheap rejection)."""
    xf = float(x)
    k = _float_constant(names[0]) if names else 0.0
    basis = {"rational": (xf, 1.0), "quadratic": (xf * xf, xf, 1.0),
             "mobius": (xf, xf * k, 1.0, k)}[form]
    terms = [c * v for c, v in zip(coefficients, basis, strict=True)]
    scale = max(abs(t) for t in terms)
    return scale > 0 and abs(math.fsum(terms)) <= 1e-9 * scale


@functools.lru_cache(maxsize=64)
def _float_constant(name: str) -> float:
    return float(constant_value(name, 30))


def identify_member(a: Sequence[int], b: Sequence[int], found: PCFValue,
                    check: Callable[[], PCFValue], index: TailIndex,
                    pslq_constants: Sequence[str] = ()) -> Identification | None:
    """The identification of ``PCF[a, b]`` (module docstring), or None.

    ``found`` is what the finders see; ``check()`` (called at most once, only
    when a candidate passed the cheap tests) is the independent deeper and
    more precise evaluation the acceptance rule judges on.
    """
    if found.digits < MARGIN_DIGITS + 4 or not mpmath.isfinite(found.value):
        return None
    x, digits = found.value, found.digits
    checked: list[PCFValue] = []

    def check_value() -> PCFValue:
        if not checked:
            checked.append(check())
        return checked[0]

    def accept(form: str, names: tuple[str, ...], coefficients, method: str):
        coefficients = primitive(coefficients)
        if not any(coefficients) or relation_size(coefficients) + MARGIN_DIGITS > digits:
            return None
        if not _roughly_holds(form, coefficients, names, x):
            return None
        with mpmath.workdps(digits + 10):
            if relation_digits(coefficients, basis_values(form, x, names, digits), digits) < digits - 2:
                return None
        deeper = check_value()
        if not mpmath.isfinite(deeper.value):
            return None
        values = basis_values(form, deeper.value, names, deeper.digits)
        verified = judge(coefficients, digits, values, deeper.digits)
        if verified is None:
            return None
        expression = closed_form(form, coefficients, names, deeper.value)
        if expression is None or expression.has(sympy.zoo, sympy.nan):
            return None
        return Identification(form, names[0] if form == "mobius" else None, coefficients,
                              basis_labels(form, names), expression, digits, verified, method)

    interval = _interval(x, digits, found.exact)
    pqs = interval_partial_quotients(*interval, MAX_PARTIAL_QUOTIENTS)
    # a rational p/q can pass the rule only if log10 p + log10 q <= digits - margin
    rational = simplest_rational(*interval, 10 ** ((digits - MARGIN_DIGITS) // 2 + 1))
    if rational is not None:
        found_rational = accept("rational", (), [rational[1], -rational[0]], "cf")
        if found_rational is not None:
            return found_rational
    quadratic = periodic_quadratic(pqs)
    if quadratic is not None:
        found_quadratic = accept("quadratic", (), quadratic, "cf period")
        if found_quadratic is not None:
            return found_quadratic
    best: Identification | None = None
    for name, matrix in _mobius_candidates(a, b, found, pqs, index):
        if name in QUADRATIC_CONSTANTS:
            result = accept("quadratic", (), _quadratic_from_constant(name, matrix), "cf tail index")
        else:
            result = accept("mobius", (name,), mobius_coefficients(matrix), "cf tail index")
        if result is not None and (best is None or result.size < best.size):
            best = result
            if best.size < 2:
                break
    if best is not None:
        return best
    for name in pslq_constants:
        values = basis_values("mobius", x, (name,), digits)
        relation = pslq_relation(values, digits, max_coeff=10**5)
        if relation is not None:
            result = accept("mobius", (name,), relation, "pslq")
            if result is not None:
                return result
    return None
