"""Schemathesis against the whole JSON API: no server error, no answer that breaks the OpenAPI document.

Every operation of ``/schema/openapi.json`` gets a fixed budget of generated requests (valid ones
and, as many, invalid ones), derandomised so that a run is the same run each time, signed in as an
administrator (who may call everything) and as a staff member (who is refused much). Each answer
must be no 5xx, have a documented status and content type, and match the documented schema.
Then the stateful phase follows the document's links (create, then read, change, delete what was
made). The requests go through the test app, so they write to this run's test database only.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections import Counter
from typing import Any

import hypothesis
import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

import hrsys.models
from hrsys.access import tokens
from hrsys.access.guard import auth_cache
from hrsys.access.models import User
from hrsys.agencies.cache import agency_trees
from hrsys.careers.codes import role_codes
from hrsys.people import over_cap
from tests import factories
from tests.conftest import _empty_all_tables

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

EXAMPLES = int(os.environ.get("HRSYS_FUZZ_EXAMPLES", "8"))
"""Generated requests per operation, per mode (valid / invalid) and per user."""

EXCLUDED: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/auth/logout"): "signs the fuzzing user out: every later request would only test the 401",
}


def _seed(session: Any, make_user: Any) -> dict[str, User]:
    """A little of everything, so that small generated ids often name real rows (the same rows each time)."""
    ministry = factories.agency(session, "MDES")
    dept = factories.agency(session, "DEPA", parent=ministry)
    names = [{"first_name_th": f"ทดสอบ{i}", "first_name_en": f"Test{i}"} for i in range(3)]
    people = [
        factories.person(session, ministry, **names[0]),
        factories.person(session, dept, **names[1]),
        factories.person(session, **names[2]),
    ]
    factories.secondment(
        session, people[2], dept, dt.date(2026, 1, 1), dt.date(2026, 12, 31), status="proposed", allocation=50
    )
    factories.taskforce(session, dept, dt.date(2026, 1, 1), dt.date(2027, 9, 30), code="TF-FUZZ")
    return {
        "admin": make_user("admin", username="fuzz-admin", password="fuzz-admin-password"),
        "staff": make_user("staff", username="fuzz-staff", password="fuzz-staff-password", person=people[0]),
    }


def _headers(app: Any, engine: Any, user: User) -> dict[str, str]:
    """A fresh token for ``user``, put back as it was (the fuzzer may have changed its role, disabled it or
    changed its password): each request tests the route, not what an earlier request did to the caller."""
    t = User.__table__
    with engine.begin() as conn:
        conn.execute(
            sa.update(t)
            .where(t.c.id == user.id)
            .values(active=True, role=user.role, agency_id=user.agency_id, person_id=user.person_id, failed_logins=0)
        )
        generation = conn.scalar(sa.select(t.c.token_generation).where(t.c.id == user.id))
    issued = tokens.issue(app.state.secret_key, user.id, generation, 60)
    return {"Authorization": f"Bearer {issued.token}"}


def _reset(engine: Any) -> None:
    """Empty every table and restart the ids. On PostgreSQL by DELETE with triggers off and the sequences
    set back (a few ms), not the fixtures' TRUNCATE (most of a second, forty times a run)."""
    if engine.dialect.name != "postgresql":
        _empty_all_tables(engine)
        return
    tables = [t for t in hrsys.models.metadata.sorted_tables]
    with engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")  # no FK or audit triggers
        for table in reversed(tables):
            conn.execute(table.delete())
        conn.exec_driver_sql("DELETE FROM person_name_gram")  # kept by triggers, outside the models
        for table in tables:
            if "id" in table.c and table.c.id.autoincrement is not False:
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), 1, false) "
                    f"WHERE pg_get_serial_sequence('{table.name}', 'id') IS NOT NULL"
                )


