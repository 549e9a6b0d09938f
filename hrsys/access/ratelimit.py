"""Sign-in rate limit and lock-out: the decision, from recent attempts. No database, no web framework.

The attempts themselves live in the ``login_attempt`` table so that every worker
sees the same history; the service reads the few rows this decision needs:

- **Per account** (by the user name typed, whether or not it exists, so that an
  unknown name and a real one behave the same): after ``account_failures``
  consecutive failures, each within ``lockout`` of the newest, the name is locked
  until ``lockout`` after its newest failure. A success ends the run. Attempts
  refused while locked are stored as *blocked* and do not extend the lock, so a
  stranger hammering an account cannot keep its owner out forever.
- **Per address**: at most ``address_failures`` failures from one address in a
  sliding ``address_window``; further attempts are refused until the oldest of
  them leaves the window. This stops one machine from trying one password on many
  accounts (password spraying), which the per-account rule cannot see.

Complexity: O(k) in the rows read (k <= ``account_failures``); the service reads
them through the ``(username, at)`` and ``(address, at)`` indexes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LoginLimits:
    account_failures: int = 5
    lockout: dt.timedelta = dt.timedelta(minutes=15)
    address_failures: int = 30
    address_window: dt.timedelta = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    """``account_locked`` or ``address_limited`` when refused."""
    retry_after: dt.timedelta = dt.timedelta(0)


def decide(
    now: dt.datetime,
    recent_account_attempts: Sequence[tuple[dt.datetime, bool]],
    address_failures: Sequence[dt.datetime],
    limits: LoginLimits,
) -> Decision:
    """May a sign-in attempt go ahead now?

    ``recent_account_attempts``: the newest non-blocked attempts for the user name,
    newest first, as ``(at, success)``; the first ``limits.account_failures`` suffice.
    ``address_failures``: times of the failures from the address within
    ``limits.address_window``, any order.

    >>> t = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)
    >>> fails = [(t - dt.timedelta(minutes=i), False) for i in range(5)]
    >>> decide(t, fails, [], LoginLimits()).reason
    'account_locked'
    >>> decide(t + dt.timedelta(minutes=15), fails, [], LoginLimits()).allowed
    True
    """
    until = lock_ends(recent_account_attempts, limits)
    if until is not None and now < until:
        return Decision(False, "account_locked", until - now)
    window_start = now - limits.address_window
    in_window = sorted(at for at in address_failures if at > window_start)
    if len(in_window) >= limits.address_failures:
        # Refused until enough of the oldest failures leave the window.
        release = in_window[len(in_window) - limits.address_failures] + limits.address_window
        return Decision(False, "address_limited", max(release - now, dt.timedelta(seconds=1)))
    return Decision(True)


def lock_ends(recent_account_attempts: Sequence[tuple[dt.datetime, bool]], limits: LoginLimits) -> dt.datetime | None:
    """End of the lock that the newest attempts (newest first) put on the account, or None.

    The newest ``account_failures`` attempts must all be failures, within ``lockout``
    of each other; the lock then lasts ``lockout`` from the newest of them.
    """
    run: list[dt.datetime] = []
    for at, success in recent_account_attempts[: limits.account_failures]:
        if success:
            return None
        run.append(at)
    if len(run) < limits.account_failures or max(run) - min(run) > limits.lockout:
        return None
    return max(run) + limits.lockout
