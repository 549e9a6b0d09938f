"""Copying fields by name between rows, input structs and answer structs: the one way services do it (pure).

Nothing is converted: a date stays a date, an enum member stays a member, exactly as a direct call of the struct
would take them; the JSON key order of an answer is its struct's field order, whatever the order of ``given``."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

S = TypeVar("S", bound=msgspec.Struct)


def copied(cls: type[S], source: Any, /, **given: Any) -> S:
    """A ``cls`` whose fields are ``given``, and the others the attributes of the same name of ``source`` (an
    ORM object, a result row, a cached record, another struct)."""
    return cls(**{f: given[f] if f in given else getattr(source, f) for f in cls.__struct_fields__})


def columns(data: msgspec.Struct, *leave_out: str, **given: Any) -> dict[str, Any]:
    """The fields of an input struct, but ``leave_out`` and with ``given`` in their place or added, as keyword
    arguments of its row."""
    return {f: v for f, v in msgspec.structs.asdict(data).items() if f not in leave_out} | given


def changes(data: msgspec.Struct, *leave_out: str) -> dict[str, Any]:
    """The fields an update sets (those not ``UNSET``), but ``leave_out``."""
    return {f: v for f, v in columns(data, *leave_out).items() if v is not msgspec.UNSET}
