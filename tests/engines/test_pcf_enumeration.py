"""The coefficient box: counts, index round trips, terminating PCFs."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

from mathdisco.engines.pcf.enumeration import (
    CoefficientBox,
    first_positive_root,
    index_ranges,
    terminating_value,
)

PAPER_BOX = CoefficientBox(a_degree=2, b_degree=2, coefficient_min=-5, coefficient_max=5)


def test_paper_space_count():
    # reference Sec. 2.1: 11^6 combinations minus zero polynomials = 1,768,900
    assert PAPER_BOX.count == 1_768_900


def test_small_box_matches_brute_force():
    box = CoefficientBox(a_degree=1, b_degree=1, coefficient_min=-2, coefficient_max=1)
    brute = [(a, b) for a in itertools.product(range(-2, 2), repeat=2)
             for b in itertools.product(range(-2, 2), repeat=2) if any(a) and any(b)]
    a, b = box.coefficients(0, box.count)
    assert box.count == len(brute)
    got = {(tuple(ra), tuple(rb)) for ra, rb in zip(a.tolist(), b.tolist(), strict=True)}
    want = {(tuple(reversed(x)), tuple(reversed(y))) for x, y in brute}
    assert got == want
    assert not (a == 0).all(axis=1).any() and not (b == 0).all(axis=1).any()


@pytest.mark.parametrize("key", [[0, 2, 1, 1, 0, 0], [0, 1, 3, 0, -1, 0], [0, 3, 3, -2, 1, 0],
                                 [5, 5, 5, 5, 5, 5], [-5, -5, -5, -5, -5, -5], [0, 0, 1, 0, 0, 1]])
def test_index_round_trip_of_reference_keys(key):
    # keys are [A2, A1, A0, B2, B1, B0]; the box wants lowest degree first
    a, b = key[2::-1], key[:2:-1]
    index = PAPER_BOX.index_of(a, b)
    ra, rb = PAPER_BOX.coefficients(index, index + 1)
    assert ra[0].tolist() == a and rb[0].tolist() == b


def test_shard_ranges_cover_the_space_once():
    ranges = index_ranges(PAPER_BOX.count, 50_000)
    assert ranges[0][0] == 0 and ranges[-1][1] == PAPER_BOX.count
    assert all(x[1] == y[0] for x, y in zip(ranges, ranges[1:], strict=False))


def test_terminating_pcfs():
    # b = (n-1)(n-4) = n^2 - 5n + 4 is zero at n = 1; b = n(n-3) at n = 3; n^2 + 1 never
    b = np.array([[4, -5, 1], [0, -3, 1], [1, 0, 1], [0, 0, 1]], dtype=np.int64)
    assert first_positive_root(b).tolist() == [1, 3, 0, 0]
    # a = n + 1, b = n(n - 3): the fraction stops before b(3) = 0,
    # 1 + (-2)/(2 + (-2)/3) = 1 - 3/2 = -1/2
    assert terminating_value([1, 1], [0, -3, 1], 3) == Fraction(-1, 2)
