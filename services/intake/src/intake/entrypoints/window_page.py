"""The comprehensive window's acceptance screen (综合窗口 · 一窗受理), served by intake at ``/window/``: a clerk,
signed in at the identity platform, takes one application for a one-thing (一表申请, 一套材料), follows the case
across its departments, answers the one correction (一次补正) and hands the results over (出件). The page is an
ordinary client of intake's API with the clerk's own bearer token (``/catalogue…`` open, ``/cases…`` the clerk's).
Its HTML, script and style are package data (``entrypoints/window/``); the shell comes from ``onething_screens``."""

from __future__ import annotations

from fastapi import FastAPI
from onething_screens import mount_page

__all__ = ["WINDOW_ASSETS", "WINDOW_PAGE", "mount_window"]

WINDOW_PAGE = "/window/"
WINDOW_ASSETS = "/window-assets"


def mount_window(app: FastAPI) -> None:
    """``GET /window/`` (the clerk's acceptance screen) and its assets at ``/window-assets/…``."""
    mount_page(app, package="intake.entrypoints", folder="window", assets_at=WINDOW_ASSETS, at=WINDOW_PAGE)
