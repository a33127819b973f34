"""The ``cayley_growth`` and ``cayley_sweep`` job types.

``cayley_growth`` computes the exact growth function (sphere sizes), diameter
and vertex count of a Cayley graph, a Schreier coset graph or a matrix-group
Cayley graph (Chervov et al., "CayleyPy Growth", arXiv:2509.19162, Section 2).
``cayley_sweep`` runs it for a family over a range of n (one shard per n) and
fits an exact quasi-polynomial diameter formula (Section 3.1).

Examples
--------
>>> result = run_growth(GrowthParams(family="stars", n=5))
>>> result["layer_sizes"], result["diameter"], result["num_vertices"]
([1, 4, 12, 30, 44, 26, 3], 6, 120)
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from engines.cayley import families
from engines.cayley.quasipolynomial import fit_quasi_polynomial
from engines.contract import EngineParams, JobType, Progress, TimeLimits, no_progress
from engines.discoveries import Discovery, diameter_statement, growth_statement

FamilyName = Literal[families.FAMILY_NAMES]  # type: ignore[valid-type]
PermutationFamilyName = Literal[tuple(families.PERMUTATION_FAMILIES)]  # type: ignore[valid-type]
MAX_BUDGET_GIB = 20.0
DEFAULT_BUDGET_GIB = 8.0


class GrowthParams(EngineParams):
    family: FamilyName | None = Field(None, description="a named generator family")
    n: int | None = Field(None, ge=1, le=16, description="size for the family")
    k: int | None = Field(None, ge=1, le=16, description="family parameter (lrx: X=(0 k); "
                                                           "top_spin: reversed prefix length)")
    generators: list[list[int]] | None = Field(
        None, min_length=1, max_length=512,
        description="explicit permutations of 0..n-1 in image form (new[i] = old[p[i]])")
    central_state: list[int] | str | None = Field(
        None, max_length=64,
        description="start state; repeated symbols give a Schreier coset graph, e.g. '000111'")
    add_inverses: bool = Field(False, description="append missing inverses (undirected graph)")
    matrix_generators: list[list[list[int]]] | None = Field(
        None, min_length=1, max_length=64, description="integer n x n generator matrices")
    modulus: int | None = Field(None, le=10**6, description="matrix entries mod this (None: over Z)")
    max_diameter: int | None = Field(None, ge=0, le=100_000,
                                     description="stop after this many layers")
    store_layers_max_size: int = Field(0, ge=0, le=10_000,
                                       description="return the states of layers this small")
    last_layer_max_size: int = Field(1_000, ge=0, le=10_000,
                                     description="return the last layer if this small")
    memory_budget_gib: float = Field(DEFAULT_BUDGET_GIB, gt=0, le=MAX_BUDGET_GIB)
    algorithm: Literal["auto", "rank_bitset", "rank_bitset_frontier", "sorted_layers"] = "auto"

    @model_validator(mode="after")
    def _one_source(self) -> GrowthParams:
        sources = [self.family is not None, self.generators is not None,
                   self.matrix_generators is not None]
        if sum(sources) != 1:
            raise ValueError("give exactly one of family (+ n), generators, matrix_generators")
        if self.modulus is not None and self.modulus <= 0:
            raise ValueError(f"modulus must be a positive integer, got {self.modulus}")
        if self.family is not None:
            if self.n is None:
                raise ValueError(f"family {self.family!r} needs n")
            lo, hi = families.family_bounds(self.family)
            if not lo <= self.n <= hi:
                raise ValueError(f"family {self.family!r} needs {lo} <= n <= {hi}, got n={self.n}")
            if self.family in families.MATRIX_FAMILIES:
                if self.central_state is not None:
                    raise ValueError("matrix families take no central_state")
            else:
                families.permutation_family(self.family, self.n, self.k)  # checks k
                positions = families.family_positions(self.family, self.n)
                if self.central_state is not None and len(self.central_state) != positions:
                    raise ValueError(f"central_state has length {len(self.central_state)}; "
                                     f"{self.family} with n={self.n} acts on {positions} positions")
        elif self.n is not None or self.k is not None:
            raise ValueError("n and k go with family only")
        if self.generators is not None:
            size = len(self.generators[0])
            if size > 16:
                raise ValueError("permutations of at most 16 points are supported")
            for g in self.generators:
                if len(g) != size or sorted(g) != list(range(size)):
                    raise ValueError(f"generator {g[:20]} is not a permutation of 0..{size - 1}; "
                                     "all generators must permute the same n points")
            if self.central_state is not None and len(self.central_state) != size:
                raise ValueError(f"central_state has length {len(self.central_state)} but the "
                                 f"generators act on {size} points")
        if self.matrix_generators is not None:
            from engines.cayley.matrix_growth import validate_matrices

            if len(self.matrix_generators[0]) > 8:
                raise ValueError("matrices of size at most 8 are supported")
            validate_matrices(self.matrix_generators, self.modulus)
        is_matrix = self.matrix_generators is not None or self.family in families.MATRIX_FAMILIES
        if is_matrix and self.modulus is None and self.max_diameter is None:
            raise ValueError("a matrix group over Z is infinite: give modulus or max_diameter")
        if not is_matrix and self.modulus is not None:
            raise ValueError("modulus goes with matrix groups only")
        _check_budget(self)
        return self


def _permutation_graph(params: GrowthParams):
    from engines.cayley import growth

    order = None
    if params.family is not None:
        gens = families.permutation_family(params.family, params.n, params.k)
        order = families.family_order(params.family, params.n, params.k)
    else:
        gens = params.generators
    return growth.prepare_graph(gens, params.central_state, params.add_inverses, order)


def _check_budget(params: GrowthParams) -> None:
    """Refuse at validation time (HTTP 422) when the estimate exceeds the budget."""
    budget = _budget_bytes(params.memory_budget_gib)
    if params.matrix_generators is not None or params.family in families.MATRIX_FAMILIES:
        from engines.cayley.matrix_growth import bytes_per_state

        if params.family is not None and params.modulus is not None:
            order = families.matrix_family_order(params.family, params.n, params.modulus)
            if order * bytes_per_state(params.n) > budget:
                raise ValueError(f"the group has {order:,} elements, more than the memory "
                                 f"budget of {params.memory_budget_gib} GiB holds")
        return
    from engines.cayley import growth

    graph = _permutation_graph(params)
    graph.depth_limit = params.max_diameter
    growth.check_budget(graph, budget, params.algorithm)


def _budget_bytes(gib: float) -> int:
    return int(gib * 2**30)


def run_growth(params: GrowthParams, progress: Progress = no_progress) -> dict:
    """Run one growth computation and check its invariants; see the module docstring."""
    if params.matrix_generators is not None or params.family in families.MATRIX_FAMILIES:
        return _run_matrix(params, progress)
    from engines.cayley import growth

    graph = _permutation_graph(params)
    if params.algorithm != "auto":
        graph.notes.append(f"algorithm forced: {params.algorithm}")
    result = growth.growth(graph, memory_budget_bytes=_budget_bytes(params.memory_budget_gib),
                           max_diameter=params.max_diameter,
                           store_layers_max_size=params.store_layers_max_size,
                           last_layer_max_size=params.last_layer_max_size, progress=progress,
                           algorithm=params.algorithm)
    checks = {}
    if result["bfs_completed"] and graph.known_vertices is not None:
        checks["sum_of_layers_equals_vertex_count"] = graph.known_vertices
        if result["num_vertices"] != graph.known_vertices:
            raise RuntimeError(f"invariant failed: layers sum to {result['num_vertices']} but "
                               f"the orbit has {graph.known_vertices} states")
    if graph.inverse_closed and graph.is_cayley and len(result["layer_sizes"]) > 1:
        checks["layer_1_equals_generator_count"] = len(graph.generators)
        if result["layer_sizes"][1] != len(graph.generators):
            raise RuntimeError("invariant failed: layer 1 differs from the number of distinct "
                               "non-identity generators")
    kind = "cayley" if graph.is_cayley else "schreier"
    return {"family": params.family, "n": params.n, "kind": kind, "positions": graph.n,
            "num_generators": len(graph.generators), "inverse_closed": graph.inverse_closed,
            "group_order": graph.group_order, **result, "invariants_checked": checks}


def _run_matrix(params: GrowthParams, progress: Progress) -> dict:
    from engines.cayley.matrix_growth import matrix_growth

    order = None
    if params.family is not None:
        gens = families.matrix_family(params.family, params.n)
        order = families.matrix_family_order(params.family, params.n, params.modulus)
    else:
        gens = params.matrix_generators
    result = matrix_growth(gens, params.modulus, max_diameter=params.max_diameter,
                           memory_budget_bytes=_budget_bytes(params.memory_budget_gib),
                           vertex_bound=order,
                           store_layers_max_size=params.store_layers_max_size,
                           last_layer_max_size=params.last_layer_max_size, progress=progress)
    checks = {}
    if order is not None and result["bfs_completed"]:
        checks["sum_of_layers_equals_vertex_count"] = order
        if result["num_vertices"] != order:
            raise RuntimeError(f"invariant failed: layers sum to {result['num_vertices']}, "
                               f"the group has order {order}")
    return {"family": params.family, "n": params.n or len(gens[0]), "kind": "matrix",
            "modulus": params.modulus, "num_generators": len(gens), "group_order": order,
            **result, "invariants_checked": checks}


def growth_discoveries(params: GrowthParams, result: dict) -> list[Discovery]:
    """A complete growth sequence of a named family is a (computed) fact worth cataloguing."""
    if params.family is None or not result.get("bfs_completed") or params.central_state:
        return []
    target = params.family if params.k is None else f"{params.family}(k={params.k})"
    if params.modulus is not None:
        target += f" mod {params.modulus}"
    sizes = result["layer_sizes"]
    return [Discovery(
        target=target,
        text=f"growth of {target}, n={params.n}: {sizes} (diameter {result['diameter']})",
        latex=rf"\gamma_{{{params.n}}} = ({', '.join(map(str, sizes))})",
        statement=growth_statement(target, params.n, sizes),
        evidence={"num_vertices": result["num_vertices"],
                  "invariants_checked": result["invariants_checked"],
                  "algorithm": result["algorithm"]},
    )]


class SweepParams(EngineParams):
    family: PermutationFamilyName = Field(..., description="a named permutation family")
    n_min: int = Field(..., ge=1, le=16)
    n_max: int = Field(..., ge=1, le=16)
    k: int | None = Field(None, ge=1, le=16)
    max_period: int = Field(4, ge=1, le=4)
    max_degree: int = Field(2, ge=0, le=2)
    min_checks: int = Field(2, ge=2, le=10,
                            description="extra agreeing points per residue class")
    max_leading_exceptions: int = Field(2, ge=0, le=4,
                                        description="smallest n the formula may fail on")
    memory_budget_gib: float = Field(DEFAULT_BUDGET_GIB, gt=0, le=MAX_BUDGET_GIB)

    @model_validator(mode="after")
    def _range(self) -> SweepParams:
        if self.n_min > self.n_max:
            raise ValueError("n_min must not exceed n_max")
        lo, hi = families.family_bounds(self.family)
        if self.n_min < lo or self.n_max > hi:
            raise ValueError(f"family {self.family!r} needs {lo} <= n <= {hi}")
        if self.k is not None:
            for n in range(self.n_min, self.n_max + 1):
                families.permutation_family(self.family, n, self.k)
        # the largest n decides whether the sweep fits its memory budget
        GrowthParams(family=self.family, n=self.n_max, k=self.k,
                     memory_budget_gib=self.memory_budget_gib)
        return self


def _sweep_point(params: SweepParams, n: int, progress: Progress) -> dict:
    growth_params = GrowthParams(family=params.family, n=n, k=params.k,
                                 memory_budget_gib=params.memory_budget_gib)
    result = run_growth(growth_params, progress)
    return {"n": n, "diameter": result["diameter"], "layer_sizes": result["layer_sizes"],
            "num_vertices": result["num_vertices"], "elapsed_s": result["elapsed_s"]}


def _assemble(params: SweepParams, points: list[dict]) -> dict:
    points = sorted(points, key=lambda p: p["n"])
    ns = [p["n"] for p in points]
    diameters = [p["diameter"] for p in points]
    formula = fit_quasi_polynomial(ns, diameters, max_period=params.max_period,
                                   max_degree=params.max_degree, min_checks=params.min_checks,
                                   max_leading_exceptions=params.max_leading_exceptions)
    return {
        "family": params.family, "k": params.k,
        "diameters": {str(n): d for n, d in zip(ns, diameters, strict=True)},
        "layer_sizes": {str(p["n"]): p["layer_sizes"] for p in points},
        "num_vertices": {str(p["n"]): p["num_vertices"] for p in points},
        "formula": formula,
        "formula_status": "accepted" if formula else (
            f"no quasi-polynomial with period <= {params.max_period} and degree <= "
            f"{params.max_degree} is supported by {params.min_checks} extra check points per "
            f"residue class on n = {ns[0]}..{ns[-1]} with at most "
            f"{params.max_leading_exceptions} leading exceptions"),
    }


def run_sweep(params: SweepParams, progress: Progress = no_progress) -> dict:
    """Growth for each n in the range, then the diameter formula fit."""
    points = []
    count = params.n_max - params.n_min + 1
    for i, n in enumerate(range(params.n_min, params.n_max + 1)):
        def point_progress(done: int, total: int, message: str = "", n: int = n, i: int = i):
            progress(i, count, f"n={n}: {message}")

        points.append(_sweep_point(params, n, point_progress))
    progress(count, count, "fitting")
    return _assemble(params, points)


def sweep_shards(params: SweepParams) -> list[dict]:
    """One sub-job per n."""
    base = params.model_dump()
    return [{**base, "n_min": n, "n_max": n} for n in range(params.n_min, params.n_max + 1)]


def sweep_merge(params: SweepParams, results: list[dict]) -> dict:
    """Combine per-n shard results (any order) and fit the formula on all of them."""
    points = []
    for r in results:
        for n_text, diameter in r["diameters"].items():
            points.append({"n": int(n_text), "diameter": diameter,
                           "layer_sizes": r["layer_sizes"][n_text],
                           "num_vertices": r["num_vertices"][n_text]})
    expected = set(range(params.n_min, params.n_max + 1))
    if {p["n"] for p in points} != expected or len(points) != len(expected):
        raise ValueError("shard results do not cover n_min..n_max exactly once")
    return _assemble(params, points)


def sweep_discoveries(params: SweepParams, result: dict) -> list[Discovery]:
    formula = result.get("formula")
    if not formula:
        return []
    target = params.family if params.k is None else f"{params.family}(k={params.k})"
    return [Discovery(
        target=target,
        text=f"diam Cay({target}, n) = {formula['text']} for n >= {formula['valid_from']}",
        latex=formula["latex"],
        statement=diameter_statement(target, formula["valid_from"], formula["period"],
                                     [p["coefficients"] for p in formula["polynomials"]]),
        evidence={"fitted_on": formula["fitted_on"], "checked_on": formula["checked_on"],
                  "diameters": result["diameters"]},
    )]


JOB_TYPES = [
    JobType("cayley_growth", GrowthParams, run_growth,
            "Exact growth function, diameter and size of a Cayley/Schreier/matrix-group graph.",
            discoveries=growth_discoveries, queue="heavy",
            limits=TimeLimits(4 * 3600, 4 * 3600 + 300)),
    JobType("cayley_sweep", SweepParams, run_sweep,
            "Diameters of a generator family over a range of n, with an exact "
            "quasi-polynomial formula fit.",
            discoveries=sweep_discoveries, shards=sweep_shards, merge=sweep_merge,
            queue="heavy", limits=TimeLimits(4 * 3600, 4 * 3600 + 300)),
]
