"""The shipped roles catalog and ``hrsys roles import``: idempotent upsert, dry run, every problem reported."""

from __future__ import annotations

import shutil
from pathlib import Path

import networkx as nx
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hrsys.careers.models import Role, RoleRequirement, RoleTransition
from hrsys.skills.catalog.format import CatalogError
from hrsys.skills.catalog.importer import import_catalog
from hrsys.training.catalog_import import import_roles
from hrsys.training.models import Course, CoursePrerequisite

CATALOG = Path(__file__).resolve().parents[1] / "skills_catalog"


@pytest.fixture
def catalog(session):  # type: ignore[no-untyped-def]
    import_catalog(session, CATALOG)
    session.commit()
    return session


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_shipped_roles_import_and_reimport_changes_nothing(catalog) -> None:
    session = catalog
    dry = import_roles(session, CATALOG, dry_run=True)
    session.rollback()
    assert dry.dry_run and dry.roles.added >= 30
    assert _count(session, Role) == 0
    first = import_roles(session, CATALOG / "roles")
    session.commit()
    assert (first.roles.added, first.transitions.added, first.courses.added) == (
        _count(session, Role),
        _count(session, RoleTransition),
        _count(session, Course),
    )
    assert first.roles.added >= 30 and first.courses.added >= 20
    again = import_roles(session, CATALOG)
    session.commit()
    assert not again.changed_anything
    assert again.roles.unchanged == first.roles.added and again.courses.unchanged == first.courses.added
    assert again.transitions.unchanged == first.transitions.added


def test_shipped_career_graph_makes_sense(catalog) -> None:
    session = catalog
    import_roles(session, CATALOG)
    session.commit()
    roles = {r.id: r for r in session.scalars(sa.select(Role))}
    g = nx.DiGraph()
    for t in session.scalars(sa.select(RoleTransition)):
        a, b = roles[t.from_role_id], roles[t.to_role_id]
        g.add_edge(a.code, b.code)
        if t.kind.value == "promotion":
            assert b.level > a.level, (a.code, b.code)
        elif t.kind.value == "lateral":
            assert b.level == a.level, (a.code, b.code)
        else:
            assert b.level >= a.level, (a.code, b.code)
    starts = {r.code for r in roles.values() if r.track.value == "general"}
    reachable = set().union(*(nx.descendants(g, s) | {s} for s in starts))
    digital = {r.code for r in roles.values() if r.track.value != "general"}
    assert digital <= reachable, f"no path from a general role to {digital - reachable}"
    assert {"LD-DEPARTMENT-CIO", "LD-MINISTRY-CIO", "DATA-CDO", "CS-CISO"} <= digital
    for r in roles.values():
        assert r.position_levels, r.code
        n = session.scalar(sa.select(sa.func.count()).where(RoleRequirement.role_id == r.id, RoleRequirement.essential))
        assert n and n >= 2, r.code
    edges = session.execute(sa.select(CoursePrerequisite.course_id, CoursePrerequisite.prerequisite_id))
    prereqs = nx.DiGraph(edges.tuples().all())
    assert nx.is_directed_acyclic_graph(prereqs)


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "roles"
    shutil.copytree(CATALOG / "roles", folder)
    return folder


def test_problems_are_all_reported_with_file_and_line_and_nothing_is_written(catalog, tmp_path) -> None:
    session = catalog
    folder = _copy(tmp_path)
    text = (folder / "roles.toml").read_text(encoding="utf-8")
    text = text.replace('track = "general"\nlevel = 1', 'track = "nowhere"\nlevel = 1', 1)
    text = text.replace('{ skill = "TH-DG:DL03", level = 2 },', '{ skill = "TH-DG:NOPE", level = 2 },', 1)
    (folder / "roles.toml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        import_roles(session, folder)
    messages = [str(p) for p in err.value.problems]
    assert any("roles/roles.toml:" in m and "role[1].track" in m and "nowhere" in m for m in messages), messages
    session.rollback()
    # Once the format is right, the unknown skill is reported against its role; still nothing written.
    (folder / "roles.toml").write_text(text.replace('track = "nowhere"', 'track = "general"'), encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        import_roles(session, folder)
    assert any("TH-DG:NOPE" in str(p) and "roles/roles.toml:" in str(p) for p in err.value.problems)
    session.rollback()
    assert _count(session, Role) == 0


def test_a_promotion_closing_a_cycle_or_a_prerequisite_cycle_is_refused(catalog, tmp_path) -> None:
    session = catalog
    folder = _copy(tmp_path)
    with (folder / "transitions.toml").open("a", encoding="utf-8") as f:
        f.write('\n[[transition]]\nfrom = "DATA-HEAD"\nto = "DATA-ANALYST"\nkind = "promotion"\n')
    text = (folder / "courses.toml").read_text(encoding="utf-8")
    text = text.replace('code = "EX-DL-101"\n', 'code = "EX-DL-101"\nprerequisites = ["EX-DL-201"]\n', 1)
    (folder / "courses.toml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        import_roles(session, folder)
    messages = [str(p) for p in err.value.problems]
    assert any("cycle" in m and "EX-DL-101" in m for m in messages), messages
    session.rollback()
    (folder / "courses.toml").write_text(text.replace('prerequisites = ["EX-DL-201"]\n', "", 1), encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        import_roles(session, folder)
    assert any("DATA-HEAD -> DATA-ANALYST" in str(p) and "lateral" in str(p) for p in err.value.problems)
    session.rollback()
    assert _count(session, RoleTransition) == 0


def test_cli_import_dry_run_and_report(catalog, database_url) -> None:
    from hrsys.training.cli import roles

    catalog.close()
    runner = CliRunner()
    from hrsys.config import Settings

    settings = Settings(database_url=database_url)
    r = runner.invoke(roles, ["import", str(CATALOG), "--dry-run"], obj=settings)
    assert r.exit_code == 0, r.output
    assert "dry run" in r.output and "added" in r.output
    r = runner.invoke(roles, ["import", str(CATALOG / "roles")], obj=settings)
    assert r.exit_code == 0, r.output
    r = runner.invoke(roles, ["import", str(CATALOG / "roles"), "--json"], obj=settings)
    assert r.exit_code == 0 and '"added":0' in r.output.replace(" ", "")
    r = runner.invoke(roles, ["import", str(CATALOG / "th-dg")], obj=settings)
    assert r.exit_code == 2 and "roles.toml" in r.output
