"""The ``esma`` job type's result model (one Formula JSON per conjecture) and its view."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mathdisco.engines.results import (
    EvidenceRow,
    GcfFormula,
    QuasiPolynomialJSON,
    ResultModel,
    ResultView,
    ShownFormula,
)

__all__ = ["EsmaConjecture", "EsmaResult", "SimpleCfReference", "view"]


class SimpleCfReference(BaseModel):
    """The simple continued fraction of the same value, for comparison."""

    model_config = ConfigDict(extra="forbid")

    terms: list[int]
    digits_at_n_terms: int | None
    digits_per_term: float | None
    period: int | None
    formula: QuasiPolynomialJSON | None


class EsmaConjecture(GcfFormula):
    """One conjectured signed continued fraction (Formula JSON plus ESMA's evidence)."""

    model_config = ConfigDict(extra="forbid")

    sign_period: list[int]
    lhs: dict[str, list[int]] = Field(..., description="LHS = P(c)/Q(c): numerator and denominator")
    connection_polynomial: list[int]
    recurrence_length: int
    confirmations: int
    evidence: dict[str, int]
    equivalent_results: int
    digits_at_n_terms: int
    digits_per_term: float
    simple_cf: SimpleCfReference
    faster_than_simple_cf: bool
    simpler_than_simple_cf: bool
    alternatives: list[EsmaConjecture] = Field(default_factory=list)


class EsmaResult(ResultModel):
    constant: str
    constant_expression: str
    constant_kind: str
    constant_simple_cf: list[int]
    params: dict[str, Any]
    conjectures: list[EsmaConjecture]
    counts: dict[str, int]
    lhs_count: int
    sign_periods: int | None = None
    truncated: bool | None = None
    message: str | None = None
    elapsed_s: float


def view(result: EsmaResult) -> ResultView:
    """Each conjecture once (alternatives after their main form), the screen's counts as evidence."""
    formulas = []
    for number, conjecture in enumerate(result.conjectures, start=1):
        for alternative, formula in enumerate([conjecture, *conjecture.alternatives]):
            label = f"Conjecture {number}: {formula.equals}" + (
                f" (sign pattern {alternative + 1})" if alternative else "")
            signs = "".join("+" if s > 0 else "-" for s in formula.sign_period)
            formulas.append(ShownFormula(
                label=label, text=formula.text, latex=formula.latex,
                verified_digits=formula.verified_digits,
                facts={"signs": signs, "digits per term": formula.digits_per_term,
                       "faster than the simple CF": formula.faster_than_simple_cf}))
    evidence = [EvidenceRow(label="constant", value=result.constant_expression),
                EvidenceRow(label="kind", value=result.constant_kind),
                EvidenceRow(label="left-hand sides searched", value=result.lhs_count)]
    evidence += [EvidenceRow(label=name.replace("_", " "), value=value)
                 for name, value in result.counts.items()]
    notes = [result.message] if result.message else []
    if result.truncated:
        notes.append("more conjectures were found than max_conjectures; the simplest are listed")
    return ResultView(formulas=formulas, evidence=evidence, notes=notes)
