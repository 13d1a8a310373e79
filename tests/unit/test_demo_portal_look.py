"""The demo's applicants look at the portal for a correction notice the case stream did not show them
(onething.demo.notices_shown): the cases whose intake view asks for a correction, and no others."""

from __future__ import annotations

import asyncio

import httpx

from onething.demo import notices_shown


def test_only_the_cases_whose_view_asks_for_a_correction_are_found() -> None:
    views = {
        "/cases/OT-A": {"case_id": "OT-A", "status": "awaiting_correction", "correction": {"round": 1}},
        "/cases/OT-B": {"case_id": "OT-B", "status": "in_progress", "correction": None},
    }
    asked_as: dict[str, str | None] = {}

    def portal(request: httpx.Request) -> httpx.Response:
        asked_as[request.url.path] = request.headers.get("authorization")
        view = views.get(request.url.path)
        return httpx.Response(200, json=view) if view else httpx.Response(404, json={"code": "not_found"})

    async def look() -> list[str]:
        async with httpx.AsyncClient(base_url="http://intake", transport=httpx.MockTransport(portal)) as client:
            clerk = httpx.BasicAuth("clerk", "secret")
            return await notices_shown(client, ["OT-A", "OT-B", "OT-C"], {"OT-A": clerk})

    assert asyncio.run(look()) == ["OT-A"]
    # each case looked at as the one who filed it (the clerk of its window), or as the client is
    assert asked_as.keys() == {"/cases/OT-A", "/cases/OT-B", "/cases/OT-C"}
    assert (asked_as["/cases/OT-A"] or "").startswith("Basic ") and asked_as["/cases/OT-B"] is None


def test_a_case_the_portal_cannot_answer_for_now_is_looked_at_again_later() -> None:
    """Intake away (a chaos scenario restarts it): the look finds nothing for now instead of failing the demo."""

    def away(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("intake is restarting", request=request)

    async def look() -> list[str]:
        async with httpx.AsyncClient(base_url="http://intake", transport=httpx.MockTransport(away)) as client:
            return await notices_shown(client, ["OT-A"], {}, patience_s=0.3)

    assert asyncio.run(look()) == []
