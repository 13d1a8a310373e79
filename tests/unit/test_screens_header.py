"""Every screen's header bar is the shell's: a page names only its place."""

from __future__ import annotations

from onething_screens import with_shell_header


def test_the_slot_becomes_the_shells_header_with_the_pages_place_and_nothing_else_changes() -> None:
    page = ('<body><header class="shell-bar" data-place="综合窗口 · 窗口人员" data-place-en="Window · clerk"></header>'
            '<main>…</main></body>')
    shown = with_shell_header(page)
    assert '<p class="shell-place" data-en="Window · clerk">综合窗口 · 窗口人员</p>' in shown
    for part in ('id="lang-switch"', 'id="senior-switch"', 'id="shell-session"', 'class="shell-brand"'):
        assert shown.count(part) == 1, part
    assert shown.endswith("<main>…</main></body>")
    assert with_shell_header("<body><main/></body>") == "<body><main/></body>", "a page without the slot is its own"
