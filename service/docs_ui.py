"""Swagger UI (``/docs``) and ReDoc (``/redoc``) from vendored files: the API docs work offline.

FastAPI's built-in docs pages load Swagger UI and ReDoc from a CDN (and
ReDoc's fonts from Google), so with no network ``/docs`` is a blank page.
Here both come from ``service/static/vendor`` (``swagger-ui-dist`` and
``redoc`` from npm; versions in ``static/vendor/VERSIONS.txt``), served by the
dashboard's ``/static`` mount, and the pages carry a Content-Security-Policy
that allows nothing but this origin, so no request leaves the service even
where a bundle would reach for one (Swagger's validator badge, ReDoc's logo).

The app is created with ``docs_url=None, redoc_url=None`` and
:func:`install_docs` adds the two pages.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

__all__ = ["CSP", "install_docs"]

SWAGGER = "/static/vendor/swagger-ui"
REDOC = "/static/vendor/redoc"

#: only this origin; inline styles for the two React UIs, blob: for ReDoc's search worker
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
       "worker-src 'self' blob:; frame-ancestors 'self'; base-uri 'self'; form-action 'self'")

_SWAGGER_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - Swagger UI</title>
<link rel="icon" type="image/png" href="{root}{swagger}/favicon-32x32.png">
<link rel="stylesheet" href="{root}{swagger}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{root}{swagger}/swagger-ui-bundle.js"></script>
<script src="{root}/docs/swagger-init.js"></script>
</body>
</html>
"""

_SWAGGER_INIT = """window.ui = SwaggerUIBundle(Object.assign({config}, {{
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]
}}));
"""

_REDOC_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - ReDoc</title>
<link rel="icon" type="image/png" href="{root}{swagger}/favicon-32x32.png">
</head>
<body style="margin: 0; padding: 0">
<redoc spec-url="{root}{openapi}"></redoc>
<script src="{root}{redoc}/redoc.standalone.js"></script>
</body>
</html>
"""


def _headers() -> dict[str, str]:
    return {"Content-Security-Policy": CSP, "Cache-Control": "no-cache"}


def install_docs(app: FastAPI) -> None:
    """Add ``/docs`` (Swagger UI), its init script, and ``/redoc`` (ReDoc) to ``app``."""
    openapi = app.openapi_url or "/openapi.json"

    def page(template: str, request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return HTMLResponse(template.format(title=app.title, root=root, openapi=openapi,
                                            swagger=SWAGGER, redoc=REDOC), headers=_headers())

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        return page(_SWAGGER_HTML, request)

    @app.get("/docs/swagger-init.js", include_in_schema=False)
    def swagger_init(request: Request) -> Response:
        root = request.scope.get("root_path", "").rstrip("/")
        config: dict[str, Any] = {
            "url": root + openapi, "dom_id": "#swagger-ui", "layout": "BaseLayout",
            "deepLinking": True, "showExtensions": True, "showCommonExtensions": True,
            "validatorUrl": None,  # the default asks validator.swagger.io about the spec
        }
        return Response(_SWAGGER_INIT.format(config=json.dumps(config)),
                        media_type="text/javascript", headers=_headers())

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        return page(_REDOC_HTML, request)
