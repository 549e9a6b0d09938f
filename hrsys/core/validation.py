"""Input validation that reports every field at fault, not just the first.

msgspec stops at the first error; :func:`field_errors` checks each field on its own
so a 422 can list all of them, and each item of a list of structs (or a nested
struct) the same way. Rules across fields live in ``Input.check``. Field paths
read as in the JSON: ``items[1].course``, ``period.starts_on``.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Annotated, Any, Union, get_args, get_origin

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


def _join(name: str, sub: str) -> str:
    """``items`` + ``[1].course`` -> ``items[1].course``; ``period`` + ``starts_on`` -> ``period.starts_on``."""
    if not sub:
        return name
    return f"{name}{sub}" if sub.startswith("[") else f"{name}.{sub}"


def _members(annotation: Any) -> list[Any]:
    """The types a value may have: ``Annotated`` unwrapped, unions flattened, ``None`` and ``UNSET`` left out."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [m for arg in get_args(annotation) for m in _members(arg)]
    if annotation is None or annotation is type(None) or annotation is msgspec.UnsetType:
        return []
    return [annotation]


def _is_struct(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, msgspec.Struct)


def struct_of(annotation: Any) -> type[msgspec.Struct] | None:
    """The struct of a body or field annotated ``S``, ``S | None`` or ``Annotated[S, ...]``; None otherwise."""
    members = _members(annotation)
    return members[0] if len(members) == 1 and _is_struct(members[0]) else None


def _nested_errors(annotation: Any, value: Any, name: str) -> list[FieldError]:
    """Every error inside a nested struct or a list of structs, under ``name.field`` or ``name[i].field``."""
    if (struct := struct_of(annotation)) is not None:
        if not isinstance(value, dict):
            return []
        return [
            FieldError(f"{name}.{e.field}" if e.field != "body" else name, e.reason)
            for e in field_errors(struct, value)
        ]
    members = _members(annotation)
    if len(members) != 1 or not isinstance(value, list):
        return []
    origin, args = get_origin(members[0]), get_args(members[0])
    if not (isinstance(origin, type) and issubclass(origin, Sequence)) or len(args) != 1:
        return []
    item = struct_of(args[0])
    if item is None:
        return []
    errors: list[FieldError] = []
    for i, element in enumerate(value):
        errors.extend(
            FieldError(f"{name}[{i}].{e.field}" if e.field != "body" else f"{name}[{i}]", e.reason)
            for e in field_errors(item, element)
        )
    return errors


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
            nested = _nested_errors(f.type, raw[name], name)
            if nested:
                errors.extend(nested)
                continue
            sub, reason = _split(str(exc))
            errors.append(FieldError(_join(name, sub), reason))
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
