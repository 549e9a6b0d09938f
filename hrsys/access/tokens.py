"""Sign-in tokens: JSON Web Tokens (RFC 7519) signed with HMAC-SHA256. No database, no web framework.

A token carries the user id (``sub``), the user's token generation (``gen``),
issue and expiry times (``iat``, ``exp``), an id (``jti``), the issuer and audience
``hrsys``, and ``csrf``: the SHA-256 of the CSRF secret handed out with it.

Checks on decoding: the signature with the one accepted algorithm (HS256: a token
claiming ``alg: none`` or RS256 is refused), expiry (no leeway), issuer and audience,
and the presence of every claim. The caller then compares ``gen`` with the user's
current generation, so signing out (which bumps it) kills every older token at once.

Cost: one HMAC over ~250 bytes plus PyJWT's claim checks: about 90 microseconds of CPU to check
(Litestar 2.25's ``Token.decode``, 122 us). The middleware checks a token once per process
(:class:`hrsys.access.guard.AuthCache`).

Hand-written rather than Litestar's ``litestar.security.jwt.Token``: that class judges ``exp`` and
``iat`` by the system clock when it is built (``__post_init__``), so it can neither issue a token
that is already expired nor follow :mod:`hrsys.core.clock` (``clock.frozen`` in tests), and its
``decode`` answers every failure, expiry included, as "Invalid token" (hrsys's 401 says "expired").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from typing import Any

import jwt
import msgspec

from hrsys.core import clock

ALGORITHM = "HS256"
ISSUER = "hrsys"
AUDIENCE = "hrsys"


class Claims(msgspec.Struct, frozen=True):
    user_id: int
    generation: int
    issued_at: dt.datetime
    expires_at: dt.datetime
    csrf_digest: str
    token_id: str


class Issued(msgspec.Struct, frozen=True):
    token: str
    csrf_token: str
    """The CSRF secret: sent back in the ``X-CSRF-Token`` header with cookie-authenticated writes."""
    expires_at: dt.datetime


class TokenError(Exception):
    """The token cannot be used; ``reason`` is safe to show (``expired``, ``invalid``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def csrf_digest(csrf_token: str) -> str:
    return hashlib.sha256(csrf_token.encode()).hexdigest()


def csrf_matches(claims: Claims, presented: str | None) -> bool:
    """Constant-time check of a presented CSRF secret against the digest in the token."""
    if not presented:
        return False
    return hmac.compare_digest(csrf_digest(presented), claims.csrf_digest)


def issue(key: str, user_id: int, generation: int, minutes: int, now: dt.datetime | None = None) -> Issued:
    """Sign a token for ``user_id`` valid ``minutes`` from ``now``."""
    now = now or clock.now()
    expires = now + dt.timedelta(minutes=minutes)
    csrf_token = secrets.token_urlsafe(32)
    payload: dict[str, Any] = {
        "sub": str(user_id),
        "gen": generation,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "iss": ISSUER,
        "aud": AUDIENCE,
        "jti": uuid.uuid4().hex,
        "csrf": csrf_digest(csrf_token),
    }
    token = jwt.encode(payload, key, algorithm=ALGORITHM)
    return Issued(token=token, csrf_token=csrf_token, expires_at=dt.datetime.fromtimestamp(payload["exp"], dt.UTC))


def decode(key: str, token: str, now: dt.datetime | None = None) -> Claims:
    """Verify ``token`` and return its claims; :class:`TokenError` otherwise."""
    options: Any = {"require": ["sub", "gen", "iat", "exp", "iss", "aud", "jti", "csrf"]}
    try:
        data = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            # expiry and issue time against the one clock, as issued (PyJWT would read the system's)
            options={**options, "verify_exp": False, "verify_iat": False},
        )
        at = (now or clock.now()).timestamp()
        if int(data["exp"]) <= at:
            raise jwt.ExpiredSignatureError("expired")
        if int(data["iat"]) > at + 60:
            raise jwt.ImmatureSignatureError("issued in the future")
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("expired") from exc
    except jwt.PyJWTError as exc:
        raise TokenError("invalid") from exc
    try:
        return Claims(
            user_id=int(data["sub"]),
            generation=int(data["gen"]),
            issued_at=dt.datetime.fromtimestamp(int(data["iat"]), dt.UTC),
            expires_at=dt.datetime.fromtimestamp(int(data["exp"]), dt.UTC),
            csrf_digest=str(data["csrf"]),
            token_id=str(data["jti"]),
        )
    except (TypeError, ValueError) as exc:
        raise TokenError("invalid") from exc
