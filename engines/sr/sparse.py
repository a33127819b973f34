"""Sparse subset selection for the linear steps: exact subsets, or the best of each size.

Given columns ``A`` (features on the data rows) and a target ``z``, find small
subsets ``S`` with ``z ~ c_0 + sum_{j in S} c_j A_j``:

* subsets of one to three of the first ``exhaustive`` columns are screened in
  numba (:func:`mathdisco.engines.sr.kernels.screen_subsets`) for an exact fit;
* larger ones come from a beam search over forward selection: each state
  holds every column's part orthogonal to its chosen (centred) columns and
  its residual; adding column ``j`` lowers the squared residual by
  ``(p_j . r)**2 / |p_j|**2``, and one rank-one Gram-Schmidt update makes
  the child's state.

Exact data want the exact subsets of the smallest size (``exact``); noisy data
want, for every size, the subset of least residual (``best``), among which the
caller chooses by description length once the models are fitted.  Rows may be
weighted (``weights``), so that a transformed target -- ``log |y|``, ``1/y``,
``y**2`` -- is fitted with errors measured on the scale of ``y``: weighting
by ``1/|g'(y)|`` for ``z = g(y)`` is the first-order (delta-method) equivalent.

Reference: Miller, *Subset Selection in Regression*, 2nd ed. (2002), chapter 3
(forward selection; the orthogonal-projection update of the residual).

Examples
--------
>>> import numpy as np
>>> t = np.linspace(-1, 1, 20)
>>> A = np.column_stack([t, t**2, np.sin(t), np.cos(t), np.exp(t)])
>>> sparse_exact(A, 2 * np.sin(t) - np.exp(t) + 3)
[(2, 4)]
>>> noisy = 2 * np.sin(t) + np.random.default_rng(0).normal(0, 0.01, 20)
>>> sparse_fit(A, noisy, max_terms=2).best[0][0]
(2,)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mathdisco.engines.sr import kernels

__all__ = ["SubsetSearch", "sparse_exact", "sparse_fit"]


@dataclass
class SubsetSearch:
    """``exact``: exact subsets of the smallest size that has any; ``best``: per size, (subset, residual)."""

    exact: list[tuple[int, ...]] = field(default_factory=list)
    best: list[tuple[tuple[int, ...], float]] = field(default_factory=list)


def sparse_fit(A: np.ndarray, z: np.ndarray, max_terms: int = 5, beam: int = 30,
               tolerance: float = 1e-9, exhaustive: int = 120,
               weights: np.ndarray | None = None) -> SubsetSearch:
    """Exact subsets (see the module docstring) and the best subset of each size.

    Residuals in ``best`` are relative to the spread of the (weighted) target.
    The beam stops early when it reaches an exact subset.
    """
    n = len(z)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    Aw, zw = A * w[:, None], z * w
    u = w / np.linalg.norm(w)  # the intercept's direction: centring is projecting it out
    zc = zw - u * float(u @ zw)
    target = float(np.linalg.norm(zc))
    out = SubsetSearch()
    if target == 0.0 or not np.isfinite(target):
        return out
    Ac = Aw - np.outer(u, u @ Aw)
    norms = np.linalg.norm(Ac, axis=0)
    usable = norms > 1e-12 * max(1.0, float(norms.max(initial=0.0)))
    An = np.where(usable, Ac / np.where(usable, norms, 1.0), 0.0)

    def confirmed(key: tuple[int, ...]) -> bool:
        M = np.column_stack([Aw[:, list(key)], w])
        coef = np.linalg.lstsq(M, zw, rcond=None)[0]
        return float(np.linalg.norm(M @ coef - zw)) <= tolerance * target

    m = min(exhaustive, A.shape[1])
    G = An[:, :m].T @ An[:, :m]
    b = An[:, :m].T @ zc
    for size in range(1, min(3, max_terms) + 1):
        hits = kernels.screen_subsets(G, b, target**2, m, size, 1e-8 * target**2, 64)
        exact = [key for key in (tuple(int(v) for v in row if v >= 0) for row in hits) if confirmed(key)]
        if exact:
            out.exact = exact
            out.best = [(exact[0], 0.0)]
            return out
    # beam states: (chosen columns, the columns' parts orthogonal to them, squared norms, residual)
    pn2 = np.where(usable, 1.0, 0.0)
    states: list[tuple[tuple[int, ...], np.ndarray, np.ndarray, np.ndarray]] = [((), An, pn2, zc)]
    for _ in range(min(max_terms, n - 2)):
        # rank every (state, column) child by its residual, then build only the kept ones
        children: dict[tuple[int, ...], tuple[float, int, int]] = {}
        for s, (chosen, P, norms2, r) in enumerate(states):
            ok = usable & (norms2 > 1e-12)
            gain = np.where(ok, (P.T @ r) ** 2 / np.where(ok, norms2, 1.0), -1.0)
            gain[list(chosen)] = -1.0
            rest = float(r @ r)
            for j in np.argsort(-gain, kind="stable")[:beam]:
                if gain[j] < 0:
                    break
                key = tuple(sorted(chosen + (int(j),)))
                residual = max(rest - float(gain[j]), 0.0)
                if key not in children or residual < children[key][0]:
                    children[key] = (residual, s, int(j))
        if not children:
            break
        ranked = sorted(children.items(), key=lambda kv: (kv[1][0], kv[0]))[:beam]
        new_states = []
        exact = []
        for key, (_, s, j) in ranked:
            chosen, P, norms2, r = states[s]
            q = P[:, j] / np.sqrt(norms2[j])
            c = q @ P  # one Gram-Schmidt step for every column at once
            r2 = r - q * float(q @ r)
            if float(np.linalg.norm(r2)) <= 1e-6 * target and confirmed(key):
                exact.append(key)
            new_states.append((key, P - np.outer(q, c), np.maximum(norms2 - c * c, 0.0), r2))
        top_key, top_r = ranked[0][0], float(np.linalg.norm(new_states[0][3])) / target
        out.best.append((top_key, top_r))
        if exact:
            out.exact = exact
            return out
        states = new_states
    return out


def sparse_exact(A: np.ndarray, z: np.ndarray, max_terms: int = 5, beam: int = 30,
                 tolerance: float = 1e-9, exhaustive: int = 120) -> list[tuple[int, ...]]:
    """The exact subsets of :func:`sparse_fit` (best first), or ``[]``."""
    return sparse_fit(A, z, max_terms, beam, tolerance, exhaustive).exact
