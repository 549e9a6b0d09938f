"""Bad input to every write endpoint of the app gets a clear 4xx in the problem shape, never a 500."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

import msgspec
import pytest

from hrsys.core.errors import FieldError
from hrsys.core.schemas import Input
from hrsys.core.validation import field_errors
from tests import factories

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


class _Item(Input):
    kind: str
    qty: Annotated[int, msgspec.Meta(ge=1)] = 1

    def check(self) -> list[FieldError]:
        return [FieldError("qty", "a gift comes one at a time")] if self.kind == "gift" and self.qty > 1 else []


class _Period(Input):
    starts_on: dt.date
    ends_on: dt.date | None = None


class _Order(Input):
    items: list[_Item] = []
    period: _Period | None = None
    tags: list[str] = []


def test_field_paths_name_list_items_and_nested_fields_as_in_the_json() -> None:
    raw = {
        "items": [{"kind": "book"}, {"kind": 5, "qty": 0}, 7, {"kind": "gift", "qty": 2}, {"kind": "pen", "x": 1}],
        "period": {"starts_on": "soon", "ends_on": 3},
        "tags": ["a", 2],
    }
    assert [(e.field, e.reason) for e in field_errors(_Order, raw)] == [
        ("items[1].kind", "Expected `str`, got `int`"),
        ("items[1].qty", "Expected `int` >= 1"),
        ("items[2]", "Expected a JSON object, got int"),
        ("items[3].qty", "a gift comes one at a time"),
        ("items[4].x", "Unknown field"),
        ("period.starts_on", "Invalid RFC3339 encoded date"),
        ("period.ends_on", "Expected `date | null`, got `int`"),
        ("tags[1]", "Expected `str`, got `int`"),
    ]


def test_a_list_item_at_fault_is_named_items_index_field(client, session) -> None:  # type: ignore[no-untyped-def]
    person = factories.person(session, factories.agency(session, "MDES"))
    items = [{"kind": "course"}, {"kind": "mentoring", "course": "X", "due_on": "x"}]
    body = {"person_id": person.id, "items": items}
    r = client.post("/api/v1/development-plans", json=body)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["items[0].course", "items[1].due_on"]


@pytest.mark.parametrize(
    ("action", "body", "fields"),
    [
        ("submit", {"reason": 5, "bogus": 1}, ["bogus", "reason"]),
        ("activate", {"on": "not a date", "reason": 7}, ["reason", "on"]),
        ("complete", [1], ["body"]),
    ],
)
def test_an_optional_body_lists_every_field_at_fault(client, session, action, body, fields) -> None:  # type: ignore[no-untyped-def]
    home = factories.agency(session, "MDES")
    s = factories.secondment(
        session, factories.person(session, home), home, dt.date(2026, 1, 1), dt.date(2026, 6, 30), status="proposed"
    )
    r = client.post(f"/api/v1/secondments/{s.id}/{action}", json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == fields
