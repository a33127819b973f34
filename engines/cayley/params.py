"""Parameters of the Cayley job types: validation, the graph they describe, cost estimates.

Every bound is checked when the parameters are validated, so a bad request is
a 422 naming the problem before anything is queued (docs/design.md, "The
engine contract"): generators that are not permutations of one set of
positions, a GAP puzzle past the size bounds, a state over more positions or
words than supported, a memory estimate over the budget, a time estimate
over the job type's limit -- each message states the estimate.
``memory_budget_gib`` is bounded by what this machine can give
(:data:`MAX_BUDGET_GIB`, 60% of physical memory, at most 20 GiB).

Examples
--------
>>> p = GrowthParams(puzzle="cube_2x2x2", metric="half_turn")
>>> g = permutation_graph(p)
>>> len(g.generators), g.n, g.words, g.known_vertices
(9, 21, 1, 3674160)
>>> estimate_growth(p).memory_bytes < 2**30
True
>>> from pydantic import ValidationError
>>> try:
...     GrowthParams(family="three_cycles", n=13)
... except ValidationError as exc:
...     "exceeds the time limit" in exc.errors()[0]["msg"]
True
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field, model_validator

from mathdisco.engines.cayley import families
from mathdisco.engines.cayley.gap_format import MAX_TEXT, parse_gap_moves
from mathdisco.engines.cayley.graph import MAX_POSITIONS, PermutationGraph, prepare_graph
from mathdisco.engines.cayley.growth import ALGORITHMS, check_budget, estimate_seconds
from mathdisco.engines.cayley.puzzles import PUZZLE_METRICS, PUZZLES, expand_metric, puzzle
from mathdisco.engines.contract import EngineParams, Estimate, TimeLimits

__all__ = [
    "DEFAULT_BUDGET_GIB",
    "GROWTH_LIMITS",
    "MAX_BUDGET_GIB",
    "CatalogueParams",
    "GrowthParams",
    "SweepParams",
    "estimate_catalogue",
    "estimate_growth",
    "estimate_sweep",
    "growth_source",
    "permutation_graph",
]

FamilyName = Literal[families.FAMILY_NAMES]  # type: ignore[valid-type]
PermutationFamilyName = Literal[tuple(families.PERMUTATION_FAMILIES)]  # type: ignore[valid-type]
PuzzleName = Literal[tuple(PUZZLES)]  # type: ignore[valid-type]
Metric = Literal[PUZZLE_METRICS]  # type: ignore[valid-type]
Algorithm = Literal[("auto", *ALGORITHMS)]  # type: ignore[valid-type]


def _machine_budget_gib() -> float:
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        physical = 16.0
    return round(min(20.0, 0.6 * physical), 1)


#: the largest memory budget a job may ask for: 60% of this machine's memory, at most 20 GiB
MAX_BUDGET_GIB = _machine_budget_gib()
DEFAULT_BUDGET_GIB = min(8.0, MAX_BUDGET_GIB)
MAX_THREADS = max(1, os.cpu_count() or 1)
GROWTH_LIMITS = TimeLimits(4 * 3600, 4 * 3600 + 300)
#: extending sweeps without a time budget stop after this long
DEFAULT_EXTEND_BUDGET_S = 1800.0


def _budget_bytes(gib: float) -> int:
    return int(gib * 2**30)


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds:.0f} s"


class GrowthParams(EngineParams):
    family: FamilyName | None = Field(None, description="a named generator family")
    n: int | None = Field(None, ge=1, le=32, description="size for the family")
    k: int | None = Field(None, ge=0, le=32, description=(
        "family parameter (lrx: X=(0 k); top_spin: reversed prefix length; k-cycle families: "
        "cycle length; generalized_stars: centre count; cubic_pancake: subset 1..7; "
        "koltsov3: square position); default per family"))
    puzzle: PuzzleName | None = Field(None, description=(
        "a twisty puzzle, BFS over its positions (sticker colourings)"))
    metric: Metric | None = Field(None, description=(
        "puzzles and gap_moves: quarter_turn (a move and its inverse) or half_turn (every "
        "power of a move is one move); default quarter_turn"))
    fixed_corner: bool = Field(True, description="cube_2x2x2: turn U, R, F only (corner fixed)")
    gap_moves: str | None = Field(None, max_length=MAX_TEXT, description=(
        "a puzzle as GAP-style move permutations, e.g. 'F:=(1,2,3,4)(5,6,7,8); "
        "U:=(1,5,9,13);' (1-based points, optional Gen:=[...] selecting the moves)"))
    generators: list[list[int]] | None = Field(
        None, min_length=1, max_length=512,
        description="explicit permutations of 0..n-1 in image form (new[i] = old[p[i]])")
    central_state: list[int] | str | None = Field(
        None, max_length=MAX_POSITIONS,
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
    memory_budget_gib: float = Field(DEFAULT_BUDGET_GIB, gt=0, le=MAX_BUDGET_GIB, description=(
        f"refuse or stop a search needing more (at most {MAX_BUDGET_GIB} GiB on this machine)"))
    algorithm: Algorithm = "auto"
    threads: int = Field(1, ge=1, le=MAX_THREADS, description=(
        "threads for the rank-bitset searches over S_n (rank_bitset, rank_bitset_frontier) "
        "and one-word sorted layers (sorted_layers)"))

    @model_validator(mode="after")
    def _consistent(self) -> GrowthParams:
        sources = [self.family is not None, self.generators is not None,
                   self.matrix_generators is not None, self.puzzle is not None,
                   self.gap_moves is not None]
        if sum(sources) != 1:
            raise ValueError("give exactly one of family (+ n), generators, matrix_generators, "
                             "puzzle, gap_moves")
        if self.modulus is not None and self.modulus <= 0:
            raise ValueError(f"modulus must be a positive integer, got {self.modulus}")
        _check_source(self)
        is_matrix = self.matrix_generators is not None or self.family in families.MATRIX_FAMILIES
        if is_matrix and self.modulus is None and self.max_diameter is None:
            raise ValueError("a matrix group over Z is infinite: give modulus or max_diameter")
        if not is_matrix and self.modulus is not None:
            raise ValueError("modulus goes with matrix groups only")
        estimate = estimate_growth(self)  # memory over budget: ValueError stating it
        if estimate.seconds > GROWTH_LIMITS.soft_s:
            raise ValueError(_time_message(self, estimate))
        return self


def _time_message(params: GrowthParams, estimate: Estimate) -> str:
    graph = permutation_graph(params)
    graph.depth_limit = params.max_diameter
    from mathdisco.engines.cayley.graph import vertex_upper_bound

    evaluations = vertex_upper_bound(graph) * len(graph.generators)
    chosen = check_budget(graph, _budget_bytes(params.memory_budget_gib), params.algorithm)
    return (f"estimated time {_hours(estimate.seconds)} ({evaluations:.3g} neighbour "
            f"evaluations, {chosen['algorithm']}, {estimate.memory_bytes / 2**30:.2f} GiB) "
            f"exceeds the time limit of {GROWTH_LIMITS.soft_s / 3600:.1f} h")


def _check_source(p: GrowthParams) -> None:
    if p.family is None and (p.n is not None or p.k is not None):
        raise ValueError("n and k go with family only")
    if p.puzzle is None and p.gap_moves is None and p.metric is not None:
        raise ValueError("metric goes with puzzle or gap_moves only")
    if not p.fixed_corner and p.puzzle != "cube_2x2x2":
        raise ValueError("fixed_corner applies to cube_2x2x2 only")
    if p.family is not None:
        if p.n is None:
            raise ValueError(f"family {p.family!r} needs n")
        lo, hi = families.family_bounds(p.family)
        if not lo <= p.n <= hi:
            raise ValueError(f"family {p.family!r} needs {lo} <= n <= {hi}, got n={p.n}")
        if p.family in families.MATRIX_FAMILIES:
            if p.central_state is not None:
                raise ValueError("matrix families take no central_state")
            if p.k is not None:
                raise ValueError(f"family {p.family!r} takes no parameter k")
            return
        families.permutation_family(p.family, p.n, p.k)  # checks k, parity
    if p.puzzle is not None and p.max_diameter is None and PUZZLES[p.puzzle][1]:
        raise ValueError(f"{p.puzzle} has {PUZZLES[p.puzzle][0][0]:.3g} positions: give "
                         "max_diameter (growth up to a depth limit)")
    if p.generators is not None:
        size = len(p.generators[0])
        if size > MAX_POSITIONS:
            raise ValueError(f"permutations of {size} points: at most {MAX_POSITIONS} are "
                             "supported")
        for g in p.generators:
            if len(g) != size or sorted(g) != list(range(size)):
                raise ValueError(f"generator {g[:20]} is not a permutation of 0..{size - 1}; "
                                 "all generators must permute the same n points")
    if p.matrix_generators is not None:
        from mathdisco.engines.cayley.matrix_growth import validate_matrices

        if len(p.matrix_generators[0]) > 8:
            raise ValueError("matrices of size at most 8 are supported")
        validate_matrices(p.matrix_generators, p.modulus)
        return
    source = growth_source(p)
    if p.central_state is not None and len(p.central_state) != len(source[0][0]):
        raise ValueError(f"central_state has length {len(p.central_state)} but the moves act on "
                         f"{len(source[0][0])} positions")


def growth_source(p: GrowthParams) -> tuple[list[list[int]], list | None, int | None,
                                              int | None, list[str] | None]:
    """(generators, central state, group order, |V| if known, generator names) of the params."""
    central = p.central_state
    if p.family is not None:
        gens = families.permutation_family(p.family, p.n, p.k)
        return gens, central, families.family_order(p.family, p.n, p.k), None, None
    if p.puzzle is not None:
        puz = puzzle(p.puzzle, p.metric or "quarter_turn", p.fixed_corner)
        known = puz.states if central is None else None
        return (puz.generators, puz.central_state if central is None else central, puz.states,
                known, puz.move_names)
    if p.gap_moves is not None:
        moves = parse_gap_moves(p.gap_moves)
        gens, names = expand_metric(moves.generators, moves.names, p.metric or "quarter_turn")
        return gens, central, None, None, names
    return p.generators, central, None, None, None


def permutation_graph(p: GrowthParams) -> PermutationGraph:
    """The prepared graph the (permutation-source) params describe."""
    gens, central, order, known, _ = growth_source(p)
    return prepare_graph(gens, central, p.add_inverses, order, known)


def estimate_growth(p: GrowthParams) -> Estimate:
    """Seconds and peak bytes of the search, from the engine's cost model.

    Raises ValueError (stating the estimate) when the memory estimate exceeds
    the budget.
    """
    budget = _budget_bytes(p.memory_budget_gib)
    if p.matrix_generators is not None or p.family in families.MATRIX_FAMILIES:
        from mathdisco.engines.cayley.matrix_growth import bytes_per_state

        size = len(p.matrix_generators[0]) if p.matrix_generators else p.n
        order = families.matrix_family_order(p.family, p.n, p.modulus) if p.family else None
        if order is not None and order * bytes_per_state(size) > budget:
            raise ValueError(f"the group has {order:,} elements, about "
                             f"{order * bytes_per_state(size) / 2**30:.2f} GiB, more than the "
                             f"memory budget of {p.memory_budget_gib} GiB holds")
        states = order or 0
        gens = len(p.matrix_generators or families.matrix_family(p.family, p.n))
        return Estimate(seconds=states * gens * 2e-6, memory_bytes=states * bytes_per_state(size))
    graph = permutation_graph(p)
    graph.depth_limit = p.max_diameter
    chosen = check_budget(graph, budget, p.algorithm)
    return Estimate(seconds=estimate_seconds(graph, chosen["algorithm"]),
                    memory_bytes=chosen["estimated_bytes"])


class SweepParams(EngineParams):
    family: PermutationFamilyName = Field(..., description="a named permutation family")
    n_min: int = Field(..., ge=1, le=32)
    n_max: int = Field(..., ge=1, le=32)
    k: int | None = Field(None, ge=0, le=32, description="family parameter (default per family)")
    max_period: int = Field(4, ge=1, le=4)
    max_degree: int = Field(2, ge=0, le=2)
    min_checks: int = Field(2, ge=2, le=10,
                            description="extra agreeing points per residue class")
    max_leading_exceptions: int = Field(2, ge=0, le=4,
                                        description="smallest n the formula may fail on")
    memory_budget_gib: float = Field(DEFAULT_BUDGET_GIB, gt=0, le=MAX_BUDGET_GIB)
    extend: bool = Field(False, description=(
        "go on past n_max while no formula is supported by its check points in every residue "
        "class, within time_budget_s and the memory budget"))
    time_budget_s: float | None = Field(None, gt=0, le=GROWTH_LIMITS.soft_s - 300, description=(
        f"wall-clock budget of an extending sweep (default {DEFAULT_EXTEND_BUDGET_S:.0f} s)"))
    sphere_radius_max: int = Field(6, ge=0, le=12, description=(
        "fit |S_k(n)| for every radius k <= this (an extending sweep adds depth-limited "
        "searches at larger n until each k is decided)"))
    antipodes: bool = Field(True, description=(
        "fit the number of farthest elements (an extending sweep extends n for it too)"))

    @model_validator(mode="after")
    def _range(self) -> SweepParams:
        if self.n_min > self.n_max:
            raise ValueError("n_min must not exceed n_max")
        lo, hi = families.family_bounds(self.family)
        if self.n_min < lo or self.n_max > hi:
            raise ValueError(f"family {self.family!r} needs {lo} <= n <= {hi}")
        if self.time_budget_s is not None and not self.extend:
            raise ValueError("time_budget_s goes with extend")
        estimate_sweep(self)  # every n fits the memory budget; the total fits the time limit
        return self

    def point(self, n: int, depth: int | None = None) -> GrowthParams:
        """The growth parameters of one n, to ``depth`` or complete (ValueError when it cannot
        run)."""
        return GrowthParams(family=self.family, n=n, k=self.k, max_diameter=depth,
                            last_layer_max_size=0 if depth is not None else 1000,
                            memory_budget_gib=self.memory_budget_gib)

    @property
    def budget_s(self) -> float:
        return self.time_budget_s or DEFAULT_EXTEND_BUDGET_S


def sweep_ns(p: SweepParams) -> list[int]:
    """The n of the base range that the family accepts (even n only where it needs them)."""
    spec = families.PERMUTATION_FAMILIES[p.family]
    return [n for n in range(p.n_min, p.n_max + 1) if not (spec.even_n and n % 2)]


def estimate_sweep(p: SweepParams) -> Estimate:
    """The base range's total seconds and largest memory; an extension adds its time budget."""
    seconds, memory = 0.0, 0
    for n in sweep_ns(p):
        e = estimate_growth(p.point(n))
        seconds += e.seconds
        memory = max(memory, e.memory_bytes)
    if seconds > GROWTH_LIMITS.soft_s:
        raise ValueError(f"estimated time of n = {p.n_min}..{p.n_max}: {_hours(seconds)}, over the "
                         f"time limit of {GROWTH_LIMITS.soft_s / 3600:.1f} h")
    if p.extend:
        seconds = max(seconds, p.budget_s)
        memory = max(memory, _budget_bytes(p.memory_budget_gib))
    return Estimate(seconds=seconds, memory_bytes=memory)


