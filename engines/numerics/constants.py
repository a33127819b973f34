"""Registry of named mathematical constants, computed at any precision.

Values come from mpmath (which uses the gmpy2 backend when gmpy2 is
installed) and are cached per constant at the highest precision asked so far,
so asking for fewer digits later costs nothing.

Examples
--------
>>> import mpmath
>>> from mathdisco.engines.numerics.constants import constant_value, CONSTANTS
>>> mpmath.nstr(constant_value("e", 30), 19)
'2.718281828459045235'
>>> CONSTANTS["tan1"].description
'tangent of 1'
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import mpmath
import sympy

#: guard digits added to every evaluation, so the value is right to ``dps`` digits.
GUARD_DIGITS = 15


@dataclass(frozen=True)
class Constant:
    """A named constant: how to compute it and how to write it."""

    name: str
    description: str
    latex: str
    sympy_form: sympy.Expr  # exact symbolic form, used in formula output
    compute: Callable[[], mpmath.mpf]  # evaluated under an mpmath.workdps context


def _lemniscate() -> mpmath.mpf:
    # varpi = pi / agm(1, sqrt 2) = 2.62205755...
    return mpmath.pi / mpmath.agm(1, mpmath.sqrt(2))


_ENTRIES = [
    Constant("e", "Euler's number", "e", sympy.E, lambda: mpmath.e),
    Constant("e2", "e squared", "e^{2}", sympy.exp(2), lambda: mpmath.exp(2)),
    Constant("pi", "Archimedes' constant", r"\pi", sympy.pi, lambda: +mpmath.pi),
    Constant("tan1", "tangent of 1", r"\tan 1", sympy.tan(1), lambda: mpmath.tan(1)),
    Constant("bessel_i0_i1_1", "I0(1)/I1(1)", r"\frac{I_0(1)}{I_1(1)}",
             sympy.besseli(0, 1) / sympy.besseli(1, 1),
             lambda: mpmath.besseli(0, 1) / mpmath.besseli(1, 1)),
    Constant("bessel_i1_i0_2", "I1(2)/I0(2)", r"\frac{I_1(2)}{I_0(2)}",
             sympy.besseli(1, 2) / sympy.besseli(0, 2),
             lambda: mpmath.besseli(1, 2) / mpmath.besseli(0, 2)),
    Constant("bessel_i0_i1_2", "I0(2)/I1(2)", r"\frac{I_0(2)}{I_1(2)}",
             sympy.besseli(0, 2) / sympy.besseli(1, 2),
             lambda: mpmath.besseli(0, 2) / mpmath.besseli(1, 2)),
    Constant("ln2", "natural logarithm of 2", r"\ln 2", sympy.log(2), lambda: mpmath.log(2)),
    Constant("zeta3", "Apery's constant zeta(3)", r"\zeta(3)", sympy.zeta(3), lambda: mpmath.zeta(3)),
    Constant("catalan", "Catalan's constant", "G", sympy.Catalan, lambda: +mpmath.catalan),
    Constant("euler_gamma", "Euler-Mascheroni constant", r"\gamma", sympy.EulerGamma,
             lambda: +mpmath.euler),
    Constant("phi", "golden ratio", r"\varphi", sympy.GoldenRatio, lambda: +mpmath.phi),
    Constant("sqrt2", "square root of 2", r"\sqrt{2}", sympy.sqrt(2), lambda: mpmath.sqrt(2)),
    Constant("sqrt_e", "square root of e", "e^{1/2}", sympy.exp(sympy.Rational(1, 2)),
             lambda: mpmath.exp(mpmath.mpf(1) / 2)),
    Constant("sqrt3", "square root of 3", r"\sqrt{3}", sympy.sqrt(3), lambda: mpmath.sqrt(3)),
    Constant("sqrt5", "square root of 5", r"\sqrt{5}", sympy.sqrt(5), lambda: mpmath.sqrt(5)),
    Constant("ln3", "natural logarithm of 3", r"\ln 3", sympy.log(3), lambda: mpmath.log(3)),
    Constant("gauss", "Gauss's constant G = 1/agm(1, sqrt 2)", "G",
             sympy.gamma(sympy.Rational(1, 4)) ** 2 / (2 * sympy.pi) ** sympy.Rational(3, 2),
             lambda: 1 / mpmath.agm(1, mpmath.sqrt(2))),
    Constant("lemniscate", "lemniscate constant varpi = pi G = pi/agm(1, sqrt 2)", r"\varpi",
             sympy.gamma(sympy.Rational(1, 4)) ** 2 / (2 * sympy.sqrt(2 * sympy.pi)), _lemniscate),
    Constant("lemniscate_gauss", "varpi G = pi G^2 = Gamma(1/4)^4/(8 pi^2)", r"\varpi G",
             sympy.gamma(sympy.Rational(1, 4)) ** 4 / (8 * sympy.pi ** 2),
             lambda: mpmath.pi / mpmath.agm(1, mpmath.sqrt(2)) ** 2),
    Constant("pi2", "pi squared", r"\pi^{2}", sympy.pi**2, lambda: mpmath.pi**2),
]

CONSTANTS: dict[str, Constant] = {c.name: c for c in _ENTRIES}

#: the largest precision the registry computes, in decimal digits.
MAX_DIGITS = 20_000

_cache: dict[str, tuple[int, mpmath.mpf]] = {}
_lock = threading.Lock()


def constant_value(name: str, dps: int) -> mpmath.mpf:
    """The constant ``name`` correct to at least ``dps`` decimal digits.

    Raises KeyError for an unknown name and ValueError for ``dps`` outside
    1..MAX_DIGITS.
    """
    if not 1 <= dps <= MAX_DIGITS:
        raise ValueError(f"precision must be between 1 and {MAX_DIGITS} digits, got {dps}")
    constant = CONSTANTS[name]
    with _lock:
        cached = _cache.get(name)
        if cached is not None and cached[0] >= dps:
            return cached[1]
    with mpmath.workdps(dps + GUARD_DIGITS):
        value = +constant.compute()
    with _lock:
        cached = _cache.get(name)
        if cached is None or cached[0] < dps:
            _cache[name] = (dps, value)
    return value
