"""Checks at the edge: input that no handler could use is refused before any handler or database sees it.

One app-level guard, :func:`input_guard`, runs after the access rule on every request:

* **integers** in the path, in query parameters declared as integers and anywhere in a JSON body
  must fit the database's integer (PostgreSQL ``INTEGER``, 32 bits, unless the parameter or field
  declares its own range, as budgets kept in ``BIGINT`` do). SQLite would store up to 64 bits and
  PostgreSQL refuses more than 32, so the same bound on both keeps their answers the same: 422
  naming the field.
* **NUL characters** (PostgreSQL cannot store them in text; SQLite's full-text search chokes on
  them) in the path, any query parameter or any string of a JSON body: 422 naming the field.
* a JSON body that is **not UTF-8**, or nested so deep that decoding it would exhaust the stack
  (thousands of levels; a body walked for the checks above may nest :data:`MAX_JSON_DEPTH`): 400.
* a **file upload** (``data: UploadFile``) without a part that carries a file name: 422 on ``data``.

The guard reads the body once; Litestar keeps it for the handler. What the handler's type
checks (types, required fields, ranges the struct declares) stays with the handler's validation.
"""

from __future__ import annotations

import re
from typing import Any, get_args, get_origin

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.handlers.base import BaseRouteHandler
from litestar.params import BodyKwarg, ParameterKwarg

from hrsys.core.errors import BadRequest, FieldError, Invalid
from hrsys.core.validation import _members, field_errors, struct_of

INT_MIN = -(2**31)
INT_MAX = 2**31 - 1
"""The range of every integer hrsys accepts (PostgreSQL ``INTEGER``)."""

MAX_JSON_DEPTH = 32
"""No request body of the API nests deeper than a few levels; this leaves ample room."""

_TOO_DEEP = f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels"
_NUL_REASON = "must not contain the NUL character (U+0000)"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _Plan(msgspec.Struct):
    """What the guard checks for one handler (worked out once per handler)."""

    int_queries: dict[str, tuple[int, int]]
    """Query parameters declared as integers, with the range the edge enforces on them."""
    body: str | None  # "json", "upload" or None
    body_type: Any = None
    """``msgspec.inspect`` of the body's type: declared integer ranges win over the default one."""
    body_struct: Any = None
    """The body's struct, to list its other faults beside the edge's (:func:`hrsys.core.validation.field_errors`)."""


_PLAN_KEY = "_input_plan"


def _is_int_type(annotation: Any) -> bool:
    """``int``, ``int | None``, ``Annotated[int, ...]``, ``list[int]``..."""
    for member in _members(annotation):
        if member is int:
            return True
        origin = get_origin(member)
        sequence = isinstance(origin, type) and issubclass(origin, list | tuple | set | frozenset)
        if sequence and any(_is_int_type(arg) for arg in get_args(member)):
            return True
    return False


def _declared_range(lo: Any, hi: Any) -> tuple[int, int]:
    """A declared bound wins (a column may be wider, e.g. budgets in ``BIGINT``); otherwise ``INTEGER``'s."""
    return (int(lo) if lo is not None else INT_MIN, int(hi) if hi is not None else INT_MAX)


def _plan_of(handler: BaseRouteHandler) -> _Plan:
    plan = handler.opt.get(_PLAN_KEY)
    if plan is not None:
        return plan  # type: ignore[no-any-return]
    int_queries: dict[str, tuple[int, int]] = {}
    body: str | None = None
    body_type: Any = None
    body_struct: Any = None
    try:
        parameters = handler.parsed_fn_signature.parameters
    except Exception:  # pragma: no cover - ASGI mounts have no signature
        parameters = {}
    for name, field in parameters.items():
        kwarg = field.kwarg_definition
        if name == "data":
            if any(m is UploadFile for m in _members(field.annotation)):
                body = "upload"
            elif isinstance(kwarg, BodyKwarg) and kwarg.media_type not in (None, RequestEncodingType.JSON):
                body = None  # forms: parsed and checked by Litestar
            else:
                body = "json"
                body_struct = struct_of(field.annotation)
                try:
                    body_type = msgspec.inspect.type_info(field.annotation)
                except Exception:  # a type msgspec cannot describe: the default range everywhere
                    body_type = None
            continue
        if isinstance(kwarg, ParameterKwarg) and (kwarg.header or kwarg.cookie):
            continue
        if _is_int_type(field.annotation):
            query = kwarg.query if isinstance(kwarg, ParameterKwarg) and kwarg.query else name
            lo = hi = None
            if isinstance(kwarg, ParameterKwarg):
                lo = kwarg.ge if kwarg.ge is not None else (kwarg.gt + 1 if kwarg.gt is not None else None)
                hi = kwarg.le if kwarg.le is not None else (kwarg.lt - 1 if kwarg.lt is not None else None)
            int_queries[query] = _declared_range(lo, hi)
    plan = _Plan(int_queries=int_queries, body=body, body_type=body_type, body_struct=body_struct)
    handler.opt[_PLAN_KEY] = plan
    return plan


def _range_reason(lo: int, hi: int) -> str:
    return f"must be an integer from {lo} to {hi}"


def _int_error(field: str, value: int, bounds: tuple[int, int] = (INT_MIN, INT_MAX)) -> FieldError | None:
    if isinstance(value, bool) or bounds[0] <= value <= bounds[1]:
        return None
    return FieldError(field, _range_reason(*bounds))


_ASCII_INT = re.compile(r"[+-]?[0-9]{1,4300}")


def _query_int(text: str) -> int | None:
    """The integer written in ``text`` (ASCII digits: ``str.isdigit`` also takes "¹"), or None."""
    stripped = text.strip()
    if _ASCII_INT.fullmatch(stripped) is None:
        return None  # not an integer: the handler's validation says so
    return int(stripped)


