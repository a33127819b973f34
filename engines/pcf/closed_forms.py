"""Proved closed forms of every convergent PCF with ``deg a <= 1``, ``deg b <= 2``.

A PCF ``a(0) + b(1)/(a(1) + b(2)/(a(2) + ...))`` (docs/design.md, "Formula
JSON") with ``a(n) = A1 n + A0`` and ``b(n) = B2 n^2 + B1 n + B0`` is an
*equivalence transform* of one classical continued fraction: replacing
``a(n) -> lambda a(n)``, ``b(n) -> lambda^2 b(n)`` multiplies every
approximant, hence the limit, by ``lambda`` [1].  Which classical
fraction depends on the characteristic equation ``t^2 = A1 t + B2`` of the
recurrence ``y_{n+1} = a(n) y_n + b(n) y_{n-1}`` (docs/pcf_closed_forms.md
states every theorem with its conditions and reference):

==============================  ===================  =============================================
case                            theorem              value (times ``lambda``)
==============================  ===================  =============================================
``b`` has a root ``n >= 1``     ``terminating``      the finite fraction, a rational
``B2 != 0``, ``D > 0``          ``norlund`` [2, 3]   ``c 2F1(a,b;c;z)/2F1(a+1,b+1;c+1;z)``
``B2 != 0``, ``D = 0``, z > 0   ``tricomi_u`` [4]    ``U(a-1,b,z)/U(a,b,z)``
``B2 != 0``, ``D = 0``, z = 0   ``pincherle_gamma``  ``alpha`` (explicit Gamma solutions)
``B2 = 0``, ``A1 != 0``         ``confluent_1f1``    ``c 1F1(a;c;z)/1F1(a+1;c+1;z)`` [2, Ch. 16]
(and ``B1 = 0``)                ``confluent_0f1``    ``c 0F1(;c;z)/0F1(;c+1;z)`` [2, Ch. 16]
``B2 = A1 = 0``, ``B1 > 0``     ``parabolic_u`` [5]  ``U(a-1,x)/U(a,x)`` (Laplace's fraction)
``B2 = A1 = B1 = 0``            ``periodic`` [1]     ``(A0 + sign(A0) sqrt(A0^2 + 4 B0))/2``
==============================  ===================  =============================================

with ``D = A1^2 + 4 B2``; ``D < 0`` (and ``B1 < 0`` in the parabolic case,
``A0^2 + 4 B0 < 0`` in the periodic one) has characteristic roots of equal
modulus: no theorem applies and :func:`closed_form` returns None.

Every statement carries its parameters exactly (sympy text: rationals and
square roots) and ``lambda``; :func:`check_proof` re-checks a statement by
substituting them into the theorem's own fraction, exactly, and
:func:`verify_closed_form` re-evaluates both sides independently.  The
theorems' own fractions and values live in
:mod:`mathdisco.engines.pcf.hypergeometric_theorems`; the two confluent-``U``
forms in :mod:`mathdisco.engines.pcf.degenerate_forms`.

References
----------
.. [1] L. Lorentzen, H. Waadeland, *Continued Fractions*, Vol. 1, 2nd ed.,
   Atlantis Press (2008): equivalence transformations, periodic fractions,
   Pincherle's theorem, positive fractions and the Stern-Stolz theorem.
.. [2] A. Cuyt, V. B. Petersen, B. Verdonk, H. Waadeland, W. B. Jones,
   *Handbook of Continued Fractions for Special Functions*, Springer (2008),
   Ch. 15 (Gauss hypergeometric function, Nörlund's fraction: ``Re z < 1/2``)
   and Ch. 16 (confluent hypergeometric functions).
.. [3] N. E. Nörlund, "Hypergeometric functions", Acta Math. 94 (1955).
.. [4] W. Gautschi, "Computational aspects of three-term recurrence
   relations", SIAM Review 9 (1967): ``U(a+n, b, z)`` is the minimal
   solution of DLMF 13.3.7 for ``|arg z| < pi``.
.. [5] P.-S. Laplace, *Traité de mécanique céleste* IV (1805): the Mills-ratio
   fraction ``x + 1/(x + 2/(x + ...))``; DLMF 12.8.1 (recurrence of ``U(a, x)``)
   and 12.9 (its minimality for ``x > 0``).
.. [6] NIST DLMF, https://dlmf.nist.gov, Eqs. 13.3.7, 12.7.14, 13.2.42.

Examples
--------
>>> form = closed_form([1], [0, 0, 1])          # 1/ln 2
>>> form["theorem"], form["parameters"]["z"], form["parameters"]["lambda"]
('norlund', '1/2', '2')
>>> form["named"]["equals"]
'1/log(2)'
>>> verify_closed_form([1], [0, 0, 1], form) >= 30
True
>>> closed_form([3, 2], [0, 0, 1])["theorem"]   # 3 + 1/(5 + 4/(7 + ...)) = 4/pi-type
'norlund'
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from fractions import Fraction

import mpmath
import sympy

from mathdisco.engines.pcf.degenerate_forms import parabolic_u_expression, tricomi_u_expression
from mathdisco.engines.pcf.hypergeometric_theorems import (
    THEOREMS,
    expression_value,
    pole_shift,
    shifted_parameters,
    stated_value,
    theorem_fraction,
    theorem_value,
)

__all__ = ["check_proof", "closed_form", "verify_closed_form"]

n = sympy.Symbol("n")
HALF = sympy.Rational(1, 2)


def _str(value) -> str:
    """sympy text without sympy's term ordering (a quarter of the time; same parse)."""
    return sympy.sstr(value, order="none")

