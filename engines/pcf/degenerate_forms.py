"""The degenerate closed forms of :mod:`mathdisco.engines.pcf.closed_forms`, and naming a closed form.

When the characteristic roots of ``y_{n+1} = a(n) y_n + b(n) y_{n-1}``
coincide (``A1^2 + 4 B2 = 0``), the PCF is no equivalence transform of
Nörlund's fraction; two classical three-term recurrences of confluent
hypergeometric functions take its place (docs/pcf_closed_forms.md):

``tricomi_u``
    DLMF 13.3.7, ``U(a-1,b,z) + (b-2a-z) U(a,b,z) + a(a-b+1) U(a+1,b,z) = 0``.
    ``U(a+n, b, z)`` is its minimal solution for ``|arg z| < pi`` [1], so by
    Pincherle's theorem [2]
    ``U(a-1,b,z)/U(a,b,z) = (2a-b+z) - a(a-b+1)/((2a-b+z+2) - (a+1)(a-b+2)/(...))``:
    the PCF ``a(n) = 2n + 2a - b + z``, ``b(n) = -(a+n-1)(a+n-b)``.
``parabolic_u``
    DLMF 12.8.1, ``U(a-1,x) - x U(a,x) - (a+1/2) U(a+1,x) = 0``; ``U(a+n, x)``
    is minimal for ``x > 0`` [1], so ``U(a-1,x)/U(a,x)`` is the PCF
    ``a(n) = x``, ``b(n) = n + a - 1/2``.  At ``a = 1/2`` this is Laplace's
    fraction for the Mills ratio, ``U(-1/2,x)/U(1/2,x) = 1/R(x)``,
    ``R(x) = sqrt(pi/2) exp(x^2/2) erfc(x/sqrt(2))``.

Both are written for sympy with functions it has: Tricomi's ``U`` as a
Meijer G-function (DLMF 13.6 / 16.17: ``U(a,b,z) = G^{2,1}_{1,2}(z | 1-a; 0, 1-b)
/ (Gamma(a) Gamma(a-b+1))``) and the parabolic ``U(a, x)`` through Kummer's
functions at ``b = 1/2`` (DLMF 12.7.14 and 13.2.42), where no Gamma factor has
a pole in the ratio.

References
----------
.. [1] W. Gautschi, "Computational aspects of three-term recurrence relations",
   SIAM Review 9 (1967) 24-82.
.. [2] L. Lorentzen, H. Waadeland, *Continued Fractions*, Vol. 1, 2nd ed. (2008).

Examples
--------
>>> import mpmath
>>> mpmath.nstr(parabolic_u_value(mpmath.mpf(1) / 2, 2), 12)      # 1/R(2), Laplace
'2.37321553282'
>>> derive_name("2/hyper((1, 1), (2,), 1/2)")["equals"]
'1/log(2)'
"""

from __future__ import annotations

import mpmath
import sympy

__all__ = ["derive_name", "elementary_form", "parabolic_u_expression", "parabolic_u_value", "tricomi_u_expression",
           "tricomi_u_value"]

HALF = sympy.Rational(1, 2)
#: an elementary form larger than this (operations, or numbers) is no name
MAX_ELEMENTARY_OPS = 400
HUGE = 10**200


def tricomi_u_expression(a: sympy.Expr, b: sympy.Expr, z: sympy.Expr) -> sympy.Expr:
    """``U(a-1,b,z)/U(a,b,z)`` with Meijer G-functions (the Gamma factors cancel to ``(a-1)(a-b)``).

    >>> tricomi_u_expression(2, 1, 3)
    meijerg(((0,), ()), ((0, 0), ()), 3)/meijerg(((-1,), ()), ((0, 0), ()), 3)
    """
    a, b, z = sympy.sympify(a), sympy.sympify(b), sympy.sympify(z)

    def g(alpha):
        return sympy.meijerg([[1 - alpha], []], [[0, 1 - b], []], z)
    return (a - 1) * (a - b) * g(a - 1) / g(a)


def tricomi_u_value(a, b, z) -> mpmath.mpf:
    """``U(a-1,b,z)/U(a,b,z)`` with mpmath's ``hyperu``."""
    zero = {"zeroprec": 8 * mpmath.mp.dps}  # U can vanish: then the ratio is 0 or infinite
    return mpmath.hyperu(a - 1, b, z, **zero) / mpmath.hyperu(a, b, z, **zero)


