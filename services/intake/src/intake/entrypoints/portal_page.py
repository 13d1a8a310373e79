"""The portal (网上办事大厅), served by intake at ``/portal/``: the applicant, signed in at 统一身份认证 as themselves,
applies online (一表申请), follows each case on one timeline across departments, answers a correction once
(一次补正), downloads and verifies their e-licences, and rates every touchpoint (好差评). The page is an ordinary
client of the system's APIs with the applicant's own token: intake's (``/catalogue``, ``/drafts``, ``/cases``,
``/my/cases``), licence's (``/holders/{id}/licences``, ``/licences/{id}/pdf``) and rating's (touchpoints,
``/ratings``), across origins where CORS allows the system's own. Its HTML, script and style are package data
(``entrypoints/portal/``); the shell comes from ``onething_screens``."""

from __future__ import annotations

from fastapi import FastAPI
from onething_screens import mount_page

__all__ = ["PORTAL_ASSETS", "PORTAL_PATH", "mount_portal"]

PORTAL_PATH = "/portal/"
PORTAL_ASSETS = "/portal-assets"


def mount_portal(app: FastAPI) -> None:
    """``GET /portal/`` (the applicant's portal), its assets at ``/portal-assets/…`` and the shell at ``/shell/…``."""
    mount_page(app, package="intake.entrypoints", folder="portal", assets_at=PORTAL_ASSETS, at=PORTAL_PATH)
