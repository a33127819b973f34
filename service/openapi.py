"""The OpenAPI document, with every job type's result model described.

FastAPI documents the routes; this adds the result models the engines
declare (``JobType.result_model``) to ``components.schemas`` and a
``JobResult`` schema (one of them, or a partial result), so /docs shows what
``GET /v1/jobs/{id}/result`` contains for each job type.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema

from mathdisco.engines.registry import job_types

__all__ = ["install_openapi"]

PARTIAL_RESULT = {
    "title": "PartialResult",
    "type": "object",
    "description": "What a cancelled or failed sharded job stored before it stopped.",
    "properties": {"partial": {"const": True}, "status": {"type": "string"},
                   "shards_total": {"type": "integer"}, "shards_stored": {"type": "integer"},
                   "shards": {"type": "array", "items": {"type": "object"}}},
    "required": ["partial", "shards"],
}


def _result_components() -> tuple[dict[str, Any], dict[str, Any]]:
    models = [(jt.result_model, "validation") for jt in job_types().values() if jt.result_model]
    if not models:
        return {}, {"type": "object"}
    top, definitions = models_json_schema(models, ref_template="#/components/schemas/{model}")
    refs = [schema for schema in top.values()]
    names = {jt.result_model.__name__: jt.name for jt in job_types().values() if jt.result_model}
    for name, job_type in names.items():
        if name in definitions.get("$defs", {}):
            definitions["$defs"][name].setdefault(
                "description", f"The result of a `{job_type}` job.")
    one_of = [*refs, {"$ref": "#/components/schemas/PartialResult"}]
    return {**definitions.get("$defs", {}), "PartialResult": PARTIAL_RESULT}, {"oneOf": one_of}


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` with one that adds the result models (built once, on first use)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, description=app.description,
                                   routes=app.routes)
            components, job_result = _result_components()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in components.items():
                schemas.setdefault(name, schema)
            schemas["JobResult"] = job_result
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
