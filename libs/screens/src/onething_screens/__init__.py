"""The page shell every OneThing screen shares (画面外壳): the hall's window, the portal, the supervision board and
the ops room are each served by their own service, and all of them look and behave alike through this package.

* ``shell/shell.css``: type, colours (WCAG AA), focus, the header bar, tables, badges, and the senior mode
  (长者专版: larger type and spacing, higher contrast) as the ``senior`` class on ``<html>``.
* ``shell/shell.js``: an ES module: zh-CN first, English on request (``?lang=en`` or the switch, remembered in
  ``localStorage``), the senior-mode switch (remembered too), ``tr(zh, en)`` for text a page writes itself.
* ``shell/dom.js``: ``h()`` builds elements (never parsing strings, so what a service says goes in as text), ``$``.
* ``shell/session.js``: signing in at the identity platform (统一身份认证) with OAuth 2.0 authorization code and
  PKCE, the token kept for the tab only (``sessionStorage``), ``api()`` calls with it, and where the other
  services are (``/screen-links.json``).
* :mod:`onething_screens.serving`: mounting those assets, and a page's own, with the headers a screen needs; the
  header bar every screen shares, put in the page's ``<header class="shell-bar" data-place=… data-place-en=…>``.

A page is a client of its service's public API like any other (fetch from the same origin, the caller's own
token where a route needs one); nothing here reads a database or knows a service.
"""

from onething_screens.serving import (
    CONTENT_SECURITY_POLICY,
    SHELL_PREFIX,
    PackageAssets,
    content_security_policy,
    mount_page,
    mount_shell,
    service_urls,
    with_shell_header,
)

__all__ = ["CONTENT_SECURITY_POLICY", "SHELL_PREFIX", "PackageAssets", "content_security_policy", "mount_page",
           "mount_shell", "service_urls", "with_shell_header"]