class CatalogueParams(EngineParams):
    families: list[PermutationFamilyName] | None = Field(
        None, min_length=1, max_length=len(families.PERMUTATION_FAMILIES),
        description="families to sweep (default: every permutation family)")
    n_max_start: int = Field(8, ge=4, le=16, description="each sweep starts at n = lo..this")
    time_budget_s: float = Field(1200.0, gt=0, le=GROWTH_LIMITS.soft_s - 300,
                                 description="wall-clock budget of the whole catalogue")
    max_period: int = Field(4, ge=1, le=4)
    min_checks: int = Field(2, ge=2, le=10)
    memory_budget_gib: float = Field(min(4.0, DEFAULT_BUDGET_GIB), gt=0, le=MAX_BUDGET_GIB)
    sphere_radius_max: int = Field(6, ge=0, le=12, description="sphere sizes fitted per family")
    antipodes: bool = Field(True, description="fit the number of farthest elements")
    variants: bool = Field(True, description=(
        "also sweep family-parameter variants (lrx k=2, top_spin k=3,5, cubic_pancake k=2..7, "
        "...) of the families chosen"))
    matrix: bool = Field(True, description=(
        "fit the diameter of unitriangular / Heisenberg groups over Z/pZ as a function of p"))

    def names(self) -> list[str]:
        return list(self.families or families.PERMUTATION_FAMILIES)


