"""The secondment rules in force: one policy object with documented defaults.

The defaults follow the US Intergovernmental Personnel Act mobility programme
(5 CFR 334.104: assignments of up to 2 years, extendable by up to 2 more; no more
than 6 years over a career; after 4 continuous years, at least 12 months back
before another assignment, where successive assignments with a break of no more
than 60 calendar days count as continuous) and UK civil-service practice (a
written agreement before the start; a conflict-of-interest declaration assessed
before approval).

Configuration: set ``HRSYS_SECONDMENT_POLICY`` (``settings.secondments.policy_file``,
see :mod:`hrsys.config`) to the path of a JSON file that holds any of the fields
below; fields left out keep their defaults and unknown fields are refused (a typo
never silently falls back to a default; a bad file stops the start). Example::

    {"max_first_period_months": 12, "max_extensions": 2, "career_cap_months": 60}

``GET /api/v1/secondments/policy`` and ``hrsys secondments policy`` show the policy in force.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import msgspec

from hrsys.config import from_env_one
from hrsys.core.cache import memoized

Months = Annotated[int, msgspec.Meta(ge=0, le=600)]
Days = Annotated[int, msgspec.Meta(ge=0, le=3650)]

POLICY_ENV = "HRSYS_SECONDMENT_POLICY"


class SecondmentPolicy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Every configurable secondment rule, with its default."""

    max_first_period_months: Months = 24
    """Longest first period, in calendar months (5 CFR 334.104(a): 2 years)."""
    max_extensions: Annotated[int, msgspec.Meta(ge=0, le=20)] = 1
    """How many times one secondment may be extended."""
    max_extension_months: Months = 24
    """Longest single extension, in calendar months (5 CFR 334.104(a): up to 2 more years)."""
    career_cap_months: Months = 72
    """Most seconded time one person may accumulate over a career (5 CFR 334.104(b): 6 years)."""
    continuous_run_months: Months = 48
    """A continuous run of this length triggers the cooling-off period (5 CFR 334.104(c): 4 years)."""
    cooling_off_months: Months = 12
    """Time back home after a long run before any new period (5 CFR 334.104(c): 12 months)."""
    continuity_break_days: Days = 60
    """Secondments separated by at most this many days at home count as one continuous run."""
    require_coi_clearance: bool = True
    """Approval and activation need the latest conflict-of-interest review cleared (with or without conditions)."""
    require_agreement_to_activate: bool = True
    """Activation needs the written agreement's reference."""
    end_report_due_days: Days = 30
    """Days after the end by which the end report is due (alerts list it as overdue after that)."""
    ending_soon_days: Days = 60
    """Default horizon of the "ending soon" alert."""
    career_cap_warning_months: Months = 6
    """Alert when a person's seconded time comes within this much of the career cap."""


def load_policy(path: str | None = None) -> SecondmentPolicy:
    """The policy in the JSON file at ``path``; the defaults for ``""``.

    ``None``: the file configured in the environment (for callers not handed ``settings`` yet;
    the app keeps the policy in force as ``app.state.secondment_policy``, commands take
    ``settings.secondments.policy()``). A missing or malformed file raises ``ValueError``
    naming the file and the field.
    """
    if path is None:
        path = from_env_one(POLICY_ENV)
    if not path:
        return SecondmentPolicy()
    return _load_file(path)


@memoized(maxsize=8)
def _load_file(path: str) -> SecondmentPolicy:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"secondment policy file {path}: {exc.strerror}") from exc
    try:
        return msgspec.json.decode(raw, type=SecondmentPolicy)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ValueError(f"secondment policy file {path}: {exc}") from exc
