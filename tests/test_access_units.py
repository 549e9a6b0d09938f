"""Pure parts of access control, without a database: passwords, tokens, rate limit, masking, rules."""

from __future__ import annotations

import base64
import datetime as dt
import json

import msgspec
import pytest

from hrsys.access import passwords, ratelimit, tokens
from hrsys.access.masking import SENSITIVE_PERSON_FIELDS, mask, mask_dict
from hrsys.access.models import UserRole
from hrsys.access.rules import Access, admits

KEY = "k" * 48
T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
CHEAP = passwords.Hasher(time_cost=1, memory_kib=1024, parallelism=1)


# ---------------------------------------------------------------- passwords


@pytest.mark.parametrize(
    ("password", "username", "expected"),
    [
        ("short", None, ["at least 12"]),
        ("aaaaaaaaaaaaaaaa", None, ["different characters"]),
        ("Password1234", None, ["most common"]),
        ("somchai-2025-secure", "somchai", ["user name"]),
        ("x" * 300, None, ["at most 256", "different characters"]),
        ("tall-mango-river-42", "somchai", []),
    ],
)
def test_password_policy_lists_every_reason(password: str, username: str | None, expected: list[str]) -> None:
    reasons = passwords.policy_errors(password, username)
    assert len(reasons) == len(expected)
    for fragment, reason in zip(expected, reasons, strict=True):
        assert fragment in reason


def test_generated_passwords_meet_the_policy_and_differ() -> None:
    made = {passwords.generate() for _ in range(20)}
    assert len(made) == 20
    assert all(not passwords.policy_errors(p) for p in made)


def test_hash_is_argon2id_salted_and_verifies_only_the_right_password() -> None:
    h1, h2 = CHEAP.hash("tall-mango-river-42"), CHEAP.hash("tall-mango-river-42")
    assert h1.startswith("$argon2id$") and h1 != h2
    assert CHEAP.verify(h1, "tall-mango-river-42")
    assert not CHEAP.verify(h1, "tall-mango-river-43")
    assert not CHEAP.verify(None, "tall-mango-river-42")  # unknown user: dummy hash, always False
    assert not CHEAP.verify("not-a-hash", "whatever")


def test_unicode_is_normalised_before_hashing() -> None:
    composed, decomposed = "caf\u00e9-password-1", "cafe\u0301-password-1"
    assert CHEAP.verify(CHEAP.hash(composed), decomposed)


def test_needs_rehash_when_cost_changes() -> None:
    stronger = passwords.Hasher(time_cost=2, memory_kib=2048, parallelism=1)
    h = CHEAP.hash("tall-mango-river-42")
    assert not CHEAP.needs_rehash(h)
    assert stronger.needs_rehash(h)
    assert stronger.verify(h, "tall-mango-river-42")  # old hashes keep working


# ---------------------------------------------------------------- tokens


def _segments(token: str) -> list[str]:
    return token.split(".")


def _b64(data: dict) -> str:  # type: ignore[type-arg]
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _payload(token: str) -> dict:  # type: ignore[type-arg]
    seg = _segments(token)[1]
    return json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))


def test_token_round_trip_carries_user_generation_and_csrf_digest() -> None:
    issued = tokens.issue(KEY, 42, 3, 60, now=T0)
    claims = tokens.decode(KEY, issued.token, now=T0 + dt.timedelta(minutes=59))
    assert (claims.user_id, claims.generation) == (42, 3)
    assert claims.expires_at == T0 + dt.timedelta(minutes=60)
    assert tokens.csrf_matches(claims, issued.csrf_token)
    assert not tokens.csrf_matches(claims, issued.csrf_token + "x")
    assert not tokens.csrf_matches(claims, None)


def test_expired_token_is_refused_as_expired() -> None:
    issued = tokens.issue(KEY, 1, 0, 60, now=T0)
    with pytest.raises(tokens.TokenError) as err:
        tokens.decode(KEY, issued.token, now=T0 + dt.timedelta(minutes=60))
    assert err.value.reason == "expired"


def test_tokens_follow_the_one_clock_not_the_systems() -> None:
    """A token is judged by hrsys's clock: valid when issued and read at a frozen instant years away from
    the system's time, refused when its issue time is ahead of the clock."""
    far = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
    issued = tokens.issue(KEY, 7, 0, 60, now=far)
    assert tokens.decode(KEY, issued.token, now=far + dt.timedelta(minutes=5)).user_id == 7
    with pytest.raises(tokens.TokenError) as err:
        tokens.decode(KEY, issued.token, now=far - dt.timedelta(minutes=5))
    assert err.value.reason == "invalid"


