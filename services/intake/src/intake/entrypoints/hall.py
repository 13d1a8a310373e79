"""The hall's screens (大厅画面), served by intake at ``/``: today the one-thing finder (一件事导办) of the
comprehensive window. The page is a client of intake's public routes (``/catalogue``, ``/catalogue/{code}``,
``/catalogue/{code}/notice``) like any other; it reads them from the same origin, anonymously, as they are open.
Its HTML, script and style are package data (``entrypoints/hall/``), the shared shell comes from
``onething_screens``: nothing is fetched from anywhere else."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from onething_screens import PackageAssets, mount_shell, page_response, read_page

__all__ = ["HALL_ASSETS", "mount_hall"]

HALL_ASSETS = "/hall"


def mount_hall(app: FastAPI) -> None:
    """``GET /`` (the finder), its assets at ``/hall/…`` and the shell at ``/shell/…``."""
    finder = read_page("intake.entrypoints", "hall/index.html")
    mount_shell(app)
    app.mount(HALL_ASSETS, PackageAssets(packages=[("intake.entrypoints", "hall")]), name="hall")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def one_thing_finder() -> HTMLResponse:
        return page_response(finder)