#: precision of the check that a stated value is finite (and twice that, to compare)
FINITE_CHECK_DPS = 20



def _text(value: sympy.Expr) -> str:
    """``value`` as sympy text, parenthesised unless it is a plain integer or symbol."""
    text = _str(value)
    return f"({text})" if value.is_Add else text


def _ratio_text(theorem: str, p: dict[str, sympy.Expr], lam: sympy.Expr) -> str:
    """``lambda`` times the theorem's value, as sympy text (built as text: sympy's ``hyper``
    constructor and printer cost milliseconds, and a box has tens of thousands of members)."""
    a, b, c, z = p.get("a"), p.get("b"), p.get("c"), p.get("z")
    factor = _str(sympy.expand(lam * c)) if c is not None else _str(lam)
    t = {k: _str(v) for k, v in p.items()}
    t.update({f"{k}1": _str(v + 1) for k, v in p.items() if k in "abc"})
    if theorem == "norlund":
        ratio = (f"hyper([{t['a']}, {t['b']}], [{t['c']}], {t['z']})"
                 f"/hyper([{t['a1']}, {t['b1']}], [{t['c1']}], {t['z']})")
    elif theorem == "confluent_1f1":
        ratio = f"hyper([{t['a']}], [{t['c']}], {t['z']})/hyper([{t['a1']}], [{t['c1']}], {t['z']})"
    elif theorem == "confluent_0f1":
        ratio = f"hyper([], [{t['c']}], {t['z']})/hyper([], [{t['c1']}], {t['z']})"
    elif theorem == "tricomi_u":
        return _str(lam * tricomi_u_expression(a, b, z))
    elif theorem == "parabolic_u":
        return _str(lam * parabolic_u_expression(a, p["x"]))
    else:
        raise ValueError(f"no ratio for {theorem!r}")
    if factor == "1":
        return ratio
    return f"{_text(sympy.sympify(factor))}*{ratio}"


# ---------------------------------------------------------------- matching a PCF to a theorem


def _coefficients(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...] | None:
    a = [int(x) for x in a]
    b = [int(x) for x in b]
    while a and a[-1] == 0:
        a.pop()
    while b and b[-1] == 0:
        b.pop()
    if len(a) > 2 or len(b) > 3:
        return None
    a += [0] * (2 - len(a))
    b += [0] * (3 - len(b))
    return a[0], a[1], b[0], b[1], b[2]


def _first_positive_root(b0: int, b1: int, b2: int) -> int | None:
    if b0 == b1 == b2 == 0:
        return 1
    bound = max(abs(b0), abs(b1), abs(b2)) + 1  # Cauchy's bound on an integer root
    return next((k for k in range(1, bound + 1) if b2 * k * k + b1 * k + b0 == 0), None)


def _terminating(coeffs: tuple[int, ...], root: int) -> dict | None:
    a0, a1, b0, b1, b2 = coeffs
    p_prev, p, q_prev, q = 1, a0, 0, 1
    for i in range(1, root):
        an, bn = a1 * i + a0, b2 * i * i + b1 * i + b0
        p_prev, p = p, an * p + bn * p_prev
        q_prev, q = q, an * q + bn * q_prev
    if q == 0:
        return None
    value = Fraction(p, q)
    return _statement("terminating", {"root": sympy.Integer(root), "value": sympy.Rational(
        value.numerator, value.denominator)}, sympy.Integer(1), sympy.Rational(
            value.numerator, value.denominator),
        f"terminating: b({root}) = 0, so the fraction is finite and equals the convergent "
        f"p_{root - 1}/q_{root - 1} = {value}")


