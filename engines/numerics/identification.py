"""Identifying numbers as closed forms: integer relations and the one acceptance rule.

Every engine that recognises a number as a closed form -- the ``identify``
job, ``pcf_cluster`` (each member of a box) -- goes through this module
(docs/design.md, "Identification").  Relations are *proposed* by several
finders: PSLQ (Ferguson, Bailey & Arno, Math. Comp. 68 (1999)) here, the
continued-fraction tail index of :mod:`mathdisco.engines.numerics.tails` (Serret's
theorem) and the periodicity of a simple continued fraction (Lagrange's
theorem); they are all *judged* by :func:`judge`, by one rule:

**Acceptance rule.**  A primitive integer relation ``c`` among the values of
a basis ``(v_0, ..., v_k)`` is accepted when

1. it was found from values known to ``found_digits`` decimal digits, with
   ``found_digits >= size(c) + MARGIN_DIGITS``, where
   ``size(c) = sum_{c_i != 0} log10 |c_i|`` -- the relation is much smaller
   than the data it was found in, so a coincidence cannot explain it (in the
   spirit of LIReC's ``min_roi``); and
2. it holds on an independent evaluation of the values known to
   ``check_digits > found_digits`` digits to at least
   ``check_digits - CHECK_SLACK_DIGITS`` digits (relative to the largest term).
   For a continued fraction the check is an evaluation at a larger depth and a
   higher precision; for a decimal the check is the number's digits that the
   finder did not see.

Results state both counts: ``found_digits`` and ``verified_digits`` (the
digits the relation holds to on the check, at most ``check_digits``).  Values
handed to PSLQ are mpmath numbers carrying ``found_digits`` correct digits --
never doubles.

**Measured values** (a constant fitted to noisy data, known to a standard
error rather than to digits) are judged by the same rules read in nats, in
:mod:`mathdisco.engines.numerics.measured`.

Relation shapes (the basis, in this order):

* ``rational``: ``(x, 1)``;
* ``quadratic``: ``(x^2, x, 1)`` -- a quadratic irrational, an algebraic number;
* ``linear`` in a constant ``K``: ``(x, 1, K)``;
* ``mobius`` in ``K``: ``(x, x K, 1, K)``, i.e. ``x = -(c_2 + c_3 K)/(c_0 + c_1 K)``;
* ``combination``: ``(x, 1, K_1, ..., K_m)``.

Example
-------
>>> import mpmath
>>> with mpmath.workdps(60):
...     x = (mpmath.e + 1) / (mpmath.e - 1)
>>> found = identify_decimal(mpmath.nstr(x, 50), 50, ["pi", "e"])
>>> found.form, found.constant, sympy.sstr(found.expression), found.found_digits
('mobius', 'e', '(1 + E)/(-1 + E)', 40)
>>> found.verified_digits >= 48
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import mpmath
import sympy

from mathdisco.engines.numerics.constants import CONSTANTS, constant_value

__all__ = [
    "CHECK_SLACK_DIGITS",
    "MARGIN_DIGITS",
    "Identification",
    "basis_labels",
    "closed_form",
    "identify_decimal",
    "judge",
    "mobius_coefficients",
    "primitive",
    "pslq_relation",
    "relation_digits",
    "relation_size",
]

#: digits a relation must be smaller than the data it was found in (rule 1).
MARGIN_DIGITS = 8
#: digits of the check a relation may fall short of (rounding of the last digits; rule 2).
CHECK_SLACK_DIGITS = 2

FORMS = ("rational", "quadratic", "linear", "mobius", "combination")


@dataclass(frozen=True)
class Identification:
    """An accepted relation and what it says about ``x``.

    ``form`` is one of :data:`FORMS`; ``constant`` the registered constant of
    a ``linear`` or ``mobius`` relation (None otherwise); ``basis`` the labels
    of the basis (``x`` is the number identified); ``method`` the finder
    (``"pslq"``, ``"cf tail index"``, ``"cf period"``, ``"exact"``).
    """

    form: str
    constant: str | None
    coefficients: tuple[int, ...]
    basis: tuple[str, ...]
    expression: sympy.Expr
    found_digits: int
    verified_digits: int
    method: str

    @property
    def size(self) -> float:
        return relation_size(self.coefficients)

    @property
    def text(self) -> str:
        return sympy.sstr(self.expression)


# -- sizes, digits, the rule -----------------------------------------------------------------

def primitive(coefficients: Sequence[int]) -> tuple[int, ...]:
    """Divide by the gcd and make the first non-zero coefficient positive.

    >>> primitive([-4, 2, 0, 6])
    (2, -1, 0, -3)
    """
    g = 0
    for c in coefficients:
        g = math.gcd(g, int(c))
    if g == 0:
        return tuple(int(c) for c in coefficients)
    out = [int(c) // g for c in coefficients]
    if next(c for c in out if c) < 0:
        out = [-c for c in out]
    return tuple(out)


def relation_size(coefficients: Sequence[int]) -> float:
    """``sum log10 |c_i|`` over the non-zero coefficients (rule 1).

    >>> round(relation_size([10, -1, 0, 100]), 6)
    3.0
    """
    return sum(math.log10(abs(int(c))) for c in coefficients if c)


def relation_digits(coefficients: Sequence[int], values: Sequence[mpmath.mpf], dps: int) -> int:
    """Decimal digits to which ``sum c_i v_i = 0`` holds, relative to its largest term (<= dps)."""
    with mpmath.workdps(dps + 10):
        terms = [int(c) * v for c, v in zip(coefficients, values, strict=True) if c]
        if not terms:
            return 0
        scale = max(abs(t) for t in terms)
        residual = abs(mpmath.fsum(terms))
        if residual == 0:
            return dps
        if scale == 0:
            return 0
        return max(0, min(dps, int(mpmath.floor(-mpmath.log10(residual / scale)))))


def judge(coefficients: Sequence[int], found_digits: int, check_values: Sequence[mpmath.mpf],
          check_digits: int) -> int | None:
    """The acceptance rule (module docstring): the verified digits, or None when refused.

    Parameters
    ----------
    coefficients : the proposed relation (any finder).
    found_digits : the digits of the values the finder was given.
    check_values : the basis values from an independent evaluation...
    check_digits : ...carrying this many correct digits (must exceed ``found_digits``).

    Examples
    --------
    >>> import mpmath
    >>> with mpmath.workdps(80):
    ...     x = 4 / mpmath.pi
    ...     values = [x, x * mpmath.pi, mpmath.mpf(1), +mpmath.pi]
    >>> judge([0, 1, -4, 0], 40, values, 70)
    70
    >>> judge([0, 1, -4, 0], 70, values, 70) is None     # no independent digits
    True
    >>> judge([1234567, 7654321, -4, 99], 30, values, 70) is None   # too large for 30 digits
    True
    """
    coefficients = [int(c) for c in coefficients]
    if not any(coefficients) or check_digits <= found_digits:
        return None
    if found_digits < relation_size(coefficients) + MARGIN_DIGITS:
        return None
    held = relation_digits(coefficients, check_values, check_digits)
    if held < check_digits - CHECK_SLACK_DIGITS:
        return None
    return held


# -- finders ----------------------------------------------------------------------------------

def pslq_relation(values: Sequence[mpmath.mpf], found_digits: int, *, max_coeff: int = 10**6,
                  max_steps: int = 10_000) -> tuple[int, ...] | None:
    """PSLQ on ``values`` known to ``found_digits`` digits; a primitive relation or None.

    The tolerance sits a few digits above the noise, so PSLQ stops on a
    relation the data supports and gives up otherwise; rule 1 is applied by
    :func:`judge`, not here.
    """
    dps = max(16, found_digits)  # mpmath.pslq refuses less than 53 bits
    with mpmath.workdps(dps):
        rounded = [+v for v in values]
        if any(v == 0 for v in rounded):
            return None
        tol = mpmath.mpf(10) ** (-(found_digits - 3))
        try:
            found = mpmath.pslq(rounded, tol=tol, maxcoeff=max_coeff, maxsteps=max_steps)
        except (ValueError, ZeroDivisionError):
            return None
    if found is None:
        return None
    return primitive(found)


def basis_labels(form: str, constants: Sequence[str] = ()) -> tuple[str, ...]:
    """The labels of a form's basis (``x`` is the number identified).

    >>> basis_labels("mobius", ["pi"])
    ('x', 'x*pi', '1', 'pi')
    """
    if form == "rational":
        return ("x", "1")
    if form == "quadratic":
        return ("x^2", "x", "1")
    if form == "linear":
        return ("x", "1", constants[0])
    if form == "mobius":
        return ("x", f"x*{constants[0]}", "1", constants[0])
    return ("x", "1", *constants)


def basis_values(form: str, x: mpmath.mpf, constants: Sequence[str], dps: int) -> list[mpmath.mpf]:
    """The basis of ``form`` evaluated at ``x`` (``dps`` digits)."""
    one = mpmath.mpf(1)
    with mpmath.workdps(dps + 10):
        ks = [constant_value(name, dps + 10) for name in constants]
        if form == "rational":
            return [x, one]
        if form == "quadratic":
            return [x * x, x, one]
        if form == "linear":
            return [x, one, ks[0]]
        if form == "mobius":
            return [x, x * ks[0], one, ks[0]]
        return [x, one, *ks]


def mobius_coefficients(matrix: Sequence[Sequence[int]]) -> tuple[int, ...]:
    """The ``mobius`` relation of ``x = (m00 K + m01)/(m10 K + m11)``.

    >>> mobius_coefficients([[0, 4], [1, 0]])     # x = 4/K
    (0, 1, -4, 0)
    """
    (m00, m01), (m10, m11) = matrix
    return primitive([m11, m10, -m01, -m00])


def closed_form(form: str, coefficients: Sequence[int], constants: Sequence[str] = (),
                value: mpmath.mpf | None = None) -> sympy.Expr | None:
    """``x`` solved from its relation, as a tidy sympy expression (None when it does not involve x).

    ``value`` picks the root of a quadratic.

    >>> closed_form("mobius", [1, -1, 1, 1], ["e"])
    (1 + E)/(-1 + E)
    >>> closed_form("quadratic", [1, -1, -1], value=mpmath.mpf(1.618))
    1/2 + sqrt(5)/2
    """
    c = [int(v) for v in coefficients]
    forms = [CONSTANTS[name].sympy_form for name in constants]
    if form == "rational":
        return sympy.Rational(-c[1], c[0]) if c[0] else None
    if form == "quadratic":
        a, b, k = c
        if a == 0:
            return sympy.Rational(-k, b) if b else None
        disc = b * b - 4 * a * k
        if disc < 0:
            return None
        root = sympy.sqrt(disc)
        roots = [sympy.Rational(-b, 2 * a) + sign * root / (2 * a) for sign in (1, -1)]
        if value is None or root == 0:
            return roots[0]
        return min(roots, key=lambda r: abs(float(r.evalf(30)) - float(value)))
    if form == "linear":
        return _tidy(-(c[1] + c[2] * forms[0]) / c[0]) if c[0] else None
    if form == "mobius":
        if (c[0] == 0 and c[1] == 0) or (c[1] == 0 and c[3] == 0):
            return None  # x drops out, or the constant does (a rational in disguise)
        if c[0] * c[3] - c[1] * c[2] == 0:
            return None  # a degenerate map: x would be constant-free
        # x = (n0 + n1 K)/(d0 + d1 K); the sign that makes the numerator's first term positive
        n0, n1, d0, d1 = -c[2], -c[3], c[0], c[1]
        if (n0 or n1) < 0:
            n0, n1, d0, d1 = -n0, -n1, -d0, -d1
        return (n0 + n1 * forms[0]) / (d0 + d1 * forms[0])
    if not c[0]:
        return None
    return _tidy(-(c[1] + sum(ci * s for ci, s in zip(c[2:], forms, strict=True))) / c[0])


def _tidy(expr: sympy.Expr) -> sympy.Expr:
    """One fraction whose denominator does not start with a minus sign."""
    numerator, denominator = sympy.fraction(sympy.together(expr))
    if denominator.is_negative or (denominator.is_negative is None
                                   and denominator.could_extract_minus_sign()):
        numerator, denominator = -numerator, -denominator
    return numerator / denominator


def _candidate_forms(constants: Sequence[str]) -> Iterator[tuple[str, tuple[str, ...]]]:
    yield "rational", ()
    for name in constants:
        yield "linear", (name,)
    for name in constants:
        yield "mobius", (name,)
    if len(constants) > 1:
        yield "combination", tuple(constants)


def identify_decimal(text: str, digits: int, constants: Sequence[str], *, max_coeff: int = 10_000,
                     progress: Callable[[int, int, str], None] | None = None,
                     ) -> Identification | None:
    """The simplest accepted relation of a decimal number with the registered constants.

    PSLQ sees the leading ``found = 4 digits // 5`` digits; all ``digits``
    are the check (rule 2).  Forms are tried in the order rational, linear in
    each constant, Möbius in each constant, one integer combination of all;
    the accepted relation with the smallest sum of ``|c_i|`` wins.
    """
    found_digits = max(8, (4 * digits) // 5)
    candidates = list(_candidate_forms(constants))
    best: Identification | None = None
    with mpmath.workdps(digits + 10):
        x = mpmath.mpf(text)
        for i, (form, names) in enumerate(candidates):
            if progress is not None:
                progress(i, len(candidates), form if not names else f"{form} in {', '.join(names)}")
            if x == 0:
                break
            values = basis_values(form, x, names, digits)
            relation = pslq_relation(values, found_digits, max_coeff=max_coeff)
            if relation is None:
                continue
            verified = judge(relation, found_digits, values, digits)
            expression = None if verified is None else closed_form(form, relation, names, x)
            if expression is None or expression.is_zero is not False \
                    or expression.has(sympy.zoo, sympy.nan):
                continue
            if best is None or sum(map(abs, relation)) < sum(map(abs, best.coefficients)):
                best = Identification(form, names[0] if form in ("linear", "mobius") else None,
                                      relation, basis_labels(form, names), expression,
                                      found_digits, verified, "pslq")
    if progress is not None:
        progress(len(candidates), len(candidates), "done")
    return best
