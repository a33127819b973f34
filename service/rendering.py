"""A stored result as the dashboard shows it: the view its engine declares.

The engine owns what is shown (``JobType.view`` -> :class:`mathdisco.engines.results.ResultView`:
formulas with labels, evidence rows, charts as data); this module only
parses the stored result with the type's result model, asks for the view,
and turns values into words for the page.  It never recomputes engine maths
and never guesses from result keys.  A result that no longer matches its
model (stored by an older version) is shown as raw JSON with a note.

LaTeX on the page comes from results the engines generated, never from raw
user input; KaTeX still renders it with ``trust: false`` and size caps.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from mathdisco.engines.contract import ResultContractError
from mathdisco.engines.registry import job_types
from mathdisco.engines.results import ResultView

__all__ = ["Rendered", "render_result", "show_value"]

MAX_FORMULAS = 60  # a result with thousands of formulas shows the first ones; JSON has all
MAX_POINTS = 5000  # per chart series: beyond that a plot is unreadable and the page heavy
_CACHE_SIZE = 64


@dataclass
class Rendered:
    view: ResultView = field(default_factory=ResultView)
    provenance: dict[str, Any] | None = None
    problem: str | None = None  # why the declared view could not be shown
    hidden_formulas: int = 0


def show_value(value: Any) -> str:
    """A value as words: booleans as yes/no, floats to 6 significant digits, None as a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


_cache: OrderedDict[tuple[str, str], Rendered] = OrderedDict()


def render_result(job_id: str, job_type_name: str, finished_at: str | None,
                  result: dict[str, Any]) -> Rendered:
    """The declared view of a finished job's result (cached per job and finish time)."""
    key = (job_id, finished_at or "")
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    rendered = _render(job_type_name, result)
    _cache[key] = rendered
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return rendered


def _render(job_type_name: str, result: dict[str, Any]) -> Rendered:
    provenance = result.get("provenance") if isinstance(result.get("provenance"), dict) else None
    job_type = job_types().get(job_type_name)
    if job_type is None:
        return Rendered(provenance=provenance, problem=f"unknown job type {job_type_name!r}")
    try:
        view = job_type.view(job_type.check_result(result))
    except ResultContractError as exc:
        return Rendered(provenance=provenance,
                        problem=f"this result does not match the current result model ({exc}); "
                                "shown as stored")
    except Exception as exc:  # an engine's view failing must not take the page down
        return Rendered(provenance=provenance, problem=f"the view failed: {type(exc).__name__}: {exc}")
    hidden = max(0, len(view.formulas) - MAX_FORMULAS)
    charts = []
    for chart in view.charts:
        series = [s.model_copy(update={"x": s.x[:MAX_POINTS], "y": s.y[:MAX_POINTS]})
                  for s in chart.series]
        charts.append(chart.model_copy(update={"series": series}))
    view = view.model_copy(update={"formulas": view.formulas[:MAX_FORMULAS], "charts": charts})
    return Rendered(view=view, provenance=provenance, hidden_formulas=hidden)
