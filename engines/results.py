"""Typed result contracts: the shapes several engines share, and how a result is shown.

Every job type declares a result model (a subclass of :class:`ResultModel`)
beside its params model (see :mod:`mathdisco.engines.contract`).  The runner validates
each result against it before storing, so an engine that returns anything
else fails its job with a clear error instead of breaking a page later, and
``GET /v1/job-types`` publishes the model's JSON Schema as ``result_schema``.

The shared pieces live here, once:

* :class:`QuasiPolynomialJSON` -- the one quasi-polynomial convention in JSON
  (docs/design.md, "Formula JSON"): explicit ``initial`` terms, then, for
  ``n >= offset + len(initial)``, ``j = (n - offset - k) mod period``,
  ``m = (n - offset - k) div period`` and ``t(n) = sum_i c_i m^i`` with the
  ``j``-th coefficient list.  Coefficients are integers, or exact rationals
  written ``"p/q"``; ``offset`` is 0 for sequences indexed from 0 (the
  partial numerators and denominators of a continued fraction);
* :class:`GcfFormula` -- the Formula JSON of a continued fraction;
* :class:`ParetoPoint` -- one model of a symbolic-regression Pareto front;
* :class:`Provenance` -- how a result was produced (added by the runner);
* :class:`ResultView` -- what the dashboard shows: formulas with their own
  ``text`` and ``latex`` and a human label, evidence rows, and charts declared
  as data (:class:`Chart`).  The service renders a view generically and never
  recomputes engine maths.

Example
-------
>>> qp = QuasiPolynomialJSON(initial=[2], period=3, polynomials=[[1], [2, 2], [1]])
>>> qp.terms(9)
[2, 1, 2, 1, 1, 4, 1, 1, 6]
>>> Chart(id="growth", title="Growth", kind="bar", x=Axis(label="r", integer=True),
...       y=Axis(label="|S(r)|", scale="log"),
...       series=[Series(label="layer size", x=[0, 1, 2], y=[1, 3, 6])]).y.scale
'log'
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

__all__ = [
    "Axis",
    "Chart",
    "EvidenceRow",
    "GcfFormula",
    "Limited",
    "ParetoPoint",
    "Provenance",
    "QuasiPolynomialJSON",
    "Rational",
    "ResultModel",
    "ResultView",
    "Series",
    "ShownFormula",
    "as_fraction",
]

_RATIONAL = re.compile(r"^-?\d+(/\d+)?$")

#: an exact rational in JSON: an integer, or a string "p/q" (q > 0)
Rational = int | Annotated[str, Field(pattern=_RATIONAL.pattern)]


def as_fraction(value: int | str) -> Fraction:
    """A JSON rational (``3`` or ``"-3/4"``) as a Fraction.

    >>> as_fraction("-3/4"), as_fraction(5)
    (Fraction(-3, 4), Fraction(5, 1))
    """
    return Fraction(value) if isinstance(value, int) else Fraction(str(value))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuasiPolynomialJSON(_Model):
    """A quasi-polynomial sequence (the convention in the module docstring)."""

    initial: list[Rational] = Field(default_factory=list)
    period: int = Field(1, ge=1)
    polynomials: list[list[Rational]]
    offset: int = Field(0, description="the index of the first term (0 unless stated)")

    @field_validator("polynomials")
    @classmethod
    def _one_per_residue(cls, value: list[list[Rational]], info: Any) -> list[list[Rational]]:
        period = info.data.get("period", 1)
        if len(value) != period:
            raise ValueError(f"need one coefficient list per residue class ({period}), got {len(value)}")
        return value

    def term(self, n: int) -> Fraction:
        """``t(n)`` exactly (for ``n >= offset``)."""
        k = n - self.offset
        if k < 0:
            raise ValueError(f"the sequence starts at n = {self.offset}")
        if k < len(self.initial):
            return as_fraction(self.initial[k])
        m, j = divmod(k - len(self.initial), self.period)
        value = Fraction(0)
        for c in reversed(self.polynomials[j]):
            value = value * m + as_fraction(c)
        return value

    def terms(self, count: int) -> list[int | Fraction]:
        """The first ``count`` terms from ``offset`` on (integers where they are integers)."""
        values = [self.term(self.offset + i) for i in range(count)]
        return [int(v) if v.denominator == 1 else v for v in values]


class GcfFormula(BaseModel):
    """A continued fraction ``a(0) + b(1)/(a(1) + b(2)/(a(2) + ...))`` and its limit.

    ``verified_digits`` is what an independent evaluation at larger depth and
    precision confirmed, not what the search saw.  Engines add their own
    evidence fields beside the fixed ones.
    """

    model_config = ConfigDict(extra="allow")

    kind: Literal["gcf"] = "gcf"
    a: QuasiPolynomialJSON
    b: QuasiPolynomialJSON
    equals: str = Field(..., description="the limit, in the safe expression grammar")
    latex: str
    text: str
    verified_digits: int = Field(..., ge=0)


class ParetoPoint(BaseModel):
    """One model on an error-versus-complexity Pareto front."""

    model_config = ConfigDict(extra="allow")

    expression: str = Field(..., description="sympy syntax")
    latex: str
    nrmse: float | None
    complexity: int = Field(..., ge=0)


class Provenance(BaseModel):
    """How a result was produced: enough to reproduce it and to cite it."""

    model_config = ConfigDict(extra="allow")

    mathdisco: str
    git_revision: str | None = None
    libraries: dict[str, str] = Field(default_factory=dict, description="package name -> version")
    job_type: str
    params: dict[str, JsonValue] = Field(default_factory=dict, description="after defaults")
    seeds: dict[str, JsonValue] = Field(default_factory=dict)
    verification: dict[str, JsonValue] = Field(
        default_factory=dict, description="precision and depth settings used to verify")
    host: str
    started_at: str | None = None
    finished_at: str | None = None
    job_id: str | None = None


class Limited(BaseModel):
    """Why a limit (time, size, budget) stopped a job before it did what it was asked.

    A result that carries one is stored as succeeded but shown as *limited*
    everywhere a user looks: the jobs list, the job page, ``mathdisco run``'s
    and ``batch``'s exit code (docs/design.md, "Honest first jobs").
    """

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(..., min_length=1, description="what stopped the job early, in words")


class ResultModel(BaseModel):
    """Base of every job type's result model: strict, with the runner's provenance.

    ``limited`` is null for a job that did all it was asked, else the reason a
    limit stopped it early (:class:`Limited`).
    """

    model_config = ConfigDict(extra="forbid")

    provenance: Provenance | None = None
    limited: Limited | None = None


# -- what is shown --------------------------------------------------------------------------


class Axis(_Model):
    label: str
    scale: Literal["linear", "log", "symlog"] = "linear"
    integer: bool = Field(False, description="ticks at integers only")
    min: float | None = None
    max: float | None = None
    log_toggle: bool = Field(False, description="offer the reader a linear/log switch")
    categories: list[str] | None = Field(
        None, description="bar charts: the name of each bar (x = 0, 1, ...), in order")


class Series(_Model):
    label: str
    x: list[float]
    y: list[float | None]
    style: Literal["points", "line", "bars"] | None = None
    muted: bool = Field(False, description="drawn in grey (noise, outliers, other)")
    emphasis: bool = Field(False, description=(
        "a marked point or few (the selected model): drawn on top, larger, never clipped"))


class Chart(_Model):
    """A chart as data: the dashboard draws it with Chart.js and knows nothing of its meaning."""

    id: str = Field(..., pattern=r"^[a-z0-9_-]{1,40}$")
    title: str
    kind: Literal["line", "bar", "scatter"]
    x: Axis
    y: Axis
    series: list[Series]
    note: str = Field("", description="shown under the chart, e.g. how many outliers are off-axis")


class ShownFormula(_Model):
    label: str = Field(..., description="a human label, e.g. 'conjecture 2 for e'")
    text: str
    latex: str
    verified_digits: int | None = None
    facts: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict, description="small labelled values shown beside the formula")


class EvidenceRow(_Model):
    label: str
    value: str | int | float | bool | None


class ResultView(_Model):
    """Everything the dashboard shows of one result, declared by its engine."""

    formulas: list[ShownFormula] = Field(default_factory=list)
    evidence: list[EvidenceRow] = Field(default_factory=list)
    charts: list[Chart] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