def _match(coeffs: tuple[int, ...]) -> tuple[str, dict, sympy.Expr, str] | None:
    """(theorem, parameters, lambda, condition text) for a non-terminating PCF, or None."""
    a0, a1, b0, b1, b2 = (sympy.Integer(x) for x in coeffs)
    if b2 != 0:
        d = a1**2 + 4 * b2
        if d < 0:
            return None
        # (n + a)(n + b) = b(n)/B2: a, b the negated roots
        r = sympy.sqrt(b1**2 - 4 * b0 * b2)
        pa, pb = sympy.radsimp((b1 + r) / (2 * b2)), sympy.radsimp((b1 - r) / (2 * b2))
        if d == 0:
            lam = a1 / 2
            # b(n)/lam^2 = -(n + a - 1)(n + a - b): a = alpha + 1, b = alpha - beta + 1
            ua, ub = pa + 1, pa - pb + 1
            z = sympy.radsimp(a0 / lam - (2 * ua - ub))
            if z == 0:  # 1/Gamma(n + alpha + 1), 1/Gamma(n + beta + 1) solve the recurrence
                alpha, beta = sorted((pa, pb), key=lambda r: -sympy.re(r))
                if sympy.re(alpha) == sympy.re(beta) and alpha != beta:
                    return None
                return ("pincherle_gamma", {"alpha": alpha, "beta": beta}, lam,
                        "Re alpha > Re beta, or alpha = beta")
            if not (z.is_real and z > 0):
                return None
            return "tricomi_u", {"a": ua, "b": ub, "z": z}, lam, "z > 0 (|arg z| < pi)"
        if a1 == 0 and a0 == 0:
            return None
        sign = sympy.sign(a1) if a1 != 0 else sympy.sign(a0)
        lam = sign * sympy.sqrt(d)
        z = sympy.radsimp((1 - a1 / lam) / 2)
        c = sympy.radsimp(a0 / lam + (pa + pb + 1) * z)
        condition = ("Re z < 1/2" if a1 != 0 else
                     "z = 1/2, reached as the limit t -> 0+ of a(n) + t sign(A0) n (Re z < 1/2), "
                     "uniformly since the tail is a positive fraction")
        return "norlund", {"a": pa, "b": pb, "c": c, "z": z}, lam, condition
    if a1 != 0:
        lam = a1
        if b1 != 0:
            z = b1 / a1**2
            return ("confluent_1f1", {"a": b0 / b1, "c": a0 / a1 + z, "z": z}, lam,
                    "every complex z")
        return "confluent_0f1", {"c": a0 / a1, "z": b0 / a1**2}, lam, "every complex z"
    if b1 != 0:
        if b1 < 0 or a0 == 0:
            return None
        lam = sympy.sign(a0) * sympy.sqrt(b1)
        return ("parabolic_u", {"a": b0 / b1 + HALF, "x": sympy.radsimp(a0 / lam)}, lam,
                "x > 0")
    if a0 == 0 or a0**2 + 4 * b0 < 0:
        return None
    return "periodic", {"a": a0, "b": b0}, sympy.Integer(1), "A0^2 + 4 B0 >= 0, A0 != 0"


def _statement(theorem: str, p: dict, lam: sympy.Expr, expression: sympy.Expr | str,
               by: str) -> dict:
    parameters = {k: _str(v) for k, v in p.items()}
    if theorem in ("norlund", "confluent_1f1", "confluent_0f1"):
        parameters = {k: parameters.get(k) for k in ("a", "b", "c", "z")}
    parameters["lambda"] = _str(lam)
    if not isinstance(expression, str):
        expression = _str(expression)
    return {"expression": expression, "theorem": theorem, "parameters": parameters,
            "proof": {"status": "proved", "by": by}, "named": None}


def _describe(theorem: str, p: dict, lam: sympy.Expr, condition: str, shift: int) -> str:
    stated = ", ".join(f"{k} = {_str(v)}" for k, v in p.items())
    text = (f"{theorem} ({condition}) at {stated}, after the equivalence transformation "
            f"a(n) -> a(n)/lambda, b(n) -> b(n)/lambda^2 with lambda = {_str(lam)} "
            "(docs/pcf_closed_forms.md)")
    if shift:
        text += f"; the first {shift} terms written out, since the ratio's formula has a pole there"
    return text


