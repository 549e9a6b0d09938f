"""Gap, career paths, next moves and bench strength of people, through the API."""

from __future__ import annotations

import datetime as dt

import pytest

from hrsys.careers.gap import Requirement, compute_gap
from hrsys.core import clock
from tests import factories


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    """Skills, a small data track (analyst -> senior -> head) with a lateral move, people with profiles."""
    s = factories.career_skills(session, ["SQL", "VIZ", "STATS", "LEAD", "GOV"])
    f = factories
    analyst = f.career_role(
        session, "ANALYST", level=2, requirements=[(s["SQL"], 2, True, 1.0), (s["VIZ"], 1, False, 1.0)]
    )
    senior = f.career_role(
        session,
        "SENIOR",
        level=3,
        requirements=[(s["SQL"], 3, True, 2.0), (s["STATS"], 2, True, 1.0), (s["VIZ"], 2, False, 1.0)],
    )
    steward = f.career_role(
        session, "STEWARD", level=3, requirements=[(s["GOV"], 3, True, 1.0), (s["SQL"], 2, True, 1.0)]
    )
    head = f.career_role(
        session,
        "HEAD",
        level=4,
        track="digital_leadership",
        requirements=[(s["SQL"], 3, True, 1.0), (s["LEAD"], 3, True, 1.0), (s["GOV"], 2, False, 1.0)],
    )
    island = f.career_role(session, "ISLAND", level=2, track="general")
    f.career_transition(session, analyst, senior, "promotion", 3)
    f.career_transition(session, analyst, steward, "lateral", 1)
    f.career_transition(session, senior, head, "promotion", 3)
    f.career_transition(session, steward, head, "promotion", 2)
    ministry = f.agency(session, "MIN")
    dept = f.agency(session, "DEP", parent=ministry)
    other = f.agency(session, "OTHER")
    alice = f.person(session, dept, role_id=analyst.id, role_since=clock.today() - dt.timedelta(days=366 * 2))
    for code, level in (("SQL", 3), ("VIZ", 1), ("STATS", 1)):
        f.set_skill_level(session, alice, s[code], level)
    return {"skills": s, "roles": (analyst, senior, steward, head, island), "agencies": (ministry, dept, other),
            "alice": alice}  # fmt: skip


def test_gap_lists_every_requirement_with_readiness(client, world) -> None:
    alice = world["alice"]
    r = client.get(f"/api/v1/people/{alice.id}/gap", params={"role": "SENIOR"})
    assert r.status_code == 200, r.text
    body = r.json()
    items = {i["skill"]: i for i in body["items"]}
    assert (items["TF:SQL"]["have"], items["TF:SQL"]["need"], items["TF:SQL"]["met"]) == (3, 3, True)
    assert (items["TF:STATS"]["have"], items["TF:STATS"]["shortfall"]) == (1, 1)
    assert items["TF:VIZ"]["essential"] is False and items["TF:VIZ"]["shortfall"] == 1
    assert body["ready_now"] is False and body["essentials_met"] == 1 and body["essentials_total"] == 2
    expected = compute_gap(
        [Requirement(0, 3, True, 2.0), Requirement(1, 2, True, 1.0), Requirement(2, 2, False, 1.0)], {0: 3, 1: 1, 2: 1}
    ).readiness
    assert body["readiness"] == pytest.approx(expected)
    assert "0.75" in body["formula"]
    # Default: the current role, which she fills.
    current = client.get(f"/api/v1/people/{alice.id}/gap").json()
    assert current["role"] == "ANALYST" and current["readiness"] == 1.0
    assert client.get(f"/api/v1/people/{alice.id}/gap", params={"role": "NOPE"}).status_code == 422
    assert client.get("/api/v1/people/999999/gap", params={"role": "SENIOR"}).status_code == 404