def test_tampered_payload_wrong_key_and_alg_none_are_invalid() -> None:
    issued = tokens.issue(KEY, 1, 0, 60)
    header, _, signature = _segments(issued.token)
    forged_payload = {**_payload(issued.token), "sub": "2"}
    tampered = f"{header}.{_b64(forged_payload)}.{signature}"
    alg_none = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(forged_payload)}."
    other_key = tokens.issue("z" * 48, 1, 0, 60).token
    for bad in (tampered, alg_none, other_key, "garbage", ""):
        with pytest.raises(tokens.TokenError) as err:
            tokens.decode(KEY, bad)
        assert err.value.reason == "invalid"


# ---------------------------------------------------------------- rate limit


def _fails(n: int, start: dt.datetime = T0, step_s: int = 10) -> list[tuple[dt.datetime, bool]]:
    """n failures, newest first, ending at ``start``."""
    return [(start - dt.timedelta(seconds=step_s * i), False) for i in range(n)]


def test_account_locks_after_consecutive_failures_and_unlocks_after_lockout() -> None:
    limits = ratelimit.LoginLimits(account_failures=5, lockout=dt.timedelta(minutes=15))
    assert ratelimit.decide(T0, _fails(4), [], limits).allowed
    locked = ratelimit.decide(T0 + dt.timedelta(seconds=1), _fails(5), [], limits)
    assert (locked.allowed, locked.reason) == (False, "account_locked")
    assert locked.retry_after == dt.timedelta(minutes=15) - dt.timedelta(seconds=1)
    assert ratelimit.decide(T0 + dt.timedelta(minutes=15), _fails(5), [], limits).allowed
    assert ratelimit.lock_ends(_fails(5), limits) == T0 + dt.timedelta(minutes=15)


def test_a_success_ends_the_run_of_failures() -> None:
    limits = ratelimit.LoginLimits(account_failures=3)
    attempts = [*_fails(2), (T0 - dt.timedelta(minutes=1), True), *_fails(5, T0 - dt.timedelta(minutes=2))]
    assert ratelimit.decide(T0, attempts, [], limits).allowed
    assert ratelimit.lock_ends(attempts, limits) is None


def test_failures_spread_wider_than_the_lockout_do_not_lock() -> None:
    limits = ratelimit.LoginLimits(account_failures=3, lockout=dt.timedelta(minutes=15))
    spread = _fails(3, step_s=10 * 60)  # 20 minutes between first and last
    assert ratelimit.decide(T0, spread, [], limits).allowed


def test_address_limit_slides_with_the_window() -> None:
    limits = ratelimit.LoginLimits(address_failures=3, address_window=dt.timedelta(minutes=10))
    times = [T0 - dt.timedelta(minutes=m) for m in (1, 2, 6)]
    refused = ratelimit.decide(T0, [], times, limits)
    assert (refused.allowed, refused.reason) == (False, "address_limited")
    assert refused.retry_after == dt.timedelta(minutes=4)  # the oldest (6 min ago) leaves the window
    assert ratelimit.decide(T0 + dt.timedelta(minutes=4, seconds=1), [], times, limits).allowed


# ---------------------------------------------------------------- masking and rules


class _Out(msgspec.Struct):
    name: str
    citizen_id: str | None
    email: str | None
    masked: list[str] = []


def test_mask_hides_sensitive_fields_and_says_which() -> None:
    out = mask(_Out(name="Somchai", citizen_id="1101700203450", email="s@example.go.th"))
    assert (out.name, out.citizen_id, out.email) == ("Somchai", None, None)
    assert out.masked == ["citizen_id", "email"]
    row = mask_dict({"id": 1, "date_of_birth": "1980-01-01", "phone": "02"})
    assert row == {"id": 1, "date_of_birth": None, "phone": None, "masked": ["date_of_birth", "phone"]}
    assert set(SENSITIVE_PERSON_FIELDS) >= {"citizen_id", "date_of_birth", "salary_grade", "email", "phone"}


def test_rules_admit_roles() -> None:
    assert admits(Access.public, None)
    assert not admits(Access.authenticated, None)
    assert admits(Access.person, UserRole.staff)
    assert not admits(Access.lead, UserRole.staff)
    assert admits(Access.lead, UserRole.taskforce_lead)
    assert not admits(Access.hr, UserRole.taskforce_lead)
    assert admits(Access.hr, UserRole.hr_officer)
    assert not admits(Access.admin, UserRole.hr_officer)
    assert all(admits(rule, UserRole.admin) for rule in Access)
