"""Job types as text for the terminal: ``mathdisco types`` and the list ending ``run --help``.

Both read the catalogue of ``GET /v1/job-types`` (:func:`mathdisco.service.views.job_types_catalogue`),
each type's params with the type's key params first, then the required ones, then the rest.

Example
-------
>>> entry = {"name": "demo", "summary": "a demo", "queue": "default", "available": True,
...          "key_params": ["n"], "defaults": {"n": 3, "verbose": False},
...          "schema": {"properties": {"verbose": {"type": "boolean"}, "n": {"type": "integer"},
...                                    "x": {"type": "string", "description": "the input"}},
...                     "required": ["x"]}}
>>> print(types_overview([entry]))
demo: a demo
    params: n=3, x (required), verbose=false
"""

from __future__ import annotations

import json
from typing import Any

from mathdisco.service.cli_params import allowed_types

__all__ = ["type_details", "types_overview"]


def _default_text(entry: dict[str, Any], name: str) -> str:
    if name in entry["defaults"]:
        return json.dumps(entry["defaults"][name])
    return "(required)"


def _ordered_params(entry: dict[str, Any]) -> list[str]:
    """The params of a catalogue entry: the type's key params first, then required ones, then the rest."""
    properties = list(entry["schema"].get("properties", {}))
    required = set(entry["schema"].get("required", []))
    key = [n for n in entry.get("key_params", []) if n in properties]
    return (key + [n for n in properties if n in required and n not in key]
            + [n for n in properties if n not in required and n not in key])


def _params_line(entry: dict[str, Any]) -> str:
    required = set(entry["schema"].get("required", []))
    parts = [f"{name} (required)" if name in required else f"{name}={_default_text(entry, name)}"
             for name in _ordered_params(entry)]
    return ", ".join(parts)


def types_overview(catalogue: list[dict[str, Any]], width: int = 100) -> str:
    """Each job type with its summary and its params with their defaults (for ``--help``)."""
    import textwrap

    blocks = []
    for entry in sorted(catalogue, key=lambda e: e["name"]):
        head = f"{entry['name']}: {entry['summary']}"
        if not entry["available"]:
            head += f" [unavailable: {entry['unavailable_reason']}]"
        lines = textwrap.wrap(head, width, subsequent_indent="    ")
        lines += textwrap.wrap("params: " + _params_line(entry), width, initial_indent="    ",
                               subsequent_indent="        ")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def type_details(entry: dict[str, Any]) -> str:
    """One job type: summary, queue, availability and a table of its params."""

    schema = entry["schema"]
    defs = schema.get("$defs", {})
    lines = [f"{entry['name']}: {entry['summary']}", f"queue: {entry['queue']}"]
    if not entry["available"]:
        lines.append(f"unavailable here: {entry['unavailable_reason']}")
    lines.append("params:")
    properties = schema.get("properties", {})
    width = max((len(n) for n in properties), default=0)
    for name in _ordered_params(entry):
        field = properties[name]
        kinds = "|".join(sorted(allowed_types(field, defs))) or "any"
        description = field.get("description", "")
        default = "required" if name not in entry["defaults"] else f"default {_default_text(entry, name)}"
        lines.append(f"  {name:<{width}}  {kinds:<14} {default}"
                     + (f"  {description}" if description else ""))
    return "\n".join(lines)
