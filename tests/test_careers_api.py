"""Roles, transitions and the career graph through the API."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def skills(session):  # type: ignore[no-untyped-def]
    return factories.career_skills(session, ["PY", "SQL", "VIZ", "LEAD"])


def _role(client, code, level=1, track="data", requirements=None, **kw):  # type: ignore[no-untyped-def]
    body = {"code": code, "title_th": f"ตำแหน่ง {code}", "title_en": f"Role {code}", "track": track, "level": level}
    body["requirements"] = requirements or []
    body.update(kw)
    r = client.post("/api/v1/roles", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _move(client, a, b, kind="promotion", min_years=0):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/transitions", json={"from_role": a, "to_role": b, "kind": kind, "min_years": min_years})


def test_role_crud_with_requirements(client, skills) -> None:
    created = _role(
        client,
        "DA1",
        requirements=[
            {"skill": "TF:SQL", "level": 2},
            {"skill": "TF:VIZ", "level": 1, "essential": False, "weight": 0.5},
        ],
        position_levels=["practitioner", "professional"],
    )
    assert [(q["skill"], q["level"], q["essential"]) for q in created["requirements"]] == [
        ("TF:SQL", 2, True),
        ("TF:VIZ", 1, False),
    ]
    assert created["position_levels"] == ["practitioner", "professional"]
    listed = client.get("/api/v1/roles", params={"track": "data"}).json()
    assert [(r["code"], r["requirements"]) for r in listed] == [("DA1", 2)]

    v = created["version"]
    r = client.patch("/api/v1/roles/DA1", json={"requirements": [{"skill": "TF:PY", "level": 3}], "version": v})
    assert r.status_code == 200, r.text
    assert [q["skill"] for q in r.json()["requirements"]] == ["TF:PY"]
    assert r.json()["version"] > v
    stale = client.patch("/api/v1/roles/DA1", json={"title_en": "Other", "version": v})
    assert stale.status_code == 409
    assert client.get("/api/v1/roles/DA1").json()["title_en"] == "Role DA1"

    assert client.delete("/api/v1/roles/DA1").status_code == 204
    assert client.get("/api/v1/roles/DA1").status_code == 404


def test_role_input_errors_are_listed_together(client, skills) -> None:
    r = client.post(
        "/api/v1/roles",
        json={
            "code": "X",
            "title_th": "ก",
            "title_en": "X",
            "track": "data",
            "level": 1,
            "requirements": [
                {"skill": "TF:NOPE", "level": 2},
                {"skill": "TF:SQL", "level": 2},
                {"skill": "ZZ:MISSING", "level": 1},
            ],
        },
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert {e["field"] for e in r.json()["errors"]} == {"requirements[0].skill", "requirements[2].skill"}
    r = client.post(
        "/api/v1/roles",
        json={
            "code": "X",
            "title_th": "ก",
            "title_en": "X",
            "track": "nowhere",
            "level": 40,
            "requirements": [{"skill": "TF:SQL", "level": 2}, {"skill": "TF:SQL", "level": 3}],
        },
    )
    assert r.status_code == 422
    assert {"track", "level"} <= {e["field"] for e in r.json()["errors"]}
    _role(client, "X")
    assert (
        client.post(
            "/api/v1/roles", json={"code": "X", "title_th": "ก", "title_en": "X", "track": "data", "level": 1}
        ).status_code
        == 409
    )


def test_role_held_by_someone_cannot_be_deleted(client, session, skills) -> None:
    _role(client, "HELD")
    from hrsys.careers.models import Role

    role = session.query(Role).filter_by(code="HELD").one()
    factories.person(session, factories.agency(session), role_id=role.id)
    r = client.delete("/api/v1/roles/HELD")
    assert r.status_code == 409
    assert "retired" in r.json()["detail"]
    assert client.patch("/api/v1/roles/HELD", json={"retired": True}).json()["retired"] is True
    assert [x["code"] for x in client.get("/api/v1/roles").json()] == []
    assert [x["code"] for x in client.get("/api/v1/roles", params={"include_retired": True}).json()] == ["HELD"]


def test_transitions_refuse_self_loops_and_non_lateral_cycles(client, skills) -> None:
    for code, level in (("A", 1), ("B", 2), ("C", 3)):
        _role(client, code, level)
    assert _move(client, "A", "B", min_years=2).status_code == 201
    assert _move(client, "B", "C").status_code == 201
    r = _move(client, "A", "A", "lateral")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "to_role"
    r = _move(client, "C", "A", "promotion")
    assert r.status_code == 422
    body = r.json()
    assert "C -> A -> B -> C" in body["detail"]
    assert body["extra"]["cycle"] == ["C", "A", "B", "C"]
    closing = _move(client, "C", "A", "lateral")
    assert closing.status_code == 201, closing.text
    assert _move(client, "A", "B").status_code == 409  # exists already
    # Turning the lateral edge that closes the cycle into a promotion is refused as well.
    tid = closing.json()["id"]
    r = client.patch(f"/api/v1/transitions/{tid}", json={"kind": "specialisation"})
    assert r.status_code == 422 and "cycle" in r.json()["detail"]
    assert client.patch(f"/api/v1/transitions/{tid}", json={"min_years": 1.5}).json()["min_years"] == 1.5
    listed = client.get("/api/v1/transitions", params={"from": "A"}).json()
    assert [(t["to_role"], t["kind"], t["min_years"]) for t in listed] == [("B", "promotion", 2.0)]
    assert _move(client, "A", "NOPE").status_code == 422
    assert client.delete(f"/api/v1/transitions/{tid}").status_code == 204
    assert client.get(f"/api/v1/transitions/{tid}").status_code == 404


def test_graph_json_svg_and_neighbourhood(client, skills) -> None:
    _role(client, "A", 1, title_en="Analyst & <Junior>")
    _role(client, "B", 2)
    _role(client, "C", 3, track="digital_leadership")
    _role(client, "D", 1, track="general")
    _move(client, "A", "B")
    _move(client, "B", "C", "specialisation", 3)
    _move(client, "D", "A", "lateral")
    g = client.get("/api/v1/roles/graph").json()
    assert {n["code"] for n in g["nodes"]} == {"A", "B", "C", "D"}
    assert {(e["from_role"], e["to_role"], e["kind"]) for e in g["edges"]} == {
        ("A", "B", "promotion"),
        ("B", "C", "specialisation"),
        ("D", "A", "lateral"),
    }
    near = client.get("/api/v1/roles/graph", params={"around": "C", "radius": 1}).json()
    assert {n["code"] for n in near["nodes"]} == {"B", "C"}
    r = client.get("/api/v1/roles/graph", params={"format": "svg"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    svg = r.text
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "Analyst &amp; &lt;Junior&gt;" in svg  # titles are escaped
    assert svg.count("marker-end=") == 3 and 'stroke-dasharray="6 4"' in svg  # the lateral edge is dashed
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # no external resources
    r = client.get("/api/v1/roles/graph", params={"format": "svg", "around": "A", "lang": "th"})
    assert "ตำแหน่ง A" in r.text and "ตำแหน่ง C" not in r.text
    assert client.get("/api/v1/roles/graph", params={"around": "NOPE"}).status_code == 422