def estimate_catalogue(p: CatalogueParams) -> Estimate:
    """The catalogue runs for its time budget, within its memory budget."""
    return Estimate(seconds=p.time_budget_s, memory_bytes=_budget_bytes(p.memory_budget_gib))


Shape = Literal["involution_triples", "involution_pairs", "involution_element_pairs"]

#: largest n per shape of the extremal search (the candidate count times n! bounds the work)
MAX_N = {"involution_triples": 8, "involution_pairs": 9, "involution_element_pairs": 8}

class ExtremalParams(EngineParams):
    shape: Shape = Field("involution_triples", description="the shape of the generating sets")
    n_min: int = Field(4, ge=3, le=9)
    n_max: int = Field(6, ge=3, le=9)
    max_listed: int = Field(20, ge=1, le=1000, description="maximisers listed per n")
    shard_size: int = Field(20_000, ge=100, le=10_000_000,
                            description="candidates per shard when the job fans out")
    index_start: int | None = Field(None, ge=0, description="first candidate index (shards)")
    index_stop: int | None = Field(None, ge=0, description="candidate index bound (shards)")

    @model_validator(mode="after")
    def _bounded(self) -> ExtremalParams:
        if self.n_min > self.n_max:
            raise ValueError("n_min must not exceed n_max")
        if self.n_max > MAX_N[self.shape]:
            raise ValueError(f"{self.shape} is searched up to n = {MAX_N[self.shape]}, "
                             f"got n_max = {self.n_max}")
        if (self.index_start is None) != (self.index_stop is None):
            raise ValueError("index_start and index_stop go together")
        if self.index_start is not None and self.n_min != self.n_max:
            raise ValueError("an index range applies to one n (n_min = n_max)")
        return self
