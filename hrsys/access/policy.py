"""Access settings, what access builds from them, and the names of the sign-in cookies.

The settings (password hashing cost, sign-in limits, cookies, retention of
external experts' data) are :class:`hrsys.config.AccessSettings`, read with the
others from ``HRSYS_`` variables by :class:`hrsys.config.Settings` (see the
table in README.md, "Configuration"); the app keeps them as
``app.state.access`` and the commands take them from ``settings.access``.
Config imports no domain, so access provides here what ``settings.access.hasher``
and ``settings.access.limits`` answer (imported by the package, so always in place).
"""

from __future__ import annotations

import datetime as dt

from hrsys.access.passwords import Hasher
from hrsys.access.ratelimit import LoginLimits
from hrsys.config import AccessSettings, provide

__all__ = ["CSRF_COOKIE", "CSRF_FORM_FIELD", "CSRF_HEADER", "SESSION_COOKIE", "AccessSettings"]

SESSION_COOKIE = "hrsys_session"
CSRF_COOKIE = "hrsys_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FORM_FIELD = "_csrf"


def hasher(access: AccessSettings) -> Hasher:
    """The argon2id hasher of the configured costs."""
    return Hasher(access.argon2_time_cost, access.argon2_memory_kib, access.argon2_parallelism)


def limits(access: AccessSettings) -> LoginLimits:
    """The configured sign-in limits."""
    return LoginLimits(
        account_failures=access.login_max_failures,
        lockout=dt.timedelta(minutes=access.login_lockout_minutes),
        address_failures=access.login_address_max_failures,
        address_window=dt.timedelta(minutes=access.login_address_window_minutes),
    )


provide("access.hasher", hasher)
provide("access.limits", limits)
