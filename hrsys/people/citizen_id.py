"""Thai citizen identification numbers: 13 digits, the last a check digit."""

from __future__ import annotations


def check_digit(first12: str) -> int:
    """Check digit of the first 12 digits: (11 - sum(d_i * (14 - i)) mod 11) mod 10, i = 1..12.

    >>> check_digit("110170020345")
    0
    """
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return (11 - total % 11) % 10


def is_valid(cid: str) -> bool:
    """True for 13 ASCII digits whose last digit is the check digit of the first 12."""
    return len(cid) == 13 and cid.isascii() and cid.isdigit() and int(cid[12]) == check_digit(cid[:12])


def problem(cid: str) -> str | None:
    """Why ``cid`` is not a valid citizen ID, or None."""
    if not (cid.isascii() and cid.isdigit()):
        return "must contain digits only"
    if len(cid) != 13:
        return f"must be 13 digits, got {len(cid)}"
    if not is_valid(cid):
        return "check digit does not match"
    return None


def make(first12: str) -> str:
    """Complete 12 digits with their check digit."""
    return first12 + str(check_digit(first12))
