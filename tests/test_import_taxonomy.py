"""Importing a large external taxonomy from CSV (``hrsys catalog import-csv``)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hrsys.cli import main
from hrsys.core.errors import Invalid
from hrsys.skills.catalog.importer import import_csv
from hrsys.skills.catalog.models import Skill, SkillGroup
from hrsys.skills.catalog.taxonomy import parse_mapping
from tests import factories

MAP = "id=conceptUri,name_en=preferredLabel,description=description,aliases=altLabels,parent=broaderUri"


def esco_like(path: Path, n: int, *, drop: set[int] = frozenset(), rename: dict[int, str] | None = None) -> Path:  # type: ignore[assignment]
    """An ESCO-shaped CSV: URIs as ids, multi-line aliases and descriptions, broader skills."""
    rename = rename or {}
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["conceptUri", "preferredLabel", "altLabels", "description", "broaderUri"])
        for i in range(n):
            if i in drop:
                continue
            broader = f"http://data.europa.eu/esco/skill/s{i // 50 * 50:05d}" if i % 50 else ""
            w.writerow(
                [
                    f"http://data.europa.eu/esco/skill/s{i:05d}",
                    rename.get(i, f"skill number {i}"),
                    f"alias one {i}\nalias, two {i}\nskill number {i}",
                    f'A long description of skill {i}, with commas, "quotes"\nand a second line. ' * 5,
                    broader,
                ]
            )
    return path


def test_import_csv_is_idempotent_and_retires_what_is_used(session, tmp_path) -> None:
    path = esco_like(tmp_path / "esco.csv", 600)
    mapping = parse_mapping(MAP)
    first = import_csv(session, path, framework="ESCO", mapping=mapping, name_en="ESCO skills", licence="CC BY 4.0")
    session.commit()
    assert (first.created, first.skills.added, first.groups.added, first.levels.added) == (True, 600, 12, 4)
    s7 = session.scalar(sa.select(Skill).where(Skill.code == "s00007"))
    assert s7 is not None
    assert s7.aliases == "alias one 7\nalias, two 7"  # split on newlines; the preferred label is not an alias
    group = session.get(SkillGroup, s7.group_id)
    assert group is not None and group.code == "s00000" and group.name_en == "skill number 0"

    again = import_csv(session, path, framework="ESCO", mapping=mapping)
    assert not again.changed_anything and again.skills.unchanged == 600

    person = factories.person(session, factories.agency(session, "MDES"))
    factories.assessment(session, person, "ESCO:s00003", 2)
    edited = esco_like(tmp_path / "esco2.csv", 600, drop={3, 4}, rename={5: "renamed skill"})
    third = import_csv(session, edited, framework="ESCO", mapping=mapping, dry_run=True)
    assert (third.skills.retired_codes, third.skills.removed_codes, third.skills.changed_codes) == (
        ["s00003"],
        ["s00004"],
        ["s00005"],
    )


def test_bad_rows_are_all_reported_with_their_lines(session, tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        'id,label,alt\nA1,First,"x\ny"\n,No id,\nA1,Duplicate,\n"A 2",,\nA3,"multi\nline label",\n', encoding="utf-8"
    )
    with pytest.raises(Invalid) as info:
        import_csv(session, path, framework="X", mapping=parse_mapping("id=id,name_en=label,aliases=alt"))
    assert [(e.field, e.reason.split(";")[0]) for e in info.value.errors] == [
        ("line 4, column id", "is empty"),
        ("line 5, column id", "'A1' is already on line 2"),
        ("line 6, column id", "'A 2': use at most 120 letters, digits, '.', '_' or '-'"),
        ("line 6, column label", "is empty"),
    ]
    with pytest.raises(ValueError, match="required"):
        parse_mapping("name_en=label")
    with pytest.raises(ValueError, match="not a field"):
        parse_mapping("id=a,name_en=b,colour=c")


def test_cli_import_csv_with_a_separator(settings, db, tmp_path) -> None:
    path = tmp_path / "sfw.csv"
    path.write_text("Code,Title,Other names\nDAT-1,Data analytics,analytics|BI\nDAT-2,Data engineering,\n", "utf-8")
    args = ["--database-url", settings.database_url, "catalog", "import-csv", str(path), "--framework", "SFW"]
    args += ["--map", "id=Code,name_en=Title,aliases=Other names", "--alias-separator", "|"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "SFW 1 (new framework): levels 4 added; groups none; skills 2 added" in result.output
    result = CliRunner().invoke(main, [*args[:-4], "--map", "id=Code,name_en=Nope"])
    assert result.exit_code == 2 and "no column for name_en -> Nope" in result.output
