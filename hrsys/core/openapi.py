"""The OpenAPI document, made to tell the truth about errors, formats and ranges.

Litestar documents each operation's success and a generic 400 in its own JSON shape. hrsys
answers every error as RFC 9457 problem details (:mod:`hrsys.core.errors`), so
:func:`refine` rewrites the generated document once, from what each route declares:

* every operation lists the ``application/problem+json`` statuses it can answer, derived
  from its access rule and method: 401 and 403 unless public, 404 with a path parameter
  (or a query parameter naming a row), 409 for writes, 422 with any parameter or body,
  400 with a body (malformed JSON, not UTF-8, nested too deeply), 401 and 429 for public
  writes (sign-in: wrong credentials, its rate limit);
* a route that answers in several formats (a ``format`` query parameter) lists each media
  type, and the JSON one with its schema rather than ``oneOf: [{}, X]``;
* integers of parameters and request bodies carry the range the edge checks enforce
  (:mod:`hrsys.core.edge`);
* Litestar's own documentation routes (``/schema/...``) are left out.
"""

from __future__ import annotations

import copy
from typing import Any

from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.routes import HTTPRoute

from hrsys.core.edge import INT_MAX, INT_MIN
from hrsys.core.errors import PROBLEM_MEDIA_TYPE

PROBLEM_SCHEMAS: dict[str, Any] = {
    "FieldError": {
        "type": "object",
        "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
        "required": ["field", "reason"],
    },
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details; `errors` lists every field at fault.",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
            "allowed": {"type": "array", "items": {"type": "string"}},
            "rule": {"type": "string"},
            "extra": {"type": "object"},
        },
        "required": ["type", "title", "status"],
    },
}

DESCRIPTIONS = {
    "400": "Malformed request: the body is not JSON, not UTF-8, or nested too deeply",
    "401": "Not signed in, or the sign-in token is expired or revoked",
    "403": "The caller's role or scope does not allow this (or a cookie request lacks its CSRF token)",
    "404": "The row named in the path (or a query parameter) does not exist, or is outside the caller's scope",
    "409": "Conflict: a unique key, an illegal state change, an over-booking or a stale edit",
    "422": "Invalid fields: every field at fault is listed in `errors`",
    "429": "Too many failed sign-ins: wait and try again",
}

FORMAT_MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "svg": "image/svg+xml",
}

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

FREE_TEXT_QUERIES = frozenset({"q"})
"""Free-text query parameters: a search, never a lookup of one row."""


def _names_a_row(param: dict[str, Any]) -> bool:
    """May this query parameter name a row (so that an unknown value is a 404)? A code (free string) or an id."""
    if param.get("in") != "query" or param.get("name") in FREE_TEXT_QUERIES:
        return False
    name = str(param.get("name", ""))
    schema = param.get("schema", {})
    members = schema.get("oneOf") or schema.get("anyOf") or [schema]
    for m in members:
        if m.get("type") == "array":
            m = m.get("items", {})
        if m.get("type") == "string" and "enum" not in m and "format" not in m:
            return True
        if m.get("type") == "integer" and (name == "person" or name.endswith("_id")):
            return True
    return False


def _problem(status: str) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS[status],
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _handlers(app: Litestar) -> dict[tuple[str, str], Any]:
    out: dict[tuple[str, str], Any] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method, (handler, _) in route.route_handler_map.items():
                out[(route.path_format or "/", method.upper())] = handler
    return out


def _statuses(rule: str | None, method: str, op: dict[str, Any]) -> set[str]:
    params = op.get("parameters", [])
    has_body = "requestBody" in op
    statuses: set[str] = set()
    if rule != "public":
        statuses |= {"401", "403"}
    if any(p.get("in") == "path" for p in params) or any(_names_a_row(p) for p in params):
        statuses.add("404")
    if method in WRITE_METHODS:
        statuses.add("409")
    if params or has_body:
        statuses.add("422")
    if has_body:
        statuses.add("400")
    if rule == "public" and method in WRITE_METHODS:
        statuses |= {"401", "429"}  # sign-in: wrong credentials, too many failures
    return statuses


