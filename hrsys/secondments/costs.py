"""Secondment cost by Thai fiscal year, split between host and sender (pure).

A secondment costs ``monthly_cost_baht`` per month of its period (partial months
pro rata by day, see :mod:`hrsys.core.fiscal`); the host agency pays
``host_share_pct`` of it and the sending organisation the rest. Amounts are
summed exactly — in integer units of 1/:data:`~hrsys.core.fiscal.MONTH_DENOMINATOR`
of a month, so no floating point and no slow fractions — and rounded to whole
baht once, at the end, half up; the sender's share is the rounded total minus the
rounded host share, so the two always add up to the total shown. O(n) in the
number of secondments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import msgspec

from hrsys.core.fiscal import MONTH_DENOMINATOR, fiscal_year, fiscal_year_bounds, month_units

D = MONTH_DENOMINATOR


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


def _round(units: int, scale: int) -> int:
    """``units / scale`` rounded half up (amounts are never negative)."""
    return (2 * units + scale) // (2 * scale)


def cost_by_fiscal_year(line: CostLine) -> list[FiscalYearCost]:
    """One secondment's cost in each fiscal year it touches, host and sender shares apart."""
    out = []
    for fy in range(fiscal_year(line.starts_on), fiscal_year(line.ends_on) + 1):
        lo, hi = fiscal_year_bounds(fy)
        units = month_units(max(lo, line.starts_on), min(hi, line.ends_on))
        total_units = units * line.monthly_cost_baht
        total = _round(total_units, D)
        host = min(total, _round(total_units * line.host_share_pct, 100 * D))
        out.append(FiscalYearCost(fy, round(units / D, 2), total, host, total - host))
    return out


def cost_by_agency(lines: Iterable[CostLine], fiscal_year: int) -> list[AgencyCost]:
    """Cost of fiscal year ``fiscal_year`` per agency (as host, and as sender of its own staff), by agency id."""
    lo, hi = fiscal_year_bounds(fiscal_year)
    hosted: dict[int, list[int]] = {}  # agency -> [count, month units, total (x D), host part (x 100 D)]
    sent: dict[int, int] = {}  # agency -> sender part (x 100 D)
    for line in lines:
        units = month_units(max(line.starts_on, lo), min(line.ends_on, hi))
        if units == 0:
            continue
        total = units * line.monthly_cost_baht
        host_part = total * line.host_share_pct
        acc = hosted.setdefault(line.host_agency_id, [0, 0, 0, 0])
        acc[0] += 1
        acc[1] += units
        acc[2] += total
        acc[3] += host_part
        if line.sending_agency_id is not None:
            sent[line.sending_agency_id] = sent.get(line.sending_agency_id, 0) + total * 100 - host_part
    out = []
    for agency_id in sorted(hosted.keys() | sent.keys()):
        count, units, total_units, host_units = hosted.get(agency_id, [0, 0, 0, 0])
        total = _round(total_units, D)
        host = min(total, _round(host_units, 100 * D))
        out.append(
            AgencyCost(
                agency_id=agency_id,
                secondments=count,
                months=round(units / D, 2),
                total_baht=total,
                host_share_baht=host,
                sender_share_baht=total - host,
                paid_as_sender_baht=_round(sent.get(agency_id, 0), 100 * D),
            )
        )
    return out
