"""Coboundary certificates between PCFs (engines.pcf.certificates, issue 26)."""

from __future__ import annotations

import mpmath
import pytest

from mathdisco.engines.pcf.certificates import check_coboundary, relation_from_coboundary
from mathdisco.engines.pcf.evaluation import evaluate

IDENTITY = [["1", "0"], ["0", "1"]]


def _limit(a, b):
    return evaluate(a, b, target_digits=30, check_digits=40)[1].value


def test_identity_certificate_between_equal_pcfs():
    assert check_coboundary([1, 2], [0, 0, 1], [1, 2], [0, 0, 1], IDENTITY, "1")
    assert relation_from_coboundary([1, 2], [0, 0, 1], [1, 2], [0, 0, 1], IDENTITY) == (0, 1, -1, 0)


def test_equivalence_transformation_certificate():
    # x: a -> 3a, b -> 9b of y = 4/pi's PCF, so x = 3 y
    x, y = ([3, 6], [0, 0, 9]), ([1, 2], [0, 0, 1])
    certificate = [["3", "0"], ["0", "1"]]
    assert check_coboundary(*x, *y, certificate, "3")
    p, q, r, s = relation_from_coboundary(*x, *y, certificate)
    with mpmath.workdps(40):
        vx, vy = _limit(*x), _limit(*y)
        assert abs(p * vx * vy + q * vx + r * vy + s) < mpmath.mpf(10) ** -30


def test_a_certificate_that_depends_on_n():
    # r_n = n + 1: a_x(n) = (n + 1) a(n), b_x(n) = n (n + 1) b(n), and x = y
    y = ([1, 2], [0, 0, 1])
    x = ([1, 3, 2], [0, 0, 0, 1, 1])
    certificate = [["n", "0"], ["0", "1"]]
    assert check_coboundary(*x, *y, certificate, "n + 1")
    assert relation_from_coboundary(*x, *y, certificate) == (0, 1, -1, 0)


def test_wrong_certificates_are_refused():
    y = ([1, 2], [0, 0, 1])
    assert not check_coboundary([3, 6], [0, 0, 9], *y, [["3", "0"], ["0", "1"]], "2")   # wrong f
    assert not check_coboundary([3, 6], [0, 0, 9], *y, [["1", "0"], ["0", "3"]], "3")   # wrong U
    assert not check_coboundary([1, 2], [0, 0, 2], *y, IDENTITY, "1")                  # not equal
    assert not check_coboundary([1, 3, 2], [0, 0, 0, 1, 1], *y, [["n", "0"], ["0", "1"]], "n")
    # a zero or singular U, or f = 0, would satisfy the identity for any pair: refused
    assert not check_coboundary([1], [1], *y, [["0", "0"], ["0", "0"]], "1")
    assert not check_coboundary([1], [1], *y, [["1", "n"], ["1", "n"]], "0")


@pytest.mark.parametrize("U, f", [
    ([["1", "0"], ["0"]], "1"),               # not 2x2
    ([["1", "0"], ["0", "1 +"]], "1"),        # not parsable
    ([["sin(n)", "0"], ["0", "1"]], "1"),     # not a rational function of n
    ([["m", "0"], ["0", "1"]], "1"),          # another variable
    (IDENTITY, "__import__('os')"),           # never evaluated
])
def test_malformed_certificates_raise(U, f):
    with pytest.raises(ValueError):
        check_coboundary([1], [0, 0, 1], [1], [0, 0, 1], U, f)
