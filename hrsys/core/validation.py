"""Input validation that reports every field at fault, not just the first.

msgspec stops at the first error; :func:`field_errors` checks each field on its own
so a 422 can list all of them. Rules across fields live in ``Input.check``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from hrsys.core.errors import FieldError
from hrsys.core.schemas import _SKIP_CHECKS


def _split(message: str) -> tuple[str, str]:
    """Split msgspec's ``Expected `int`, got `str` - at `$.a[0]` `` into (path, reason)."""
    if " - at `" in message:
        reason, _, path = message.rpartition(" - at `")
        path = path.rstrip("`").removeprefix("$").lstrip(".")
        return path, reason
    return "", message


def field_errors(struct_type: type[Any], raw: Any) -> list[FieldError]:
    """Every error of ``raw`` against ``struct_type``: types, required and unknown fields, cross-field rules."""
    if not isinstance(raw, dict):
        return [FieldError("body", f"Expected a JSON object, got {type(raw).__name__}")]
    info = msgspec.inspect.type_info(struct_type)
    if not isinstance(info, msgspec.inspect.StructType):
        return []
    errors: list[FieldError] = []
    fields = {f.encode_name: f for f in msgspec.structs.fields(struct_type)}
    if info.forbid_unknown_fields:
        errors.extend(FieldError(str(name), "Unknown field") for name in raw if name not in fields)
    for name, f in fields.items():
        if name not in raw:
            if f.required:
                errors.append(FieldError(name, "Field is required"))
            continue
        try:
            msgspec.convert(raw[name], f.type, strict=False)
        except msgspec.ValidationError as exc:
            sub, reason = _split(str(exc))
            errors.append(FieldError(f"{name}.{sub}" if sub else name, reason))
    if errors:
        return errors
    token = _SKIP_CHECKS.set(True)
    try:
        obj = msgspec.convert(raw, struct_type, strict=False)
    except msgspec.ValidationError as exc:
        sub, reason = _split(str(exc))
        return [FieldError(sub or "body", reason)]
    finally:
        _SKIP_CHECKS.reset(token)
    checker = getattr(obj, "check", None)
    return list(checker()) if callable(checker) else []
