"""The admin's Piccolo classes match the SQLAlchemy models column for column, and its rules name real things."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from piccolo.columns import JSON, JSONB, ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.base import OnDelete

import hrsys.models
from admin.policy import CACHE_STAMPS, FIXED_ON_EDIT, READ_ONLY, TREE_COLUMNS
from admin.site import AdminSite, site_for
from admin.tables import HIDDEN_COLUMNS, base_type

METADATA = hrsys.models.metadata


@pytest.fixture(scope="module")
def site(engine, database_url) -> AdminSite:  # type: ignore[no-untyped-def]
    return site_for(database_url)


def test_every_table_is_offered_or_said_why_not(site) -> None:  # type: ignore[no-untyped-def]
    names = {t.name for t in METADATA.sorted_tables}
    assert set(site.tables) | set(site.skipped) == names
    assert set(site.skipped) == {
        t.name
        for t in METADATA.sorted_tables
        if len(t.primary_key.columns) > 1 or any(c.foreign_keys for c in t.primary_key.columns)
    }
    assert "chosen not generated" in site.skipped["notification_preference"]
    assert "current_skill" in site.skipped and "several columns" in site.skipped["current_skill"]
    assert site_for(site.database_url) is site  # one site per process and database


def test_columns_match_the_models(site) -> None:  # type: ignore[no-untyped-def]
    for name, derived in site.tables.items():
        columns = {c._meta.name: c for c in derived.piccolo._meta.columns}
        assert derived.piccolo._meta.tablename == name
        for col in derived.table.columns:
            hidden = col.computed is not None or col.name in HIDDEN_COLUMNS.get(name, ())
            assert (col.name in columns) is not hidden, f"{name}.{col.name}"
            if hidden:
                continue
            pc = columns[col.name]
            if col.primary_key:
                assert pc._meta.primary_key
                continue
            assert pc._meta.null is bool(col.nullable), f"{name}.{col.name} nullability"
            no_default = col.default is None and col.server_default is None
            if not col.nullable and no_default and not col.foreign_keys:
                assert pc._meta.required, f"{name}.{col.name} should be required"
            if col.foreign_keys:
                fk = next(iter(col.foreign_keys))
                assert isinstance(pc, ForeignKey), f"{name}.{col.name}"
                target = pc._foreign_key_meta.resolved_references
                assert target._meta.tablename == fk.column.table.name
                if fk.ondelete == "CASCADE":
                    assert pc._foreign_key_meta.on_delete is OnDelete.cascade
            t = base_type(col.type)
            if isinstance(t, sa.Enum):
                assert isinstance(pc, Varchar) and pc._meta.choices is not None
                assert [m.value for m in pc._meta.choices] == list(t.enums), f"{name}.{col.name} choices"
            if isinstance(t, sa.DateTime):
                assert isinstance(pc, Timestamptz), f"{name}.{col.name}: hrsys keeps every time in UTC"
            if isinstance(t, sa.JSON):
                assert isinstance(pc, JSONB if site.engine.engine_type == "postgres" else JSON)


def test_what_is_left_out_and_how_rows_are_named(site) -> None:  # type: ignore[no-untyped-def]
    user = site.table("app_user")
    assert "password_hash" not in {c._meta.name for c in user._meta.columns}
    assert "search_text" not in {c._meta.name for c in site.table("person")._meta.columns}
    assert isinstance(site.table("version_stamp")._meta.primary_key, Varchar)  # a text key
    assert isinstance(site.table("agency")._meta.primary_key, Serial)
    assert [c._meta.name for c in site.table("person").get_readable().columns] == ["first_name_en", "last_name_en"]
    assert [c._meta.name for c in site.table("agency").get_readable().columns] == ["code"]
    assert [c._meta.name for c in site.table("app_user").get_readable().columns] == ["username"]


def test_rules_name_real_tables_columns_and_cache_stamps(site) -> None:  # type: ignore[no-untyped-def]
    from hrsys.careers.cache import STAMPS as CAREER_STAMPS
    from hrsys.careers.roles import GRAPH_STAMP
    from hrsys.training.catalog import STAMP as TRAINING_STAMP

    tables = METADATA.tables
    assert set(READ_ONLY) <= set(tables) and set(CACHE_STAMPS) <= set(tables)
    for table, cols in {**FIXED_ON_EDIT, **{t: dict.fromkeys(c) for t, c in TREE_COLUMNS.items()}}.items():
        assert set(cols) <= set(tables[table].columns.keys()), table
    assert set(CACHE_STAMPS.values()) == {"agencies", GRAPH_STAMP, TRAINING_STAMP, *CAREER_STAMPS}
    policies = site.policies
    assert policies["agency"].version_column == "version" and policies["person"].version_column == "version"
    assert policies["agency"].touched_columns == {"updated_at"} and policies["kpi"].touched_columns == set()
    assert policies["audit_event"].read_only and policies["app_user"].read_only and not policies["person"].read_only
    assert {n for n, p in policies.items() if p.personal} == {"person", "app_user", "coi_review"}
