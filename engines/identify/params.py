"""The ``identify`` job type's params: a decimal number, its digits, the constants to try."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from mathdisco.engines.contract import EngineParams
from mathdisco.engines.numerics.constants import CONSTANTS

__all__ = ["DEFAULT_BASIS", "IdentifyParams", "MAX_VALUE_CHARS", "significant_digits"]


_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,4})?$")
MAX_VALUE_CHARS = 2_000
DEFAULT_BASIS = ("pi", "e", "ln2", "zeta3", "catalan", "euler_gamma", "sqrt2", "phi")


class IdentifyParams(EngineParams):
    value: str = Field(..., description="the number, as a decimal string", max_length=MAX_VALUE_CHARS)
    precision_digits: int | None = Field(
        None, ge=10, le=1_000,
        description="digits of `value` to trust; default: the significant digits given",
    )
    constants: list[str] = Field(
        default=list(DEFAULT_BASIS), min_length=0, max_length=12,
        description="registered constants to try (names from the constants registry)",
    )
    max_coeff: int = Field(10_000, ge=1, le=10**9, description="largest coefficient PSLQ may use")

    @field_validator("value")
    @classmethod
    def _decimal(cls, v: str) -> str:
        v = v.strip()
        if not _DECIMAL.match(v):
            raise ValueError("value must be a decimal number such as '3.14159...' or '1.2e-3'")
        if significant_digits(v) < 10:
            raise ValueError("value needs at least 10 significant digits to identify anything")
        return v

    @field_validator("constants")
    @classmethod
    def _known(cls, names: list[str]) -> list[str]:
        unknown = [n for n in names if n not in CONSTANTS]
        if unknown:
            raise ValueError(f"unknown constants {unknown}; known: {sorted(CONSTANTS)}")
        return list(dict.fromkeys(names))


def significant_digits(text: str) -> int:
    mantissa = re.split(r"[eE]", text)[0].lstrip("+-").replace(".", "")
    return len(mantissa.lstrip("0"))
