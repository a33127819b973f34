"""The ``cayley_extremal`` job: generating sets of a given shape that maximise diam Cay(S_n, S).

Chervov et al., "CayleyPy Growth" (arXiv:2509.19162) conjecture that every
undirected Cayley graph of S_n has diameter at most n^2/2 + 4n and give
generator families "related to involutions in a square with whiskers
pattern, conjectured to maximize the diameter; search confirms this for all
n up to 15" (reference cayley.md Sections 3.2-3.3).  This job searches
exhaustively, for small n, over generating sets of one shape:

* ``involution_triples`` -- {a, b, c}, three involutions (inverse-closed);
* ``involution_pairs`` -- {a, b}: two involutions generate a dihedral group,
  so for n >= 4 none generates S_n -- computed, not assumed;
* ``involution_element_pairs`` -- {a, s, s^-1}: an involution and any
  element with its inverse (the undirected form of the paper's 2-generator
  families).

Up to simultaneous conjugation the first involution is (0 1)(2 3)...(2t-2
2t-1) for t = 1..n/2; the others run over all involutions (or all
permutations).  Each candidate's Cayley graph is searched in full by a numba
BFS over the n! lexicographic ranks (:func:`_search`); the ones generating
S_n (n! vertices) compete for the largest diameter.  The result gives, per
n, the largest diameter, how many candidates reach it, the first maximisers
(in enumeration order) with the growth function of the first, and the
comparison with n(n - 1)/2 and n^2/2 + 4n.

Shards cut each n's candidate index range into pieces; ``merge`` takes the
maximum per n and the union of maximisers, so ``merge(p, [run(s) for s in
shards(p)]) == run(p)`` up to timing fields.

Examples
--------
>>> r = run_extremal(ExtremalParams(shape="involution_triples", n_min=4, n_max=5))
>>> [(row["n"], row["max_diameter"]) for row in r["per_n"]]
[(4, 6), (5, 10)]
>>> r["per_n"][1]["growth"]
[1, 3, 5, 8, 12, 16, 21, 20, 20, 11, 3]
"""

from __future__ import annotations

import math
import time

import numpy as np
from numba import njit

from mathdisco.engines.cayley.params import ExtremalParams
from mathdisco.engines.contract import Estimate, Progress, no_progress

__all__ = ["estimate_extremal", "extremal_merge", "extremal_shards", "run_extremal",
           "warm_up_extremal"]

#: seconds per generator application of a candidate's BFS (rank and unrank included) and per
#: candidate, measured warm on an idle core (docs/benchmarks.md: triples n = 7 in 24.9 s,
#: involution + element n = 7 in 4.1 s and n = 8 in 326 s of shard time; about half of the
#: candidates searched in full). The first fit, 1e-7, was made at load 7-9: 2.5-3x too high.
SECONDS_PER_EVALUATION = 3.8e-8
SECONDS_PER_CANDIDATE = 2e-6
FULL_SEARCH_FRACTION = 0.5


# -- candidates ---------------------------------------------------------------------------


def involutions(n: int) -> np.ndarray:
    """Every involution of S_n but the identity, in image form, in a fixed order."""
    out = []

    def build(p: list[int], free: list[int]) -> None:
        if not free:
            if p != list(range(n)):
                out.append(list(p))
            return
        i, rest = free[0], free[1:]
        build(p, rest)
        for j in rest:
            q = list(p)
            q[i], q[j] = j, i
            build(q, [x for x in rest if x != j])

    build(list(range(n)), list(range(n)))
    return np.array(out, dtype=np.int64).reshape(-1, n)


def _all_permutations(n: int) -> np.ndarray:
    import itertools

    return np.array([p for p in itertools.permutations(range(n)) if p != tuple(range(n))],
                    dtype=np.int64)


