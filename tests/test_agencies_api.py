"""Agencies: the tree, its CRUD and the rules that keep it whole."""

from __future__ import annotations

from tests import factories


def _create(client, code, parent=None, kind="department"):  # type: ignore[no-untyped-def]
    body = {"code": code, "name_th": f"หน่วย {code}", "name_en": f"Unit {code}", "kind": kind}
    if parent:
        body["parent"] = parent
    r = client.post("/api/v1/agencies", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_tree_children_and_subtree(client) -> None:
    _create(client, "MIN", kind="ministry")
    _create(client, "DEP1", "MIN")
    _create(client, "DEP2", "MIN")
    _create(client, "PROV1", "DEP1", kind="provincial_office")
    children = client.get("/api/v1/agencies/MIN/children").json()
    assert sorted(c["code"] for c in children) == ["DEP1", "DEP2"]
    tree = client.get("/api/v1/agencies/MIN/subtree").json()
    dep1 = next(c for c in tree["children"] if c["code"] == "DEP1")
    assert [c["code"] for c in dep1["children"]] == ["PROV1"]
    assert client.get("/api/v1/agencies/PROV1").json()["depth"] == 2


def test_duplicate_code_is_409_and_unknown_parent_is_422(client) -> None:
    _create(client, "MIN", kind="ministry")
    r = client.post("/api/v1/agencies", json={"code": "MIN", "name_th": "ก", "name_en": "A", "kind": "ministry"})
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    r = client.post(
        "/api/v1/agencies",
        json={"code": "X1", "name_th": "ก", "name_en": "A", "kind": "ministry", "parent": "NOPE"},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "parent"


def test_delete_refuses_agency_with_children_or_people(client, session) -> None:
    _create(client, "MIN", kind="ministry")
    _create(client, "DEP", "MIN")
    assert client.delete("/api/v1/agencies/MIN").status_code == 409
    from hrsys.agencies.models import Agency

    dep = session.query(Agency).filter_by(code="DEP").one()
    factories.person(session, dep)
    r = client.delete("/api/v1/agencies/DEP")
    assert r.status_code == 409
    assert "people" in r.json()["detail"]
    _create(client, "EMPTY", "MIN")
    assert client.delete("/api/v1/agencies/EMPTY").status_code == 204
    assert client.get("/api/v1/agencies/EMPTY").status_code == 404


def test_move_agency_moves_its_subtree_and_refuses_cycles(client) -> None:
    _create(client, "A", kind="ministry")
    _create(client, "B", kind="ministry")
    _create(client, "A1", "A")
    _create(client, "A11", "A1")
    r = client.patch("/api/v1/agencies/A1", json={"parent": "B"})
    assert r.status_code == 200, r.text
    tree = client.get("/api/v1/agencies/B/subtree").json()
    assert tree["children"][0]["code"] == "A1"
    assert tree["children"][0]["children"][0]["code"] == "A11"
    assert client.get("/api/v1/agencies/A11").json()["depth"] == 2
    r = client.patch("/api/v1/agencies/A1", json={"parent": "A11"})
    assert r.status_code == 422


def test_stale_edit_is_409(client) -> None:
    created = _create(client, "A", kind="ministry")
    v = created["version"]
    assert client.patch("/api/v1/agencies/A", json={"name_en": "First", "version": v}).status_code == 200
    r = client.patch("/api/v1/agencies/A", json={"name_en": "Second", "version": v})
    assert r.status_code == 409
    assert client.get("/api/v1/agencies/A").json()["name_en"] == "First"
