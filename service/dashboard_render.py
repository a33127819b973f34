"""Pure helpers for the dashboard: form fields from JSON schema, and results made readable.

Nothing here touches HTTP or the store, so each piece is testable on its own:

* :func:`form_fields` turns a job type's params JSON schema into one input
  per top-level property (select for enums and booleans, number/text inputs
  for scalars, a JSON textarea for anything nested);
* :func:`parse_form` turns the submitted strings back into params, with
  per-field errors for what cannot even be parsed (the engine's pydantic
  model does the real validation afterwards);
* :func:`latex_items`, :func:`evidence_items` and :func:`charts` pick out of
  any result the formulas to typeset, the verification evidence, and the
  data series worth plotting.  They look at shapes, not job types, so a new
  engine whose result follows the conventions is rendered without changes.

LaTeX shown on the page comes from results the engines generated (sympy
``latex`` of parsed objects, or :func:`gcf_latex` below), never from raw user
input; KaTeX still renders it with ``trust: false`` and size/expansion caps.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

# Result keys whose scalar values are verification evidence worth a table row.
EVIDENCE_KEYS = (
    "verified_digits", "precision_digits", "digits", "precision", "depth", "verified_depth",
    "nrmse", "train_nrmse", "test_nrmse", "complexity", "diameter", "num_vertices", "group_order",
    "value", "float", "dimension_matches", "bfs_completed", "formula_status", "min_roi",
    "convergence_rate", "irrationality_measure", "delta", "epochs_run", "final_loss",
)
MAX_LATEX_ITEMS = 60  # a result with thousands of formulas shows the first ones; JSON has all
MAX_POINTS = 5000  # per chart series: beyond that a plot is unreadable and the page heavy


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    widget: str  # "text", "number", "select", "json"
    required: bool
    default: str  # the default as shown in the placeholder
    options: tuple[str, ...] = ()
    description: str = ""
    kind: str = "string"  # the JSON type used to parse the submitted text


def _effective(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Resolve a $ref and drop the ``null`` branch of Optional[...] (anyOf [X, null])."""
    if "$ref" in schema:
        ref = schema["$ref"].rsplit("/", 1)[-1]
        return {**defs.get(ref, {}), **{k: v for k, v in schema.items() if k != "$ref"}}
    branches = schema.get("anyOf")
    if branches:
        non_null = [b for b in branches if b.get("type") != "null"]
        if len(non_null) == 1:
            return {**_effective(non_null[0], defs),
                    **{k: v for k, v in schema.items() if k != "anyOf"}}
    return schema


def form_fields(schema: dict[str, Any]) -> list[FormField]:
    """One field per top-level property of a params JSON schema."""
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    fields = []
    for name, raw in schema.get("properties", {}).items():
        prop = _effective(raw, defs)
        default = raw.get("default", prop.get("default"))
        shown = "" if default is None else (json.dumps(default) if isinstance(default, list | dict)
                                             else str(default).lower() if isinstance(default, bool)
                                             else str(default))
        kind = prop.get("type", "json") if isinstance(prop.get("type"), str) else "json"
        common = dict(name=name, label=raw.get("title", name), required=name in required,
                      default=shown, description=raw.get("description", prop.get("description", "")))
        if "enum" in prop and all(isinstance(v, str | int) for v in prop["enum"]):
            fields.append(FormField(widget="select", options=tuple(str(v) for v in prop["enum"]),
                                    kind=kind, **common))
        elif kind == "boolean":
            fields.append(FormField(widget="select", options=("true", "false"), kind="boolean", **common))
        elif kind in ("integer", "number"):
            fields.append(FormField(widget="number", kind=kind, **common))
        elif kind == "string":
            fields.append(FormField(widget="text", kind="string", **common))
        else:  # arrays, objects, unions: the user writes JSON, pydantic checks it
            fields.append(FormField(widget="json", kind="json", **common))
    return fields