def _firsts(n: int) -> np.ndarray:
    reps = []
    for t in range(1, n // 2 + 1):
        p = list(range(n))
        for i in range(t):
            p[2 * i], p[2 * i + 1] = 2 * i + 1, 2 * i
        reps.append(p)
    return np.array(reps, dtype=np.int64)


def _pool(shape: str, n: int) -> np.ndarray:
    return _all_permutations(n) if shape == "involution_element_pairs" else involutions(n)


def candidate_count(shape: str, n: int) -> int:
    """How many candidates the shape has for n (firsts times the second/third choices)."""
    firsts, m = n // 2, len(_pool(shape, n))
    return firsts * (m * (m - 1) // 2 if shape == "involution_triples" else m)


# -- the numba search ---------------------------------------------------------------------


@njit(cache=True)
def _rank(p, n):
    r = 0
    for i in range(n):
        smaller = 0
        for j in range(i + 1, n):
            if p[j] < p[i]:
                smaller += 1
        r = r * (n - i) + smaller
    return r


@njit(cache=True)
def _unrank(r, n, out, used, fact):
    for i in range(n):
        used[i] = 0
    for i in range(n):
        f = fact[n - 1 - i]
        d = r // f
        r -= d * f
        for v in range(n):
            if not used[v]:
                if d == 0:
                    out[i] = v
                    used[v] = 1
                    break
                d -= 1


@njit(cache=True)
def _bfs(gens, n, dist, queue, sizes):
    """BFS from the identity; returns (vertices, diameter); ``sizes`` gets the layer sizes."""
    perm = np.empty(n, dtype=np.int64)
    nxt = np.empty(n, dtype=np.int64)
    used = np.zeros(n, dtype=np.int64)
    fact = np.ones(n + 1, dtype=np.int64)
    for i in range(1, n + 1):
        fact[i] = fact[i - 1] * i
    queue[0] = 0
    dist[0] = 0
    head, tail, diameter = 0, 1, 0
    sizes[0] = 1
    while head < tail:
        r = queue[head]
        head += 1
        d = dist[r]
        _unrank(r, n, perm, used, fact)
        for g in range(gens.shape[0]):
            for i in range(n):
                nxt[i] = perm[gens[g, i]]
            s = _rank(nxt, n)
            if dist[s] < 0:
                dist[s] = d + 1
                queue[tail] = s
                tail += 1
                sizes[d + 1] += 1
                if d + 1 > diameter:
                    diameter = d + 1
    for i in range(tail):  # reset only what was touched: the buffers serve the next candidate
        dist[queue[i]] = -1
    return tail, diameter


@njit(cache=True)
def _connected(gens, n):
    parent = np.arange(n)
    for g in range(gens.shape[0]):
        for i in range(n):
            a, b = i, gens[g, i]
            while parent[a] != a:
                a = parent[a]
            while parent[b] != b:
                b = parent[b]
            if a != b:
                parent[a] = b
    root = 0
    while parent[root] != root:
        root = parent[root]
    for i in range(n):
        a = i
        while parent[a] != a:
            a = parent[a]
        if a != root:
            return False
    return True


@njit(cache=True)
def _same(p, q):
    for i in range(p.shape[0]):
        if p[i] != q[i]:
            return False
    return True


@njit(cache=True)
def _inverse(p, out):
    for i in range(p.shape[0]):
        out[p[i]] = i


@njit(cache=True)
def _search(kind, firsts, pool, n, fact_n, start, stop, max_listed):
    """Candidates with index in [start, stop): (generating, best, maximiser indices, counts)."""
    dist = np.full(fact_n, -1, dtype=np.int16)
    queue = np.empty(fact_n, dtype=np.int32)
    sizes = np.zeros(n * n + 8 * n + 2, dtype=np.int64)
    gens = np.empty((3, n), dtype=np.int64)
    best, generating, found = -1, 0, 0
    listed = np.empty(max_listed, dtype=np.int64)
    m = pool.shape[0]
    index = 0
    for f in range(firsts.shape[0]):
        for b in range(m):
            for c in range(b + 1 if kind == 0 else 0, m if kind == 0 else 1):
                if index < start or index >= stop:
                    index += 1
                    continue
                gens[0] = firsts[f]
                gens[1] = pool[b]
                count = 2
                if kind == 0:
                    gens[2] = pool[c]
                    count = 3
                elif kind == 2:
                    _inverse(pool[b], gens[2])
                    count = 3
                index += 1
                if _same(gens[0], gens[1]) or (kind == 0 and (_same(gens[0], gens[2])
                                                             or _same(gens[1], gens[2]))):
                    continue  # a repeated generator: a smaller shape, not this one
                if not _connected(gens[:count], n):
                    continue
                sizes[:] = 0
                vertices, diameter = _bfs(gens[:count], n, dist, queue, sizes)
                if vertices != fact_n:
                    continue
                generating += 1
                if diameter > best:
                    best, found = diameter, 0
                if diameter == best:
                    if found < max_listed:
                        listed[found] = index - 1
                    found += 1
    return generating, best, listed[:min(found, max_listed)], found


_KIND = {"involution_triples": 0, "involution_pairs": 1, "involution_element_pairs": 2}


def _generators(shape: str, n: int, index: int) -> list[list[int]]:
    """The candidate with this index (the enumeration order of :func:`_search`)."""
    firsts, pool = _firsts(n), _pool(shape, n)
    m = len(pool)
    per_first = m * (m - 1) // 2 if shape == "involution_triples" else m
    f, rest = divmod(index, per_first)
    if shape != "involution_triples":
        second = pool[rest].tolist()
        extra = [np.argsort(pool[rest]).tolist()] if shape == "involution_element_pairs" else []
        return [firsts[f].tolist(), second, *extra]
    b = 0
    while rest >= m - 1 - b:
        rest -= m - 1 - b
        b += 1
    return [firsts[f].tolist(), pool[b].tolist(), pool[b + 1 + rest].tolist()]


def cycles(p: list[int]) -> str:
    """Cycle notation of a permutation in image form, e.g. '(0 1)(2 3)'."""
    seen, parts = set(), []
    for i in range(len(p)):
        if i in seen or p[i] == i:
            continue
        cycle, j = [], i
        while j not in seen:
            seen.add(j)
            cycle.append(j)
            j = p[j]
        parts.append("(" + " ".join(map(str, cycle)) + ")")
    return "".join(parts) or "()"


def _growth(gens: list[list[int]], n: int) -> list[int]:
    fact = math.factorial(n)
    sizes = np.zeros(n * n + 8 * n + 2, dtype=np.int64)
    _, diameter = _bfs(np.array(gens, dtype=np.int64), n, np.full(fact, -1, dtype=np.int16),
                       np.empty(fact, dtype=np.int32), sizes)
    return sizes[:diameter + 1].tolist()


# -- run, shards, merge -------------------------------------------------------------------


def _range(params: ExtremalParams, n: int) -> tuple[int, int]:
    total = candidate_count(params.shape, n)
    if params.index_start is None:
        return 0, total
    return min(params.index_start, total), min(params.index_stop, total)


def _row(params: ExtremalParams, n: int, searched: int, generating: int, best: int,
         listed: list[int], found: int) -> dict:
    maximisers = [{"index": int(i), "generators": _generators(params.shape, n, int(i))}
                  for i in listed[:params.max_listed]]
    for m in maximisers:
        m["cycles"] = [cycles(g) for g in m["generators"]]
    growth = _growth(maximisers[0]["generators"], n) if maximisers else []
    bound = n * n / 2 + 4 * n
    return {"n": n, "candidates": searched, "generating": generating,
            "max_diameter": best if generating else None, "maximisers_found": found,
            "maximisers": maximisers, "growth": growth,
            "coxeter_diameter": n * (n - 1) // 2, "bound": bound,
            "within_bound": (best <= bound) if generating else None}


def run_extremal(params: ExtremalParams, progress: Progress = no_progress) -> dict:
    """Search every candidate of the shape for each n (or the shard's index range)."""
    started = time.perf_counter()
    rows = []
    ns = list(range(params.n_min, params.n_max + 1))
    for i, n in enumerate(ns):
        start, stop = _range(params, n)
        firsts, pool = _firsts(n), _pool(params.shape, n)
        generating, best, listed, found = 0, -1, [], 0
        step = max(1, min(params.shard_size, 50_000))
        for a in range(start, stop, step):  # slices keep each numba call short (cancellable)
            progress(i, len(ns), f"n = {n}: candidates {a:,}..{min(a + step, stop):,} of "
                                 f"{stop:,}")
            g, b, lst, f = _search(_KIND[params.shape], firsts, pool, n, math.factorial(n), a,
                                   min(a + step, stop), params.max_listed)
            generating, best, listed, found = _combine(
                (generating, best, listed, found), (int(g), int(b), [int(x) for x in lst],
                                                    int(f)), params.max_listed)
        rows.append(_row(params, n, stop - start, generating, best, listed, found))
    progress(len(ns), len(ns), "extremal search done")
    return _result(params, rows, time.perf_counter() - started)


def _combine(one: tuple, two: tuple, cap: int) -> tuple:
    """Two partial searches of one n, ``two`` after ``one`` in index order."""
    g1, b1, l1, f1 = one
    g2, b2, l2, f2 = two
    if b2 > b1:
        return g1 + g2, b2, l2, f2
    if b2 < b1:
        return g1 + g2, b1, l1, f1
    return g1 + g2, b1, sorted(l1 + l2)[:cap], f1 + f2


def _result(params: ExtremalParams, rows: list[dict], elapsed: float) -> dict:
    with_max = [r for r in rows if r["max_diameter"] is not None]
    return {"shape": params.shape, "per_n": rows,
            "max_diameter_by_n": {str(r["n"]): r["max_diameter"] for r in rows},
            "bound_violations": [r["n"] for r in with_max if not r["within_bound"]],
            "elapsed_s": round(elapsed, 3)}


def extremal_shards(params: ExtremalParams) -> list[dict]:
    """Pieces of ``shard_size`` candidates per n (none when the whole job is one piece)."""
    if params.index_start is not None:
        return []
    base = params.model_dump()
    pieces = []
    for n in range(params.n_min, params.n_max + 1):
        total = candidate_count(params.shape, n)
        for a in range(0, total, params.shard_size):
            pieces.append({**base, "n_min": n, "n_max": n, "index_start": a,
                           "index_stop": min(a + params.shard_size, total)})
    return pieces if len(pieces) > 1 else []


def extremal_merge(params: ExtremalParams, results: list[dict]) -> dict:
    """Per n: the largest diameter, the maximisers in index order, summed counts."""
    by_n: dict[int, list[tuple[int, dict]]] = {}
    for result in results:
        for row in result["per_n"]:
            first = min((m["index"] for m in row["maximisers"]), default=0)
            by_n.setdefault(row["n"], []).append((first, row))
    rows = []
    for n in range(params.n_min, params.n_max + 1):
        parts = [row for _, row in sorted(by_n.get(n, []), key=lambda t: t[0])]
        if sum(r["candidates"] for r in parts) != candidate_count(params.shape, n):
            raise ValueError(f"shard results do not cover every candidate of n = {n} once")
        state = (0, -1, [], 0)
        for r in parts:
            best = r["max_diameter"] if r["max_diameter"] is not None else -1
            state = _combine(state, (r["generating"], best,
                                     [m["index"] for m in r["maximisers"]],
                                     r["maximisers_found"]), params.max_listed)
        rows.append(_row(params, n, sum(r["candidates"] for r in parts), *state))
    out = _result(params, rows, 0.0)
    out["elapsed_s"] = round(sum(r.get("elapsed_s") or 0 for r in results), 3)
    return out


def estimate_extremal(params: ExtremalParams) -> Estimate:
    """Candidates times a full BFS of S_n each (an upper bound: most are rejected early)."""
    seconds, memory = 0.0, 0
    for n in range(params.n_min, params.n_max + 1):
        start, stop = _range(params, n)
        fact = math.factorial(n)
        if params.shape == "involution_pairs":  # dihedral groups: at most 2n elements each
            work = 2 * n * 2
        else:
            work = FULL_SEARCH_FRACTION * fact * 3
        seconds += (stop - start) * (SECONDS_PER_CANDIDATE + work * SECONDS_PER_EVALUATION)
        memory = max(memory, fact * 6 + 64 * 2**20)
    return Estimate(seconds=seconds, memory_bytes=memory)


def warm_up_extremal() -> None:
    """Compile the search kernels on n = 4."""
    run_extremal(ExtremalParams(shape="involution_triples", n_min=4, n_max=4))


