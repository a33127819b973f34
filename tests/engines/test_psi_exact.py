"""The exact ψ-class engine against independent facts: published values,
closed forms, the string/dilaton equations and the KdV equation (no torch)."""

from __future__ import annotations

import math
import random
from fractions import Fraction
from itertools import combinations_with_replacement

import pytest
from pydantic import ValidationError

from mathdisco.engines.neural.params import PsiExactParams
from mathdisco.engines.neural.psi_exact import (
    all_entries,
    intersection_number,
    log_asymptotic,
    run_psi_exact,
)

# Witten (1991) / Faber tables and the closed forms; see reference/neural.md §5.
KNOWN = [
    (0, (0, 0, 0), "1"),
    (0, (0, 0, 0, 1), "1"),
    (0, (0, 0, 0, 1, 1), "2"),
    (1, (1,), "1/24"),
    (1, (0, 2), "1/24"),
    (1, (0, 1, 2), "1/12"),
    (1, (0, 0, 2, 2), "1/6"),
    (2, (4,), "1/1152"),
    (2, (1, 4), "1/384"),
    (2, (2, 3), "29/5760"),
    (2, (0, 2, 4), "11/1440"),
    (2, (2, 2, 2), "7/240"),
    (3, (7,), "1/82944"),
    (3, (2, 6), "77/414720"),
    (3, (3, 5), "503/1451520"),
    (3, (4, 4), "607/1451520"),
    (3, (2, 2, 2, 2, 2, 2), "1225/144"),
    (4, (3, 8), "947/92897280"),
    (4, (5, 6), "487/18579456"),
    (5, (13,), "1/955514880"),
]


def psi(g, ds) -> Fraction:
    v = intersection_number(g, ds)
    return Fraction(int(v.numerator), int(v.denominator))


@pytest.mark.parametrize("genus,insertions,expected", KNOWN)
def test_known_values(genus, insertions, expected):
    assert psi(genus, insertions) == Fraction(expected)
    assert psi(genus, tuple(reversed(insertions))) == Fraction(expected)  # symmetric


def test_job_returns_exact_fraction_strings():
    assert run_psi_exact(PsiExactParams(genus=2, insertions=[3, 2]))["value"] == "29/5760"
    assert run_psi_exact(PsiExactParams(genus=1, insertions=[1]))["value"] == "1/24"
    assert run_psi_exact(PsiExactParams(genus=0, insertions=[0, 0, 0]))["value"] == "1"
    assert run_psi_exact(PsiExactParams(genus=3, insertions=[7]))["value"] == "1/82944"


def test_degree_mismatch_is_zero_with_reason():
    result = run_psi_exact(PsiExactParams(genus=2, insertions=[3, 3]))
    assert result["value"] == "0" and result["dimension_matches"] is False
    assert "3g-3+n" in result["note"]


@pytest.mark.parametrize("bad", [
    {"genus": 0, "insertions": [0, 0]},          # M_{0,2} does not exist
    {"genus": 1, "insertions": []},
    {"genus": 2, "insertions": [-1, 6]},
    {"genus": 17, "insertions": [49]},            # above the genus cap
    {"genus": 2, "insertions": [2, 3], "extra": 1},
])
def test_params_refuse(bad):
    with pytest.raises(ValidationError):
        PsiExactParams.model_validate(bad)


@pytest.mark.parametrize("n", range(3, 9))
def test_genus_zero_formula(n):
    # <prod tau_di>_0 = (n-3)! / prod di!
    for ds in combinations_with_replacement(range(n - 2), n):
        if sum(ds) == n - 3:
            assert psi(0, ds) == Fraction(math.factorial(n - 3), math.prod(math.factorial(d) for d in ds))


@pytest.mark.parametrize("g", range(1, 9))
def test_one_point_formula_and_exact_asymptotic(g):
    assert psi(g, (3 * g - 2,)) == Fraction(1, 24**g * math.factorial(g))
    # Aggarwal's asymptotic is exact for n = 1
    assert math.isclose(math.exp(log_asymptotic(g, (3 * g - 2,))), 1 / (24**g * math.factorial(g)),
                        rel_tol=1e-9)


