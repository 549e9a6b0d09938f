"""The secondment rules as pure checks: plain dates in, :class:`Breach` (which rule, by how much) out.

Conventions (they decide every edge case, so they are stated once here):

- A period ``[starts_on, ends_on]`` includes both days; its length in days is
  ``ends_on - starts_on + 1``.
- A limit in calendar months on one period (first period, one extension) is
  checked on dates: a period of at most ``m`` months starting on ``s`` ends on or
  before ``add_months(s, m) - 1 day`` (24 months from 1 Jan 2026 is up to 31 Dec
  2027; 1 Jan 2028 is one day over).
- A limit in months on a *sum* of days (career cap, continuous run) is converted
  with the mean Gregorian month, rounded up: ``ceil(m * 365.25 / 12)`` days, so 72
  months is 2,192 days and 48 months is 1,461 days (never less than the calendar
  length of that many months).
- Seconded time is the union of a person's periods in the states that count
  (:data:`hrsys.secondments.lifecycle.SECONDED`): two concurrent part-time
  secondments are not counted twice.
- A *continuous run* is a chain of periods where each starts at most
  ``continuity_break_days`` days at home after the previous one ended (5 CFR
  334.104(c): a break of no more than 60 calendar days counts as continuous
  service); its length is its span, breaks included.

Each check is O(n log n) in the person's number of periods, except the
cooling-off check, which re-examines every later start: O(n^2 log n) for the
handful of periods one person has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from hrsys.core.fiscal import add_months
from hrsys.secondments.lifecycle import CLEARED, CoiDecision
from hrsys.secondments.policy import SecondmentPolicy

ONE_DAY = dt.timedelta(days=1)


class Period(msgspec.Struct, frozen=True):
    """An inclusive date range; ``source`` names it in messages (``secondment:12``, ``extension``)."""

    starts_on: dt.date
    ends_on: dt.date
    source: str = ""

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


class Breach(msgspec.Struct, frozen=True):
    """A refused move: the rule's name, a sentence for people, and the figures (how far over)."""

    rule: str
    message: str
    extra: dict[str, Any] = {}


