"""The ``pcf_cluster`` job type's params: the coefficient box, the depth, the basis, the
clustering, the hypothesis search, each bounded (docs/design.md, "The engine contract")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from mathdisco.engines.contract import EngineParams
from mathdisco.engines.numerics.constants import CONSTANTS
from mathdisco.engines.pcf.enumeration import CoefficientBox

__all__ = ["DEFAULT_BASIS", "FEATURE_NAMES", "JOB_BOUND_S", "PCFClusterParams"]

#: the estimate (seconds on one worker) above which a job is refused
JOB_BOUND_S = 4 * 3600
FEATURE_NAMES = ("delta", "delta_naive", "gamma_prime", "eta_prime", "beta", "gamma", "eta",
                 "delta_pred", "digits_per_term", "log_eigen_ratio")
DEFAULT_BASIS = ["pi", "e", "e2", "sqrt_e", "ln2", "ln3", "zeta3", "catalan", "pi2", "tan1",
                 "bessel_i0_i1_1", "bessel_i0_i1_2", "gauss", "lemniscate", "lemniscate_gauss",
                 "sqrt2", "sqrt3", "sqrt5", "phi"]
_COEFF_LIMIT = 2**62


class PCFClusterParams(EngineParams):
    a_degree: int = Field(2, ge=0, le=4, description="degree bound of a(n)")
    b_degree: int = Field(2, ge=0, le=6, description="degree bound of b(n)")
    # the paper's space is -5..5 (1,768,900 PCFs): run it sharded
    coefficient_min: int = Field(-2, ge=-100, le=100)
    coefficient_max: int = Field(2, ge=-100, le=100)
    depth: int = Field(2000, ge=100, le=10_000,
                       description="reference depth N; features sample at n* = N/2")
    index_start: int | None = Field(None, ge=0, description="first enumeration index (shards)")
    index_stop: int | None = Field(None, ge=0, description="enumeration index bound (exclusive)")
    stage: Literal["all", "features"] = Field(
        "all", description="'features': the table and its identifications only (a shard)")
    planes: list[tuple[str, str]] = Field(
        default=[("delta", "eta_prime"), ("delta", "gamma_prime")], min_length=1, max_length=4,
        description="feature planes clustered in turn (mixed clusters re-clustered in the next)")
    min_cluster_size: int = Field(5, ge=2, le=10_000)
    grid: float = Field(0.001, gt=0, le=1.0, description="downsampling cell size")
    radius: float = Field(0.01, gt=0, le=10.0, description="nearest-representative radius")
    max_clusters: int = Field(500, ge=1, le=5_000)
    max_representatives: int = Field(100_000, ge=10, le=500_000, description=(
        "grid cells a plane may have for HDBSCAN, whose cost is quadratic in them; "
        "a larger plane is skipped and reported"))
    constants: list[str] = Field(default=list(DEFAULT_BASIS), max_length=40,
                                 description="the basis: registered constants to identify against")
    identify_clusters: int = Field(100, ge=0, le=1_000,
                                   description="labelled clusters in which PSLQ tries open members")
    representatives: int = Field(3, ge=1, le=50, description="members listed per cluster")
    members_checked: int = Field(8, ge=0, le=1_000,
                                 description="open members PSLQ tries per labelled cluster")
    search_dps: int = Field(50, ge=20, le=500, description="digits the finders see")
    check_dps: int = Field(100, ge=30, le=2_000, description="digits of the confirming evaluation")
    max_depth: int = Field(32_768, ge=1_024, le=262_144,
                           description="deepest evaluation of a slowly converging member")
    index_max_det: int = Field(100, ge=1, le=400,
                               description="largest |determinant| of the tail index's Möbius maps")
    pslq: Literal["clusters", "all"] = Field(
        "clusters", description="'all': also PSLQ every open member against the whole basis")
    families: bool = Field(True, description="generalise identified members into families")
    hypotheses: bool = Field(True, description=(
        "connect the members no basis constant names by Möbius relations (hypotheses)"))
    hypothesis_max_members: int = Field(20_000, ge=0, le=100_000, description=(
        "members beyond the basis searched for hypotheses (the simplest first); the rest "
        "are reported as skipped"))
    hypothesis_max_det: int = Field(8, ge=1, le=30, description=(
        "largest |ps - qr| of a relation sought through the members' tails"))
    hypothesis_pslq_pairs: int = Field(2_000, ge=0, le=100_000, description=(
        "PSLQ tries on (xy, x, y, 1) between members of one cluster left apart by the tails"))
    hypothesis_certificates: int = Field(200, ge=0, le=5_000, description=(
        "non-trivial hypothesis members searched for a coboundary certificate"))
    threads: int = Field(1, ge=1, le=64,
                         description="numba threads for the feature kernels (capped at the host's)")

    @field_validator("constants")
    @classmethod
    def _known_constants(cls, names: list[str]) -> list[str]:
        unknown = [n for n in names if n not in CONSTANTS]
        if unknown:
            raise ValueError(f"unknown constants {unknown}; known: {sorted(CONSTANTS)}")
        return list(dict.fromkeys(names))

    @field_validator("planes")
    @classmethod
    def _known_features(cls, planes: list[tuple[str, str]]) -> list[tuple[str, str]]:
        for plane in planes:
            bad = [f for f in plane if f not in FEATURE_NAMES]
            if bad:
                raise ValueError(f"unknown features {bad} in planes; known: {list(FEATURE_NAMES)}")
        return planes

    @model_validator(mode="after")
    def _bounded(self) -> PCFClusterParams:
        if self.coefficient_min > self.coefficient_max:
            raise ValueError("coefficient_min must not exceed coefficient_max")
        if self.check_dps <= self.search_dps:
            raise ValueError("check_dps must exceed search_dps")
        box = self.box
        start, stop = self.index_range
        if not start <= stop <= box.count:
            raise ValueError(f"index range [{start}, {stop}) outside the box's 0..{box.count}")
        # the exact kernel (run to n* = depth // 2) needs |a(n)|, |b(n)| < 2^62 there
        reach = max(abs(self.coefficient_min), abs(self.coefficient_max))
        n_star = self.depth // 2
        for degree in (self.a_degree, self.b_degree):
            if reach * sum(n_star**i for i in range(degree + 1)) >= _COEFF_LIMIT:
                raise ValueError("|coefficients| * (depth/2)^degree reaches 2^62; "
                                 "lower the depth, the degree or the coefficients")
        from mathdisco.engines.pcf.job import estimate  # the cost model needs the params' module

        cost = estimate(self)
        if cost.seconds > JOB_BOUND_S:
            raise ValueError(
                f"the range holds {stop - start:,} PCFs; the estimated cost is "
                f"{cost.seconds:,.0f} s on one worker ({cost.seconds / 3600:.1f} h), more than the "
                f"job bound of {JOB_BOUND_S:,} s; lower the degrees, the coefficient range or the "
                "depth, or give index_start/index_stop")
        return self

    @property
    def box(self) -> CoefficientBox:
        return CoefficientBox(self.a_degree, self.b_degree, self.coefficient_min,
                              self.coefficient_max)

    @property
    def index_range(self) -> tuple[int, int]:
        count = self.box.count
        start = self.index_start or 0
        stop = count if self.index_stop is None else self.index_stop
        return start, stop
