"""Row checks and the profile merge of the assessments import, without a database."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hrsys.core.table_reader import read_table
from hrsys.people import citizen_id
from hrsys.skills.assessments.merge import merge_winners, touched_skills
from hrsys.skills.assessments.profile import (
    DEFAULT_TRUST_ORDER,
    SOURCES,
    Evidence,
    current_profile,
    equivalence_classes,
)
from hrsys.skills.assessments.rows import (
    HEADER_ALIASES,
    Lookups,
    Problems,
    RowChecker,
    SkillInfo,
    level_of,
    normalise_source,
    resolve_columns,
)
from hrsys.skills.assessments.runs import SortedRuns, in_person_order

DAY = dt.date(2026, 6, 1)
CID = citizen_id.make("110100000001")
SCALE = {1: "awareness", 2: "working", 3: "practitioner", 4: "expert"}
LOOKUPS = Lookups(
    people={CID: 7},
    skills={
        "TH-DG:DU02": SkillInfo(11, 1, False),
        "TH-DG:OLD": SkillInfo(12, 1, True),
        "DDAT:SEC": SkillInfo(21, 2, False),
    },
    scales={1: SCALE, 2: SCALE},
)


def check(text: str, lookups: Lookups = LOOKUPS) -> tuple[list[tuple], Problems]:  # type: ignore[type-arg]
    table = read_table(io.BytesIO(text.encode()), "a.csv", aliases=HEADER_ALIASES)
    problems = Problems()
    columns = resolve_columns(table.headers, problems)
    assert columns is not None, problems.items
    checker = RowChecker(columns, lookups, day=DAY, problems=problems, citizen_id_problem=citizen_id.problem)
    return list(checker.check(table.rows)), problems


def test_good_rows_come_out_typed_with_aliases_and_buddhist_dates() -> None:
    rows, problems = check(
        "เลขประจำตัวประชาชน,ทักษะ,ระดับ,แหล่งที่มา,วันที่ประเมิน,วันหมดอายุ,ผู้ประเมิน\n"
        f"{CID},TH-DG:DU02,practitioner,ใบรับรอง,15/01/2568,15/01/2570, ผอ.กอง \n"
        f" {CID} ,DDAT:SEC,2.0,Supervisor,2025-03-01,,\n"
    )
    assert problems.items == []
    assert rows == [
        (7, 11, 3, "certification", "ผอ.กอง", None, dt.date(2025, 1, 15), dt.date(2027, 1, 15)),
        (7, 21, 2, "manager", None, None, dt.date(2025, 3, 1), None),
    ]


def test_every_bad_cell_is_reported_with_its_line_and_column() -> None:
    bad_cid = CID[:-1] + str((int(CID[-1]) + 1) % 10)
    rows, problems = check(
        "citizen_id,skill,level,source,assessed_on,valid_until,evidence\n"
        f"{CID},TH-DG:DU02,3,manager,2025-01-01,,ok\n"
        f"{bad_cid},TH-DG:OLD,9,oracle,2027-01-01,2026-01-01,\n"
        f"{CID},NOPE:X,1,certification,,,\n"
        f"{CID},DDAT:SEC,1,self,31/02/2568,soon,a\x00b\n"
    )
    assert len(rows) == 1
    assert [(p.line, p.column, p.reason) for p in problems.items] == [
        (3, "citizen_id", f"{bad_cid}: check digit does not match"),
        (3, "skill", "TH-DG:OLD is retired"),
        (3, "level", "'9' is not a level of TH-DG: 1 (awareness), 2 (working), 3 (practitioner), 4 (expert)"),
        (3, "source", "'oracle' is not a source; use one of " + ", ".join(SOURCES)),
        (3, "assessed_on", "2027-01-01 is in the future"),
        (3, "valid_until", "2026-01-01 is before assessed_on 2027-01-01"),
        (4, "skill", "no skill 'NOPE:X'"),
        (4, "assessed_on", "is empty"),
        (4, "valid_until", "a certification needs the date it expires"),
        (5, "assessed_on", "no such day: 31/02/2025 (day is out of range for month)"),
        (5, "valid_until", "'soon' is not a date; use YYYY-MM-DD or DD/MM/YYYY (Buddhist or Christian Era)"),
        (5, "evidence", "contains a NUL character"),
    ]
    assert problems.bad_rows == 3


def test_cached_cells_report_on_every_line_they_appear() -> None:
    text = "email,framework,skill_code,level,source,assessed_on\n" + "nobody@x.go.th,TH-DG,DU02,7,self,2025-01-01\n" * 3
    rows, problems = check(text, LOOKUPS._replace(people={"a@x.go.th": 1}))
    assert rows == []
    assert [(p.line, p.column) for p in problems.items] == [(n, c) for n in (2, 3, 4) for c in ("email", "level")]


def test_header_problems_are_all_listed_on_line_one() -> None:
    problems = Problems()
    assert resolve_columns(["who", "skill_code", "level"], problems) is None
    assert [p.reason.split(";")[0] for p in problems.items] == [
        "unknown column",
        "name the person with a citizen_id, email or person_id column",
        "name the skill with a skill column (FRAMEWORK:CODE) or framework and skill_code",
        "the source column is missing",
        "the assessed_on column is missing",
    ]


def test_levels_and_sources_by_number_code_or_alias() -> None:
    assert [level_of(SCALE, raw) for raw in ("3", "3.0", "Expert", "5", "")] == [3, 3, 4, None, None]
    assert [normalise_source(s) for s in ("Assessment Center", "การอบรม", "certificate", "peer")] == [
        "assessment_centre",
        "training",
        "certification",
        None,
    ]


def test_problems_stop_listing_after_the_limit_but_keep_counting() -> None:
    problems = Problems(limit=2)
    for line in (2, 2, 3, 4):
        problems.add(line, "x", "bad")
    assert (len(problems.items), problems.bad_rows, problems.truncated) == (2, 3, True)


# --- the merge equals the rule over the whole history ---------------------------------------------

CLASSES = equivalence_classes([(1, 4), (2, 5)])

evidence_strategy = st.builds(
    lambda skill, level, source, age, cert_days: (
        skill,
        level,
        source,
        DAY - dt.timedelta(days=age),
        DAY - dt.timedelta(days=age) + dt.timedelta(days=cert_days) if source == "certification" else None,
    ),
    st.integers(1, 6),
    st.integers(1, 4),
    st.sampled_from(SOURCES),
    st.integers(0, 30),
    st.integers(0, 60),
)


def _winners(evidence: list[Evidence], day: dt.date) -> dict[int, Evidence]:
    prof = current_profile(evidence, as_of=day, equivalents=CLASSES)
    by_id = {e.assessment_id: e for e in evidence}
    return {skill: by_id[entry.assessment_id] for skill, entry in prof.entries.items()}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(evidence_strategy, max_size=12),
    st.lists(evidence_strategy, min_size=1, max_size=12),
    st.integers(0, 20),
)
def test_merging_new_evidence_into_winners_equals_the_rule_over_all_evidence(old_rows, new_rows, days_later) -> None:  # type: ignore[no-untyped-def]
    """Winners computed some days ago (none of that evidence in the future then), new evidence today."""
    then = DAY - dt.timedelta(days=days_later)
    old = [Evidence(i + 1, *row) for i, row in enumerate(old_rows) if row[3] <= then]
    new = [Evidence(100 + i, *row) for i, row in enumerate(new_rows)]
    rows, replaced, recompute = merge_winners(
        {9: new}, {9: _winners(old, then)}, day=DAY, trust_order=DEFAULT_TRUST_ORDER, classes=CLASSES
    )
    expected = current_profile([*old, *new], as_of=DAY, equivalents=CLASSES, only=touched_skills(new, CLASSES))
    if recompute:  # a touched winner expired since: the caller recomputes from the whole history
        assert recompute == {9} and rows == replaced == []
        return
    before = _winners(old, then)
    after = {**{s: e.assessment_id for s, e in before.items()}, **{r[1]: r[4] for r in rows}}
    for skill, entry in expected.entries.items():
        assert after[skill] == entry.assessment_id
    changed = {r[1] for r in rows}
    assert all(before[s].assessment_id != expected.entries[s].assessment_id for s in changed if s in before)
    assert set(replaced) == {(9, s) for s in changed if s in before}
    assert {r[1] for r in rows} <= set(expected.entries)


def test_a_lapsed_winner_sends_the_person_to_a_full_recomputation() -> None:
    cert = Evidence(1, 1, 4, "certification", dt.date(2024, 1, 1), dt.date(2026, 5, 1))
    rows, replaced, recompute = merge_winners(
        {3: [Evidence(2, 1, 2, "self", dt.date(2026, 5, 20), None)], 4: [Evidence(3, 2, 1, "self", DAY, None)]},
        {3: {1: cert, 4: cert}},
        day=DAY,
        trust_order=DEFAULT_TRUST_ORDER,
        classes=CLASSES,
    )
    assert recompute == {3}
    assert sorted((r[0], r[1], r[4]) for r in rows) == [(4, 2, 3), (4, 5, 3)] and replaced == []


def test_winners_given_as_records_are_converted_only_when_touched() -> None:
    seen: list[int] = []

    def evidence_of(rec: tuple[int, int]) -> Evidence:
        seen.append(rec[0])
        return Evidence(rec[0], rec[1], 1, "self", dt.date(2026, 1, 1), None)

    rows, replaced, _ = merge_winners(
        {5: [Evidence(10, 3, 2, "manager", DAY, None)]},
        {5: {3: (1, 3), 6: (2, 6)}},
        day=DAY,
        trust_order=DEFAULT_TRUST_ORDER,
        classes=CLASSES,
        evidence_of=evidence_of,
    )
    assert seen == [1] and rows == [(5, 3, 2, "manager", 10, DAY, None)] and replaced == [(5, 3)]


@pytest.mark.parametrize("skill,expected", [(1, {1, 4}), (3, {3})])
def test_touched_skills_cover_the_equivalence_class(skill: int, expected: set[int]) -> None:
    assert touched_skills([Evidence(1, skill, 1, "self", DAY, None)], CLASSES) == expected


# --- putting rows in person order -------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.integers(1, 4)), max_size=60), st.integers(1, 9), st.integers(1, 5))
def test_sorted_runs_give_person_order_and_keep_file_order_within_a_pair(pairs, run_rows, frame_rows) -> None:  # type: ignore[no-untyped-def]
    rows = [(p, s, 1, "self", f"line {i}", None, DAY, None) for i, (p, s) in enumerate(pairs)]
    runs = SortedRuns(run_rows=run_rows, frame_rows=frame_rows)
    for i in range(0, len(rows), 4):
        runs.add(rows[i : i + 4])
    chunks = list(runs.chunks(5))
    assert all(5 <= len(c) == len(seqs) <= 10 for c, seqs in chunks[:-1])
    for (before, _), (after, _) in itertools.pairwise(chunks):  # a person in one list, unless cut at 10
        assert before[-1][0] != after[0][0] or len(before) == 10
    out = [r for c, _ in chunks for r in c]
    assert out == sorted(rows, key=lambda r: (r[0], r[1], int(r[4].split()[1])))  # type: ignore[union-attr]
    assert [seq for _, seqs in chunks for seq in seqs] == [int(r[4].split()[1]) for r in out]  # type: ignore[union-attr]
    assert runs.files == []  # temporary files closed (and so deleted) once read


def test_rows_written_already_keep_their_ids_and_leave_their_text_behind() -> None:
    runs = SortedRuns(run_rows=2, frame_rows=1)
    runs.add([(5, 1, 2, "self", "who", "why", DAY, None), (3, 1, 2, "self", "who", "why", DAY, None)], [101, 102])
    runs.add([(3, 1, 4, "manager", "who", "why", DAY, None)], [103])
    assert list(runs.chunks(10)) == [
        (
            [
                (3, 1, 2, "self", None, None, DAY, None),
                (3, 1, 4, "manager", None, None, DAY, None),
                (5, 1, 2, "self", None, None, DAY, None),
            ],
            [102, 103, 101],
        )
    ]


def test_a_chunk_is_in_person_order_when_its_people_are_nearly_consecutive() -> None:
    def rows(people: list[int]) -> list[tuple]:  # type: ignore[type-arg]
        return [(p, 1, 1, "self", None, None, DAY, None) for p in people]

    assert in_person_order(rows(list(range(100, 200)) * 10))
    assert not in_person_order(rows(list(range(100, 100_000, 1000))))
