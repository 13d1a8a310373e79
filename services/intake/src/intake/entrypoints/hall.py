"""The hall's screens (大厅画面), served by intake at ``/``: today the one-thing finder (一件事导办) of the
comprehensive window. The page is a client of intake's public routes (``/catalogue``, ``/catalogue/{code}``,
``/catalogue/{code}/notice``) like any other; it reads them from the same origin, anonymously, as they are open.
Its HTML, script and style are package data (``entrypoints/hall/``), the shared shell comes from
``onething_screens``: nothing is fetched from anywhere else."""

from __future__ import annotations

from fastapi import FastAPI
from onething_screens import mount_page

__all__ = ["HALL_ASSETS", "mount_hall"]

HALL_ASSETS = "/hall"


def mount_hall(app: FastAPI) -> None:
    """``GET /`` (the finder), its assets at ``/hall/…`` and the shell at ``/shell/…``."""
    mount_page(app, package="intake.entrypoints", folder="hall", assets_at=HALL_ASSETS)
