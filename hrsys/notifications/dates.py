"""Dates in the texts of notifications (pure): the Buddhist Era in Thai, the Christian Era in English.

The same rule as the pages (``hrsys.web.i18n.format_date``), kept here because notifications sit below the
web layer: ``24 พ.ย. 2569`` in Thai (BE = CE + 543), ``24 Nov 2026`` in English.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

MONTHS_TH = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
BE_OFFSET = 543


def format_date(day: dt.date | None, language: str) -> str:
    """``24 พ.ย. 2569`` in Thai (``th``), ``24 Nov 2026`` otherwise; empty for None."""
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = day.date()
    if language == "th":
        return f"{day.day} {MONTHS_TH[day.month - 1]} {day.year + BE_OFFSET}"
    return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def localised(params: Mapping[str, Any], language: str) -> dict[str, Any]:
    """``params`` with every date written for ``language`` (other values as they are)."""
    return {k: format_date(v, language) if isinstance(v, dt.date) else v for k, v in params.items()}
