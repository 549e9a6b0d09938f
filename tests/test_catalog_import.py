"""Importing frameworks: upsert by code, idempotent, retire what is used, record each import."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hrsys.core.errors import Conflict
from hrsys.core.stamps import VersionStamp
from hrsys.skills.catalog.importer import import_catalog
from hrsys.skills.catalog.models import CatalogImport, Skill, SkillEquivalence
from tests import factories

CATALOG = Path(__file__).resolve().parents[1] / "skills_catalog"


def _stamp(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(sa.select(VersionStamp.version).where(VersionStamp.name == "catalog")) or 0


def test_import_twice_changes_nothing_the_second_time(session) -> None:
    first = factories.shipped_catalog(session)
    th, ddat = first
    assert (th.framework, th.created, th.skills.added, th.profiles.added) == ("TH-DG", True, 47, 6)
    assert (ddat.framework, ddat.skills.added, ddat.equivalences.added) == ("DDAT", 43, 21)
    assert session.scalar(sa.select(sa.func.count()).select_from(SkillEquivalence)) == 21
    imports, stamp = session.scalar(sa.select(sa.func.count()).select_from(CatalogImport)), _stamp(session)
    assert imports == 2 and stamp >= 1

    again = factories.shipped_catalog(session)
    for r in again:
        assert not r.changed_anything and not r.recorded
        assert r.skills.unchanged == (47 if r.framework == "TH-DG" else 43)
        assert r.equivalences.added == r.equivalences.removed == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(CatalogImport)) == imports
    assert _stamp(session) == stamp


def test_dry_run_reports_but_writes_nothing(session) -> None:
    reports = import_catalog(session, CATALOG, dry_run=True)
    session.rollback()  # what the CLI does for --dry-run
    assert [r.skills.added for r in reports] == [47, 43] and all(r.dry_run for r in reports)
    assert session.scalar(sa.select(sa.func.count()).select_from(Skill)) == 0


def _edited_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "catalog"
    shutil.copytree(CATALOG, dest)
    return dest


def _drop_skill(folder: Path, code: str) -> None:
    """Remove a skill entry (and every reference to it) from a copy of TH-DG."""
    skills = folder / "th-dg" / "skills.toml"
    blocks = skills.read_text(encoding="utf-8").split("[[skill]]\n")
    skills.write_text("[[skill]]\n".join(b for b in blocks if not b.startswith(f'code = "{code}"\n')), "utf-8")
    profiles = folder / "th-dg" / "profiles.toml"
    lines = profiles.read_text(encoding="utf-8").splitlines()
    profiles.write_text("\n".join(x for x in lines if not x.startswith(f"{code} = ")), "utf-8")


def test_dropped_skills_are_retired_when_used_and_removed_otherwise(session, tmp_path) -> None:
    factories.shipped_catalog(session)
    ag = factories.agency(session, "MDES")
    p = factories.person(session, ag)
    factories.assessment(session, p, "TH-DG:DL07", 2)
    edited = _edited_copy(tmp_path)
    _drop_skill(edited, "DL07")  # assessed: must stay, retired
    _drop_skill(edited, "DL06")  # unused: removed
    th = import_catalog(session, edited / "th-dg")[0]
    session.commit()
    assert (th.skills.retired_codes, th.skills.removed_codes) == (["DL07"], ["DL06"])
    assert th.profiles.changed == 6 and th.recorded
    dl07 = session.scalar(sa.select(Skill).where(Skill.code == "DL07"))
    assert dl07 is not None and dl07.retired
    assert session.scalar(sa.select(Skill).where(Skill.code == "DL06")) is None
    # Importing the same again: nothing more to do; the retired skill stays retired.
    th = import_catalog(session, edited / "th-dg")[0]
    assert not th.changed_anything
    # Putting DL07 back reinstates it.
    th = import_catalog(session, CATALOG / "th-dg")[0]
    session.commit()
    assert th.skills.changed_codes == ["DL07"] and th.skills.added_codes == ["DL06"]
    session.refresh(dl07)
    assert not dl07.retired


def test_scale_level_in_use_cannot_be_dropped(session, tmp_path) -> None:
    factories.shipped_catalog(session)
    p = factories.person(session, factories.agency(session, "MDES"))
    factories.assessment(session, p, "TH-DG:DU02", 4, "manager")
    edited = _edited_copy(tmp_path)
    fw = edited / "th-dg" / "framework.toml"
    text = fw.read_text(encoding="utf-8")
    start = text.index("[[level]]\nlevel = 4")
    fw.write_text(text[:start] + text[text.index("[[group]]", start) :], "utf-8")
    profiles = edited / "th-dg" / "profiles.toml"
    profiles.write_text(profiles.read_text("utf-8").replace(" = 4", " = 3"), "utf-8")
    with pytest.raises(Conflict) as info:
        import_catalog(session, edited / "th-dg")
    assert info.value.rule == "scale_level_in_use" and "level 4 (used by assessment)" in info.value.detail


def test_cli_import_reports_and_dry_run(settings, db, tmp_path) -> None:
    from hrsys.cli import main

    runner = CliRunner()
    args = ["--database-url", settings.database_url, "catalog", "import", str(CATALOG)]
    dry = runner.invoke(main, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "TH-DG 2567.1 (new framework): levels 4 added; groups 9 added; skills 47 added" in dry.output
    assert "dry run: nothing written" in dry.output
    first = runner.invoke(main, args)
    assert first.exit_code == 0 and "recorded in catalog_import" in first.output
    second = runner.invoke(main, args)
    assert "skills 47 unchanged" in second.output and "nothing changed" in second.output
    broken = _edited_copy(tmp_path)
    (broken / "ddat" / "skills.toml").write_text('[[skill]]\ncode = "X"\n', "utf-8")
    bad = runner.invoke(main, ["--database-url", settings.database_url, "catalog", "import", str(broken)])
    assert bad.exit_code == 2
    assert "ddat/skills.toml:1: skill[1].name_en: Object missing required field `name_en`" in bad.output


def test_an_equivalence_removed_by_an_import_takes_back_the_levels_it_gave(session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The catalog tells the assessments when equivalences change: the profiles they touch are rebuilt in the
    same transaction (an assessment of TH-DG:DU02 no longer counts for DDAT:DATA-ANALYSIS)."""
    from hrsys.skills.assessments.models import CurrentSkill

    factories.shipped_catalog(session)
    person = factories.person(session, factories.agency(session, "DGA"))
    factories.assessment(session, person, "TH-DG:DU02", 3, "manager")
    ddat = sa.select(Skill.id).where(Skill.code == "DATA-ANALYSIS")
    held = sa.select(CurrentSkill.level).where(
        CurrentSkill.person_id == person.id, CurrentSkill.skill_id == ddat.scalar_subquery()
    )
    assert session.scalar(held) == 3
    edited = _edited_copy(tmp_path)
    equivalences = edited / "ddat" / "equivalences.toml"
    blocks = equivalences.read_text(encoding="utf-8").split("[[equivalent]]\n")
    equivalences.write_text(
        "[[equivalent]]\n".join(b for b in blocks if 'skill = "DATA-ANALYSIS"' not in b), encoding="utf-8"
    )
    (ddat_report,) = import_catalog(session, edited / "ddat")
    assert ddat_report.equivalences.removed == 1
    assert session.scalar(held) is None
