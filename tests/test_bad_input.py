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


# --- input that no handler could use: refused at the edge, the same way on SQLite and PostgreSQL ---------

INT_MAX = 2**31 - 1
PAST_RANGE = [2**31, 2**63, 2**70, -(2**31) - 1]  # past PostgreSQL's INTEGER, SQLite's INTEGER, both


def _problem(r, status: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status
    return body  # type: ignore[no-any-return]


@pytest.mark.parametrize("number", PAST_RANGE)
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/people/{n}",
        "/api/v1/people/{n}/gap?role=X",
        "/api/v1/taskforces/{n}",
        "DELETE /api/v1/taskforces/1/budget/{n}",
        "/api/v1/secondments/{n}/history",
        "/api/v1/people?offset={n}",
        "/api/v1/audit?person={n}",
        "/api/v1/secondments/alerts?ending_within={n}",
    ],
)
def test_ids_and_numbers_past_the_integer_range_in_paths_and_queries_are_422(client, session, url, number) -> None:  # type: ignore[no-untyped-def]
    factories.person(session, factories.agency(session, "MDES"))
    method, _, path = url.rpartition(" ")
    body = _problem(client.request(method or "GET", path.format(n=number)), 422)
    assert body["errors"][0]["reason"].startswith("must be an integer from")


def test_the_largest_integer_id_is_an_ordinary_missing_row(client) -> None:  # type: ignore[no-untyped-def]
    assert _problem(client.get(f"/api/v1/people/{INT_MAX}"), 404)["detail"] == f"person {INT_MAX} does not exist"


@pytest.mark.parametrize("number", PAST_RANGE)
def test_numbers_past_the_integer_range_in_bodies_are_422_and_nothing_is_written(client, session, number) -> None:  # type: ignore[no-untyped-def]
    person = factories.person(session, factories.agency(session, "MDES"))
    before = client.get(f"/api/v1/people/{person.id}/development-plans").json()
    items = [{"kind": "course", "course": "C1"}, {"kind": "course", "course": "C2", "position": number}]
    r = client.post("/api/v1/development-plans", json={"person_id": number, "items": items, "bogus": 1})
    fields = [e["field"] for e in _problem(r, 422)["errors"]]
    assert "person_id" in fields and "items[1].position" in fields and "bogus" in fields, fields
    assert client.get(f"/api/v1/people/{person.id}/development-plans").json() == before


def test_a_declared_range_wider_than_integer_is_kept(client, session) -> None:  # type: ignore[no-untyped-def]
    """Task-force budgets are BIGINT and declare up to 10^12 baht: 3 billion is not refused as out of range."""
    factories.agency(session, "MDES")
    body = {
        "code": "TF-BIG",
        "name_th": "คณะทำงาน",
        "name_en": "Task force",
        "agency": "MDES",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "budget_baht": 3_000_000_000,
    }
    r = client.post("/api/v1/taskforces", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["budget_baht"] == 3_000_000_000
    r = client.post("/api/v1/taskforces", json={**body, "code": "TF-BIGGER", "budget_baht": 10**13})
    assert "budget_baht" in [e["field"] for e in _problem(r, 422)["errors"]]


@pytest.mark.parametrize(
    "body", [b'{"kind": "\xff\xfe"}', '{"name_th": "ก"}'.encode("utf-16"), '{"name_th": "กข"}'.encode("tis-620")]
)
def test_a_body_that_is_not_utf8_is_a_400(client, body) -> None:  # type: ignore[no-untyped-def]
    for url in ("/api/v1/people", "/api/v1/agencies"):
        r = client.post(url, content=body, headers={"content-type": "application/json"})
        assert "not UTF-8" in _problem(r, 400)["detail"]


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 5000 + b"]" * 5000,
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
        b'{"name_th": ' + b"[" * 100_000,  # deep and unterminated
    ],
)
def test_json_nested_thousands_of_levels_deep_is_a_400(client, body) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/agencies", content=body, headers={"content-type": "application/json"})
    assert "nests deeper" in _problem(r, 400)["detail"]


