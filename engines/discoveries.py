"""Discoveries: verified statements, each kind with one typed canonical form.

A job's ``discoveries(params, result)`` returns :class:`Discovery` objects;
the store keeps each statement once, however many jobs (or engines) find it,
keyed by :meth:`Discovery.fingerprint`.  The fingerprint is a hash of the
*statement* alone -- its kind and canonical form, never the target label,
the wording or the evidence -- so the same continued fraction found by
``esma`` and by ``pcf_cluster``, or the same expression recovered by
``sr_mcts`` and by ``sr_neural``, is one discovery linked to both jobs.

Canonical forms are normalised by their constructors:

* :func:`formula_statement` -- a continued fraction and its limit: both
  quasi-polynomials in their canonical form (shortest pre-period, then
  period), the limit re-printed by the safe grammar;
* :func:`expression_statement` -- ``y = f(x)`` on a named data set: the
  expression parsed by the safe grammar and printed in sympy's normal form;
* :func:`identity_statement`, :func:`diameter_statement`,
  :func:`growth_statement`, :func:`intersection_statement`;
* :class:`ExtremalStatement` -- the largest Cayley diameter over every generating set of
  S_n of one shape (an exhaustive ``cayley_extremal`` search), built directly.

Example
-------
>>> from mathdisco.engines.numerics.formula import QuasiPolynomial
>>> one = formula_statement("(exp(1)+1)/(exp(1)-1)", QuasiPolynomial.polynomial([2, 4]),
...                         QuasiPolynomial.constant(1))
>>> two = formula_statement("(1 + E)/(-1 + E)",
...                         QuasiPolynomial((2,), 1, ((6, 4),)), QuasiPolynomial.constant(1))
>>> one == two
True
>>> d = Discovery(target="e", text="...", latex="...", statement=one)
>>> d.kind, len(d.fingerprint())
('formula', 64)
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from mathdisco.engines.numerics.formula import QuasiPolynomial

__all__ = [
    "DiameterStatement",
    "Discovery",
    "ExpressionStatement",
    "ExtremalStatement",
    "FormulaStatement",
    "GrowthStatement",
    "HypothesisStatement",
    "IdentityStatement",
    "IntersectionStatement",
    "SequenceStatement",
    "Statement",
    "diameter_statement",
    "expression_statement",
    "formula_statement",
    "growth_statement",
    "hypothesis_statement",
    "identity_statement",
    "intersection_statement",
]


class _Statement(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FormulaStatement(_Statement):
    """``equals = a(0) + b(1)/(a(1) + ...)`` with canonical quasi-polynomials (QP JSON)."""

    kind: Literal["formula"] = "formula"
    equals: str
    a: dict[str, JsonValue]
    b: dict[str, JsonValue]


class IdentityStatement(_Statement):
    """A decimal number (its leading digits) equals a closed form."""

    kind: Literal["identity"] = "identity"
    value: str = Field(..., description="the leading significant digits, as given")
    expression: str


class ExpressionStatement(_Statement):
    """``y = expression`` on the data set ``dataset`` (a benchmark name or "data")."""

    kind: Literal["expression"] = "expression"
    dataset: str
    expression: str


class DiameterStatement(_Statement):
    """The diameter of a family's graphs is a quasi-polynomial in n from ``valid_from`` on."""

    kind: Literal["diameter_formula"] = "diameter_formula"
    family: str
    valid_from: int
    period: int
    polynomials: list[list[str]] = Field(..., description="per residue n mod period, in n")


class SequenceStatement(_Statement):
    """A growth quantity of a family (a sphere size, the antipode count, a diameter in p) is a
    quasi-polynomial in ``variable`` from ``valid_from`` on."""

    kind: Literal["sequence_formula"] = "sequence_formula"
    family: str
    quantity: str = Field(..., description="e.g. 'sphere(k=3)', 'antipodes', 'diameter'")
    variable: str = Field("n", description="n (the family's size) or p (the modulus)")
    valid_from: int
    period: int
    polynomials: list[list[str]] = Field(..., description="per residue class, in the variable")


class GrowthStatement(_Statement):
    kind: Literal["growth_sequence"] = "growth_sequence"
    family: str
    n: int
    layer_sizes: list[int]


class ExtremalStatement(_Statement):
    """Over every generating set of S_n of one shape, the largest Cayley-graph diameter is
    ``max_diameter`` (an exhaustive search, not a fit)."""

    kind: Literal["extremal_diameter"] = "extremal_diameter"
    shape: str
    n: int
    max_diameter: int


class IntersectionStatement(_Statement):
    kind: Literal["intersection_number"] = "intersection_number"
    genus: int
    insertions: list[int] = Field(..., description="sorted: the bracket is symmetric")
    value: str = Field(..., description="exact, 'p/q'")