def _finite(theorem: str, p: dict[str, sympy.Expr], lam: sympy.Expr) -> bool:
    """Whether the theorem's value is finite: at two precisions, finite and agreeing.

    An exact zero of the ratio's denominator function comes out of mpmath as 0
    (``zeroprec``) or as rounding noise that changes with the precision; a
    finite value agrees with itself to most of the lower precision.
    """
    try:
        low = stated_value(theorem, p, lam, FINITE_CHECK_DPS)
        high = stated_value(theorem, p, lam, 2 * FINITE_CHECK_DPS)
    except (ValueError, ZeroDivisionError):  # mpmath could not decide; the statement stands
        return True
    if not (mpmath.isfinite(low) and mpmath.isfinite(high)):
        return False
    with mpmath.workdps(2 * FINITE_CHECK_DPS):
        return abs(low - high) <= mpmath.mpf(10) ** (5 - FINITE_CHECK_DPS) * max(1, abs(high))


@functools.lru_cache(maxsize=65_536)
def _closed_form(coeffs: tuple[int, ...]) -> dict | None:
    a0, a1, b0, b1, b2 = coeffs
    root = _first_positive_root(b0, b1, b2)
    if root is not None:
        return _terminating(coeffs, root)
    found = _match(coeffs)
    if found is None:
        return None
    theorem, p, lam, condition = found
    if theorem == "periodic":
        a, b = p["a"], p["b"]
        expression = (a + sympy.sign(a) * sympy.sqrt(a**2 + 4 * b)) / 2
        by = (f"periodic (Lorentzen-Waadeland, periodic fractions): x = {a} + {b}/x, the root of "
              "larger modulus")
        return _statement(theorem, p, lam, expression, by)
    if theorem == "pincherle_gamma":
        by = (f"pincherle_gamma ({condition}): 1/Gamma(n + alpha + 1) and 1/Gamma(n + beta + 1) "
              f"solve the recurrence of a(n) = 2n + alpha + beta + 1, b(n) = -(n + alpha)(n + beta); "
              f"the first is minimal, so by Pincherle's theorem the value is alpha; alpha = "
              f"{_str(p['alpha'])}, beta = {_str(p['beta'])}, lambda = {_str(lam)}")
        return _statement(theorem, p, lam, sympy.radsimp(lam * p["alpha"]), by)
    if not _finite(theorem, p, lam):
        return None  # the ratio has a pole here (a zero denominator function): no finite limit
    k = pole_shift(theorem, p)
    # the first k terms are the PCF's own: a(0) + b(1)/(... + b(k)/(lambda R_k))
    expression = _ratio_text(theorem, shifted_parameters(theorem, p, k), lam)
    for i in range(k - 1, -1, -1):
        head, numerator = a1 * i + a0, b2 * (i + 1)**2 + b1 * (i + 1) + b0
        expression = f"{abs(numerator)}/({expression})"
        if head or numerator < 0:
            expression = f"{head or ''} {'-' if numerator < 0 else '+'} {expression}".lstrip(" +")
    return _statement(theorem, p, lam, expression, _describe(theorem, p, lam, condition, k))


def closed_form(a: Sequence[int], b: Sequence[int], *, name: bool = True) -> dict | None:
    """The proved closed form of the PCF ``(a, b)`` (coefficients lowest degree first).

    Parameters
    ----------
    a, b : sequences of int
        ``a(n)``, ``b(n)``; ``deg a <= 1`` and ``deg b <= 2`` (else None).
    name : bool
        also try to write the value with elementary functions and registered
        constants (``named``: a derivation by sympy's ``hyperexpand``, in the
        safe grammar; ``elementary``: the same derivation as sympy text even
        where it leaves the grammar, e.g. ``erfc``; None when there is none).
        Costs 0.05-1 s a statement (cached); ``name=False`` leaves both out.

    Returns
    -------
    dict or None
        ``{"expression", "theorem", "parameters", "proof", "named"}`` and,
        with ``name``, ``"elementary"`` (module
        docstring, docs/pcf_closed_forms.md), or None when no theorem applies:
        the characteristic roots have equal modulus, or the theorem's
        condition fails.

    Examples
    --------
    >>> form = closed_form([0, 1], [1])            # n + 1/(n + 1 + ...): c = 0, one term out
    >>> form["expression"], form["named"]["equals"]
    ('1/(hyper([], [1], 1)/hyper([], [2], 1))', 'besseli(1, 2)/besseli(0, 2)')
    >>> closed_form([1, 1], [0, 1])["parameters"]
    {'a': '0', 'b': None, 'c': '2', 'z': '1', 'lambda': '1'}
    >>> closed_form([0, 1], [0, 0, -1]) is None                  # D = 1 - 4 < 0
    True
    """
    coeffs = _coefficients(a, b)
    if coeffs is None:
        return None
    form = _closed_form(coeffs)
    if form is None:
        return None
    form = {**form, "parameters": dict(form["parameters"]), "proof": dict(form["proof"])}
    if name:
        form["named"], form["elementary"] = _named(form["expression"])
    return form


