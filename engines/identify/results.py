"""The ``identify`` job type's result model and how the dashboard shows it."""

from __future__ import annotations

from pydantic import JsonValue

from mathdisco.engines.results import EvidenceRow, ResultModel, ResultView, ShownFormula

__all__ = ["IdentifyResult", "view"]


class IdentifyResult(ResultModel):
    """An ``identify`` answer: the relation found, or None with a message."""

    value: str
    precision_digits: int
    form: str | None = None
    relation: dict[str, JsonValue] | None
    expression: str | None
    latex: str | None
    found_digits: int | None = None
    verified_digits: int
    message: str | None = None


def view(result: IdentifyResult) -> ResultView:
    """The closed form, if any, with the digits it was found at and holds to."""
    evidence = [EvidenceRow(label="digits given", value=result.precision_digits)]
    if result.expression is None:
        return ResultView(evidence=evidence, notes=[result.message or "no closed form found"])
    evidence += [EvidenceRow(label="relation", value=result.form),
                 EvidenceRow(label="found at digits", value=result.found_digits),
                 EvidenceRow(label="holds to digits", value=result.verified_digits)]
    return ResultView(formulas=[ShownFormula(
        label=f"Closed form: {result.expression}", text=f"{result.value} = {result.expression}",
        latex=result.latex or "", verified_digits=result.verified_digits)], evidence=evidence)
