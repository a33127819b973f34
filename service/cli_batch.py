"""``mathdisco batch``: reading a file of job specs, checking every spec, idempotency keys.

Nothing of a file is submitted unless every spec passes :func:`spec_problems`:
the type must be one the server offers, its params must pass the server's
published schema (:func:`mathdisco.service.cli_params.check_against_schema`) and, when
this installation has the same type with the same schema, its params model
(the rules between fields).  Keys (:func:`batch_key`) are deterministic, so a
re-run submits nothing twice; a salt (``--key-salt``) starts a new set of keys.

Example
-------
>>> from pathlib import Path
>>> path, spec = Path("nightly.yaml"), {"type": "esma", "params": {"constant": "e"}}
>>> batch_key(path, 0, spec, "2026-12-07") == batch_key(path, 0, spec, "2026-12-07")
True
>>> batch_key(path, 0, spec, "2026-12-07") != batch_key(path, 0, spec, "2026-12-08")
True
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from mathdisco.service.cli_params import check_against_schema, describe_errors, unknown_type_message

__all__ = ["batch_key", "load_batch", "one_line", "spec_problems"]


def load_batch(path: Path) -> list[dict[str, Any]]:
    """Job specs from a YAML or JSON file: a list of {type, params}, or {jobs: [...]}."""
    import yaml

    text = path.read_text()
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if isinstance(data, dict) and "jobs" in data:
        data = data["jobs"]
    if not isinstance(data, list) or not data:
        raise ValueError("the file must hold a non-empty list of job specs (or {jobs: [...]})")
    for i, spec in enumerate(data):
        if not isinstance(spec, dict) or "type" not in spec or not isinstance(spec.get("params", {}), dict):
            raise ValueError(f"spec {i} must be a mapping with 'type' and optional 'params'")
        if set(spec) - {"type", "params"}:
            raise ValueError(f"spec {i} has unknown keys {sorted(set(spec) - {'type', 'params'})}")
    return data


def one_line(exc: Exception) -> str:
    """An exception as one line; a YAML syntax error as its problem and position."""
    mark = getattr(exc, "problem_mark", None)
    if mark is not None and getattr(exc, "problem", None):
        return f"{exc.problem} at line {mark.line + 1}, column {mark.column + 1}"
    return " ".join(str(exc).split()) or type(exc).__name__


def batch_key(path: Path, index: int, spec: dict[str, Any], salt: str = "") -> str:
    """A deterministic idempotency key: re-running the same file (and salt) resubmits nothing.

    ``salt`` (``--key-salt``, e.g. the date) makes a new key for every salt, so a
    nightly run recomputes while a re-run with the same salt does not.  No salt
    gives the keys of earlier versions.
    """
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    material = f"{path.name}\0{index}\0{canonical}" + (f"\0{salt}" if salt else "")
    return "batch-" + hashlib.sha256(material.encode()).hexdigest()[:40]


def spec_problems(spec: dict[str, Any], catalogue: list[dict[str, Any]]) -> list[str]:
    """What is wrong with one batch spec, by the server's catalogue (and the local model when it agrees).

    The type must be one the server offers; params are checked against the
    server's published schema, and, when this installation has the same type
    with the same schema, by its params model too (rules between fields).
    """
    by_name = {e["name"]: e for e in catalogue}
    entry = by_name.get(spec["type"])
    if entry is None:
        return [unknown_type_message(str(spec["type"]), by_name)]
    params = spec.get("params", {}) or {}
    problems = check_against_schema(params, entry["schema"])
    if problems:
        return problems
    from pydantic import ValidationError

    from mathdisco.engines.registry import job_types

    local = job_types().get(spec["type"])
    if local is not None and local.params_model.model_json_schema() == entry["schema"]:
        try:
            local.validate(params)
        except ValidationError as exc:
            return describe_errors(exc.errors())
    return []