@functools.lru_cache(maxsize=16_384)
def _named(expression: str) -> tuple[dict | None, str | None]:
    from mathdisco.engines.pcf.degenerate_forms import derive_name, elementary_form
    elementary = elementary_form(expression)
    if elementary is None:
        return None, None
    return derive_name(expression, elementary=elementary), _str(elementary)


# ---------------------------------------------------------------- independent checks


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> sympy.Expr:
    """A parameter string back to sympy (statements repeat the same few across a box)."""
    return sympy.sympify(text)


def check_proof(a: Sequence[int], b: Sequence[int], form: dict) -> bool:
    """True iff the statement's parameters put the PCF in the theorem's form, exactly.

    The PCF's coefficients must equal ``lambda a_thm(n)`` and
    ``lambda^2 b_thm(n)`` as polynomials in ``n`` (sympy, exact radicals); a
    ``terminating`` statement must name a root ``b(root) = 0`` and its exact
    value.  Nothing is taken from the statement's text but its parameters.

    >>> check_proof([1], [0, 0, 1], closed_form([1], [0, 0, 1], name=False))
    True
    >>> check_proof([1], [0, 0, 2], closed_form([1], [0, 0, 1], name=False))
    False
    """
    coeffs = _coefficients(a, b)
    theorem = form.get("theorem")
    if coeffs is None or theorem not in THEOREMS:
        return False
    a0, a1, b0, b1, b2 = coeffs
    p = {k: _parse(v) for k, v in form["parameters"].items() if v is not None}
    if theorem == "terminating":
        root = int(p["root"])
        exact = _terminating(coeffs, root)
        return (root >= 1 and b2 * root**2 + b1 * root + b0 == 0 and exact is not None
                and sympy.sympify(exact["parameters"]["value"]) == p["value"])
    lam = p.pop("lambda")
    an, bn = theorem_fraction(theorem, p)
    da = sympy.expand(lam * an - (a1 * n + a0))
    db = sympy.expand(lam**2 * bn - (b2 * n**2 + b1 * n + b0))
    return all(sympy.radsimp(sympy.expand(c)) == 0
               for poly in (da, db) for c in sympy.Poly(poly, n).all_coeffs())


def _pcf_value(a: Sequence[int], b: Sequence[int], digits: int) -> mpmath.mpf:
    from mathdisco.engines.pcf.evaluation import evaluate
    _, check = evaluate(list(a), list(b), target_digits=digits, check_digits=digits + 10,
                        max_depth=1 << 17)
    return check.value, check.digits


def _agreement(x, y, cap: int) -> int:
    if not (mpmath.isfinite(x) and mpmath.isfinite(y)):
        return 0
    d = abs(x - y)
    if d == 0:
        return cap
    return int(min(cap, max(0, -mpmath.log10(d / max(abs(x), 1)))))


def verify_closed_form(a: Sequence[int], b: Sequence[int], form: dict, digits: int = 30) -> int:
    """Digits (at most ``digits + 10``) to which the statement matches the PCF's limit.

    Three independent numbers: the PCF evaluated deep (tail-corrected where it
    applies, :func:`mathdisco.engines.pcf.evaluation.evaluate`), the statement's
    ``expression`` text evaluated by sympy/mpmath, and the theorem's value at
    the stated parameters with mpmath's own ``hyp2f1``/``hyp1f1``/``hyp0f1``/
    ``hyperu``/``pcfu`` (:func:`theorem_value`).  Returns the fewer of the
    digits the two closed-form numbers agree with the PCF, bounded by the
    digits the PCF evaluation itself carries.

    >>> verify_closed_form([1, 2], [0, 0, 1], closed_form([1, 2], [0, 0, 1])) >= 30
    True
    """
    cap = digits + 10
    with mpmath.workdps(cap + 20):
        pcf, pcf_digits = _pcf_value(a, b, digits)
        text_value = expression_value(form["expression"], cap + 20)
        if isinstance(text_value, mpmath.mpc):
            if abs(text_value.imag) > mpmath.mpf(10) ** (-cap) * max(1, abs(text_value)):
                return 0
            text_value = text_value.real
        thm = theorem_value(form["theorem"], form["parameters"], cap)
        if isinstance(thm, mpmath.mpc):
            thm = thm.real if abs(thm.imag) < mpmath.mpf(10) ** (-cap) else mpmath.nan
        return min(_agreement(pcf, text_value, cap), _agreement(pcf, thm, cap), pcf_digits)
