"""Serving a screen: its HTML page and the assets beside it, from package data, with the headers a public
government page needs. Every asset comes from the service itself (no CDN), and the page's Content-Security-Policy
holds the browser to that: a script, style or font from any other origin is refused, and so is a request to any
origin but the page's own and those of the system's other services (``app.state.service_urls``, which
:func:`exchange.http_edge.harden` sets from the process's settings; ``GET /screen-links.json`` gives them to the
page, with ``identity``, where people sign in)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = ["CONTENT_SECURITY_POLICY", "SHELL_PREFIX", "PackageAssets", "content_security_policy", "mount_page",
           "mount_shell", "service_urls", "with_shell_header"]

SHELL_PREFIX = "/shell"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
LINKS_PATH = "/screen-links.json"


def service_urls(app: FastAPI) -> dict[str, str]:
    """Where the system's services and its identity platform answer (empty when the process set none)."""
    return dict(getattr(app.state, "service_urls", None) or {})


# A page names its place once: <header class="shell-bar" data-place="综合窗口 · 窗口人员" data-place-en="…"></header>.
_HEADER_SLOT = re.compile(r'<header class="shell-bar" data-place="([^"<>]+)" data-place-en="([^"<>]+)"></header>')
_HEADER = """<header class="shell-bar">
  <p class="shell-brand" data-en="OneThing: one application, one result">一件事一次办</p>
  <p class="shell-place" data-en="{en}">{zh}</p>
  <div class="shell-switches">
    <div id="shell-session" class="shell-session"></div>
    <button type="button" id="lang-switch" lang="en">English</button>
    <button type="button" id="senior-switch" aria-pressed="false" data-en="Senior mode">长者专版</button>
  </div>
</header>"""


def with_shell_header(html: str) -> str:
    """The page with the shell's header bar in its slot: the brand, the page's place (its own words, already
    HTML), the sign-in corner (``#shell-session``, for ``showSession``), the language and senior-mode switches.
    Every screen's header is this one; a page without the slot is left as it is."""
    return _HEADER_SLOT.sub(lambda m: _HEADER.format(zh=m.group(1), en=m.group(2)), html, count=1)


def content_security_policy(links: Mapping[str, str]) -> str:
    """The page policy, with requests allowed to the origins of ``links`` besides the page's own."""
    origins = sorted({f"{u.scheme}://{u.netloc}" for u in map(urlsplit, links.values()) if u.scheme in ("http", "https")})
    if not origins:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("connect-src 'self'", "connect-src 'self' " + " ".join(origins))

# The file names carry no version, so the browser revalidates every time (a 304 against the ETag costs little):
# a service upgraded in place never runs yesterday's script against today's API.
_ASSET_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
_PAGE_HEADERS = {**_ASSET_HEADERS, "Referrer-Policy": "same-origin"}


class PackageAssets(StaticFiles):
    """A folder of a package's data served as static files (content type by extension, ETag, 304), revalidated.
    Its HTML is not served: a page comes from its own route, with the page's headers (the CSP, no framing); the
    same file as an asset would be the page without them."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path.lower().endswith((".html", ".htm")):
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.update(_ASSET_HEADERS)
        return response


def mount_shell(app: FastAPI) -> None:
    """Serve the shared shell (``/shell/shell.css``, ``shell.js``, ``session.js``) and ``/screen-links.json`` on
    ``app``, once however often called."""
    if any(getattr(route, "path", None) == SHELL_PREFIX for route in app.routes):
        return
    app.mount(SHELL_PREFIX, PackageAssets(packages=[("onething_screens", "shell")]), name="shell")

    @app.get(LINKS_PATH, include_in_schema=False)
    async def links(request: Request) -> JSONResponse:
        return JSONResponse(service_urls(request.app), headers=_ASSET_HEADERS)


def mount_page(app: FastAPI, *, package: str, folder: str, assets_at: str, at: str = "/") -> None:
    """A service's screen: ``GET at`` answers ``<folder>/index.html`` of ``package``'s data with the page's headers
    (the CSP, no framing), the folder's other files are its assets at ``assets_at`` (its HTML is not served there),
    and the shared shell is at ``/shell``. The page is read when the app is built, not at import."""
    html = with_shell_header(files(package).joinpath(folder, "index.html").read_text(encoding="utf-8"))
    mount_shell(app)
    app.mount(assets_at, PackageAssets(packages=[(package, folder)]), name=folder)

    @app.get(at, response_class=HTMLResponse, include_in_schema=False)
    async def page(request: Request) -> HTMLResponse:
        policy = content_security_policy(service_urls(request.app))
        return HTMLResponse(html, headers={**_PAGE_HEADERS, "Content-Security-Policy": policy})