def _failure(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return " | ".join(line for line in text[:12] if line.strip())[:1500]


def _operations_of(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "responses" in op
    ]


def test_every_operation_lists_the_problem_statuses_it_can_answer(client, app) -> None:  # type: ignore[no-untyped-def]
    from hrsys.core.openapi import _handlers

    document = client.get("/schema/openapi.json").json()
    handlers = _handlers(app)
    operations = _operations_of(document)
    assert len(operations) > 100
    wrong = []
    for method, path, op in operations:
        rule = str(handlers[(path, method)].opt["access"])
        statuses = set(op["responses"])
        expected = set()
        if rule != "public":
            expected |= {"401", "403"}
        if "{" in path:
            expected.add("404")
        if method in {"POST", "PUT", "PATCH", "DELETE"}:
            expected.add("409")
        if op.get("parameters") or "requestBody" in op:
            expected.add("422")
        if "requestBody" in op:
            expected.add("400")
        if missing := expected - statuses:
            wrong.append(f"{method} {path}: no {sorted(missing)}")
        for status, response in op["responses"].items():
            if status.startswith("4") and list(response.get("content", {})) != ["application/problem+json"]:
                wrong.append(f"{method} {path}: {status} is not problem+json")
    assert not wrong, "\n".join(wrong)
    login = document["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"401", "422", "429"} <= set(login) and "403" not in login
    assert not [p for p in document["paths"] if p.startswith("/schema")]  # the documentation's own routes


def test_no_body_is_documented_as_anything_or_something(client) -> None:  # type: ignore[no-untyped-def]
    text = client.get("/schema/openapi.json").text
    assert '"oneOf":[{},' not in text.replace(" ", "") and '"anyOf":[{},' not in text.replace(" ", "")


def test_each_format_of_a_report_is_documented_with_its_media_type(client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/schema/openapi.json").json()["paths"]
    needs = paths["/api/v1/training-needs"]["get"]["responses"]["200"]["content"]
    assert needs["application/json"]["schema"] == {"$ref": "#/components/schemas/TrainingNeedsOut"}
    assert {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} <= set(needs)
    assert set(paths["/api/v1/roles/graph"]["get"]["responses"]["200"]["content"]) == {
        "application/json",
        "image/svg+xml",
    }


def test_integers_of_parameters_and_bodies_carry_the_range_the_api_enforces(client) -> None:  # type: ignore[no-untyped-def]
    document = client.get("/schema/openapi.json").json()
    person = document["paths"]["/api/v1/people/{person_id}"]["get"]["parameters"][0]["schema"]
    assert (person["minimum"], person["maximum"]) == (-(2**31), 2**31 - 1)
    plan = document["components"]["schemas"]["PlanCreate"]["properties"]["person_id"]
    assert plan["maximum"] == 2**31 - 1
    budget = document["components"]["schemas"]["TaskForceCreate"]["properties"]["budget_baht"]
    assert budget["maximum"] == 10**12  # declared: kept in BIGINT


def test_csv_answers_name_their_charset_once(client, session) -> None:  # type: ignore[no-untyped-def]
    agency = factories.agency(session, "MDES")
    tf = factories.taskforce(session, agency, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    for url in (
        "/api/v1/people/export?agency=MDES",
        "/api/v1/training-needs?format=csv",
        f"/api/v1/taskforces/{tf.id}/report?format=csv",
    ):
        r = client.get(url)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "text/csv; charset=utf-8", url


@pytest.mark.parametrize("role", ["admin", "staff"])
def test_fuzzing_finds_no_server_error_and_no_undocumented_answer(app, db, session, make_user, role) -> None:  # type: ignore[no-untyped-def]
    users = _seed(session, make_user)
    user = users[role]
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 100
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    started = time.monotonic()
    for operation in operations:
        key = (operation.method.upper(), operation.path)
        if key in EXCLUDED:
            continue
        strategy = st.one_of(
            operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
            operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
        )

        @hypothesis.settings(
            max_examples=EXAMPLES * 2,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],  # no shrinking: report, don't minimise
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
        )
        @given(case=strategy)
        def run(case: schemathesis.Case) -> None:
            headers = _headers(app, db, user)
            response = case.call(headers=headers)
            statuses[response.status_code] += 1
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # collected, reported all at once below
            failures.append(f"{key[0]} {key[1]}: {_failure(exc)}")
    elapsed = time.monotonic() - started
    print(f"fuzzed {len(operations)} operations as {role} in {elapsed:.0f} s: {sorted(statuses.items())}")
    assert not failures, f"{len(failures)} operation(s) failed:\n" + "\n\n".join(failures)


STATEFUL_SCENARIOS = int(os.environ.get("HRSYS_FUZZ_SCENARIOS", "40"))


def test_stateful_runs_follow_the_documents_links_without_a_server_error(app, db, session, make_user) -> None:  # type: ignore[no-untyped-def]
    """Create something, then read, change and delete it through the document's links, as an administrator."""
    user = _seed(session, make_user)["admin"]
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    machine = schema.as_state_machine()
    steps: Counter[str] = Counter()

    class Workflow(machine):  # type: ignore[misc,valid-type]
        def setup(self) -> None:
            """Each scenario starts from the same data: what one created cannot change what the next draws."""
            nonlocal user
            _reset(db)
            for cache in (agency_trees, role_codes, auth_cache, over_cap):
                cache.clear()
            with Session(db, expire_on_commit=False) as s:
                user = _seed(s, lambda role, **kw: factories.user(s, role, **kw))["admin"]

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            steps[f"{case.method} {case.path}"] += 1
            return {"headers": _headers(app, db, user)}

        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, headers=kwargs.get("headers"))

    Workflow.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=8,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    print(f"stateful: {sum(steps.values())} calls over {len(steps)} operations")
