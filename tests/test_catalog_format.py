"""The catalog folder format: the shipped frameworks load, and bad files are reported with file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hrsys.people.models import PositionLevel
from hrsys.skills.catalog.format import CatalogError, load_catalog, load_framework, parse_skill_ref

CATALOG = Path(__file__).resolve().parents[1] / "skills_catalog"


def test_shipped_frameworks_are_complete_and_bilingual() -> None:
    frameworks = {f.meta.code: f for f in load_catalog(CATALOG, position_levels=PositionLevel.__members__)}
    assert list(frameworks) == ["TH-DG", "DDAT"]  # TH-DG first: DDAT's equivalences point at it
    th = frameworks["TH-DG"]
    areas = {g.code: g for g in th.groups}
    assert {c for c, g in areas.items() if g.parent == "CORE"} == {"DL", "DG", "LD"}
    assert {c for c, g in areas.items() if g.parent == "OPTIONAL"} == {"DT", "DS", "DU", "CS"}
    for fw in frameworks.values():
        assert [lv.label_en for lv in fw.levels] == ["Awareness", "Working", "Practitioner", "Expert"]
        assert fw.meta.source and fw.meta.licence and fw.meta.attribution
        for s in fw.skills:
            assert s.name_th and s.name_en and s.description, s.code
    # Every area has skills, and the six target groups (IT / non-IT x three role levels) have expectations.
    assert {s.group for s in th.skills} == {"DL", "DG", "LD", "DT", "DS", "DU", "CS"}
    assert {(p.family, p.role_level) for p in th.profiles} == {
        (fam, lvl) for fam in ("IT", "NON-IT") for lvl in ("operational", "director", "executive")
    }
    ddat = frameworks["DDAT"]
    assert "Open Government Licence v3.0" in ddat.meta.licence  # type: ignore[operator]
    assert len({p.family for p in ddat.profiles}) >= 8
    assert all(e.same_as.startswith("TH-DG:") for e in ddat.equivalences)


def _copy(tmp_path: Path, name: str = "th-dg", source: str = "th-dg") -> Path:
    dest = tmp_path / name
    shutil.copytree(CATALOG / source, dest)
    return dest


def test_errors_name_file_line_and_field_and_are_all_reported(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    skills = folder / "skills.toml"
    text = skills.read_text(encoding="utf-8")
    # 1) drop the English name of the second skill; 2) point a skill at a group that does not exist
    text = text.replace('name_en = "Using the internet and finding information"\n', "", 1)
    text = text.replace('code = "DL03"\ngroup = "DL"', 'code = "DL03"\ngroup = "NOPE"', 1)
    skills.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_framework(folder)
    problems = {(p.file, p.field): p for p in info.value.problems}
    missing = problems[("th-dg/skills.toml", "skill[2].name_en")]
    assert "missing required field" in missing.reason
    lines = text.splitlines()
    assert lines[missing.line - 1].strip() == "[[skill]]"  # the entry's header (the field is absent)
    bad_group = problems[("th-dg/skills.toml", "skill[3].group")]
    assert lines[bad_group.line - 1] == 'group = "NOPE"'
    assert "no group 'NOPE'" in bad_group.reason


def test_syntax_error_duplicate_codes_and_bad_profile_levels(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "framework.toml").write_text(
        (folder / "framework.toml").read_text(encoding="utf-8").replace('version = "2567.1"', "version = 2567.1 x"),
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as info:
        load_framework(folder)
    (syntax,) = [p for p in info.value.problems if p.field == "syntax"]
    assert syntax.file == "th-dg/framework.toml" and syntax.line is not None

    folder = _copy(tmp_path, "again")  # the same framework in another folder
    skills = folder / "skills.toml"
    skills.write_text(skills.read_text(encoding="utf-8").replace('code = "DL02"', 'code = "DL01"'), encoding="utf-8")
    profiles = folder / "profiles.toml"
    profiles.write_text(profiles.read_text(encoding="utf-8").replace("DL05 = 2", "DL05 = 7", 1), encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_framework(folder)
    reasons = {p.field: p.reason for p in info.value.problems}
    assert "already used by skill[1]" in reasons["skill[2].code"]  # reported on the duplicate's line
    assert "level 7 is not on the scale" in reasons["profile[1].levels.DL05"]


def test_unknown_keys_are_refused_not_ignored(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    skills = folder / "skills.toml"
    skills.write_text(
        skills.read_text(encoding="utf-8").replace('code = "DL01"', 'code = "DL01"\nnmae_en = "typo"', 1),
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as info:
        load_framework(folder)
    (p,) = info.value.problems
    assert p.field == "skill[1].nmae_en" and p.line == 6  # the line of the typo


def test_skill_references() -> None:
    assert parse_skill_ref("TH-DG:DU02") == ("TH-DG", "DU02")
    assert parse_skill_ref(" DDAT:USER-RESEARCH ") == ("DDAT", "USER-RESEARCH")
    assert parse_skill_ref("DU02") is None
    assert parse_skill_ref("TH DG:DU02") is None