def parse_form(fields: list[FormField], form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Submitted strings -> (params, {field: error}); empty inputs mean "use the default"."""
    params: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in fields:
        text = form.get(field.name, "").strip()
        if text == "":
            continue
        try:
            if field.kind == "integer":
                params[field.name] = int(text)
            elif field.kind == "number":
                value = float(text)
                if not math.isfinite(value):
                    raise ValueError
                params[field.name] = value
            elif field.kind == "boolean":
                if text not in ("true", "false"):
                    raise ValueError
                params[field.name] = text == "true"
            elif field.kind == "json":
                params[field.name] = json.loads(text)  # data only: json never executes anything
            else:
                params[field.name] = text
        except ValueError:
            expected = {"integer": "an integer", "number": "a number", "boolean": "true or false",
                        "json": "valid JSON"}.get(field.kind, "a value")
            errors[field.name] = f"expected {expected}"
    return params, errors


def field_errors(problem_errors: list[dict[str, Any]] | None) -> tuple[dict[str, str], list[str]]:
    """Map problem+json errors ("params.depth": msg) onto form fields; the rest are form-level."""
    by_field: dict[str, str] = {}
    general: list[str] = []
    for error in problem_errors or []:
        path = str(error.get("field", ""))
        message = str(error.get("message", "invalid"))
        parts = path.split(".")
        if len(parts) >= 2 and parts[0] == "params":
            name = parts[1]
            detail = ".".join(parts[2:])
            text = f"{detail}: {message}" if detail else message
            by_field[name] = f"{by_field[name]}; {text}" if name in by_field else text
        else:
            general.append(f"{path}: {message}" if path and path != "params" else message)
    return by_field, general


# -- continued fractions -------------------------------------------------------------------


def qp_term(qp: dict[str, Any], n: int) -> int:
    """t(n) of a quasi-polynomial term sequence (DESIGN.md "Formula JSON")."""
    initial = qp.get("initial") or []
    if n < len(initial):
        return int(initial[n])
    period = int(qp.get("period") or 1)
    polys = qp.get("polynomials") or [[0]]
    j, m = divmod(n - len(initial), period)[::-1]
    return sum(int(c) * m**i for i, c in enumerate(polys[j % len(polys)]))


def gcf_latex(formula: dict[str, Any], depth: int = 4) -> str | None:
    """a0 + b1/(a1 + b2/(a2 + ...)) as nested \\cfrac, from the exact coefficients."""
    try:
        a, b = formula["a"], formula["b"]
        terms = [(qp_term(a, n), qp_term(b, n)) for n in range(depth + 1)]
    except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError):
        return None
    tail = r"\ddots"
    for n in range(depth, 0, -1):
        a_n, b_n = terms[n]
        tail = rf"\cfrac{{{b_n}}}{{{a_n} + {tail}}}"
    a0 = terms[0][0]
    body = tail if a0 == 0 else f"{a0} + {tail}"
    return body.replace("+ -", "- ")


# -- picking things out of a result ------------------------------------------------------------


def _walk(value: Any, path: str = ""):
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:200]):
            yield from _walk(item, f"{path}[{index}]")


def latex_items(result: Any) -> list[dict[str, Any]]:
    """Every formula in the result: its path, LaTeX, plain text and digits, in document order."""
    items: list[dict[str, Any]] = []
    for path, value in _walk(result):
        if len(items) >= MAX_LATEX_ITEMS:
            break
        if not isinstance(value, dict):
            continue
        latex = value.get("latex") if isinstance(value.get("latex"), str) else None
        cfrac = gcf_latex(value) if value.get("kind") == "gcf" else None
        if cfrac:
            equals = value.get("equals_latex") or value.get("equals")
            latex = f"{latex} = {cfrac}" if latex and "cfrac" not in latex and len(latex) < 80 else (
                latex if latex and "cfrac" in latex else (f"{equals} = {cfrac}" if equals else cfrac))
        if not latex:
            continue
        text = value.get("expression") or value.get("text") or value.get("equals") or ""
        items.append({"path": path or "result", "latex": latex, "text": str(text),
                      "verified_digits": value.get("verified_digits"),
                      "nrmse": value.get("nrmse"), "complexity": value.get("complexity")})
    return items


def evidence_items(result: Any) -> list[tuple[str, str]]:
    """Top-level scalar evidence (digits matched, precision, depth, error ...) as label/value rows."""
    if not isinstance(result, dict):
        return []
    rows = []
    for key in EVIDENCE_KEYS:
        value = result.get(key)
        if isinstance(value, str | int | float | bool) and not isinstance(value, dict):
            rows.append((key.replace("_", " "), _fmt(value)))
    best = result.get("best")
    if isinstance(best, dict):
        for key in ("nrmse", "test_nrmse", "complexity"):
            if isinstance(best.get(key), int | float):
                rows.append((f"best {key}", _fmt(best[key])))
    return rows


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _numbers(value: Any) -> list[float] | None:
    if isinstance(value, list) and len(value) >= 2 and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return [float(v) for v in value[:MAX_POINTS]]
    return None


def _positive(values: list[float]) -> bool:
    return all(v > 0 for v in values)


def charts(result: Any) -> list[dict[str, Any]]:
    """Chart specs (rendered by static/dashboard.js with Chart.js), chosen by result shape."""
    if not isinstance(result, dict):
        return []
    out: list[dict[str, Any]] = []
    layers = _numbers(result.get("layer_sizes"))
    if layers:
        out.append({"id": "growth", "title": "Growth: layer size |S(r)| vs distance r",
                    "type": "bar", "x_label": "distance r", "y_label": "vertices at distance r",
                    "y_log": max(layers) / max(min(layers), 1) > 1000,
                    "series": [{"label": "layer size", "x": list(range(len(layers))), "y": layers}]})
    diameters = result.get("diameters")
    if isinstance(diameters, dict) and diameters:
        try:
            pairs = sorted((int(n), float(d)) for n, d in diameters.items() if d is not None)
        except (TypeError, ValueError):
            pairs = []
        if pairs:
            series = [{"label": "diameter", "x": [p[0] for p in pairs], "y": [p[1] for p in pairs]}]
            fitted = _fitted(result.get("formula"), [p[0] for p in pairs])
            if fitted:
                series.append(fitted)
            out.append({"id": "diameters", "title": "Diameter vs n", "type": "line",
                        "x_label": "n", "y_label": "diameter", "y_log": False, "series": series})
    pareto = result.get("pareto")
    if isinstance(pareto, list):
        points = [(p["complexity"], p["nrmse"]) for p in pareto if isinstance(p, dict)
                  and isinstance(p.get("complexity"), int | float) and isinstance(p.get("nrmse"), int | float)]
        if points:
            points.sort()
            ys = [max(float(p[1]), 1e-300) for p in points]
            out.append({"id": "pareto", "title": "Pareto front: error vs complexity", "type": "scatter",
                        "x_label": "complexity", "y_label": "NRMSE", "y_log": True,
                        "series": [{"label": "Pareto front", "x": [p[0] for p in points], "y": ys}]})
    histories = [(k, _numbers(v)) for k, v in result.items()
                 if ("loss" in k or k.endswith("_history")) and _numbers(v)]
    if histories:
        every = result.get("history_every") if isinstance(result.get("history_every"), int) else 1
        series = [{"label": k.replace("_", " "), "x": [i * every for i in range(len(v))], "y": v}
                  for k, v in histories]
        out.append({"id": "loss", "title": "Training curves", "type": "line", "x_label": "step",
                    "y_label": "loss", "y_log": all(_positive(s["y"]) for s in series), "series": series})
    for key in ("convergence", "convergence_profile", "errors", "error_profile"):
        profile = result.get(key)
        chart = _convergence(profile)
        if chart:
            out.append(chart)
            break
    scatter = _feature_scatter(result) or _clusters(result.get("clusters"))
    if scatter:
        out.append(scatter)
    return out


def _fitted(formula: Any, ns: list[int]) -> dict[str, Any] | None:
    """A fitted diameter formula evaluated at n, when the result gives its values or coefficients."""
    if not isinstance(formula, dict):
        return None
    # the quasi-polynomial of engines/cayley/quasipolynomial.py: for n >= valid_from,
    # d(n) = sum_i c_i n^i with the coefficient list of residue n mod period (exact fractions)
    try:
        period = int(formula.get("period") or 1)
        valid_from = int(formula.get("valid_from") or 0)
        by_residue = {int(p["residue"]): [Fraction(str(c)) for c in p["coefficients"]]
                      for p in formula.get("polynomials") or []}
    except (TypeError, ValueError, KeyError, ZeroDivisionError):
        return None
    if not by_residue or not ns:
        return None
    xs = [n for n in range(min(ns), max(ns) + 1) if n >= valid_from and n % period in by_residue]
    ys = [float(sum(c * n**i for i, c in enumerate(by_residue[n % period]))) for n in xs]
    if not xs:
        return None
    label = "fitted: " + str(formula.get("text", ""))[:80]
    return {"label": label, "x": xs, "y": ys}


def _convergence(profile: Any) -> dict[str, Any] | None:
    """|p_n/q_n - L| vs depth: a list of numbers, or of {depth|n, error} points; log scale."""
    ys = _numbers(profile)
    xs: list[float] = list(range(len(ys))) if ys else []
    if ys is None and isinstance(profile, list):
        pts = [(p.get("depth", p.get("n")), p.get("error")) for p in profile if isinstance(p, dict)]
        pts = [(float(x), float(y)) for x, y in pts if isinstance(x, int | float) and isinstance(y, int | float)]
        if pts:
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    if isinstance(profile, dict):
        xs_, ys_ = _numbers(profile.get("depth") or profile.get("n")), _numbers(profile.get("error"))
        if xs_ and ys_:
            xs, ys = xs_, ys_
    if not ys:
        return None
    ys = [max(abs(y), 1e-300) for y in ys]
    return {"id": "convergence", "title": "Convergence: error vs depth", "type": "line",
            "x_label": "depth n", "y_label": "|p_n/q_n - L|", "y_log": True,
            "series": [{"label": "error", "x": xs, "y": ys}]}


def _clusters(clusters: Any) -> dict[str, Any] | None:
    """PCF clusters: one scatter series per cluster over its members' 2-D dynamics metrics."""
    if not isinstance(clusters, list):
        return None
    series = []
    axes: tuple[str, str] | None = None
    for index, cluster in enumerate(clusters[:20]):
        members = cluster.get("members") if isinstance(cluster, dict) else None
        if not isinstance(members, list):
            continue
        xs, ys = [], []
        for member in members[:MAX_POINTS]:
            metrics = member.get("metrics", member) if isinstance(member, dict) else None
            if not isinstance(metrics, dict):
                continue
            numeric = [k for k, v in metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)]
            if axes is None and len(numeric) >= 2:
                axes = (numeric[0], numeric[1])
            if axes and all(isinstance(metrics.get(a), int | float) for a in axes):
                xs.append(float(metrics[axes[0]]))
                ys.append(float(metrics[axes[1]]))
        if xs:
            label = cluster.get("label") or cluster.get("id") or f"cluster {index}"
            series.append({"label": str(label), "x": xs, "y": ys})
    if not series or axes is None:
        return None
    return {"id": "clusters", "title": "PCF clusters by convergence dynamics", "type": "scatter",
            "x_label": axes[0], "y_label": axes[1], "y_log": False, "series": series}


