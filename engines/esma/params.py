"""The ``esma`` job type's params: the constant, the domain of left-hand sides and sign
periods, and the approval work, each bounded (docs/design.md, "The engine contract")."""

from __future__ import annotations

import mpmath
import sympy
from pydantic import Field, field_validator, model_validator

from mathdisco.engines.contract import EngineParams
from mathdisco.engines.esma.search import (
    primitive_sign_periods,
    raw_lhs_count,
)
from mathdisco.engines.numerics.berlekamp_massey import DEFAULT_PRIME
from mathdisco.engines.numerics.expressions import (
    ExpressionError,
    constant_expression_value,
    parse_expression,
)

__all__ = ["CHECK_DIGITS", "EsmaParams", "MAX_MAGNITUDE_DIGITS", "MAX_PAIRS"]


MAX_PAIRS = 100_000

#: digits at which a constant must evaluate for the job to be accepted (cheap: under a millisecond)
CHECK_DIGITS = 20


#: |log10 |c|| beyond this leaves too few of the extraction digits for c's continued fraction
#: (its integer part, or the first partial quotient of a tiny c, would eat them)
MAX_MAGNITUDE_DIGITS = 100


class EsmaParams(EngineParams):
    constant: str = Field(..., max_length=300,
                          description="registered constant name or a safe expression, e.g. 'e' or 'tan(1)'")
    lhs_degree: int = Field(1, ge=1, le=2, description="degree of P and Q in LHS = P(c)/Q(c)")
    lhs_coefficient_bound: int = Field(2, ge=1, le=5, description="|coefficients| of P and Q")
    min_sign_period: int = Field(1, ge=1, le=6)
    max_sign_period: int = Field(4, ge=1, le=6, description="longest sign period tried")
    n_terms: int = Field(100, ge=20, le=400, description="partial quotients extracted per pair")
    extraction_digits: int | None = Field(
        None, ge=50, le=5_000,
        description="digits for extraction; default 5 * n_terms (enough for linear a_n)")
    threshold: int | None = Field(None, ge=2, le=200,
                                  description="BM hit if linear complexity < threshold; default n_terms // 4")
    prime: int = Field(DEFAULT_PRIME, ge=3, lt=2**31, description="prime of the modular BM screen")
    strict: bool = Field(True, description="refuse sequences with a pre-period (the original ESMA)")
    approve_depth: int = Field(1_000, ge=100, le=5_000)
    approve_digits: int = Field(1_000, ge=50, le=5_000, description="precision of Approve")
    approve_min_digits: int = Field(100, ge=20, le=5_000,
                                    description="digits the regenerated CF must match to approve")
    max_conjectures: int = Field(200, ge=1, le=2_000)
    shard_index: int = Field(0, ge=0, le=63)
    shard_count: int = Field(1, ge=1, le=64)

    @field_validator("constant")
    @classmethod
    def _constant(cls, text: str) -> str:
        expr = parse_expression(text)  # ExpressionError is a ValueError: becomes a 422
        if expr.free_symbols:
            raise ValueError("the constant may not contain variables")
        # decide at submission what a cheap evaluation can: overflow, poles, complex values,
        # zero; the evaluator bounds exp/gamma/zeta arguments, so this is bounded work
        try:
            value = constant_expression_value(text, CHECK_DIGITS)
        except ExpressionError as error:
            raise ValueError(f"cannot be evaluated at {CHECK_DIGITS} digits: {error}") from None
        magnitude = int(mpmath.floor(mpmath.log10(abs(value))))
        if abs(magnitude) > MAX_MAGNITUDE_DIGITS:
            raise ValueError(f"|constant| is about 10^{magnitude}; at most 10^±{MAX_MAGNITUDE_DIGITS} "
                             "leaves digits for its continued fraction")
        return text.strip()

    @field_validator("prime")
    @classmethod
    def _prime(cls, p: int) -> int:
        if not sympy.isprime(p):
            raise ValueError(f"{p} is not prime")
        return p

    @model_validator(mode="after")
    def _bounds(self) -> EsmaParams:
        if self.min_sign_period > self.max_sign_period:
            raise ValueError("min_sign_period must not exceed max_sign_period")
        if self.approve_min_digits > self.approve_digits:
            raise ValueError("approve_min_digits must not exceed approve_digits")
        if self.shard_index >= self.shard_count:
            raise ValueError("shard_index must be below shard_count")
        pairs = (raw_lhs_count(self.lhs_degree, self.lhs_coefficient_bound)
                 * len(primitive_sign_periods(self.min_sign_period, self.max_sign_period)))
        if pairs > MAX_PAIRS * 40:
            raise ValueError(f"domain too large: about {pairs} raw (LHS, sign) pairs")
        return self

    @property
    def digits_for_extraction(self) -> int:
        return self.extraction_digits or 5 * self.n_terms

    @property
    def hit_threshold(self) -> int:
        return self.threshold or self.n_terms // 4
