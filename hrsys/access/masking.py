"""Masking of sensitive personal fields for readers who may see a person but not their private details.

Pure: works on any msgspec Struct (or dict) that has some of the fields. A masked
field reads ``null`` and its name is listed in the struct's ``masked`` field when
it has one, so a client can tell "hidden from you" from "not recorded".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import msgspec

SENSITIVE_PERSON_FIELDS: tuple[str, ...] = (
    "citizen_id",
    "date_of_birth",
    "salary_grade",
    "monthly_cost_baht",
    "email",
    "phone",
)
"""Shown only to the person, HR officers whose agency subtree holds them, and admins."""

S = TypeVar("S", bound=msgspec.Struct)


def mask(obj: S, fields: Iterable[str] = SENSITIVE_PERSON_FIELDS) -> S:
    """A copy of ``obj`` with ``fields`` set to None (and listed in ``obj.masked`` if it exists). O(fields)."""
    names = {f.name for f in msgspec.structs.fields(obj)}
    hidden = [f for f in fields if f in names]
    changes: dict[str, Any] = dict.fromkeys(hidden)
    if "masked" in names:
        changes["masked"] = sorted(set(getattr(obj, "masked", None) or []) | set(hidden))
    return msgspec.structs.replace(obj, **changes)


def mask_dict(row: dict[str, Any], fields: Iterable[str] = SENSITIVE_PERSON_FIELDS) -> dict[str, Any]:
    """The same for a plain mapping (Core rows turned into dicts)."""
    out = dict(row)
    hidden = [f for f in fields if f in out]
    for f in hidden:
        out[f] = None
    if hidden:
        out["masked"] = sorted(set(out.get("masked") or []) | set(hidden))
    return out
