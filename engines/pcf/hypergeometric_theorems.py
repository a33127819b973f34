"""The classical continued fractions behind the closed forms of PCFs, and their values.

Each theorem of docs/pcf_closed_forms.md is stated here as its own fraction
``a_thm(n), b_thm(n)`` at exact parameters (:func:`theorem_fraction`) and its
value computed with mpmath's own special functions (:func:`theorem_value`),
independently of a statement's text; :func:`expression_value` evaluates that
text.  A ratio whose formula has a pole at the parameters is evaluated on the
tail past the pole (:func:`pole_shift`, :func:`shifted_parameters`), the head
folded back projectively.

Examples
--------
>>> theorem_fraction("norlund", {"a": 0, "b": 0, "c": 1, "z": sympy.Rational(1, 2)})
(1/2, n**2/4)
>>> p = {"a": "0", "b": "0", "c": "1", "z": "1/2", "lambda": "2"}
>>> mpmath.nstr(theorem_value("norlund", p), 15)                  # 1/ln 2
'1.44269504088896'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import mpmath
import sympy

from mathdisco.engines.pcf.degenerate_forms import parabolic_u_value, tricomi_u_value

__all__ = ["THEOREMS", "exact_zero_hyper", "expression_value", "pole_shift", "shifted_parameters",
           "stated_value", "theorem_fraction", "theorem_value"]

n = sympy.Symbol("n")
HALF = sympy.Rational(1, 2)

#: theorem name -> the parameter names it states (besides ``lambda``)
THEOREMS: dict[str, tuple[str, ...]] = {
    "norlund": ("a", "b", "c", "z"),
    "confluent_1f1": ("a", "c", "z"),
    "confluent_0f1": ("c", "z"),
    "tricomi_u": ("a", "b", "z"),
    "parabolic_u": ("a", "x"),
    "pincherle_gamma": ("alpha", "beta"),
    "periodic": ("a", "b"),
    "terminating": ("root", "value"),
}


def theorem_fraction(theorem: str, p: dict[str, sympy.Expr]) -> tuple[sympy.Expr, sympy.Expr]:
    """``(a_thm(n), b_thm(n))``: the theorem's own continued fraction at parameters ``p``.

    >>> theorem_fraction("confluent_1f1", {"a": 1, "c": 2, "z": 3})
    (n - 1, 3*n + 3)
    """
    a, b, c, z, x = (sympy.sympify(p.get(k, 0)) for k in ("a", "b", "c", "z", "x"))
    if theorem == "norlund":
        return c + n - (a + b + 2 * n + 1) * z, sympy.expand((a + n) * (b + n) * z * (1 - z))
    if theorem == "confluent_1f1":
        return c + n - z, sympy.expand((a + n) * z)
    if theorem == "confluent_0f1":
        return c + n, z
    if theorem == "tricomi_u":
        return 2 * n + 2 * a - b + z, sympy.expand(-(a + n - 1) * (a + n - b))
    if theorem == "parabolic_u":
        return x, n + a - HALF
    if theorem == "periodic":
        return a, b
    if theorem == "pincherle_gamma":
        alpha, beta = sympy.sympify(p["alpha"]), sympy.sympify(p["beta"])
        return 2 * n + alpha + beta + 1, sympy.expand(-(n + alpha) * (n + beta))
    raise ValueError(f"unknown theorem {theorem!r}")


def shifted_parameters(theorem: str, p: dict[str, sympy.Expr], k: int) -> dict[str, sympy.Expr]:
    """Parameters of the tail from index ``k`` on (``n -> n + k`` in the theorem's fraction)."""
    q = dict(p)
    if theorem == "norlund":
        q.update(a=p["a"] + k, b=p["b"] + k, c=p["c"] + k)
    elif theorem == "confluent_1f1":
        q.update(a=p["a"] + k, c=p["c"] + k)
    elif theorem == "confluent_0f1":
        q.update(c=p["c"] + k)
    elif theorem in ("tricomi_u", "parabolic_u"):
        q.update(a=p["a"] + k)
    return q


def pole_shift(theorem: str, p: dict[str, sympy.Expr]) -> int:
    """Steps after which the ratio's formula has no pole (``c`` or a Gamma factor at 0, -1, ...)."""
    if theorem in ("norlund", "confluent_1f1", "confluent_0f1"):
        c = p["c"]
        return int(1 - c) if c.is_integer and c <= 0 else 0
    if theorem == "tricomi_u":  # the factor (a - 1)(a - b) multiplies a Meijer-G pole when 0
        zeros = [v for v in (p["a"] - 1, p["a"] - p["b"]) if v.is_integer and v <= 0]
        return int(1 - min(zeros)) if zeros else 0
    return 0


def _ratio_value(theorem: str, p: dict[str, sympy.Expr], dps: int) -> tuple:
    """The theorem's value (``lambda = 1``) as ``(numerator, denominator)``, by mpmath's own
    special functions (either may be exactly 0: the fold below stays projective)."""
    hyp = exact_zero_hyper  # a hypergeometric value can be exactly 0
    with mpmath.workdps(dps + 20):
        v = {k: mpmath.mpmathify(sympy.N(e, dps + 30)) for k, e in p.items()}
        if theorem == "norlund":
            return (v["c"] * hyp(mpmath.hyp2f1, v["a"], v["b"], v["c"], v["z"]),
                    hyp(mpmath.hyp2f1, v["a"] + 1, v["b"] + 1, v["c"] + 1, v["z"]))
        if theorem == "confluent_1f1":
            return (v["c"] * hyp(mpmath.hyp1f1, v["a"], v["c"], v["z"]),
                    hyp(mpmath.hyp1f1, v["a"] + 1, v["c"] + 1, v["z"]))
        if theorem == "confluent_0f1":
            return (v["c"] * hyp(mpmath.hyp0f1, v["c"], v["z"]),
                    hyp(mpmath.hyp0f1, v["c"] + 1, v["z"]))
        if theorem == "tricomi_u":
            return tricomi_u_value(v["a"], v["b"], v["z"]), 1
        if theorem == "parabolic_u":
            return parabolic_u_value(v["a"], v["x"]), 1
    raise ValueError(f"no ratio for {theorem!r}")


def exact_zero_hyper(function: Callable, *args):
    """``function(*args)`` (an mpmath hypergeometric function), 0 where it is exactly 0.

    mpmath cannot reach a relative accuracy on an exact zero: with ``zeroprec``
    it returns 0 below ``2^-zeroprec``, but some of its transformations (2F1
    at ``z/(z-1)``) drop that option and raise instead; a value mpmath cannot
    separate from 0 at ``8 dps`` bits is 0 here too.
    """
    try:
        return function(*args, zeroprec=8 * mpmath.mp.dps)
    except ValueError:
        return mpmath.mpf(0)


def _fold(head: Sequence[tuple], tail: tuple):
    """``a_0 + b_1/(a_1 + ... + b_k/t)``, ``t = tail[0]/tail[1]``, ``head = [(a_0, b_1), ...]``.

    Folded projectively, as ``(numerator, denominator)``: an intermediate
    value may be 0 or infinite (a(n) = 0 in the head, a zero of the ratio's
    denominator) while the whole is finite.
    """
    numerator, denominator = tail
    for a_i, b_next in reversed(head):
        numerator, denominator = a_i * numerator + b_next * denominator, numerator
    return numerator / denominator


def _head(theorem: str, p: dict[str, sympy.Expr], k: int) -> list[tuple[sympy.Expr, sympy.Expr]]:
    an, bn = theorem_fraction(theorem, p)
    return [(an.subs(n, i), bn.subs(n, i + 1)) for i in range(k)]


def theorem_value(theorem: str, parameters: dict[str, str], dps: int = 40) -> mpmath.mpf:
    """The value a statement claims, from its parameters, with mpmath (independent of its text).

    >>> p = {"a": "0", "b": "0", "c": "1", "z": "1/2", "lambda": "2"}
    >>> mpmath.nstr(theorem_value("norlund", p), 15)
    '1.44269504088896'
    """
    p = {k: sympy.sympify(v) for k, v in parameters.items() if v is not None}
    lam = p.pop("lambda", sympy.Integer(1))
    return stated_value(theorem, p, lam, dps)


def stated_value(theorem: str, p: dict[str, sympy.Expr], lam: sympy.Expr,
                 dps: int) -> mpmath.mpf:
    """:func:`theorem_value` at sympy parameters ``p`` and ``lam`` (``inf`` where it is infinite)."""
    with mpmath.workdps(dps + 20):
        if theorem == "terminating":
            return mpmath.mpf(sympy.Rational(p["value"]).p) / sympy.Rational(p["value"]).q
        if theorem == "pincherle_gamma":
            return mpmath.mpmathify(sympy.N(lam * p["alpha"], dps + 20))
        if theorem == "periodic":
            a, b = p["a"], p["b"]
            return mpmath.mpmathify(sympy.N((a + sympy.sign(a) * sympy.sqrt(a**2 + 4 * b)) / 2,
                                            dps + 20))
        k = pole_shift(theorem, p)
        tail = _ratio_value(theorem, shifted_parameters(theorem, p, k), dps)
        head = [(mpmath.mpmathify(sympy.N(x, dps + 30)), mpmath.mpmathify(sympy.N(y, dps + 30)))
                for x, y in _head(theorem, p, k)] if k else []
        try:
            return mpmath.mpmathify(sympy.N(lam, dps + 30)) * _fold(head, tail)
        except ZeroDivisionError:  # the value is infinite: the PCF diverges
            return mpmath.inf



_LOCALS: dict[str, Callable] = {"hyper": sympy.hyper, "meijerg": sympy.meijerg}


def expression_value(expression: str, dps: int) -> mpmath.mpf | mpmath.mpc:
    """A statement's expression text evaluated with mpmath at ``dps`` digits.

    Every ``hyper`` node is evaluated by mpmath with ``zeroprec`` (a
    hypergeometric value can be exactly 0, where sympy's ``evalf`` asks mpmath
    for a relative accuracy it cannot reach), the rest by sympy's ``evalf``.

    >>> mpmath.nstr(expression_value("2*hyper([1], [1], 1)/hyper([2], [2], 1) + 1", 20), 10)
    '3.0'
    >>> expression_value("2*hyper([2], [1], -1)/hyper([3], [2], -1)", 30)   # (1 + z) e^z = 0
    mpf('0.0')
    """
    expr = sympy.sympify(expression, locals=_LOCALS)
    with mpmath.workdps(dps + 20):
        values = {}
        for node in expr.atoms(sympy.hyper):
            ap = [mpmath.mpmathify(sympy.N(x, dps + 20)) for x in node.ap]
            bq = [mpmath.mpmathify(sympy.N(x, dps + 20)) for x in node.bq]
            value = exact_zero_hyper(mpmath.hyper, ap, bq,
                                     mpmath.mpmathify(sympy.N(node.argument, dps + 20)))
            values[node] = sympy.Float(value, dps + 20) if not isinstance(value, mpmath.mpc) else (
                sympy.Float(value.real, dps + 20) + sympy.I * sympy.Float(value.imag, dps + 20))
        value = sympy.N(expr.xreplace(values), dps + 10)
        if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            return mpmath.inf  # a zero denominator: the fraction's value is infinite
        return mpmath.mpmathify(value)
