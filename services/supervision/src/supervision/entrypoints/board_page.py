"""The supervision board (电子监察看板), served by supervision at ``/``: a supervisor's screen of open yellow and
red cards (黄牌/红牌) with their supervision orders (督办) and forced stops, the departments holding late clocks,
rectification clocks (整改) and the efficiency (办理效能) and satisfaction (好差评) figures with charts. The page
is a client of supervision's routes (``/cards``, ``/late-departments``, ``/cases/{id}/supervision``,
``/cases/{id}/audit``, ``/figures``) and of rating's ``/figures``, with the supervisor's own token. Its HTML,
script, style and the vendored chart library are package data (``entrypoints/board/``)."""

from __future__ import annotations

from fastapi import FastAPI
from onething_screens import mount_page

__all__ = ["BOARD_ASSETS", "mount_board"]

BOARD_ASSETS = "/board"


def mount_board(app: FastAPI) -> None:
    """``GET /`` (the board), its assets at ``/board/…`` and the shell at ``/shell/…``."""
    mount_page(app, package="supervision.entrypoints", folder="board", assets_at=BOARD_ASSETS)
