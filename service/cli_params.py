"""Job params on the command line: ``--param k=v`` typed by the job type's JSON schema.

The command line has only text, and a job type's params are typed.  Guessing
the type from the text (``json.loads`` and fall back to a string) turns
``value=1.2020569031595942853997381615114499907650`` into a float with 17
digits, the opposite of what ``identify`` needs.  So each value is read the way
the job type's params schema (the JSON Schema of its pydantic model, as
``GET /v1/job-types`` publishes it) says:

* a field that accepts a string gets the text as it is (``null`` is None when
  the field also accepts null);
* numbers, booleans, arrays and objects are read as JSON; an array also
  accepts comma-separated items (``constants=pi,e``, ``insertions=1,2,3``),
  each read by the item schema; a boolean also accepts yes/no/on/off;
* anything else is passed on as text, so the params model reports the problem.

:func:`check_against_schema` is a small client-side check of params against
the published schema (unknown and missing fields, types, enums, bounds), used
by ``batch`` to refuse a bad file before submitting anything;
:func:`did_you_mean` suggests the closest known name.

Example
-------
>>> schema = {"properties": {"value": {"type": "string"},
...                          "digits": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
...                          "constants": {"type": "array", "items": {"type": "string"}}},
...           "required": ["value"]}
>>> parse_pairs(["value=1.2020569031595942853997381615114499907650", "digits=30",
...              "constants=pi,zeta3"], schema, "identify")
{'value': '1.2020569031595942853997381615114499907650', 'digits': 30, 'constants': ['pi', 'zeta3']}
>>> check_against_schema({"valeu": "1.5"}, schema)
["unknown param 'valeu' (did you mean 'value'?)", "missing required param 'value'"]
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mathdisco.engines.registry import did_you_mean, unknown_type_message

__all__ = [
    "CliError",
    "allowed_types",
    "check_against_schema",
    "coerce",
    "describe_errors",
    "did_you_mean",
    "parse_pairs",
    "unknown_type_message",
]

#: exit codes: a job failed; bad input or a refusal; a job succeeded but a limit stopped it early
EXIT_FAILED, EXIT_BAD_INPUT, EXIT_LIMITED = 1, 2, 3

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_JSON_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool,
               "array": list, "object": dict, "null": type(None)}


class CliError(Exception):
    """A problem to report as one line on stderr, exiting with ``code``."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def _resolve(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return defs.get(ref.removeprefix("#/$defs/"), {})
    return schema


