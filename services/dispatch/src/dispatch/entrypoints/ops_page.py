"""The ops room (运维室), served by dispatch at ``/ops/``: each process's health and restarts, consumer lag, dead
letters with their re-drive, and a case's trace. The page is an ordinary client of the system's APIs with the
operator's own token: every service's open ``/healthz``, ``/readyz`` and ``/metrics`` and its ``/dead-letters``
(across origins, CORS), and dispatch's ``/ops/restarts`` and ``/traces/{case_id}`` (``entrypoints.ops_api``).
Its HTML, script and style are package data (``entrypoints/ops/``); the shared shell comes from
``onething_screens``."""

from __future__ import annotations

from fastapi import FastAPI
from onething_screens import mount_page

__all__ = ["OPS_ASSETS", "mount_ops_room"]

OPS_ASSETS = "/ops-room"


def mount_ops_room(app: FastAPI) -> None:
    """``GET /ops/`` (the ops room), its assets at ``/ops-room/…`` and the shell at ``/shell/…``."""
    mount_page(app, package="dispatch.entrypoints", folder="ops", assets_at=OPS_ASSETS, at="/ops/")
