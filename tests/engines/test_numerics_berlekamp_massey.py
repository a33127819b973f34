"""Berlekamp-Massey over Q and GF(p): the sequence-level vectors of the ESMA notes (section 2.5)."""

from __future__ import annotations

import random
from fractions import Fraction

import mpmath
import pytest

from mathdisco.engines.numerics.berlekamp_massey import (
    berlekamp_massey,
    berlekamp_massey_mod,
    linear_complexity_mod,
    quasi_polynomial_shape,
)
from mathdisco.engines.numerics.continued_fractions import signed_continued_fraction
from mathdisco.engines.numerics.expressions import constant_expression_value


def _extract(constant: str, signs: list[int], n: int = 100) -> list[int]:
    x = constant_expression_value(constant, 500)
    with mpmath.workdps(500):
        expansion = signed_continued_fraction(x, signs, n)
    assert expansion.complete
    return expansion.terms


VECTORS = [
    ("besseli(0, 2)/besseli(1, 2)", [1], 2, [1, -2, 1]),
    ("tan1", [1], 4, [1, 0, -2, 0, 1]),
    ("e/(e-1)", [1, -1], 4, [1, 0, -2, 0, 1]),
    ("e - 1", [-1, 1], 4, [1, 0, -2, 0, 1]),
    ("e - 1", [1], 6, [1, 0, 0, -2, 0, 0, 1]),
    ("e", [1], 7, [1, 0, 0, -2, 0, 0, 1, 0]),
    ("exp(2) - 1", [1, 1, -1, 1], 8, [1, 0, 0, 0, -2, 0, 0, 0, 1]),
    ("tan1", [1, -1, -1, 1], 8, [1, 0, 0, 0, -2, 0, 0, 0, 1]),
    ("e/(e-2)", [1], 9, [1, 0, 0, -1, 0, 0, -1, 0, 0, 1]),
    ("exp(2)", [1], 11, [1, 0, 0, 0, 0, -2, 0, 0, 0, 0, 1, 0]),
]


@pytest.mark.parametrize(("constant", "signs", "length", "connection"), VECTORS)
def test_reference_vectors_over_q_and_mod_p(constant: str, signs: list[int], length: int,
                                            connection: list[int]) -> None:
    terms = _extract(constant, signs)
    exact = berlekamp_massey(terms)
    assert exact.length == length
    assert exact.connection == connection
    assert exact.confirmations == 100 - 2 * length
    for prime in (199, 2_147_483_647):
        modular = berlekamp_massey_mod(terms, prime)
        assert modular.length == length
        assert modular.connection == connection


def test_pi_has_no_short_recurrence() -> None:
    terms = _extract("pi", [1])
    exact = berlekamp_massey(terms)
    assert exact.length == 50
    assert not exact.is_integral
    assert linear_complexity_mod([terms], 199) == [50]


def test_pi_minus_signs_is_a_short_false_positive() -> None:
    # the notes: pi with s = (-1) gives a run of 2s and L = 21 over 100 terms
    terms = _extract("pi", [-1])
    assert terms[:8] == [4, 2, 2, 2, 2, 2, 2, 17]
    assert berlekamp_massey(terms).length == 21
    assert berlekamp_massey(terms).connection[:2] == [1, -1]


def test_batch_screen_matches_exact_on_random_recurrences() -> None:
    rng = random.Random(7)
    sequences, expected = [], []
    for _ in range(40):
        order = rng.randint(1, 6)
        coefficients = [rng.randint(-3, 3) for _ in range(order - 1)] + [rng.choice([-1, 1])]
        seq = [rng.randint(-5, 5) for _ in range(order)]
        while len(seq) < 40:
            seq.append(-sum(c * seq[-1 - i] for i, c in enumerate(coefficients)))
        sequences.append(seq)
        expected.append(berlekamp_massey(seq).length)
    assert linear_complexity_mod(sequences, chunk=16) == expected


def test_rational_sequence_and_prime_pitfall() -> None:
    assert berlekamp_massey([Fraction(1, 2 ** k) for k in range(10)]).connection == [
        1, Fraction(-1, 2)]
    # a_n = 199 n + 1 is constant 1 mod 199: the p = 199 screen under-reports (notes 1.3)
    seq = [199 * n + 1 for n in range(20)]
    assert berlekamp_massey(seq).length == 2
    assert berlekamp_massey_mod(seq, 199).length == 1


@pytest.mark.parametrize(
    ("connection", "shape"),
    [([1, -2, 1], (0, 1, 1)), ([1, 0, -2, 0, 1], (0, 2, 1)), ([1, 0, 0, -2, 0, 0, 1, 0], (1, 3, 1)),
     ([1, 0, 0, -1, 0, 0, -1, 0, 0, 1], (0, 6, 1)), ([1, -3, 3, -1], (0, 1, 2)),
     ([1, 1], (0, 2, 0)), ([1, -1, -1], None), ([1, -2], None),
     ([1] + [0] * 10 + [1] + [0] * 10 + [3], None)],
)
def test_quasi_polynomial_shape(connection: list[int], shape: tuple[int, int, int] | None) -> None:
    assert quasi_polynomial_shape(connection) == shape