def _feature_scatter(result: dict[str, Any]) -> dict[str, Any] | None:
    """pcf_cluster: PCFs in the first clustering plane (e.g. delta vs eta'), one series per cluster.

    The feature table has one row per PCF; the largest clusters get their own colour and the
    rest (and noise, cluster -1) are one grey series, so the plot stays readable.
    """
    table, planes = result.get("feature_table"), result.get("planes")
    if not (isinstance(table, dict) and isinstance(planes, list) and planes):
        return None
    columns, rows = table.get("columns") or [], table.get("rows") or []
    x_name, y_name = planes[0][0], planes[0][1]
    if not all(c in columns for c in (x_name, y_name, "cluster")):
        return None
    xi, yi, ci = columns.index(x_name), columns.index(y_name), columns.index("cluster")
    groups: dict[int, tuple[list[float], list[float]]] = {}
    for row in rows:
        x, y, cluster = row[xi], row[yi], row[ci]
        if isinstance(x, int | float) and isinstance(y, int | float) and isinstance(cluster, int):
            xs, ys = groups.setdefault(cluster, ([], []))
            if len(xs) < MAX_POINTS // 4:
                xs.append(float(x))
                ys.append(float(y))
    if not groups:
        return None
    ranked = sorted((c for c in groups if c >= 0), key=lambda c: -len(groups[c][0]))
    series = [{"label": f"cluster {c}", "x": groups[c][0], "y": groups[c][1]} for c in ranked[:8]]
    rest_x = [x for c in groups if c not in ranked[:8] for x in groups[c][0]][:MAX_POINTS // 4]
    rest_y = [y for c in groups if c not in ranked[:8] for y in groups[c][1]][:MAX_POINTS // 4]
    if rest_x:
        series.append({"label": "other / noise", "x": rest_x, "y": rest_y})
    return {"id": "clusters", "title": f"PCF clusters: {y_name} vs {x_name}", "type": "scatter",
            "x_label": x_name, "y_label": y_name, "y_log": False, "series": series}