_insp = msgspec.inspect


def _member(info: Any, value: Any) -> Any:
    """The part of a declared type that a JSON value would be decoded as (None: not known)."""
    while isinstance(info, _insp.Metadata):
        info = info.type
    if not isinstance(info, _insp.UnionType):
        return info
    for t in info.types:
        while isinstance(t, _insp.Metadata):
            t = t.type
        if isinstance(value, dict) and isinstance(t, _insp.StructType | _insp.DictType | _insp.TypedDictType):
            return t
        if isinstance(value, list) and isinstance(t, _insp.ListType | _insp.SetType | _insp.VarTupleType):
            return t
        if isinstance(value, int) and isinstance(t, _insp.IntType):
            return t
    return info  # no member takes this value: the handler's validation says so


def _bounds(info: Any) -> tuple[int, int]:
    if isinstance(info, _insp.IntType):
        lo = info.ge if info.ge is not None else (info.gt + 1 if info.gt is not None else None)
        hi = info.le if info.le is not None else (info.lt - 1 if info.lt is not None else None)
        return _declared_range(lo, hi)
    return INT_MIN, INT_MAX


def json_errors(value: Any, info: Any = None, path: str = "", level: int = 0) -> list[FieldError]:
    """NUL characters, and integers out of range (the declared one, else ``INTEGER``'s), anywhere in a
    decoded JSON value, with their paths. ``info``: ``msgspec.inspect`` of the declared type, if known.
    Deeper than :data:`MAX_JSON_DEPTH` is a :class:`BadRequest` (no body of the API nests so deep)."""
    if level > MAX_JSON_DEPTH:
        raise BadRequest(_TOO_DEEP)
    info = _member(info, value)
    where = path or "body"
    if isinstance(value, str):
        return [FieldError(where, _NUL_REASON)] if "\x00" in value else []
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        if info is not None and not isinstance(info, _insp.IntType | _insp.AnyType):
            return []  # a float or decimal has its own range; another type is the handler's to refuse
        error = _int_error(where, value, _bounds(info))
        return [error] if error is not None else []
    errors: list[FieldError] = []
    if isinstance(value, dict):
        fields: dict[str, Any] = {}
        if isinstance(info, _insp.StructType | _insp.TypedDictType):
            fields = {f.encode_name: f.type for f in info.fields}
        for key, sub in value.items():
            name = f"{path}.{key}" if path else str(key)
            if "\x00" in key:
                errors.append(FieldError(name, _NUL_REASON))
            sub_info = fields.get(key) if fields else (info.value_type if isinstance(info, _insp.DictType) else None)
            errors.extend(json_errors(sub, sub_info, name, level + 1))
    elif isinstance(value, list):
        item = info.item_type if isinstance(info, _insp.ListType | _insp.SetType | _insp.VarTupleType) else None
        for i, sub in enumerate(value):
            errors.extend(json_errors(sub, item, f"{path}[{i}]", level + 1))
    return errors


_LONG_NUMBER = re.compile(rb"\d{10}")
_NUL_ESCAPE = b"\\u0000"


async def _check_json_body(connection: ASGIConnection[Any, Any, Any, Any], plan: _Plan) -> list[FieldError]:
    request = connection if isinstance(connection, Request) else Request(connection.scope, connection.receive)
    raw = await request.body()
    if not raw:
        return []
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the request body is not UTF-8 text (byte {exc.start})") from None
    walk = _NUL_ESCAPE in raw or _LONG_NUMBER.search(raw) is not None
    if not walk and raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return []  # the usual body: nothing to look for, and too few brackets to nest deeply
    try:
        decoded = msgspec.json.decode(raw)  # in C: a large body costs milliseconds
    except RecursionError:
        raise BadRequest(_TOO_DEEP) from None
    except msgspec.DecodeError:
        return []  # the handler's validation answers "malformed JSON"
    if not walk:
        return []
    errors = json_errors(decoded, plan.body_type)
    if errors and plan.body_struct is not None:
        at_fault = {e.field for e in errors}
        try:
            others = field_errors(plan.body_struct, decoded)
        except (msgspec.ValidationError, ValueError, TypeError, OverflowError):
            others = []
        errors.extend(e for e in others if e.field not in at_fault and not e.field.startswith(tuple(at_fault)))
    return errors


async def _check_upload(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    request = connection if isinstance(connection, Request) else Request(connection.scope, connection.receive)
    content_type, _ = request.content_type
    if content_type != RequestEncodingType.MULTI_PART:
        return  # Litestar refuses other bodies for an upload route by itself
    form = await request.form()
    if not any(isinstance(v, UploadFile) for _, v in form.multi_items()):
        raise Invalid.one("data", "send the file as a multipart part with a file name (filename=...)")


async def input_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Refuse input no handler could use (see the module docstring)."""
    errors: list[FieldError] = []
    for name, value in connection.path_params.items():
        if isinstance(value, int):
            if (error := _int_error(name, value)) is not None:
                errors.append(error)
        elif isinstance(value, str) and "\x00" in value:
            errors.append(FieldError(name, _NUL_REASON))
    plan = _plan_of(handler)
    query = connection.query_params
    if query:
        for key, value in query.multi_items():
            if "\x00" in value or "\x00" in key:
                errors.append(FieldError(key, _NUL_REASON))
            elif key in plan.int_queries and (number := _query_int(value)) is not None:
                error = _int_error(key, number, plan.int_queries[key])
                errors.extend([error] if error is not None else [])
    if plan.body is not None and connection.scope.get("method", "GET") in _BODY_METHODS:
        if plan.body == "json":
            errors.extend(await _check_json_body(connection, plan))
        else:
            await _check_upload(connection)
    if errors:
        raise Invalid.many(errors)