def _kummer_u_half(p: sympy.Expr, w: sympy.Expr) -> sympy.Expr:
    """``U(p, 1/2, w)/sqrt(pi)`` by DLMF 13.2.42 (``b = 1/2`` is no integer)."""
    return (sympy.hyper([p], [HALF], w) / sympy.gamma(p + HALF)
            - 2 * sympy.sqrt(w) * sympy.hyper([p + HALF], [3 * HALF], w) / sympy.gamma(p))


def parabolic_u_expression(a: sympy.Expr, x: sympy.Expr) -> sympy.Expr:
    """``U(a-1,x)/U(a,x)`` (parabolic cylinder functions) through Kummer's functions.

    >>> parabolic_u_expression(sympy.Rational(1, 2), 2)
    sqrt(2)*hyper((0,), (1/2,), 2)/(sqrt(pi)*(hyper((), (), 2) - 2*sqrt(2)*hyper((1,), (3/2,), 2)/sqrt(pi)))
    """
    a, x = sympy.sympify(a), sympy.sympify(x)
    p, w = a / 2 + sympy.Rational(1, 4), x**2 / 2
    return sympy.sqrt(2) * _kummer_u_half(p - HALF, w) / _kummer_u_half(p, w)


def parabolic_u_value(a, x) -> mpmath.mpf:
    """``U(a-1,x)/U(a,x)`` with mpmath's ``pcfu``."""
    return mpmath.pcfu(a - 1, x) / mpmath.pcfu(a, x)


def elementary_form(expression: str) -> sympy.Expr | None:
    """The expression without hypergeometric functions, by sympy's ``hyperexpand``, or None.

    A derivation from sympy's table of hypergeometric identities; the result
    may use functions outside the safe grammar (``erfc``, ``besselj``).

    >>> elementary_form("hyper([], [1/2], 1)")
    cosh(2)
    """
    original = sympy.sympify(expression, locals={"hyper": sympy.hyper, "meijerg": sympy.meijerg})
    try:
        expanded = sympy.hyperexpand(original)
    except (ValueError, TypeError, ZeroDivisionError, AttributeError, NotImplementedError):
        return None
    if expanded.has(sympy.hyper, sympy.meijerg) or expanded.has(sympy.zoo, sympy.nan):
        return None
    # a terminating series at large parameters expands to a polynomial with huge numbers
    if sympy.count_ops(expanded) > MAX_ELEMENTARY_OPS or any(
            abs(r.p) > HUGE or r.q > HUGE for r in expanded.atoms(sympy.Rational)):
        return None
    return sympy.simplify(expanded) if sympy.count_ops(expanded) < 60 else expanded


def derive_name(expression: str, digits: int = 40,
                elementary: sympy.Expr | None = None) -> dict | None:
    """The closed form in the project's safe grammar, when sympy can derive it.

    :func:`elementary_form` (or the given ``elementary``) must be real and in
    the safe grammar (:mod:`mathdisco.engines.numerics.expressions`), and agree with the
    original expression, both evaluated independently, to at least
    ``min(digits, 30)`` digits; ``digits`` in the result counts them.  Returns
    ``{"equals", "how": "derivation", "digits"}`` or None.
    """
    from mathdisco.engines.numerics.expressions import (
        ExpressionError,
        constant_expression_value,
        parse_expression,
        to_text,
    )
    from mathdisco.engines.pcf.hypergeometric_theorems import expression_value
    expanded = elementary if elementary is not None else elementary_form(expression)
    if expanded is None:
        return None
    try:
        text = to_text(expanded)
        parse_expression(text)
        named = constant_expression_value(text, digits + 10)
        with mpmath.workdps(digits + 20):
            value = expression_value(expression, digits + 20)
    except (ExpressionError, ValueError, TypeError, ZeroDivisionError, AttributeError):
        return None
    with mpmath.workdps(digits + 20):
        if isinstance(value, mpmath.mpc):
            value = value.real
        difference = abs(value - named)
        if difference == 0:
            agree = digits
        else:
            agree = int(min(digits, max(0, -mpmath.log10(difference / max(1, abs(value))))))
    if agree < min(digits, 30):
        return None
    return {"equals": text, "how": "derivation", "digits": agree}