def _alternatives(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The schema's alternatives (anyOf / oneOf / allOf / $ref flattened)."""
    schema = _resolve(schema, defs)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [alt for option in schema[key] for alt in _alternatives(option, defs)]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _alternatives(schema["allOf"][0], defs)
    return [schema]


def allowed_types(schema: Mapping[str, Any], defs: Mapping[str, Any] | None = None) -> set[str]:
    """The JSON types a field schema accepts (empty when the schema does not say).

    >>> sorted(allowed_types({"anyOf": [{"type": "string"}, {"type": "null"}]}))
    ['null', 'string']
    >>> sorted(allowed_types({"enum": ["a", 1]}))
    ['integer', 'string']
    """
    defs = defs or {}
    types: set[str] = set()
    for option in _alternatives(schema, defs):
        declared = option.get("type")
        if isinstance(declared, str):
            types.add(declared)
        elif isinstance(declared, list):
            types.update(t for t in declared if isinstance(t, str))
        values = option.get("enum", [option["const"]] if "const" in option else [])
        for value in values:
            types.add(_json_type(value))
    return types


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _item_schema(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any]:
    for option in _alternatives(schema, defs):
        if option.get("type") == "array":
            return _resolve(option.get("items", {}), defs)
    return {}


def coerce(raw: str, schema: Mapping[str, Any], defs: Mapping[str, Any] | None = None) -> Any:
    """The value of ``raw`` (command-line text) as the field ``schema`` wants it.

    >>> coerce("1.2020569031595942853997381615114499907650", {"type": "string"})
    '1.2020569031595942853997381615114499907650'
    >>> coerce("20", {"type": "number"}), coerce("yes", {"type": "boolean"})
    (20, True)
    >>> coerce("1,2,3", {"type": "array", "items": {"type": "integer"}})
    [1, 2, 3]
    >>> coerce("null", {"anyOf": [{"type": "string"}, {"type": "null"}]}) is None
    True
    """
    defs = defs or {}
    types = allowed_types(schema, defs)
    if not types:
        return _json_or_text(raw)
    if raw == "null" and "null" in types:
        return None
    if "string" in types:
        return raw
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = _NOT_JSON
    if value is not _NOT_JSON and _json_type(value) in types | ({"integer"} if "number" in types else set()):
        return value
    if "boolean" in types and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    if "array" in types and not raw.lstrip().startswith("["):
        item = _item_schema(schema, defs)
        parts = [p.strip() for p in raw.split(",")] if raw.strip() else []
        return [coerce(p, item, defs) for p in parts]
    return raw if value is _NOT_JSON else value


_NOT_JSON = object()


def _json_or_text(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def parse_pairs(pairs: Sequence[str], schema: Mapping[str, Any], type_name: str) -> dict[str, Any]:
    """``key=value`` pairs as params, each value typed by ``schema``; unknown keys refused."""
    properties = schema.get("properties", {})
    defs = schema.get("$defs", {})
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CliError(f"--param expects key=value, got {pair!r}")
        if properties and key not in properties:
            raise CliError(f"unknown param {key!r} for {type_name}{did_you_mean(key, properties)}; "
                           f"params: {', '.join(properties)}")
        params[key] = coerce(value, properties.get(key, {}), defs)
    return params


def describe_errors(errors: Iterable[Mapping[str, Any]]) -> list[str]:
    """Pydantic errors (``exc.errors()``) as ``field: message`` texts."""
    return [f"{'.'.join(str(p) for p in error.get('loc', ())) or 'params'}: {error.get('msg', 'invalid')}"
            for error in errors]


def check_against_schema(params: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """What is wrong with ``params`` by the published schema (empty when nothing is).

    Checks unknown and missing fields, and per field its JSON type, ``enum`` /
    ``const``, numeric bounds, string length and list length.  Rules between
    fields are the server's (or the local model's) to check.
    """
    defs = schema.get("$defs", {})
    properties = schema.get("properties", {})
    problems = []
    if not isinstance(params, Mapping):
        return ["params must be a mapping"]
    for key in params:
        if key not in properties and schema.get("additionalProperties") is not True:
            problems.append(f"unknown param {key!r}{did_you_mean(key, properties)}")
    for key in schema.get("required", []):
        if key not in params:
            problems.append(f"missing required param {key!r}")
    for key, value in params.items():
        if key in properties:
            problem = _field_problem(value, properties[key], defs)
            if problem:
                problems.append(f"{key}: {problem}")
    return problems


def _field_problem(value: Any, schema: Mapping[str, Any], defs: Mapping[str, Any]) -> str | None:
    options = _alternatives(schema, defs)
    reasons = [_option_problem(value, option, defs) for option in options]
    if any(reason is None for reason in reasons):
        return None
    return reasons[0] if len(reasons) == 1 else " or ".join(dict.fromkeys(r for r in reasons if r))


def _option_problem(value: Any, option: Mapping[str, Any], defs: Mapping[str, Any]) -> str | None:
    if "const" in option and value != option["const"]:
        return f"must be {option['const']!r}"
    if "enum" in option and value not in option["enum"]:
        return f"must be one of {', '.join(map(repr, option['enum']))}{did_you_mean(str(value), map(str, option['enum']))}"
    declared = option.get("type")
    if declared is None:
        return None
    names = [declared] if isinstance(declared, str) else list(declared)
    kind = _json_type(value)
    if not any(kind == name or (name == "number" and kind == "integer") for name in names):
        return f"expected {' or '.join(names)}, got {kind}"
    if kind in {"integer", "number"}:
        for bound, test, word in (("minimum", lambda v, b: v >= b, ">="), ("maximum", lambda v, b: v <= b, "<="),
                                  ("exclusiveMinimum", lambda v, b: v > b, ">"),
                                  ("exclusiveMaximum", lambda v, b: v < b, "<")):
            if bound in option and not test(value, option[bound]):
                return f"must be {word} {option[bound]}"
    if kind == "string":
        if "maxLength" in option and len(value) > option["maxLength"]:
            return f"at most {option['maxLength']} characters"
        if "minLength" in option and len(value) < option["minLength"]:
            return f"at least {option['minLength']} characters"
    if kind == "array":
        if "maxItems" in option and len(value) > option["maxItems"]:
            return f"at most {option['maxItems']} items"
        if "minItems" in option and len(value) < option["minItems"]:
            return f"at least {option['minItems']} items"
        item = option.get("items")
        if isinstance(item, Mapping):
            for i, element in enumerate(value):
                problem = _field_problem(element, item, defs)
                if problem:
                    return f"item {i}: {problem}"
    return None
