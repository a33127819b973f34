"""A readable summary of a result for the terminal (``mathdisco run`` without ``--json``).

Where the job type declares a view (``JobType.view``: formulas with their
verified digits, evidence rows, charts as data, notes; see
:class:`mathdisco.engines.results.ResultView`), the summary is that view written as
text: each formula once with its label, the evidence as ``label: value``
rows, each chart's series as the sequence of its values (a growth sequence,
a training curve).  A type without a view, or whose view is empty, gets a
generic summary of the result's fields.  Provenance is left out of both
(``--json`` prints it).

Example
-------
>>> from mathdisco.engines.results import EvidenceRow, ResultView, ShownFormula
>>> view = ResultView(formulas=[ShownFormula(label="Formula 1", text="pi/4", latex=r"\\frac{\\pi}{4}",
...                                          verified_digits=30)],
...                   evidence=[EvidenceRow(label="digits matched", value=38)])
>>> print(render_view(view))
Formula 1: pi/4
    verified to 30 digits
digits matched: 38
>>> print(render_generic({"expression": "pi/4", "relation": {"coefficients": [4, -1]},
...                       "provenance": {"job_type": "identify"}}))
expression: pi/4
relation:
    coefficients: 4, -1
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from mathdisco.engines.contract import JobType
from mathdisco.engines.results import Chart, ResultView

__all__ = ["render_generic", "render_view", "summary"]

MAX_VALUES = 16  # values of a sequence shown before "..."
MAX_TEXT = 240  # characters of one value
MAX_ROWS = 5  # entries of a list of objects shown
INDENT = "    "


def summary(job_type: JobType, result: Mapping[str, Any]) -> str:
    """The view of ``result`` as text when the type declares one, else its fields."""
    view = job_type.view(job_type.check_result(dict(result)))
    if view.formulas or view.evidence or view.charts or view.notes:
        return render_view(view)
    return render_generic(result)


def _value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


def _sequence(values: Sequence[Any]) -> str:
    shown = [_number(v) for v in values[:MAX_VALUES]]
    more = f", ... ({len(values)} values)" if len(values) > MAX_VALUES else ""
    return ", ".join(shown) + more


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return _value(value)


def render_view(view: ResultView) -> str:
    """A :class:`ResultView` as lines of text."""
    lines: list[str] = []
    for formula in view.formulas:
        lines.append(f"{formula.label}: {formula.text}")
        if formula.verified_digits is not None:
            lines.append(f"{INDENT}verified to {formula.verified_digits} digits")
        for label, value in formula.facts.items():
            lines.append(f"{INDENT}{label}: {_value(value)}")
    for row in view.evidence:
        lines.append(f"{row.label}: {_value(row.value)}")
    for chart in view.charts:
        lines.extend(_chart(chart))
    lines.extend(view.notes)
    return "\n".join(lines)


def _chart(chart: Chart) -> list[str]:
    scale = f", {chart.y.scale} scale" if chart.y.scale != "linear" else ""
    lines = [f"{chart.title} ({chart.y.label} by {chart.x.label}{scale}):"]
    for series in chart.series:
        where = _progression(series.x)
        lines.append(f"{INDENT}{series.label}"
                     + (f" at {chart.x.label} = {where}" if where else "") + f": {_sequence(series.y)}")
        if series.x and not where:
            lines.append(f"{INDENT}{INDENT}{chart.x.label}: {_sequence(series.x)}")
    if chart.note:
        lines.append(f"{INDENT}{chart.note}")
    return lines


def _progression(xs: Sequence[float]) -> str:
    """``a..b`` (or ``a..b step d``) when ``xs`` is an arithmetic progression, else ``""``."""
    if len(xs) < 2:
        return _number(xs[0]) if xs else ""
    step = xs[1] - xs[0]
    if step <= 0 or any(abs((b - a) - step) > 1e-3 * step for a, b in zip(xs, xs[1:], strict=False)):
        return ""
    span = f"{_number(xs[0])}..{_number(xs[-1])}"
    return span if step == 1 else f"{span} step {_number(step)}"


def render_generic(result: Mapping[str, Any], depth: int = 0) -> str:
    """The fields of a result without a view: scalars, sequences, nested objects (two levels)."""
    lines: list[str] = []
    pad = INDENT * depth
    for key, value in result.items():
        if key == "provenance" and depth == 0:
            continue
        if isinstance(value, Mapping):
            if depth >= 2 or not value:
                lines.append(f"{pad}{key}: {_compact(value)}")
            else:
                lines.append(f"{pad}{key}:")
                lines.append(render_generic(value, depth + 1))
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            lines.append(f"{pad}{key}: {len(value)} entries")
            for entry in value[:MAX_ROWS]:
                lines.append(f"{pad}{INDENT}- {_compact(entry)}")
            if len(value) > MAX_ROWS:
                lines.append(f"{pad}{INDENT}...")
        elif isinstance(value, list):
            lines.append(f"{pad}{key}: {_sequence(value) if value else '(none)'}")
        else:
            lines.append(f"{pad}{key}: {_value(value)}")
    return "\n".join(line for line in lines if line)


def _compact(value: Any) -> str:
    text = json.dumps(value, separators=(", ", ": "), default=str)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."