def months_to_days(months: int) -> int:
    """Days that a limit of ``months`` allows on a sum of days: ``ceil(months * 365.25 / 12)``.

    >>> months_to_days(72), months_to_days(48), months_to_days(24)
    (2192, 1461, 731)
    """
    return -(-months * 1461 // 48)


def last_day_within(starts_on: dt.date, months: int) -> dt.date:
    """The last day of a period of ``months`` calendar months that starts on ``starts_on``.

    >>> last_day_within(dt.date(2026, 1, 1), 24)
    datetime.date(2027, 12, 31)
    """
    return add_months(starts_on, months) - ONE_DAY


def merge_periods(periods: Iterable[Period], max_gap_days: int = 0) -> list[Period]:
    """Sort and merge periods whose gap (days strictly between them) is at most ``max_gap_days``.

    With ``max_gap_days=0`` this is the union of the periods (touching periods join).
    The merged period spans its parts, gaps included. O(n log n).
    """
    out: list[Period] = []
    for p in sorted(periods, key=lambda p: (p.starts_on, p.ends_on)):
        if out and (p.starts_on - out[-1].ends_on).days - 1 <= max_gap_days:
            last = out[-1]
            if p.ends_on > last.ends_on:
                out[-1] = Period(last.starts_on, p.ends_on, last.source)
        else:
            out.append(p)
    return out


def seconded_days(periods: Iterable[Period]) -> int:
    """Days covered by at least one of ``periods`` (their union)."""
    return sum(p.days for p in merge_periods(periods))


def continuous_runs(periods: Iterable[Period], break_days: int) -> list[Period]:
    """The continuous runs of ``periods``: chains where each break at home is at most ``break_days``."""
    return merge_periods(periods, max_gap_days=break_days)


def _ends_too_late(rule: str, allowance: str, months: int, limit: dt.date, requested: dt.date) -> Breach | None:
    """``rule`` is broken when ``requested`` is after ``limit``, the last day ``allowance`` (of ``months``) admits."""
    if requested <= limit:
        return None
    over = (requested - limit).days
    return Breach(
        rule,
        f"{allowance}, so it must end by {limit}; {requested} is {over} day(s) over",
        {
            "limit_months": months,
            "latest_ends_on": limit.isoformat(),
            "requested_ends_on": requested.isoformat(),
            "over_by_days": over,
        },
    )


def check_first_period(policy: SecondmentPolicy, starts_on: dt.date, first_ends_on: dt.date) -> Breach | None:
    """The first period may last at most ``max_first_period_months`` calendar months."""
    months = policy.max_first_period_months
    limit = last_day_within(starts_on, months)
    allowance = f"the first period may last at most {months} months"
    return _ends_too_late("max_first_period", allowance, months, limit, first_ends_on)


def check_extension(
    policy: SecondmentPolicy, *, extensions_used: int, ends_on: dt.date, new_ends_on: dt.date
) -> Breach | None:
    """At most ``max_extensions`` extensions, each of at most ``max_extension_months`` calendar months."""
    if extensions_used >= policy.max_extensions:
        return Breach(
            "max_extensions",
            f"a secondment may be extended at most {policy.max_extensions} time(s); "
            f"this one has been extended {extensions_used} time(s) already",
            {
                "limit": policy.max_extensions,
                "used": extensions_used,
                "over_by": extensions_used + 1 - policy.max_extensions,
            },
        )
    months = policy.max_extension_months
    limit = last_day_within(ends_on + ONE_DAY, months)
    allowance = f"an extension may add at most {months} months after {ends_on}"
    return _ends_too_late("max_extension_length", allowance, months, limit, new_ends_on)


def check_career_cap(policy: SecondmentPolicy, history: Sequence[Period], new: Period) -> Breach | None:
    """The person's seconded time, ``new`` included, may not pass ``career_cap_months``."""
    cap = months_to_days(policy.career_cap_months)
    before = seconded_days(history)
    total = seconded_days([*history, new])
    if total <= cap:
        return None
    return Breach(
        "career_cap",
        f"seconded time over a career is capped at {policy.career_cap_months} months ({cap} days); "
        f"the person has {before} day(s) and this would make {total}, {total - cap} day(s) over",
        {
            "cap_months": policy.career_cap_months,
            "cap_days": cap,
            "seconded_days": before,
            "requested_days": total - before,
            "total_days": total,
            "over_by_days": total - cap,
        },
    )


def _cooling_off_at(policy: SecondmentPolicy, periods: Sequence[Period], start: dt.date) -> Breach | None:
    """Whether a period may start on ``start`` given every period in ``periods`` (only days before it matter)."""
    before = [Period(p.starts_on, min(p.ends_on, start - ONE_DAY), p.source) for p in periods if p.starts_on < start]
    long_run = months_to_days(policy.continuous_run_months)
    worst: tuple[dt.date, Period] | None = None
    for run in continuous_runs(before, policy.continuity_break_days):
        if run.days < long_run:
            continue
        earliest = add_months(run.ends_on + ONE_DAY, policy.cooling_off_months)
        if start < earliest and (worst is None or earliest > worst[0]):
            worst = (earliest, run)
    if worst is None:
        return None
    earliest, run = worst
    short = (earliest - start).days
    return Breach(
        "cooling_off",
        f"the person was seconded continuously from {run.starts_on} to {run.ends_on} ({run.days} days, at least "
        f"{policy.continuous_run_months} months) and must spend {policy.cooling_off_months} months back home "
        f"before another period; the earliest start is {earliest}, {start} is {short} day(s) short",
        {
            "continuous_run_months": policy.continuous_run_months,
            "cooling_off_months": policy.cooling_off_months,
            "run_starts_on": run.starts_on.isoformat(),
            "run_ends_on": run.ends_on.isoformat(),
            "run_days": run.days,
            "earliest_start": earliest.isoformat(),
            "requested_start": start.isoformat(),
            "short_by_days": short,
        },
    )


def check_cooling_off(policy: SecondmentPolicy, history: Sequence[Period], new: Period) -> Breach | None:
    """No period may start after a continuous run of ``continuous_run_months`` until ``cooling_off_months`` pass.

    Checked at the start of ``new`` and at every later start in ``history`` (a
    period inserted before an approved one may take away its cooling-off).
    """
    combined = [*history, new]
    breach = _cooling_off_at(policy, combined, new.starts_on)
    if breach is not None:
        return breach
    for later in sorted({p.starts_on for p in history if p.starts_on > new.starts_on}):
        breach = _cooling_off_at(policy, combined, later)
        if breach is not None:
            affected = sorted(p.source for p in history if p.starts_on == later)
            return Breach(
                breach.rule,
                f"{breach.message} (this would take away the break before {', '.join(affected)})",
                {**breach.extra, "affected": affected},
            )
    return None


def check_new_period(policy: SecondmentPolicy, history: Sequence[Period], new: Period) -> list[Breach]:
    """The rules on a person's seconded time that a new period (first period or extension) must pass."""
    found = [check_career_cap(policy, history, new), check_cooling_off(policy, history, new)]
    return [b for b in found if b is not None]


def check_coi(policy: SecondmentPolicy, decision: CoiDecision | None, action: str) -> Breach | None:
    """Approval (and activation) need the latest conflict-of-interest review cleared, with or without conditions."""
    if not policy.require_coi_clearance or decision in CLEARED:
        return None
    state = "missing" if decision is None else str(decision)
    return Breach(
        "coi_clearance",
        f"cannot {action}: the conflict-of-interest review is {state}; it must be cleared "
        "(or cleared with conditions) first",
        {"decision": None if decision is None else str(decision), "needed": sorted(str(d) for d in CLEARED)},
    )


def check_coi_reviewer(
    decision: CoiDecision, proposer_user_id: int | None, reviewer_user_id: int | None
) -> Breach | None:
    """Separation of duties: the user who proposed the secondment cannot clear its conflict-of-interest
    declaration (with or without conditions); blocking it is anyone's to do. Unknown users (commands,
    imports) are not compared."""
    if decision not in CLEARED or proposer_user_id is None or proposer_user_id != reviewer_user_id:
        return None
    return Breach(
        "separation_of_duties",
        "you proposed this secondment: its conflict-of-interest declaration must be cleared by another reviewer",
        {"proposed_by_user_id": proposer_user_id},
    )


def check_approver(
    proposer_user_id: int | None, submitter_user_id: int | None, approver_user_id: int | None
) -> Breach | None:
    """Separation of duties: the requester never approves their own request. Neither the user who proposed
    the secondment nor the one who submitted it for review may approve it. Unknown users (commands,
    imports) are not compared."""
    if approver_user_id is None:
        return None
    if approver_user_id == proposer_user_id:
        return Breach(
            "separation_of_duties",
            "you proposed this secondment: another user must approve it",
            {"proposed_by_user_id": proposer_user_id},
        )
    if approver_user_id == submitter_user_id:
        return Breach(
            "separation_of_duties",
            "you submitted this secondment for review: another user must approve it",
            {"submitted_by_user_id": submitter_user_id},
        )
    return None


def check_not_secondee(approver_person_id: int | None, secondee_person_id: int, action: str) -> Breach | None:
    """Separation of duties: the secondee never decides on their own secondment (clearing its declaration,
    approving it), whoever proposed it. Users without a person record are not compared."""
    if approver_person_id is None or approver_person_id != secondee_person_id:
        return None
    return Breach(
        "separation_of_duties",
        f"this is your own secondment: another user must {action} it",
        {"person_id": secondee_person_id},
    )


def check_agreement(policy: SecondmentPolicy, agreement_ref: str | None) -> Breach | None:
    """Activation needs the reference of the signed agreement."""
    if not policy.require_agreement_to_activate or (agreement_ref and agreement_ref.strip()):
        return None
    return Breach(
        "agreement_required",
        "cannot activate: record the reference of the signed secondment agreement first (agreement_ref)",
        {"field": "agreement_ref"},
    )


class CareerPosition(msgspec.Struct, frozen=True):
    seconded_days: int
    cap_days: int
    remaining_days: int
    warning: bool
    """Within ``career_cap_warning_months`` of the cap (or over it)."""


def career_position(policy: SecondmentPolicy, periods: Iterable[Period]) -> CareerPosition:
    """How much of the career cap ``periods`` use, and whether that is close enough to warn."""
    cap = months_to_days(policy.career_cap_months)
    used = seconded_days(periods)
    warn_at = cap - months_to_days(policy.career_cap_warning_months)
    return CareerPosition(seconded_days=used, cap_days=cap, remaining_days=cap - used, warning=used >= warn_at)
