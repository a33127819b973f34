"""The catalogue of a sweep: one statement per equivalence class of PCFs.

Many PCFs of a box are the same fraction in disguise.  The equivalence
transformation with ``c(n) = 1/a(n)`` turns ``PCF[a, b]`` into
``1 + r(1)/(1 + r(2)/(1 + ...))`` with ``r(n) = b(n) / (a(n) a(n-1))``; two
PCFs whose ``r`` agree after a shift ``n -> n + s`` have the same tails, so
their limits are Möbius transforms of each other with integer coefficients
(and ``a -> -a`` leaves ``r`` unchanged).  The class key is LIReC's canonical
form of ``r`` (RamanujanMachine/LIReC, ``PCF`` canonical form): ``top/bot``
in lowest terms, shifted so that the largest real part of its roots and poles
lies in ``[0, 1)``.

Each class of identified members becomes one catalogue entry: the simplest
member (smallest sum of ``|coefficients|``) states the formula, and every
other member of the class is listed with its own closed form and verified
digits.

Example
-------
>>> canonical_form([3, 1], [0, -1]) == canonical_form([4, 1], [-1, -1])   # a shift by one
True
>>> canonical_form([1, 2], [0, 0, 1]) == canonical_form([-1, -2], [0, 0, 1])   # a -> -a
True
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
import sympy

__all__ = ["canonical_form", "classes"]

_N = sympy.Symbol("n")


@functools.lru_cache(maxsize=200_000)
def _canonical(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    a_poly = sympy.Poly(list(reversed(a)) or [0], _N)
    b_poly = sympy.Poly(list(reversed(b)) or [0], _N)
    top, bot = b_poly, a_poly * a_poly.compose(sympy.Poly(_N - 1, _N))
    common = sympy.gcd(top, bot)
    top, bot = sympy.div(top, common)[0], sympy.div(bot, common)[0]
    roots = [complex(r) for poly in (top, bot) if poly.degree() > 0
             for r in np.roots([float(c) for c in poly.all_coeffs()])]
    shift = 0
    if roots:
        rho = max(r.real for r in roots)
        nearest = round(rho)
        shift = nearest if abs(rho - nearest) < 1e-9 else math.floor(rho)
    if shift:
        moved = sympy.Poly(_N + shift, _N)
        top, bot = top.compose(moved), bot.compose(moved)
    top_c = [int(c) for c in reversed(top.all_coeffs())]
    bot_c = [int(c) for c in reversed(bot.all_coeffs())]
    g = math.gcd(*top_c, *bot_c) or 1
    sign = -1 if bot_c[-1] < 0 else 1
    return (tuple(sign * c // g for c in top_c), tuple(sign * c // g for c in bot_c))


def canonical_form(a: Sequence[int], b: Sequence[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(top, bot)`` (lowest degree first): the class key of ``PCF[a, b]`` (module docstring)."""
    def trimmed(c: Sequence[int]) -> tuple[int, ...]:
        c = [int(x) for x in c]
        while len(c) > 1 and c[-1] == 0:
            c.pop()
        return tuple(c)

    return _canonical(trimmed(a), trimmed(b))


def classes(formulas: Sequence[dict]) -> list[dict]:
    """Group identified formulas (Formula JSON with ``constant``) into catalogue entries.

    Returns one dict per class, largest first: ``constant``, ``canonical``
    (``top``, ``bot``), ``representative`` (the position of the simplest
    member in ``formulas``) and ``members`` (positions, simplest first).
    """
    groups: dict[tuple, list[int]] = {}
    for position, formula in enumerate(formulas):
        a = formula["a"]["polynomials"][0]
        b = formula["b"]["polynomials"][0]
        key = (formula["constant"], canonical_form(a, b))
        groups.setdefault(key, []).append(position)

    def simplicity(position: int) -> tuple:
        f = formulas[position]
        coefficients = f["a"]["polynomials"][0] + f["b"]["polynomials"][0]
        return (sum(abs(int(c)) for c in coefficients), sum(int(c) < 0 for c in coefficients),
                f.get("index", 0))

    out = []
    for (constant, (top, bot)), positions in groups.items():
        positions.sort(key=simplicity)
        out.append({"constant": constant, "canonical": {"top": list(top), "bot": list(bot)},
                    "representative": positions[0], "members": positions})
    out.sort(key=lambda c: (-len(c["members"]), c["constant"], c["representative"]))
    return out
