"""What happens at the admin's door, before hrsys's access guard: a sign-in page for browsers, and the CSRF hand-over.

:class:`AdminGate` is route middleware on the admin mount, so it runs after
hrsys's authentication middleware (``scope["user"]`` is set) and before the
access guard (which enforces the ``admin`` rule and CSRF). It does two things:

1. A browser that opens ``/admin`` or ``/admin/`` (``GET`` accepting HTML) without
   being signed in gets a small sign-in page (401) that signs in through hrsys's
   own ``POST /api/v1/auth/login``; a signed-in user who is not an administrator
   gets a page that says so (403). Every other request goes on to the guard,
   which answers API callers with problem+json 401/403 as anywhere in hrsys.
2. piccolo-admin's front end sends its CSRF token in ``X-CSRFToken``, read from the
   ``csrftoken`` cookie. :func:`admin.writes.handle` sets that cookie (path
   ``/admin``) to hrsys's own CSRF secret, and this gate copies the header into
   hrsys's ``X-CSRF-Token`` when that one is absent, so the guard checks the secret
   against the sign-in token as for any other page. Nothing is trusted here: a
   wrong or missing secret still fails the guard with 403.
"""

from __future__ import annotations

import html
from typing import Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Empty, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from hrsys.access.identity import CurrentUser
from hrsys.access.models import UserRole
from hrsys.access.policy import CSRF_HEADER

PICCOLO_CSRF_HEADER = b"x-csrftoken"
MOUNT = "/admin"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title} - hrsys admin</title>
<style>
body {{ font-family: "Noto Sans Thai", "Sarabun", system-ui, sans-serif; background: #f4f5f7; color: #1d2330;
       display: flex; min-height: 100vh; align-items: center; justify-content: center; margin: 0; }}
main {{ background: #fff; padding: 2rem 2.5rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; width: 22rem; }}
h1 {{ font-size: 1.4rem; margin-top: 0; }}
label {{ display: block; margin: 1rem 0 .3rem; font-weight: 600; }}
input {{ width: 100%; box-sizing: border-box; padding: .55rem; font-size: 1rem; border: 1px solid #8a93a6;
        border-radius: 4px; }}
button {{ margin-top: 1.4rem; width: 100%; padding: .65rem; font-size: 1rem; background: #1f4fa8; color: #fff;
         border: 0; border-radius: 4px; cursor: pointer; }}
button:focus, input:focus {{ outline: 3px solid #f2b705; outline-offset: 1px; }}
#message {{ color: #a4161a; min-height: 1.2em; margin-top: 1rem; }}
</style>
</head>
<body>
<main>
{body}
</main>
</body>
</html>
"""

_SIGN_IN = """<h1>hrsys admin</h1>
<p>Sign in with your hrsys account. Only administrators may use the admin.</p>
<noscript><p>The admin needs JavaScript.</p></noscript>
<form id="sign-in">
  <label for="username">User name</label>
  <input id="username" name="username" autocomplete="username" required autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
  <p id="message" role="alert" aria-live="polite"></p>
</form>
<script>
document.getElementById("sign-in").addEventListener("submit", async function (event) {
  event.preventDefault();
  const message = document.getElementById("message");
  message.textContent = "";
  try {
    const response = await fetch("/api/v1/auth/login", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify({username: this.username.value, password: this.password.value}),
    });
    if (response.ok) { window.location.replace("/admin/"); return; }
    const problem = await response.json().catch(function () { return {}; });
    message.textContent = problem.detail || ("Sign-in failed (" + response.status + ").");
  } catch (error) {
    message.textContent = "The server could not be reached. Try again.";
  }
});
</script>
"""

_FORBIDDEN = """<h1>Administrators only</h1>
<p>You are signed in as <strong>{who}</strong>. The admin is open to administrators only.</p>
<p><a href="/">Back to hrsys</a></p>
"""


def page(title: str, body: str) -> bytes:
    return _PAGE.format(title=html.escape(title), body=body).encode()


def sign_in_page() -> bytes:
    return page("Sign in", _SIGN_IN)


def forbidden_page(user: CurrentUser) -> bytes:
    return page("Administrators only", _FORBIDDEN.format(who=html.escape(user.label)))


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


def wants_admin_page(scope: Scope) -> bool:
    """A browser opening the admin itself: ``GET /admin`` or ``/admin/`` that accepts HTML."""
    if scope.get("method") != "GET":
        return False
    raw = bytes(scope.get("raw_path") or b"").split(b"?", 1)[0]
    if raw not in (MOUNT.encode(), MOUNT.encode() + b"/"):
        return False
    return b"text/html" in (_header(scope, b"accept") or b"")


async def send_html(send: Send, status: int, body: bytes) -> None:
    headers = [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    start: Any = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    end: Any = {"type": "http.response.body", "body": body}
    await send(end)


class AdminGate(ASGIMiddleware):
    """Route middleware of the admin mount (see the module docstring)."""

    scopes = (ScopeType.HTTP, ScopeType.ASGI)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        user: CurrentUser | None = scope.get("user")
        if wants_admin_page(scope):
            if user is None:
                await send_html(send, 401, sign_in_page())
                return
            if user.role is not UserRole.admin:
                await send_html(send, 403, forbidden_page(user))
                return
        csrf = CSRF_HEADER.encode()
        if scope.get("method") not in {"GET", "HEAD", "OPTIONS"} and _header(scope, csrf) is None:
            token = _header(scope, PICCOLO_CSRF_HEADER)
            if token is not None:
                headers: list[Any] = list(scope.get("headers", ()))
                headers.append((csrf, token))
                scope["headers"] = headers
                ScopeState.from_scope(scope).headers = Empty  # parsed headers are cached per scope
        await next_app(scope, receive, send)
