"""Bad input to every write endpoint of the app gets a clear 4xx in the problem shape, never a 500."""

from __future__ import annotations

import re

import pytest

BODIES = [
    b'{"unterminated": ',  # malformed JSON
    b"[1, 2, 3]",  # not an object
    b'{"no_such_field": 1}',  # unknown field / missing required fields
    b'{"id": "x", "code": 7, "level": "high", "starts_on": "not a date", "allocation": -5}',  # wrong types
    '{"name_th": "\u0e01" }'.encode(),  # partial, Thai text
]


def _write_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    out = []
    for route in app.routes:
        for method in sorted(getattr(route, "methods", set()) & {"POST", "PUT", "PATCH"}):
            path = route.path
            if path.startswith("/admin") or path.startswith("/schema"):
                continue
            out.append((method, path))
    return sorted(set(out))


def _fill(path: str) -> str:
    return re.sub(r"\{[^}:]+:(int|str|path|uuid)\}", lambda m: "1" if m[1] == "int" else "X1", path)


def test_every_write_endpoint_refuses_bad_input_with_a_problem(client, app) -> None:
    routes = _write_routes(app)
    assert len(routes) >= 5, routes
    failures = []
    for method, path in routes:
        url = _fill(path)
        for body in BODIES:
            r = client.request(method, url, content=body, headers={"content-type": "application/json"})
            if r.status_code >= 500:
                failures.append(f"{method} {path} {body[:30]!r}: {r.status_code} {r.text[:200]}")
            elif r.status_code >= 400:
                ctype = r.headers.get("content-type", "")
                if not ctype.startswith("application/problem+json") or "status" not in r.json():
                    failures.append(f"{method} {path}: {r.status_code} not a problem document ({ctype})")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("body", [b'{"kind": "civil_servant"', b'"just a string"'])
def test_people_create_distinguishes_malformed_from_invalid(client, body) -> None:
    r = client.post("/api/v1/people", content=body, headers={"content-type": "application/json"})
    assert r.status_code in (400, 422)
    assert r.json()["status"] == r.status_code
