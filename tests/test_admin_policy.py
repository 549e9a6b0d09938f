"""The admin's write rules (admin.policy): pure functions, no database."""

from __future__ import annotations

import datetime as dt

from admin.policy import TablePolicy, changed, plan_create, plan_delete, plan_update, tree_path

NOW = dt.datetime(2026, 5, 1, 3, 4, 5, tzinfo=dt.UTC)

AGENCY = TablePolicy(
    name="agency",
    columns=frozenset({"id", "code", "parent_id", "path", "depth", "province", "version", "created_at", "updated_at"}),
    version_column="version",
    created_columns=frozenset({"created_at", "updated_at"}),
    touched_columns=frozenset({"updated_at"}),
    computed_columns=frozenset({"path", "depth"}),
    placeholders={"path": "/", "depth": 0},
    fixed_on_edit={"parent_id": "use the move API"},
    defaults={"depth": 0, "province": "Bangkok"},
    cache_stamp="agencies",
)
KPI = TablePolicy(
    name="kpi_actual",
    columns=frozenset({"id", "kpi_id", "measured_on", "value"}),
    now_defaults=frozenset({"measured_on"}),
    date_columns=frozenset({"measured_on"}),
)
LOG = TablePolicy(name="audit_event", columns=frozenset({"id", "action"}), read_only="append-only")


def test_create_sets_what_hrsys_maintains_and_ignores_what_was_sent_for_it() -> None:
    body = {"code": "DGA", "parent_id": 1, "path": "/forged/", "depth": 7, "version": 9, "created_at": "1999-01-01"}
    plan = plan_create(AGENCY, body, NOW)
    assert plan.ok
    assert plan.body == {
        "code": "DGA",
        "parent_id": 1,
        "path": "/",
        "depth": 0,
        "province": "Bangkok",  # left out: the column's default, not NULL
        "version": 1,
        "created_at": "2026-05-01T03:04:05+00:00",
        "updated_at": "2026-05-01T03:04:05+00:00",
    }


def test_create_keeps_an_explicit_null_and_defaults_a_date_to_the_day() -> None:
    assert plan_create(AGENCY, {"code": "X", "province": None}, NOW).body["province"] is None  # type: ignore[index]
    assert plan_create(KPI, {"kpi_id": 1, "value": 2.5}, NOW).body == {
        "kpi_id": 1,
        "value": 2.5,
        "measured_on": "2026-05-01",
    }
    assert plan_create(KPI, {"measured_on": "2026-01-31"}, NOW).body == {"measured_on": "2026-01-31"}


def test_edit_bumps_the_version_and_refuses_a_stale_one() -> None:
    before = {"id": 5, "parent_id": 1, "path": "/1/5/", "depth": 1, "province": None, "version": 3}
    plan = plan_update(AGENCY, before, {"province": "Chiang Mai", "version": 3, "path": "/x/"}, NOW)
    assert plan.ok and plan.body == {"province": "Chiang Mai", "version": 4, "updated_at": "2026-05-01T03:04:05+00:00"}
    stale = plan_update(AGENCY, before, {"province": "Chiang Mai", "version": 2}, NOW)
    assert not stale.ok and stale.body is None and "version 2 opened, 3 now" in (stale.conflict or "")
    # An API caller that sends no version gets no stale check; the version still moves on.
    assert plan_update(AGENCY, before, {"province": "Trang"}, NOW).body["version"] == 4  # type: ignore[index]


def test_edit_may_send_fixed_columns_back_unchanged_but_not_change_them() -> None:
    before = {"id": 5, "parent_id": 1, "version": 1}
    assert plan_update(AGENCY, before, {"parent_id": "1", "version": 1}, NOW).ok  # the form sends it back as text
    moved = plan_update(AGENCY, before, {"parent_id": 2, "version": 1}, NOW)
    assert moved.errors == [("parent_id", "use the move API")]
    assert plan_update(AGENCY, before, {"parent_id": None}, NOW).errors  # making it a root is a move too
    root = {"id": 1, "parent_id": None, "version": 1}
    assert plan_update(AGENCY, root, {"parent_id": "", "version": 1}, NOW).ok  # an empty field is no parent


def test_the_key_is_numbered_by_the_database_and_never_changes() -> None:
    assert "id" not in plan_create(AGENCY, {"id": 99, "code": "X"}, NOW).body  # type: ignore[operator]
    before = {"id": 5, "parent_id": 1, "version": 1}
    assert plan_update(AGENCY, before, {"id": 5, "province": "Trang"}, NOW).ok
    assert plan_update(AGENCY, before, {"id": 6}, NOW).errors == [("id", "the key of a row never changes")]


def test_read_only_tables_refuse_every_write() -> None:
    for plan in (plan_create(LOG, {}, NOW), plan_update(LOG, {"id": 1}, {}, NOW), plan_delete(LOG)):
        assert plan.refused == "audit_event is read-only here: append-only" and not plan.ok
    assert plan_delete(AGENCY).ok


def test_changed_keeps_only_the_columns_that_moved() -> None:
    before = {"a": 1, "b": "x", "c": None, "version": 1}
    after = {"a": 1, "b": "y", "c": 0, "version": 2}
    assert changed(before, after, frozenset({"version"})) == ({"b": "x", "c": None}, {"b": "y", "c": 0})
    assert changed(before, before) == ({}, {})


def test_tree_path_is_the_parents_path_and_one_more_level() -> None:
    assert tree_path(None, 42) == ("/42/", 0)
    assert tree_path("/1/", 42) == ("/1/42/", 1)
    assert tree_path("/1/7/", 42) == ("/1/7/42/", 2)