@pytest.mark.parametrize("n", range(1, 8))
def test_genus_one_tau1_power(n):
    assert psi(1, (1,) * n) == Fraction(math.factorial(n - 1), 24)


def _random_cases(seed, count):
    rng = random.Random(seed)
    cases = []
    while len(cases) < count:
        g, n = rng.randint(0, 4), rng.randint(1, 6)
        if 2 * g - 2 + n <= 0:
            continue
        degree = 3 * g - 3 + n
        cuts = sorted(rng.randint(0, degree) for _ in range(n - 1))
        ds = [b - a for a, b in zip([0, *cuts], [*cuts, degree], strict=True)]
        cases.append((g, tuple(ds)))
    return cases


@pytest.mark.parametrize("g,ds", _random_cases(7, 60))
def test_string_equation(g, ds):
    lhs = psi(g, (0, *ds))
    rhs = sum(psi(g, ds[:j] + (ds[j] - 1,) + ds[j + 1:]) for j in range(len(ds)) if ds[j] > 0)
    assert lhs == rhs


@pytest.mark.parametrize("g,ds", _random_cases(11, 60))
def test_dilaton_equation(g, ds):
    assert psi(g, (1, *ds)) == (2 * g - 2 + len(ds)) * psi(g, ds)


def _kdv_coefficient(multiplicities: dict[int, int]) -> Fraction:
    """c(α) = the intersection number with a_k copies of τ_k (0 when unstable/mismatched)."""
    ds = tuple(k for k, a in multiplicities.items() for _ in range(a))
    n = len(ds)
    if (sum(ds) - n + 3) % 3:
        return Fraction(0)
    g = (sum(ds) - n + 3) // 3
    return psi(g, ds) if g >= 0 else Fraction(0)


def _add(*vectors):
    out: dict[int, int] = {}
    for v in vectors:
        for k, a in v.items():
            out[k] = out.get(k, 0) + a
    return out


def _sub_vectors(gamma):
    keys = sorted(gamma)
    def rec(i):
        if i == len(keys):
            yield {}
            return
        for a in range(gamma[keys[i]] + 1):
            for rest in rec(i + 1):
                yield {keys[i]: a, **rest}
    yield from rec(0)


def _kdv_cases():
    """Every γ with |γ| ≤ 4 parts from τ_0..τ_7 whose left-hand side is a nonzero entry (genus ≥ 0, degree matching)."""
    cases = []
    for size in range(5):
        for ds in combinations_with_replacement(range(8), size):
            if (sum(ds) - size) % 3 == 2 and sum(ds) - size + 1 >= 0:
                gamma: dict[int, int] = {}
                for d in ds:
                    gamma[d] = gamma.get(d, 0) + 1
                cases.append(gamma)
    return cases


@pytest.mark.parametrize("gamma", _kdv_cases())
def test_kdv_identity(gamma):
    """U_{t1} = U U_{t0} + U_{t0t0t0}/12 in coefficients (divided-power basis):
    c(γ+e1+2e0) = Σ_{α≤γ} C(γ,α) c(α+2e0) c(γ−α+3e0) + c(γ+5e0)/12."""
    lhs = _kdv_coefficient(_add(gamma, {1: 1, 0: 2}))
    rhs = _kdv_coefficient(_add(gamma, {0: 5})) / 12
    for alpha in _sub_vectors(gamma):
        binom = math.prod(math.comb(gamma[k], alpha.get(k, 0)) for k in gamma)
        beta = {k: gamma[k] - alpha.get(k, 0) for k in gamma}
        rhs += binom * _kdv_coefficient(_add(alpha, {0: 2})) * _kdv_coefficient(_add(beta, {0: 3}))
    assert lhs > 0
    assert lhs == rhs


def test_all_entries_count_and_positivity():
    # every stable, degree-matching entry is a positive rational; 3,422 of them up to chi = 14
    entries = list(all_entries(14))
    assert len(entries) == 3422
    assert all(intersection_number(g, ds) > 0 for g, ds in entries)
