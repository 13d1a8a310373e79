"""Who may do what on the HTTP APIs (访问控制): callers, their roles, and how they prove them.

People and their screens carry OAuth 2.0 bearer tokens (signed JWTs with expiry, audience and roles) from
the unified identity platform (统一身份认证; in the embedded default the simulated one at
``POST /oauth/token``); machines (department systems, operators' consoles) keep signed requests
(:mod:`exchange.request_signing`), which also bind the body and a purpose to each call. Services only
verify: :mod:`exchange.access.tokens` checks a token, :mod:`exchange.access.http` turns either proof into a
:class:`Caller` and refuses (401 / 403) what the route's roles do not allow.
"""

from exchange.access.roles import ROLE_ZH, Caller, Role

__all__ = ["ROLE_ZH", "Caller", "Role"]