class HypothesisStatement(_Statement):
    """An unknown constant: the limit of the representative ``PCF[a, b]`` of a hypothesis.

    Coefficient lists lowest degree first, trailing zeros dropped; the members
    related to it are evidence, not statement (another box may find more).
    """

    kind: Literal["hypothesis"] = "hypothesis"
    a: list[int]
    b: list[int]


Statement = Annotated[
    FormulaStatement | IdentityStatement | ExpressionStatement | DiameterStatement
    | GrowthStatement | IntersectionStatement | SequenceStatement | HypothesisStatement
    | ExtremalStatement,
    Field(discriminator="kind"),
]


class Discovery(BaseModel):
    """One verified statement found by a job, with how it reads and the evidence for it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    target: str = Field(..., max_length=255, description="what it is about: a constant, a family")
    text: str
    latex: str
    statement: Statement
    evidence: dict[str, JsonValue] = Field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.statement.kind

    @property
    def canonical(self) -> dict[str, JsonValue]:
        return self.statement.model_dump(mode="json")

    def fingerprint(self) -> str:
        """The hash of the statement: equal statements, equal fingerprints."""
        payload = self.statement.model_dump_json()
        return hashlib.sha256(payload.encode()).hexdigest()


# -- constructors that normalise ----------------------------------------------------------


def _numerators(b: QuasiPolynomial) -> QuasiPolynomial:
    """``b`` with its unused term ``b(0)`` set to what the pattern gives there, then canonical.

    ``b(0)`` never enters ``a(0) + b(1)/(a(1) + ...)``, so two statements that
    differ only there are the same statement.
    """
    if not b.initial:
        return b.canonical()
    if len(b.initial) == 1:
        last = b.polynomials[-1]
        natural = sum(c * (-1) ** i for i, c in enumerate(last))  # P_{p-1}(m = -1)
    else:
        natural = 0
    return QuasiPolynomial((natural, *b.initial[1:]), b.period, b.polynomials).canonical()


def formula_statement(equals: str, a: QuasiPolynomial, b: QuasiPolynomial) -> FormulaStatement:
    """The canonical statement of a continued-fraction formula."""
    from mathdisco.engines.numerics.expressions import parse_expression, to_text

    return FormulaStatement(equals=to_text(parse_expression(equals)),
                            a=a.canonical().to_json(), b=_numerators(b).to_json())


def expression_statement(dataset: str, expression: str,
                         variables: list[str]) -> ExpressionStatement:
    """The canonical statement ``y = expression`` (sympy syntax, parsed by the safe grammar).

    >>> a = expression_statement("Nguyen-1", "x**2 + x + x**3", ["x"])
    >>> a == expression_statement("Nguyen-1", "x + x**3 + x^2", ["x"])
    True
    >>> a.expression
    'x**3 + x**2 + x'
    """
    from mathdisco.engines.numerics.expressions import parse_expression, to_text

    parsed = parse_expression(expression, variables=variables)
    return ExpressionStatement(dataset=dataset, expression=to_text(parsed))


def identity_statement(value: str, expression: str, digits: int = 30) -> IdentityStatement:
    """``value`` (its first ``digits`` significant characters) equals ``expression``."""
    from mathdisco.engines.numerics.expressions import parse_expression, to_text

    return IdentityStatement(value=value.strip()[:digits], expression=to_text(parse_expression(expression)))


def hypothesis_statement(a: list[int], b: list[int]) -> HypothesisStatement:
    """The canonical statement of a hypothesis: its representative, trailing zeros dropped.

    >>> hypothesis_statement([1, 1, 0], [2]) == hypothesis_statement([1, 1], [2, 0])
    True
    """
    def trimmed(c: list[int]) -> list[int]:
        out = [int(x) for x in c]
        while len(out) > 1 and out[-1] == 0:
            out.pop()
        return out

    return HypothesisStatement(a=trimmed(a), b=trimmed(b))


def diameter_statement(family: str, valid_from: int, period: int,
                       polynomials: list[list[str]]) -> DiameterStatement:
    return DiameterStatement(family=family, valid_from=valid_from, period=period,
                             polynomials=[[str(c) for c in p] for p in polynomials])


def growth_statement(family: str, n: int, layer_sizes: list[int]) -> GrowthStatement:
    return GrowthStatement(family=family, n=n, layer_sizes=[int(s) for s in layer_sizes])


def intersection_statement(genus: int, insertions: list[int], value: str) -> IntersectionStatement:
    return IntersectionStatement(genus=genus, insertions=sorted(int(d) for d in insertions),
                                 value=str(value))
