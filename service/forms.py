"""The dashboard's submit form, generated from a job type's params JSON schema.

Nothing here touches HTTP or the store, so each piece is testable on its own:

* :func:`form_fields` turns the schema into one input per top-level
  property -- the type's key params first, then required ones, then the
  rest; a select for enums and booleans, number/text inputs for scalars, a
  JSON textarea with a worked example for lists and anything nested;
* :func:`parse_form` turns the submitted strings back into params, with
  per-field errors for what cannot even be parsed (the engine's pydantic
  model does the real validation afterwards);
* :func:`field_errors` maps problem+json errors back onto the fields.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any


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
    key: bool = False  # one of the job type's key params (shown first, highlighted)
    example: str = ""  # placeholder of a JSON input: the default and a worked example


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


def _example(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    """A worked example for a JSON input: the schema's own, or one built from the item types."""
    for key in ("examples", "example"):
        if prop.get(key):
            value = prop[key][0] if key == "examples" and isinstance(prop[key], list) else prop[key]
            return json.dumps(value)
    if prop.get("type") == "array":
        item = _effective(prop.get("items", {}), defs)
        kind = item.get("type")
        if kind == "array":
            inner = _effective(item.get("items", {}), defs).get("type")
            sample = [[1, 2], [3, 4]] if inner in ("integer", "number") else [["a", "b"]]
        elif "enum" in item:
            sample = item["enum"][:2]
        elif kind == "string":
            sample = ["pi", "e"]
        elif kind in ("integer", "number"):
            sample = [1, 2, 3]
        else:
            return "a JSON list"
        return "e.g. " + json.dumps(sample)
    return "JSON"


def form_fields(schema: dict[str, Any], key_params: tuple[str, ...] = ()) -> list[FormField]:
    """One field per top-level property: ``key_params`` first, then required ones, then the rest."""
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    properties = schema.get("properties", {})
    order = ([n for n in key_params if n in properties]
             + [n for n in properties if n in required and n not in key_params]
             + [n for n in properties if n not in required and n not in key_params])
    fields = []
    for name in order:
        raw = properties[name]
        prop = _effective(raw, defs)
        default = raw.get("default", prop.get("default"))
        shown = "" if default is None else (json.dumps(default) if isinstance(default, list | dict)
                                             else str(default).lower() if isinstance(default, bool)
                                             else str(default))
        kind = prop.get("type", "json") if isinstance(prop.get("type"), str) else "json"
        common = dict(name=name, label=raw.get("title", name), required=name in required,
                      default=shown, description=raw.get("description", prop.get("description", "")),
                      key=name in key_params)
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
            example = _example(prop, defs)
            placeholder = f"{shown}  ({example})" if shown and shown != "[]" else example
            fields.append(FormField(widget="json", kind="json", example=placeholder, **common))
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
