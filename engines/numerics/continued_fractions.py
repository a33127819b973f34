"""Continued fractions: exact convergents, fast evaluation, guaranteed expansions.

Generalised continued fractions are read as
``a(0) + b(1)/(a(1) + b(2)/(a(2) + ...))`` (docs/design.md, "Formula JSON"), with the
convergents ``p_n/q_n`` of the classical three-term recurrence

    p_{-1} = 1, q_{-1} = 0, p_0 = a(0), q_0 = 1,
    p_n = a(n) p_{n-1} + b(n) p_{n-2},   q_n = a(n) q_{n-1} + b(n) q_{n-2},

i.e. ``(p_n p_{n-1}; q_n q_{n-1}) = prod_{i=0..n} (a(i) 1; b(i) 0)`` with
``b(0) := 1``.  :func:`gcf_convergent` multiplies these 2x2 integer matrices
as a balanced product tree (binary splitting) with gmpy2, which is what makes
deep evaluation fast: the big multiplications happen near the root, where
gmpy2's subquadratic multiplication pays off.

Expansions (:func:`signed_continued_fraction`, :func:`simple_continued_fraction`)
follow the greedy rule of Razon et al. (ICML 2023, "ESMA", the Extract step):
with sign pattern ``s``, ``a_i = floor(x_i)`` if ``s_i = +1`` and ``ceil(x_i)``
if ``s_i = -1``, then ``x_{i+1} = s_i/(x_i - a_i)``, so that
``x = a_0 + s_0/(a_1 + s_1/(a_2 + ...))`` (``s_i`` is DESIGN's ``b(i+1)``).
The input is known only to some digits, so both ends of the interval
``[x - err, x + err]`` are expanded exactly (the Euclidean algorithm on
integers) and a partial quotient is emitted only when both ends agree on it:
no term is ever emitted that the precision does not guarantee.

Examples
--------
>>> import mpmath
>>> from mathdisco.engines.numerics.continued_fractions import simple_continued_fraction
>>> with mpmath.workdps(60):
...     expansion = simple_continued_fraction(mpmath.e, 40)
>>> expansion.terms[:10]
[2, 1, 2, 1, 1, 4, 1, 1, 6, 1]
>>> expansion.complete
True
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

import mpmath
from gmpy2 import mpq, mpz

from mathdisco.engines.numerics.formula import QuasiPolynomial

Matrix = tuple[mpz, mpz, mpz, mpz]  # (a b; c d) row-major


# ---------------------------------------------------------------------------
# convergents and evaluation
# ---------------------------------------------------------------------------

def gcf_convergents(a_terms: Sequence[int], b_terms: Sequence[int]) -> Iterator[tuple[mpz, mpz]]:
    """Yield ``(p_n, q_n)`` for ``n = 0 .. len(a_terms) - 1`` (``b_terms[0]`` is ignored).

    Examples
    --------
    >>> list(gcf_convergents([1, 2, 2, 2], [0, 1, 1, 1]))   # sqrt(2)
    [(mpz(1), mpz(1)), (mpz(3), mpz(2)), (mpz(7), mpz(5)), (mpz(17), mpz(12))]
    """
    p_prev, q_prev = mpz(1), mpz(0)
    p, q = mpz(a_terms[0]), mpz(1)
    yield p, q
    for n in range(1, len(a_terms)):
        a, b = mpz(a_terms[n]), mpz(b_terms[n])
        p, p_prev = a * p + b * p_prev, p
        q, q_prev = a * q + b * q_prev, q
        yield p, q


_LEAF = 48  # matrices per leaf: small products are cheaper as Python-int recurrences


def _leaf(a_terms: Sequence[int], b_terms: Sequence[int], lo: int, hi: int) -> Matrix:
    # the rows of prod (a_i 1; b_i 0) obey (x, y) -> (a x + b y, x): run both rows
    x0, y0, x1, y1 = 1, 0, 0, 1
    for i in range(lo, hi):
        a, b = a_terms[i], b_terms[i]
        x0, y0 = a * x0 + b * y0, x0
        x1, y1 = a * x1 + b * y1, x1
    return mpz(x0), mpz(y0), mpz(x1), mpz(y1)


def _product(a_terms: Sequence[int], b_terms: Sequence[int], lo: int, hi: int) -> Matrix:
    if hi - lo <= _LEAF:
        return _leaf(a_terms, b_terms, lo, hi)
    mid = (lo + hi) // 2
    a, b, c, d = _product(a_terms, b_terms, lo, mid)
    e, f, g, h = _product(a_terms, b_terms, mid, hi)
    return a * e + b * g, a * f + b * h, c * e + d * g, c * f + d * h


def gcf_convergent(a_terms: Sequence[int], b_terms: Sequence[int]) -> tuple[mpz, mpz, mpz, mpz]:
    """``(p_N, q_N, p_{N-1}, q_{N-1})`` with ``N = len(a_terms) - 1``, by a product tree.

    Examples
    --------
    >>> gcf_convergent([1, 2, 2, 2], [0, 1, 1, 1])
    (mpz(17), mpz(12), mpz(7), mpz(5))
    """
    if not a_terms:
        raise ValueError("need at least a(0)")
    if len(b_terms) < len(a_terms):
        raise ValueError("need as many b terms as a terms")
    b_list = [1, *b_terms[1:len(a_terms)]]  # b(0) := 1 makes the first factor (a0 1; 1 0)
    p, p_prev, q, q_prev = _product(a_terms, b_list, 0, len(a_terms))
    return p, q, p_prev, q_prev


def _ratio(p: mpz, q: mpz) -> mpmath.mpf:
    if q == 0:
        return mpmath.inf if p >= 0 else -mpmath.inf
    return mpmath.mpf(p) / mpmath.mpf(q)


def evaluate_gcf(a: QuasiPolynomial, b: QuasiPolynomial, depth: int, dps: int) -> mpmath.mpf:
    """The convergent ``p_depth/q_depth`` of ``a(0) + b(1)/(a(1) + ...)`` at ``dps`` digits.

    Parameters
    ----------
    a, b : partial denominators and numerators.
    depth : number of levels after ``a(0)`` (``depth + 1`` terms of ``a`` are used).
    dps : decimal digits of the returned value (the convergent itself is exact).

    Returns
    -------
    mpmath.mpf (``±inf`` when ``q_depth = 0``).

    Examples
    --------
    >>> import mpmath
    >>> x = evaluate_gcf(QuasiPolynomial.polynomial([2, 4]), QuasiPolynomial.constant(1), 100, 50)
    >>> mpmath.nstr(x, 20)   # coth(1/2) = (e + 1)/(e - 1)
    '2.1639534137386528488'
    """
    if depth < 0:
        raise ValueError("depth must be >= 0")
    p, q, _, _ = gcf_convergent(a.terms(depth + 1), b.terms(depth + 1))
    with mpmath.workdps(dps):
        return +_ratio(p, q)


def correct_digits(value: mpmath.mpf, reference: mpmath.mpf, cap: int) -> int:
    """Decimal digits to which ``value`` agrees with ``reference`` (absolute error), at most ``cap``."""
    difference = abs(value - reference)
    if difference == 0:
        return cap
    return max(0, min(cap, int(mpmath.floor(-mpmath.log10(difference)))))


def convergence_profile(a: QuasiPolynomial, b: QuasiPolynomial, depths: Sequence[int], *,
                        reference: mpmath.mpf | None = None, dps: int = 1_000
                        ) -> list[dict[str, int]]:
    """Correct digits of the convergent at each depth (the dashboard's error-vs-depth plot).

    Parameters
    ----------
    depths : increasing depths to report.
    reference : the limit; when None the convergent at ``4 * max(depths) + 50`` is
        used, and digits are capped at what that reference supports (the distance
        between its last two convergents).
    dps : working precision and cap on reported digits.

    Returns
    -------
    list of ``{"depth": n, "digits": d}``.

    Examples
    --------
    >>> import mpmath
    >>> with mpmath.workdps(300):
    ...     e = +mpmath.e
    >>> a = QuasiPolynomial((3,), 2, ((3, 2), (2,)))        # e with signs (-, +), T2 in the notes
    >>> b = QuasiPolynomial.signs([-1, 1])
    >>> [row["digits"] for row in convergence_profile(a, b, [10, 50, 100], reference=e, dps=300)]
    [12, 83, 193]
    """
    if not depths:
        return []
    a_terms, b_terms = a.terms(max(depths) + 1), b.terms(max(depths) + 1)
    cap = dps
    with mpmath.workdps(dps + 20):
        if reference is None:
            deep = 4 * max(depths) + 50
            p, q, p1, q1 = gcf_convergent(a.terms(deep + 1), b.terms(deep + 1))
            reference = _ratio(p, q)
            cap = min(cap, correct_digits(_ratio(p1, q1), reference, dps))
        profile = []
        wanted = set(depths)
        for n, (p, q) in enumerate(gcf_convergents(a_terms, b_terms)):
            if n in wanted:
                profile.append({"depth": n, "digits": correct_digits(_ratio(p, q), reference, cap)})
    return profile


# ---------------------------------------------------------------------------
# expansions with a precision guarantee
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Expansion:
    """A continued-fraction expansion and why it stopped.

    ``terms[i]`` is ``a_i``; ``signs[i]`` is the sign after ``a_i``
    (``x = a_0 + signs[0]/(a_1 + signs[1]/(...))``).  ``terminated`` means the
    expansion ended exactly (the input is rational); ``complete`` means
    ``n_terms`` terms were produced; otherwise ``reason`` says why it stopped
    (the precision could not decide the next term).
    """

    terms: list[int]
    signs: list[int]
    complete: bool
    terminated: bool
    reason: str


def _interval(x: mpmath.mpf | Fraction | int | mpq, digits: int | None) -> tuple[mpq, mpq]:
    if isinstance(x, (Fraction, int, type(mpq(0)), type(mpz(0)))):
        value = mpq(x.numerator, x.denominator) if isinstance(x, Fraction) else mpq(x)
        return value, value
    sign, mantissa, exponent, _ = mpmath.mpf(x)._mpf_ if not isinstance(x, mpmath.mpf) else x._mpf_
    if mantissa == 0 and exponent == 0 and not sign:
        value = mpq(0)
    else:
        value = mpq(mpz(mantissa)) * (mpq(2) ** exponent if exponent >= 0
                                      else mpq(1, mpz(2) ** (-exponent)))
        if sign:
            value = -value
    if digits is None:
        digits = mpmath.mp.dps - 3
    error = (abs(value) + 1) * mpq(1, mpz(10) ** digits)
    return value - error, value + error


def signed_continued_fraction(x: mpmath.mpf | Fraction | int, signs: Sequence[int], n_terms: int,
                              *, correct_digits: int | None = None) -> Expansion:
    """The greedy signed continued fraction of ``x`` with periodic ``signs``.

    Parameters
    ----------
    x : the number: an mpf (known to ``correct_digits`` digits, relative to
        ``max(1, |x|)``) or an exact rational (Fraction/int/gmpy2).
    signs : the sign period ``s`` (each +1 or -1); ``a_i`` is floor(x_i) when
        ``s[i mod k] = +1`` and ceil(x_i) when it is -1.
    n_terms : how many partial quotients ``a_0..a_{n-1}`` to produce at most.
    correct_digits : digits of ``x`` to trust; default ``mpmath.mp.dps - 3``.

    Returns
    -------
    Expansion; every emitted term holds for every number in the interval.

    Examples
    --------
    >>> import mpmath
    >>> with mpmath.workdps(200):
    ...     x = mpmath.e / (mpmath.e - 1)
    ...     expansion = signed_continued_fraction(x, [1, -1], 12)
    >>> expansion.terms                  # T3 in the notes: e/(e-1) with signs (+, -)
    [1, 2, 3, 2, 5, 2, 7, 2, 9, 2, 11, 2]
    >>> signed_continued_fraction(Fraction(7, 3), [1], 10)
    Expansion(terms=[2, 3], signs=[1, 1], complete=False, terminated=True, reason='terminated: the number is rational')
    """
    if not signs or any(s not in (1, -1) for s in signs):
        raise ValueError("signs must be a non-empty sequence of +1/-1")
    lo, hi = _interval(x, correct_digits)
    # Each end as an integer fraction num/den (den > 0); the Euclidean steps below
    # keep them exact and their sizes shrink as terms are emitted.
    ends = [[mpz(lo.numerator), mpz(lo.denominator)], [mpz(hi.numerator), mpz(hi.denominator)]]
    exact = lo == hi
    terms: list[int] = []
    used_signs: list[int] = []
    k = len(signs)
    for i in range(n_terms):
        s = signs[i % k]
        quotients = []
        for num, den in ends:
            quotients.append(num // den if s > 0 else -((-num) // den))
        if quotients[0] != quotients[1]:
            return Expansion(terms, used_signs, False, False,
                             f"precision exhausted after {len(terms)} terms")
        a = quotients[0]
        remainders = [num - a * den for num, den in ends]
        if any(r == 0 for r in remainders):
            if exact:
                terms.append(int(a))
                used_signs.append(s)
                return Expansion(terms, used_signs, False, True, "terminated: the number is rational")
            return Expansion(terms, used_signs, False, False,
                             f"precision exhausted after {len(terms)} terms "
                             "(the interval reaches a rational endpoint)")
        terms.append(int(a))
        used_signs.append(s)
        # x_{i+1} = s / (x_i - a) = s*den / rem; keep den > 0
        new_ends = []
        for (_, den), rem in zip(ends, remainders, strict=True):
            numerator, denominator = s * den, rem
            if denominator < 0:
                numerator, denominator = -numerator, -denominator
            new_ends.append([numerator, denominator])
        # x -> s/(x - a) is decreasing on the interval, so the ends swap
        ends = new_ends[::-1]
    return Expansion(terms, used_signs, True, False, "complete")


def simple_continued_fraction(x: mpmath.mpf | Fraction | int, n_terms: int, *,
                              correct_digits: int | None = None) -> Expansion:
    """The simple continued fraction ``[a_0; a_1, a_2, ...]`` of ``x`` (all signs +1).

    Examples
    --------
    >>> import mpmath
    >>> with mpmath.workdps(50):
    ...     simple_continued_fraction(mpmath.pi, 10).terms
    [3, 7, 15, 1, 292, 1, 1, 1, 2, 1]
    """
    return signed_continued_fraction(x, [1], n_terms, correct_digits=correct_digits)


def digits_per_term(a: QuasiPolynomial, b: QuasiPolynomial, depth: int,
                    reference: mpmath.mpf, dps: int) -> float:
    """Average correct digits gained per term between depth/2 and depth (ESMA's convergence rate)."""
    half = max(1, depth // 2)
    profile = convergence_profile(a, b, [half, depth], reference=reference, dps=dps)
    return (profile[1]["digits"] - profile[0]["digits"]) / (depth - half)


__all__ = [
    "Expansion",
    "convergence_profile",
    "correct_digits",
    "digits_per_term",
    "evaluate_gcf",
    "gcf_convergent",
    "gcf_convergents",
    "signed_continued_fraction",
    "simple_continued_fraction",
]