def test_brackets_inside_strings_are_not_nesting(client) -> None:  # type: ignore[no-untyped-def]
    body = {"code": "NEST", "name_th": "[" * 200 + "ก", "name_en": "{" * 100 + '\\"[[', "kind": "ministry"}
    assert client.post("/api/v1/agencies", json=body).status_code == 201


def test_a_nul_character_in_a_body_field_is_422_and_nothing_is_written(client) -> None:  # type: ignore[no-untyped-def]
    body = {"code": "NUL", "name_th": "ก\u0000ข", "name_en": "Agency", "kind": "ministry", "province": "\u0000"}
    errors = _problem(client.post("/api/v1/agencies", json=body), 422)["errors"]
    assert [e["field"] for e in errors] == ["name_th", "province"]
    assert "NUL" in errors[0]["reason"]
    assert client.get("/api/v1/agencies/NUL").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/people?q=ab%00c",
        "/api/v1/skills?q=ab%00c",
        "/api/v1/agencies?q=%00",
        "/api/v1/people?agency=MD%00ES",
        "/api/v1/agencies/MD%00ES",
        "/api/v1/skills?q=x&no%00such=1",
    ],
)
def test_a_nul_character_in_a_query_parameter_or_the_path_is_422(client, session, url) -> None:  # type: ignore[no-untyped-def]
    factories.agency(session, "MDES")
    assert "NUL" in _problem(client.get(url), 422)["errors"][0]["reason"]


def _upload_routes(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Every route whose body is a file upload (``data: UploadFile``)."""
    from litestar.datastructures import UploadFile

    from hrsys.core.validation import _members

    out = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            field = handler.parsed_fn_signature.parameters.get("data")
            if field is not None and UploadFile in _members(field.annotation):
                out.append(route.path)
    return sorted(set(out))


def test_a_multipart_part_without_a_filename_is_422_on_every_upload_route(client, app) -> None:  # type: ignore[no-untyped-def]
    routes = _upload_routes(app)
    assert {"/api/v1/people/import", "/api/v1/assessments/import"} <= set(routes), routes
    part = b'--B\r\nContent-Disposition: form-data; name="data"\r\n\r\nfirst_name_th,last_name_th\r\n--B--\r\n'
    for route in routes:
        r = client.post(route, content=part, headers={"content-type": "multipart/form-data; boundary=B"})
        assert [e["field"] for e in _problem(r, 422)["errors"]] == ["data"], route
        empty = client.post(route, content=b"--B--\r\n", headers={"content-type": "multipart/form-data; boundary=B"})
        _problem(empty, 422)


def test_a_405_names_the_allowed_methods(client) -> None:  # type: ignore[no-untyped-def]
    r = client.put("/api/v1/people", json={})
    _problem(r, 405)
    assert {m.strip() for m in r.headers["allow"].split(",")} >= {"GET", "POST"}


def test_a_value_the_database_cannot_hold_is_422_even_past_the_edge_checks() -> None:
    """The last line: an OverflowError (SQLite) or a DataError (PostgreSQL) from deeper down is a 422, not a 500."""
    import sqlalchemy as sa
    from litestar import Litestar, get
    from litestar.testing import TestClient

    from hrsys.core.exceptions import EXCEPTION_HANDLERS

    @get("/overflow", sync_to_thread=False)
    def overflow() -> None:
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    @get("/data-error", sync_to_thread=False)
    def data_error() -> None:
        raise sa.exc.DataError("INSERT ...", {}, Exception("integer out of range"))

    with TestClient(Litestar([overflow, data_error], exception_handlers=EXCEPTION_HANDLERS)) as c:
        for url in ("/overflow", "/data-error"):
            _problem(c.get(url), 422)


@pytest.mark.parametrize("value", ["¹", "٣", "1e5", "+-1", " "])
def test_an_integer_query_parameter_written_in_other_digits_is_refused_not_a_500(client, value) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/skills", params={"q": "data", "limit": value})
    assert r.status_code in (400, 422), r.text
    assert r.json()["status"] == r.status_code
