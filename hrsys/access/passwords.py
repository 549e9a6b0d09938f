"""Password policy and hashing (argon2id). No database, no web framework.

Hashing: argon2id (RFC 9106) through argon2-cffi. The default cost is RFC 9106's
"low memory" profile (t=3, m=64 MiB, p=4): about 70 ms per hash on the project's
machines, so one core verifies ~14 guesses a second; with the per-account lock-out
(:mod:`hrsys.access.ratelimit`) an online attacker gets a handful of guesses per
quarter hour. The parameters are stored inside each hash, so lowering or raising
the cost later keeps old hashes verifiable; :meth:`Hasher.needs_rehash` tells
sign-in to upgrade a hash made with other parameters.

Policy: NIST SP 800-63B (section 5.1.1.2) asks for a minimum length, a check
against commonly used or compromised passwords and the user's own identifiers,
and *no* composition rules (no "one digit, one symbol"). :func:`policy_errors`
follows that: at least 12 characters, at most 256, at least 5 different
characters, not one of the most common passwords, and not containing the user name.
"""

from __future__ import annotations

import hmac
import secrets
import string
import unicodedata
from dataclasses import dataclass

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_DISTINCT = 5

# The most common passwords of public breach corpora that are 12 characters or more
# (shorter ones are already refused by the length rule), plus local favourites.
COMMON_PASSWORDS = frozenset(
    {
        "123456789012",
        "1234567890123",
        "12345678901234",
        "123456789abc",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "aaaaaaaaaaaa",
        "abc123456789",
        "abcdefghijkl",
        "administrator",
        "changeme1234",
        "iloveyou1234",
        "letmein12345",
        "password1234",
        "password12345",
        "password123456",
        "passwordpassword",
        "qwerty123456",
        "qwertyuiop12",
        "qwertyuiopasdf",
        "welcome12345",
        "welcome123456",
        "hrsys-password",
        "hrsyspassword",
        "thailand1234",
        "bangkok12345",
        "correcthorsebatterystaple",
    }
)


def normalise(password: str) -> str:
    """NFKC-normalise (SP 800-63B 5.1.1.2) so that the same text typed on two keyboards hashes the same."""
    return unicodedata.normalize("NFKC", password)


def policy_errors(password: str, username: str | None = None) -> list[str]:
    """Every reason ``password`` breaks the policy (empty list when it is acceptable). O(len(password))."""
    pw = normalise(password)
    reasons: list[str] = []
    if len(pw) < MIN_LENGTH:
        reasons.append(f"must be at least {MIN_LENGTH} characters long")
    if len(pw) > MAX_LENGTH:
        reasons.append(f"must be at most {MAX_LENGTH} characters long")
    if len(set(pw)) < MIN_DISTINCT:
        reasons.append(f"must use at least {MIN_DISTINCT} different characters")
    lowered = pw.lower()
    if lowered in COMMON_PASSWORDS:
        reasons.append("is one of the most common passwords")
    if username and len(username) >= 3 and username.lower() in lowered:
        reasons.append("must not contain the user name")
    return reasons


def generate(length: int = 20) -> str:
    """A random password from letters and digits (about 5.95 bits per character) that meets the policy."""
    alphabet = string.ascii_letters + string.digits
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(length))
        if not policy_errors(pw):
            return pw


@dataclass(frozen=True)
class Hasher:
    """argon2id with explicit cost parameters (memory in KiB)."""

    time_cost: int = 3
    memory_kib: int = 65_536
    parallelism: int = 4

    def _ph(self) -> argon2.PasswordHasher:
        return argon2.PasswordHasher(
            time_cost=self.time_cost,
            memory_cost=self.memory_kib,
            parallelism=self.parallelism,
            type=argon2.Type.ID,
        )

    def hash(self, password: str) -> str:
        return self._ph().hash(normalise(password))

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches. With no hash, burn the same time and answer False.

        Verifying against a dummy hash for unknown users keeps the answer time the
        same for "no such user" and "wrong password".
        """
        target = password_hash or self.dummy_hash()
        ok: bool
        try:
            ok = self._ph().verify(target, normalise(password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        return ok and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._ph().check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def dummy_hash(self) -> str:
        key = (self.time_cost, self.memory_kib, self.parallelism)
        cached = _DUMMY.get(key)
        if cached is None:
            cached = _DUMMY[key] = self._ph().hash(secrets.token_urlsafe(16))
        return cached


_DUMMY: dict[tuple[int, int, int], str] = {}


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two strings."""
    return hmac.compare_digest(a.encode(), b.encode())