def test_paths_rank_by_cost_and_explain_each_step(client, world) -> None:
    alice = world["alice"]
    r = client.get(f"/api/v1/people/{alice.id}/paths", params={"to": "HEAD", "k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["from_role"] == "ANALYST" and body["to_role"] == "HEAD"
    routes = [p["roles"] for p in body["paths"]]
    assert sorted(routes) == [["ANALYST", "SENIOR", "HEAD"], ["ANALYST", "STEWARD", "HEAD"]]
    costs = [p["cost"] for p in body["paths"]]
    assert costs == sorted(costs)
    for p in body["paths"]:
        assert p["cost"] == pytest.approx(sum(s["cost"] for s in p["steps"]))
        assert [s["role"] for s in p["steps"]] == p["roles"][1:]
    via_steward = next(p for p in body["paths"] if p["roles"][1] == "STEWARD")
    first = via_steward["steps"][0]
    # Two years served of the one-year lateral minimum: nothing left to wait; GOV 0 -> 3 to close.
    assert first["remaining_years"] == 0
    assert {g["skill"]: g["shortfall"] for g in first["gap"]} == {"TF:GOV": 3, "TF:SQL": 0}
    assert client.get(f"/api/v1/people/{alice.id}/paths", params={"to": "HEAD", "k": 1}).json()["paths"] == [
        body["paths"][0]
    ]


def test_unreachable_target_is_a_404_that_says_why(client, world) -> None:
    alice = world["alice"]
    r = client.get(f"/api/v1/people/{alice.id}/paths", params={"to": "ISLAND"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"] == "/problems/no-career-path"
    assert "ISLAND" in body["detail"]
    r = client.get(f"/api/v1/people/{alice.id}/paths", params={"to": "ANALYST", "from": "HEAD"})
    assert r.status_code == 404
    assert "ANALYST" in r.json()["detail"]
    assert client.get(f"/api/v1/people/{alice.id}/paths", params={"to": "ANALYST"}).status_code == 422


def test_new_transition_is_seen_by_the_next_query(client, world) -> None:
    """The per-process graph cache reloads when the career_graph stamp moves."""
    alice = world["alice"]
    assert client.get(f"/api/v1/people/{alice.id}/paths", params={"to": "ISLAND"}).status_code == 404
    r = client.post("/api/v1/transitions", json={"from_role": "ANALYST", "to_role": "ISLAND", "kind": "lateral"})
    assert r.status_code == 201
    r = client.get(f"/api/v1/people/{alice.id}/paths", params={"to": "ISLAND"})
    assert r.status_code == 200 and r.json()["paths"][0]["roles"] == ["ANALYST", "ISLAND"]


def test_next_moves_are_ranked_by_readiness(client, world, session) -> None:
    alice = world["alice"]
    r = client.get(f"/api/v1/people/{alice.id}/next-moves")
    assert r.status_code == 200, r.text
    moves = r.json()["moves"]
    assert [m["role"] for m in moves] == ["SENIOR", "STEWARD"]
    assert moves[0]["readiness"] > moves[1]["readiness"]
    assert moves[0]["remaining_years"] == pytest.approx(3 - 732 / 365.25, abs=0.01)
    assert {m["skill"] for m in moves[0]["missing"]} == {"TF:STATS", "TF:VIZ"}
    nobody = factories.person(session, world["agencies"][1])
    r = client.get(f"/api/v1/people/{nobody.id}/next-moves")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "from"
    assert (
        client.get(f"/api/v1/people/{nobody.id}/next-moves", params={"from": "SENIOR"}).json()["moves"][0]["role"]
        == "HEAD"
    )


def test_bench_strength_ranks_candidates_and_counts_ready_and_one_plan_away(client, world, session) -> None:
    s = world["skills"]
    _ministry, dept, other = world["agencies"]
    _analyst, senior = world["roles"][:2]
    f = factories
    profiles = {
        "ready_full": {"SQL": 3, "STATS": 2, "VIZ": 2},
        "ready_min": {"SQL": 4, "STATS": 3},
        "close": {"SQL": 2, "STATS": 2, "VIZ": 3},
        "far": {"VIZ": 1},
    }
    people = {}
    for name, prof in profiles.items():
        p = f.person(session, dept, first_name_en=name)
        people[name] = p
        for code, level in prof.items():
            f.set_skill_level(session, p, s[code], level)
    outsider = f.person(session, other, first_name_en="outsider")
    f.set_skill_level(session, outsider, s["SQL"], 4)
    f.set_skill_level(session, outsider, s["STATS"], 4)
    incumbent = f.person(session, dept, first_name_en="incumbent", role_id=senior.id)
    f.set_skill_level(session, incumbent, s["SQL"], 4)
    f.set_skill_level(session, incumbent, s["STATS"], 4)
    # A course teaches STATS to 2, none teaches SQL to 3: only SQL-ready people are one plan away.
    f.career_course(session, "STATS-2", outcomes=[(s["STATS"], 2)])

    r = client.get("/api/v1/roles/SENIOR/bench", params={"agency": "MIN"})
    assert r.status_code == 200, r.text
    body = r.json()
    ranked = [p["first_name_en"] for p in body["people"]]
    assert ranked[:2] == ["ready_full", "ready_min"]
    assert "outsider" not in ranked and "incumbent" not in ranked
    assert body["incumbents"] == 1
    assert body["ready_now"] == 2
    # alice (SQL 3, STATS 1) misses only STATS, which a course teaches; "close" misses SQL, which none does.
    assert body["one_plan_away"] == 1
    assert body["untaught_essentials"] == ["TF:SQL"]
    # The bench: people meeting at least half the essentials ("far" holds only a desirable skill).
    assert body["candidates"] == len(ranked) == 4 and "far" not in ranked
    reqs = [Requirement(s["SQL"].id, 3, True, 2.0), Requirement(s["STATS"].id, 2, True, 1.0),
            Requirement(s["VIZ"].id, 2, False, 1.0)]  # fmt: skip
    for p in body["people"]:
        prof = {s[c].id: lv for c, lv in profiles.get(p["first_name_en"], {}).items()}
        if p["person_id"] == world["alice"].id:
            prof = {s["SQL"].id: 3, s["VIZ"].id: 1, s["STATS"].id: 1}
        assert p["readiness"] == pytest.approx(compute_gap(reqs, prof).readiness), p
    everywhere = client.get("/api/v1/roles/SENIOR/bench", params={"limit": 1, "include_incumbents": True}).json()
    assert everywhere["candidates"] == 6 and everywhere["ready_now"] == 4
    assert [p["first_name_en"] for p in everywhere["people"]] == ["ready_full"]  # the only one at readiness 1
    strict = client.get("/api/v1/roles/SENIOR/bench", params={"agency": "MIN", "min_share": 1}).json()
    assert strict["candidates"] == strict["ready_now"] == 2 and strict["one_plan_away"] == 0
    assert client.get("/api/v1/roles/NOPE/bench").status_code == 404
    assert client.get("/api/v1/roles/SENIOR/bench", params={"agency": "NOPE"}).status_code == 422


def test_bench_page_is_the_exact_top_by_readiness(client, session) -> None:
    """The bench's page and count equal a brute-force ranking with the readiness function of gap.py."""
    import random

    rng = random.Random(5)
    s = factories.career_skills(session, ["A", "B", "C", "D", "E", "F"])
    reqs = [("A", 3, True, 2.0), ("B", 2, True, 1.0), ("C", 4, True, 1.0), ("D", 2, True, 3.0),
            ("E", 2, False, 1.0), ("F", 3, False, 2.0)]  # fmt: skip
    factories.career_role(session, "TARGET", level=3, requirements=[(s[c], lv, e, w) for c, lv, e, w in reqs])
    dep = factories.agency(session)
    profiles = {}
    for _ in range(60):
        p = factories.person(session, dep)
        prof = {c: rng.randint(0, 4) for c in s if rng.random() < 0.7}
        for c, lv in prof.items():
            if lv:
                factories.set_skill_level(session, p, s[c], lv)
        profiles[p.id] = {s[c].id: lv for c, lv in prof.items() if lv}
    gap_reqs = [Requirement(s[c].id, lv, e, w) for c, lv, e, w in reqs]
    essentials = [r for r in gap_reqs if r.essential]
    expected = []
    for pid, prof in profiles.items():
        met = sum(prof.get(r.skill_id, 0) >= r.level for r in essentials)
        if met >= 1:  # min_share 0.25 of 4 essentials
            expected.append((-compute_gap(gap_reqs, prof).readiness, pid))
    expected.sort()
    body = client.get("/api/v1/roles/TARGET/bench", params={"limit": 7, "min_share": 0.25}).json()
    assert body["candidates"] == len(expected)
    got = [(p["readiness"], p["person_id"]) for p in body["people"]]
    assert [pid for _, pid in got] == [pid for _, pid in expected[:7]]
    assert [r for r, _ in got] == pytest.approx([-r for r, _ in expected[:7]])
