"""Monomials as exponent vectors, prefix trees and columns: the basis the linear steps share.

Both linear steps -- the sparse polynomial fit (:mod:`mathdisco.engines.sr.polynomial`)
and the FFX/MRGP sparse fit (:mod:`mathdisco.engines.sr.linear`) -- build their columns
from monomials of the input variables; this module is their one source, so
neither step imports the other's internals.

Examples
--------
>>> monomials(2, 2)
[(0, 1), (1, 0), (0, 2), (1, 1), (2, 0)]
>>> from mathdisco.engines.sr.grammar import Library
>>> lib = Library(["x", "y"], ["add", "mul"], constants=False)
>>> lib.decode(monomial_prefix(lib, (2, 1)))
['mul', 'mul', 'x', 'x', 'y']
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from mathdisco.engines.sr.grammar import Library

__all__ = ["monomial_prefix", "monomial_values", "monomials"]

Expr = tuple[int, ...]


def monomials(n_variables: int, degree: int) -> list[tuple[int, ...]]:
    """Exponent vectors of total degree ``1 .. degree``, by degree (then reverse-lexicographic).

    Built from multisets of variables, so ten variables at degree 3 cost 285
    vectors, not the ``4**10`` of a full product.

    >>> len(monomials(10, 3))
    285
    """
    out: list[tuple[int, ...]] = []
    for d in range(1, degree + 1):
        level = []
        for combo in itertools.combinations_with_replacement(range(n_variables), d):
            exponents = [0] * n_variables
            for v in combo:
                exponents[v] += 1
            level.append(tuple(exponents))
        out.extend(sorted(level))
    return out


def monomial_prefix(lib: Library, exponents: Sequence[int]) -> Expr:
    """``x**2*y`` as the prefix chain ``mul x mul x y``."""
    factors = [v for v, e in enumerate(exponents) for _ in range(e)]
    mul = lib.token_of["mul"]
    return tuple([mul] * (len(factors) - 1) + factors)


def monomial_values(X: np.ndarray, exponents: Sequence[int]) -> np.ndarray:
    """The monomial's values on the columns of ``X`` (variables x points)."""
    out = np.ones(X.shape[1])
    for v, e in enumerate(exponents):
        if e:
            out = out * X[v] ** e
    return out
