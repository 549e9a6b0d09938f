"""Access settings: password hashing cost, sign-in limits, cookies, retention of external experts' data.

Read from ``HRSYS_`` environment variables like :class:`hrsys.config.Settings`
(the lead may fold them into it); every one has a safe default.

=====================================  =========  ==================================================
variable                               default    meaning
=====================================  =========  ==================================================
``HRSYS_ARGON2_TIME_COST``             3          argon2id passes (RFC 9106 low-memory profile)
``HRSYS_ARGON2_MEMORY_KIB``            65536      argon2id memory per hash, KiB
``HRSYS_ARGON2_PARALLELISM``           4          argon2id lanes
``HRSYS_LOGIN_MAX_FAILURES``           5          consecutive failures that lock a user name
``HRSYS_LOGIN_LOCKOUT_MINUTES``        15         how long the lock lasts after the last failure
``HRSYS_LOGIN_ADDRESS_MAX_FAILURES``   30         failures allowed from one address per window
``HRSYS_LOGIN_ADDRESS_WINDOW_MINUTES`` 15         the sliding window of the address limit
``HRSYS_COOKIE_SECURE``                1          mark the sign-in cookies ``Secure`` (HTTPS only)
``HRSYS_EXPERT_RETENTION_DAYS``        1095       keep an external expert's personal data this long
                                                  after their last engagement ended, then anonymise
=====================================  =========  ==================================================
"""

from __future__ import annotations

import datetime as dt
import os

import msgspec

from hrsys.access.passwords import Hasher
from hrsys.access.ratelimit import LoginLimits

SESSION_COOKIE = "hrsys_session"
CSRF_COOKIE = "hrsys_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FORM_FIELD = "_csrf"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(f"HRSYS_{name}", str(default)))


class AccessSettings(msgspec.Struct, kw_only=True):
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65_536
    argon2_parallelism: int = 4
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    login_address_max_failures: int = 30
    login_address_window_minutes: int = 15
    cookie_secure: bool = True
    expert_retention_days: int = 1095

    @classmethod
    def from_env(cls, **overrides: object) -> AccessSettings:
        values: dict[str, object] = {
            "argon2_time_cost": _int("ARGON2_TIME_COST", 3),
            "argon2_memory_kib": _int("ARGON2_MEMORY_KIB", 65_536),
            "argon2_parallelism": _int("ARGON2_PARALLELISM", 4),
            "login_max_failures": _int("LOGIN_MAX_FAILURES", 5),
            "login_lockout_minutes": _int("LOGIN_LOCKOUT_MINUTES", 15),
            "login_address_max_failures": _int("LOGIN_ADDRESS_MAX_FAILURES", 30),
            "login_address_window_minutes": _int("LOGIN_ADDRESS_WINDOW_MINUTES", 15),
            "cookie_secure": os.environ.get("HRSYS_COOKIE_SECURE", "1").lower() in {"1", "true", "yes"},
            "expert_retention_days": _int("EXPERT_RETENTION_DAYS", 1095),
        }
        values.update(overrides)
        return msgspec.convert(values, cls)

    @property
    def hasher(self) -> Hasher:
        return Hasher(self.argon2_time_cost, self.argon2_memory_kib, self.argon2_parallelism)

    @property
    def limits(self) -> LoginLimits:
        return LoginLimits(
            account_failures=self.login_max_failures,
            lockout=dt.timedelta(minutes=self.login_lockout_minutes),
            address_failures=self.login_address_max_failures,
            address_window=dt.timedelta(minutes=self.login_address_window_minutes),
        )
