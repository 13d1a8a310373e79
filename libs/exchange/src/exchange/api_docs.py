"""API documentation pages that work offline (接口文档离线可用): ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc).

FastAPI's own pages load their JavaScript and CSS from a CDN, so on a machine without internet they are blank.
:func:`serve_api_docs` (called by :func:`exchange.runtime.serve` for every service) replaces them with the same
pages pointing at assets the service serves itself under :data:`ASSETS_PATH`: Swagger UI 5 and ReDoc 2 as the
``fastapi-offline`` package ships them (PyPI, MIT; Swagger UI is Apache-2.0 and ReDoc MIT upstream). No Google
fonts either. Open like the OpenAPI document they read.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import Route

__all__ = ["ASSETS_PATH", "assets_dir", "serve_api_docs"]

ASSETS_PATH = "/docs-assets"
SWAGGER_JS, SWAGGER_CSS, REDOC_JS, FAVICON = "swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"


def assets_dir() -> Path:
    """Where the installed ``fastapi-offline`` keeps the assets."""
    return Path(str(files("fastapi_offline") / "static"))


def serve_api_docs(app: FastAPI) -> None:
    """Serve ``app``'s ``/docs`` and ``/redoc`` (wherever the app put them) from local assets. Idempotent."""
    if getattr(app.state, "api_docs_offline", False) or app.openapi_url is None:
        return
    app.state.api_docs_offline = True
    pages = {app.docs_url, app.redoc_url} - {None}
    # FastAPI added its CDN pages when the app was made; they go, and ours take their paths.
    app.router.routes[:] = [r for r in app.router.routes if not (isinstance(r, Route) and r.path in pages)]
    app.mount(ASSETS_PATH, StaticFiles(directory=assets_dir()), name="docs-assets")
    openapi_url, title = app.openapi_url, app.title

    def asset(request: Request, name: str) -> str:
        return f"{request.scope.get('root_path', '').rstrip('/')}{ASSETS_PATH}/{name}"

    if app.docs_url is not None:
        redirect = app.swagger_ui_oauth2_redirect_url

        async def swagger_ui(request: Request) -> HTMLResponse:
            root = request.scope.get("root_path", "").rstrip("/")
            return get_swagger_ui_html(
                openapi_url=root + openapi_url, title=f"{title} - Swagger UI",
                oauth2_redirect_url=root + redirect if redirect else None, init_oauth=app.swagger_ui_init_oauth,
                swagger_js_url=asset(request, SWAGGER_JS), swagger_css_url=asset(request, SWAGGER_CSS),
                swagger_favicon_url=asset(request, FAVICON), swagger_ui_parameters=app.swagger_ui_parameters)

        app.add_route(app.docs_url, swagger_ui, include_in_schema=False)
    if app.redoc_url is not None:

        async def redoc(request: Request) -> HTMLResponse:
            root = request.scope.get("root_path", "").rstrip("/")
            return get_redoc_html(
                openapi_url=root + openapi_url, title=f"{title} - ReDoc", redoc_js_url=asset(request, REDOC_JS),
                redoc_favicon_url=asset(request, FAVICON), with_google_fonts=False)

        app.add_route(app.redoc_url, redoc, include_in_schema=False)
