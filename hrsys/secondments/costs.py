"""Secondment cost by Thai fiscal year, split between host and sender (pure).

A secondment costs ``monthly_cost_baht`` per month of its period (partial months
pro rata by day, see :mod:`hrsys.core.fiscal`); the host agency pays
``host_share_pct`` of it and the sending organisation the rest. Amounts are
summed exactly (fractions) and rounded to whole baht once, at the end, half up;
the sender's share is the rounded total minus the rounded host share, so the two
always add up to the total shown. O(n) in the number of secondments.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from fractions import Fraction

import msgspec

from hrsys.core.fiscal import fiscal_year_bounds, months_by_fiscal_year, months_in_period


class CostLine(msgspec.Struct, frozen=True):
    """One secondment as the cost report sees it."""

    host_agency_id: int
    sending_agency_id: int | None
    starts_on: dt.date
    ends_on: dt.date
    monthly_cost_baht: int
    host_share_pct: int


class FiscalYearCost(msgspec.Struct, frozen=True):
    fiscal_year: int
    months: float
    total_baht: int
    host_share_baht: int
    sender_share_baht: int


class AgencyCost(msgspec.Struct):
    agency_id: int
    secondments: int
    """Secondments hosted by the agency with days in the fiscal year."""
    months: float
    """Seconded person-months hosted in the fiscal year."""
    total_baht: int
    host_share_baht: int
    """Paid by the agency as host."""
    sender_share_baht: int
    """Paid by the sending organisations of the agency's secondees."""
    paid_as_sender_baht: int
    """Paid by the agency as the sender of its own staff seconded elsewhere."""


def _round(x: Fraction) -> int:
    """Round half up (amounts are never negative)."""
    return math.floor(x + Fraction(1, 2))


def _split(total: Fraction, host_pct: Fraction | int) -> tuple[int, int, int]:
    rounded = _round(total)
    host = min(rounded, _round(total * host_pct / 100))
    return rounded, host, rounded - host


def cost_by_fiscal_year(line: CostLine) -> list[FiscalYearCost]:
    """One secondment's cost in each fiscal year it touches, host and sender shares apart."""
    out = []
    for fy, months in sorted(months_by_fiscal_year(line.starts_on, line.ends_on).items()):
        total, host, sender = _split(months * line.monthly_cost_baht, line.host_share_pct)
        out.append(FiscalYearCost(fy, round(float(months), 2), total, host, sender))
    return out


def cost_by_agency(lines: Iterable[CostLine], fiscal_year: int) -> list[AgencyCost]:
    """Cost of fiscal year ``fiscal_year`` per agency (as host, and as sender of its own staff), by agency id."""
    lo, hi = fiscal_year_bounds(fiscal_year)
    hosted: dict[int, list[Fraction]] = {}  # agency -> [count, months, total, host part]
    sent: dict[int, Fraction] = {}
    for line in lines:
        months = months_in_period(max(line.starts_on, lo), min(line.ends_on, hi))
        if months == 0:
            continue
        total = months * line.monthly_cost_baht
        host_part = total * line.host_share_pct / 100
        acc = hosted.setdefault(line.host_agency_id, [Fraction(0)] * 4)
        acc[0] += 1
        acc[1] += months
        acc[2] += total
        acc[3] += host_part
        if line.sending_agency_id is not None:
            sent[line.sending_agency_id] = sent.get(line.sending_agency_id, Fraction(0)) + total - host_part
    out = []
    for agency_id in sorted(hosted.keys() | sent.keys()):
        count, months, total, host_part = hosted.get(agency_id, [Fraction(0)] * 4)
        rounded = _round(total)
        host = min(rounded, _round(host_part))
        out.append(
            AgencyCost(
                agency_id=agency_id,
                secondments=int(count),
                months=round(float(months), 2),
                total_baht=rounded,
                host_share_baht=host,
                sender_share_baht=rounded - host,
                paid_as_sender_baht=_round(sent.get(agency_id, Fraction(0))),
            )
        )
    return out