def _unwrap_any_of(schema: dict[str, Any]) -> dict[str, Any]:
    """``oneOf: [{}, X]`` (a ``Response[bytes] | X`` return annotation) is X."""
    for key in ("oneOf", "anyOf"):
        options = schema.get(key)
        if isinstance(options, list):
            real = [o for o in options if o != {}]
            if len(real) == 1 and len(real) < len(options):
                return dict(real[0])
    return schema


def _format_values(op: dict[str, Any], components: dict[str, Any]) -> list[str]:
    for p in op.get("parameters", []):
        if p.get("in") == "query" and p.get("name") == "format":
            schema = p.get("schema", {})
            if "$ref" in schema:
                schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
            values = schema.get("enum") or [o.get("const") for o in schema.get("oneOf", []) if "const" in o]
            return [str(v) for v in values if v is not None]
    return []


def _success_content(op: dict[str, Any], components: dict[str, Any]) -> None:
    for status, response in op.get("responses", {}).items():
        if not status.startswith("2") or "content" not in response:
            continue
        content = response["content"]
        json_entry = content.get("application/json")
        if json_entry is not None and "schema" in json_entry:
            json_entry["schema"] = _unwrap_any_of(json_entry["schema"])
        formats = [f for f in _format_values(op, components) if f in FORMAT_MEDIA_TYPES]
        if not formats:
            continue
        new: dict[str, Any] = {}
        for f in formats:
            media = FORMAT_MEDIA_TYPES[f]
            if f == "json":
                new[media] = json_entry or {"schema": {}}
            elif f == "xlsx":
                new[media] = {"schema": {"type": "string", "format": "binary"}}
            else:
                new[media] = {"schema": {"type": "string"}}
        response["content"] = new


def _bound_integers(schema: Any) -> None:
    """Give every integer in ``schema`` (recursively) the range of :mod:`hrsys.core.edge`."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            kind = node.get("type")
            if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
                if "minimum" not in node and "exclusiveMinimum" not in node:
                    node["minimum"] = INT_MIN
                if "maximum" not in node and "exclusiveMaximum" not in node:
                    node["maximum"] = INT_MAX
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                found.add(ref.rsplit("/", 1)[-1])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def refine(app: Litestar, document: dict[str, Any], docs_path: str = "/schema") -> dict[str, Any]:
    """The document with problem statuses, formats and integer ranges as described in the module docstring."""
    doc = copy.deepcopy(document)
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    handlers = _handlers(app)
    paths: dict[str, Any] = doc.get("paths", {})
    for path in [p for p in paths if p == docs_path or p.startswith(docs_path + "/")]:
        del paths[path]
    request_components: set[str] = set()
    for path, item in paths.items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            handler = handlers.get((path, method.upper()))
            rule = handler.opt.get("access") if handler is not None else None
            responses = op["responses"]
            responses.pop("400", None)  # Litestar's own shape; ours is a problem
            for status in sorted(_statuses(str(rule) if rule is not None else None, method.upper(), op)):
                responses.setdefault(status, _problem(status))
            _success_content(op, components)
            for p in op.get("parameters", []):
                _bound_integers(p.get("schema"))
                request_components |= _refs(p.get("schema"))
            if "requestBody" in op:
                _bound_integers(op["requestBody"])
                request_components |= _refs(op["requestBody"])
    seen: set[str] = set()
    while request_components - seen:
        name = (request_components - seen).pop()
        seen.add(name)
        if name in components:
            request_components |= _refs(components[name])
    for name in seen:
        if name in components:
            _bound_integers(components[name])
    components.update(copy.deepcopy(PROBLEM_SCHEMAS))
    return doc


class _RefiningOpenAPIPlugin(OpenAPIPlugin):
    """Litestar's OpenAPI plugin, serving the :func:`refine`-d document (built once, on first request)."""

    __slots__ = ()

    def provide_openapi_schema(self) -> dict[str, Any]:
        if not self._openapi_schema:
            self._openapi_schema = refine(self.app, self.provide_openapi().to_schema())
        return self._openapi_schema


def install(app: Litestar) -> None:
    """Serve the refined document at ``/schema/openapi.json`` (and in the Swagger and Scalar pages)."""
    plugin = app.plugins.get(OpenAPIPlugin)
    plugin.__class__ = _RefiningOpenAPIPlugin  # the app made the plugin; only its document changes
