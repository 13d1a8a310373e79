"""Calls from another service's page (跨源调用, CORS): the portal on intake's origin downloads a licence from the
licence service and rates on the rating service with the applicant's own token; the ops room reads every
service's health and dead letters with the operator's.

Only the origins of the system's own services (``ONETHING_SERVICE_URLS``) and those added
(``ONETHING_HTTP_ALLOWED_ORIGINS``) may; a page from anywhere else gets no ``Access-Control-Allow-Origin`` and the
browser keeps the answer from it. No cookies are involved (credentials are bearer tokens a page sends itself), so
``Access-Control-Allow-Credentials`` is never sent. The origins are set when the process's settings are applied
(:func:`exchange.http_edge.harden`), after the app was built, so the middleware reads them on each request.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["CrossOrigin"]

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_REQUEST_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "Accept-Language", "traceparent"]
_EXPOSED_HEADERS = ["Location", "Retry-After", "Content-Disposition", "traceparent"]


class CrossOrigin:
    """CORS for the origins ``origins()`` names at the time; none: the app alone, as without CORS."""

    def __init__(self, app: ASGIApp, origins: Callable[[], tuple[str, ...]]) -> None:
        self.app, self.origins = app, origins
        self._built: tuple[tuple[str, ...], ASGIApp] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origins = self.origins()
        if scope["type"] != "http" or not origins:
            await self.app(scope, receive, send)
            return
        if self._built is None or self._built[0] != origins:
            self._built = (origins, CORSMiddleware(
                self.app, allow_origins=list(origins), allow_methods=_METHODS, allow_headers=_REQUEST_HEADERS,
                expose_headers=_EXPOSED_HEADERS, allow_credentials=False, max_age=600))
        await self._built[1](scope, receive, send)
