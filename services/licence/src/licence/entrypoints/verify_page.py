"""The e-licence verification page (证照验真), served by licence at ``/``, for anyone: an applicant checking their
own licence, a clerk at the window, a third party shown one. It is a client of the public route
``POST /verify/document`` (what was presented, with the licence's particulars, the holder masked) from the same
origin, anonymously, like any other client. Its HTML, script and style are package data (``entrypoints/verify_page/``);
the shared shell comes from ``onething_screens``: nothing is fetched from anywhere else."""

from __future__ import annotations

from fastapi import FastAPI
from onething_screens import mount_page

__all__ = ["VERIFY_PAGE_ASSETS", "mount_verify_page"]

VERIFY_PAGE_ASSETS = "/verify-page"


def mount_verify_page(app: FastAPI) -> None:
    """``GET /`` (the page), its assets at ``/verify-page/…`` and the shell at ``/shell/…``."""
    mount_page(app, package="licence.entrypoints", folder="verify_page", assets_at=VERIFY_PAGE_ASSETS)
